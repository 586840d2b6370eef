"""eks_blueprint: reusable AWS CDK constructs for best-practice Amazon EKS platforms.

Every construct, its props and its specs are importable from here (`from eks_blueprint
import ControlPlane, NodeGroupSpec`); no name clashes with aws_cdk's. The constructs are
imported lazily, so that the command-line tools in this package (nag, review, verify,
preflight) start without loading aws_cdk and its JavaScript runtime.

Stability: 0.x. Until 1.0 a minor release may change props and growth methods; each change
is listed in CHANGELOG.md. Logical ids of resources only change with a note there.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

if TYPE_CHECKING:
    from .access import AccessGrant as AccessGrant
    from .access import ClusterAccess as ClusterAccess
    from .access import ClusterAccessProps as ClusterAccessProps
    from .addons.addons import Addons as Addons
    from .addons.addons import AddonsProps as AddonsProps
    from .capabilities import AckCapability as AckCapability
    from .capabilities import AckCapabilityProps as AckCapabilityProps
    from .capabilities import AckPermission as AckPermission
    from .capabilities import ArgoCdCapability as ArgoCdCapability
    from .capabilities import ArgoCdCapabilityProps as ArgoCdCapabilityProps
    from .capabilities import ArgoCdIdentities as ArgoCdIdentities
    from .capabilities import KroCapability as KroCapability
    from .capabilities import KroCapabilityProps as KroCapabilityProps
    from .compute.accelerators import NvidiaDevicePlugin as NvidiaDevicePlugin
    from .compute.accelerators import NvidiaDevicePluginProps as NvidiaDevicePluginProps
    from .compute.auto_mode import AutoModeNodeRole as AutoModeNodeRole
    from .compute.auto_mode import AutoModeProps as AutoModeProps
    from .compute.cluster_autoscaler import ClusterAutoscaler as ClusterAutoscaler
    from .compute.cluster_autoscaler import ClusterAutoscalerProps as ClusterAutoscalerProps
    from .compute.fargate import FargateProfiles as FargateProfiles
    from .compute.fargate import FargateProfileSpec as FargateProfileSpec
    from .compute.fargate import FargateProfilesProps as FargateProfilesProps
    from .compute.fargate import FargateSelectorSpec as FargateSelectorSpec
    from .compute.karpenter import DisruptionBudget as DisruptionBudget
    from .compute.karpenter import Karpenter as Karpenter
    from .compute.karpenter import KarpenterProps as KarpenterProps
    from .compute.karpenter import NodeClassSpec as NodeClassSpec
    from .compute.karpenter import NodePoolDisruption as NodePoolDisruption
    from .compute.karpenter import NodePoolLimits as NodePoolLimits
    from .compute.karpenter import NodePoolRequirements as NodePoolRequirements
    from .compute.karpenter import NodePoolSpec as NodePoolSpec
    from .compute.managed_node_groups import ControllerPlacement as ControllerPlacement
    from .compute.managed_node_groups import ManagedNodeGroups as ManagedNodeGroups
    from .compute.managed_node_groups import ManagedNodeGroupsProps as ManagedNodeGroupsProps
    from .compute.managed_node_groups import NodeGroupSpec as NodeGroupSpec
    from .compute.self_managed import SelfManagedNodeGroups as SelfManagedNodeGroups
    from .compute.self_managed import SelfManagedNodeGroupSpec as SelfManagedNodeGroupSpec
    from .compute.self_managed import SelfManagedNodeGroupsProps as SelfManagedNodeGroupsProps
    from .compute.taints import Taint as Taint
    from .control_plane import ALL_LOG_TYPES as ALL_LOG_TYPES
    from .control_plane import ControlPlane as ControlPlane
    from .control_plane import ControlPlaneProps as ControlPlaneProps
    from .gitops.target import GitOpsTarget as GitOpsTarget
    from .governance.kyverno import Governance as Governance
    from .governance.kyverno import GovernanceProps as GovernanceProps
    from .governance.spec import ImageVerification as ImageVerification
    from .governance.spec import PolicySet as PolicySet
    from .governance.spec import TenantRules as TenantRules
    from .identity import PodIdentityRole as PodIdentityRole
    from .identity import PodIdentityRoleProps as PodIdentityRoleProps
    from .identity import ServiceAccountRole as ServiceAccountRole
    from .identity import ServiceAccountRoleProps as ServiceAccountRoleProps
    from .kubectl import kubectl_layer_for as kubectl_layer_for
    from .network import Network as Network
    from .network import NetworkProps as NetworkProps
    from .network import availability_zones_context_key as availability_zones_context_key
    from .observability import PrometheusScraper as PrometheusScraper
    from .observability import PrometheusScraperProps as PrometheusScraperProps
    from .observability import TenantLogGroups as TenantLogGroups
    from .observability import TenantLogGroupsProps as TenantLogGroupsProps
    from .observability import TenantLogSpec as TenantLogSpec
    from .pod_networking import CustomNetworking as CustomNetworking
    from .pod_networking import CustomNetworkingProps as CustomNetworkingProps
    from .pod_security_groups import PodSecurityGroups as PodSecurityGroups
    from .pod_security_groups import PodSecurityGroupSpec as PodSecurityGroupSpec
    from .pod_security_groups import PodSecurityGroupsProps as PodSecurityGroupsProps
    from .pod_security_groups import PodTrafficRule as PodTrafficRule
    from .registry import EnhancedScanning as EnhancedScanning
    from .registry import Registry as Registry
    from .registry import RegistryProps as RegistryProps
    from .registry import RepositorySpec as RepositorySpec
    from .service_roles import SpotServiceLinkedRole as SpotServiceLinkedRole
    from .storage.efs import EfsStorage as EfsStorage
    from .storage.efs import EfsStorageProps as EfsStorageProps
    from .storage.efs import EfsTenantAccessPoint as EfsTenantAccessPoint
    from .storage.fsx import FsxLustreStorage as FsxLustreStorage
    from .storage.fsx import FsxLustreStorageProps as FsxLustreStorageProps
    from .tenancy import PriorityTier as PriorityTier
    from .tenancy import ServiceAccountSpec as ServiceAccountSpec
    from .tenancy import TenantNamespaces as TenantNamespaces
    from .tenancy import TenantNamespacesProps as TenantNamespacesProps
    from .tenancy import TenantSpec as TenantSpec
    from .threat_detection import ThreatDetection as ThreatDetection
    from .threat_detection import ThreatDetectionProps as ThreatDetectionProps
    from .validate_names import PropError as PropError
    from .workloads.demo import DemoWorkload as DemoWorkload
    from .workloads.demo import DemoWorkloadProps as DemoWorkloadProps

#: Public name -> the module (below this package) that defines it.
_EXPORTS: dict[str, str] = {
    "Network": "network",
    "NetworkProps": "network",
    "availability_zones_context_key": "network",
    "ALL_LOG_TYPES": "control_plane",
    "ControlPlane": "control_plane",
    "ControlPlaneProps": "control_plane",
    "kubectl_layer_for": "kubectl",
    "ControllerPlacement": "compute.managed_node_groups",
    "ManagedNodeGroups": "compute.managed_node_groups",
    "ManagedNodeGroupsProps": "compute.managed_node_groups",
    "NodeGroupSpec": "compute.managed_node_groups",
    "Taint": "compute.taints",
    "DisruptionBudget": "compute.karpenter",
    "Karpenter": "compute.karpenter",
    "KarpenterProps": "compute.karpenter",
    "NodeClassSpec": "compute.karpenter",
    "NodePoolDisruption": "compute.karpenter",
    "NodePoolLimits": "compute.karpenter",
    "NodePoolRequirements": "compute.karpenter",
    "NodePoolSpec": "compute.karpenter",
    "FargateProfileSpec": "compute.fargate",
    "FargateProfiles": "compute.fargate",
    "FargateProfilesProps": "compute.fargate",
    "FargateSelectorSpec": "compute.fargate",
    "AutoModeNodeRole": "compute.auto_mode",
    "AutoModeProps": "compute.auto_mode",
    "Addons": "addons.addons",
    "AddonsProps": "addons.addons",
    "AccessGrant": "access",
    "ClusterAccess": "access",
    "ClusterAccessProps": "access",
    "Governance": "governance.kyverno",
    "GovernanceProps": "governance.kyverno",
    "ImageVerification": "governance.spec",
    "PolicySet": "governance.spec",
    "TenantRules": "governance.spec",
    "PodIdentityRole": "identity",
    "PodIdentityRoleProps": "identity",
    "ServiceAccountRole": "identity",
    "ServiceAccountRoleProps": "identity",
    "EnhancedScanning": "registry",
    "Registry": "registry",
    "RegistryProps": "registry",
    "RepositorySpec": "registry",
    "PrometheusScraper": "observability",
    "PrometheusScraperProps": "observability",
    "TenantLogGroups": "observability",
    "TenantLogGroupsProps": "observability",
    "TenantLogSpec": "observability",
    "PriorityTier": "tenancy",
    "ServiceAccountSpec": "tenancy",
    "TenantNamespaces": "tenancy",
    "TenantNamespacesProps": "tenancy",
    "TenantSpec": "tenancy",
    "ThreatDetection": "threat_detection",
    "ThreatDetectionProps": "threat_detection",
    "AckCapability": "capabilities",
    "AckCapabilityProps": "capabilities",
    "AckPermission": "capabilities",
    "ArgoCdCapability": "capabilities",
    "GitOpsTarget": "gitops.target",
    "ArgoCdCapabilityProps": "capabilities",
    "ArgoCdIdentities": "capabilities",
    "KroCapability": "capabilities",
    "KroCapabilityProps": "capabilities",
    "PropError": "validate_names",
    "SelfManagedNodeGroups": "compute.self_managed",
    "SelfManagedNodeGroupSpec": "compute.self_managed",
    "SelfManagedNodeGroupsProps": "compute.self_managed",
    "EfsStorage": "storage.efs",
    "EfsStorageProps": "storage.efs",
    "EfsTenantAccessPoint": "storage.efs",
    "FsxLustreStorage": "storage.fsx",
    "FsxLustreStorageProps": "storage.fsx",
    "CustomNetworking": "pod_networking",
    "CustomNetworkingProps": "pod_networking",
    "PodSecurityGroupSpec": "pod_security_groups",
    "PodSecurityGroups": "pod_security_groups",
    "PodSecurityGroupsProps": "pod_security_groups",
    "PodTrafficRule": "pod_security_groups",
    "NvidiaDevicePlugin": "compute.accelerators",
    "NvidiaDevicePluginProps": "compute.accelerators",
    "ClusterAutoscaler": "compute.cluster_autoscaler",
    "ClusterAutoscalerProps": "compute.cluster_autoscaler",
    "SpotServiceLinkedRole": "service_roles",
    "DemoWorkload": "workloads.demo",
    "DemoWorkloadProps": "workloads.demo",
}

__all__ = [
    "ALL_LOG_TYPES",
    "AccessGrant",
    "AckCapability",
    "AckCapabilityProps",
    "AckPermission",
    "Addons",
    "AddonsProps",
    "ArgoCdCapability",
    "ArgoCdCapabilityProps",
    "ArgoCdIdentities",
    "AutoModeNodeRole",
    "AutoModeProps",
    "ClusterAccess",
    "ClusterAccessProps",
    "ClusterAutoscaler",
    "ClusterAutoscalerProps",
    "ControlPlane",
    "ControlPlaneProps",
    "ControllerPlacement",
    "CustomNetworking",
    "CustomNetworkingProps",
    "DemoWorkload",
    "DemoWorkloadProps",
    "DisruptionBudget",
    "EfsStorage",
    "EfsStorageProps",
    "EfsTenantAccessPoint",
    "EnhancedScanning",
    "FargateProfileSpec",
    "FargateProfiles",
    "FargateProfilesProps",
    "FargateSelectorSpec",
    "FsxLustreStorage",
    "FsxLustreStorageProps",
    "GitOpsTarget",
    "Governance",
    "GovernanceProps",
    "ImageVerification",
    "Karpenter",
    "KarpenterProps",
    "KroCapability",
    "KroCapabilityProps",
    "ManagedNodeGroups",
    "ManagedNodeGroupsProps",
    "Network",
    "NetworkProps",
    "NodeClassSpec",
    "NodeGroupSpec",
    "NodePoolDisruption",
    "NodePoolLimits",
    "NodePoolRequirements",
    "NodePoolSpec",
    "NvidiaDevicePlugin",
    "NvidiaDevicePluginProps",
    "PodIdentityRole",
    "PodIdentityRoleProps",
    "PodSecurityGroupSpec",
    "PodSecurityGroups",
    "PodSecurityGroupsProps",
    "PodTrafficRule",
    "PolicySet",
    "PriorityTier",
    "PrometheusScraper",
    "PrometheusScraperProps",
    "PropError",
    "Registry",
    "RegistryProps",
    "RepositorySpec",
    "SelfManagedNodeGroupSpec",
    "SelfManagedNodeGroups",
    "SelfManagedNodeGroupsProps",
    "ServiceAccountRole",
    "ServiceAccountRoleProps",
    "ServiceAccountSpec",
    "SpotServiceLinkedRole",
    "Taint",
    "TenantLogGroups",
    "TenantLogGroupsProps",
    "TenantLogSpec",
    "TenantNamespaces",
    "TenantNamespacesProps",
    "TenantRules",
    "TenantSpec",
    "ThreatDetection",
    "ThreatDetectionProps",
    "__version__",
    "availability_zones_context_key",
    "kubectl_layer_for",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'eks_blueprint' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)


def __dir__() -> list[str]:
    return sorted(__all__)
