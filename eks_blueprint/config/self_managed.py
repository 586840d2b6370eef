"""The `compute.self_managed_node_groups:` section: EC2 Auto Scaling groups of nodes this
project bootstraps itself, for custom or hardened AMIs.

It also holds the cdk-free rules the `SelfManagedNodeGroups` construct applies to its props
(AMI id and release formats, the AMI's architecture against the instance types, the labels
a kubelet may set on its own Node, the SSM parameter of an EKS-optimised AMI), so a YAML
author and a library user get the same rule in the same words.

Imported by `config.compute` from inside `ComputeConfig`; it imports the shared models
(SizeConfig, TaintConfig, ...) from there, which exist by then. The package `__init__`
imports `compute` first, so the cycle is always entered from that side.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from .. import validation as v
from ..compute import defaults
from .base import FieldError, StrictModel
from .compute import Labels, ResourceName, SizeConfig, TaintConfig, check_instance_types

if TYPE_CHECKING:
    from .environment import EnvironmentConfig

__all__ = [
    "AMI_FAMILIES",
    "AMI_ID",
    "MAX_SELF_MANAGED_GROUPS",
    "SelfManagedAmiConfig",
    "SelfManagedNodeGroupConfig",
    "check_ami_id",
    "check_ami_release",
    "check_kubelet_labels",
    "check_self_managed",
    "check_self_managed_architecture",
    "check_unique_group_names",
    "cluster_dns_ip",
    "eks_default_service_cidr",
    "optimized_ami_parameter",
]

#: AMI families a self-managed group can boot: each has its own user data format
#: (AL2023: a nodeadm NodeConfig; Bottlerocket: TOML settings).
AMI_FAMILIES: tuple[str, ...] = ("al2023", "bottlerocket")
AmiFamily = Literal["al2023", "bottlerocket"]
Architecture = Literal["x86_64", "arm64"]
#: An EC2 image id: `ami-` and 8 (older) or 17 hexadecimal digits.
AMI_ID = re.compile(r"ami-([0-9a-f]{8}|[0-9a-f]{17})")
#: Release of an EKS-optimised AMI, per family, as the public SSM paths name them (see
#: `optimized_ami_parameter`): AL2023 v<YYYYMMDD>, Bottlerocket <x.y.z> (a leading `v` is
#: accepted and dropped, as Karpenter does).
AMI_RELEASES: dict[str, re.Pattern[str]] = {
    "al2023": re.compile(r"v\d{8}"),
    "bottlerocket": re.compile(r"v?\d+\.\d+\.\d+"),
}
_RELEASE_EXAMPLES = {"al2023": "v20251112", "bottlerocket": "1.50.0"}
#: At most this many self-managed groups per environment: this library's own ceiling (each
#: group adds a launch template, an Auto Scaling group and its tags to the cluster stack,
#: which CloudFormation limits to 500 resources), not an AWS quota.
MAX_SELF_MANAGED_GROUPS = 10
#: The kubelet's max pods on a self-managed node: 1 to EKS's largest recommended value.
MAX_PODS = 250

#: Labels a kubelet may set on its own Node under the kubernetes.io and k8s.io domains
#: (Kubernetes, "Admission Control": NodeRestriction; the kubelet refuses to start with any
#: other --node-labels key in those domains since 1.16): these keys, and any key with the
#: prefix kubelet.kubernetes.io/ or node.kubernetes.io/.
KUBELET_ALLOWED_LABELS: frozenset[str] = frozenset(
    {
        "kubernetes.io/hostname",
        "kubernetes.io/arch",
        "kubernetes.io/os",
        "beta.kubernetes.io/instance-type",
        "node.kubernetes.io/instance-type",
        "failure-domain.beta.kubernetes.io/region",
        "failure-domain.beta.kubernetes.io/zone",
        "topology.kubernetes.io/region",
        "topology.kubernetes.io/zone",
    }
)
KUBELET_ALLOWED_PREFIXES: tuple[str, ...] = ("kubelet.kubernetes.io/", "node.kubernetes.io/")


# -- rules shared with the construct (raise validation.Invalid) ---------------------------


def check_ami_id(value: str, what: str = "ami.id") -> str:
    """An EC2 image id, e.g. ami-0123456789abcdef0."""
    if not AMI_ID.fullmatch(value):
        raise v.Invalid(
            what,
            value,
            "not an AMI id; write it like ami-0123456789abcdef0 (ami- and 17 hex digits)",
        )
    return value


def check_ami_release(family: str, release: str, what: str = "ami.release") -> str:
    """A pinned EKS-optimised AMI release of `family`."""
    pattern = AMI_RELEASES[family]
    if not pattern.fullmatch(release):
        raise v.Invalid(
            what,
            release,
            f"not a {family} release; write it like {_RELEASE_EXAMPLES[family]}"
            + (
                " (the AMI's date, with a v)"
                if family == "al2023"
                else " (the Bottlerocket version)"
            ),
        )
    return release


def check_self_managed_architecture(
    instance_types: Sequence[str], architecture: str | None, what: str = "instance_types"
) -> Architecture:
    """The one architecture of `instance_types`, which must be the AMI's when the AMI
    declares one (a custom AMI must: offline, its architecture cannot be read)."""
    inferred = v.infer_architecture(instance_types, what)
    if architecture is not None and architecture != inferred:
        wrong = [t for t in instance_types if v.instance_architecture(t) != architecture]
        raise v.Invalid(
            what,
            wrong,
            f"the AMI is {architecture} but these instance types are {inferred}: EC2 refuses "
            "to launch an AMI on another architecture. Graviton types (m7g, c7g, t4g, ...) "
            "need an arm64 AMI, the others an x86_64 AMI; change the types or the AMI",
        )
    return inferred


def check_kubelet_labels(labels: Iterable[str], what: str = "labels") -> None:
    """Labels a kubelet may set on its own Node (`--node-labels`, Bottlerocket
    node-labels): none in the kubernetes.io or k8s.io domains but the few NodeRestriction
    admits; a node given another would never register."""
    for key in labels:
        prefix = key.split("/", 1)[0] if "/" in key else ""
        reserved = prefix.endswith(("kubernetes.io", "k8s.io"))
        if (
            reserved
            and key not in KUBELET_ALLOWED_LABELS
            and not key.startswith(KUBELET_ALLOWED_PREFIXES)
        ):
            raise v.Invalid(
                what,
                key,
                "a kubelet may not set labels in the kubernetes.io or k8s.io domains (but "
                "kubelet.kubernetes.io/*, node.kubernetes.io/* and the well-known topology "
                "and instance labels): the node would not register. Use your own prefix, "
                "e.g. example.com/team",
            )


def check_unique_group_names(managed: Sequence[str], self_managed: Sequence[str]) -> None:
    """No name both a managed and a self-managed group (or twice among the latter): both
    label their nodes `eks-blueprint/node-group: <name>`, so placements would mix them."""
    seen = set(managed)
    for index, name in enumerate(self_managed):
        if name in seen:
            raise FieldError(
                ["compute", "self_managed_node_groups", index, "name"],
                f"{name} is already the name of a node group; node groups and self-managed "
                "node groups share the node label eks-blueprint/node-group, so give each a "
                "different name",
            )
        seen.add(name)


def optimized_ami_parameter(
    family: str, kubernetes_version: str, architecture: str, release: str | None = None
) -> str:
    """The public SSM parameter whose value is the EKS-optimised AMI id of `family` for a
    Kubernetes version and architecture (x86_64 or arm64): the recommended/latest release,
    or the pinned `release`.

    Paths from the Amazon EKS User Guide, "Retrieve recommended Amazon Linux AMI IDs"
    (`/aws/service/eks/optimized-ami/<k8s>/amazon-linux-2023/<arch>/standard/recommended/
    image_id`) and "Retrieve recommended Bottlerocket AMI IDs" (`/aws/service/bottlerocket/
    aws-k8s-<k8s>/<arch>/latest/image_id`); the release-specific paths are those Karpenter's
    AMI alias resolvers use, the same as `eks_blueprint.preflight.amis.ami_parameter` (a
    test keeps the two in step).
    """
    if family == "al2023":
        name = (
            "recommended"
            if release is None
            else f"amazon-eks-node-al2023-{architecture}-standard-{kubernetes_version}-{release}"
        )
        return (
            f"/aws/service/eks/optimized-ami/{kubernetes_version}/amazon-linux-2023/"
            f"{architecture}/standard/{name}/image_id"
        )
    if family == "bottlerocket":
        name = "latest" if release is None else release.removeprefix("v")
        return (
            f"/aws/service/bottlerocket/aws-k8s-{kubernetes_version}/{architecture}/{name}/image_id"
        )
    raise ValueError(f"unknown AMI family {family!r}; use one of {', '.join(AMI_FAMILIES)}")


def eks_default_service_cidr(vpc_cidrs: Iterable[str]) -> str:
    """The service CIDR EKS gives a cluster created without `serviceIpv4Cidr`: 172.20.0.0/16
    when a CIDR of its VPC lies in 10.0.0.0/8, else 10.100.0.0/16.

    The EKS API reference says only "either 10.100.0.0/16 or 172.20.0.0/16"; this is the
    rule the EKS AL2 AMI applied to find the cluster DNS address (awslabs/amazon-eks-ami,
    bootstrap.sh: 172.20.0.10 when a VPC CIDR starts with 10., else 10.100.0.10). Give the
    cluster's real value (`aws eks describe-cluster --query
    cluster.kubernetesNetworkConfig.serviceIpv4Cidr`) wherever it is known.
    """
    ten = ipaddress.IPv4Network("10.0.0.0/8")
    if any(ipaddress.IPv4Network(c).subnet_of(ten) for c in vpc_cidrs):
        return "172.20.0.0/16"
    return "10.100.0.0/16"


def cluster_dns_ip(service_cidr: str) -> str:
    """The cluster DNS (kube-dns Service) address: the tenth address of the service CIDR,
    as nodeadm infers it from `spec.cluster.cidr` (172.20.0.0/16 -> 172.20.0.10)."""
    return str(ipaddress.IPv4Network(service_cidr)[10])


def _fix(check: Any, *args: Any) -> None:
    """Run a shared rule, re-raised as a ValueError with only its fix (the loader names the
    field and the value)."""
    try:
        check(*args)
    except v.Invalid as error:
        raise ValueError(error.fix) from None


# -- the configuration models --------------------------------------------------------------


class SelfManagedAmiConfig(StrictModel):
    """The AMI of a self-managed group: an EKS-optimised AMI resolved at deploy time, or a
    custom AMI of yours."""

    family: AmiFamily = "al2023"
    """al2023 (user data: a nodeadm NodeConfig) or bottlerocket (user data: TOML settings).
    For a custom `id`, the family the AMI is built from, which decides its user data.
    Windows is not supported by self-managed groups here. Default: al2023."""
    architecture: Architecture | None = None
    """x86_64 or arm64. Required with `id` (offline, the AMI cannot be read); must match
    the instance types. Default: the instance types' architecture."""
    id: str | None = None
    """A custom AMI id, e.g. ami-0123456789abcdef0 (scan it with Amazon Inspector). Default:
    none, the EKS-optimised AMI of `family` for the cluster's Kubernetes version, read from
    its public SSM parameter at each deploy."""
    release: str | None = None
    """Pin the EKS-optimised AMI to a release (al2023: v20251112; bottlerocket: 1.50.0) so
    that a new AMI arrives only by a reviewed change. Not with `id`. Default: the
    recommended (AL2023) or latest (Bottlerocket) release at each deploy; production must
    pin (release or id)."""

    @model_validator(mode="before")
    @classmethod
    def _no_windows(cls, data: object) -> object:
        if isinstance(data, dict) and str(data.get("family", "")).lower().startswith("windows"):
            raise FieldError(
                "family",
                "Windows is not supported by self-managed node groups in this library (its "
                "bootstrap is a PowerShell script and its nodes need the VPC resource "
                "controller); use al2023 or bottlerocket",
            )
        return data

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str | None) -> str | None:
        if value is not None:
            _fix(check_ami_id, value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> SelfManagedAmiConfig:
        if self.id is not None and self.release is not None:
            raise FieldError(
                "release",
                "release pins an EKS-optimised AMI and id names your own; give one of them",
            )
        if self.id is not None and self.architecture is None:
            raise FieldError(
                "architecture",
                "a custom AMI (id) needs its architecture, x86_64 or arm64: synth runs "
                "offline and cannot read it from EC2",
            )
        if self.release is not None:
            try:
                check_ami_release(self.family, self.release)
            except v.Invalid as error:
                raise FieldError("release", error.fix) from None
        return self


class SelfManagedNodeGroupConfig(StrictModel):
    """A self-managed node group: an EC2 Auto Scaling group with a hardened launch template
    (IMDSv2 with hop limit 1, encrypted gp3, no SSH key), in the private subnets of all
    three AZs, joining the cluster through an EC2_LINUX access entry. Changing the AMI or
    the launch template replaces the nodes in rolling batches."""

    name: ResourceName
    """Group name (construct id, `Name` tag and the node label
    `eks-blueprint/node-group`); unique across node_groups and self_managed_node_groups.
    Renaming replaces the group."""
    instance_types: list[str] = Field(min_length=1, max_length=20)
    """EC2 instance types, all of the AMI's architecture. The first is preferred (On-Demand
    `prioritized` allocation), the others fill in."""
    ami: SelfManagedAmiConfig = SelfManagedAmiConfig()
    """The AMI. Default: the recommended EKS-optimised AL2023 AMI."""
    size: SizeConfig = SizeConfig()
    """min, desired and max node count. A deploy that leaves them unchanged keeps what an
    autoscaler set. Default: 2, 2 and 4."""
    labels: Labels = Field(default_factory=dict)
    """Kubernetes labels the kubelet sets on its Node: none in the kubernetes.io or k8s.io
    domains (NodeRestriction). Default: none."""
    taints: list[TaintConfig] = Field(default_factory=list)
    """Kubernetes taints the kubelet registers the Node with. Default: none."""
    disk_size_gib: int = Field(default=defaults.DISK_SIZE_GIB, ge=v.MIN_DISK_GIB, le=v.MAX_DISK_GIB)
    """Size of the encrypted gp3 root (AL2023) or data (Bottlerocket) volume. Default: 50."""
    max_unavailable_percentage: int = Field(
        default=defaults.MAX_UNAVAILABLE_PERCENTAGE, ge=1, le=100
    )
    """Share of the desired nodes replaced at once during a rolling update. Default: 33 %."""
    max_pods: int | None = Field(default=None, ge=1, le=MAX_PODS)
    """The kubelet's max pods. Default: with the vpc-cni's prefix delegation, the smallest
    EKS-recommended value of the instance types (as for managed node groups); else the
    AMI's own."""
    detailed_monitoring: bool = False
    """EC2 detailed (1-minute) monitoring, billed per instance. Default: off."""

    @field_validator("instance_types")
    @classmethod
    def _valid_instance_types(cls, value: list[str]) -> list[str]:
        return check_instance_types(value)

    @field_validator("labels")
    @classmethod
    def _kubelet_labels(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        try:
            check_kubelet_labels(value)
        except v.Invalid as error:
            raise FieldError([error.value], error.fix) from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> SelfManagedNodeGroupConfig:
        try:
            check_self_managed_architecture(self.instance_types, self.ami.architecture)
        except v.Invalid as error:
            # The first type of the other architecture (mixed types), or of the wrong one.
            first = v.instance_architecture(self.instance_types[0])
            index = next(
                (
                    i
                    for i, t in enumerate(self.instance_types)
                    if v.instance_architecture(t) != (self.ami.architecture or first)
                ),
                0,
            )
            raise FieldError(["instance_types", index], error.fix) from None
        try:
            v.check_accelerated_ami(self.instance_types, None)
        except v.Invalid:
            raise FieldError(
                "instance_types",
                "GPU and accelerator instances need an accelerated AMI and device plugins, "
                "which self-managed groups here do not set up; use a managed node group with "
                "an accelerated ami_type, or general-purpose types",
            ) from None
        return self


def check_self_managed(env: EnvironmentConfig) -> None:
    """The environment-wide rules of `compute.self_managed_node_groups` (raise FieldError
    at the field): names unique across both kinds of node group, no Auto Mode or IPv6
    cluster, and production pins every AMI."""
    groups = env.compute.self_managed_node_groups
    if not groups:
        return
    check_unique_group_names([g.name for g in env.compute.node_groups], [g.name for g in groups])
    where = ["compute", "self_managed_node_groups"]
    if env.compute.auto_mode is not None:
        raise FieldError(
            where,
            "compute.auto_mode is set: an Auto Mode cluster gets no vpc-cni or kube-proxy "
            "add-on, which self-managed nodes need to become Ready; remove auto_mode or the "
            "self-managed groups",
        )
    if getattr(env.cluster, "ip_family", "ipv4") == "ipv6":
        raise FieldError(
            where,
            "cluster.ip_family is ipv6: self-managed groups here write an IPv4 service CIDR "
            "and cluster DNS address into their user data; use managed node groups or "
            "Karpenter on an IPv6 cluster",
        )
    if env.is_production:
        for index, group in enumerate(groups):
            if group.ami.id is None and group.ami.release is None:
                raise FieldError(
                    [*where, index, "ami", "release"],
                    f"environment {env.name} is production: pin the AMI so that a new one "
                    "arrives by a reviewed change, not at any deploy; give ami.release "
                    f"(e.g. {_RELEASE_EXAMPLES[group.ami.family]}) or ami.id",
                )
