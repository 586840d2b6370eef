"""The kubectl layer of a cluster: kubectl and Helm for its Kubernetes version, which the
handler of the cluster's Kubernetes layers (eks_blueprint.kubernetes) runs; and the cdk-nag
acknowledgements of the Lambda functions aws_eks_v2's own kubectl provider generates (for
a cluster that has one; a ControlPlane has Kubernetes layers instead).

aws_eks_v2 does not check that the kubectl layer matches the cluster's version, so this is
the one place that maps versions to layers. Each layer is its own PyPI package of about
35 MB, installed with the extra of its version (`pip install "eks-blueprint[kubectl-v34]"`).
"""

from __future__ import annotations

import importlib

from aws_cdk import Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct, IConstruct

from .addons.kubectl_compliance import KUBECTL_PROVIDER_FINDINGS
from .addons.versions import (
    SUPPORTED_KUBERNETES_VERSIONS,
    kubectl_layer_module,
    kubectl_layer_package,
)
from .compliance import acknowledge


def kubectl_layer_for(scope: Construct, version: str) -> lambda_.ILayerVersion:
    """The kubectl layer for Kubernetes `version` ("1.34"), as construct `KubectlLayer` in
    `scope`. Imported lazily: only the layer in use is loaded.

    Raises ValueError for a version this project has no pins for, and ImportError naming
    the `pip install` command when the layer's package is not installed.
    """
    if version not in SUPPORTED_KUBERNETES_VERSIONS:
        raise ValueError(
            f"no kubectl layer for Kubernetes {version!r}; supported: "
            + ", ".join(SUPPORTED_KUBERNETES_VERSIONS)
        )
    module_name, class_name = kubectl_layer_module(version)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        extra = module_name.rsplit("_", 1)[-1].replace("v", "kubectl-v")
        raise ImportError(
            f"the kubectl layer for Kubernetes {version} is not installed: run "
            f"`pip install \"eks-blueprint[{extra}]\"` (or "
            f"`pip install {kubectl_layer_package(version)}`). The kubectl provider applies "
            "Helm charts and manifests (Karpenter, the Load Balancer Controller, tenants); "
            "a cluster without them can set ControlPlaneProps(kubectl_provider=False)."
        ) from error
    existing = scope.node.try_find_child("KubectlLayer")
    if existing is not None:
        # Called again for the same scope (e.g. once for aws_eks_v2's kubectl provider, once
        # for a KubernetesDelivery): the same layer, not a clash of construct ids.
        if type(existing).__name__ != class_name:
            raise ValueError(
                f"{scope.node.path}/KubectlLayer exists and is not the kubectl layer of "
                f"Kubernetes {version}; pass another scope for this version's layer"
            )
        return existing  # type: ignore[return-value]
    layer: lambda_.ILayerVersion = getattr(module, class_name)(scope, "KubectlLayer")
    return layer


def acknowledge_kubectl_provider(provider: IConstruct) -> None:
    """Acknowledge the nag findings of a kubectl provider (aws_eks_v2's `KubectlProvider`),
    each with its reason. Two findings name logical ids, which depend on where the cluster
    sits in the construct tree: they are computed from the provider's own children."""
    stack = Stack.of(provider)
    handler = provider.node.try_find_child("Handler")
    resource = handler.node.try_find_child("Resource") if handler is not None else None
    condition = handler.node.try_find_child("HasEcrPublic") if handler is not None else None
    if resource is None or condition is None:
        # aws-cdk-lib moved the provider's children: the acknowledgements would name ids
        # that do not exist and every finding would fail synth without saying why.
        raise RuntimeError(
            f"{provider.node.path}: the kubectl provider has no Handler/Resource and "
            "Handler/HasEcrPublic children; this aws-cdk-lib version builds it differently "
            "from the one eks_blueprint supports (see pyproject's aws-cdk-lib range)"
        )
    ids = {
        "handler": stack.get_logical_id(resource),  # type: ignore[arg-type]
        "condition": stack.get_logical_id(condition),  # type: ignore[arg-type]
    }
    for rule, reason in KUBECTL_PROVIDER_FINDINGS.items():
        acknowledge(
            provider,
            rule.replace("{handler}", ids["handler"]).replace("{condition}", ids["condition"]),
            reason,
        )
