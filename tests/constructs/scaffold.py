"""A bare stack for construct tests: a VPC and an imported cluster (with a kubectl provider
where asked), so each test builds only the construct it checks."""

from __future__ import annotations

from aws_cdk import App, Environment, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks

ENV = Environment(account="111111111111", region="eu-west-1")
ZONES = ("eu-west-1a", "eu-west-1b", "eu-west-1c")


def stack() -> Stack:
    """A stack in eu-west-1 with a three-zone VPC `Vpc`."""
    app = App()
    result = Stack(app, "Platform", env=ENV)
    ec2.Vpc(result, "Vpc", availability_zones=list(ZONES), nat_gateways=1)
    return result


def vpc(scope: Stack) -> ec2.Vpc:
    found = scope.node.find_child("Vpc")
    assert isinstance(found, ec2.Vpc)
    return found


def imported_cluster(scope: Stack, *, kubectl: bool = True, name: str = "platform") -> eks.ICluster:
    """An imported cluster `Cluster`, with an imported kubectl provider unless told not."""
    provider = (
        eks.KubectlProvider.from_kubectl_provider_attributes(
            scope,
            "Kubectl",
            service_token="arn:aws:lambda:eu-west-1:111111111111:function:kubectl",
        )
        if kubectl
        else None
    )
    return eks.Cluster.from_cluster_attributes(
        scope, "Cluster", cluster_name=name, vpc=vpc(scope), kubectl_provider=provider
    )


def defined_cluster(scope: Stack, *, kubectl: bool = True, name: str = "platform") -> eks.Cluster:
    """A cluster `Cluster` defined in `scope` (Kubernetes 1.34), with aws_eks_v2's kubectl
    provider unless told not."""
    from aws_cdk.lambda_layer_kubectl_v34 import KubectlV34Layer

    return eks.Cluster(
        scope,
        "Cluster",
        cluster_name=name,
        version=eks.KubernetesVersion.V1_34,
        vpc=vpc(scope),
        kubectl_provider_options=eks.KubectlProviderOptions(
            kubectl_layer=KubectlV34Layer(scope, "KubectlLayer")
        )
        if kubectl
        else None,
    )
