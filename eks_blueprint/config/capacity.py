"""Node capacity: do the pods this project places on a node group fit on it?

A managed node group that hosts the Karpenter controller (or, tainted, CoreDNS) is sized by
hand, and nothing warns when the DaemonSets of the add-ons plus the pinned controllers no
longer fit. This module is a small, pure model (no aws_cdk) of one such node:

    allocatable = capacity - kube-reserved - system-reserved - eviction threshold
    free        = allocatable - the requests of every DaemonSet (one pod per node)
    usable      = free x (1 - HEADROOM)

and of the pods that can land on the group (`workloads`, `lands_on`). `check_node_group_capacity`
is the config rule EnvironmentConfig runs; it requires, for the group hosting the Karpenter
controller, the group hosting the Cluster Autoscaler and every tainted group hosting CoreDNS:

(a) every single pod that lands there fits on one node next to the DaemonSets, and
(b) all of them fit on `size.min - 1` nodes: one node can always be away (a rolling update
    replaces nodes, auto repair or an instance failure takes one out).

It is a model, not a scheduler: sums per dimension, not bin packing ((a) rules out the worst
fragmentation; the headroom covers the rest). Numbers are requests, which is what the
scheduler counts; the table of DaemonSet requests names the source of every number and the
add-on version it was read for (a unit test fails when versions.py pins another one).

Only Linux nodes are modelled: every DaemonSet and Deployment below is a Linux pod (the charts'
nodeSelector kubernetes.io/os: linux), so none lands on a Windows group, whose own
kube-reserved and DaemonSets differ; `group_capacity` refuses one (WindowsNotModelled).
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..compute.max_pods import SMALL_NODE_MAX_PODS, group_max_pods
from ..validate_names import quantity_value
from .base import FieldError

if TYPE_CHECKING:
    from .addons import AddonsConfig
    from .compute import ComputeConfig, NodeGroupConfig
    from .security import SecurityConfig
    from .storage import StorageConfig

#: Share of what the DaemonSets leave on a node that pinned pods may not use. It absorbs the
#: memory the kernel keeps from the kubelet's capacity (EC2 reports 2-7.5 % less than the
#: nominal size; Karpenter assumes 7.5 %, settings.vmMemoryOverheadPercent), add-on updates
#: that raise requests, and short-lived pods (kubectl debug, jobs) on the group.
HEADROOM = 0.10


@dataclass(frozen=True)
class Resources:
    """CPU in millicores and memory in MiB."""

    cpu_m: int = 0
    memory_mi: int = 0

    def __add__(self, other: Resources) -> Resources:
        return Resources(self.cpu_m + other.cpu_m, self.memory_mi + other.memory_mi)

    def __sub__(self, other: Resources) -> Resources:
        return Resources(self.cpu_m - other.cpu_m, self.memory_mi - other.memory_mi)

    def times(self, factor: float) -> Resources:
        """Scaled by `factor`, rounded down (a share of capacity never rounds up)."""
        return Resources(math.floor(self.cpu_m * factor), math.floor(self.memory_mi * factor))

    def fits_in(self, other: Resources) -> bool:
        return self.cpu_m <= other.cpu_m and self.memory_mi <= other.memory_mi

    def __str__(self) -> str:
        return f"{self.cpu_m}m CPU / {self.memory_mi}Mi"


def total(items: Iterable[Resources]) -> Resources:
    out = Resources()
    for item in items:
        out = out + item
    return out


# -- instance capacity ----------------------------------------------------------------------

#: GiB of memory per vCPU of the general-purpose (m), compute (c) and memory (r) families,
#: generation 5 and later (m5, c6g, r7iz, m7i-flex, c6gn, ...). Some families have more
#: (c5n: 2.6), which only makes the model conservative.
MEMORY_PER_VCPU_GIB: dict[str, int] = {"c": 2, "m": 4, "r": 8}
#: Burstable families: size -> (vCPUs, MiB). t3/t3a/t4g share these sizes; t2 does not.
BURSTABLE_FAMILIES = frozenset({"t3", "t3a", "t4g"})
BURSTABLE_SIZES: dict[str, tuple[int, int]] = {
    "nano": (2, 512),
    "micro": (2, 1024),
    "small": (2, 2048),
    "medium": (2, 4096),
    "large": (2, 8192),
    "xlarge": (4, 16384),
    "2xlarge": (8, 32768),
}
_CMR_FAMILY = re.compile(r"^([cmr])(\d+)[a-z-]*$")
_SIZE = re.compile(r"^(?:(\d+)x)?large$")
#: Size ladder for suggesting a larger type (suffixes only; EC2 decides which exist).
SIZE_LADDER = ("medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge")


class UnknownInstanceType(ValueError):
    """The model has no vCPU/memory figures for an instance type."""


def instance_capacity(instance_type: str) -> Resources:
    """vCPUs (as millicores) and nominal memory (MiB) of an instance type, from its name.

    Known: t3/t3a/t4g (table), and c/m/r generation 5+: medium 1 vCPU, large 2, xlarge 4,
    Nxlarge 4N, memory 2/4/8 GiB per vCPU. Anything else (metal, GPU, x/z/i/d families,
    older generations) raises UnknownInstanceType rather than guessing.
    """
    family, _, size = instance_type.partition(".")
    if family in BURSTABLE_FAMILIES:
        if size not in BURSTABLE_SIZES:
            raise UnknownInstanceType(f"{instance_type}: size {size!r} is not in the t table")
        vcpus, memory = BURSTABLE_SIZES[size]
        return Resources(vcpus * 1000, memory)
    match = _CMR_FAMILY.match(family)
    if match is None or int(match.group(2)) < 5:
        raise UnknownInstanceType(
            f"{instance_type}: only c, m and r families of generation 5 or later and "
            f"{', '.join(sorted(BURSTABLE_FAMILIES))} are modelled"
        )
    if size == "medium":
        vcpus = 1
    elif size == "xlarge":
        vcpus = 4
    elif (sized := _SIZE.match(size)) is not None:
        vcpus = 4 * int(sized.group(1)) if sized.group(1) else 2
    else:
        raise UnknownInstanceType(f"{instance_type}: size {size!r} is not modelled")
    return Resources(vcpus * 1000, vcpus * MEMORY_PER_VCPU_GIB[match.group(1)] * 1024)


# -- allocatable -----------------------------------------------------------------------------

#: CPU kube-reserved per core range, in 1/10000 of a core: 6 % of the first core, 1 % of the
#: second, 0.5 % of cores 3-4, 0.25 % above. The same on both AMI families this project uses:
#: AL2023 nodeadm, getCPUMillicoresToReserve in nodeadm/internal/kubelet/config.go
#: (awslabs/amazon-eks-ami), and Bottlerocket, kube_cpu_helper in
#: sources/api/schnauzer/src/helpers.rs (bottlerocket-os/bottlerocket: 60m, 70m, 75m, 80m,
#: then +2.5m a core).
_CPU_RESERVE_RANGES = ((0, 1000, 600), (1000, 2000, 100), (2000, 4000, 50))
_CPU_RESERVE_ABOVE_4 = 25
#: kube-reserved memory = 11 MiB x max pods + 255 MiB (nodeadm getMemoryMebibytesToReserve;
#: Bottlerocket kube_reserve_memory, from settings.kubernetes.max-pods).
MEMORY_RESERVED_PER_POD_MI = 11
MEMORY_RESERVED_BASE_MI = 255
#: evictionHard memory.available: 100Mi (nodeadm's default kubelet config; Bottlerocket
#: leaves the kubelet default, also 100Mi). Only memory counts: the other thresholds are disk.
EVICTION_HARD = Resources(0, 100)
#: system-reserved: neither AMI family sets one (nodeadm sets only the /system cgroup, no
#: values; Bottlerocket's settings.kubernetes.system-reserved is empty by default).
SYSTEM_RESERVED = Resources(0, 0)


def kube_reserved(vcpus: int, max_pods: int) -> Resources:
    """kube-reserved of an EKS-optimized AL2023 or Bottlerocket node.

    Memory is 11 MiB per pod plus 255 MiB at the group's max pods: Bottlerocket derives it
    from max-pods, and on AL2023 the launch template's NodeConfig sets it (nodeadm would
    otherwise use its own ENI-based pod count; compute/max_pods.py). CPU follows nodeadm's
    per-core shares.
    """
    cores_m = vcpus * 1000
    cpu = 0
    for start, end, share in _CPU_RESERVE_RANGES:
        if cores_m > start:
            cpu += (min(cores_m, end) - start) * share // 10000
    if cores_m > 4000:
        cpu += (cores_m - 4000) * _CPU_RESERVE_ABOVE_4 // 10000
    return Resources(cpu, MEMORY_RESERVED_PER_POD_MI * max_pods + MEMORY_RESERVED_BASE_MI)


def group_pod_limit(instance_types: Sequence[str]) -> int:
    """The max pods the group's nodes get: the launch template's value (max_pods.py), or,
    for types not in the instance type table, 110 as an upper bound of the ENI default."""
    return group_max_pods(instance_types) or SMALL_NODE_MAX_PODS


def allocatable(instance_type: str, max_pods: int) -> Resources:
    """What the kubelet offers pods on one node of `instance_type` with `max_pods`."""
    capacity = instance_capacity(instance_type)
    reserved = kube_reserved(capacity.cpu_m // 1000, max_pods)
    return capacity - reserved - SYSTEM_RESERVED - EVICTION_HARD


# -- what the add-ons request ----------------------------------------------------------------


@dataclass(frozen=True)
class PodRequests:
    """Requests of one pod (all its containers; init containers request less)."""

    name: str
    requests: Resources


#: DaemonSet pods per node, by the add-on that installs them: the sum of their containers'
#: requests, at the version in DAEMONSETS_READ_AT. Sources:
DAEMONSETS: dict[str, tuple[PodRequests, ...]] = {
    # aws/amazon-vpc-cni-k8s v1.20.4 charts/aws-vpc-cni/values.yaml: resources.requests.cpu
    # 25m, applied to aws-node and (nodeAgent.resources empty) to aws-eks-nodeagent, as in
    # config/master/aws-k8s-cni.yaml. No memory request.
    "vpc-cni": (PodRequests("aws-node", Resources(50, 0)),),
    # EKS kube-proxy DaemonSet: cpu 100m, no memory request (aws/containers-roadmap#1509
    # "kube-proxy ... has no memory request or limit"); 100m as upstream
    # cluster/addons/kube-proxy. ESTIMATE: the EKS build's manifest was not read offline.
    "kube-proxy": (PodRequests("kube-proxy", Resources(100, 0)),),
    # aws/eks-pod-identity-agent charts/eks-pod-identity-agent/values.yaml: resources: {}
    # (an add-on DaemonSet dumped in the EKS Workshop shows resources: {} too).
    "eks-pod-identity-agent": (PodRequests("eks-pod-identity-agent", Resources(0, 0)),),
    # kubernetes-sigs/aws-ebs-csi-driver v1.48.0 charts/aws-ebs-csi-driver: node.resources
    # requests 10m/40Mi, used by ebs-plugin, node-driver-registrar and liveness-probe
    # (templates/_node.tpl `default .Values.node.resources`): 3 x 10m/40Mi.
    "aws-ebs-csi-driver": (PodRequests("ebs-csi-node", Resources(30, 120)),),
    # aws-observability/helm-charts tag amazon-cloudwatch-observability-4.4.0 values.yaml:
    # agent.resources.requests 250m/128Mi; containerLogs.fluentBit.resources.requests
    # 50m/25Mi. dcgm-exporter and neuron-monitor run only on GPU/Neuron instance types, the
    # Windows DaemonSets only on Windows nodes: none lands on the groups this config allows.
    "amazon-cloudwatch-observability": (
        PodRequests("cloudwatch-agent", Resources(250, 128)),
        PodRequests("fluent-bit", Resources(50, 25)),
    ),
    # kubernetes-sigs/aws-efs-csi-driver tag v3.3.0 (chart 4.3.0, appVersion 3.3.0)
    # charts/aws-efs-csi-driver/values.yaml: node.resources {} and sidecars.livenessProbe /
    # nodeDriverRegistrar resources {}: no requests. node.tolerations [operator: Exists].
    "aws-efs-csi-driver": (PodRequests("efs-csi-node", Resources(0, 0)),),
    # kubernetes-sigs/aws-fsx-csi-driver tag v1.9.0 (chart 1.17.0, appVersion 1.9.0)
    # charts/aws-fsx-csi-driver/values.yaml: node.resources requests 10m/40Mi (fsx-plugin),
    # sidecars.nodeDriverRegistrar and livenessProbe 10m/32Mi each; node.tolerateAllTaints
    # true (templates/node-daemonset.yaml: `operator: Exists`).
    "aws-fsx-csi-driver": (PodRequests("fsx-csi-node", Resources(30, 104)),),
    # GuardDuty user guide, "Configure GuardDuty security agent (add-on) parameters for Amazon
    # EKS": default CPU request 200m, memory request 256Mi (agent 1.5.0 and later).
    "aws-guardduty-agent": (PodRequests("aws-guardduty-agent", Resources(200, 256)),),
}

#: The add-on version each DAEMONSETS entry was read for; a test compares them with the pins
#: in eks_blueprint/addons/versions.py, so a new pin asks for the numbers to be re-read.
#: GuardDuty picks its agent's version itself (security.guardduty.agent_version is optional).
DAEMONSETS_READ_AT: dict[str, str] = {
    "vpc-cni": "v1.20.4-eksbuild.2",
    "kube-proxy": "v1.34.1-eksbuild.2",
    "eks-pod-identity-agent": "v1.3.8-eksbuild.2",
    "aws-ebs-csi-driver": "v1.48.0-eksbuild.2",
    "amazon-cloudwatch-observability": "v4.4.0-eksbuild.1",
    "aws-efs-csi-driver": "v3.3.0-eksbuild.1",
    "aws-fsx-csi-driver": "v1.9.0-eksbuild.1",
}


def daemonsets(
    addons: AddonsConfig, security: SecurityConfig, storage: StorageConfig | None = None
) -> list[PodRequests]:
    """The DaemonSet pods on every Linux node of the cluster. They all tolerate every taint
    (tolerations `operator: Exists` in each chart above), so they land on every Linux group;
    none runs on Windows nodes. `storage` adds the CSI node pods of storage.efs and
    storage.fsx_lustre (their add-ons are installed by the storage constructs, not `addons`)."""
    names: list[str] = [name for name in addons.installed() if name in DAEMONSETS]
    if storage is not None and storage.efs is not None:
        names.append("aws-efs-csi-driver")
    if storage is not None and storage.fsx_lustre is not None:
        names.append("aws-fsx-csi-driver")
    # `existing` counts too: the organisation's detector is expected to run EKS runtime
    # monitoring (eks-blueprint-verify checks), whose agent GuardDuty installs.
    if security.guardduty.mode != "off":
        names.append("aws-guardduty-agent")
    return [pod for name in names for pod in DAEMONSETS[name]]


@dataclass(frozen=True)
class Toleration:
    """A pod toleration: None matches any key, value or effect (operator Exists)."""

    key: str | None = None
    value: str | None = None
    effect: str | None = None

    def tolerates(self, key: str, value: str | None, effect: str) -> bool:
        return (
            (self.key is None or self.key == key)
            and (self.value is None or self.value == value)
            and (self.effect is None or self.effect == effect)
        )


CRITICAL_ADDONS_ONLY = Toleration(key="CriticalAddonsOnly")


@dataclass(frozen=True)
class Workload:
    """A Deployment of the platform: per-replica requests and where it may run."""

    name: str
    requests: Resources
    replicas: int
    tolerations: tuple[Toleration, ...] = ()
    node_group: str | None = None
    """Pinned to this node group by nodeSelector (the Karpenter controller)."""
    one_per_node: bool = False
    """Required pod anti-affinity on kubernetes.io/hostname: at most one replica a node."""

    def replicas_on(self, nodes: int) -> int:
        return min(self.replicas, nodes) if self.one_per_node else self.replicas


#: Replicas of the Karpenter controller: KarpenterProps.replicas (compute/karpenter.py),
#: which the cluster stack leaves at its default; a test keeps the two in step.
KARPENTER_REPLICAS = 2
#: Per-replica requests of Deployments whose numbers this project does not set. Sources:
#: CoreDNS: requests 100m/70Mi, toleration CriticalAddonsOnly (kubernetes/kubernetes
#: cluster/addons/dns/coredns/coredns.yaml.base, which the EKS manifest follows).
COREDNS = Resources(100, 70)
#: ebs-csi-controller: 6 containers (ebs-plugin, csi-provisioner, csi-attacher,
#: csi-snapshotter, csi-resizer, liveness-probe) x controller.resources 10m/40Mi, 2 replicas,
#: tolerations CriticalAddonsOnly and every NoExecute taint (chart v1.48.0 values.yaml).
EBS_CSI_CONTROLLER = Resources(60, 240)
EBS_CSI_CONTROLLER_TOLERATIONS = (CRITICAL_ADDONS_ONLY, Toleration(effect="NoExecute"))
#: metrics-server: 100m/200Mi (kubernetes-sigs/metrics-server v0.8.0 chart values.yaml), no
#: tolerations; 2 replicas in the EKS community add-on (AWS re:Post "Kubernetes Metrics
#: Server setup recommendations"; ESTIMATE: the add-on's manifest was not read offline).
METRICS_SERVER = Resources(100, 200)
#: amazon-cloudwatch-observability-controller-manager: 1 replica, 100m/64Mi,
#: manager.tolerations [] (chart 4.4.0 values.yaml).
CLOUDWATCH_MANAGER = Resources(100, 64)
#: fsx-csi-controller: fsx-plugin 10m/40Mi (controller.resources) + csi-provisioner,
#: csi-resizer and liveness-probe 10m/32Mi each (sidecars.*.resources), 2 replicas,
#: tolerations CriticalAddonsOnly and every NoExecute taint (kubernetes-sigs/aws-fsx-csi-driver
#: tag v1.9.0 charts/aws-fsx-csi-driver/values.yaml). No anti-affinity.
FSX_CSI_CONTROLLER = Resources(40, 136)
FSX_CSI_CONTROLLER_TOLERATIONS = (CRITICAL_ADDONS_ONLY, Toleration(effect="NoExecute"))
#: VPA (FairwindsOps stable/vpa 5.0.0 values.yaml; addons/vpa.py sets no resources,
#: tolerations or nodeSelector): recommender requests 50m/500Mi, updater 50m/500Mi,
#: admission controller 50m/200Mi, replicaCount 1 each, tolerations [] (only untainted
#: groups). The admission controller's certgen hook Job (resources {}) is short-lived.
VPA_RECOMMENDER = Resources(50, 500)
VPA_UPDATER = Resources(50, 500)
VPA_ADMISSION_CONTROLLER = Resources(50, 200)


def workloads(
    compute: ComputeConfig, addons: AddonsConfig, storage: StorageConfig | None = None
) -> list[Workload]:
    """The platform's Deployments that may run on managed node groups (`storage` adds the
    FSx CSI controller of storage.fsx_lustre). Charts without requests (Load Balancer
    Controller 1.14.0, external-dns 1.19.0, cert-manager v1.20.2: `resources: {}`;
    snapshot-controller v8.3.0 manifest: none; efs-csi-controller, chart of v3.3.0:
    controller.resources {}) add nothing and are left out."""
    out: list[Workload] = []
    karpenter = compute.karpenter
    if karpenter is not None and karpenter.controller_on == "node_group":
        out.append(
            Workload(
                "karpenter",
                Resources(
                    cpu_millicores(karpenter.controller_resources.cpu),
                    memory_mebibytes(karpenter.controller_resources.memory),
                ),
                KARPENTER_REPLICAS,
                node_group=karpenter.controller_node_group,
                # chart 1.8.1 values.yaml: podAntiAffinity required on kubernetes.io/hostname
                one_per_node=True,
            )
        )
    dns = addons.coredns
    if dns.compute_type == "ec2":
        replicas = dns.autoscaling.max_replicas if dns.autoscaling.enabled else dns.replicas
        extra = tuple(
            Toleration(key=t.key, value=t.value, effect=t.effect) for t in dns.tolerations
        )
        out.append(Workload("coredns", COREDNS, replicas, (CRITICAL_ADDONS_ONLY, *extra)))
    if addons.ebs_csi_driver.enabled:
        out.append(
            Workload("ebs-csi-controller", EBS_CSI_CONTROLLER, 2, EBS_CSI_CONTROLLER_TOLERATIONS)
        )
    if addons.metrics_server.enabled:
        out.append(Workload("metrics-server", METRICS_SERVER, 2))
    if addons.cloudwatch_observability.enabled:
        out.append(Workload("cloudwatch-controller-manager", CLOUDWATCH_MANAGER, 1))
    scaler = compute.cluster_autoscaler
    host = autoscaler_host(compute)
    if scaler is not None and host is not None:
        # Pinned to its group (nodeSelector, the group's taints tolerated:
        # ManagedNodeGroups.placement_for); chart 9.59.0 sets no affinity, so both replicas
        # may share a node. Requests: compute.cluster_autoscaler cpu / memory.
        out.append(
            Workload(
                "cluster-autoscaler",
                Resources(cpu_millicores(scaler.cpu), memory_mebibytes(scaler.memory)),
                scaler.replicas,
                node_group=host,
            )
        )
    vpa = addons.vertical_pod_autoscaler
    if vpa.enabled:
        out.append(Workload("vpa-recommender", VPA_RECOMMENDER, 1))
        if vpa.mode == "auto":
            out.append(Workload("vpa-updater", VPA_UPDATER, 1))
            out.append(Workload("vpa-admission-controller", VPA_ADMISSION_CONTROLLER, 1))
    if storage is not None and storage.fsx_lustre is not None:
        out.append(
            Workload("fsx-csi-controller", FSX_CSI_CONTROLLER, 2, FSX_CSI_CONTROLLER_TOLERATIONS)
        )
    return out


def autoscaler_host(compute: ComputeConfig) -> str | None:
    """The node group the Cluster Autoscaler runs on: compute.cluster_autoscaler.node_group,
    else the first node group (as stacks/translate/compute.py places it); None without one."""
    scaler = compute.cluster_autoscaler
    if scaler is None:
        return None
    if scaler.node_group is not None:
        return scaler.node_group
    return compute.node_groups[0].name if compute.node_groups else None


def lands_on(workload: Workload, group: NodeGroupConfig) -> bool:
    """Whether the scheduler may put `workload` on `group`: a Linux group (every platform pod
    is a Linux pod), and pinned there or tolerating each of its NoSchedule/NoExecute taints
    (PreferNoSchedule only steers)."""
    if group.windows:
        return False
    if workload.node_group is not None:
        return workload.node_group == group.name
    return all(
        any(t.tolerates(taint.key, taint.value, taint.effect) for t in workload.tolerations)
        for taint in group.taints
        if taint.effect != "PreferNoSchedule"
    )


# -- quantities ------------------------------------------------------------------------------


def cpu_millicores(value: str) -> int:
    """A CPU quantity ("1", "500m", "1.5", ".5") in millicores, rounded up."""
    return math.ceil(quantity_value(value) * 1000)


def memory_mebibytes(value: str) -> int:
    """A memory quantity ("1Gi", "512Mi", "1G") in MiB, rounded up."""
    return math.ceil(quantity_value(value) / 2**20)


# -- one node group --------------------------------------------------------------------------


class WindowsNotModelled(ValueError):
    """The model covers Linux nodes: a Windows node's reservations and DaemonSets differ."""


