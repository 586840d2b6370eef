"""EKS Auto Mode: EKS runs the nodes (a managed Karpenter) and the core node add-ons.

Auto Mode is a property of the cluster itself (AWS::EKS::Cluster ComputeConfig,
StorageConfig and KubernetesNetworkConfig.ElasticLoadBalancing), so it is switched on
through `ControlPlaneProps.auto_mode`; this module holds its props and its node role.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_iam as iam
from constructs import Construct

from ..compliance import acknowledge

#: The built-in node pools EKS Auto Mode offers.
BUILT_IN_NODE_POOLS: tuple[str, ...] = ("general-purpose", "system")

#: AWS managed policies EKS documents for the Auto Mode node role.
AUTO_MODE_NODE_POLICIES: tuple[str, ...] = (
    "AmazonEKSWorkerNodeMinimalPolicy",
    "AmazonEC2ContainerRegistryPullOnly",
)


@dataclass(frozen=True, kw_only=True)
class AutoModeProps:
    """Auto Mode settings of a ControlPlane."""

    node_pools: Sequence[str] = BUILT_IN_NODE_POOLS
    """Built-in node pools to enable. Default: general-purpose and system."""
    node_role: iam.IRole | None = None
    """The role of Auto Mode's nodes. Default: an AutoModeNodeRole."""


class AutoModeNodeRole(Construct):
    """The node role of EKS Auto Mode: AmazonEKSWorkerNodeMinimalPolicy and
    AmazonEC2ContainerRegistryPullOnly, nothing else (Auto Mode's own CNI and storage
    drivers run with the cluster role, not the node role)."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description="Nodes of EKS Auto Mode",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(n) for n in AUTO_MODE_NODE_POLICIES
            ],
        )
        for name in AUTO_MODE_NODE_POLICIES:
            acknowledge(
                self.role,
                f"AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{name}]",
                f"{name} is the AWS-managed policy the EKS Auto Mode guide prescribes for the "
                "node role; AWS maintains it with Auto Mode.",
            )


def validate_node_pools(node_pools: Sequence[str]) -> None:
    """Raise ValueError naming AutoModeProps.node_pools if a pool is not built in."""
    unknown = [p for p in node_pools if p not in BUILT_IN_NODE_POOLS]
    if unknown or not node_pools:
        raise ValueError(
            f"AutoModeProps.node_pools {list(node_pools)}: use one or both of "
            f"{', '.join(BUILT_IN_NODE_POOLS)}"
        )


#: AWS managed policies aws_eks_v2 adds to the cluster role when Auto Mode is on: EKS itself
#: then runs compute, block storage, load balancing and networking for the cluster.
AUTO_MODE_CLUSTER_POLICIES: tuple[str, ...] = (
    "AmazonEKSComputePolicy",
    "AmazonEKSBlockStoragePolicy",
    "AmazonEKSLoadBalancingPolicy",
    "AmazonEKSNetworkingPolicy",
)


def acknowledge_auto_mode_cluster_role(role: iam.IRole) -> None:
    """Acknowledge the Auto Mode policies aws_eks_v2 attaches to the cluster role."""
    for name in AUTO_MODE_CLUSTER_POLICIES:
        acknowledge(
            role,
            f"AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{name}]",
            f"{name} is required on the cluster role by EKS Auto Mode, which manages nodes, "
            "EBS volumes, load balancers and pod networking itself; AWS maintains it.",
        )
