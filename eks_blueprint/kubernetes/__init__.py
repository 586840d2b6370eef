"""Kubernetes objects delivered through CloudFormation, one custom resource per dependency
layer (:mod:`eks_blueprint.kubernetes.delivery`), applied by this project's handler
(:mod:`eks_blueprint.kubernetes.provider`)."""

from .delivery import (
    LAYER_TYPE,
    Applied,
    KubernetesDelivery,
    Layer,
    apply_manifest,
    associate_access_policy,
    can_deliver,
    delivery_of,
    describe_items,
    install_chart,
    items_under,
    needs,
    patch_object,
)

__all__ = [
    "LAYER_TYPE",
    "Applied",
    "KubernetesDelivery",
    "Layer",
    "apply_manifest",
    "associate_access_policy",
    "can_deliver",
    "delivery_of",
    "describe_items",
    "install_chart",
    "items_under",
    "needs",
    "patch_object",
]
