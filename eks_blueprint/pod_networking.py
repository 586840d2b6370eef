"""Pod networking beyond the defaults: VPC CNI custom networking, and the IPv6 policy of the
VPC CNI in an IPv6 cluster.

**Custom networking** moves pod addresses out of the node subnets: the VPC CNI
(`AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG=true`) attaches the ENIs that hold pod addresses to the
subnet and security groups of the node's `ENIConfig`, chosen by a node label
(`ENI_CONFIG_LABEL_DEF=topology.kubernetes.io/zone`: one ENIConfig per AZ, named after the
AZ). The node's primary ENI stays in its own subnet and holds no pod address, so each node
holds fewer pods (`eks_blueprint.compute.max_pods`, `custom_networking=True`).
:class:`CustomNetworking` applies the ENIConfigs, one per pod subnet, in ONE manifest; the
vpc-cni settings are `AddonsProps(vpc_cni_custom_networking=True)`
(:data:`CUSTOM_NETWORKING_ENV`); the pod subnets come from
`NetworkProps(pod_subnet_cidr=...)`.

Order matters: the VPC CNI reads its mode and the node's ENIConfig when the node starts. A
node that started before custom networking was on keeps its pods in the node subnet until
it is replaced; a node that starts with it on but without its AZ's ENIConfig gets no pod
addresses. So the ENIConfigs are applied after the vpc-cni add-on (which installs their
CRD) and before node groups and Karpenter (`CustomNetworking` orders the capacity already
registered with the cluster, and `order_capacity` any other). Turning custom networking on
in a running cluster means replacing every node afterwards.

Sources: aws/amazon-vpc-cni-k8s README (AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG,
ENI_CONFIG_LABEL_DEF: "To select an ENIConfig based upon availability zone set this to
topology.kubernetes.io/zone and create an ENIConfig custom resource for each availability
zone"), pkg/apis/crd/v1alpha1/eniconfig_types.go and
charts/aws-vpc-cni/crds/customresourcedefinition.yaml (ENIConfig: cluster-scoped,
crd.k8s.amazonaws.com/v1alpha1, spec.subnet required, spec.securityGroups), docs/iam-policy.md
(the IPv6 mode policy), all at v1.23.0.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from aws_cdk import Token
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct, IConstruct

from .compliance import acknowledge_wildcard_resources
from .kubernetes import Layer, apply_manifest, can_deliver
from .validate_names import PropError, check_field_types
from .wiring import addons_of, capacity_of

__all__ = [
    "CUSTOM_NETWORKING_ENV",
    "ENI_CONFIG_API_VERSION",
    "ENI_CONFIG_LABEL",
    "VPC_CNI_IPV6_ACTIONS",
    "CustomNetworking",
    "CustomNetworkingProps",
    "eni_config_manifest",
    "vpc_cni_ipv6_policy",
]

#: The ENIConfig custom resource (installed with the VPC CNI, cluster-scoped).
ENI_CONFIG_API_VERSION: Final = "crd.k8s.amazonaws.com/v1alpha1"
#: The node label whose value names a node's ENIConfig: its AZ.
ENI_CONFIG_LABEL: Final = "topology.kubernetes.io/zone"
#: The vpc-cni add-on's `env` for custom networking by AZ.
CUSTOM_NETWORKING_ENV: Final[dict[str, str]] = {
    "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true",
    "ENI_CONFIG_LABEL_DEF": ENI_CONFIG_LABEL,
}
#: What the VPC CNI calls in IPv6 mode (aws/amazon-vpc-cni-k8s docs/iam-policy.md, "IPv6
#: mode", v1.23.0): EC2 offers no resource-level permissions for these, so Resource "*".
VPC_CNI_IPV6_ACTIONS: Final[tuple[str, ...]] = (
    "ec2:AssignIpv6Addresses",
    "ec2:DescribeInstances",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeTags",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeInstanceTypes",
)
#: The CNI tags the ENIs it creates (same document): network interfaces only.
_ENI_ARN = "arn:aws:ec2:*:*:network-interface/*"
_AZ = re.compile(r"[a-z]{2,4}(-[a-z]+)+-\d{1,2}[a-z]")


def vpc_cni_ipv6_policy(scope: Construct, id: str) -> iam.ManagedPolicy:
    """The VPC CNI's IPv6-mode permissions as a customer managed policy (AWS offers no
    managed one; the EKS user guide has users create it), with its wildcards acknowledged."""
    policy = iam.ManagedPolicy(
        scope,
        id,
        description="vpc-cni (aws-node) in an IPv6 cluster: assign IPv6 addresses to ENIs",
        statements=[
            iam.PolicyStatement(actions=list(VPC_CNI_IPV6_ACTIONS), resources=["*"]),
            iam.PolicyStatement(actions=["ec2:CreateTags"], resources=[_ENI_ARN]),
        ],
    )

    def reason(resource: str) -> str | None:
        if resource == "*":
            return (
                "EC2's AssignIpv6Addresses and Describe* calls of the VPC CNI support no "
                "resource-level permissions (docs/iam-policy.md of aws/amazon-vpc-cni-k8s)."
            )
        if resource == _ENI_ARN:
            return (
                "The CNI tags the network interfaces it creates, whose ids are not known "
                "before; the policy allows tagging of network interfaces only."
            )
        return None

    acknowledge_wildcard_resources(policy, reason, owner=policy.node.path)
    return policy


def eni_config_manifest(
    zone: str, subnet_id: str, security_group_ids: Sequence[str]
) -> dict[str, Any]:
    """The ENIConfig for one AZ: named after the AZ (nodes pick it by their zone label),
    pods' ENIs in `subnet_id` with `security_group_ids`."""
    return {
        "apiVersion": ENI_CONFIG_API_VERSION,
        "kind": "ENIConfig",
        "metadata": {"name": zone},
        "spec": {"subnet": subnet_id, "securityGroups": list(security_group_ids)},
    }


