"""PodSecurityGroups: EC2 security groups for the pods of chosen workloads or tenants.

For each `PodSecurityGroupSpec`: one security group with the rules the spec declares plus
what every such pod needs, and a `vpcresources.k8s.aws/v1beta1` SecurityGroupPolicy in the
spec's namespace that gives the group to the pods it selects; the policies of all specs
are one manifest item of the cluster's platform layer (pruned: a spec removed is a policy
deleted).

What the pods always get (EKS user guide, sg-pods-example-deployment.adoc: the groups
"must allow outbound communication over TCP and UDP ports 53" to the group of the CoreDNS
pods, which "must allow inbound TCP and UDP port 53 traffic from the security group that
you specify"): egress TCP and UDP 53 to the EKS cluster security group (the nodes of
managed node groups and Karpenter, and Fargate pods, carry it), and an ingress rule on the
cluster security group for the same from the new group. With `api_server`, TCP 443 both
ways likewise (the control plane's interfaces carry the cluster security group). Nothing
else is open: the group's egress starts closed. Fargate pods pull their images and take
the control plane's calls through the pod's groups too: give them `cluster_security_group`.

The cluster needs three things besides, which this construct does not do, so that each
stays in one place: the AmazonEKSVPCResourceController policy on the cluster role
(`ControlPlaneProps.security_groups_for_pods`), ENABLE_POD_ENI on the VPC CNI
(`AddonsProps.vpc_cni_pod_eni`), and trunk-capable instance types for the pods
(`eks_blueprint.config.pod_security_groups.trunk_support`). A policy only affects pods
created after it; apply it after the namespaces it names exist.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from aws_cdk import Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from .config.pod_security_groups import (
    MAX_RULES_PER_DIRECTION,
    MAX_SECURITY_GROUPS_PER_POLICY,
    PEER_CLUSTER,
    PEER_SELF,
    check_labels,
    check_peer,
    check_ports,
    check_rule_description,
    check_security_group_id,
    cluster_group_rules,
)
from .ids import pascal_id
from .kubernetes import Layer
from .kubernetes_objects import pruned_manifest, require_kubectl_provider
from .validate_names import (
    PropError,
    check_field_types,
    check_kubernetes_name,
    check_prop,
    check_unique,
)

__all__ = [
    "SECURITY_GROUP_POLICY_API_VERSION",
    "PodSecurityGroupSpec",
    "PodSecurityGroups",
    "PodSecurityGroupsProps",
    "PodTrafficRule",
    "security_group_policy",
]

#: The SecurityGroupPolicy CRD's group and only version (aws/amazon-vpc-resource-controller-k8s
#: config/crd/bases/vpcresources.k8s.aws_securitygrouppolicies.yaml); EKS installs it.
SECURITY_GROUP_POLICY_API_VERSION = "vpcresources.k8s.aws/v1beta1"
#: Rules every group gets: DNS, TCP and UDP, to the cluster security group.
_DNS_RULES = 2


@dataclass(frozen=True, kw_only=True)
class PodTrafficRule:
    """Traffic to (egress) or from (ingress) one peer on a port or port range."""

    peer: str
    """`"self"` (pods with this group), `"cluster"` (the EKS cluster security group: nodes,
    ordinary pods, the control plane), a security group id or a CIDR (not /0)."""
    port: int
    """Port, or first port of the range, 0-65535."""
    to_port: int | None = None
    """Last port of the range. Default: `port` only."""
    protocol: Literal["tcp", "udp"] = "tcp"
    """tcp or udp. Default: tcp."""
    description: str | None = None
    """Shown on the rule in EC2: 1-255 characters of a-z, A-Z, 0-9, space and
    ._-:/()#,@[]+=&;{}!$* (EC2 refuses others). Default: generated from the peer and
    ports."""


@dataclass(frozen=True, kw_only=True)
class PodSecurityGroupSpec:
    """A security group and the SecurityGroupPolicy that gives it to some pods of one
    namespace: those with `pod_labels`, or whose service account has
    `service_account_labels`, or (neither) every pod of the namespace."""

    name: str
    """Policy name and construct id suffix: a Kubernetes name, at most 40 characters."""
    namespace: str
    """Namespace of the pods and of the policy; it must exist when the policy is applied."""
    pod_labels: Mapping[str, str] | None = None
    """podSelector.matchLabels. Default: none."""
    service_account_labels: Mapping[str, str] | None = None
    """serviceAccountSelector.matchLabels; not with pod_labels. Default: none."""
    egress: Sequence[PodTrafficRule] = ()
    """Where the pods may connect besides DNS. Default: nowhere else."""
    ingress: Sequence[PodTrafficRule] = ()
    """Who may connect to the pods besides probe_ports. Default: nobody."""
    probe_ports: Sequence[int] = ()
    """TCP ports the kubelet probes, opened from the cluster security group (needed with
    POD_SECURITY_GROUP_ENFORCING_MODE strict). Default: none."""
    api_server: bool = False
    """TCP 443 to the control plane (the cluster security group). Default: off."""
    cluster_security_group: bool = False
    """Also give the pods the cluster security group (AWS's suggestion for Fargate pods,
    which also pull images and take the control plane's calls through the pod's groups;
    its egress is open). Default: off."""
    security_group_ids: Sequence[str] = ()
    """Existing groups the pods get too. Default: none."""


@dataclass(frozen=True, kw_only=True)
class PodSecurityGroupsProps:
    """The settings of PodSecurityGroups."""

    cluster: eks.ICluster
    """The cluster; the policies are Kubernetes objects, so it must take them: a ControlPlane's
    Kubernetes layers (the default) or an eks.Cluster with aws_eks_v2's kubectl provider."""
    vpc: ec2.IVpc
    """The cluster's VPC: the security groups are created there."""
    cluster_security_group_id: str
    """The EKS cluster security group (`eks.Cluster.cluster_security_group_id`): DNS and the
    API server are reached through it, and it gets the matching ingress rules."""
    specs: Sequence[PodSecurityGroupSpec]
    """One or more groups, names unique."""


