"""EKS managed capabilities: Argo CD, AWS Controllers for Kubernetes (ACK) and kro.

A capability is a controller that EKS runs and upgrades outside the cluster
(AWS::EKS::Capability): it installs its CRDs, creates an access entry for its IAM role and
works through the cluster's API. Each construct here creates one capability with that role
(trusting `capabilities.eks.amazonaws.com` with sts:AssumeRole and sts:TagSession, at path
`/`, which the resource's RoleArn pattern requires) and only the permissions its props list.

What each construct does beyond the AWS::EKS::Capability resource:

- `ArgoCdCapability`: Identity Center sign-in and RBAC role mappings; private access through
  an interface endpoint of `com.amazonaws.<region>.eks-capabilities` (its own security group,
  HTTPS from the VPC only) when the cluster endpoint is private; the deploy rights its
  access entry lacks (AmazonEKSClusterAdminPolicy, associated by the cluster's Kubernetes
  layers after the capability exists).
- `AckCapability`: a least-privilege customer-managed policy built from the permissions
  listed (no `*`, no wildcard on identity, key or audit services), or AdministratorAccess
  only with a written reason.
- `KroCapability`: a role with no policy at all (kro calls no AWS API).

Deleting any of them (`cdk destroy`, or removing it from the config) keeps what it managed:
DeletePropagationPolicy RETAIN is the only value AWS accepts, so the CRDs, Argo CD's
Applications and their workloads, ACK's custom resources **and the AWS resources behind
them**, and kro's ResourceGraphDefinitions and instances all stay, unmanaged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from aws_cdk import CfnResource, CfnTag, Stack, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from .capability_rules import (
    ARGOCD_NAMESPACE,
    CAPABILITIES_ENDPOINT_SERVICE,
    CAPABILITIES_PRINCIPAL,
    CLUSTER_ACCESS,
    CLUSTER_ADMIN_POLICY,
    DELETE_PROPAGATION_POLICY,
    NETWORK_ACCESS,
    CapabilityClusterAccess,
    IdentityError,
    NetworkAccess,
    capability_name,
    check_ack_action,
    check_argocd_namespace,
    check_capability_name,
    check_disabled_services,
    check_identities,
    check_identity_center_instance_arn,
    check_tags,
    check_vpce_id,
    first_repeat,
    is_broad,
)
from .compliance import acknowledge, nag_resource_name
from .kubernetes import Applied, Layer, associate_access_policy, delivery_of, needs
from .validate_names import (
    REGION,
    PropError,
    check_choice,
    check_cidr,
    check_connection_arn,
    check_field_types,
    check_prop,
    check_reason,
    check_resource_arn,
)

__all__ = [
    "AckCapability",
    "AckCapabilityProps",
    "AckPermission",
    "ArgoCdCapability",
    "ArgoCdCapabilityProps",
    "ArgoCdIdentities",
    "KroCapability",
    "KroCapabilityProps",
]

#: Authentication modes of a cluster whose access entries work (capabilities create one).
ACCESS_ENTRY_MODES: tuple[str, ...] = ("API", "API_AND_CONFIG_MAP")
#: The AWS-managed policy for pulling charts and images from private ECR repositories.
ECR_PULL_POLICY = "AmazonEC2ContainerRegistryPullOnly"
#: The AWS-managed policy of an ACK capability that must manage everything.
ADMINISTRATOR_ACCESS = "AdministratorAccess"
HTTPS = 443


# -- props ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CapabilityProps:
    """What every capability has."""

    cluster: eks.ICluster
    """The cluster the capability runs for; its authentication mode must allow access
    entries (API or API_AND_CONFIG_MAP; ControlPlane's is API)."""
    capability_name: str | None = None
    """The capability's name: 1-100 letters, digits, hyphens or underscores, unique in
    the cluster. Changing it replaces the capability. Default: `<cluster name>-<type>`
    (e.g. `platform-argocd`), the cluster's part shortened to fit."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the capability, besides those of the stack. Default: none."""


@dataclass(frozen=True, kw_only=True)
class ArgoCdIdentities:
    """Identity Center identities holding one Argo CD role: their Identity Store ids (not
    their display names)."""

    groups: Sequence[str] = ()
    """Identity Center group ids (SSO_GROUP). Default: none."""
    users: Sequence[str] = ()
    """Identity Center user ids (SSO_USER); prefer groups. Default: none."""


@dataclass(frozen=True, kw_only=True)
class ArgoCdCapabilityProps(CapabilityProps):
    """Settings of ArgoCdCapability."""

    identity_center_instance_arn: str
    """The IAM Identity Center instance users sign in with (Argo CD has no local users),
    e.g. `arn:aws:sso:::instance/ssoins-1234567890abcdef`. Changing it replaces the
    capability."""
    identity_center_region: str | None = None
    """The region of that instance. Changing it replaces the capability. Default: the
    stack's region."""
    admins: ArgoCdIdentities = ArgoCdIdentities()
    """Who holds Argo CD's ADMIN role. Default: nobody."""
    editors: ArgoCdIdentities = ArgoCdIdentities()
    """Who holds the EDITOR role (sees Applications only through AppProject roles).
    Default: nobody."""
    viewers: ArgoCdIdentities = ArgoCdIdentities()
    """Who holds the VIEWER role (sees Applications only through AppProject roles).
    Default: nobody. At most 1,000 identities in the three roles together."""
    namespace: str = ARGOCD_NAMESPACE
    """The namespace Argo CD watches for Applications, ApplicationSets and repository and
    cluster Secrets; it reads every Secret there. Changing it replaces the capability.
    Default: argocd."""
    network_access: NetworkAccess | None = None
    """`private`: the Argo CD server (UI, API, webhooks) is reached only through interface
    VPC endpoints (the public endpoint is blocked); `public`: over the internet, behind
    Identity Center sign-in. Default: private when the cluster's API endpoint is private
    (or cannot be seen), else public."""
    vpc_endpoint_ids: Sequence[str] = ()
    """Existing `eks-capabilities` interface endpoints (vpce-...) for private access, e.g.
    in a shared network account's VPC. Default: none, and private access creates one in
    the cluster's VPC."""
    endpoint_subnets: ec2.SubnetSelection | None = None
    """Where the created endpoint's interfaces go (at most one subnet per zone). Default:
    the VPC's private subnets with egress."""
    endpoint_client_cidrs: Sequence[str] = ()
    """Further IPv4 CIDRs (VPN, Direct Connect, peered VPCs) that may reach the created
    endpoint on 443, besides the cluster's VPC. Default: none."""
    ecr_pull: bool = False
    """Let Argo CD pull Helm charts and OCI artifacts from this account's private ECR
    repositories (AmazonEC2ContainerRegistryPullOnly; no repository Secret needed).
    Default: off."""
    code_connection_arns: Sequence[str] = ()
    """CodeConnections connections (GitHub, GitLab, Bitbucket) Argo CD reads repositories
    through: `codeconnections:UseConnection` on exactly these. Default: none."""
    cluster_access: CapabilityClusterAccess = "cluster-admin"
    """Deploy rights on this cluster: the access entry EKS creates for the capability role
    can read and write only Argo CD's own objects. `cluster-admin` (default) associates
    AmazonEKSClusterAdminPolicy (cluster scope) with it, through the cluster's Kubernetes
    layers (foundation), after the capability; `none` leaves it to you (RBAC bound to the
    role, or a narrower access policy)."""


@dataclass(frozen=True, kw_only=True)
class AckPermission:
    """One statement of the ACK capability role's policy: what the controllers may call."""

    actions: Sequence[str]
    """IAM actions, `service:Action` (`s3:CreateBucket`). `*` is refused, and so is a
    wildcard on iam, sts, organizations, account, kms, sso, identitystore, cloudtrail,
    guardduty or securityhub."""
    resources: Sequence[str]
    """Resource ARNs, e.g. `arn:aws:s3:::dev-*`, or `*` for actions without resource-level
    permissions."""
    reason: str | None = None
    """Why a wildcard (an action such as `sqs:*`, or `*` in a resource) is needed, at
    least 20 characters: the reason of its cdk-nag acknowledgement. Required exactly
    when there is one."""


@dataclass(frozen=True, kw_only=True)
class AckCapabilityProps(CapabilityProps):
    """Settings of AckCapability."""

    permissions: Sequence[AckPermission] = ()
    """The AWS calls the ACK controllers may make, as statements of the role's
    customer-managed policy. Required unless `administrator_access_reason` is given.
    Default: none."""
    administrator_access_reason: str | None = None
    """Attach AdministratorAccess instead (every AWS action to anyone who can create an ACK
    resource): only with this reason, at least 20 characters, which becomes the cdk-nag
    acknowledgement. Default: none, and the role gets exactly `permissions`."""
    disabled_services: Sequence[str] = ()
    """ACK controllers to turn off, by ACK service name (`s3`, `rds`, `ec2`...), at most
    200; resources of a disabled service are not reconciled. Default: none (every
    controller on; one without permissions fails its AWS calls)."""
    enable_cross_namespace: bool = False
    """Let ACK resolve references to resources in other namespaces. Default: off."""


@dataclass(frozen=True, kw_only=True)
class KroCapabilityProps(CapabilityProps):
    """Settings of KroCapability."""

    cluster_access: CapabilityClusterAccess = "none"
    """Rights beyond ResourceGraphDefinitions and their instances (AmazonEKSKROPolicy):
    kro creates what its graphs describe (Deployments, Services, ACK resources) with its
    own role. `cluster-admin` associates AmazonEKSClusterAdminPolicy with its access entry
    (cluster's Kubernetes layers, foundation); `none` (default) leaves it to your RBAC."""


# -- shared --------------------------------------------------------------------------------


def _cluster_resource(cluster: eks.ICluster) -> CfnResource | None:
    """The cluster's AWS::EKS::Cluster, when it is defined in this app."""
    child = cluster.node.default_child
    if isinstance(child, CfnResource) and child.cfn_resource_type == "AWS::EKS::Cluster":
        return child
    return None


def _resolved(resource: CfnResource, name: str) -> dict[str, Any]:
    value = getattr(resource, name, None)
    if value is None:
        return {}
    resolved = Stack.of(resource).resolve(value)
    return resolved if isinstance(resolved, dict) else {}


def authentication_mode(cluster: eks.ICluster) -> str | None:
    """The cluster's AccessConfig.AuthenticationMode (CONFIG_MAP when not set, as EKS
    defaults), or None for a cluster not defined in this app."""
    resource = _cluster_resource(cluster)
    if resource is None:
        return None
    return str(_resolved(resource, "access_config").get("authenticationMode", "CONFIG_MAP"))


def endpoint_is_private(cluster: eks.ICluster) -> bool | None:
    """Whether the cluster's API endpoint is private only, or None when it cannot be seen."""
    resource = _cluster_resource(cluster)
    if resource is None:
        return None
    public = _resolved(resource, "resources_vpc_config").get("endpointPublicAccess", True)
    return public is False


def _literal_cluster_name(cluster: eks.ICluster) -> str:
    """The cluster's name as written (ControlPlane sets it), else its name or token."""
    resource = _cluster_resource(cluster)
    name = getattr(resource, "name", None) if resource is not None else None
    if isinstance(name, str) and not Token.is_unresolved(name):
        return name
    return cluster.cluster_name


class _Capability(Construct):
    """The role and the AWS::EKS::Capability every capability has."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        props: CapabilityProps,
        props_name: str,
        kind: Literal["argocd", "ack", "kro"],
        label: str,
        cluster_access: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        self._props_name = props_name
        check_field_types(self.node.path, props, props_name)
        self.cluster = props.cluster
        """The cluster (for props that take one)."""
        self._check_cluster(props.cluster)
        if cluster_access is not None:
            self._check_cluster_access(cluster_access)
        name = props.capability_name
        if name is None:
            cluster_name = _literal_cluster_name(props.cluster)
            name = (
                f"{cluster_name}-{kind}"  # a deploy-time name: EKS checks the length
                if Token.is_unresolved(cluster_name)
                else capability_name(cluster_name, kind)
            )
        if not Token.is_unresolved(name):
            self._check("capability_name", name, check_capability_name)
        self._check("tags", dict(props.tags), check_tags)
        self.capability_name = name
        """The capability's name (create-only)."""
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal(CAPABILITIES_PRINCIPAL).with_session_tags(),
            description=f"The {label} capability of an EKS cluster (assumed by EKS)",
        )
        """The capability role: trusts capabilities.eks.amazonaws.com (AssumeRole and
        TagSession), path `/` (AWS::EKS::Capability's RoleArn pattern has no path)."""
        self._tags = [CfnTag(key=k, value=v) for k, v in sorted(props.tags.items())]

    def _fail(self, prop: str, value: object, fix: str) -> PropError:
        return PropError(self.node.path, f"{self._props_name}.{prop}", value, fix)

    def _check(self, prop: str, value: Any, check: Any, *args: Any) -> None:
        check_prop(self.node.path, f"{self._props_name}.{prop}", value, check, *args)

    def _check_cluster(self, cluster: eks.ICluster) -> None:
        mode = authentication_mode(cluster)
        if mode is not None and mode not in ACCESS_ENTRY_MODES:
            raise self._fail(
                "cluster",
                cluster.node.path,
                f"the cluster's authentication mode is {mode}, and a capability works through "
                "an access entry EKS creates for its role; set AuthenticationMode API (or "
                "API_AND_CONFIG_MAP while migrating), as ControlPlane does",
            )

    def _create(
        self, type_: str, configuration: eks.CfnCapability.CapabilityConfigurationProperty | None
    ) -> eks.CfnCapability:
        capability = eks.CfnCapability(
            self,
            "Capability",
            capability_name=self.capability_name,
            cluster_name=self.cluster.cluster_name,
            type=type_,
            role_arn=self.role.role_arn,
            delete_propagation_policy=DELETE_PROPAGATION_POLICY,
            configuration=configuration,
            tags=self._tags or None,
        )
        # EKS uses the role as soon as the capability exists: its policies first (the role
        # itself through RoleArn).
        for child in self.node.children:
            if isinstance(child, iam.ManagedPolicy):
                capability.node.add_dependency(child)
        return capability

    def _check_cluster_access(self, cluster_access: str) -> None:
        self._check("cluster_access", cluster_access, check_choice, CLUSTER_ACCESS)
        if cluster_access != "none" and delivery_of(self.cluster) is None:
            raise self._fail(
                "cluster_access",
                cluster_access,
                "the access policy is associated by the cluster's Kubernetes layers, and this "
                "cluster has none; build it with ControlPlane (kubectl_provider=True) or add "
                "an eks_blueprint.kubernetes.KubernetesDelivery, or set cluster_access='none' "
                "and grant the role's rights yourself",
            )

    def _cluster_access(
        self, cluster_access: str, capability: eks.CfnCapability
    ) -> Applied | None:
        """AmazonEKSClusterAdminPolicy on the access entry EKS created for the role, after
        the capability: an item of the cluster's foundation layer (`cluster_access` was
        checked by the constructor)."""
        if cluster_access == "none":
            return None
        partition = Stack.of(self).partition
        item = associate_access_policy(
            self,
            "ClusterAccess",
            self.cluster,
            layer=Layer.FOUNDATION,
            principal_arn=self.role.role_arn,
            policy_arn=f"arn:{partition}:eks::aws:cluster-access-policy/{CLUSTER_ADMIN_POLICY}",
            access_scope="cluster",
            # A replaced capability (its name, namespace or Identity Center changed) gets a
            # new access entry without the association: associate again then.
            refresh_with=capability.attr_created_at,
        )
        item.needs(capability)
        return item


