"""EC2 instance types as data: vCPUs, memory, architecture, Nitro, ENIs and addresses.

The table (``data/instance_types.json``) is what the offline plans (IP capacity, cost) and
the node settings (max pods) read, so synth and plans need no EC2 call. Its ``source`` and
``taken`` fields say where it came from; ``scripts/refresh_instance_types.py`` rebuilds it
(ENIs, addresses per ENI, hypervisor and bare metal from the VPC CNI's own limits file,
vCPUs, memory and architectures from EC2 DescribeInstanceTypes).

Max pods per node, in each VPC CNI mode (:data:`CniMode`), follow the EKS max-pods
calculator (awslabs/amazon-eks-ami ``templates/al2/runtime/max-pods-calculator.sh``):

* secondary IPs: ``ENIs x (IPv4 per ENI - 1) + 2`` (each ENI's primary address is not a
  pod's; the 2 are the host-network pods aws-node and kube-proxy);
* prefix delegation: ``ENIs x (IPv4 per ENI - 1) x 16 + 2``: each address slot holds a /28
  prefix of 16 addresses. Only where the VPC CNI delegates prefixes: Nitro instances and
  bare metal (``IsPrefixDelegationSupported`` in the CNI's ``pkg/awsutils``; elsewhere the
  CNI falls back to secondary IPs). The calculator itself treats bare metal as secondary
  IPs; this table follows the CNI, which is what hands out the addresses;
* custom networking: the primary ENI carries no pods, so ``ENIs - 1`` in either formula.

ENIs are the CNI's ``ENILimit``: the default network card's interfaces (the CNI uses only
that card). :meth:`InstanceType.eni_max_pods` is that raw count (the calculator's
``--show-max-allowed``); :meth:`InstanceType.max_pods` the value EKS recommends for the
kubelet, capped at 110 up to 30 vCPUs and 250 above (the calculator's ``CPU_COUNT -gt 30``;
no type in the table has exactly 30 vCPUs).

:func:`karpenter_labels` and :func:`matching_types` evaluate a Karpenter NodePool's
requirements against the table (which instance types could the pool launch?).

Pure Python: no ``aws_cdk``.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Final, Literal

DATA_FILE = "instance_types.json"

CniMode = Literal["secondary-ip", "prefix", "custom-networking", "custom-networking+prefix"]
"""How the VPC CNI gives pods addresses: individual secondary IPs (its default), /28
prefixes (``ENABLE_PREFIX_DELEGATION``), custom networking (pods in the subnets of an
ENIConfig, ``AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG``), or custom networking with prefixes."""
CNI_MODES: Final[tuple[CniMode, ...]] = (
    "secondary-ip",
    "prefix",
    "custom-networking",
    "custom-networking+prefix",
)

#: Addresses in one delegated IPv4 prefix (a /28).
IPS_PER_PREFIX: Final = 16
#: Pods on every node that use the node's address, not one of their own (aws-node and
#: kube-proxy): the ``+ 2`` of the max-pods formulas.
HOST_NETWORK_PODS: Final = 2
#: The EKS-recommended ceiling of max pods up to LARGE_NODE_MIN_VCPUS - 1 vCPUs, and above.
SMALL_NODE_MAX_PODS: Final = 110
LARGE_NODE_MAX_PODS: Final = 250
#: The calculator applies the 250 ceiling from 31 vCPUs (``CPU_COUNT -gt 30``).
LARGE_NODE_MIN_VCPUS: Final = 31

#: Karpenter's instance-type name scheme: category, an optional `-<n>tb`, generation
#: (aws/karpenter-provider-aws pkg/providers/instancetype/types.go, instanceTypeScheme).
_KARPENTER_SCHEME = re.compile(r"(^[a-z]+)(\-[0-9]+tb)?([0-9]+).*\.")
#: EC2 architecture names -> Kubernetes `kubernetes.io/arch` values.
_KUBERNETES_ARCH: Final = {"x86_64": "amd64", "arm64": "arm64"}


def cni_mode(*, prefix_delegation: bool, custom_networking: bool) -> CniMode:
    """The mode of a VPC CNI with these two settings."""
    if custom_networking:
        return "custom-networking+prefix" if prefix_delegation else "custom-networking"
    return "prefix" if prefix_delegation else "secondary-ip"


class NamedInstanceType:
    """The family and size of an instance type name (``m7g`` and ``xlarge`` of
    ``m7g.xlarge``), for every record that carries one in `name` (this table's, the price
    table's)."""

    name: str

    @property
    def family(self) -> str:
        return self.name.partition(".")[0]

    @property
    def size(self) -> str:
        return self.name.partition(".")[2]


@dataclass(frozen=True)
class InstanceType(NamedInstanceType):
    """One EC2 instance type's facts that pod density, IP plans and costs depend on."""

    name: str
    vcpus: int
    memory_mib: int
    architectures: tuple[str, ...]
    """EC2 names: ``x86_64``, ``arm64`` (``i386`` never matters here)."""
    nitro: bool
    """EC2 reports the Nitro hypervisor (Karpenter's `instance-hypervisor` is `nitro`)."""
    max_enis: int
    """Network interfaces the VPC CNI uses: the default network card's (``ENILimit``)."""
    ipv4_per_eni: int
    """IPv4 addresses per interface, the primary included."""
    bare_metal: bool = False
    hypervisor: str = ""
    """EC2's hypervisor: ``nitro``, ``xen``, or ``""`` where EC2 names none (bare metal)."""
    network_cards: int = 1

    @property
    def category(self) -> str | None:
        """Karpenter's `instance-category` (``c`` of c7gn.large), None if the name does not
        follow the scheme."""
        match = _KARPENTER_SCHEME.match(self.name)
        return match.group(1) if match else None

    @property
    def generation(self) -> int | None:
        """Karpenter's `instance-generation` (7 of c7gn.large)."""
        match = _KARPENTER_SCHEME.match(self.name)
        return int(match.group(3)) if match else None

    @property
    def prefix_delegation(self) -> bool:
        """The VPC CNI delegates /28 prefixes on this type (Nitro or bare metal)."""
        return self.nitro or self.bare_metal

    @property
    def pod_ceiling(self) -> int:
        """The EKS-recommended ceiling of max pods for this many vCPUs (110 or 250)."""
        return LARGE_NODE_MAX_PODS if self.vcpus >= LARGE_NODE_MIN_VCPUS else SMALL_NODE_MAX_PODS

    def pod_enis(self, mode: CniMode) -> int:
        """ENIs that carry pod addresses: all, or all but the primary with custom networking."""
        return self.max_enis - 1 if mode.startswith("custom") else self.max_enis

    def uses_prefixes(self, mode: CniMode) -> bool:
        """Whether nodes of this type get /28 prefixes in `mode` (the CNI falls back to
        secondary IPs where it cannot delegate prefixes)."""
        return mode.endswith("prefix") and self.prefix_delegation

    def eni_max_pods(self, mode: CniMode) -> int | None:
        """The most pods the addresses allow in `mode` (the formula, no ceiling); None for a
        prefix mode on a type without prefix delegation."""
        if mode.endswith("prefix") and not self.prefix_delegation:
            return None
        per_slot = IPS_PER_PREFIX if mode.endswith("prefix") else 1
        return self.pod_enis(mode) * (self.ipv4_per_eni - 1) * per_slot + HOST_NETWORK_PODS

    def max_pods(self, mode: CniMode) -> int | None:
        """The EKS-recommended max pods in `mode`: `eni_max_pods` capped at `pod_ceiling`."""
        raw = self.eni_max_pods(mode)
        return None if raw is None else min(raw, self.pod_ceiling)

    def effective_max_pods(
        self, *, prefix_delegation: bool, custom_networking: bool = False
    ) -> int:
        """What a node of this type gets from a CNI with these settings: prefixes where
        the type supports them, secondary IPs otherwise (the CNI's fallback)."""
        mode = cni_mode(
            prefix_delegation=prefix_delegation and self.prefix_delegation,
            custom_networking=custom_networking,
        )
        value = self.max_pods(mode)
        assert value is not None  # a prefix mode is only chosen where supported
        return value


@dataclass(frozen=True)
class InstanceTable:
    """The whole table with its provenance."""

    source: str
    taken: str
    """ISO date the data was taken."""
    types: Mapping[str, InstanceType]


def _parse(raw: Mapping[str, Any]) -> InstanceTable:
    types: dict[str, InstanceType] = {}
    for name, row in raw["types"].items():
        nitro = bool(row["nitro"])
        hypervisor = str(row.get("hypervisor", "nitro" if nitro else ""))
        if nitro != (hypervisor == "nitro"):
            raise ValueError(
                f"{DATA_FILE}: {name}: nitro {nitro} but hypervisor {hypervisor!r}; rebuild the "
                "table with scripts/refresh_instance_types.py"
            )
        types[name] = InstanceType(
            name=name,
            vcpus=int(row["vcpus"]),
            memory_mib=int(row["memory_mib"]),
            architectures=tuple(row["architectures"]),
            nitro=nitro,
            max_enis=int(row["max_enis"]),
            ipv4_per_eni=int(row["ipv4_per_eni"]),
            bare_metal=bool(row.get("bare_metal", False)),
            hypervisor=hypervisor,
            network_cards=int(row.get("network_cards", 1)),
        )
    return InstanceTable(source=str(raw["source"]), taken=str(raw["taken"]), types=types)


@cache
def instance_table() -> InstanceTable:
    """The packaged table, read once."""
    text = resources.files(__package__).joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    return _parse(json.loads(text))


def instance_type(name: str) -> InstanceType | None:
    """The facts of `name` (e.g. ``m7g.xlarge``), None if the table does not list it."""
    return instance_table().types.get(name)


# -- Karpenter's view of the table -----------------------------------------------------------

#: The requirement keys `karpenter_labels` answers from the table.
TABLE_LABELS: Final[tuple[str, ...]] = (
    "node.kubernetes.io/instance-type",
    "kubernetes.io/arch",
    "karpenter.k8s.aws/instance-category",
    "karpenter.k8s.aws/instance-generation",
    "karpenter.k8s.aws/instance-family",
    "karpenter.k8s.aws/instance-size",
    "karpenter.k8s.aws/instance-cpu",
    "karpenter.k8s.aws/instance-memory",
    "karpenter.k8s.aws/instance-hypervisor",
)
#: Label prefixes of keys Karpenter derives from the instance type itself; a requirement on
#: one the table cannot answer (GPU, local NVMe, bandwidth...) is left unevaluated.
_TYPE_LABEL_PREFIX = "karpenter.k8s.aws/instance-"


def karpenter_labels(t: InstanceType) -> dict[str, tuple[str, ...]]:
    """The well-known labels Karpenter gives a node of `t` that the table can answer (as
    in aws/karpenter-provider-aws computeRequirements), each as its possible values."""
    labels: dict[str, tuple[str, ...]] = {
        "node.kubernetes.io/instance-type": (t.name,),
        "kubernetes.io/arch": tuple(
            _KUBERNETES_ARCH[a] for a in t.architectures if a in _KUBERNETES_ARCH
        ),
        "karpenter.k8s.aws/instance-family": (t.family,),
        "karpenter.k8s.aws/instance-size": (t.size,),
        "karpenter.k8s.aws/instance-cpu": (str(t.vcpus),),
        "karpenter.k8s.aws/instance-memory": (str(t.memory_mib),),
        "karpenter.k8s.aws/instance-hypervisor": (t.hypervisor,),
    }
    if t.category is not None and t.generation is not None:
        labels["karpenter.k8s.aws/instance-category"] = (t.category,)
        labels["karpenter.k8s.aws/instance-generation"] = (str(t.generation),)
    return labels


class RequirementError(ValueError):
    """A NodePool requirement this module cannot read (an unknown operator, a bound that is
    not an integer)."""


def _as_int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


#: The numeric operators of the karpenter.sh/v1 NodePool CRD (Karpenter 1.8 allows In,
#: NotIn, Exists, DoesNotExist, Gt and Lt; there is no Gte/Lte, so they are unknown here).
_COMPARISONS: Final[dict[str, Callable[[int, int], bool]]] = {
    "Gt": operator.gt,
    "Lt": operator.lt,
}


def _matches(op: str, present: tuple[str, ...] | None, values: list[str], key: str) -> bool:
    if op == "In":
        return present is not None and any(v in values for v in present)
    if op == "NotIn":
        return present is None or all(v not in values for v in present)
    if op == "Exists":
        return present is not None
    if op == "DoesNotExist":
        return present is None
    if op in _COMPARISONS:
        bound = _as_int(values[0]) if len(values) == 1 else None
        if bound is None:
            raise RequirementError(f"{key} {op} {values}: needs one integer value")
        numbers = [n for n in (_as_int(v) for v in present or ()) if n is not None]
        compare = _COMPARISONS[op]
        return any(compare(n, bound) for n in numbers)
    raise RequirementError(f"{key}: unknown operator {op!r}")


@dataclass(frozen=True)
class RequirementMatch:
    """The table's types a set of NodePool requirements allows."""

    types: tuple[InstanceType, ...]
    unevaluated: tuple[str, ...]
    """Requirement keys on instance-type labels the table cannot answer; they were ignored,
    so `types` may hold more than the pool can launch (a superset: smaller types and lower
    max pods than the real set, which errs on the safe side for node counts and maxPods)."""


def matching_types(
    requirements: Iterable[Mapping[str, Any]],
    table: Iterable[InstanceType] | None = None,
) -> RequirementMatch:
    """The types of `table` (default: the packaged table) a NodePool's
    ``spec.template.spec.requirements`` allow. Keys that do not depend on the instance type
    (capacity type, OS, zone, the pool's own labels) do not filter.

    Raises RequirementError for an operator or bound it cannot evaluate.
    """
    checks: list[tuple[str, str, list[str]]] = []
    unevaluated: list[str] = []
    for requirement in requirements:
        key = str(requirement.get("key", ""))
        op = str(requirement.get("operator", ""))
        values = [str(v) for v in requirement.get("values") or []]
        if key in TABLE_LABELS:
            checks.append((key, op, values))
        elif key.startswith(_TYPE_LABEL_PREFIX) and key not in unevaluated:
            unevaluated.append(key)
    candidates = _by_name() if table is None else sorted(table, key=lambda t: t.name)
    allowed = tuple(
        t
        for t in candidates
        if all(_matches(op, _labels(t).get(key), values, key) for key, op, values in checks)
    )
    return RequirementMatch(types=allowed, unevaluated=tuple(unevaluated))


@cache
def _by_name() -> tuple[InstanceType, ...]:
    """The packaged table's types by name (the plans match them for every NodePool)."""
    return tuple(sorted(instance_table().types.values(), key=lambda t: t.name))


@cache
def _labels(t: InstanceType) -> dict[str, tuple[str, ...]]:
    """:func:`karpenter_labels` of `t`, computed once (read, never changed, here)."""
    return karpenter_labels(t)


# -- accelerators and operating systems: what an AMI type can drive -----------------------

Accelerator = Literal["nvidia", "neuron", "other"]
"""What accelerates an instance type: NVIDIA GPUs, AWS Neuron (Inferentia, Trainium), or
something no EKS-optimized AMI drives (g4ad's AMD GPUs, dl1's Gaudi, FPGAs...)."""


@dataclass(frozen=True)
class Gpu:
    """The GPUs of one instance type."""

    manufacturer: Literal["nvidia", "amd"]
    name: str
    """Karpenter's `instance-gpu-name`, e.g. l4."""
    count: int
    """GPUs per instance (what `nvidia.com/gpu` can request at most on one node)."""


#: GPU family -> (manufacturer, GPU name, size -> GPU count): Karpenter's
#: `karpenter.k8s.aws/instance-gpu-manufacturer`, `-gpu-name` and `-gpu-count` labels, from
#: aws/karpenter-provider-aws website/content/en/docs/reference/instance-types.md at
#: 692ccdd0629e (2026-07-11; generated from EC2 DescribeInstanceTypes), the same file the
#: table's vCPUs come from. The families of the EKS GPU guide's examples, and g4ad (AMD).
_ONE_GPU: Final = ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")
_GPUS: Final[dict[str, tuple[Literal["nvidia", "amd"], str, dict[str, int]]]] = {
    "g4ad": ("amd", "radeon-pro-v520", {"xlarge": 1, "2xlarge": 1, "4xlarge": 1,
                                        "8xlarge": 2, "16xlarge": 4}),
    "g4dn": ("nvidia", "t4", {**dict.fromkeys(_ONE_GPU, 1), "12xlarge": 4, "metal": 8}),
    "g5": ("nvidia", "a10g", {**dict.fromkeys(_ONE_GPU, 1), "12xlarge": 4, "24xlarge": 4,
                              "48xlarge": 8}),
    "g5g": ("nvidia", "t4g", {**dict.fromkeys(_ONE_GPU[:4], 1), "16xlarge": 2, "metal": 2}),
    "g6": ("nvidia", "l4", {**dict.fromkeys(_ONE_GPU, 1), "12xlarge": 4, "24xlarge": 4,
                            "48xlarge": 8}),
    "g6e": ("nvidia", "l40s", {**dict.fromkeys(_ONE_GPU, 1), "12xlarge": 4, "24xlarge": 4,
                               "48xlarge": 8}),
    "p4d": ("nvidia", "a100", {"24xlarge": 8}),
    "p5": ("nvidia", "h100", {"4xlarge": 1, "48xlarge": 8}),
}  # fmt: skip

#: Families the EKS-optimized NVIDIA AMIs (AL2023 and Bottlerocket, x86_64 and arm64)
#: support: EKS user guide, ml-eks-optimized-ami ("Use EKS-optimized accelerated AMIs for GPU
#: instances", the variant table), plus every family Karpenter's reference labels with
#: instance-gpu-manufacturer nvidia (g7, the same file as _GPUS).
NVIDIA_FAMILIES: Final = frozenset({
    "p6-b300", "p6-b200", "p6e-gb200", "p6e-gb300", "p5", "p5e", "p5en", "p4d", "p4de", "p3",
    "p3dn", "g7", "g7e", "gr6", "g6", "g6e", "g6f", "gr6f", "g5", "g5g", "g4dn",
})  # fmt: skip
#: Neuron families (the same EKS table: AL2023 x86_64 Neuron and standard Bottlerocket
#: x86_64 support inf1, inf2, trn1, trn2; trn1n is a trn1 variant).
_NEURON_FAMILY: Final = re.compile(r"(inf|trn)\d+[a-z]*")
#: Any accelerated family (GPU, Neuron, Gaudi, graphics): `g<digit>`, `p<digit>`, inf, trn,
#: dl, gr, vt, f (the same families eks_blueprint.validation.ACCELERATED_FAMILY names, plus
#: the video and FPGA ones).
_ACCELERATED_FAMILY: Final = re.compile(r"(g\d|p\d|inf\d|trn\d|dl\d|gr\d|vt\d|f\d)")

#: The taint GPU capacity carries, as the Karpenter documentation's GPU NodePools write it
#: (concepts/nodepools.md and scheduling.md: key nvidia.com/gpu, value "true", NoSchedule).
#: Pods that request `nvidia.com/gpu` get the matching toleration from the
#: ExtendedResourceToleration admission plugin where the API server enables it; this library
#: does not rely on that and documents the toleration.
GPU_TAINT: Final = ("nvidia.com/gpu", "true", "NoSchedule")
#: The taint of Windows capacity: the Kubernetes "Guide for scheduling Windows containers"
#: example (`--register-with-taints='os=windows:NoSchedule'`). Linux pods without a
#: `kubernetes.io/os` selector stay off Windows nodes; Windows pods tolerate it and select
#: `kubernetes.io/os: windows`.
WINDOWS_TAINT: Final = ("os", "windows", "NoSchedule")
#: Node label this library puts on NVIDIA nodes whose AMI lacks the NVIDIA device plugin
#: (AL2023 NVIDIA: drivers and container toolkit, no plugin); the plugin's DaemonSet selects
#: it. Bottlerocket NVIDIA nodes run the plugin built in and do not carry the label.
NVIDIA_DEVICE_PLUGIN_LABEL: Final = "eks-blueprint/nvidia-device-plugin"
#: Smallest root volume of a Windows node, GiB: EKS's default disk size for Windows node
#: groups (EKS API reference, CreateNodegroup `diskSize`: "The default disk size is 20 GiB
#: for Linux and Bottlerocket operating systems and 50 GiB for Windows operating systems").
#: The Windows AMIs' root snapshot size is not published; smaller is refused.
WINDOWS_MIN_DISK_GIB: Final = 50
#: The root device of Windows AMIs (EC2 User Guide, device naming: Windows root /dev/sda1).
WINDOWS_ROOT_DEVICE: Final = "/dev/sda1"


def gpu_of(name: str) -> Gpu | None:
    """The GPUs of instance type `name` from the small GPU table (None where it does not
    list the type: no GPU, or a family it leaves out)."""
    family, _, size = name.partition(".")
    row = _GPUS.get(family)
    if row is None or size not in row[2]:
        return None
    manufacturer, gpu_name, counts = row
    return Gpu(manufacturer=manufacturer, name=gpu_name, count=counts[size])


def accelerator_of(name: str) -> Accelerator | None:
    """What accelerates instance type `name` (by its family), None for none."""
    family = name.partition(".")[0]
    if family in NVIDIA_FAMILIES:
        return "nvidia"
    if _NEURON_FAMILY.fullmatch(family):
        return "neuron"
    if _ACCELERATED_FAMILY.match(family):
        return "other"
    return None


def is_windows_ami(ami_type: str) -> bool:
    """Whether an EKS AMI type (any spelling: WINDOWS_CORE_2022_x86_64, or the config's
    windows_core_2022) boots Windows."""
    return ami_type.upper().startswith("WINDOWS")


def is_nvidia_ami(ami_type: str) -> bool:
    """An EKS NVIDIA AMI type: AL2023_*_NVIDIA, BOTTLEROCKET_*_NVIDIA (also _FIPS)."""
    return "_NVIDIA" in ami_type.upper()


def is_neuron_ami(ami_type: str) -> bool:
    """An EKS Neuron AMI type (AL2023_x86_64_NEURON)."""
    return "_NEURON" in ami_type.upper()


def needs_nvidia_device_plugin(ami_type: str) -> bool:
    """AL2023 NVIDIA AMIs ship the drivers and the container toolkit but not the Kubernetes
    device plugin, which must be installed; the Bottlerocket NVIDIA variants include it
    (EKS user guide, ml-eks-k8s-device-plugin, "Considerations")."""
    return is_nvidia_ami(ami_type) and ami_type.upper().startswith("AL2023")


@dataclass(frozen=True)
class AmiMismatch:
    """Instance types an AMI type cannot drive, and how to fix it."""

    types: tuple[str, ...]
    fix: str


def ami_mismatch(instance_types: Iterable[str], ami_type: str) -> AmiMismatch | None:
    """Instance types whose accelerators (or their absence) do not suit `ami_type`, or None.

    Refused, since either wastes the instances or fails to schedule: NVIDIA GPU types on an
    AMI without NVIDIA drivers (nodes become Ready but advertise no `nvidia.com/gpu`);
    NVIDIA AMI types on types without NVIDIA GPUs (the EKS table lists none for them); Neuron
    types other than on AL2023 Neuron or standard Bottlerocket (the EKS table); the Neuron
    AMI on other types; accelerators no EKS AMI drives (AMD g4ad, Gaudi dl1, FPGAs); and any
    accelerated type on Windows (no EKS Windows AMI type is accelerated).
    """
    types = list(instance_types)
    kinds = {t: accelerator_of(t) for t in types}
    bottlerocket = ami_type.upper().startswith("BOTTLEROCKET")
    if is_windows_ami(ami_type):
        wrong = [t for t in types if kinds[t] is not None]
        fix = (
            "the Windows AMI types have no GPU or accelerator drivers; run GPU workloads on a "
            "Linux group with an NVIDIA AMI type, Windows on general purpose types"
        )
    elif is_nvidia_ami(ami_type):
        wrong = [t for t in types if kinds[t] != "nvidia"]
        fix = (
            f"{ami_type} is for NVIDIA GPU types (g4dn, g5, g5g, g6, g6e, p4d, p5, ...), "
            "which these are not; use NVIDIA GPU types, or a standard AMI type for these"
        )
    elif is_neuron_ami(ami_type):
        wrong = [t for t in types if kinds[t] != "neuron"]
        fix = f"{ami_type} is for Inferentia and Trainium types (inf2, trn1, ...) only"
    else:
        wrong = [
            t
            for t in types
            if kinds[t] == "nvidia"
            or kinds[t] == "other"
            or (kinds[t] == "neuron" and not bottlerocket)
        ]
        fix = (
            "GPU and accelerator types need an accelerated AMI type with their drivers: NVIDIA "
            "types an NVIDIA AMI type (al2023_x86_64_nvidia, bottlerocket_x86_64_nvidia, or the "
            "arm64 ones for g5g), Inferentia/Trainium the AL2023 Neuron or Bottlerocket AMI; no "
            "EKS AMI drives AMD (g4ad) or Gaudi (dl1) accelerators"
        )
    return AmiMismatch(tuple(wrong), fix) if wrong else None
