"""What one environment deploys that costs money, read from its synthesised templates.

The template is the authority for what will be deployed: node groups (instance types,
scaling, disks), self-managed node groups (the cluster's Auto Scaling groups and their launch
templates), Karpenter NodePools and EC2NodeClasses (the manifests the Kubernetes layers
apply), Fargate profiles, Deployments, ResourceQuotas, NAT gateways, Elastic IPs,
interface endpoints, KMS keys, log groups, the GuardDuty detector and the cluster's support
type. :func:`read_inventory` turns them into plain records; the cost plan prices them. Pure
Python: no ``aws_cdk``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...config.capacity import COREDNS
from ...instance_types import instance_type, is_windows_ami
from ...template import (
    as_int,
    as_list,
    dig,
    helm_releases,
    literal,
    manifest_objects,
    parse_json_text,
    render_text,
)
from ...validate_names import quantity_value
from ..inputs import PlanInputs

#: Managed node groups without a launch template or DiskSize get 20 GiB (EKS API default).
DEFAULT_NODE_GROUP_DISK_GIB = 20
#: Karpenter's default maxPods when an EC2NodeClass sets none is ENI-based; the plan uses
#: 110 (the kubelet default) as an upper bound for the pod-count check.
DEFAULT_MAX_PODS = 110
#: Karpenter chart 1.8.1 values.yaml: replicas 2, controller requests 1 CPU / 1Gi.
KARPENTER_DEFAULT_REPLICAS = 2
#: CSI drivers whose StorageClasses create storage billed by use: EFS access points (the
#: file system is in the template) and FSx for Lustre file systems (one per claim).
EFS_CSI = "efs.csi.aws.com"
FSX_CSI = "fsx.csi.aws.com"
USAGE_PRICED_DRIVERS = frozenset({EFS_CSI, FSX_CSI})


@dataclass(frozen=True)
class Taint:
    key: str
    value: str | None
    effect: str
    """NoSchedule, PreferNoSchedule or NoExecute."""


@dataclass(frozen=True)
class Toleration:
    key: str | None
    operator: str
    value: str | None
    effect: str | None

    def tolerates(self, taint: Taint) -> bool:
        if self.effect and self.effect != taint.effect:
            return False
        if self.key is None:
            return self.operator == "Exists"
        if self.key != taint.key:
            return False
        return self.operator == "Exists" or self.value == taint.value


@dataclass(frozen=True)
class NodeGroup:
    """An ``AWS::EKS::Nodegroup``."""

    name: str
    logical_id: str
    instance_types: tuple[str, ...]
    min_size: int
    max_size: int
    capacity_type: str
    """ON_DEMAND or SPOT."""
    arch: str | None
    """amd64 or arm64 from the AMI type; None when the AMI type does not say."""
    labels: Mapping[str, str]
    taints: tuple[Taint, ...]
    disk_gib: int
    """EBS GiB per node (every volume of the launch template, or DiskSize)."""
    self_managed: bool = False
    """An AWS::AutoScaling::AutoScalingGroup of the cluster, not an AWS::EKS::Nodegroup."""
    ami_type: str = ""
    """The EKS AMI type (AL2023_x86_64_STANDARD, WINDOWS_CORE_2022_x86_64...); empty for a
    self-managed group (its AMI is the launch template's ImageId)."""

    @property
    def windows(self) -> bool:
        """Windows nodes: their On-Demand price includes the Windows license."""
        return is_windows_ami(self.ami_type)

    @property
    def label(self) -> str:
        return f"{'Self-managed group' if self.self_managed else 'Node group'} {self.name}"


@dataclass(frozen=True)
class StorageClass:
    """A StorageClass of a CSI driver whose volumes are billed by use (EFS, FSx for Lustre)."""

    name: str
    provisioner: str
    parameters: Mapping[str, str]


@dataclass(frozen=True)
class FileSystem:
    """An AWS::EFS::FileSystem of the template."""

    logical_id: str
    throughput_mode: str
    """bursting, elastic or provisioned."""
    lifecycle: tuple[str, ...]
    """Its LifecyclePolicies (TransitionToIA...), as written."""
    mount_targets: int


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class NodePool:
    """A Karpenter NodePool with the disk and max pods of its EC2NodeClass."""

    name: str
    requirements: tuple[Requirement, ...]
    cpu_limit: float | None
    """vCPUs; None: the pool has no CPU limit."""
    memory_limit_mib: float | None
    weight: int
    taints: tuple[Taint, ...]
    node_class: str
    disk_gib: int | None
    """EBS GiB per node from the EC2NodeClass; None when the class is not in the template."""
    max_pods: int

    def values(self, key: str) -> tuple[str, ...] | None:
        """The values of an ``In`` requirement on `key`, None if there is none."""
        for req in self.requirements:
            if req.key == key and req.operator == "In":
                return req.values
        return None

    @property
    def capacity_types(self) -> tuple[str, ...]:
        return self.values("karpenter.sh/capacity-type") or ("on-demand",)


@dataclass(frozen=True)
class FargateSelector:
    namespace: str
    labels: Mapping[str, str]

    def selects(self, namespace: str, labels: Mapping[str, str]) -> bool:
        return namespace == self.namespace and all(
            labels.get(k) == v for k, v in self.labels.items()
        )


@dataclass(frozen=True)
class FargateProfile:
    name: str
    selectors: tuple[FargateSelector, ...]

    def selects(self, namespace: str, labels: Mapping[str, str]) -> bool:
        return any(s.selects(namespace, labels) for s in self.selectors)


@dataclass(frozen=True)
class Workload:
    """Pods the environment runs: a Deployment of a manifest, or an add-on's pods."""

    name: str
    namespace: str
    replicas: int
    """At the baseline (an HPA's minReplicas, a CoreDNS autoscaler's minimum)."""
    max_replicas: int
    cpu_m: int
    """Per pod: the sum of its containers' requests (the largest init container if more)."""
    memory_mi: int
    labels: Mapping[str, str]
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Toleration, ...] = ()
    source: str = "manifest"


