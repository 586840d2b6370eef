"""Environment configuration: strict pydantic models and the loader that reports errors."""

from .addons import AddonsConfig, CoreDnsConfig, ExternalDnsConfig, VpcCniConfig
from .base import LOG_RETENTION_DAYS
from .cluster import SUPPORTED_KUBERNETES_VERSIONS, ClusterConfig, EndpointConfig, LoggingConfig
from .compute import (
    AMI_TYPES,
    AutoModeConfig,
    ComputeConfig,
    FargateConfig,
    KarpenterConfig,
    NodeGroupConfig,
    instance_architecture,
)
from .environment import EnvironmentConfig, LifecycleConfig, TagsConfig
from .governance import GovernanceConfig
from .identity import ACCESS_POLICIES, AccessConfig, PolicyStatementConfig, WorkloadIdentityConfig
from .loader import ConfigError, load_config, load_configs
from .network import ENDPOINTS_NODES_NEED, FlowLogsConfig, NetworkConfig
from .observability import ObservabilityConfig, PrometheusConfig
from .pipeline import (
    NotificationsConfig,
    PipelineConfig,
    SourceConfig,
    ToolingConfig,
    WaveConfig,
    load_pipeline,
)
from .security import EnhancedScanningConfig, GuardDutyConfig, RegistryConfig, SecurityConfig
from .tenancy import (
    ContainerDefaultsConfig,
    DedicatedCapacityConfig,
    TenantConfig,
    TenantQuotaConfig,
    TenantServiceAccountConfig,
    TenantTelemetryConfig,
    TenantTierConfig,
)
from .workloads import DemoWorkloadConfig, WorkloadsConfig

__all__ = [
    "ACCESS_POLICIES",
    "AMI_TYPES",
    "ENDPOINTS_NODES_NEED",
    "LOG_RETENTION_DAYS",
    "SUPPORTED_KUBERNETES_VERSIONS",
    "AccessConfig",
    "AddonsConfig",
    "AutoModeConfig",
    "ClusterConfig",
    "ComputeConfig",
    "ConfigError",
    "ContainerDefaultsConfig",
    "CoreDnsConfig",
    "DedicatedCapacityConfig",
    "DemoWorkloadConfig",
    "EndpointConfig",
    "EnhancedScanningConfig",
    "EnvironmentConfig",
    "ExternalDnsConfig",
    "FargateConfig",
    "FlowLogsConfig",
    "GovernanceConfig",
    "GuardDutyConfig",
    "KarpenterConfig",
    "LifecycleConfig",
    "LoggingConfig",
    "NetworkConfig",
    "NodeGroupConfig",
    "NotificationsConfig",
    "ObservabilityConfig",
    "PipelineConfig",
    "PolicyStatementConfig",
    "PrometheusConfig",
    "RegistryConfig",
    "SecurityConfig",
    "SourceConfig",
    "TagsConfig",
    "TenantConfig",
    "TenantQuotaConfig",
    "TenantServiceAccountConfig",
    "TenantTelemetryConfig",
    "TenantTierConfig",
    "ToolingConfig",
    "VpcCniConfig",
    "WaveConfig",
    "WorkloadIdentityConfig",
    "WorkloadsConfig",
    "instance_architecture",
    "load_config",
    "load_configs",
    "load_pipeline",
]
