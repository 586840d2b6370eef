"""ControlPlane: an EKS cluster on aws_eks_v2 with the security baseline switched on.

aws_eks_v2 renders a native AWS::EKS::Cluster, so CloudFormation manages the cluster itself
(no custom-resource Lambda) and offline checkers can read every setting.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, cast

from aws_cdk import RemovalPolicy, Stack, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from . import defaults
from .baseline import CONTROL_PLANE_LOG_TYPES
from .compliance import acknowledge
from .compute.auto_mode import (
    AutoModeNodeRole,
    AutoModeProps,
    acknowledge_auto_mode_cluster_role,
    validate_node_pools,
)
from .encryption import allow_cloudwatch_logs, new_key
from .gitops.target import GitOpsTarget
from .kubectl import kubectl_layer_for
from .kubernetes import Applied, KubernetesDelivery, Layer, apply_manifest, install_chart
from .validate_names import PropError, check_field_types, check_principal_arn, check_prop
from .wiring import addons_of

if TYPE_CHECKING:
    from .addons.addons import Addons
    from .compute.fargate import FargateProfiles, FargateProfileSpec
    from .compute.karpenter import Karpenter
    from .compute.managed_node_groups import ManagedNodeGroups, NodeGroupSpec
    from .identity import PodIdentityRole, ServiceAccountRole

__all__ = [
    "ALL_LOG_TYPES",
    "CLUSTER_ADMIN_POLICY",
    "VIEW_POLICY",
    "ControlPlane",
    "ControlPlaneProps",
    "kubectl_layer_for",
    "principal_id",
]

#: All five control-plane log types (eks_blueprint.baseline.CONTROL_PLANE_LOG_TYPES), as
#: aws_eks_v2's enum members.
ALL_LOG_TYPES: tuple[eks.ClusterLoggingTypes, ...] = tuple(
    # "controllerManager" -> CONTROLLER_MANAGER
    eks.ClusterLoggingTypes[re.sub(r"(?<!^)([A-Z])", r"_\1", name).upper()]
    for name in CONTROL_PLANE_LOG_TYPES
)

#: EKS cluster names: 1-100 characters, a letter or digit first, then letters, digits,
#: hyphens and underscores (CreateCluster's `name` pattern).
CLUSTER_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$")

CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"


def principal_id(arn: str, home_account: str | None = None) -> str:
    """A stable construct id for an IAM principal ARN, the same whatever else is listed: its
    type and name, alphanumeric (`RolePlatformAdmin`).

    Two principals must never share an id, or the construct tree refuses the second. IAM
    names are unique per account, so the id adds the principal's account when it is not
    `home_account` (the same role name in two accounts), and a short hash of the name when
    the name has characters an id cannot hold (`Dev-Ops` and `DevOps` are two roles).
    """
    parts = arn.split(":", 5)  # arn, partition, iam, "", account, role/path/Name
    kind, _, name = parts[-1].partition("/")
    name = name.rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in name if ch.isascii() and ch.isalnum())
    principal = f"{kind.capitalize()}{cleaned}"
    if cleaned != name:
        principal += hashlib.sha256(name.encode()).hexdigest()[:6].upper()
    account = parts[4] if len(parts) == 6 else ""
    if home_account is not None and not Token.is_unresolved(home_account) and \
            account != home_account:
        principal += f"In{account}"
    return principal


VIEW_POLICY = "AmazonEKSViewPolicy"


@dataclass(frozen=True, kw_only=True)
class ControlPlaneProps:
    """The settings of ControlPlane. Defaults are the secure choice."""

    cluster_name: str
    """The EKS cluster name; changing it replaces the cluster. Literal (IAM conditions and
    Karpenter's discovery tags contain it)."""
    version: str | eks.KubernetesVersion
    """Kubernetes version: `"1.34"` or `eks.KubernetesVersion.V1_34`. It selects the add-on
    pins and the kubectl layer, so it must be one this package supports."""
    vpc: ec2.IVpc
    """The VPC of the cluster (e.g. `Network(...).vpc`)."""
    vpc_subnets: Sequence[ec2.SubnetSelection] = field(
        default_factory=lambda: (
            ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
        )
    )
    """Subnets for the control-plane ENIs. Default: the private subnets."""
    endpoint_access: eks.EndpointAccess = eks.EndpointAccess.PRIVATE
    """API server endpoint. Default: private only. For public access use
    `eks.EndpointAccess.PUBLIC_AND_PRIVATE.only_from(*cidrs)`."""
    log_retention: logs.RetentionDays = logs.RetentionDays[
        defaults.CONTROL_PLANE_LOG_RETENTION
    ]
    """Retention of /aws/eks/<cluster>/cluster. Default: three months (90 days, the
    config's `cluster.logging.retention_days` default too)."""
    secrets_key: kms.IKey | None = None
    """Key for envelope encryption of Kubernetes secrets. Default: a new rotating key."""
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    """What happens to the keys and log group when the stack is deleted. Default: retain."""
    deletion_protection: bool = True
    """EKS deletion protection. Default: on."""
    upgrade_support_type: Literal["STANDARD", "EXTENDED"] = "STANDARD"
    """Support after standard support ends. Default: STANDARD (auto-upgrade at its end)."""
    admin_principal_arns: Sequence[str] = ()
    """IAM principals given AmazonEKSClusterAdminPolicy through access entries."""
    viewer_principal_arns: Sequence[str] = ()
    """IAM principals given AmazonEKSViewPolicy, cluster-wide, through access entries."""
    kubectl_provider: bool = True
    """Whether the cluster gets its Kubernetes layers (`ControlPlane.kubernetes`): at most
    four `Custom::EksBlueprint-KubernetesLayer` resources (foundation, capacity, platform,
    workloads) that apply Helm charts, manifests and patches through CloudFormation
    (Karpenter, the Load Balancer Controller, tenants, RBAC bindings need them), and the
    two Lambda functions behind them: this project's handler, with kubectl and Helm from
    the kubectl layer of `version` (one layer per stack, `KubectlLayer`), and aws-cdk-lib's
    custom-resource framework, both in the cluster's private subnets; their cdk-nag
    findings are acknowledged where they are built. The cluster never has aws_eks_v2's own
    kubectl provider, so `cluster.add_manifest` and `add_helm_chart` do not work on it: use
    `eks_blueprint.kubernetes.apply_manifest` and `install_chart`. Default: on. False: no
    Lambda at all, and anything that needs kubectl refuses to build with the fix."""
    gitops: GitOpsTarget | None = None
    """Deliver the cluster's charts and manifests through Argo CD instead (GitOps mode):
    they are rendered into `gitops.path` of `gitops.repository` (``eks_blueprint.gitops``)
    and the Kubernetes layers hold one item, the bootstrap (``kubernetes.bootstrap``): the
    project, the cluster registration and the root Application. Needs `kubectl_provider`
    and the EKS Argo CD capability. Default: None (the layers apply everything)."""
    kubectl_layer: lambda_.ILayerVersion | None = None
    """A kubectl layer to use instead of the package's one for `version`. Default: the
    layer of the `eks-blueprint[kubectl-vNN]` extra (`kubectl_layer_for`)."""
    core_addons: bool = True
    """Whether the first capacity added through this construct (`add_node_group`,
    `add_fargate_profile`, `add_karpenter`) brings what nodes need to become Ready: vpc-cni
    with its own role (the node role has no CNI permissions), kube-proxy, CoreDNS and the
    Pod Identity agent, as construct `CoreAddons`. Not when `add_addons` (or an `Addons`
    construct for this cluster) came first, and never with Auto Mode, whose nodes run their
    own. Default: on. Turn it off only when something else installs them."""
    auto_mode: AutoModeProps | None = None
    """EKS Auto Mode (EKS-managed nodes and node add-ons). Default: off; the compute
    constructs add capacity instead."""
    ip_family: Literal["ipv4", "ipv6"] = "ipv4"
    """The addresses pods and services get (AWS::EKS::Cluster KubernetesNetworkConfig
    IpFamily, set at creation only: changing it replaces the cluster). "ipv6" needs a
    dual-stack VPC (`NetworkProps(ip_protocol="dual_stack")`), Nitro instances, no Windows
    nodes and no custom networking; the add-ons then give vpc-cni the IPv6 IAM policy.
    Default: "ipv4"."""
    security_groups_for_pods: bool = False
    """Attach the AWS managed policy AmazonEKSVPCResourceController to the cluster role, so
    the VPC resource controller (run by EKS) may create the trunk and branch interfaces of
    security groups for pods (EKS user guide). Use it with AddonsProps.vpc_cni_pod_eni and
    PodSecurityGroups. Not with auto_mode, which does not support them. Default: off."""
    open_endpoint_reason: str | None = None
    """Why the public endpoint may be reached from 0.0.0.0/0: the EKS pack's finding
    (EksBestPractices-EKSBP6) is acknowledged with this reason, so the choice is visible in
    the validation report and the review. Default: none, and an open endpoint fails synth."""


def _has_ipv6(vpc: ec2.IVpc) -> bool:
    """False only for a VPC created in this app without an IPv6 block (an `ec2.Vpc` with
    no AWS::EC2::VPCCidrBlock that asks for an Amazon-provided IPv6 one); an imported VPC
    cannot be seen, so it passes (EKS checks it at creation)."""
    if not isinstance(vpc, ec2.Vpc):
        return True
    return any(
        isinstance(child, ec2.CfnVPCCidrBlock) and child.amazon_provided_ipv6_cidr_block
        for child in vpc.node.children
    )


class ControlPlane(Construct):
    """An EKS control plane: all 5 log types into a KMS-encrypted log group created first,
    secrets envelope-encrypted with a rotating customer-managed key, authentication mode API
    with access entries only, no creator admin bootstrap, and no capacity of its own.
    """

    def __init__(self, scope: Construct, id: str, *, props: ControlPlaneProps) -> None:
        super().__init__(scope, id)
        check_field_types(self.node.path, props, "ControlPlaneProps")
        self.props = props
        self.kubernetes_version = self._validate(props)
        """The Kubernetes version as `"1.34"`."""
        self.node_groups: ManagedNodeGroups | None = None
        """The container of the groups `add_node_group` created (construct `NodeGroups`)."""
        self.fargate: FargateProfiles | None = None
        """The container of the profiles `add_fargate_profile` created (`Fargate`)."""
        self.karpenter: Karpenter | None = None
        """What `add_karpenter` created (`Karpenter`)."""
        kubectl_layer = props.kubectl_layer
        if props.kubectl_provider and kubectl_layer is None:
            kubectl_layer = self._stack_kubectl_layer()
        self.log_key = new_key(
            self,
            "LogKey",
            description=f"Encrypts the control-plane logs of EKS cluster {props.cluster_name}",
            removal_policy=props.removal_policy,
        )
        allow_cloudwatch_logs(
            self.log_key, log_group_name_prefix=f"/aws/eks/{props.cluster_name}/*"
        )
        # EKS writes to this exact name; creating it first (with retention and a key)
        # keeps EKS from creating an unencrypted group that is kept forever.
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            log_group_name=f"/aws/eks/{props.cluster_name}/cluster",
            retention=props.log_retention,
            encryption_key=self.log_key,
            removal_policy=props.removal_policy,
        )
        self.secrets_key: kms.IKey = props.secrets_key or new_key(
            self,
            "SecretsKey",
            description=f"Envelope encryption of Kubernetes secrets in EKS {props.cluster_name}",
            removal_policy=props.removal_policy,
        )
        auto_mode_role: iam.IRole | None = None
        if props.auto_mode is not None:
            validate_node_pools(props.auto_mode.node_pools)
            auto_mode_role = (
                props.auto_mode.node_role or AutoModeNodeRole(self, "AutoModeNodeRole").role
            )
        self.cluster = eks.Cluster(
            self,
            "Cluster",
            cluster_name=props.cluster_name,
            version=eks.KubernetesVersion.of(self.kubernetes_version),
            vpc=props.vpc,
            vpc_subnets=list(props.vpc_subnets),
            endpoint_access=props.endpoint_access,
            cluster_logging=list(ALL_LOG_TYPES),
            secrets_encryption_key=self.secrets_key,
            # Capacity is added by the compute constructs unless Auto Mode is asked for;
            # aws_eks_v2 would otherwise default to Auto Mode.
            default_capacity_type=(
                eks.DefaultCapacityType.AUTOMODE
                if props.auto_mode is not None
                else eks.DefaultCapacityType.NODEGROUP
            ),
            default_capacity=None if props.auto_mode is not None else 0,
            compute=(
                eks.ComputeConfig(
                    node_pools=list(props.auto_mode.node_pools), node_role=auto_mode_role
                )
                if props.auto_mode is not None
                else None
            ),
            bootstrap_cluster_creator_admin_permissions=False,
            # No removal_policy here: aws_eks_v2 would apply it to every resource below the
            # cluster, so a retained environment would keep access entries removed from the
            # config (access never revoked). Only the cluster itself (below), its keys and
            # its log groups (and the Kubernetes layers' log groups) are retained.
        )
        self.kubernetes: KubernetesDelivery | None = None
        """The cluster's Kubernetes layers and the Lambda handler that applies them
        (construct `Kubernetes`, an `eks_blueprint.kubernetes.KubernetesDelivery`):
        every manifest, Helm chart and patch the constructs apply to this cluster is an item
        of one of its layers (`eks_blueprint.kubernetes.apply_manifest`, `install_chart`,
        `patch_object`). The cluster has no aws_eks_v2 kubectl provider, so its
        `add_manifest` and `add_helm_chart` do not work: use those functions. None with
        `kubectl_provider=False`."""
        if props.kubectl_provider and kubectl_layer is not None:
            self.kubernetes = KubernetesDelivery(
                self,
                "Kubernetes",
                cluster=cast(eks.ICluster, self.cluster),
                kubectl_layer=kubectl_layer,
                subnets=self._private_subnets(),
                gitops=props.gitops,
            )
            # The name is literal in the props: the tree may say it (Karpenter's settings).
            self.kubernetes.know(self.cluster.cluster_name, props.cluster_name)
        self.cluster.node.add_dependency(self.log_group)
        if props.auto_mode is not None:
            acknowledge_auto_mode_cluster_role(self.cluster.role)
        acknowledge(
            self.cluster.role,
            "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
            "AmazonEKSClusterPolicy]",
            "AmazonEKSClusterPolicy is the AWS-managed policy EKS documents for the cluster "
            "service role; AWS keeps it in step with what the control plane needs.",
        )
        cfn_cluster = self.cluster.node.default_child
        assert isinstance(cfn_cluster, eks.CfnCluster)
        self.cfn_cluster = cfn_cluster
        cfn_cluster.apply_removal_policy(props.removal_policy)
        # The data-holding children (the Kubernetes layers' log groups) follow it too.
        holders = [self.cluster, *([self.kubernetes] if self.kubernetes is not None else [])]
        for holder in holders:
            for child in holder.node.find_all():
                if isinstance(child, (logs.CfnLogGroup, kms.CfnKey)):
                    child.apply_removal_policy(props.removal_policy)
        # Not exposed by aws_eks_v2's L2 yet; both are plain AWS::EKS::Cluster properties.
        cfn_cluster.deletion_protection = props.deletion_protection
        if not props.deletion_protection:
            # An explicit opt-out (config `cluster.deletion_protection: false`, e.g. a
            # disposable dev cluster), visible in the config file and the review report.
            acknowledge(
                cfn_cluster,
                "EksBestPractices::EksBestPractices-EKSBP7",
                "Deletion protection is switched off on purpose by this cluster's "
                "configuration (deletion_protection: false) so the environment can be torn down.",
            )
        if props.open_endpoint_reason is not None:
            acknowledge(
                cfn_cluster,
                "EksBestPractices::EksBestPractices-EKSBP6",
                f"The public API endpoint is open to the internet on purpose: "
                f"{props.open_endpoint_reason}",
            )
        if props.ip_family == "ipv6":
            # aws_eks_v2's `ip_family` prop renders the same property; set here, after the
            # Cluster, so that ControlPlane's constructor call stays one for both families.
            cfn_cluster.add_property_override("KubernetesNetworkConfig.IpFamily", "ipv6")
        if props.security_groups_for_pods:
            if props.auto_mode is not None:
                raise self._fail(
                    "security_groups_for_pods",
                    True,
                    "EKS Auto Mode does not support security groups for pods (EKS user "
                    "guide); turn one of them off",
                )
            self.cluster.role.add_managed_policy(
                iam.ManagedPolicy.from_aws_managed_policy_name("AmazonEKSVPCResourceController")
            )
            acknowledge(
                self.cluster.role,
                "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
                "AmazonEKSVPCResourceController]",
                "AmazonEKSVPCResourceController is the AWS-managed policy the EKS user guide "
                "names for security groups for pods: the VPC resource controller manages the "
                "trunk and branch network interfaces with it.",
            )
        cfn_cluster.upgrade_policy = eks.CfnCluster.UpgradePolicyProperty(
            support_type=props.upgrade_support_type
        )
        cfn_cluster.access_config = eks.CfnCluster.AccessConfigProperty(
            authentication_mode="API",
            bootstrap_cluster_creator_admin_permissions=False,
        )
        for arn in props.admin_principal_arns:
            self.grant_access(arn, CLUSTER_ADMIN_POLICY)
        for arn in props.viewer_principal_arns:
            self.grant_access(arn, VIEW_POLICY)

    # -- validation -------------------------------------------------------------------------

    def _fail(self, prop: str, value: object, fix: str) -> ValueError:
        return PropError(self.node.path, f"ControlPlaneProps.{prop}", value, fix)

    def _validate(self, props: ControlPlaneProps) -> str:
        """Check the props before any jsii call; returns the version as "1.34"."""
        from .addons.versions import SUPPORTED_KUBERNETES_VERSIONS

        version = (
            props.version if isinstance(props.version, str) else props.version.version
        )
        if version not in SUPPORTED_KUBERNETES_VERSIONS:
            raise self._fail(
                "version",
                version,
                "use one of " + ", ".join(SUPPORTED_KUBERNETES_VERSIONS)
                + " (the versions with add-on pins and a kubectl layer)",
            )
        if Token.is_unresolved(props.cluster_name):
            raise self._fail(
                "cluster_name", props.cluster_name,
                "give a literal name: IAM conditions and discovery tags contain it",
            )
        if not CLUSTER_NAME.fullmatch(props.cluster_name):
            raise self._fail(
                "cluster_name", props.cluster_name,
                "1-100 letters, digits, hyphens or underscores, starting with a letter or digit",
            )
        for name in ("admin_principal_arns", "viewer_principal_arns"):
            arns = getattr(props, name)
            if isinstance(arns, str):
                raise self._fail(name, arns, "give a list of ARNs, not one string")
            for arn in arns:
                self._check_principal(f"ControlPlaneProps.{name}", arn)
        if props.open_endpoint_reason is not None and not props.open_endpoint_reason.strip():
            raise self._fail(
                "open_endpoint_reason", props.open_endpoint_reason,
                "say why the endpoint is open to the internet, or leave it None",
            )
        if props.ip_family not in ("ipv4", "ipv6"):
            raise self._fail(
                "ip_family", props.ip_family, "use 'ipv4' (the default) or 'ipv6'"
            )
        if props.ip_family == "ipv6" and not _has_ipv6(props.vpc):
            raise self._fail(
                "ip_family",
                props.ip_family,
                "an IPv6 cluster needs a VPC with IPv6 CIDR blocks, and this VPC was created "
                "without one; create it with NetworkProps(ip_protocol='dual_stack') (or "
                "ec2.IpProtocol.DUAL_STACK), or use ip_family='ipv4'",
            )
        if props.gitops is not None and not props.kubectl_provider:
            raise self._fail(
                "gitops", props.gitops,
                "GitOps delivery applies its bootstrap through the Kubernetes layers: set "
                "kubectl_provider=True, or gitops=None",
            )
        if props.kubectl_layer is not None and not props.kubectl_provider:
            raise self._fail(
                "kubectl_layer", props.kubectl_layer,
                "a layer is only used with kubectl_provider=True",
            )
        return version

    def _check_principal(self, prop: str, arn: str) -> None:
        if not Token.is_unresolved(arn):
            check_prop(self.node.path, prop, arn, check_principal_arn)

    def _stack_kubectl_layer(self) -> lambda_.ILayerVersion:
        """The stack's kubectl layer for this version: construct `KubectlLayer` of the stack
        for the first version used in it, shared by every cluster of that version in the
        stack; a second version gets its own (`KubectlLayerV1_35/KubectlLayer`)."""
        stack = Stack.of(self)
        layers: dict[str, lambda_.ILayerVersion] = getattr(stack, "_eks_blueprint_layers", {})
        if self.kubernetes_version not in layers:
            scope: Construct = stack
            if layers:  # the stack has the first version's layer as `KubectlLayer`
                scope = Construct(
                    stack, f"KubectlLayerV{self.kubernetes_version.replace('.', '_')}"
                )
            layers[self.kubernetes_version] = kubectl_layer_for(scope, self.kubernetes_version)
            setattr(stack, "_eks_blueprint_layers", layers)  # noqa: B010
        return layers[self.kubernetes_version]

    # -- growth methods -------------------------------------------------------------------

    @property
    def icluster(self) -> eks.ICluster:
        """The cluster typed as `eks.ICluster`, for props that take one (aws_eks_v2's Python
        stubs do not declare `Cluster` as an `ICluster`; it is one)."""
        return cast(eks.ICluster, self.cluster)

    def _private_subnets(self) -> ec2.SubnetSelection:
        """The cluster's subnets that are not public: where the Kubernetes layers' functions
        run, so they reach a private endpoint (as aws_eks_v2's kubectl provider did)."""
        vpc = self.props.vpc
        public = {subnet.subnet_id for subnet in vpc.public_subnets}
        chosen: dict[str, ec2.ISubnet] = {}
        for selection in self.props.vpc_subnets:
            selected = vpc.select_subnets(
                availability_zones=selection.availability_zones,
                one_per_az=selection.one_per_az,
                subnet_filters=selection.subnet_filters,
                subnet_group_name=selection.subnet_group_name,
                subnets=selection.subnets,
                subnet_type=selection.subnet_type,
            )
            for subnet in selected.subnets:
                if subnet.subnet_id not in public:
                    chosen.setdefault(subnet.subnet_id, subnet)
        return ec2.SubnetSelection(subnets=list(chosen.values()))

    def _require_kubectl(self, what: str) -> None:
        if self.kubernetes is None:
            raise ValueError(
                f"{self.node.path}: {what} applies Kubernetes objects through the kubectl "
                "provider, and this cluster has none (ControlPlaneProps.kubectl_provider="
                "False). Fix: set kubectl_provider=True."
            )

    def _will_add_core_addons(self) -> bool:
        return (
            self.props.core_addons
            and self.props.auto_mode is None
            and addons_of(self.cluster) is None
        )

    def _ensure_node_readiness(self, *, coredns_on_fargate: bool = False) -> None:
        """Add the node-readiness add-ons before the first capacity (ControlPlaneProps.
        core_addons), unless the cluster has its add-ons already. When that first capacity
        is a Fargate profile, CoreDNS runs on Fargate (its own profile), or it would stay
        Pending on a cluster without nodes."""
        if not self._will_add_core_addons():
            return
        from .addons.addons import Addons, AddonsProps

        Addons(
            self,
            "CoreAddons",
            props=AddonsProps.node_readiness(
                cluster=self.icluster,
                kubernetes_version=self.kubernetes_version,
                vpc=self.props.vpc,
                coredns_on_fargate=coredns_on_fargate,
            ),
        )

    def _custom_networking(self) -> bool:
        """Whether the cluster's add-ons run vpc-cni with custom networking (their
        `vpc_cni_custom_networking`): node groups and Karpenter added by the growth methods
        then count max pods without the primary ENI, as the pods cannot use it."""
        return bool(getattr(addons_of(self.cluster), "custom_networking", False))

    def add_manifest(
        self, id: str, *objects: dict[str, Any], layer: Layer = Layer.PLATFORM
    ) -> Applied:
        """Apply Kubernetes `objects` to this cluster as one item of its `layer` (default:
        the platform layer, after the nodes and add-ons), construct `id` of this control
        plane: what aws_eks_v2's `cluster.add_manifest` does on a cluster with its own
        kubectl provider (which a ControlPlane cluster has not). Objects removed from the
        list later are deleted. Returns the item (`item.needs(...)` orders it)."""
        self._require_kubectl("add_manifest")
        return apply_manifest(self, id, self.icluster, list(objects), layer=layer)

    def add_helm_chart(
        self, id: str, *, layer: Layer = Layer.PLATFORM, **chart: Any
    ) -> Applied:
        """Install a Helm chart as one item of `layer` (default: the platform layer),
        construct `id` of this control plane; `chart` are `install_chart`'s keywords
        (chart, repository, version, release, namespace, values, create_namespace, wait,
        timeout, skip_crds)."""
        self._require_kubectl("add_helm_chart")
        return install_chart(self, id, self.icluster, layer=layer, **chart)

    def add_addons(self, id: str = "Addons", **settings: Any) -> Addons:
        """Add the cluster's add-ons (`Addons`), configured with AddonsProps fields as
        keywords (e.g. `load_balancer_controller=True`); the cluster, its version and VPC are
        filled in. Call it before adding capacity: the node-readiness add-ons are then these,
        not `CoreAddons`. Returns the Addons construct."""
        from .addons.addons import Addons, AddonsProps

        existing = addons_of(self.cluster)
        if existing is not None:
            raise ValueError(
                f"{self.node.path}: add_addons: the cluster already has add-ons at "
                f"{existing.node.path}. Call add_addons before add_node_group, "  # type: ignore[attr-defined]
                "add_fargate_profile and add_karpenter, or set "
                "ControlPlaneProps(core_addons=False) and add them yourself."
            )
        props = AddonsProps(
            cluster=self.icluster,
            kubernetes_version=self.kubernetes_version,
            vpc=self.props.vpc,
            **settings,
        )
        return Addons(self, id, props=props)

    def add_node_group(self, spec: NodeGroupSpec) -> eks.Nodegroup:
        """Add a managed node group (hardened launch template, private subnets; see
        `ManagedNodeGroups`). The groups share one node role, in construct `NodeGroups`.
        Returns the node group."""
        from .compute.managed_node_groups import ManagedNodeGroups, ManagedNodeGroupsProps

        self._ensure_node_readiness()
        if self.node_groups is None:
            self.node_groups = ManagedNodeGroups(
                self, "NodeGroups", props=ManagedNodeGroupsProps(
                    cluster=self.icluster,
                    groups=(),
                    kubernetes_version=self.kubernetes_version,
                    custom_networking=self._custom_networking(),
                ),
            )
        return self.node_groups.add_group(spec)

    def add_fargate_profile(self, spec: FargateProfileSpec) -> eks.FargateProfile:
        """Add a Fargate profile (private subnets, a pod execution role scoped to this
        cluster's profiles). Returns the profile. When it is the cluster's first capacity
        and ControlPlane adds the node-readiness add-ons, CoreDNS runs on Fargate too (a
        `coredns` profile), so that DNS works without nodes."""
        from .compute.fargate import FargateProfiles, FargateProfilesProps

        coredns_on_fargate = self._will_add_core_addons() and self.node_groups is None
        self._ensure_node_readiness(coredns_on_fargate=coredns_on_fargate)
        if self.fargate is None:
            self.fargate = FargateProfiles(
                self,
                "Fargate",
                props=FargateProfilesProps(
                    cluster=self.cluster,
                    cluster_name=self.props.cluster_name,
                    vpc=self.props.vpc,
                    coredns=coredns_on_fargate,
                ),
            )
        return self.fargate.add_profile(spec)

    def add_karpenter(self, **settings: Any) -> Karpenter:
        """Add Karpenter (controller, IAM, interruption queue, NodePools, EC2NodeClasses),
        configured with KarpenterProps fields as keywords; the cluster, its name and version
        are filled in. The controller runs on the first node group added (tolerating its
        taints) unless `placement=` says otherwise (`self.node_groups.placement_for(name)`,
        or a Fargate profile's `karpenter_placement()`). Returns the Karpenter construct;
        add NodePools with `add_node_pool`."""
        from .compute.karpenter import Karpenter, KarpenterProps

        if self.karpenter is not None:
            raise ValueError(f"{self.node.path}: add_karpenter: the cluster has Karpenter already")
        self._require_kubectl("Karpenter")
        if "placement" not in settings:
            if self.node_groups is None or not self.node_groups.nodegroups:
                raise ValueError(
                    f"{self.node.path}: add_karpenter: the controller needs somewhere to run "
                    "before Karpenter launches nodes. Add a node group first "
                    "(add_node_group), or pass placement= (e.g. a Fargate profile's "
                    "karpenter_placement())."
                )
            first = next(iter(self.node_groups.nodegroups))
            settings["placement"] = self.node_groups.placement_for(first)
        self._ensure_node_readiness()
        settings.setdefault("custom_networking", self._custom_networking())
        self.karpenter = Karpenter(
            self,
            "Karpenter",
            props=KarpenterProps(
                cluster=self.icluster,
                cluster_name=self.props.cluster_name,
                kubernetes_version=self.kubernetes_version,
                **settings,
            ),
        )
        return self.karpenter

    def add_service_account_role(
        self, namespace: str, service_account: str, **settings: Any
    ) -> ServiceAccountRole:
        """An IRSA role for `namespace/service_account` (trust on exactly that service
        account through the cluster's OIDC provider), with ServiceAccountRoleProps fields
        as keywords (`managed_policies=`, `statements=`...). Returns the role construct."""
        from .identity import ServiceAccountRole, ServiceAccountRoleProps, workload_id

        return ServiceAccountRole(
            self,
            f"Irsa{workload_id(namespace, service_account)}",
            props=ServiceAccountRoleProps(
                cluster=self.icluster,
                namespace=namespace,
                service_account=service_account,
                **settings,
            ),
        )

    def add_pod_identity_role(
        self, namespace: str, service_account: str, **settings: Any
    ) -> PodIdentityRole:
        """A Pod Identity role and association for `namespace/service_account`, with
        PodIdentityRoleProps fields as keywords. Returns the role construct."""
        from .identity import PodIdentityRole, PodIdentityRoleProps, workload_id

        return PodIdentityRole(
            self,
            f"PodIdentity{workload_id(namespace, service_account)}",
            props=PodIdentityRoleProps(
                cluster=self.icluster,
                namespace=namespace,
                service_account=service_account,
                kubernetes_version=self.kubernetes_version,
                **settings,
            ),
        )

    def grant_cluster_admin(self, principal_arn: str) -> eks.AccessEntry:
        """Give an IAM role or user AmazonEKSClusterAdminPolicy, cluster-wide, through an
        access entry. Returns the access entry."""
        return self.grant_access(principal_arn, CLUSTER_ADMIN_POLICY)

    def grant_access(self, principal_arn: str, policy_name: str) -> eks.AccessEntry:
        """Give an IAM principal a cluster-wide EKS access policy through an access entry.

        The construct id comes from the principal's ARN, not its position in a list, so
        adding or removing another principal never replaces this entry (CloudFormation
        would create the new entry before deleting the old one, and EKS refuses two
        entries for one principal).
        """
        self._check_principal("grant_access principal_arn", principal_arn)
        if not re.fullmatch(r"AmazonEKS[A-Za-z0-9]+Policy", policy_name):
            raise PropError(
                self.node.path, "grant_access policy_name", policy_name,
                "give an EKS access policy name, e.g. AmazonEKSClusterAdminPolicy or "
                "AmazonEKSViewPolicy",
            )
        id = principal_id(principal_arn, Stack.of(self).account)
        self.cluster.grant_access(
            id,
            principal_arn,
            [
                eks.AccessPolicy.from_access_policy_name(
                    policy_name, access_scope_type=eks.AccessScopeType.CLUSTER
                )
            ],
        )
        entry = self.cluster.node.find_child(id)
        assert isinstance(entry, eks.AccessEntry)
        return entry