@dataclass(frozen=True)
class Quota:
    """A namespace's ResourceQuota: requests it allows in total."""

    namespace: str
    cpu: float | None
    memory_mib: float | None
    pods: int | None


@dataclass(frozen=True)
class LogGroup:
    logical_id: str
    kind: str
    """control_plane, flow_logs or other."""
    retention_days: int | None


@dataclass(frozen=True)
class KmsKey:
    logical_id: str
    rotation: bool


@dataclass(frozen=True)
class GuardDuty:
    """EKS protection that bills this account: from the template's detector, or, with
    ``security.guardduty.mode: existing``, the organisation's detector (config)."""

    runtime_monitoring: bool
    audit_logs: bool
    from_template: bool


@dataclass
class Inventory:
    """Everything :func:`read_inventory` found."""

    region: str
    cluster_name: str
    support_type: str
    """STANDARD or EXTENDED (UpgradePolicy.SupportType; EKS defaults to EXTENDED)."""
    control_plane_log_types: tuple[str, ...] = ()
    node_groups: list[NodeGroup] = field(default_factory=list)
    node_pools: list[NodePool] = field(default_factory=list)
    fargate_profiles: list[FargateProfile] = field(default_factory=list)
    workloads: list[Workload] = field(default_factory=list)
    quotas: dict[str, Quota] = field(default_factory=dict)
    nat_gateways: int = 0
    elastic_ips: int = 0
    interface_endpoints: list[tuple[str, int]] = field(default_factory=list)
    """(service name, number of subnets/AZs) per interface endpoint."""
    kms_keys: list[KmsKey] = field(default_factory=list)
    log_groups: list[LogGroup] = field(default_factory=list)
    guardduty: GuardDuty | None = None
    addons: frozenset[str] = frozenset()
    ingresses: int = 0
    """Ingress objects: each makes the Load Balancer Controller create an ALB (not priced)."""
    file_systems: list[FileSystem] = field(default_factory=list)
    storage_classes: list[StorageClass] = field(default_factory=list)
    """StorageClasses of the EFS and FSx CSI drivers (usage-priced volumes)."""
    skipped: list[str] = field(default_factory=list)
    """Manifests or values the reader could not interpret (printed as assumptions)."""


# -- small readers ---------------------------------------------------------------------------


