"""NetworkStack: the VPC, which outlives any cluster in it."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack, Tags
from constructs import Construct

from eks_blueprint import Network
from eks_blueprint.config import EnvironmentConfig

from .compute_props import karpenter_discovery_tag
from .props import vpc_props


class NetworkStack(Stack):
    """The environment's VPC, subnets, NAT, endpoints and flow logs."""

    def __init__(
        self, scope: Construct, id: str, *, config: EnvironmentConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, id, **kwargs)
        self.network = Network(self, "Network", props=vpc_props(config))
        # Karpenter finds the subnets for its nodes by this tag (EC2NodeClass selector).
        discovery = karpenter_discovery_tag(config)
        if discovery is not None:
            for subnet in self.network.vpc.private_subnets:
                Tags.of(subnet).add(*discovery)
