"""Pure validators of compute props, shared by the configuration models and the constructs.

Each check raises `Invalid` (a ValueError) reading `<what>: <bad value>; <fix>`. The
configuration models call them and report `Invalid.detail` at the field's file path (the
location already says what); the constructs call them with `what` naming the prop and
prefix their construct path, so a library user and a YAML author get the same rule, in
the same words, from one place.

cdk-free: the configuration models and the command-line tools import it without loading
aws_cdk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from . import validate_names
from .compute.max_pods import (
    LARGE_NODE_MAX_PODS,
    MANAGED_LARGE_NODE_MIN_VCPUS,
    SMALL_NODE_MAX_PODS,
    managed_max_pods_ceiling,
)
from .validate_names import MEMORY_QUANTITY as MEMORY_QUANTITY
from .validate_names import QUANTITY as QUANTITY

Architecture = Literal["arm64", "x86_64"]

#: Node group, NodePool, EC2NodeClass and Fargate profile names (also construct ids and
#: label values): DNS labels.
NAME = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
INSTANCE_TYPE = re.compile(r"[a-z][a-z0-9-]*\.[a-z0-9][a-z0-9-]*")  # m7i.metal-24xl
#: A NodePool duration where `Never` is allowed (consolidateAfter, expireAfter), as the
#: karpenter.sh/v1 CRD's pattern accepts it: e.g. 30s, 720h, 1h30m, 30m1h, or Never.
#: QUANTITY and MEMORY_QUANTITY (the Kubernetes quantity grammar) are validate_names'.
DURATION = re.compile(r"([0-9]+(s|m|h))+|Never")
#: EC2NodeClass amiSelectorTerms alias: family@version, pinned or `latest`. Karpenter
#: strips a leading `v` from a Bottlerocket version, so bottlerocket@1.46.0 is accepted too.
AMI_ALIAS = re.compile(r"(al2023@(latest|v\d{8})|bottlerocket@(latest|v?\d+\.\d+\.\d+))")
#: Alias families Karpenter knows and this library does not support (AL2, Windows).
UNSUPPORTED_AMI_ALIAS = re.compile(r"(?P<family>al2|windows\d*)@.*")
#: Disruption budget fields, as the NodePool CRD (karpenter.sh/v1) validates them.
BUDGET_NODES = re.compile(r"((100|[0-9]{1,2})%|[0-9]+)")
BUDGET_DURATION = re.compile(r"(([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?")
BUDGET_SCHEDULE = re.compile(
    r"@(annually|yearly|monthly|weekly|daily|midnight|hourly)|\S+\s+\S+\s+\S+\s+\S+\s+\S+"
)
BUDGET_REASONS: tuple[str, ...] = ("Underutilized", "Empty", "Drifted")

#: Volume sizes (GiB) of a node's root or data volume: EC2 refuses a volume smaller than
#: the AMI's snapshot (20 GiB for the AL2023 root and the Bottlerocket data volume);
#: 16 TiB is gp3's maximum.
MIN_DISK_GIB = 20
MAX_DISK_GIB = 16384
#: karpenter.sh/capacity-type values this library supports. Karpenter also knows
#: `reserved` (On-Demand Capacity Reservations; its feature gate is on by default in 1.8),
#: which needs capacityReservationSelectorTerms that EC2NodeClasses here do not set.
CAPACITY_TYPES: tuple[str, ...] = ("on-demand", "spot")
#: kubernetes.io/arch values of Linux nodes on EC2.
ARCHITECTURES: tuple[str, ...] = ("amd64", "arm64")
#: NodePool weight range (karpenter.sh/v1).
MAX_WEIGHT = 100
#: Label domains the NodePool CRD restricts in `labels` (karpenter.sh/v1 validation rules,
#: Karpenter 1.8), each with the keys and sub-domains it still admits.
RESTRICTED_DOMAINS: tuple[str, ...] = (
    "kubernetes.io",
    "k8s.io",
    "karpenter.sh",
    "karpenter.k8s.aws",
)
#: Well-known kubernetes.io labels the NodePool CRD admits.
ADMITTED_KUBERNETES_LABELS: frozenset[str] = frozenset({
    "beta.kubernetes.io/instance-type",
    "failure-domain.beta.kubernetes.io/region",
    "beta.kubernetes.io/os",
    "beta.kubernetes.io/arch",
    "failure-domain.beta.kubernetes.io/zone",
    "topology.kubernetes.io/zone",
    "topology.kubernetes.io/region",
    "kubernetes.io/arch",
    "kubernetes.io/os",
    "node.kubernetes.io/windows-build",
})
#: Label keys the NodePool CRD refuses whatever else holds.
REFUSED_LABELS: frozenset[str] = frozenset({"kubernetes.io/hostname", "karpenter.sh/nodepool"})
#: A label value (Kubernetes): at most 63 characters, alphanumeric at both ends.
LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")


class Invalid(ValueError):
    """A refused value: `what` (the prop or field), the value, and how to fix it."""

    def __init__(self, what: str, value: Any, fix: str) -> None:
        self.what = what
        self.value = value
        self.fix = fix
        super().__init__(f"{what}: {self.detail}")

    @property
    def detail(self) -> str:
        """The message without `what`: for callers whose location names the field."""
        return f"{_short(self.value)}; {self.fix}"


def _short(value: Any, limit: int = 80) -> str:
    """`repr(value)` cut to about `limit` characters: an error line stays one line."""
    if isinstance(value, tuple):
        value = list(value)
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- names and instance types -------------------------------------------------------------


def check_name(value: str, what: str = "name") -> str:
    """A node group, NodePool, EC2NodeClass or Fargate profile name: a DNS label."""
    if not NAME.fullmatch(value):
        raise Invalid(
            what, value, "use 1-63 lower-case letters, digits or '-', e.g. system or spot-arm"
        )
    return value


def check_unique(names: Sequence[str], what: str) -> None:
    """No name twice among siblings (their construct ids would collide)."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise Invalid(what, name, "is used more than once; give each a different name")
        seen.add(name)