def _quantity(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return float(quantity_value(str(value)))
    except ValueError:
        return None


def _millicores(value: Any) -> int:
    number = _quantity(value)
    return 0 if number is None else math.ceil(number * 1000)


def _mebibytes(value: Any) -> int:
    number = _quantity(value)
    return 0 if number is None else math.ceil(number / 2**20)


def _gibibytes(value: Any) -> int | None:
    """A Kubernetes size ("50Gi") or a bare number of GiB."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    number = _quantity(value)
    return None if number is None else math.ceil(number / 2**30)


def _tolerations(raw: Any) -> tuple[Toleration, ...]:
    out = []
    for item in as_list(raw):
        if isinstance(item, Mapping):
            out.append(
                Toleration(
                    key=item.get("key"),
                    operator=str(item.get("operator", "Equal")),
                    value=item.get("value"),
                    effect=item.get("effect"),
                )
            )
    return tuple(out)


def _pod_requests(pod_spec: Mapping[str, Any]) -> tuple[int, int]:
    """(millicores, MiB) a pod requests: its containers summed, or its largest init
    container if that is more (what the scheduler and Fargate count)."""

    def requests(container: Any) -> tuple[int, int]:
        req = dig(container, "resources", "requests") or {}
        return _millicores(req.get("cpu")), _mebibytes(req.get("memory"))

    main = [requests(c) for c in as_list(pod_spec.get("containers"))]
    init = [requests(c) for c in as_list(pod_spec.get("initContainers"))]
    cpu = sum(c for c, _ in main)
    memory = sum(m for _, m in main)
    if init:
        cpu = max(cpu, max(c for c, _ in init))
        memory = max(memory, max(m for _, m in init))
    return cpu, memory


def _arch_of_ami(ami_type: str | None) -> str | None:
    if not ami_type:
        return None
    upper = ami_type.upper()
    if "ARM" in upper:
        return "arm64"
    if "X86" in upper or upper in {"AL2023_X86_64_STANDARD", "AL2_X86_64"}:
        return "amd64"
    return None


def _effect(value: str) -> str:
    """EKS API taint effects (NO_SCHEDULE) as Kubernetes writes them (NoSchedule)."""
    return {
        "NO_SCHEDULE": "NoSchedule",
        "PREFER_NO_SCHEDULE": "PreferNoSchedule",
        "NO_EXECUTE": "NoExecute",
    }.get(value, value)


# -- the reader ------------------------------------------------------------------------------


def read_inventory(inputs: PlanInputs) -> Inventory:
    """Read the environment's stacks (and the config where the template does not say)."""
    config = inputs.config
    region = next((s.region for s in inputs.stacks if s.region), None) or config.region
    cluster = next((p for _, _, p in inputs.properties("AWS::EKS::Cluster")), {})
    support = literal(dig(cluster, "UpgradePolicy", "SupportType"))
    log_types = tuple(
        str(t.get("Type"))
        for t in as_list(dig(cluster, "Logging", "ClusterLogging", "EnabledTypes"))
        if isinstance(t, Mapping) and t.get("Type")
    )
    inventory = Inventory(
        region=region,
        cluster_name=literal(cluster.get("Name")) or config.cluster.name,
        # UpgradePolicy left out: EKS's default is EXTENDED (the costlier one).
        support_type=(support or "EXTENDED").upper(),
        control_plane_log_types=log_types,
    )
    _read_network(inputs, inventory)
    _read_node_groups(inputs, inventory)
    _read_self_managed_groups(inputs, inventory)
    _read_file_systems(inputs, inventory)
    _read_fargate(inputs, inventory)
    _read_manifests(inputs, inventory)
    _read_addon_pods(inputs, inventory)
    _read_security(inputs, inventory)
    return inventory


def _read_network(inputs: PlanInputs, inventory: Inventory) -> None:
    inventory.nat_gateways = sum(1 for _ in inputs.resources("AWS::EC2::NatGateway"))
    inventory.elastic_ips = sum(1 for _ in inputs.resources("AWS::EC2::EIP"))
    for _, logical_id, props in inputs.properties("AWS::EC2::VPCEndpoint"):
        if props.get("VpcEndpointType") != "Interface":
            continue
        service = render_text(props.get("ServiceName")) or logical_id
        # com.amazonaws.<region>.ecr.api -> ecr.api
        short = service.split(".", 3)[3] if service.startswith("com.amazonaws.") else service
        inventory.interface_endpoints.append((short, max(1, len(as_list(props.get("SubnetIds"))))))
    flow_groups = set()
    for _, _, props in inputs.properties("AWS::EC2::FlowLog"):
        if props.get("LogDestinationType", "cloud-watch-logs") == "cloud-watch-logs":
            group = props.get("LogGroupName")
            if isinstance(group, Mapping) and isinstance(group.get("Ref"), str):
                flow_groups.add(group["Ref"])
    for _, logical_id, props in inputs.properties("AWS::Logs::LogGroup"):
        name = literal(props.get("LogGroupName")) or ""
        if logical_id in flow_groups:
            kind = "flow_logs"
        elif name.startswith("/aws/eks/") and name.endswith("/cluster"):
            kind = "control_plane"
        else:
            kind = "other"
        inventory.log_groups.append(
            LogGroup(logical_id, kind, as_int(props.get("RetentionInDays")))
        )
    for _, logical_id, props in inputs.properties("AWS::KMS::Key"):
        rotation = props.get("EnableKeyRotation") in (True, "true")
        inventory.kms_keys.append(KmsKey(logical_id, rotation))


def _launch_template_disk(
    inputs: PlanInputs, props: Mapping[str, Any], ref: Any = None
) -> int | None:
    """GiB of every EBS volume of the launch template `ref` (default: the node group's
    ``LaunchTemplate.Id``) names, None when it names none with sizes."""
    if ref is None:
        ref = dig(props, "LaunchTemplate", "Id")
    target = ref.get("Ref") if isinstance(ref, Mapping) else None
    if not isinstance(target, str):
        return None
    for stack in inputs.stacks:
        resource = stack.resources.get(target)
        if resource and resource.get("Type") == "AWS::EC2::LaunchTemplate":
            mappings = dig(resource, "Properties", "LaunchTemplateData", "BlockDeviceMappings")
            sizes = [as_int(dig(m, "Ebs", "VolumeSize")) for m in as_list(mappings)]
            known = [s for s in sizes if s is not None]
            return sum(known) if known else None
    return None


def _read_node_groups(inputs: PlanInputs, inventory: Inventory) -> None:
    for _, logical_id, props in inputs.properties("AWS::EKS::Nodegroup"):
        labels = {
            str(k): str(v) for k, v in (props.get("Labels") or {}).items() if isinstance(v, str)
        }
        scaling = props.get("ScalingConfig") or {}
        min_size = as_int(scaling.get("MinSize"))
        max_size = as_int(scaling.get("MaxSize"))
        desired = as_int(scaling.get("DesiredSize"))
        taints = tuple(
            Taint(str(t.get("Key")), t.get("Value"), _effect(str(t.get("Effect", ""))))
            for t in as_list(props.get("Taints"))
            if isinstance(t, Mapping)
        )
        types = tuple(str(t) for t in as_list(props.get("InstanceTypes")) if isinstance(t, str))
        disk = _launch_template_disk(inputs, props)
        if disk is None:
            disk = as_int(props.get("DiskSize")) or DEFAULT_NODE_GROUP_DISK_GIB
        inventory.node_groups.append(
            NodeGroup(
                name=labels.get("eks-blueprint/node-group")
                or literal(props.get("NodegroupName"))
                or logical_id,
                logical_id=logical_id,
                # EKS launches t3.medium when neither the group nor a launch template names one.
                instance_types=types or ("t3.medium",),
                min_size=min_size if min_size is not None else (desired or 1),
                max_size=max_size if max_size is not None else (desired or 1),
                capacity_type=str(props.get("CapacityType") or "ON_DEMAND"),
                arch=_arch_of_ami(literal(props.get("AmiType"))),
                labels=labels,
                taints=taints,
                disk_gib=disk,
                ami_type=literal(props.get("AmiType")) or "",
            )
        )


#: Auto Scaling groups with this tag prefix (``kubernetes.io/cluster/<name>: owned``) are
#: a cluster's self-managed nodes.
_CLUSTER_TAG_PREFIX = "kubernetes.io/cluster/"


def _launch_template_data(inputs: PlanInputs, ref: Any) -> Mapping[str, Any]:
    target = ref.get("Ref") if isinstance(ref, Mapping) else None
    for stack in inputs.stacks:
        resource = stack.resources.get(target) if isinstance(target, str) else None
        if resource and resource.get("Type") == "AWS::EC2::LaunchTemplate":
            data = dig(resource, "Properties", "LaunchTemplateData")
            return data if isinstance(data, Mapping) else {}
    return {}


def _read_self_managed_groups(inputs: PlanInputs, inventory: Inventory) -> None:
    """The cluster's Auto Scaling groups: sizes, instance types (the MixedInstancesPolicy's
    overrides, or the launch template's InstanceType) and EBS volumes from the template; the
    labels and taints the kubelet registers (in the user data) from the config's
    ``compute.self_managed_node_groups`` entry of the same name."""
    configured = {g.name: g for g in inputs.config.compute.self_managed_node_groups}
    for _, logical_id, props in inputs.properties("AWS::AutoScaling::AutoScalingGroup"):
        tags = {
            str(t.get("Key")): str(t.get("Value"))
            for t in as_list(props.get("Tags"))
            if isinstance(t, Mapping)
        }
        if not any(key.startswith(_CLUSTER_TAG_PREFIX) for key in tags):
            continue
        mixed = dig(props, "MixedInstancesPolicy", "LaunchTemplate") or {}
        ref = dig(mixed, "LaunchTemplateSpecification", "LaunchTemplateId") or dig(
            props, "LaunchTemplate", "LaunchTemplateId"
        )
        data = _launch_template_data(inputs, ref)
        types = tuple(
            str(o.get("InstanceType"))
            for o in as_list(mixed.get("Overrides"))
            if isinstance(o, Mapping) and isinstance(o.get("InstanceType"), str)
        ) or tuple(t for t in [literal(data.get("InstanceType"))] if t)
        min_size = as_int(props.get("MinSize"))
        max_size = as_int(props.get("MaxSize"))
        name = tags.get("Name", logical_id).removesuffix("-node")
        config = configured.get(name)
        facts = instance_type(types[0]) if types else None
        arch = None
        if facts is not None and len(facts.architectures) == 1:
            arch = {"x86_64": "amd64", "arm64": "arm64"}.get(facts.architectures[0])
        inventory.node_groups.append(
            NodeGroup(
                name=name,
                logical_id=logical_id,
                instance_types=types,
                min_size=min_size if min_size is not None else 0,
                max_size=max_size if max_size is not None else (min_size or 0),
                capacity_type="ON_DEMAND",
                arch=arch,
                labels={"eks-blueprint/node-group": name, **(config.labels if config else {})},
                taints=tuple(
                    Taint(t.key, t.value, t.effect) for t in (config.taints if config else ())
                ),
                disk_gib=_launch_template_disk(inputs, props, ref) or 0,
                self_managed=True,
            )
        )
        if not types:
            inventory.skipped.append(
                f"Auto Scaling group {logical_id}: no instance type in its launch template or "
                "MixedInstancesPolicy; its nodes are not priced"
            )


def _read_file_systems(inputs: PlanInputs, inventory: Inventory) -> None:
    mounts: dict[str, int] = {}
    for _, _, props in inputs.properties("AWS::EFS::MountTarget"):
        ref = props.get("FileSystemId")
        if isinstance(ref, Mapping) and isinstance(ref.get("Ref"), str):
            mounts[ref["Ref"]] = mounts.get(ref["Ref"], 0) + 1
    for _, logical_id, props in inputs.properties("AWS::EFS::FileSystem"):
        inventory.file_systems.append(
            FileSystem(
                logical_id=logical_id,
                throughput_mode=literal(props.get("ThroughputMode")) or "bursting",
                lifecycle=tuple(
                    f"{k} {v}"
                    for policy in as_list(props.get("LifecyclePolicies"))
                    if isinstance(policy, Mapping)
                    for k, v in policy.items()
                ),
                mount_targets=mounts.get(logical_id, 0),
            )
        )


def _read_fargate(inputs: PlanInputs, inventory: Inventory) -> None:
    for _, logical_id, props in inputs.properties("AWS::EKS::FargateProfile"):
        selectors = []
        for sel in as_list(props.get("Selectors")):
            if not isinstance(sel, Mapping):
                continue
            labels = {
                str(item.get("Key")): str(item.get("Value"))
                for item in as_list(sel.get("Labels"))
                if isinstance(item, Mapping)
            }
            selectors.append(FargateSelector(str(sel.get("Namespace")), labels))
        # No name in the template: the logical id without CDK's hash suffix.
        name = literal(props.get("FargateProfileName")) or re.sub(r"[0-9A-F]{8}$", "", logical_id)
        inventory.fargate_profiles.append(FargateProfile(name, tuple(selectors)))


def _read_manifests(inputs: PlanInputs, inventory: Inventory) -> None:
    classes: dict[str, dict[str, Any]] = {}
    pools: list[dict[str, Any]] = []
    hpa_min: dict[tuple[str, str], tuple[int, int]] = {}
    deployments: list[dict[str, Any]] = []
    for item in manifest_objects(inputs.stacks):
        obj, kind = item.body, item.kind
        namespace = item.namespace or "default"
        if kind == "EC2NodeClass":
            classes[item.name] = item.spec
        elif kind == "NodePool":
            pools.append(obj)
        elif kind == "Deployment":
            deployments.append(obj)
        elif kind == "Ingress":
            inventory.ingresses += 1
        elif kind == "StorageClass" and str(obj.get("provisioner")) in USAGE_PRICED_DRIVERS:
            parameters = obj.get("parameters") or {}
            inventory.storage_classes.append(
                StorageClass(
                    name=item.name,
                    provisioner=str(obj.get("provisioner")),
                    parameters={str(k): str(v) for k, v in parameters.items()},
                )
            )
        elif kind == "HorizontalPodAutoscaler":
            spec = item.spec
            target = dig(spec, "scaleTargetRef", "name")
            if dig(spec, "scaleTargetRef", "kind") == "Deployment" and isinstance(target, str):
                hpa_min[(namespace, target)] = (
                    as_int(spec.get("minReplicas")) or 1,
                    as_int(spec.get("maxReplicas")) or 1,
                )
        elif kind == "ResourceQuota":
            hard = dig(obj, "spec", "hard") or {}
            cpu = _quantity(hard.get("requests.cpu", hard.get("cpu")))
            memory = _quantity(hard.get("requests.memory", hard.get("memory")))
            inventory.quotas[namespace] = Quota(
                namespace=namespace,
                cpu=cpu,
                memory_mib=None if memory is None else memory / 2**20,
                pods=as_int(hard.get("pods")),
            )
    for obj in pools:
        inventory.node_pools.append(_node_pool(obj, classes, inventory))
    for obj in deployments:
        meta = obj.get("metadata") or {}
        namespace = str(meta.get("namespace", "default"))
        name = str(meta.get("name"))
        spec = obj.get("spec") or {}
        pod = dig(spec, "template", "spec") or {}
        cpu, memory = _pod_requests(pod)
        replicas = as_int(spec.get("replicas"))
        low, high = hpa_min.get((namespace, name), (replicas or 1, replicas or 1))
        inventory.workloads.append(
            Workload(
                name=name,
                namespace=namespace,
                replicas=low,
                max_replicas=max(low, high),
                cpu_m=cpu,
                memory_mi=memory,
                labels={
                    str(k): str(v)
                    for k, v in (dig(spec, "template", "metadata", "labels") or {}).items()
                },
                node_selector={str(k): str(v) for k, v in (pod.get("nodeSelector") or {}).items()},
                tolerations=_tolerations(pod.get("tolerations")),
            )
        )


def _node_pool(obj: Mapping[str, Any], classes: Mapping[str, Any], inv: Inventory) -> NodePool:
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    template = dig(spec, "template", "spec") or {}
    requirements = tuple(
        Requirement(
            str(r.get("key")),
            str(r.get("operator")),
            tuple(str(v) for v in as_list(r.get("values"))),
        )
        for r in as_list(template.get("requirements"))
        if isinstance(r, Mapping)
    )
    limits = spec.get("limits") or {}
    memory = _quantity(limits.get("memory"))
    class_name = str(dig(template, "nodeClassRef", "name") or "default")
    node_class = classes.get(class_name)
    disk: int | None = None
    max_pods = DEFAULT_MAX_PODS
    if node_class is not None:
        sizes = [
            _gibibytes(dig(m, "ebs", "volumeSize"))
            for m in as_list(node_class.get("blockDeviceMappings"))
        ]
        known = [s for s in sizes if s is not None]
        # No blockDeviceMappings: Karpenter's AL2023 default is one 20 GiB gp3 root volume.
        disk = sum(known) if known else 20
        max_pods = as_int(dig(node_class, "kubelet", "maxPods")) or DEFAULT_MAX_PODS
    else:
        inv.skipped.append(
            f"NodePool {meta.get('name')}: EC2NodeClass {class_name} is not in the template; "
            "its disks are not priced"
        )
    taints = tuple(
        Taint(str(t.get("key")), t.get("value"), str(t.get("effect")))
        for t in as_list(template.get("taints"))
        if isinstance(t, Mapping)
    )
    return NodePool(
        name=str(meta.get("name")),
        requirements=requirements,
        cpu_limit=_quantity(limits.get("cpu")),
        memory_limit_mib=None if memory is None else memory / 2**20,
        weight=as_int(spec.get("weight")) or 0,
        taints=taints,
        node_class=class_name,
        disk_gib=disk,
        max_pods=max_pods,
    )


def _helm_values(inputs: PlanInputs, chart: str) -> dict[str, Any] | None:
    """The values of the first release of `chart`; None when no release installs it."""
    return next((h.values for h in helm_releases(inputs.stacks) if h.chart == chart), None)


def _read_addon_pods(inputs: PlanInputs, inventory: Inventory) -> None:
    """The pods of add-ons whose requests the template carries: CoreDNS (EKS add-on
    configuration) and the Karpenter controller (Helm values). The other platform pods
    are modelled from the config by the plan (their requests are not in the template)."""
    addons: set[str] = set()
    for _, _, props in inputs.properties("AWS::EKS::Addon"):
        name = literal(props.get("AddonName"))
        if not name:
            continue
        addons.add(name)
        if name != "coredns":
            continue
        conf = parse_json_text(props.get("ConfigurationValues")) or {}
        auto = conf.get("autoScaling") or {}
        if auto.get("enabled") in (True, "true"):
            low = as_int(auto.get("minReplicas")) or 2
            high = as_int(auto.get("maxReplicas")) or low
        else:
            low = high = as_int(conf.get("replicaCount")) or 2
        inventory.workloads.append(
            Workload(
                name="coredns",
                namespace="kube-system",
                replicas=low,
                max_replicas=max(low, high),
                cpu_m=COREDNS.cpu_m,
                memory_mi=COREDNS.memory_mi,
                labels={"k8s-app": "kube-dns"},
                tolerations=(
                    *_tolerations(conf.get("tolerations")),
                    Toleration("CriticalAddonsOnly", "Exists", None, None),
                ),
                source="EKS add-on coredns",
            )
        )
    inventory.addons = frozenset(addons)
    values = _helm_values(inputs, "karpenter")
    if values is not None:
        requests = dig(values, "controller", "resources", "requests") or {}
        replicas = as_int(values.get("replicas")) or KARPENTER_DEFAULT_REPLICAS
        inventory.workloads.append(
            Workload(
                name="karpenter",
                namespace="kube-system",
                replicas=replicas,
                max_replicas=replicas,
                cpu_m=_millicores(requests.get("cpu", "1")),
                memory_mi=_mebibytes(requests.get("memory", "1Gi")),
                labels={"app.kubernetes.io/name": "karpenter"},
                node_selector={
                    str(k): str(v) for k, v in (values.get("nodeSelector") or {}).items()
                },
                tolerations=_tolerations(values.get("tolerations")),
                source="Helm chart karpenter",
            )
        )


def _read_security(inputs: PlanInputs, inventory: Inventory) -> None:
    detectors = [p for _, _, p in inputs.properties("AWS::GuardDuty::Detector")]
    if detectors:
        enabled = {
            str(f.get("Name"))
            for d in detectors
            for f in as_list(d.get("Features"))
            if isinstance(f, Mapping) and f.get("Status") == "ENABLED"
        }
        inventory.guardduty = GuardDuty(
            runtime_monitoring=bool({"RUNTIME_MONITORING", "EKS_RUNTIME_MONITORING"} & enabled),
            audit_logs="EKS_AUDIT_LOGS" in enabled,
            from_template=True,
        )
    elif inputs.config.security.guardduty.mode == "existing":
        inventory.guardduty = GuardDuty(
            runtime_monitoring=True, audit_logs=True, from_template=False
        )
