"""`capabilities:` EKS managed capabilities, each optional: present means on.

Argo CD (GitOps, signed in through IAM Identity Center), ACK (AWS resources as Kubernetes
objects) and kro (compositions of Kubernetes objects) run by EKS outside the cluster. The value
rules are the library's (`eks_blueprint.capability_rules`), so the YAML and the constructs
refuse the same values; `check_capabilities` adds the rules that need the rest of the
environment (its tenants, its cluster endpoint).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, Field, model_validator

from .. import capability_rules as rules
from ..capability_rules import ARGOCD_NAMESPACE, CapabilityClusterAccess, NetworkAccess
from ..validate_names import check_connection_arn, check_resource_arn
from .base import Cidr, FieldError, StrictModel, check_reason, check_region, first_duplicate

if TYPE_CHECKING:
    from .environment import EnvironmentConfig


def _commercial_instance_arn(value: str) -> str:
    rules.check_identity_center_instance_arn(value)
    if not value.startswith("arn:aws:"):
        raise ValueError(
            "only the commercial partition is supported: the ARN starts with "
            "arn:aws:sso:::instance/"
        )
    return value


IdentityCenterInstanceArn = Annotated[str, AfterValidator(_commercial_instance_arn)]
Region = Annotated[str, AfterValidator(check_region)]
IdentityId = Annotated[str, AfterValidator(rules.check_identity_id)]
ArgoCdNamespace = Annotated[str, AfterValidator(rules.check_argocd_namespace)]
VpceId = Annotated[str, AfterValidator(rules.check_vpce_id)]
ConnectionArn = Annotated[str, AfterValidator(check_connection_arn)]
AckAction = Annotated[str, AfterValidator(rules.check_ack_action)]
ResourceArn = Annotated[str, AfterValidator(check_resource_arn)]
AckServiceName = Annotated[str, AfterValidator(rules.check_ack_service_name)]


class ArgoCdIdentitiesConfig(StrictModel):
    """Identity Center users and groups holding one Argo CD role, by their Identity Store
    ids (`aws identitystore list-groups`), not their names."""

    groups: list[IdentityId] = Field(default_factory=list)
    """Group ids. Default: none."""
    users: list[IdentityId] = Field(default_factory=list)
    """User ids; prefer groups. Default: none."""


class ArgoCdConfig(StrictModel):
    """Argo CD run by EKS: sign-in through IAM Identity Center, Applications in its own
    namespace, deploy rights on this cluster."""

    identity_center_instance_arn: IdentityCenterInstanceArn
    """The Identity Center instance users sign in with (`aws sso-admin list-instances`),
    e.g. arn:aws:sso:::instance/ssoins-1234567890abcdef. Changing it replaces the
    capability."""
    identity_center_region: Region | None = None
    """The region of that instance. Changing it replaces the capability. Default: the
    environment's region."""
    admins: ArgoCdIdentitiesConfig = ArgoCdIdentitiesConfig()
    """Who holds Argo CD's ADMIN role. Default: nobody."""
    editors: ArgoCdIdentitiesConfig = ArgoCdIdentitiesConfig()
    """Who holds the EDITOR role. Default: nobody."""
    viewers: ArgoCdIdentitiesConfig = ArgoCdIdentitiesConfig()
    """Who holds the VIEWER role. Default: nobody. At most 1,000 identities in the three
    roles together, each listed once."""
    namespace: ArgoCdNamespace = ARGOCD_NAMESPACE
    """Where Argo CD's Applications and Secrets live (it reads every Secret there); not a
    tenant's namespace. Changing it replaces the capability. Default: argocd."""
    network_access: NetworkAccess | None = None
    """`private`: the Argo CD server is reached only through an `eks-capabilities`
    interface endpoint (created in the VPC unless `vpc_endpoint_ids` are given); `public`:
    over the internet. Default: private when cluster.endpoint.access is private, else
    public."""
    vpc_endpoint_ids: list[VpceId] = Field(default_factory=list)
    """Existing `eks-capabilities` endpoints (vpce-...) to use for private access instead
    of creating one. Default: none."""
    endpoint_client_cidrs: list[Cidr] = Field(default_factory=list)
    """Networks besides the VPC (VPN, Direct Connect) allowed to reach the created endpoint
    on 443. Default: none."""
    ecr_pull: bool = False
    """Let Argo CD pull charts from this account's private ECR repositories
    (AmazonEC2ContainerRegistryPullOnly). Default: false."""
    code_connection_arns: list[ConnectionArn] = Field(default_factory=list)
    """CodeConnections connections Argo CD reads repositories through
    (`codeconnections:UseConnection` on exactly these). Default: none."""
    cluster_access: CapabilityClusterAccess = "cluster-admin"
    """`cluster-admin`: AmazonEKSClusterAdminPolicy on the capability's access entry, so
    Argo CD can deploy to this cluster (the entry EKS creates cannot); `none`: grant its
    rights yourself. Default: cluster-admin."""

    @model_validator(mode="after")
    def _valid(self) -> ArgoCdConfig:
        try:
            rules.check_identities(
                {
                    f"{role}.{kind}": getattr(getattr(self, role), kind)
                    for role in ("admins", "editors", "viewers")
                    for kind in ("groups", "users")
                }
            )
        except rules.IdentityError as exc:
            raise FieldError(exc.field, str(exc)) from None
        again = first_duplicate(self.vpc_endpoint_ids)
        if again is not None:
            raise FieldError(
                ["vpc_endpoint_ids", again],
                f"{self.vpc_endpoint_ids[again]} is listed more than once; list each once",
            )
        for index, cidr in enumerate(self.endpoint_client_cidrs):
            if cidr.endswith("/0"):
                raise FieldError(
                    ["endpoint_client_cidrs", index],
                    "the endpoint is for private access: list the networks that reach it "
                    "(VPN, Direct Connect), or set network_access: public",
                )
        if self.network_access == "public" and self.vpc_endpoint_ids:
            raise FieldError(
                "vpc_endpoint_ids",
                "endpoints give private access, and network_access is public; remove one",
            )
        if self.vpc_endpoint_ids and self.endpoint_client_cidrs:
            raise FieldError(
                "endpoint_client_cidrs",
                "these open the endpoint the environment creates, and with vpc_endpoint_ids "
                "it creates none; allow the networks on your endpoints' security groups",
            )
        return self