# -- Argo CD -------------------------------------------------------------------------------


class ArgoCdCapability(_Capability):
    """Argo CD run by EKS (AWS::EKS::Capability ARGOCD): users sign in through IAM
    Identity Center; Applications live in `namespace`; the server is private (interface
    endpoint in the cluster's VPC) when the cluster's API endpoint is private; the role can
    deploy to this cluster (`cluster_access`), pull from private ECR (`ecr_pull`) and read
    repositories through CodeConnections (`code_connection_arns`), and nothing else.

    Register this cluster with Argo CD (a cluster Secret in `namespace` whose `server` is
    `cluster_arn`); the capability does not, and `https://kubernetes.default.svc` is not
    supported."""

    def __init__(self, scope: Construct, id: str, *, props: ArgoCdCapabilityProps) -> None:
        super().__init__(
            scope, id, props=props, props_name="ArgoCdCapabilityProps", kind="argocd",
            label="Argo CD", cluster_access=props.cluster_access,
        )
        stack = Stack.of(self)
        self._check(
            "identity_center_instance_arn",
            props.identity_center_instance_arn,
            check_identity_center_instance_arn,
        )
        region = props.identity_center_region
        if region is not None and not REGION.fullmatch(region):
            raise self._fail(
                "identity_center_region", region,
                "not an AWS region name; give the region of the Identity Center instance, "
                "e.g. eu-west-1, or leave it None for the stack's region",
            )
        self._check("namespace", props.namespace, check_argocd_namespace)
        delivery = delivery_of(props.cluster)
        gitops = delivery.gitops if delivery is not None else None
        if gitops is not None and gitops.namespace != props.namespace:
            raise self._fail(
                "namespace", props.namespace,
                f"the cluster's GitOps delivery applies its bootstrap into {gitops.namespace!r} "
                "(GitOpsTarget.namespace); use the same namespace in both",
            )
        self._check_identities(props)
        private = self._network_access(props)
        for index, arn in enumerate(props.code_connection_arns):
            self._check(f"code_connection_arns[{index}]", arn, check_connection_arn)
        self.namespace = props.namespace
        """The namespace of Argo CD's Applications and Secrets."""
        self.cluster_arn = props.cluster.cluster_arn
        """The cluster's ARN: the `server` of the cluster Secret that registers it, and of
        Applications' `destination.server`."""
        self.endpoint: ec2.InterfaceVpcEndpoint | None = None
        """The `eks-capabilities` interface endpoint created for private access, if any."""
        vpce_ids = list(props.vpc_endpoint_ids)
        if private and not vpce_ids:
            self.endpoint = self._endpoint(props)
            vpce_ids = [self.endpoint.vpc_endpoint_id]
        self._permissions(props)
        mappings = [
            eks.CfnCapability.ArgoCdRoleMappingProperty(
                role=role.upper(),
                identities=[
                    eks.CfnCapability.SsoIdentityProperty(id=value, type=kind)
                    for kind, values in (("SSO_GROUP", who.groups), ("SSO_USER", who.users))
                    for value in values
                ],
            )
            for role, who in (
                ("admin", props.admins), ("editor", props.editors), ("viewer", props.viewers)
            )
            if who.groups or who.users
        ]
        self.capability = self._create(
            "ARGOCD",
            eks.CfnCapability.CapabilityConfigurationProperty(
                argo_cd=eks.CfnCapability.ArgoCdProperty(
                    aws_idc=eks.CfnCapability.AwsIdcProperty(
                        idc_instance_arn=props.identity_center_instance_arn,
                        idc_region=region or stack.region,
                    ),
                    namespace=props.namespace,
                    # Always written: an empty list turns public access back on, while a
                    # property left out might leave the last value in place.
                    network_access=eks.CfnCapability.NetworkAccessProperty(vpce_ids=vpce_ids),
                    rbac_role_mappings=mappings or None,
                )
            ),
        )
        """The AWS::EKS::Capability (`attr_arn`, `attr_status`...)."""
        self.server_url = self.capability.attr_configuration_argo_cd_server_url
        """The Argo CD server's URL (UI and API; webhooks at `<url>/api/webhook`)."""
        self.cluster_access = self._cluster_access(props.cluster_access, self.capability)
        """The item associating AmazonEKSClusterAdminPolicy, or None (`cluster_access`)."""
        if delivery is not None and delivery.bootstrap is not None:
            # A GitOps cluster: its bootstrap (project, cluster registration, root
            # Application) needs Argo CD's kinds and deploy rights, so it follows this.
            needs(delivery.bootstrap, self)

    def _check_identities(self, props: ArgoCdCapabilityProps) -> None:
        mappings: dict[str, Sequence[str]] = {}
        for role, who in (("admins", props.admins), ("editors", props.editors),
                          ("viewers", props.viewers)):  # fmt: skip
            mappings[f"{role}.groups"] = who.groups
            mappings[f"{role}.users"] = who.users
        try:
            check_identities(mappings)
        except IdentityError as exc:
            role, _, rest = exc.field.partition(".")
            kind, _, index = rest.partition("[")
            value = mappings[f"{role}.{kind}"][int(index.rstrip("]"))]
            raise self._fail(exc.field, value, str(exc)) from None

    def _network_access(self, props: ArgoCdCapabilityProps) -> bool:
        """Whether the server is private, checking what private and public access take."""
        if props.network_access is not None:
            self._check("network_access", props.network_access, check_choice, NETWORK_ACCESS)
        for index, vpce in enumerate(props.vpc_endpoint_ids):
            self._check(f"vpc_endpoint_ids[{index}]", vpce, check_vpce_id)
        again = first_repeat(props.vpc_endpoint_ids)
        if again is not None:
            raise self._fail("vpc_endpoint_ids", again, "listed more than once; list each once")
        for index, cidr in enumerate(props.endpoint_client_cidrs):
            self._check(f"endpoint_client_cidrs[{index}]", cidr, check_cidr)
            if cidr.endswith("/0"):
                raise self._fail(
                    f"endpoint_client_cidrs[{index}]", cidr,
                    "the endpoint is for private access: list the networks that reach it "
                    "(VPN, Direct Connect), or use network_access='public'",
                )
        private = props.network_access == "private" or (
            props.network_access is None
            and (bool(props.vpc_endpoint_ids) or endpoint_is_private(props.cluster) is not False)
        )
        if not private and props.vpc_endpoint_ids:
            raise self._fail(
                "vpc_endpoint_ids", list(props.vpc_endpoint_ids),
                "endpoints give private access, and network_access is 'public'; remove one",
            )
        if (props.vpc_endpoint_ids or not private) and (
            props.endpoint_client_cidrs or props.endpoint_subnets is not None
        ):
            raise self._fail(
                "endpoint_client_cidrs" if props.endpoint_client_cidrs else "endpoint_subnets",
                list(props.endpoint_client_cidrs) or "a SubnetSelection",
                "these shape the endpoint this construct creates, and it creates none "
                "(public access, or vpc_endpoint_ids given); remove them",
            )
        return private

    def _endpoint(self, props: ArgoCdCapabilityProps) -> ec2.InterfaceVpcEndpoint:
        """An `eks-capabilities` interface endpoint in the cluster's VPC: private DNS, its
        own security group admitting HTTPS from the VPC's CIDR (written literally where the
        VPC is defined here, so offline checkers see it) and `endpoint_client_cidrs`."""
        try:
            vpc = props.cluster.vpc
        except Exception:  # an imported cluster without its VPC: jsii raises a plain Error
            raise self._fail(
                "network_access", props.network_access or "private (default)",
                "private access creates an interface endpoint in the cluster's VPC, and this "
                "cluster was imported without one; import it with vpc=..., pass "
                "vpc_endpoint_ids, or use network_access='public'",
            ) from None
        security_group = ec2.SecurityGroup(
            self,
            "EndpointSecurityGroup",
            vpc=vpc,
            description="HTTPS to the private endpoint of the Argo CD server",
            allow_all_outbound=False,
        )
        security_group.add_ingress_rule(
            ec2.Peer.ipv4(_vpc_cidr(vpc)), ec2.Port.tcp(HTTPS), "HTTPS from inside the VPC"
        )
        for cidr in props.endpoint_client_cidrs:
            security_group.add_ingress_rule(
                ec2.Peer.ipv4(cidr), ec2.Port.tcp(HTTPS), "HTTPS from a client network"
            )
        return ec2.InterfaceVpcEndpoint(
            self,
            "Endpoint",
            vpc=vpc,
            service=ec2.InterfaceVpcEndpointAwsService(CAPABILITIES_ENDPOINT_SERVICE),
            subnets=props.endpoint_subnets
            or ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            security_groups=[security_group],
            # The user guide (argocd-private-access): AWS itself points the server's name at
            # the endpoint once it is in NetworkAccess.VpceIds; the service publishes no
            # private DNS name, and EC2 refuses PrivateDnsEnabled for a service without one.
            private_dns_enabled=False,
            open=False,
        )

    def _permissions(self, props: ArgoCdCapabilityProps) -> None:
        """ECR pulls and CodeConnections reads, only when asked for."""
        if props.ecr_pull:
            self.role.add_managed_policy(
                iam.ManagedPolicy.from_aws_managed_policy_name(ECR_PULL_POLICY)
            )
            acknowledge(
                self.role,
                "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
                f"{ECR_PULL_POLICY}]",
                "AmazonEC2ContainerRegistryPullOnly is the policy the EKS user guide names for "
                "Argo CD's private ECR charts: read-only pulls, the narrowest ECR policy.",
            )
        if props.code_connection_arns:
            iam.ManagedPolicy(
                self,
                "Policy",
                description="Repositories Argo CD reads through CodeConnections",
                roles=[self.role],
                statements=[
                    iam.PolicyStatement(
                        actions=["codeconnections:UseConnection"],
                        resources=list(props.code_connection_arns),
                    )
                ],
            )


