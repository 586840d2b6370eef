"""The root model: one environment file, e.g. config/prod.yaml."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from ..addons.versions import resolve_addon_version
from ..defaults import DEMO_APP
from ..governance.policies import image_allowed
from .addons import AddonsConfig
from .autoscaling import check_cluster_autoscaler
from .base import FieldError, StrictModel, TagKey, TagValue, check_account, check_region
from .capabilities import CapabilitiesConfig, check_capabilities
from .capacity import check_node_group_capacity
from .cluster import ClusterConfig
from .compute import ComputeConfig, check_os_and_accelerators
from .delivery import DeliveryConfig, check_delivery
from .governance import KYVERNO_KUBERNETES, KYVERNO_RELEASE, GovernanceConfig
from .identity import (
    AccessConfig,
    WorkloadIdentityConfig,
    check_access,
    check_group_bindings,
    check_workload_identities,
)
from .network import ENDPOINTS_NODES_NEED, NetworkConfig, check_networking
from .observability import ObservabilityConfig
from .pod_security_groups import PodSecurityGroupConfig, check_pod_security_groups
from .security import SecurityConfig, build_target_problem
from .self_managed import check_self_managed
from .storage import StorageConfig, check_storage
from .tenancy import (
    TenantConfig,
    TenantTierConfig,
    check_tenant_capacity,
    check_tenant_service_accounts,
    check_tenant_tiers,
    check_tenants,
    default_tiers,
)
from .workloads import (
    DEMO_NAMESPACE,
    WorkloadsConfig,
    check_demo_platforms,
    is_mutable_reference,
)

#: Tag keys the environment cannot set: AWS's own, and those EKS and Karpenter manage.
MANAGED_TAG_PREFIXES = ("aws:", "kubernetes.io/cluster")
MANAGED_TAG_KEYS = frozenset(
    {
        "eks:eks-cluster-name",
        "karpenter.sh/nodepool",
        "karpenter.sh/nodeclaim",
        "karpenter.k8s.aws/ec2nodeclass",
    }
)
ENV_NAME = re.compile(r"[a-z][a-z0-9-]{0,19}")
#: Tags this project sets on every resource itself; `extra` cannot set them again.
FIXED_TAG_KEYS = frozenset({"project", "owner", "cost-center", "environment"})
#: At most 50 tags per resource, less the 4 fixed ones and up to 8 that EKS, Karpenter and
#: CloudFormation add (Name, eks:cluster-name, kubernetes.io/cluster/<name>, ...).
MAX_EXTRA_TAGS = 38


class TagsConfig(StrictModel):
    """Tags applied to every resource of the environment (plus `environment: <name>`)."""

    project: TagValue = Field(min_length=1)
    """Tag `project`: up to 256 letters, digits, spaces and `_ . : / = + - @`."""
    owner: TagValue = Field(min_length=1)
    """Tag `owner`: the team to call."""
    cost_center: TagValue = Field(min_length=1)
    """Tag `cost-center`, for cost allocation."""
    extra: dict[TagKey, TagValue] = Field(default_factory=dict, max_length=MAX_EXTRA_TAGS)
    """Further tags, key (1-128 characters, not `aws:...`) to value (up to 256), at most 38.
    Default: none."""

    @field_validator("extra")
    @classmethod
    def _not_managed(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if key.lower().startswith(MANAGED_TAG_PREFIXES) or key in MANAGED_TAG_KEYS:
                raise FieldError(
                    [key],
                    "this tag key is set by AWS, EKS or Karpenter (Karpenter's EC2NodeClass "
                    "refuses it, and aws: is reserved); choose another key",
                )
            if key in FIXED_TAG_KEYS:
                raise FieldError(
                    [key],
                    f"every resource already gets the tag {key} from this file (name, "
                    "tags.project, tags.owner, tags.cost_center); remove it from extra",
                )
        return value


class LifecycleConfig(StrictModel):
    """What happens to stateful resources when a stack is deleted."""

    retain_stateful_resources: bool = True
    """Keep KMS keys and log groups (and, with later sections, ECR repositories) when their
    stack is deleted. Default: true; dev sets false so it can be torn down."""
    termination_protection: bool = True
    """CloudFormation termination protection on every stack. Default: true."""


class EnvironmentConfig(StrictModel):
    """One deployable environment: where it goes, its network and its cluster."""

    name: str
    """Environment name: the CDK Stage name, stack name prefix and `environment` tag."""
    account: str
    """AWS account id, 12 digits, quoted."""
    region: str
    """AWS region, e.g. eu-west-1."""
    availability_zones: list[str] = Field(min_length=3, max_length=3)
    """Exactly three AZs of the region, named explicitly so synth needs no lookup."""
    tags: TagsConfig
    """Cost-allocation and ownership tags."""
    lifecycle: LifecycleConfig = LifecycleConfig()
    """Retention and termination protection. Default: retain and protect."""
    network: NetworkConfig
    """The VPC."""
    cluster: ClusterConfig
    """The EKS control plane."""
    access: list[AccessConfig] = Field(default_factory=list)
    """Further EKS access entries (policy, scope, Kubernetes groups) beyond the
    cluster.admins / cluster.viewers shorthand. Default: none."""
    workload_identities: list[WorkloadIdentityConfig] = Field(default_factory=list)
    """IAM roles for Kubernetes service accounts (Pod Identity or IRSA). Default: none."""
    security: SecurityConfig = SecurityConfig()
    """Account-level security services: GuardDuty and ECR. Default: GuardDuty existing,
    no repositories."""
    compute: ComputeConfig = ComputeConfig()
    """Node groups, Karpenter, Fargate, Auto Mode. Default: none (a cluster without nodes)."""
    addons: AddonsConfig = AddonsConfig()
    """Cluster add-ons. Default: the core add-ons, EBS CSI, metrics-server, Container
    Insights and the AWS Load Balancer Controller, at pinned versions."""
    workloads: WorkloadsConfig = WorkloadsConfig()
    """Workloads deployed by the platform. Default: none."""
    tenants: list[TenantConfig] = Field(default_factory=list)
    """Tenant namespaces with quotas, limit defaults, Pod Security Standards and default-deny
    network policies. Default: none."""
    tenant_tiers: list[TenantTierConfig] = Field(default_factory=default_tiers)
    """Priority tiers of tenants: one PriorityClass `tenant-<name>` each, given by policy to
    the pods of the tenants in that tier. Default: gold (100000), silver (10000), bronze
    (1000)."""
    observability: ObservabilityConfig = ObservabilityConfig()
    """Environment-wide telemetry: the languages Application Signals instruments in tenants
    with `telemetry.traces`, and an optional Amazon Managed Service for Prometheus workspace
    with a managed scraper. Default: all four languages, no Prometheus."""
    governance: GovernanceConfig = GovernanceConfig()
    """Kyverno, the cluster's policies and image signature verification. Default: on;
    enforced in production, audited elsewhere."""
    storage: StorageConfig = StorageConfig()
    """Shared file storage: an encrypted EFS file system (optionally one access point per
    tenant) and dynamic FSx for Lustre volumes, each with its CSI driver add-on. Default:
    neither."""
    pod_security_groups: list[PodSecurityGroupConfig] = Field(default_factory=list)
    """Security groups for the pods of tenants (security groups for pods): per entry an EC2
    security group and the SecurityGroupPolicy that gives it to the pods it selects. Needs
    addons.vpc_cni.pod_eni. Default: none."""
    capabilities: CapabilitiesConfig = CapabilitiesConfig()
    """EKS managed capabilities, each optional: Argo CD (GitOps, Identity Center sign-in,
    private when the cluster endpoint is), ACK (AWS resources from Kubernetes, with a role
    scoped to the permissions listed) and kro. Default: none."""
    delivery: DeliveryConfig = DeliveryConfig()
    """How Helm charts and manifests reach the cluster: `kubectl` (CloudFormation's
    Kubernetes layers) or `gitops` (rendered into a repository tree that the Argo CD
    capability syncs; `make gitops`). Default: kubectl."""

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not ENV_NAME.fullmatch(value):
            raise ValueError(
                "environment names are 1-20 lower-case letters, digits or '-', starting "
                "with a letter (they prefix stack names)"
            )
        return value

    @field_validator("account")
    @classmethod
    def _valid_account(cls, value: str) -> str:
        return check_account(value)

    @field_validator("region")
    @classmethod
    def _valid_region(cls, value: str) -> str:
        return check_region(value)

    @property
    def is_production(self) -> bool:
        """Production is recognised by its name, `prod` or `prod-<suffix>`: its file cannot
        opt out of the stricter rules (pinned images and AMIs) by a flag."""
        return self.name == "prod" or self.name.startswith("prod-")

    @model_validator(mode="after")
    def _cross_field_rules(self) -> EnvironmentConfig:
        azs = self.availability_zones
        if len(set(azs)) != 3:
            raise FieldError(
                "availability_zones", f"must be 3 distinct zones, got {', '.join(azs)}"
            )
        foreign = [az for az in azs if not re.fullmatch(re.escape(self.region) + r"[a-z]", az)]
        if foreign:
            raise FieldError(
                f"availability_zones[{azs.index(foreign[0])}]",
                f"{', '.join(foreign)} are not zones of region {self.region}; "
                f"use names like {self.region}a",
            )
        if self.cluster.endpoint.access == "private":
            missing = [e for e in ENDPOINTS_NODES_NEED if e not in self.network.interface_endpoints]
            if missing:
                raise FieldError(
                    "network.interface_endpoints",
                    "cluster.endpoint.access is 'private' but network.interface_endpoints "
                    f"lacks {', '.join(missing)}, which nodes need to pull images, get "
                    "credentials and ship logs; add them to network.interface_endpoints",
                )
        check_delivery(self)
        check_workload_identities(list(self.workload_identities))
        check_access(list(self.access), list(self.cluster.admins), list(self.cluster.viewers))
        guardduty = self.security.guardduty
        if guardduty.agent == "addon" and "guardduty-data" not in self.network.interface_endpoints:
            raise FieldError(
                "network.interface_endpoints",
                "security.guardduty.agent is 'addon', so GuardDuty does not create its VPC "
                "endpoint; add guardduty-data to network.interface_endpoints",
            )
        self._check_addons_and_workloads()
        helper = self.addons.cni_metrics_helper
        if (
            self.compute.auto_mode is not None
            and helper.enabled
            and "enabled" in (helper.model_fields_set)
        ):
            raise FieldError(
                "addons.cni_metrics_helper.enabled",
                "compute.auto_mode is set: Auto Mode manages pod networking itself, with no "
                "aws-node pods for cni-metrics-helper to read; set "
                "addons.cni_metrics_helper.enabled: false",
            )
        self._compute_rules()
        self._check_spot_role()
        # Node groups hosting Karpenter, the Cluster Autoscaler or (tainted) CoreDNS hold their
        # pods with a node away.
        check_node_group_capacity(self.compute, self.addons, self.security, self.storage)
        self._check_tenants()
        # After the tenants: RoleBindings of access groups go into tenant namespaces.
        check_group_bindings(list(self.access), [t.name for t in self.tenants])
        self._check_production_choices()
        self._check_image_builds()
        self._check_governance()
        check_self_managed(self)
        check_storage(self.storage, self.tenants, self.compute, self.cluster.version)
        check_networking(self)
        check_pod_security_groups(self)
        check_os_and_accelerators(self.compute, pod_subnets=self.network.pod_subnets is not None)
        check_cluster_autoscaler(self.compute, self.cluster.version)
        check_capabilities(self)
        return self

    def _check_governance(self) -> None:
        """Image verification needs the repositories it verifies; the images the platform
        deploys itself must come from an allowed registry."""
        governance = self.governance
        if not governance.enabled:
            return
        low, high = KYVERNO_KUBERNETES
        minor = int(self.cluster.version.split(".")[1])
        if not int(low.split(".")[1]) <= minor <= int(high.split(".")[1]):
            raise FieldError(
                "governance.enabled",
                f"the pinned Kyverno ({KYVERNO_RELEASE}) supports Kubernetes {low} to {high} "
                f"(kyverno.io compatibility matrix), not cluster.version "
                f"{self.cluster.version}; upgrade the cluster first, or set governance.enabled: "
                "false until then",
            )
        if governance.image_verification in ("enforce", "audit") and not (self.security.registries):
            raise FieldError(
                "governance.image_verification",
                f"is {governance.image_verification}, but security.registries is empty: only "
                "images of the environment's own ECR repositories are verified; add "
                "security.registries or set governance.image_verification: off",
            )
        demo = self.workloads.demo
        if demo.enabled and not self.registry_allowed(demo.image):
            raise FieldError(
                "governance.allowed_registries",
                f"workloads.demo.image {demo.image!r} is from no allowed registry, so the "
                "allowed-registries policy would refuse the platform's own demo; add its "
                "registry prefix (e.g. the image without its tag) to "
                "governance.allowed_registries",
            )

    def registry_uri(self, repository: str) -> str:
        """The image URI prefix of one of this environment's ECR repositories."""
        return f"{self.account}.dkr.ecr.{self.region}.amazonaws.com/{repository}"

    def allowed_registries(self) -> tuple[str, ...]:
        """The image prefixes the allowed-registries policy accepts: the environment's ECR
        repositories, then `governance.allowed_registries`."""
        own = [self.registry_uri(r.name) for r in self.security.registries]
        return tuple(dict.fromkeys([*own, *self.governance.allowed_registries]))

    def registry_allowed(self, image: str) -> bool:
        """Whether the allowed-registries policy would admit `image` (the policy's own rule:
        a prefix ends at a path, tag or digest boundary; Docker Hub names are normalised)."""
        return image_allowed(image, self.allowed_registries())

    def _check_image_builds(self) -> None:
        """An image pipeline rolls out to a workload this project renders a manifest for
        (today the demo): refused here, with the field, before anything is synthesised."""
        demo = self.workloads.demo
        for index, registry in enumerate(self.security.registries):
            if registry.build is None:
                continue
            problem = build_target_problem(
                registry.build,
                DEMO_NAMESPACE if demo.enabled else None,
                tuple(demo.platforms),
                DEMO_APP,
            )
            if problem is not None:
                field, message = problem
                raise FieldError(f"security.registries[{index}].build.{field}", message)

    def _check_production_choices(self) -> None:
        """Production states every choice whose default is the weaker one, so deleting a
        line cannot quietly weaken prod (e.g. guardduty.mode create -> existing)."""
        if not self.is_production:
            return
        security = self.security
        if "mode" not in security.guardduty.model_fields_set:
            raise FieldError(
                "security.guardduty.mode",
                f"production ({self.name}) must state this choice: the default, existing, "
                "creates no detector and trusts that the organisation runs one; write "
                "security.guardduty.mode: create, existing or off",
            )
        if "enhanced_scanning" not in security.model_fields_set:
            raise FieldError(
                "security.enhanced_scanning",
                f"production ({self.name}) must state this choice: without it ECR only does "
                "basic scan-on-push; write enhanced_scanning: {frequency: CONTINUOUS_SCAN}, "
                "or enhanced_scanning: null to keep basic scanning on purpose",
            )
        for index, tenant in enumerate(self.tenants):
            if "egress" not in tenant.model_fields_set:
                raise FieldError(
                    f"tenants[{index}].egress",
                    f"production ({self.name}) must state this choice: the default, open, lets "
                    "the tenant's pods connect anywhere; write egress: open or restricted",
                )

    def _check_tenants(self) -> None:
        check_tenants(list(self.tenants))
        check_tenant_tiers(self.tenant_tiers, self.tenants)
        check_tenant_capacity(self.tenants, self.compute)
        check_tenant_service_accounts(self.tenants, self.workload_identities)
        insights = self.addons.cloudwatch_observability.enabled
        for index, tenant in enumerate(self.tenants):
            if (
                tenant.telemetry.logs
                and "logs" in tenant.telemetry.model_fields_set
                and (not insights)
            ):
                raise FieldError(
                    f"tenants[{index}].telemetry.logs",
                    "the tenant's logs are shipped by the Fluent Bit of the "
                    "amazon-cloudwatch-observability add-on, and "
                    "addons.cloudwatch_observability.enabled is false; turn the add-on on or "
                    "remove logs: true",
                )
            if tenant.telemetry.traces and not insights:
                raise FieldError(
                    f"tenants[{index}].telemetry.traces",
                    "traces come from CloudWatch Application Signals, which the "
                    "amazon-cloudwatch-observability add-on runs, and "
                    "addons.cloudwatch_observability.enabled is false; turn the add-on on or "
                    "set traces: false",
                )
        taken = {DEMO_NAMESPACE: "workloads.demo"} if self.workloads.demo.enabled else {}
        if self.compute.karpenter is not None:
            taken[self.compute.karpenter.namespace] = "compute.karpenter.namespace"
        for index, tenant in enumerate(self.tenants):
            if tenant.name in taken:
                raise FieldError(
                    f"tenants[{index}].name",
                    f"{tenant.name!r} is the namespace of {taken[tenant.name]}; choose "
                    "another name",
                )
            if "internal" in tenant.ingress_from and (
                self.network.internal_load_balancer_subnet_mask is None
            ):
                raise FieldError(
                    f"tenants[{index}].ingress_from",
                    f"tenants[{index}].ingress_from lists 'internal' but "
                    "network.internal_load_balancer_subnet_mask is not set, so internal load "
                    "balancers share the private subnets with every pod and cannot be admitted "
                    "by CIDR without admitting all pods; set "
                    "network.internal_load_balancer_subnet_mask (e.g. 27) for a subnet tier of "
                    "their own, or remove 'internal'",
                )

    def _check_addons_and_workloads(self) -> None:
        for path, (addon, version) in self.addons.version_overrides().items():
            try:
                resolve_addon_version(self.cluster.version, addon, version)
            except ValueError as exc:
                k8s = self.cluster.version
                raise FieldError(path, f"with cluster.version {k8s}: {exc}") from None
        demo = self.workloads.demo
        if demo.enabled and not self.addons.load_balancer_controller.enabled:
            raise FieldError(
                "workloads.demo.enabled",
                "workloads.demo.enabled needs addons.load_balancer_controller.enabled: its "
                "Ingress is served by an ALB that the controller creates",
            )
        if demo.enabled:
            check_demo_platforms(demo, self.compute)
        if demo.certificate_arn is not None:
            _, _, _, region, account, _ = demo.certificate_arn.split(":", 5)
            if (region, account) != (self.region, self.account):
                raise FieldError(
                    "workloads.demo.certificate_arn",
                    f"the certificate is in account {account}, region {region}; an ALB uses "
                    f"only ACM certificates of its own account and region ({self.account}, "
                    f"{self.region}): request or import it there",
                )
        # Production runs only images that cannot change under it.
        if demo.enabled and self.is_production and is_mutable_reference(demo.image):
            raise FieldError(
                "workloads.demo.image",
                f"{demo.image!r} is ':latest' or untagged, which prod refuses; pin a version "
                "tag or a digest (@sha256:...)",
            )

    @property
    def karpenter_uses_spot(self) -> bool:
        """Whether Karpenter may launch Spot instances. (Spot node groups launch through EC2
        Auto Scaling, whose own service-linked role may create the Spot role on first use;
        Karpenter calls CreateFleet itself and may not.)"""
        karpenter = self.compute.karpenter
        return karpenter is not None and any(
            "spot" in pool.capacity_types for pool in karpenter.node_pools
        )

    def _check_spot_role(self) -> None:
        if self.karpenter_uses_spot and self.security.spot_service_linked_role is None:
            raise FieldError(
                "security.spot_service_linked_role",
                "compute.karpenter has Spot node pools, which need the EC2 Spot service-linked "
                "role (AWSServiceRoleForEC2Spot) that a fresh account lacks and Karpenter may "
                "not create; set "
                "security.spot_service_linked_role: create (this environment creates it, once "
                "per account) or existing (the account has it; eks-blueprint-preflight checks)",
            )

    def _compute_rules(self) -> None:
        """Compute rules that need the environment: its zones, whether it is prod, and the
        add-ons that must agree with it."""
        fargate_dns = self.compute.fargate is not None and self.compute.fargate.coredns
        if fargate_dns != (self.addons.coredns.compute_type == "fargate"):
            raise FieldError(
                "addons.coredns.compute_type",
                "compute.fargate.coredns and addons.coredns.compute_type disagree: CoreDNS "
                "on Fargate needs both compute.fargate.coredns: true (its profile) and "
                "addons.coredns.compute_type: fargate (so its pods are scheduled there)",
            )
        karpenter = self.compute.karpenter
        if karpenter is None:
            return
        for i, pool in enumerate(karpenter.node_pools):
            foreign = [z for z in pool.zones if z not in self.availability_zones]
            if foreign:
                raise FieldError(
                    f"compute.karpenter.node_pools[{i}].zones",
                    f"{', '.join(foreign)} are not in availability_zones "
                    f"({', '.join(self.availability_zones)}); list zones from there",
                )
        # The file that deploys prod must pin AMIs, whatever else it says, so that a new AMI
        # reaches prod only through a reviewed deploy.
        if self.is_production:
            for i, node_class in enumerate(karpenter.node_classes):
                if node_class.ami_alias.endswith("@latest"):
                    raise FieldError(
                        f"compute.karpenter.node_classes[{i}].ami_alias",
                        f"{node_class.ami_alias!r} in environment {self.name}: production "
                        "pins its AMI (e.g. al2023@v20251112) so new AMIs arrive by review",
                    )
