"""DeliveryStack: the environment's image pipelines (`security.registries[].build`)."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from eks_blueprint.config import EnvironmentConfig
from eks_blueprint.delivery.image_pipeline import ImagePipeline

from .cluster_stack import ClusterStack
from .network_stack import NetworkStack
from .security_stack import AccountSecurityStack
from .translate.delivery import image_builds, image_pipeline_props


class DeliveryStack(Stack):
    """One `ImagePipeline` per repository with `build:`, in the environment's account. It
    reads the repository and the signing profile from the security stack, and the cluster
    (name, private subnets, cluster security group) from the cluster and network stacks,
    through strong cross-stack references."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: EnvironmentConfig,
        network: NetworkStack,
        cluster: ClusterStack,
        security: AccountSecurityStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        assert security.registry is not None and security.signing_profile is not None
        control_plane = cluster.control_plane
        vpc = network.network.vpc
        # The EKS deploy action runs in the cluster's private subnets with the cluster
        # security group, so it reaches a private (or allow-listed public) endpoint.
        subnets = vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS).subnets
        subnet_ids = [s.subnet_id for s in subnets]
        self.pipelines: dict[str, ImagePipeline] = {}
        for build in image_builds(config):
            props = image_pipeline_props(
                config,
                build,
                repository=security.registry.repositories[build.registry.name],
                signing_profile=security.signing_profile,
                cluster=control_plane.icluster,
                subnet_ids=subnet_ids,
                security_group_ids=[control_plane.cluster.cluster_security_group_id],
            )
            pipeline = ImagePipeline(self, build.construct_id, props=props)
            self.pipelines[build.registry.name] = pipeline
            CfnOutput(
                self,
                f"PipelineName{build.construct_id}",
                value=pipeline.pipeline.pipeline_name,
                description=f"Image pipeline of ECR repository {build.registry.name}",
            )