def check_instance_type(value: str, what: str = "instance_types") -> str:
    """An EC2 instance type name, e.g. m7g.large."""
    if not (len(value) <= 64 and INSTANCE_TYPE.fullmatch(value)):
        raise Invalid(what, value, "not an EC2 instance type; write it like m7g.large")
    return value


def instance_architecture(instance_type: str) -> Architecture:
    """The CPU architecture of an EC2 instance type, from its family name.

    Graviton (arm64) families carry a "g" among the attribute letters after the generation
    digit: m7g, c6gn, r8g, t4g, x2gd, im4gn, g5g. A "g" before the digit is a GPU family
    (g5, g4ad: x86_64). a1 is the first-generation Graviton and has no "g".
    """
    family = instance_type.split(".", 1)[0]
    if family == "a1":
        return "arm64"
    match = re.search(r"\d+([a-z-]*)", family)
    attributes = match.group(1) if match else ""
    return "arm64" if "g" in attributes else "x86_64"


def infer_architecture(instance_types: Sequence[str], what: str = "instance_types") -> Architecture:
    """The one architecture of `instance_types`; mixing arm64 and x86_64 is refused (a node
    group has one AMI, built for one architecture)."""
    if not instance_types:
        raise Invalid(what, [], "give at least one instance type, e.g. ['m7g.large']")
    arches = {t: instance_architecture(t) for t in instance_types}
    first = arches[instance_types[0]]
    other = [t for t, a in arches.items() if a != first]
    if other:
        raise Invalid(
            what,
            list(instance_types),
            f"mixes {first} ({instance_types[0]}) and "
            f"{'x86_64' if first == 'arm64' else 'arm64'} ({', '.join(other)}) types; a node "
            "group's AMI has one architecture, so use one group per architecture",
        )
    return first


# -- managed node groups -----------------------------------------------------------------


def ami_type_architecture(ami_type: str) -> Architecture:
    """The architecture of an EKS AMI type (AWS::EKS::Nodegroup AmiType)."""
    return "arm64" if "ARM_64" in ami_type else "x86_64"


def check_ami_type(ami_type: str, what: str = "ami_type") -> str:
    """An EKS AMI type of Amazon Linux 2023 or Bottlerocket: EKS publishes no AL2 AMIs for
    Kubernetes 1.33 and later; other families (Windows, custom) are not supported here."""
    if ami_type.startswith("AL2_"):
        raise Invalid(
            what,
            ami_type,
            "Amazon Linux 2 is deprecated: EKS publishes no AL2 AMIs for Kubernetes 1.33 and "
            "later; use an AL2023 or Bottlerocket AMI type (or leave it unset to infer one)",
        )
    if not ami_type.startswith(("AL2023_", "BOTTLEROCKET_")):
        raise Invalid(what, ami_type, "use an AL2023 or Bottlerocket AMI type")
    return ami_type