@dataclass(frozen=True)
class GroupCapacity:
    """One node group's per-node arithmetic and the platform pods that land on it."""

    instance_types: tuple[str, ...]
    max_pods: int
    allocatable: Resources
    """Per node: the smallest of the group's instance types, per dimension."""
    daemonsets: tuple[PodRequests, ...]
    workloads: tuple[Workload, ...]

    @property
    def daemonset_requests(self) -> Resources:
        return total(p.requests for p in self.daemonsets)

    @property
    def free(self) -> Resources:
        """Per node, after the DaemonSets."""
        return self.allocatable - self.daemonset_requests

    @property
    def usable(self) -> Resources:
        """Per node, after the DaemonSets and the headroom."""
        return self.free.times(1 - HEADROOM)

    def pinned(self, nodes: int) -> Resources:
        """What the landing workloads request on `nodes` nodes."""
        return total(w.requests.times(w.replicas_on(nodes)) for w in self.workloads)

    def too_big(self) -> list[Workload]:
        """Workloads one of whose pods does not fit on a node next to the DaemonSets."""
        return [w for w in self.workloads if not w.requests.fits_in(self.usable)]

    def fits(self, nodes: int) -> bool:
        return not self.too_big() and self.pinned(nodes).fits_in(self.usable.times(nodes))


