"""The `pod_security_groups:` section, and the facts and checks that the PodSecurityGroups
construct (eks_blueprint.pod_security_groups) shares with it.

Security groups for pods give the pods a SecurityGroupPolicy selects a branch network
interface of their own, with EC2 security groups on it, instead of the node's. This module
is pure Python (no aws_cdk), so the config loader and the command-line tools load it cheaply.

Facts, with their sources:

* Which instance types can hold the trunk interface that branch interfaces hang off:
  `IsTrunkingCompatible` in aws/amazon-vpc-resource-controller-k8s `pkg/aws/vpc/limits.go`
  at b8d425119bdb (generated 2026-03-20). There, every Xen type is incompatible, every bare
  metal type compatible, and every Nitro type compatible except the t3, t3a and t4g
  families, i4i.large and u-6tb1.56xlarge/112xlarge; `trunk_support` encodes exactly that
  (checked against all 1,164 entries of the file when this was written). Types newer than
  that file are reported as unknown, not guessed. The EKS user guide
  (security-groups-for-pods.adoc) says the same in words: "No instance types in the t family
  are supported".
* Branch interfaces per node are separate from the max-pods formula: each pod with a
  security group takes one branch interface, counted by the extended resource
  `vpc.amazonaws.com/pod-eni` (e.g. 9 on an m5.large, 18 on an m7g.xlarge, limits.go), and
  it still counts towards the node's max pods (EKS best practices guide, sgpp.adoc).
* A SecurityGroupPolicy names 1-5 security groups (EKS user guide,
  sg-pods-example-deployment.adoc; 5 is also the default security-groups-per-interface
  quota) and one selector, podSelector or serviceAccountSelector; an empty podSelector
  selects every pod of its namespace (same page; CRD
  `config/crd/bases/vpcresources.k8s.aws_securitygrouppolicies.yaml`).
* A security group holds 60 inbound and 60 outbound rules by default (Amazon VPC quotas,
  "Inbound or outbound rules per security group"). The EKS cluster security group counts
  too: every entry adds 2 (DNS) or 3 (with the API server) inbound rules to it, besides
  the all-traffic rule from itself that EKS keeps there.
* A rule description is up to 255 characters of a-z, A-Z, 0-9, space and ._-:/()#,@[]+=&;{}!$*
  (EC2 API reference, IpRange/UserIdGroupPair Description; CloudFormation
  AWS::EC2::SecurityGroupEgress Description); EC2 refuses anything else at deploy time.
* Fargate pods with a policy use the pod's groups for everything their one interface
  carries: the kubelet's API calls, the control plane's calls to the kubelet, and image
  pulls from ECR and S3 (EKS best practices guide, sgpp.adoc, "Using Security Groups for
  Pods with Fargate"). Only the cluster security group (open egress, inbound from the
  control plane) covers all of it without a prefix-list or internet rule, which a peer
  here cannot express; the EKS user guide calls it the easiest way.
* Not with EKS Auto Mode or Windows nodes (EKS user guide, Considerations). IPv6 clusters
  are supported with EC2 nodes from VPC CNI 1.16.0 and Fargate-only from 1.7.7 (same page),
  so no IPv6 combination is refused here: every pinned vpc-cni version is newer.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator

from .base import (
    FieldError,
    LabelKey,
    LabelValue,
    StrictModel,
    check_label_key,
    check_label_value,
    first_duplicate,
)

if TYPE_CHECKING:
    from .environment import EnvironmentConfig

__all__ = [
    "MAX_RULES_PER_DIRECTION",
    "MAX_SECURITY_GROUPS_PER_POLICY",
    "PEER_CLUSTER",
    "PEER_SELF",
    "PodSecurityGroupConfig",
    "PodSecurityGroupsCapacity",
    "PodTrafficRuleConfig",
    "check_labels",
    "check_peer",
    "check_pod_security_groups",
    "check_ports",
    "check_rule_description",
    "check_security_group_id",
    "trunk_support",
]

#: Security group ids a SecurityGroupPolicy may name (EKS user guide: "1-5 security group
#: IDs"; the default quota of security groups per network interface is 5 too).
MAX_SECURITY_GROUPS_PER_POLICY = 5
#: Inbound, and outbound, rules one security group holds (Amazon VPC default quota).
MAX_RULES_PER_DIRECTION = 60
#: Rule peers with a meaning of their own: the pods' own group (pods sharing it), and the
#: EKS cluster security group (nodes of managed node groups and Karpenter, ordinary pods on
#: them, Fargate pods without a policy, the control plane's interfaces).
PEER_SELF = "self"
PEER_CLUSTER = "cluster"
#: Inbound rules the EKS cluster security group keeps besides ours: all traffic from itself.
CLUSTER_GROUP_OWN_RULES = 1
#: A security group rule's description as EC2 accepts it (see the module docstring).
RULE_DESCRIPTION = re.compile(r"[a-zA-Z0-9 ._:/()#,@\[\]+=&;{}!$*-]{1,255}")
#: An EC2 security group id: sg- and 8 or 17 hexadecimal digits.
SECURITY_GROUP_ID = re.compile(r"sg-(?:[0-9a-f]{8}|[0-9a-f]{17})")

#: Nitro instance families whose types are all IsTrunkingCompatible: false (limits.go).
_NO_TRUNK_FAMILIES = frozenset({"t3", "t3a", "t4g"})
#: Further Nitro types with IsTrunkingCompatible: false (limits.go).
_NO_TRUNK_TYPES = frozenset({"i4i.large", "u-6tb1.56xlarge", "u-6tb1.112xlarge"})
#: Families of this package's instance table that limits.go at b8d425119bdb does not list
#: (newer than the file); the managed controller EKS runs may know them, this package not.
_UNLISTED_FAMILIES = frozenset(
    {
        "c8ib", "c8in", "c8ine", "c9g", "c9gd", "g7", "hpc6a", "hpc6id", "hpc7a", "hpc7g",
        "hpc8a", "m8ib", "m8idb", "m8idn", "m8in", "m8ine", "m9g", "m9gd", "r8ib", "r8idb",
        "r8idn", "r8in", "trn2",
    }
)  # fmt: skip
#: The metal sizes of c8gb, c8gn, m8gb, m8gn, r8gb and r8gn are not listed either.
_UNLISTED_METAL_FAMILIES = frozenset({"c8gb", "c8gn", "m8gb", "m8gn", "r8gb", "r8gn"})


def trunk_support(name: str) -> bool | None:
    """Whether the VPC resource controller attaches a trunk interface to instance type
    `name` (so pods with security groups can run there): True, False, or None where this
    package cannot tell (a type its instance table or limits.go snapshot lacks)."""
    from ..instance_types import instance_type

    family, _, size = name.partition(".")
    if family in _UNLISTED_FAMILIES or (
        family in _UNLISTED_METAL_FAMILIES and size.startswith("metal")
    ):
        return None
    known = instance_type(name)
    if known is None:
        return None
    if not (known.nitro or known.bare_metal):
        return False  # Xen: no trunk interfaces
    return family not in _NO_TRUNK_FAMILIES and name not in _NO_TRUNK_TYPES


def check_peer(value: str) -> str:
    """A rule peer: `self`, `cluster`, a security group id or a CIDR (IPv4 or IPv6) that is
    not the whole internet."""
    if value in (PEER_SELF, PEER_CLUSTER) or SECURITY_GROUP_ID.fullmatch(value):
        return value
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        raise ValueError(
            "not a peer; write `self` (pods with this group), `cluster` (the EKS cluster "
            "security group: nodes, ordinary pods, the control plane), a security group id "
            "(sg-0123456789abcdef0) or a CIDR with the host bits zero (10.40.0.0/24)"
        ) from None
    if str(network) != value:
        raise ValueError(f"write the CIDR as {network} (no spaces, leading zeros or newlines)")
    if network.prefixlen == 0:
        raise ValueError(
            f"{value} is the whole internet; a pod security group opens only what the pods "
            "need: name the CIDRs, security groups or prefix you mean"
        )
    return value


def check_ports(port: int, to_port: int | None) -> None:
    """A port, or a range port..to_port, within 0-65535."""
    if not 0 <= port <= 65535:
        raise ValueError(f"port {port} is not a port; use 0-65535")
    if to_port is not None and not port <= to_port <= 65535:
        raise ValueError(f"to_port {to_port} must lie between port ({port}) and 65535")


def check_rule_description(value: str) -> str:
    """A security group rule description EC2 accepts: 1-255 characters of a-z, A-Z, 0-9,
    space and ._-:/()#,@[]+=&;{}!$*."""
    if not RULE_DESCRIPTION.fullmatch(value):
        bad = sorted({c for c in value if not RULE_DESCRIPTION.fullmatch(c)})
        raise ValueError(
            "EC2 accepts 1-255 characters of a-z, A-Z, 0-9, space and ._-:/()#,@[]+=&;{}!$* "
            f"in a rule description{'; not ' + repr(''.join(bad)) if bad else ''}"
        )
    return value


