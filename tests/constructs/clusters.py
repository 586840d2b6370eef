"""Small clusters for the construct tests: cheap to build, no Lambda unless asked.

`imported` is an `eks.Cluster.from_cluster_attributes` cluster, optionally with an imported
kubectl provider (what manifests need); `built` is a real `eks.Cluster`, without a kubectl
provider unless asked (what the OIDC issuer and the cluster's version come from).
`template_of` synthesises a fresh stack with one construct; `refused` expects a PropError.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk.assertions import Match, Template

from eks_blueprint.kubectl import kubectl_layer_for

ENV = cdk.Environment(account="123456789012", region="eu-west-1")
KUBECTL_TOKEN = "arn:aws:lambda:eu-west-1:123456789012:function:kubectl"
ZONES = ("eu-west-1a", "eu-west-1b", "eu-west-1c")


def stack(name: str = "Platform") -> cdk.Stack:
    """A fresh stack with a concrete account and region, in its own App."""
    return cdk.Stack(cdk.App(), name, env=ENV)


def stack_with_vpc(name: str = "Platform") -> tuple[cdk.Stack, ec2.Vpc]:
    """A fresh stack (as `stack`) with a three-zone VPC `Vpc`."""
    scope = stack(name)
    vpc = ec2.Vpc(scope, "Vpc", availability_zones=list(ZONES), nat_gateways=1)
    return scope, vpc


def template_of(build: Callable[[cdk.Stack], object], name: str = "Platform") -> Template:
    """The template of a fresh stack (`stack(name)`) in which `build` adds its constructs."""
    scope = stack(name)
    build(scope)
    return Template.from_stack(scope)


def refused(path: str, prop: str, build: Callable[..., object], *args: Any, **kwargs: Any) -> str:
    """Call `build(*args, **kwargs)`, which must refuse `prop` of the construct at `path` (a
    PropError); the message, for the caller to look into."""
    with pytest.raises(ValueError, match=at(path, prop)) as caught:
        build(*args, **kwargs)
    return str(caught.value)


def imported(scope: cdk.Stack, *, kubectl: bool = True) -> eks.ICluster:
    """An imported cluster `platform`, with an imported kubectl provider unless told not."""
    provider = (
        eks.KubectlProvider.from_kubectl_provider_attributes(
            scope, "Kubectl", service_token=KUBECTL_TOKEN
        )
        if kubectl
        else None
    )
    return eks.Cluster.from_cluster_attributes(
        scope, "Cluster", cluster_name="platform", kubectl_provider=provider
    )


def built(scope: cdk.Stack, *, vpc: ec2.IVpc | None = None, kubectl: bool = False) -> eks.Cluster:
    """A real 1.34 cluster `Cluster` (in `vpc`, else a VPC of its own), with aws_eks_v2's
    kubectl provider only when asked (no Lambda otherwise)."""
    return eks.Cluster(
        scope,
        "Cluster",
        version=eks.KubernetesVersion.V1_34,
        vpc=vpc,
        default_capacity_type=eks.DefaultCapacityType.NODEGROUP,
        default_capacity=0,
        kubectl_provider_options=eks.KubectlProviderOptions(
            kubectl_layer=kubectl_layer_for(scope, "1.34")
        )
        if kubectl
        else None,
    )


def at(path: str, prop: str) -> str:
    """The start of a PropError message for `prop` of the construct at `path`, as a regex."""
    return "^" + re.escape(f"{path}: {prop} = ")


def pod_identity_trust(**fields: Any) -> dict[str, Any]:
    """An AssumeRolePolicyDocument matcher: one statement trusting EKS Pod Identity
    (sts:AssumeRole and sts:TagSession by pods.eks.amazonaws.com), with `fields` besides."""
    statement = {
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Principal": {"Service": "pods.eks.amazonaws.com"},
        **fields,
    }
    return {"Statement": [Match.object_like(statement)]}
