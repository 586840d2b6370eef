"""The defaults of the props outside compute, written once: the props dataclasses
(`NetworkProps`, `ControlPlaneProps`, `TenantSpec`, `RepositorySpec`, `EnhancedScanning`,
`ThreatDetectionProps`, `DemoWorkloadProps`) and the configuration models
(`eks_blueprint.config`) both take them from here, so a library user and a YAML file get the
same platform from the same omissions. The compute defaults are in
`eks_blueprint.compute.defaults`.

cdk-free: the configuration models import it without loading aws_cdk. A retention is
written once, in days (the config's unit); the props take CDK's `RetentionDays` of the same
period by name: `logs.RetentionDays[RETENTION_PERIODS[days]]`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal

# -- CloudWatch Logs retention ------------------------------------------------------------

#: Retention periods CloudWatch Logs accepts (AWS::Logs::LogGroup RetentionInDays), in days,
#: with the name of each in CDK's `aws_logs.RetentionDays`.
RETENTION_PERIODS: Final[Mapping[int, str]] = MappingProxyType({
    1: "ONE_DAY",
    3: "THREE_DAYS",
    5: "FIVE_DAYS",
    7: "ONE_WEEK",
    14: "TWO_WEEKS",
    30: "ONE_MONTH",
    60: "TWO_MONTHS",
    90: "THREE_MONTHS",
    120: "FOUR_MONTHS",
    150: "FIVE_MONTHS",
    180: "SIX_MONTHS",
    365: "ONE_YEAR",
    400: "THIRTEEN_MONTHS",
    545: "EIGHTEEN_MONTHS",
    731: "TWO_YEARS",
    1096: "THREE_YEARS",
    1827: "FIVE_YEARS",
    2192: "SIX_YEARS",
    2557: "SEVEN_YEARS",
    2922: "EIGHT_YEARS",
    3288: "NINE_YEARS",
    3653: "TEN_YEARS",
})


# -- network ------------------------------------------------------------------------------

#: The VPC CIDR of NetworkProps (the config names its own: each environment's differs).
VPC_CIDR: Final = "10.0.0.0/16"
#: Prefix lengths of the public (load balancers, NAT gateways) and private (nodes and pods)
#: subnets.
PUBLIC_SUBNET_MASK: Final = 24
PRIVATE_SUBNET_MASK: Final = 19
#: One NAT gateway per AZ, so an AZ failure cannot cut egress.
NAT_GATEWAYS: Final = "per_az"
#: VPC flow logs: retention (days) and the traffic recorded.
FLOW_LOG_RETENTION_DAYS: Final = 30
FLOW_LOG_RETENTION: Final = RETENTION_PERIODS[FLOW_LOG_RETENTION_DAYS]
FLOW_LOG_TRAFFIC: Final = "ALL"

# -- control plane ------------------------------------------------------------------------

#: Retention (days) of the control-plane log group /aws/eks/<cluster>/cluster.
CONTROL_PLANE_LOG_RETENTION_DAYS: Final = 90
CONTROL_PLANE_LOG_RETENTION: Final = RETENTION_PERIODS[CONTROL_PLANE_LOG_RETENTION_DAYS]

# -- tenants ------------------------------------------------------------------------------

#: A tenant's ResourceQuota counts and storage.
TENANT_PODS: Final = 100
TENANT_STORAGE: Final = "100Gi"
TENANT_PERSISTENT_VOLUME_CLAIMS: Final = 20
TENANT_LOAD_BALANCERS: Final = 2
#: The Pod Security Standard of a tenant namespace.
TENANT_POD_SECURITY: Final = "restricted"
#: LimitRange defaults per container (requests within limits).
CONTAINER_REQUESTS: Final[Mapping[str, str]] = MappingProxyType({"cpu": "100m", "memory": "128Mi"})
CONTAINER_LIMITS: Final[Mapping[str, str]] = MappingProxyType({"cpu": "500m", "memory": "512Mi"})
#: A tenant's egress, and the load balancer schemes admitted to its pods.
TENANT_EGRESS: Final = "open"
TENANT_INGRESS_FROM: Final[tuple[Literal["internet-facing", "internal"], ...]] = (
    "internet-facing",
)

# -- ECR ----------------------------------------------------------------------------------

#: Repository lifecycle: keep the newest images, expire untagged ones after days.
KEEP_IMAGES: Final = 50
UNTAGGED_EXPIRY_DAYS: Final = 7
#: Registry-wide enhanced scanning: frequency and repository filters.
SCAN_FREQUENCY: Final = "SCAN_ON_PUSH"
SCAN_FILTERS: Final[tuple[str, ...]] = ("*",)

# -- GuardDuty ----------------------------------------------------------------------------

#: How often updated findings are published, and who installs the runtime agent.
FINDING_PUBLISHING_FREQUENCY: Final = "FIFTEEN_MINUTES"
RUNTIME_AGENT: Final = "managed"

# -- demo workload ------------------------------------------------------------------------

#: The demo's namespace (fixed in the config, a prop of DemoWorkloadProps).
DEMO_NAMESPACE: Final = "demo"
#: The demo's Deployment, container and app label (the talk's Node.js backend).
DEMO_APP: Final = "demo-nodejs-backend"
#: Replicas (and HPA minimum), HPA maximum and CPU target (per cent of requests).
DEMO_REPLICAS: Final = 3
DEMO_MAX_REPLICAS: Final = 10
DEMO_TARGET_CPU_UTILIZATION: Final = 70
#: The ALB scheme, and the architectures the talk's image is built for.
DEMO_SCHEME: Final = "internal"
DEMO_PLATFORMS: Final[tuple[Literal["amd64", "arm64"], ...]] = ("amd64",)