def cluster_group_rules(api_server: list[bool]) -> int:
    """Inbound rules on the EKS cluster security group with one entry per item of
    `api_server` (DNS TCP and UDP each, and TCP 443 where true), its own rule included."""
    return CLUSTER_GROUP_OWN_RULES + sum(2 + int(flag) for flag in api_server)


def check_security_group_id(value: str) -> str:
    """An existing EC2 security group's id."""
    if not SECURITY_GROUP_ID.fullmatch(value):
        raise ValueError("not a security group id; write it like sg-0123456789abcdef0")
    return value


def check_labels(labels: dict[str, str] | None) -> None:
    """Label keys and values as the API server checks them (a selector's matchLabels)."""
    for key, value in (labels or {}).items():
        check_label_key(key)
        check_label_value(value)


class PodTrafficRuleConfig(StrictModel):
    """One rule of a pod security group: traffic to (egress) or from (ingress) a peer."""

    peer: str
    """`self` (pods that have this group), `cluster` (the EKS cluster security group:
    nodes, ordinary pods, the control plane), an existing security group id
    (sg-0123456789abcdef0) or a CIDR such as 10.40.0.0/24 (not 0.0.0.0/0 or ::/0)."""
    port: int
    """Port, or first port of a range, 0-65535."""
    to_port: int | None = None
    """Last port of a range. Default: `port` only."""
    protocol: Literal["tcp", "udp"] = "tcp"
    """tcp or udp. Default: tcp."""
    description: str | None = Field(default=None, max_length=255)
    """Shown on the rule in EC2: up to 255 characters of a-z, A-Z, 0-9, space and
    ._-:/()#,@[]+=&;{}!$* (EC2 refuses others). Default: generated."""

    @field_validator("peer")
    @classmethod
    def _peer(cls, value: str) -> str:
        return check_peer(value)

    @field_validator("description")
    @classmethod
    def _description(cls, value: str | None) -> str | None:
        return value if value is None else check_rule_description(value)

    @model_validator(mode="after")
    def _ports(self) -> PodTrafficRuleConfig:
        try:
            check_ports(self.port, self.to_port)
        except ValueError as exc:
            raise FieldError("to_port" if self.to_port is not None else "port", str(exc)) from None
        return self