def group_capacity(
    group: NodeGroupConfig,
    compute: ComputeConfig,
    addons: AddonsConfig,
    security: SecurityConfig,
    instance_types: Sequence[str] | None = None,
    storage: StorageConfig | None = None,
) -> GroupCapacity:
    """The capacity model of Linux group `group` (or of it with other `instance_types`).

    Raises UnknownInstanceType when a type is not modelled, WindowsNotModelled for a
    Windows group (no Linux DaemonSet or platform pod runs there).
    """
    if group.windows:
        raise WindowsNotModelled(
            f"node group {group.name} runs Windows ({group.ami_type}): the model has the Linux "
            "DaemonSets and kube-reserved only, and no platform pod lands there"
        )
    types = tuple(instance_types or group.instance_types)
    max_pods = group_pod_limit(types)
    per_type = [allocatable(t, max_pods) for t in types]
    return GroupCapacity(
        instance_types=types,
        max_pods=max_pods,
        allocatable=Resources(min(r.cpu_m for r in per_type), min(r.memory_mi for r in per_type)),
        daemonsets=tuple(daemonsets(addons, security, storage)),
        workloads=tuple(w for w in workloads(compute, addons, storage) if lands_on(w, group)),
    )


# -- the config rule -------------------------------------------------------------------------


