"""FargateProfiles: Fargate profiles in private subnets with one scoped pod execution role.

EKS creates the FARGATE_LINUX access entry for a profile's pod execution role itself (API
authentication mode), so none is declared here. A profile cannot be updated: any change to
it (selectors, subnets, role) replaces it, and EKS creates/deletes profiles of one cluster
one at a time, so the profiles are chained with dependencies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aws_cdk import Aws, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from ..compliance import acknowledge
from .managed_node_groups import ControllerPlacement

#: Labels of the CoreDNS pods (the coredns add-on's Deployment in kube-system).
COREDNS_LABELS: Mapping[str, str] = {"k8s-app": "kube-dns"}
#: Labels of the Karpenter controller pods (the Helm chart's selector labels).
KARPENTER_LABELS: Mapping[str, str] = {"app.kubernetes.io/name": "karpenter"}


@dataclass(frozen=True, kw_only=True)
class FargateSelectorSpec:
    """Pods a profile runs: those in `namespace` carrying all of `labels`."""

    namespace: str
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class FargateProfileSpec:
    """One Fargate profile. Any change replaces it."""

    name: str
    """Construct id suffix (the physical name is generated, so a replacement can be
    created before the old profile is deleted)."""
    selectors: Sequence[FargateSelectorSpec]
    """1-5 selectors."""


@dataclass(frozen=True, kw_only=True)
class FargateProfilesProps:
    """The settings of FargateProfiles."""

    cluster: eks.Cluster
    """The cluster (aws_eks_v2's FargateProfile takes a Cluster, not an ICluster)."""
    cluster_name: str
    """The cluster's name, literal: it scopes the pod execution role's trust (aws:SourceArn)."""
    vpc: ec2.IVpc
    """The cluster's VPC."""
    profiles: Sequence[FargateProfileSpec] = ()
    """Workload profiles. Default: none."""
    coredns: bool = False
    """Add profile `coredns` for kube-system pods labelled k8s-app=kube-dns. Default: off."""
    karpenter_namespace: str | None = None
    """Add profile `karpenter` for the Karpenter controller in this namespace. Default: none."""
    subnets: ec2.SubnetSelection = field(
        default_factory=lambda: ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
    )
    """Where pods run; Fargate accepts only private subnets. Default: the private subnets."""


class FargateProfiles(Construct):
    """Fargate profiles sharing one pod execution role whose trust is limited to this
    cluster's profiles (aws:SourceArn), as the EKS user guide recommends."""

    def __init__(self, scope: Construct, id: str, *, props: FargateProfilesProps) -> None:
        super().__init__(scope, id)
        specs = list(props.profiles)
        if props.coredns:
            specs.append(
                FargateProfileSpec(
                    name="coredns",
                    selectors=[FargateSelectorSpec(namespace="kube-system", labels=COREDNS_LABELS)],
                )
            )
        if props.karpenter_namespace is not None:
            specs.append(
                FargateProfileSpec(
                    name="karpenter",
                    selectors=[
                        FargateSelectorSpec(
                            namespace=props.karpenter_namespace, labels=KARPENTER_LABELS
                        )
                    ],
                )
            )
        if not specs:
            raise ValueError(
                "FargateProfilesProps: give profiles, coredns=True or karpenter_namespace"
            )
        names = [s.name for s in specs]
        if len(set(names)) != len(names):
            raise ValueError(f"FargateProfilesProps.profiles: duplicate names in {names}")
        stack = Stack.of(self)
        self.pod_execution_role = iam.Role(
            self,
            "PodExecutionRole",
            description="Fargate pod execution role: pulls images and ships logs for pods",
            assumed_by=iam.ServicePrincipal("eks-fargate-pods.amazonaws.com").with_conditions(
                {
                    # Only Fargate profiles of this cluster may use the role (confused deputy).
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{Aws.PARTITION}:eks:{stack.region}:{stack.account}"
                        f":fargateprofile/{props.cluster_name}/*"
                    }
                }
            ),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "AmazonEKSFargatePodExecutionRolePolicy"
                )
            ],
        )
        acknowledge(
            self.pod_execution_role,
            "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
            "AmazonEKSFargatePodExecutionRolePolicy]",
            "AmazonEKSFargatePodExecutionRolePolicy is the AWS-managed policy EKS documents "
            "for pod execution roles: ECR read-only image pulls, nothing else.",
        )
        self.profiles: dict[str, eks.FargateProfile] = {}
        previous: eks.FargateProfile | None = None
        for spec in specs:
            profile = eks.FargateProfile(
                self,
                "".join(p.capitalize() for p in spec.name.split("-")),
                cluster=props.cluster,
                # No physical name: a replaced profile could not be created under the old
                # name while the old profile still exists.
                pod_execution_role=self.pod_execution_role,
                vpc=props.vpc,
                subnet_selection=props.subnets,
                selectors=[
                    eks.Selector(namespace=s.namespace, labels=dict(s.labels) or None)
                    for s in spec.selectors
                ],
            )
            # EKS processes one profile operation per cluster at a time.
            if previous is not None:
                profile.node.add_dependency(previous)
            previous = profile
            self.profiles[spec.name] = profile

    def karpenter_placement(self) -> ControllerPlacement:
        """Run the Karpenter controller on the `karpenter` profile."""
        profile = self.profiles.get("karpenter")
        if profile is None:
            raise ValueError("FargateProfilesProps.karpenter_namespace was not set")
        return ControllerPlacement(
            node_selector={}, tolerations=[], depends_on=[profile], on_fargate=True
        )