#: A SecurityGroupPolicy name in the file (the schema's pattern, checked with a message).
POLICY_NAME = re.compile(r"[a-z]([-a-z0-9]{0,38}[a-z0-9])?")


class PodSecurityGroupConfig(StrictModel):
    """A security group for some pods of one tenant, and the SecurityGroupPolicy that gives
    it to them. Needs addons.vpc_cni.pod_eni. The group always lets the pods reach CoreDNS
    (TCP and UDP 53 to the cluster security group, which is opened for them)."""

    name: str = Field(pattern=r"^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$")
    """Name of the SecurityGroupPolicy, 1-40 lower-case letters, digits and '-', unique in
    the file; also part of the security group's construct id, so renaming replaces it."""
    namespace: str
    """The tenant (tenants[].name) whose pods get the group."""
    pod_labels: dict[LabelKey, LabelValue] | None = None
    """Pods carrying all of these labels get the group (podSelector). Default: with
    service_account_labels unset, every pod of the namespace."""
    service_account_labels: dict[LabelKey, LabelValue] | None = None
    """Pods whose service account carries all of these labels get the group
    (serviceAccountSelector); not with pod_labels. Default: none."""
    egress: list[PodTrafficRuleConfig] = Field(default_factory=list, max_length=57)
    """Where the pods may connect, e.g. [{peer: 10.40.0.0/24, port: 5432}]. Default: only
    DNS (and the API server with api_server)."""
    ingress: list[PodTrafficRuleConfig] = Field(default_factory=list, max_length=60)
    """Who may connect to the pods. Default: nobody but probe_ports from the nodes."""
    probe_ports: list[int] = Field(default_factory=list, max_length=60)
    """TCP ports the kubelet probes, opened from the cluster security group (the nodes).
    Needed with enforcing mode strict; standard mode exempts traffic from the pod's own
    node. Default: none."""
    api_server: bool = False
    """Let the pods reach the Kubernetes API (TCP 443 to the cluster security group, which
    is opened for them). Default: off."""
    cluster_security_group: bool = False
    """Also give the pods the EKS cluster security group, as AWS suggests for Fargate pods
    (control plane, CoreDNS and image pulls then work); its egress is open, so the pods
    may then connect anywhere. Required for Fargate tenants. Default: off."""
    security_group_ids: list[str] = Field(default_factory=list, max_length=4)
    """Existing security groups the pods get too (e.g. a database's client group); with
    this group and cluster_security_group at most 5. Default: none."""

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: object) -> object:
        # Before the pattern, whose own message is the bare regex.
        if isinstance(value, str) and not POLICY_NAME.fullmatch(value):
            raise ValueError(
                "not a policy name: 1-40 lower-case letters, digits and '-', starting with "
                "a letter and not ending with '-', e.g. api-database"
            )
        return value

    @field_validator("probe_ports")
    @classmethod
    def _probe_ports(cls, value: list[int]) -> list[int]:
        for index, port in enumerate(value):
            if not 1 <= port <= 65535:
                raise FieldError([index], "a probe port is 1-65535")
        return value

    @field_validator("security_group_ids")
    @classmethod
    def _group_ids(cls, value: list[str]) -> list[str]:
        for index, group in enumerate(value):
            try:
                check_security_group_id(group)
            except ValueError as exc:
                raise FieldError([index], str(exc)) from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> PodSecurityGroupConfig:
        if self.pod_labels is not None and self.service_account_labels is not None:
            raise FieldError(
                "service_account_labels",
                "a SecurityGroupPolicy selects pods by podSelector or by "
                "serviceAccountSelector, not both; keep one of pod_labels and "
                "service_account_labels",
            )
        groups = 1 + len(self.security_group_ids) + int(self.cluster_security_group)
        if groups > MAX_SECURITY_GROUPS_PER_POLICY:
            raise FieldError(
                "security_group_ids",
                f"the pods would get {groups} security groups; a SecurityGroupPolicy names "
                f"at most {MAX_SECURITY_GROUPS_PER_POLICY}: list fewer",
            )
        egress = len(self.egress) + 2 + int(self.api_server)
        if egress > MAX_RULES_PER_DIRECTION:
            raise FieldError(
                "egress",
                f"{egress} outbound rules with DNS and the API server; a security group holds "
                f"{MAX_RULES_PER_DIRECTION}: merge port ranges or CIDRs",
            )
        ingress = len(self.ingress) + len(self.probe_ports)
        if ingress > MAX_RULES_PER_DIRECTION:
            raise FieldError(
                "ingress",
                f"{ingress} inbound rules with the probe ports; a security group holds "
                f"{MAX_RULES_PER_DIRECTION}: merge port ranges or CIDRs",
            )
        return self


