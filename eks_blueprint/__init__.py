"""eks_blueprint: reusable AWS CDK constructs for best-practice Amazon EKS platforms.

The constructs are imported lazily, so that the command-line tools in this package
(review, verify, nag) start without loading aws_cdk and its JavaScript runtime.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .access import AccessGrant as AccessGrant
    from .access import ClusterAccess as ClusterAccess
    from .access import ClusterAccessProps as ClusterAccessProps
    from .control_plane import ALL_LOG_TYPES as ALL_LOG_TYPES
    from .control_plane import ControlPlane as ControlPlane
    from .control_plane import ControlPlaneProps as ControlPlaneProps
    from .control_plane import kubectl_layer_for as kubectl_layer_for
    from .identity import PodIdentityRole as PodIdentityRole
    from .identity import PodIdentityRoleProps as PodIdentityRoleProps
    from .identity import ServiceAccountRole as ServiceAccountRole
    from .identity import ServiceAccountRoleProps as ServiceAccountRoleProps
    from .network import Network as Network
    from .network import NetworkProps as NetworkProps
    from .registry import Registry as Registry
    from .registry import RegistryProps as RegistryProps
    from .registry import RepositorySpec as RepositorySpec
    from .tenancy import TenantNamespaces as TenantNamespaces
    from .tenancy import TenantNamespacesProps as TenantNamespacesProps
    from .tenancy import TenantSpec as TenantSpec
    from .threat_detection import ThreatDetection as ThreatDetection
    from .threat_detection import ThreatDetectionProps as ThreatDetectionProps

_EXPORTS: dict[str, str] = {
    "ALL_LOG_TYPES": "control_plane",
    "ControlPlane": "control_plane",
    "ControlPlaneProps": "control_plane",
    "Network": "network",
    "NetworkProps": "network",
    "kubectl_layer_for": "control_plane",
    "AccessGrant": "access",
    "ClusterAccess": "access",
    "ClusterAccessProps": "access",
    "PodIdentityRole": "identity",
    "PodIdentityRoleProps": "identity",
    "ServiceAccountRole": "identity",
    "ServiceAccountRoleProps": "identity",
    "Registry": "registry",
    "RegistryProps": "registry",
    "RepositorySpec": "registry",
    "TenantNamespaces": "tenancy",
    "TenantNamespacesProps": "tenancy",
    "TenantSpec": "tenancy",
    "ThreatDetection": "threat_detection",
    "ThreatDetectionProps": "threat_detection",
}

__all__ = [
    "ALL_LOG_TYPES",
    "AccessGrant",
    "ClusterAccess",
    "ClusterAccessProps",
    "ControlPlane",
    "ControlPlaneProps",
    "Network",
    "PodIdentityRole",
    "PodIdentityRoleProps",
    "Registry",
    "RegistryProps",
    "RepositorySpec",
    "ServiceAccountRole",
    "ServiceAccountRoleProps",
    "TenantNamespaces",
    "TenantNamespacesProps",
    "TenantSpec",
    "ThreatDetection",
    "ThreatDetectionProps",
    "NetworkProps",
    "kubectl_layer_for",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'eks_blueprint' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