def _policy_selector(spec: PodSecurityGroupSpec) -> dict[str, Any]:
    if spec.service_account_labels is not None:
        return {"serviceAccountSelector": {"matchLabels": dict(spec.service_account_labels)}}
    if spec.pod_labels is not None:
        return {"podSelector": {"matchLabels": dict(spec.pod_labels)}}
    # An empty podSelector selects every pod of the namespace (EKS user guide).
    return {"podSelector": {}}


def security_group_policy(spec: PodSecurityGroupSpec, group_ids: Sequence[str]) -> dict[str, Any]:
    """The SecurityGroupPolicy of `spec` giving the pods `group_ids` (1-5 ids, tokens
    allowed)."""
    return {
        "apiVersion": SECURITY_GROUP_POLICY_API_VERSION,
        "kind": "SecurityGroupPolicy",
        "metadata": {
            "name": spec.name,
            "namespace": spec.namespace,
            "labels": {"app.kubernetes.io/managed-by": "eks-blueprint"},
        },
        "spec": {**_policy_selector(spec), "securityGroups": {"groupIds": list(group_ids)}},
    }


def _check_name(value: str) -> None:
    check_kubernetes_name(value)
    if len(value) > 40:
        raise ValueError("at most 40 characters (it is also part of construct ids)")


def _check_rule(rule: PodTrafficRule) -> None:
    check_peer(rule.peer)
    check_ports(rule.port, rule.to_port)
    if rule.protocol not in ("tcp", "udp"):
        raise ValueError(f"protocol {rule.protocol!r}: use 'tcp' or 'udp'")
    if rule.description is not None:
        check_rule_description(rule.description)


def _check_probe_port(port: int) -> None:
    if not 1 <= port <= 65535:
        raise ValueError(f"probe port {port}: use 1-65535")