class PodSecurityGroupsCapacity(UserWarning):
    """Some capacity cannot run pods with security groups (no trunk interface), or this
    package cannot tell; the pods will not be scheduled there."""


def _untainted_groups(env: EnvironmentConfig) -> list[tuple[int, list[str]]]:
    """Node groups (index, instance types) that workload pods can land on: no NoSchedule or
    NoExecute taint, which tenant pods do not tolerate."""
    return [
        (index, list(group.instance_types))
        for index, group in enumerate(env.compute.node_groups)
        if not any(t.effect in ("NoSchedule", "NoExecute") for t in group.taints)
    ]


def check_pod_security_groups(env: EnvironmentConfig) -> None:
    """The environment rules of `pod_security_groups` and `addons.vpc_cni.pod_eni` (see the
    module docstring for the facts): not with Auto Mode; entries need pod_eni, a unique
    name and a tenant; Fargate tenants need the API server; EC2 capacity must be able to
    hold trunk interfaces (an error when none can, a PodSecurityGroupsCapacity warning for
    the groups that cannot)."""
    import warnings

    pod_eni = env.addons.vpc_cni.pod_eni
    entries = list(env.pod_security_groups)
    if pod_eni and env.compute.auto_mode is not None:
        raise FieldError(
            "addons.vpc_cni.pod_eni",
            "compute.auto_mode is set, and EKS Auto Mode does not support security groups for "
            "pods (EKS user guide); remove pod_eni and pod_security_groups, or use node groups "
            "or Karpenter instead of Auto Mode",
        )
    if not entries:
        return
    if not pod_eni:
        raise FieldError(
            "addons.vpc_cni.pod_eni",
            "pod_security_groups is set, but the VPC CNI does not manage branch interfaces "
            "(ENABLE_POD_ENI) without it, so no pod would get its group; set "
            "addons.vpc_cni.pod_eni: true",
        )
    duplicate = first_duplicate([entry.name for entry in entries])
    if duplicate is not None:
        raise FieldError(
            f"pod_security_groups[{duplicate}].name",
            f"{entries[duplicate].name!r} is used twice; each entry needs a name of its own",
        )
    tenants = {tenant.name: tenant for tenant in env.tenants}
    for index, entry in enumerate(entries):
        tenant = tenants.get(entry.namespace)
        if tenant is None:
            raise FieldError(
                f"pod_security_groups[{index}].namespace",
                f"{entry.namespace!r} is not a tenant, so nothing creates the namespace the "
                f"SecurityGroupPolicy goes into; use one of tenants[].name "
                f"({', '.join(tenants) or 'none defined'})",
            )
        if tenant.isolation == "fargate" and not entry.cluster_security_group:
            raise FieldError(
                f"pod_security_groups[{index}].cluster_security_group",
                f"tenant {tenant.name} runs on Fargate, where the pod's groups also carry the "
                "kubelet's traffic to and from the control plane and the image pulls from ECR "
                "and S3 (EKS best practices guide, security groups for pods with Fargate), so "
                "with this group alone the pods could not start; set cluster_security_group: "
                "true",
            )
    rules = cluster_group_rules([entry.api_server for entry in entries])
    if rules > MAX_RULES_PER_DIRECTION:
        raise FieldError(
            "pod_security_groups",
            f"the entries would put {rules} inbound rules on the EKS cluster security group "
            f"(2 for DNS per entry, 1 more with api_server, and its own); it holds "
            f"{MAX_RULES_PER_DIRECTION}: merge entries that can share a group",
        )
    on_ec2 = [
        (index, entry)
        for index, entry in enumerate(entries)
        if tenants[entry.namespace].isolation != "fargate"
    ]
    if not on_ec2:
        return
    # Karpenter launches only trunk-capable types for pods that request
    # vpc.amazonaws.com/pod-eni (aws/karpenter-provider-aws, awsPodENI reads limits.go), so
    # with Karpenter there is always somewhere for them.
    groups = _untainted_groups(env)
    capable = [
        index for index, types in groups if any(trunk_support(name) is True for name in types)
    ]
    if env.compute.karpenter is None and not capable:
        first, entry = on_ec2[0]
        raise FieldError(
            f"pod_security_groups[{first}]",
            f"the pods of {entry.namespace} run on EC2, but no untainted node group has an "
            "instance type that holds a trunk interface (t3, t3a, t4g and non-Nitro types do "
            "not; limits.go of the VPC resource controller), so they would stay Pending; add "
            "a node group of e.g. m7g or m6i types, or Karpenter",
        )
    for index, types in groups:
        cannot = [name for name in types if trunk_support(name) is not True]
        if cannot:
            warnings.warn(
                f"compute.node_groups[{index}]: {', '.join(cannot)} cannot run pods with "
                "security groups (no trunk interface, or not in this package's limits.go "
                "snapshot); the scheduler places those pods on other nodes",
                PodSecurityGroupsCapacity,
                stacklevel=2,
            )