@dataclass(frozen=True, kw_only=True)
class CustomNetworkingProps:
    """Where a cluster's pods get their addresses with VPC CNI custom networking."""

    cluster: eks.ICluster
    """The cluster; the ENIConfigs are a manifest (in its foundation layer, before any capacity), so
    it must take Kubernetes objects: a ControlPlane's Kubernetes layers (the default) or an
    eks.Cluster with aws_eks_v2's kubectl provider."""
    subnets: Sequence[Any]
    """The pod subnets (`ec2.ISubnet`), exactly one per AZ the cluster's nodes run in, each
    with a literal AZ (e.g. `Network.pod_subnets`, or `ec2.Subnet.from_subnet_attributes(
    ..., availability_zone="eu-west-1a")`). A node in an AZ without one gets no pod
    addresses."""
    security_group_ids: Sequence[str] = field(default_factory=tuple)
    """The security groups of the pods' ENIs. Default: the cluster security group, which
    managed nodes (and Karpenter's EC2NodeClasses here) use too, so pods and nodes keep
    reaching each other and the control plane."""


class CustomNetworking(Construct):
    """One ENIConfig per pod subnet, named after its AZ, in one manifest (construct
    `EniConfigs`) applied after the vpc-cni add-on and before the cluster's node groups and
    Karpenter (those registered so far; `order_capacity` for others). Fargate profiles are
    not ordered: Fargate pods use their profile's subnets, not ENIConfigs.

    It does not switch the CNI's mode: the add-ons do
    (`AddonsProps(vpc_cni_custom_networking=True)`), and the max-pods settings of the
    compute (`custom_networking=True` on ManagedNodeGroupsProps, SelfManagedNodeGroupsProps
    and KarpenterProps)."""

    def __init__(self, scope: Construct, id: str, *, props: CustomNetworkingProps) -> None:
        super().__init__(scope, id)
        check_field_types(self.node.path, props, "CustomNetworkingProps")
        self.zones: tuple[str, ...] = self._validate(props)
        """The AZs that have an ENIConfig, in the order of `props.subnets`."""
        groups = list(props.security_group_ids) or [props.cluster.cluster_security_group_id]
        self.manifest = apply_manifest(
            self,
            "EniConfigs",
            props.cluster,
            [
                eni_config_manifest(zone, subnet.subnet_id, groups)
                for zone, subnet in zip(self.zones, props.subnets, strict=True)
            ],
            # Before any node: the foundation layer, which capacity may wait for.
            layer=Layer.FOUNDATION,
            overwrite=True,
        )
        """The ENIConfigs' manifest."""
        addons = addons_of(props.cluster)
        vpc_cni = getattr(addons, "vpc_cni", None)
        if vpc_cni is not None:
            # The add-on installs (and EKS keeps) the ENIConfig CRD.
            self.manifest.node.add_dependency(vpc_cni)
        from .compute.fargate import FargateProfiles

        for hosts in capacity_of(props.cluster):
            if not isinstance(hosts, FargateProfiles):
                self.order_capacity(hosts)

    def order_capacity(self, *hosts: IConstruct) -> None:
        """Launch `hosts` (node groups, Karpenter, self-managed groups) only after the
        ENIConfigs exist. Not Fargate profiles: their pods never use ENIConfigs."""
        for construct in hosts:
            construct.node.add_dependency(self.manifest)

    def _validate(self, props: CustomNetworkingProps) -> tuple[str, ...]:
        path = self.node.path
        if not can_deliver(props.cluster):
            raise PropError(
                path,
                "CustomNetworkingProps.cluster",
                props.cluster,
                "the ENIConfigs are applied through the cluster's kubectl provider, and this "
                "cluster has none; create it with ControlPlaneProps(kubectl_provider=True)",
            )
        subnets = list(props.subnets)
        if not subnets or isinstance(props.subnets, str):
            raise PropError(
                path,
                "CustomNetworkingProps.subnets",
                props.subnets,
                "give one pod subnet per AZ of the nodes, e.g. Network(...).pod_subnets",
            )
        zones: list[str] = []
        for index, subnet in enumerate(subnets):
            try:
                zone = getattr(subnet, "availability_zone", None)
            except RuntimeError:  # CDK: a subnet imported without its AZ cannot give it
                zone = None
            if not isinstance(zone, str) or Token.is_unresolved(zone) or not _AZ.fullmatch(zone):
                raise PropError(
                    path,
                    f"CustomNetworkingProps.subnets[{index}]",
                    zone,
                    "each pod subnet needs a literal availability zone (the ENIConfig is named "
                    "after it); import it with ec2.Subnet.from_subnet_attributes(..., "
                    "availability_zone='eu-west-1a')",
                )
            if zone in zones:
                raise PropError(
                    path,
                    f"CustomNetworkingProps.subnets[{index}]",
                    zone,
                    f"a second pod subnet in {zone}: nodes pick one ENIConfig per AZ, so give "
                    "one subnet per AZ",
                )
            zones.append(zone)
        if isinstance(props.security_group_ids, str):
            raise PropError(
                path,
                "CustomNetworkingProps.security_group_ids",
                props.security_group_ids,
                "give a list of security group ids, not one string",
            )
        return tuple(zones)
