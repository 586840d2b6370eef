"""EnvironmentStage: one deployable environment, its stacks split by lifetime."""

from __future__ import annotations

from aws_cdk import Environment, Stage, Tags
from constructs import Construct

from eks_blueprint import availability_zones_context_key
from eks_blueprint.config import EnvironmentConfig

from .cluster_stack import ClusterStack
from .network_stack import NetworkStack
from .security_stack import AccountSecurityStack
from .translate.lifecycle import environment_tags
from .translate.security import has_account_security, has_image_builds


class EnvironmentStage(Stage):
    """Stage `<env>` = NetworkStack -> ClusterStack, named `<env>-eks-network`, ...

    The stage id is the environment name, so stack names carry it; construct ids inside the
    stacks never do, so logical ids are the same in every environment.
    """

    def __init__(self, scope: Construct, config: EnvironmentConfig) -> None:
        env = Environment(account=config.account, region=config.region)
        super().__init__(scope, config.name, env=env)
        # ec2.Vpc reads Stack.availability_zones even when given its zones, and for a stack
        # with an explicit account and region that is a context lookup: the CLI would run the
        # app a second time to fill it, and `cdk synth --no-lookups` would fail. The file
        # names its zones, so the stage answers the lookup itself, before any stack exists.
        self.node.set_context(
            availability_zones_context_key(config.account, config.region),
            list(config.availability_zones),
        )
        tags = Tags.of(self)
        for key, value in environment_tags(config).items():
            tags.add(key, value)

        protect = config.lifecycle.termination_protection
        self.network_stack = NetworkStack(
            self,
            "Network",
            config=config,
            stack_name=f"{config.name}-eks-network",
            description=f"eks_blueprint {config.name}: VPC, subnets, NAT, endpoints, flow logs",
            termination_protection=protect,
        )
        # The security stack comes first: the cluster's signature verification reads its
        # signing profile (a cross-stack reference, which also orders the deployment).
        self.security_stack: AccountSecurityStack | None = None
        if has_account_security(config):
            self.security_stack = AccountSecurityStack(
                self,
                "Security",
                config=config,
                stack_name=f"{config.name}-eks-security",
                description=f"eks_blueprint {config.name}: GuardDuty, ECR repositories and "
                "account preconditions",
                termination_protection=protect,
            )
        profile = self.security_stack.signing_profile if self.security_stack else None
        self.cluster_stack = ClusterStack(
            self,
            "Cluster",
            config=config,
            network=self.network_stack.network,
            signing_profile_arn=profile.signing_profile_arn if profile is not None else None,
            stack_name=f"{config.name}-eks-cluster",
            description=f"eks_blueprint {config.name}: EKS control plane",
            termination_protection=protect,
        )
        if self.security_stack is not None and self.security_stack.spot_role is not None:
            # Spot launches need the service-linked role before any node group or
            # Karpenter asks for Spot capacity.
            self.cluster_stack.add_stack_dependency(self.security_stack)
        if has_image_builds(config):
            # Imported here: the CodePipeline and CodeBuild modules cost about 0.2 s to load
            # (measured), which environments without image builds do not pay.
            from .delivery_stack import DeliveryStack

            assert self.security_stack is not None  # registries with build: hold the profile

            # Image pipelines: repositories and the signing profile come from the security
            # stack, the cluster from the cluster stack (strong references order them).
            self.delivery_stack = DeliveryStack(
                self,
                "Delivery",
                config=config,
                network=self.network_stack,
                cluster=self.cluster_stack,
                security=self.security_stack,
                stack_name=f"{config.name}-eks-delivery",
                description=f"eks_blueprint {config.name}: image pipelines (build, scan, "
                "sign, roll out)",
                termination_protection=protect,
            )