class CapacityCheckSkipped(UserWarning):
    """A node group's capacity could not be checked (an instance type is not modelled)."""


def _blocking_taints(group: NodeGroupConfig) -> bool:
    return any(t.effect != "PreferNoSchedule" for t in group.taints)


def groups_to_check(compute: ComputeConfig, addons: AddonsConfig) -> list[int]:
    """Indexes of the node groups the rule covers: the Karpenter controller's host, the
    Cluster Autoscaler's host, and every tainted group CoreDNS can run on. Never a Windows
    group (no platform pod runs there; a Windows host is refused by check_node_group_capacity
    and check_os_and_accelerators)."""
    karpenter = compute.karpenter
    hosts = {
        karpenter.controller_node_group
        if karpenter is not None and karpenter.controller_on == "node_group"
        else None,
        autoscaler_host(compute),
    } - {None}
    dns = [w for w in workloads(compute, addons) if w.name == "coredns"]
    return [
        i
        for i, g in enumerate(compute.node_groups)
        if not g.windows
        and (g.name in hosts or (_blocking_taints(g) and any(lands_on(w, g) for w in dns)))
    ]


def _arithmetic(model: GroupCapacity) -> str:
    nodes = "; ".join(
        f"{t} {instance_capacity(t)} - kube-reserved "
        f"{kube_reserved(instance_capacity(t).cpu_m // 1000, model.max_pods)} "
        f"({model.max_pods} max pods) - eviction {EVICTION_HARD.memory_mi}Mi = "
        f"{allocatable(t, model.max_pods)}"
        for t in model.instance_types
    )
    smallest = f", the smallest {model.allocatable}" if len(model.instance_types) > 1 else ""
    listed = ", ".join(
        f"{p.name} {p.requests}" for p in model.daemonsets if p.requests != Resources()
    )
    return (
        f"allocatable per node: {nodes}{smallest}; DaemonSets {model.daemonset_requests} "
        f"({listed}); free {model.free}, usable with {HEADROOM:.0%} headroom {model.usable}"
    )


