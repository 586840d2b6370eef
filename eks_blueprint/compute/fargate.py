"""FargateProfiles: Fargate profiles in private subnets with one scoped pod execution role.

EKS creates the FARGATE_LINUX access entry for a profile's pod execution role itself (API
authentication mode), so none is declared here. A profile cannot be updated: any change to
it (selectors, subnets, role) replaces it, and EKS creates/deletes profiles of one cluster
one at a time, so the profiles are chained with dependencies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aws_cdk import Aws, Stack, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from .. import validation as v
from ..baseline import COREDNS_LABELS, KARPENTER_LABELS
from ..compliance import acknowledge
from ..ids import pascal_id
from ..wiring import register_capacity
from ._synth_checks import SynthCheck
from .placement import ControllerPlacement


@dataclass(frozen=True, kw_only=True)
class FargateSelectorSpec:
    """Pods a profile runs: those in `namespace` carrying all of `labels`."""

    namespace: str
    """Namespace of the pods."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels the pods must all carry. Default: none (the whole namespace)."""


@dataclass(frozen=True, kw_only=True)
class FargateProfileSpec:
    """One Fargate profile. Any change replaces it."""

    name: str
    """Construct id suffix, 1-63 lower-case letters, digits or '-' (the physical name is
    generated, so a replacement can be created before the old profile is deleted)."""
    selectors: Sequence[FargateSelectorSpec]
    """1-5 selectors."""


def validate_profile(spec: FargateProfileSpec, what: str) -> None:
    """A profile's name and selectors (raises validation.Invalid, `what` naming it)."""
    v.check_name(spec.name, f"{what}.name")
    v.check_selector_count(len(spec.selectors), f"{what}.selectors")
    for index, selector in enumerate(spec.selectors):
        v.check_name(selector.namespace, f"{what}.selectors[{index}].namespace")


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
    cluster's profiles (aws:SourceArn), as the EKS user guide recommends.

    Add profiles with `add_profile`, also after construction; synth fails if there is none.
    """

    def __init__(self, scope: Construct, id: str, *, props: FargateProfilesProps) -> None:
        super().__init__(scope, id)
        self._props = props
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
        try:
            if Token.is_unresolved(props.cluster_name):
                raise v.Invalid(
                    "FargateProfilesProps.cluster_name",
                    props.cluster_name,
                    "give the cluster's name as a literal string: the pod execution role's "
                    "trust condition contains it",
                )
            v.check_unique(
                [s.name for s in specs],
                "FargateProfilesProps.profiles name (coredns and karpenter are the built-in "
                "profiles' names)",
            )
            for index, spec in enumerate(specs):
                validate_profile(spec, f"FargateProfilesProps.profiles[{index}]")
        except v.Invalid as error:
            raise self._fail(error) from None
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
        for spec in specs:
            self._add(spec)
        self.node.add_validation(SynthCheck(self._without_profiles))
        register_capacity(props.cluster, self)

    def _fail(self, error: v.Invalid) -> v.Invalid:
        return v.Invalid(f"{self.node.path}: {error.what}", error.value, error.fix)

    def _without_profiles(self) -> str | None:
        if self.profiles:
            return None
        return (
            f"{self.node.path}: FargateProfiles has no profile; give FargateProfilesProps "
            "profiles, coredns=True or karpenter_namespace, or call add_profile"
        )

    def add_profile(self, spec: FargateProfileSpec) -> eks.FargateProfile:
        """Add a profile (construct `<Name>`), created after the previous one, and return it."""
        try:
            what = f"add_profile(FargateProfileSpec {spec.name!r})"
            validate_profile(spec, what)
            v.check_unique([*self.profiles, spec.name], f"{what}.name")
        except v.Invalid as error:
            raise self._fail(error) from None
        return self._add(spec)

    def _add(self, spec: FargateProfileSpec) -> eks.FargateProfile:
        props = self._props
        previous = list(self.profiles.values())[-1] if self.profiles else None
        profile = eks.FargateProfile(
            self,
            pascal_id(spec.name),
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
        self.profiles[spec.name] = profile
        return profile

    def karpenter_placement(self) -> ControllerPlacement:
        """Run the Karpenter controller on the `karpenter` profile."""
        profile = self.profiles.get("karpenter")
        if profile is None:
            raise ValueError(
                f"{self.node.path}: karpenter_placement: no `karpenter` profile; set "
                "FargateProfilesProps.karpenter_namespace to the controller's namespace"
            )
        return ControllerPlacement(depends_on=[profile], on_fargate=True)