class AckPermissionConfig(StrictModel):
    """One statement of the ACK role's policy."""

    actions: list[AckAction] = Field(min_length=1)
    """IAM actions, `service:Action`. `*` is refused, and so is any wildcard on iam, sts,
    organizations, account, kms, sso, identitystore, cloudtrail, guardduty or securityhub;
    another wildcard (`sqs:*`, `s3:Get*`) needs `reason`."""
    resources: list[ResourceArn] = Field(min_length=1)
    """Resource ARNs (`arn:aws:s3:::dev-*`), or `*` where an action has no resource-level
    permissions; a `*` anywhere needs `reason`."""
    reason: str | None = None
    """Why a wildcard is needed, at least 20 characters: it becomes the reason of the
    cdk-nag acknowledgement a reviewer reads. Required exactly when there is one."""

    @model_validator(mode="after")
    def _reasoned(self) -> AckPermissionConfig:
        broad = [v for v in (*self.actions, *self.resources) if rules.is_broad(v)]
        if broad and self.reason is None:
            raise FieldError(
                "reason",
                f"{', '.join(broad)} reach more than named actions or resources; say why in "
                "reason (it becomes the cdk-nag acknowledgement), or narrow them",
            )
        if self.reason is not None and not broad:
            raise FieldError("reason", "nothing here has a wildcard to explain; remove reason")
        try:
            check_reason(self.reason, "reason")
        except ValueError as exc:
            raise FieldError("reason", str(exc)) from None
        return self


class AdministratorAccessConfig(StrictModel):
    """AdministratorAccess on the ACK role: every AWS action to whoever can create an ACK
    object in the cluster."""

    reason: str
    """Why ACK must be allowed everything, at least 20 characters: the reason of the cdk-nag
    acknowledgement a reviewer reads."""

    @model_validator(mode="after")
    def _reasoned(self) -> AdministratorAccessConfig:
        try:
            check_reason(self.reason, "reason")
        except ValueError as exc:
            raise FieldError("reason", str(exc)) from None
        return self