def _pods(model: GroupCapacity, nodes: int) -> str:
    return " + ".join(
        f"{w.name} {w.replicas_on(nodes)} x {w.requests}"
        for w in model.workloads
        if w.replicas_on(nodes) and w.requests != Resources()
    )


def _fixes(
    group: NodeGroupConfig,
    index: int,
    compute: ComputeConfig,
    addons: AddonsConfig,
    security: SecurityConfig,
    model: GroupCapacity,
    storage: StorageConfig | None = None,
) -> str:
    where = f"compute.node_groups[{index}]"
    options: list[str] = []
    smallest = min(model.instance_types, key=lambda t: instance_capacity(t).cpu_m)
    family, _, size = smallest.partition(".")
    if size in SIZE_LADDER:
        for bigger in SIZE_LADDER[SIZE_LADDER.index(size) + 1 :]:
            candidate = f"{family}.{bigger}"
            try:
                trial = group_capacity(group, compute, addons, security, [candidate], storage)
            except UnknownInstanceType:
                break
            if trial.fits(max(group.size.min - 1, 0)):
                options.append(
                    f"{where}.instance_types with {candidate} instead of {smallest}"
                    if len(model.instance_types) == 1
                    else f"{where}.instance_types [{candidate}] instead of "
                    f"[{', '.join(model.instance_types)}]"
                )
                break
    if not model.too_big():
        for nodes in range(max(group.size.min, 1), group.size.min + 20):
            if model.fits(nodes):
                options.append(
                    f"{where}.size.min (and desired) of {nodes + 1}, so {nodes} nodes remain"
                )
                break
    return " or ".join(options) or f"a larger instance type in {where}.instance_types"