def check_ami_architecture(
    instance_types: Sequence[str], ami_type: str, what: str = "instance_types"
) -> None:
    """Every instance type has the architecture of the AMI type."""
    arch = ami_type_architecture(ami_type)
    wrong = [t for t in instance_types if instance_architecture(t) != arch]
    if wrong:
        raise Invalid(
            what,
            wrong,
            f"the AMI type {ami_type} is {arch} but these types are not; Graviton types "
            "(m7g, c7gn, t4g, ...) need an arm64 AMI, others an x86_64 AMI",
        )


#: Instance families whose GPUs or accelerators need an accelerated AMI (NVIDIA or Neuron
#: drivers): on a standard AMI the nodes become Ready but the devices are unusable.
ACCELERATED_FAMILY = re.compile(r"(g\d|p\d|inf\d|trn\d|dl\d|gr\d)")


def check_accelerated_ami(
    instance_types: Sequence[str], ami_type: str | None, what: str = "instance_types"
) -> None:
    """GPU and accelerator types (g5, p5, inf2, trn1...) only with an accelerated AMI type
    (`..._NVIDIA`, `..._NEURON`); inference never picks one, so `ami_type` must say it."""
    accelerated = [t for t in instance_types if ACCELERATED_FAMILY.match(t.split(".", 1)[0])]
    if accelerated and (ami_type is None or not ami_type.endswith(("NVIDIA", "NEURON"))):
        raise Invalid(
            what,
            accelerated,
            "GPU and accelerator instances need an accelerated AMI (NVIDIA or Neuron drivers), "
            "which this is not; give ami_type, e.g. AL2023_X86_64_NVIDIA, or use general "
            "purpose types",
        )


def check_spot_instance_types(
    instance_types: Sequence[str], spot: bool, what: str = "instance_types"
) -> None:
    """Spot needs at least two instance types, so that one Spot pool running dry does not
    leave the group without capacity."""
    if spot and len(instance_types) < 2:
        raise Invalid(
            what,
            list(instance_types),
            "Spot capacity needs at least 2 instance types in this library (EKS accepts one "
            "and recommends several): one Spot pool running dry would leave the group "
            "without nodes; add another type of the same size",
        )


def check_sizes(min_size: int, desired_size: int, max_size: int, what: str = "sizes") -> None:
    """0 <= min <= desired <= max, max >= 1 (EKS's rules for a node group)."""
    sizes = {"min": min_size, "desired": desired_size, "max": max_size}
    if min_size < 0 or max_size < 1 or not min_size <= desired_size <= max_size:
        raise Invalid(
            what,
            sizes,
            "need 0 <= min <= desired <= max and max >= 1, e.g. min 2, desired 2, max 4",
        )


def check_disk_size(size_gib: int, what: str = "disk_size_gib") -> int:
    """A node volume size in GiB."""
    if not MIN_DISK_GIB <= size_gib <= MAX_DISK_GIB:
        raise Invalid(
            what,
            size_gib,
            f"use {MIN_DISK_GIB}-{MAX_DISK_GIB} GiB; EC2 refuses a volume smaller than the "
            f"AMI's {MIN_DISK_GIB} GiB snapshot",
        )
    return size_gib


def check_percentage(value: int, what: str = "max_unavailable_percentage") -> int:
    """A share of nodes, 1-100 %."""
    if not 1 <= value <= 100:
        raise Invalid(what, value, "use 1-100 (per cent of the group's nodes)")
    return value


def check_imds_hop_limit(value: int, what: str = "imds_hop_limit") -> int:
    """IMDSv2 hop limit: 1 (pods cannot reach the node's credentials) or 2."""
    if value not in (1, 2):
        raise Invalid(what, value, "use 1 (the default: pods cannot reach IMDS) or 2")
    return value


def check_max_pods(value: int, what: str = "max_pods", instance_types: Iterable[str] = ()) -> int:
    """The kubelet's max pods on a managed node: EKS allows 1-250, and at most 110 when
    the group has a type below 30 vCPUs (`managed_max_pods_ceiling`; types the instance
    type table does not list are held to 1-250 only)."""
    if not 1 <= value <= LARGE_NODE_MAX_PODS:
        raise Invalid(
            what, value, f"use 1-{LARGE_NODE_MAX_PODS} (EKS's limit for managed nodes), or unset"
        )
    found = managed_max_pods_ceiling(instance_types)
    if found is not None and value > found[0]:
        ceiling, name, vcpus = found
        raise Invalid(
            what,
            value,
            f"use 1-{ceiling}, or unset: EKS managed node groups allow at most {ceiling} pods "
            f"on {name} ({vcpus} vCPUs; {SMALL_NODE_MAX_PODS} below "
            f"{MANAGED_LARGE_NODE_MIN_VCPUS} vCPUs, {LARGE_NODE_MAX_PODS} from there), the "
            "group's smallest type; or give the group only larger types",
        )
    return value


