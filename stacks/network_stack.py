"""NetworkStack: the VPC, which outlives any cluster in it."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack, Tags
from constructs import Construct

from eks_blueprint import Network
from eks_blueprint.config import EnvironmentConfig

from .translate.network import network_props, private_subnet_tags


class NetworkStack(Stack):
    """The environment's VPC, subnets, NAT, endpoints and flow logs."""

    def __init__(
        self, scope: Construct, id: str, *, config: EnvironmentConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, id, **kwargs)
        self.network = Network(self, "Network", props=network_props(config))
        # Karpenter finds the subnets for its nodes by tag (EC2NodeClass selector).
        for key, value in private_subnet_tags(config).items():
            for subnet in self.network.vpc.private_subnets:
                Tags.of(subnet).add(key, value)