class AckConfig(StrictModel):
    """AWS Controllers for Kubernetes run by EKS, with a role that may call exactly
    `permissions`."""

    permissions: list[AckPermissionConfig] = Field(default_factory=list)
    """The AWS calls ACK may make; required unless `administrator_access` is given.
    Default: none."""
    administrator_access: AdministratorAccessConfig | None = None
    """AdministratorAccess instead of `permissions`, only with its reason. Default: none."""
    disabled_services: list[AckServiceName] = Field(
        default_factory=list, max_length=rules.MAX_DISABLED_SERVICES
    )
    """ACK controllers to turn off, by ACK service name (s3, rds, ec2...), at most 200.
    Default: none (every controller on)."""
    enable_cross_namespace: bool = False
    """Let ACK resolve references to resources in other namespaces. Default: false."""

    @model_validator(mode="after")
    def _one_kind_of_permission(self) -> AckConfig:
        if self.administrator_access is None and not self.permissions:
            raise FieldError(
                "permissions",
                "an ACK role without permissions can manage nothing; list the actions and "
                "resources its controllers need (or, with a reason, administrator_access)",
            )
        if self.administrator_access is not None and self.permissions:
            raise FieldError(
                "administrator_access",
                "AdministratorAccess already allows everything permissions lists; remove one",
            )
        again = first_duplicate(self.disabled_services)
        if again is not None:
            raise FieldError(
                ["disabled_services", again],
                f"{self.disabled_services[again]} is listed more than once; list each once",
            )
        return self


class KroConfig(StrictModel):
    """kro (Kube Resource Orchestrator) run by EKS. It calls no AWS API, so its role has no
    policy."""

    cluster_access: CapabilityClusterAccess = "none"
    """`cluster-admin`: AmazonEKSClusterAdminPolicy on kro's access entry, so its
    ResourceGraphDefinitions may create any Kubernetes object; `none`: only RGDs and their
    instances (grant more with your RBAC). Default: none."""


class CapabilitiesConfig(StrictModel):
    """EKS managed capabilities, each optional: present means on (`kro: {}` turns kro on with
    its defaults)."""

    argocd: ArgoCdConfig | None = None
    """Argo CD. Default: none."""
    ack: AckConfig | None = None
    """AWS Controllers for Kubernetes. Default: none."""
    kro: KroConfig | None = None
    """kro. Default: none."""

    @property
    def needs_kubectl(self) -> bool:
        """Whether deploy rights are associated through the cluster's Kubernetes layers."""
        return (self.argocd is not None and self.argocd.cluster_access != "none") or (
            self.kro is not None and self.kro.cluster_access != "none"
        )


def argocd_is_private(config: EnvironmentConfig) -> bool:
    """Whether the environment's Argo CD server is private: as written, or by default
    when the cluster endpoint is private (or when endpoints are given)."""
    argocd = config.capabilities.argocd
    if argocd is None:
        return False
    if argocd.network_access is not None:
        return argocd.network_access == "private"
    return bool(argocd.vpc_endpoint_ids) or config.cluster.endpoint.access == "private"


def check_capabilities(config: EnvironmentConfig) -> None:
    """Rules that need the rest of the environment: Argo CD's namespace is its own (no
    tenant, Karpenter or the demo uses it), and the endpoint settings fit the network
    access the cluster endpoint implies."""
    argocd = config.capabilities.argocd
    if argocd is None:
        return
    taken = {t.name: f"tenants[{i}].name" for i, t in enumerate(config.tenants)}
    if config.compute.karpenter is not None:
        taken[config.compute.karpenter.namespace] = "compute.karpenter.namespace"
    if config.workloads.demo.enabled:
        from .workloads import DEMO_NAMESPACE

        taken[DEMO_NAMESPACE] = "workloads.demo"
    if argocd.namespace in taken:
        raise FieldError(
            "capabilities.argocd.namespace",
            f"{argocd.namespace!r} is the namespace of {taken[argocd.namespace]}, and Argo CD "
            "reads every Secret in its namespace; give Argo CD a namespace of its own",
        )
    if not argocd_is_private(config) and argocd.endpoint_client_cidrs:
        raise FieldError(
            "capabilities.argocd.endpoint_client_cidrs",
            "these open the private endpoint, and Argo CD is public here (cluster.endpoint."
            "access is public_and_private, so public is the default); set "
            "network_access: private, or remove them",
        )
