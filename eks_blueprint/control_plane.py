"""ControlPlane: an EKS cluster on aws_eks_v2 with the security baseline switched on.

aws_eks_v2 renders a native AWS::EKS::Cluster, so CloudFormation manages the cluster itself
(no custom-resource Lambda) and offline checkers can read every setting.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from aws_cdk import RemovalPolicy, Stack, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from .compliance import acknowledge
from .compute.auto_mode import (
    AutoModeNodeRole,
    AutoModeProps,
    acknowledge_auto_mode_cluster_role,
    validate_node_pools,
)
from .encryption import allow_cloudwatch_logs, new_key

#: All five control-plane log types: api, audit, authenticator, controllerManager, scheduler.
ALL_LOG_TYPES: tuple[eks.ClusterLoggingTypes, ...] = (
    eks.ClusterLoggingTypes.API,
    eks.ClusterLoggingTypes.AUDIT,
    eks.ClusterLoggingTypes.AUTHENTICATOR,
    eks.ClusterLoggingTypes.CONTROLLER_MANAGER,
    eks.ClusterLoggingTypes.SCHEDULER,
)

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
    """The EKS cluster name; changing it replaces the cluster."""
    version: eks.KubernetesVersion
    """Kubernetes version, e.g. eks.KubernetesVersion.V1_34."""
    vpc: ec2.IVpc
    """The VPC of the cluster."""
    vpc_subnets: Sequence[ec2.SubnetSelection] = field(
        default_factory=lambda: (
            ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
        )
    )
    """Subnets for the control-plane ENIs. Default: the private subnets."""
    endpoint_access: eks.EndpointAccess = eks.EndpointAccess.PRIVATE
    """API server endpoint. Default: private only. For public access use
    `eks.EndpointAccess.PUBLIC_AND_PRIVATE.only_from(*cidrs)`."""
    log_retention: logs.RetentionDays = logs.RetentionDays.THREE_MONTHS
    """Retention of /aws/eks/<cluster>/cluster. Default: three months."""
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
    kubectl_layer: lambda_.ILayerVersion | None = None
    """A kubectl Lambda layer matching `version` (e.g. KubectlV34Layer). Only needed to apply
    Kubernetes manifests or Helm charts through CloudFormation: it adds the kubectl provider
    (Lambda functions). Default: none, so the stack has no Lambda at all. Use
    `kubectl_layer_for(version)` to get the matching layer."""
    auto_mode: AutoModeProps | None = None
    """EKS Auto Mode (EKS-managed nodes and node add-ons). Default: off; the compute
    constructs add capacity instead."""
    open_endpoint_reason: str | None = None
    """Why the public endpoint may be reached from 0.0.0.0/0: the EKS pack's finding
    (EksBestPractices-EKSBP6) is acknowledged with this reason, so the choice is visible in
    the validation report and the review. Default: none, and an open endpoint fails synth."""


def kubectl_layer_for(scope: Construct, version: str) -> lambda_.ILayerVersion:
    """The kubectl layer for Kubernetes `version` ("1.34"), from its PyPI package.

    aws_eks_v2 does not check that the layer matches the cluster (PITFALLS.md), so this
    is the one place that maps versions to layers. Imported lazily: each layer package is
    large and only the one in use is loaded.
    """
    digits = version.replace(".", "")
    supported = ("132", "133", "134", "135")
    if digits not in supported:
        raise ValueError(
            f"no kubectl layer for Kubernetes {version}; supported: "
            + ", ".join(f"{v[0]}.{v[1:]}" for v in supported)
        )
    module = importlib.import_module(f"aws_cdk.lambda_layer_kubectl_v{digits[1:]}")
    layer_class = getattr(module, f"KubectlV{digits[1:]}Layer")
    layer: lambda_.ILayerVersion = layer_class(scope, "KubectlLayer")
    return layer


class ControlPlane(Construct):
    """An EKS control plane: all 5 log types into a KMS-encrypted log group created first,
    secrets envelope-encrypted with a rotating customer-managed key, authentication mode API
    with access entries only, no creator admin bootstrap, and no capacity of its own.
    """

    def __init__(self, scope: Construct, id: str, *, props: ControlPlaneProps) -> None:
        super().__init__(scope, id)
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
            version=props.version,
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
            # config (access never revoked) and orphan the kubectl provider. Only the cluster
            # itself (below), its keys and its log group are retained.
            kubectl_provider_options=(
                eks.KubectlProviderOptions(kubectl_layer=props.kubectl_layer)
                if props.kubectl_layer is not None
                else None
            ),
        )
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
        # The data-holding children (the kubectl provider's log groups) follow it too.
        for child in self.cluster.node.find_all():
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

    def grant_access(self, principal_arn: str, policy_name: str) -> None:
        """Give an IAM principal a cluster-wide EKS access policy through an access entry.

        The construct id comes from the principal's ARN, not its position in a list, so
        adding or removing another principal never replaces this entry (CloudFormation
        would create the new entry before deleting the old one, and EKS refuses two
        entries for one principal).
        """
        self.cluster.grant_access(
            principal_id(principal_arn, Stack.of(self).account),
            principal_arn,
            [
                eks.AccessPolicy.from_access_policy_name(
                    policy_name, access_scope_type=eks.AccessScopeType.CLUSTER
                )
            ],
        )