def _check_spec(path: str, what: str, spec: PodSecurityGroupSpec) -> None:
    """Every check of one spec that needs no construct tree: a PropError naming `what`."""
    check_prop(path, f"{what}.name", spec.name, _check_name)
    check_prop(path, f"{what}.namespace", spec.namespace, check_kubernetes_name)
    check_prop(path, f"{what}.pod_labels", spec.pod_labels, check_labels)
    check_prop(path, f"{what}.service_account_labels", spec.service_account_labels, check_labels)
    if spec.pod_labels is not None and spec.service_account_labels is not None:
        raise PropError(
            path,
            f"{what}.service_account_labels",
            spec.service_account_labels,
            "a SecurityGroupPolicy selects by podSelector or serviceAccountSelector, not "
            "both; give pod_labels or service_account_labels",
        )
    for direction in ("egress", "ingress"):
        for index, rule in enumerate(getattr(spec, direction)):
            check_prop(path, f"{what}.{direction}[{index}]", rule, _check_rule)
    for index, port in enumerate(spec.probe_ports):
        check_prop(path, f"{what}.probe_ports[{index}]", port, _check_probe_port)
    for index, group in enumerate(spec.security_group_ids):
        if not Token.is_unresolved(group):
            check_prop(path, f"{what}.security_group_ids[{index}]", group, check_security_group_id)
    groups = 1 + len(spec.security_group_ids) + int(spec.cluster_security_group)
    if groups > MAX_SECURITY_GROUPS_PER_POLICY:
        raise PropError(
            path,
            f"{what}.security_group_ids",
            list(spec.security_group_ids),
            f"the pods would get {groups} security groups; a SecurityGroupPolicy names at "
            f"most {MAX_SECURITY_GROUPS_PER_POLICY}",
        )
    counts = {
        "egress": len(spec.egress) + _DNS_RULES + int(spec.api_server),
        "ingress": len(spec.ingress) + len(spec.probe_ports),
    }
    for direction, count in counts.items():
        if count > MAX_RULES_PER_DIRECTION:
            raise PropError(
                path,
                f"{what}.{direction}",
                count,
                f"a security group holds {MAX_RULES_PER_DIRECTION} {direction} rules by "
                "default (DNS and the API server count too); merge ranges or CIDRs",
            )