# -- Karpenter ----------------------------------------------------------------------------


def check_choices(values: Sequence[str], allowed: Sequence[str], what: str, fix: str = "") -> None:
    """A non-empty list of distinct values out of `allowed`."""
    if not values:
        raise Invalid(what, [], f"give at least one of {', '.join(allowed)}")
    for value in values:
        if value not in allowed:
            raise Invalid(what, value, f"use {', '.join(allowed)}{fix}")
    check_unique(values, what)


def check_capacity_types(values: Sequence[str], what: str = "capacity_types") -> None:
    """karpenter.sh/capacity-type values."""
    check_choices(
        values,
        CAPACITY_TYPES,
        what,
        " (Karpenter's `reserved` needs capacity reservation selectors, not supported here)",
    )


def check_architectures(values: Sequence[str], what: str = "architectures") -> None:
    """kubernetes.io/arch values."""
    check_choices(values, ARCHITECTURES, what, " (the Kubernetes names, not aarch64/x86_64)")


def check_instance_categories(values: Sequence[str], what: str = "instance_categories") -> None:
    """karpenter.k8s.aws/instance-category values: the letters before the generation."""
    if not values:
        raise Invalid(what, [], "give at least one category, e.g. ['c', 'm', 'r']")
    for value in values:
        if not re.fullmatch(r"[a-z]{1,3}", value):
            raise Invalid(what, value, "not an instance category; use letters like c, m, r")
    check_unique(values, what)


def check_min_instance_generation(value: int, what: str = "min_instance_generation") -> int:
    """The oldest instance generation a pool may launch."""
    if not 1 <= value <= 20:
        raise Invalid(what, value, "use 1-20, e.g. 5 (m5, c5, ... and newer)")
    return value


#: The most vCPUs an EC2 instance type has (u7in-32tb.224xlarge: 896; 448 for the largest
#: general-purpose sizes): a minimum above it matches nothing.
MAX_INSTANCE_VCPUS = 896


def check_min_vcpus(value: int, what: str = "min_vcpus") -> int:
    """The smallest instance size (vCPUs) a pool may launch."""
    if isinstance(value, bool) or not 1 <= value <= MAX_INSTANCE_VCPUS:
        raise Invalid(what, value, f"use 1-{MAX_INSTANCE_VCPUS} vCPUs, e.g. 8 (2xlarge and up)")
    return value


def check_zones(zones: Sequence[str], region: str | None, what: str = "zones") -> None:
    """Availability-zone names of `region` (when the region is known, not a token)."""
    check_unique(zones, what)
    if region is None:
        return
    zone = re.compile(re.escape(region) + r"(-[a-z]+-\d+)?[a-z]")
    foreign = [z for z in zones if not zone.fullmatch(z)]
    if foreign:
        raise Invalid(
            what,
            foreign,
            f"not zones of the stack's region {region}; use zone names like {region}a",
        )


def check_cpu_limit(value: int, what: str = "cpu") -> int:
    """A NodePool's total vCPUs."""
    if not 1 <= value <= 100000:
        raise Invalid(what, value, "use a whole number of vCPUs from 1 to 100000, e.g. 100")
    return value


def check_quantity(value: str, what: str) -> str:
    """A Kubernetes resource quantity (CPU or memory requests), e.g. 1, 500m, .5, 1e3."""
    try:
        return validate_names.check_quantity(value)
    except ValueError as exc:
        raise Invalid(what, value, str(exc)) from None


def check_memory(value: str, what: str = "memory") -> str:
    """A memory quantity, e.g. 400Gi."""
    try:
        return validate_names.check_quantity(value, MEMORY_QUANTITY)
    except ValueError as exc:
        raise Invalid(what, value, str(exc)) from None


def check_ami_alias(value: str, what: str = "ami_alias") -> str:
    """An EC2NodeClass AMI alias: al2023 or bottlerocket, pinned or `latest`."""
    unsupported = UNSUPPORTED_AMI_ALIAS.fullmatch(value)
    if unsupported:
        raise Invalid(
            what,
            value,
            f"the {unsupported['family']} AMI family is not supported by this library; use "
            "al2023@v<YYYYMMDD>, bottlerocket@v<x.y.z> or <family>@latest, e.g. "
            "al2023@v20251112",
        )
    if not AMI_ALIAS.fullmatch(value):
        raise Invalid(
            what,
            value,
            "expected al2023@v<YYYYMMDD>, bottlerocket@v<x.y.z> or <family>@latest, "
            "e.g. al2023@v20251112",
        )
    return value