def _vpc_cidr(vpc: ec2.IVpc) -> str:
    """The VPC's IPv4 CIDR as written when the VPC is defined in this app, else its value."""
    resource = vpc.node.default_child
    if isinstance(resource, ec2.CfnVPC):
        cidr = resource.cidr_block
        if isinstance(cidr, str) and not Token.is_unresolved(cidr):
            return cidr
    return vpc.vpc_cidr_block


# -- ACK ---------------------------------------------------------------------------------


class AckCapability(_Capability):
    """AWS Controllers for Kubernetes run by EKS (AWS::EKS::Capability ACK): AWS resources
    as Kubernetes objects. Anyone who can create an ACK object in the cluster acts with the
    role's rights, so the role gets exactly `permissions` (one customer-managed policy), or
    AdministratorAccess only with `administrator_access_reason`."""

    def __init__(self, scope: Construct, id: str, *, props: AckCapabilityProps) -> None:
        super().__init__(
            scope, id, props=props, props_name="AckCapabilityProps", kind="ack", label="ACK"
        )
        self._check("disabled_services", list(props.disabled_services), check_disabled_services)
        admin = props.administrator_access_reason
        if admin is not None:
            self._check("administrator_access_reason", admin, check_reason)
            if props.permissions:
                raise self._fail(
                    "permissions", f"{len(props.permissions)} permissions",
                    "AdministratorAccess already allows every action; remove the permissions "
                    "or administrator_access_reason",
                )
        elif not props.permissions:
            raise self._fail(
                "permissions", [],
                "an ACK role without permissions can manage nothing; list the actions and "
                "resources its controllers need (or give administrator_access_reason)",
            )
        for index, permission in enumerate(props.permissions):
            self._check_permission(index, permission)
        self.policy: iam.ManagedPolicy | None = None
        """The customer-managed policy of `permissions` (None with AdministratorAccess)."""
        if admin is not None:
            self.role.add_managed_policy(
                iam.ManagedPolicy.from_aws_managed_policy_name(ADMINISTRATOR_ACCESS)
            )
            acknowledge(
                self.role,
                "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
                f"{ADMINISTRATOR_ACCESS}]",
                f"AdministratorAccess for ACK, asked for explicitly: {admin}",
            )
        else:
            self.policy = self._policy(props.permissions)
        self.capability = self._create(
            "ACK",
            eks.CfnCapability.CapabilityConfigurationProperty(
                ack=eks.CfnCapability.AckProperty(
                    disabled_services=list(props.disabled_services) or None,
                    enable_cross_namespace=props.enable_cross_namespace,
                )
            ),
        )
        """The AWS::EKS::Capability."""

    def _check_permission(self, index: int, permission: AckPermission) -> None:
        where = f"permissions[{index}]"
        if not permission.actions:
            raise self._fail(f"{where}.actions", [], "list at least one action")
        if not permission.resources:
            raise self._fail(f"{where}.resources", [], "list at least one resource ARN (or '*')")
        for i, action in enumerate(permission.actions):
            self._check(f"{where}.actions[{i}]", action, check_ack_action)
        for i, resource in enumerate(permission.resources):
            if not Token.is_unresolved(resource):
                self._check(f"{where}.resources[{i}]", resource, check_resource_arn)
        broad = [v for v in (*permission.actions, *permission.resources) if is_broad(v)]
        if broad and permission.reason is None:
            raise self._fail(
                f"{where}.reason", None,
                f"{', '.join(broad)} reach more than named actions or resources; say why in "
                "reason (it becomes the cdk-nag acknowledgement a reviewer reads), or narrow them",
            )
        if permission.reason is not None:
            if not broad:
                raise self._fail(
                    f"{where}.reason", permission.reason,
                    "the permission has no wildcard to explain; remove the reason",
                )
            self._check(f"{where}.reason", permission.reason, check_reason)

    def _policy(self, permissions: Sequence[AckPermission]) -> iam.ManagedPolicy:
        """One statement per permission, and an acknowledgement per wildcard with its
        permission's reason."""
        policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="What the ACK controllers of an EKS cluster may call",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    actions=list(dict.fromkeys(p.actions)),
                    resources=list(dict.fromkeys(p.resources)),
                )
                for p in permissions
            ],
        )
        stack = Stack.of(self)
        for permission in permissions:
            if permission.reason is None:
                continue
            reason = f"ACK permission chosen by the platform team: {permission.reason}"
            for action in permission.actions:
                if is_broad(action):
                    acknowledge(
                        policy, f"AwsSolutions::AwsSolutions-IAM5[Action::{action}]", reason
                    )
                    if action.endswith(":*"):
                        acknowledge(
                            policy,
                            "NIST.800.53.R5::NIST.800.53.R5-IAMPolicyNoStatementsWithFullAccess",
                            reason,
                        )
            for resource in permission.resources:
                if is_broad(resource):
                    name = nag_resource_name(stack.resolve(resource))
                    acknowledge(
                        policy, f"AwsSolutions::AwsSolutions-IAM5[Resource::{name}]", reason
                    )
        return policy


# -- kro ---------------------------------------------------------------------------------


class KroCapability(_Capability):
    """kro (Kube Resource Orchestrator) run by EKS (AWS::EKS::Capability KRO):
    ResourceGraphDefinitions compose Kubernetes objects into APIs of your own. kro calls no
    AWS API, so its role has no policy; what it may create in the cluster is
    `cluster_access` or your RBAC."""

    def __init__(
        self, scope: Construct, id: str, *, props: KroCapabilityProps
    ) -> None:
        super().__init__(
            scope, id, props=props, props_name="KroCapabilityProps", kind="kro", label="kro",
            cluster_access=props.cluster_access,
        )
        self.capability = self._create("KRO", None)
        """The AWS::EKS::Capability."""
        self.cluster_access = self._cluster_access(props.cluster_access, self.capability)
        """The item associating AmazonEKSClusterAdminPolicy, or None (`cluster_access`)."""