def check_group(
    index: int,
    compute: ComputeConfig,
    addons: AddonsConfig,
    security: SecurityConfig,
    storage: StorageConfig | None = None,
) -> None:
    """Raise FieldError (at the group's instance_types), with the arithmetic and the fix,
    when group `index` is too small."""
    group = compute.node_groups[index]
    model = group_capacity(group, compute, addons, security, storage=storage)
    where = f"compute.node_groups[{index}]"
    too_big = model.too_big()
    if too_big:
        pods = ", ".join(f"{w.name} {w.requests}" for w in too_big)
        raise FieldError(
            f"{where}.instance_types",
            f"node group {group.name}: one pod of {pods} does not fit on a node next to "
            f"the DaemonSets: {_arithmetic(model)}. Fix: "
            f"{_fixes(group, index, compute, addons, security, model, storage)}",
        )
    nodes = max(group.size.min - 1, 0)
    pinned = model.pinned(nodes)
    room = model.usable.times(nodes)
    if pinned.fits_in(room):
        return
    short = [
        f"{need - have}{unit} {kind}"
        for need, have, unit, kind in (
            (pinned.cpu_m, room.cpu_m, "m", "CPU"),
            (pinned.memory_mi, room.memory_mi, "Mi", "memory"),
        )
        if need > have
    ]
    raise FieldError(
        f"{where}.instance_types",
        f"node group {group.name} with size.min {group.size.min}: its pods do not fit on "
        f"{nodes} node(s), which is what remains while one node is replaced (rolling "
        f"update, auto repair): {_arithmetic(model)}; pods {_pods(model, nodes)} = "
        f"{pinned} > {nodes} x {model.usable} = {room} (short {', '.join(short)}). Fix: "
        f"{_fixes(group, index, compute, addons, security, model, storage)}",
    )