def check_duration(value: str, what: str) -> str:
    """A Karpenter duration (consolidateAfter, expireAfter): e.g. 30s, 5m, 720h, or Never."""
    if not DURATION.fullmatch(value):
        raise Invalid(what, value, "not a duration; write it like 30s, 5m, 720h or Never")
    return value


def check_weight(value: int | None, what: str = "weight") -> int | None:
    """A NodePool's priority among pools that fit."""
    if value is not None and not 1 <= value <= MAX_WEIGHT:
        raise Invalid(what, value, f"use 1-{MAX_WEIGHT} (higher first), or unset")
    return value


def check_budget(
    nodes: str,
    schedule: str | None,
    duration: str | None,
    reasons: Sequence[str] | None,
    what: str = "budgets",
) -> None:
    """A NodePool disruption budget, as the karpenter.sh/v1 CRD validates it."""
    if not BUDGET_NODES.fullmatch(nodes):
        raise Invalid(f"{what}.nodes", nodes, "write a node count like 2 or a share like 10%")
    if (schedule is None) != (duration is None):
        raise Invalid(
            f"{what}.schedule",
            {"schedule": schedule, "duration": duration},
            "a budget with a schedule needs a duration and one with a duration a schedule, "
            "e.g. schedule '0 9 * * mon-fri', duration 8h",
        )
    if schedule is not None and not BUDGET_SCHEDULE.fullmatch(schedule.strip()):
        raise Invalid(f"{what}.schedule", schedule, "write a cron schedule like '0 9 * * *'")
    if duration is not None and not BUDGET_DURATION.fullmatch(duration):
        raise Invalid(f"{what}.duration", duration, "write hours and minutes like 8h or 1h30m")
    for reason in reasons or ():
        if reason not in BUDGET_REASONS:
            raise Invalid(f"{what}.reasons", reason, f"use {', '.join(BUDGET_REASONS)}")


def _restricted_label(key: str) -> bool:
    """Whether the NodePool CRD refuses label key `key` (its CEL rules, Karpenter 1.8)."""
    if key in REFUSED_LABELS:
        return True
    domain = key.split("/", 1)[0] if "/" in key else ""
    if domain.endswith("kubernetes.io"):
        return key not in ADMITTED_KUBERNETES_LABELS and not domain.endswith(
            ("node.kubernetes.io", "node-restriction.kubernetes.io")
        )
    if domain.endswith("k8s.io"):
        return not domain.endswith("kops.k8s.io")
    if domain.endswith("karpenter.sh"):
        return key != "karpenter.sh/capacity-type"
    if domain.endswith("karpenter.k8s.aws"):
        # The provider admits its instance-* keys (instance-family, instance-size...).
        return not key.startswith("karpenter.k8s.aws/instance-")
    return False


def check_node_labels(labels: Iterable[str] | Mapping[str, str], what: str = "labels") -> None:
    """NodePool labels the NodePool CRD admits: keys outside the domains Karpenter
    restricts (but its admitted well-known keys, e.g. node-restriction.kubernetes.io/*),
    values of at most 63 characters."""
    values = labels if isinstance(labels, Mapping) else dict.fromkeys(labels, "")
    for key, value in values.items():
        if _restricted_label(key):
            raise Invalid(
                what,
                key,
                "the label key uses a domain Karpenter reserves "
                f"({', '.join(RESTRICTED_DOMAINS)}): the NodePool would be refused when "
                "applied; use your own prefix, e.g. example.com/team, or "
                "node-restriction.kubernetes.io/ for isolation labels",
            )
        if len(value) > 63 or not LABEL_VALUE.fullmatch(value):
            raise Invalid(
                f"{what}[{key}]",
                value,
                "a label value has at most 63 letters, digits, '-', '_' or '.', "
                "alphanumeric at both ends",
            )


def check_node_class_ref(node_class: str, classes: Iterable[str], what: str = "node_class") -> None:
    """A NodePool's EC2NodeClass exists (is defined before the pool)."""
    known = sorted(classes)
    if node_class not in known:
        raise Invalid(
            what,
            node_class,
            f"no such EC2NodeClass (known: {', '.join(known) or 'none'}); add the node class "
            "first or name one of these",
        )


# -- Fargate --------------------------------------------------------------------------------


def check_selector_count(count: int, what: str = "selectors") -> None:
    """A Fargate profile has 1-5 selectors."""
    if not 1 <= count <= 5:
        raise Invalid(what, count, "a Fargate profile has 1 to 5 selectors")
