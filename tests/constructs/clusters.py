"""Small clusters for the construct tests: cheap to build, no Lambda unless asked.

`imported` is an `eks.Cluster.from_cluster_attributes` cluster, optionally with an imported
kubectl provider (what manifests need); `built` is a real `eks.Cluster` without a kubectl
provider (what the OIDC issuer and the cluster's version come from).
"""

from __future__ import annotations

import re

import aws_cdk as cdk
from aws_cdk import aws_eks_v2 as eks

ENV = cdk.Environment(account="123456789012", region="eu-west-1")
KUBECTL_TOKEN = "arn:aws:lambda:eu-west-1:123456789012:function:kubectl"


def stack(name: str = "Platform") -> cdk.Stack:
    """A fresh stack with a concrete account and region, in its own App."""
    return cdk.Stack(cdk.App(), name, env=ENV)


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


def built(scope: cdk.Stack) -> eks.Cluster:
    """A real 1.34 cluster without a kubectl provider (no Lambda)."""
    return eks.Cluster(
        scope,
        "Cluster",
        version=eks.KubernetesVersion.V1_34,
        default_capacity_type=eks.DefaultCapacityType.NODEGROUP,
        default_capacity=0,
    )


def at(path: str, prop: str) -> str:
    """The start of a PropError message for `prop` of the construct at `path`, as a regex."""
    return "^" + re.escape(f"{path}: {prop} = ")