def check_node_group_capacity(
    compute: ComputeConfig,
    addons: AddonsConfig,
    security: SecurityConfig,
    storage: StorageConfig | None = None,
) -> None:
    """The config rule: every group in `groups_to_check` passes `check_group`. A group with
    an instance type the model does not know is skipped with a CapacityCheckSkipped warning.
    A Cluster Autoscaler placed on a Windows group is refused: its pods are Linux pods."""
    _check_autoscaler_host(compute)
    for index in groups_to_check(compute, addons):
        try:
            check_group(index, compute, addons, security, storage)
        except UnknownInstanceType as exc:
            warnings.warn(
                f"compute.node_groups[{index}]: capacity not checked ({exc}); make sure the "
                "Karpenter controller, the Cluster Autoscaler, CoreDNS and the add-on "
                "DaemonSets fit on size.min - 1 nodes",
                CapacityCheckSkipped,
                stacklevel=2,
            )


def _check_autoscaler_host(compute: ComputeConfig) -> None:
    host = autoscaler_host(compute)
    scaler = compute.cluster_autoscaler
    group = next((g for g in compute.node_groups if g.name == host), None)
    if scaler is None or group is None or not group.windows:
        return
    linux = [g.name for g in compute.node_groups if not g.windows]
    if scaler.node_group is not None:
        where, what = "compute.cluster_autoscaler.node_group", f"{host} is"
    else:
        where, what = (
            "compute.cluster_autoscaler",
            f"the default host, the first node group {host}, is",
        )
    raise FieldError(
        where,
        f"{what} a Windows node group, and the Cluster Autoscaler runs on Linux only; set "
        f"compute.cluster_autoscaler.node_group to a Linux group"
        + (f" ({', '.join(linux)})" if linux else ""),
    )
