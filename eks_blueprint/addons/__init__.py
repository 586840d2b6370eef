"""Add-ons: EKS managed add-ons (AWS::EKS::Addon) and pinned Helm charts.

Constructs are imported lazily so that the config models can read the version table
(`eks_blueprint.addons.versions`) without starting aws_cdk's JavaScript runtime.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .addons import Addons, AddonsProps  # noqa: F401
    from .pod_identity import ensure_pod_identity_agent, pod_identity_role  # noqa: F401

_EXPORTS: dict[str, str] = {
    "Addons": "addons",
    "AddonsProps": "addons",
    "ensure_pod_identity_agent": "pod_identity",
    "pod_identity_role": "pod_identity",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'eks_blueprint.addons' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