class PodSecurityGroups(Construct):
    """Security groups for pods: a group per spec (construct `<Name>`), the cluster
    security group opened to it for DNS (and the API server), and one manifest
    `Policies` with a SecurityGroupPolicy per spec."""

    def __init__(self, scope: Construct, id: str, *, props: PodSecurityGroupsProps) -> None:
        super().__init__(scope, id)
        path = self.node.path
        check_field_types(path, props, "PodSecurityGroupsProps")
        specs = list(props.specs)
        if not specs:
            raise PropError(path, "PodSecurityGroupsProps.specs", specs, "give at least one spec")
        for index, spec in enumerate(specs):
            _check_spec(path, f"PodSecurityGroupsProps.specs[{index}]", spec)
        check_prop(path, "PodSecurityGroupsProps.specs name", [s.name for s in specs], check_unique)
        rules = cluster_group_rules([spec.api_server for spec in specs])
        if rules > MAX_RULES_PER_DIRECTION:
            raise PropError(
                path,
                "PodSecurityGroupsProps.specs",
                len(specs),
                f"the specs would put {rules} inbound rules on the cluster security group (2 "
                f"for DNS each, 1 more with api_server, and its own); it holds "
                f"{MAX_RULES_PER_DIRECTION}: merge specs that can share a group",
            )
        require_kubectl_provider(
            path,
            "PodSecurityGroupsProps.cluster",
            props.cluster,
            "PodSecurityGroups applies SecurityGroupPolicy objects",
        )
        self._cluster_group = props.cluster_security_group_id
        #: The security group of each spec, by spec name.
        self.security_groups: dict[str, ec2.SecurityGroup] = {}
        policies: list[dict[str, Any]] = []
        for spec in specs:
            group = self._group(spec, props.vpc)
            self.security_groups[spec.name] = group
            ids = [group.security_group_id, *spec.security_group_ids]
            if spec.cluster_security_group:
                ids.append(props.cluster_security_group_id)
            policies.append(security_group_policy(spec, ids))
        #: The SecurityGroupPolicy objects, one manifest.
        self.policies = pruned_manifest(
            self, "Policies", props.cluster, policies, layer=Layer.PLATFORM, overwrite=True
        )

    def _group(self, spec: PodSecurityGroupSpec, vpc: ec2.IVpc) -> ec2.SecurityGroup:
        scope = Construct(self, pascal_id(spec.name))
        group = ec2.SecurityGroup(
            scope,
            "SecurityGroup",
            vpc=vpc,
            description=f"Pods of SecurityGroupPolicy {spec.namespace}/{spec.name}",
            allow_all_outbound=False,
        )
        cluster = ec2.Peer.security_group_id(self._cluster_group)
        for port in (ec2.Port.tcp(53), ec2.Port.udp(53)):
            group.add_egress_rule(cluster, port, "DNS to CoreDNS (cluster security group)")
        self._open_cluster_group(scope, group, "Dns", "tcp", 53, "DNS", spec.name)
        self._open_cluster_group(scope, group, "DnsUdp", "udp", 53, "DNS", spec.name)
        if spec.api_server:
            group.add_egress_rule(cluster, ec2.Port.tcp(443), "Kubernetes API server")
            self._open_cluster_group(
                scope, group, "ApiServer", "tcp", 443, "Kubernetes API", spec.name
            )
        for port_number in spec.probe_ports:
            group.add_ingress_rule(
                cluster, ec2.Port.tcp(port_number), "kubelet probes from the nodes"
            )
        for rule in spec.egress:
            if rule.peer == PEER_SELF:
                self._self_rule(scope, group, rule, "to")
            else:
                group.add_egress_rule(self._peer(rule), _port(rule), _description(rule, "to"))
        for rule in spec.ingress:
            if rule.peer == PEER_SELF:
                self._self_rule(scope, group, rule, "from")
            else:
                group.add_ingress_rule(self._peer(rule), _port(rule), _description(rule, "from"))
        return group

    def _self_rule(
        self, scope: Construct, group: ec2.SecurityGroup, rule: PodTrafficRule, direction: str
    ) -> None:
        """A rule between the pods of `group`, as a resource of its own: the group object as
        the peer would name the rule after the group's path (so the environment's name), and
        an inline rule naming its own group would be a cycle."""
        last = rule.port if rule.to_port is None else rule.to_port
        own = group.security_group_id
        kind = "Ingress" if direction == "from" else "Egress"
        id = f"Self{kind}{rule.protocol.capitalize()}{rule.port}To{last}"
        if scope.node.try_find_child(id) is not None:
            return  # the same rule twice (as add_ingress_rule, keep one)
        common: dict[str, Any] = {
            "group_id": own,
            "ip_protocol": rule.protocol,
            "from_port": rule.port,
            "to_port": last,
            "description": _description(rule, direction),
        }
        if direction == "from":
            ec2.CfnSecurityGroupIngress(scope, id, source_security_group_id=own, **common)
        else:
            ec2.CfnSecurityGroupEgress(scope, id, destination_security_group_id=own, **common)

    def _open_cluster_group(
        self,
        scope: Construct,
        group: ec2.SecurityGroup,
        id: str,
        protocol: str,
        port: int,
        what: str,
        name: str,
    ) -> None:
        """An ingress rule on the (EKS-created) cluster security group from `group`."""
        ec2.CfnSecurityGroupIngress(
            scope,
            f"ClusterGroupFrom{id}",
            group_id=self._cluster_group,
            source_security_group_id=group.security_group_id,
            ip_protocol=protocol,
            from_port=port,
            to_port=port,
            description=f"{what} from pods with pod security group {name}",
        )

    def _peer(self, rule: PodTrafficRule) -> ec2.IPeer:
        if rule.peer == PEER_CLUSTER:
            return ec2.Peer.security_group_id(self._cluster_group)
        if rule.peer.startswith("sg-"):
            return ec2.Peer.security_group_id(rule.peer)
        return ec2.Peer.ipv6(rule.peer) if ":" in rule.peer else ec2.Peer.ipv4(rule.peer)


def _port(rule: PodTrafficRule) -> ec2.Port:
    last = rule.port if rule.to_port is None else rule.to_port
    if rule.protocol == "udp":
        return ec2.Port.udp_range(rule.port, last) if last != rule.port else ec2.Port.udp(last)
    return ec2.Port.tcp_range(rule.port, last) if last != rule.port else ec2.Port.tcp(last)


def _description(rule: PodTrafficRule, direction: str) -> str:
    if rule.description is not None:
        return rule.description
    ports = str(rule.port) if rule.to_port in (None, rule.port) else f"{rule.port}-{rule.to_port}"
    return f"{rule.protocol.upper()} {ports} {direction} {rule.peer}"
