"""SelfManagedNodeGroups: EC2 Auto Scaling groups of nodes for custom or hardened AMIs.

Managed node groups are the default (EKS bootstraps, drains and updates them); pick
self-managed groups when the AMI is your own (a CIS-hardened or scanned golden image) or
the bootstrap needs settings EKS does not merge. This construct then does what EKS would:

- AMI: the EKS-optimised AL2023 or Bottlerocket AMI of the cluster's Kubernetes version,
  read from its public SSM parameter by a CloudFormation parameter of type
  `AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>` at each deploy (synth stays offline),
  optionally pinned to a release; or a custom `ami_id` whose architecture and family the
  spec declares (offline, the AMI cannot be read).
- Launch template: IMDSv2 only with hop limit 1, no key pair (SSM Session Manager instead),
  encrypted gp3 volumes (Bottlerocket: its OS volume /dev/xvda and data volume /dev/xvdb),
  the cluster security group (the one EKS gives managed nodes, so nodes and control plane
  talk as they do for managed groups), an instance profile of the node role, optional
  detailed monitoring.
- User data: an AL2023 nodeadm `NodeConfig` (node.eks.aws/v1alpha1) in a MIME multi-part
  document, or Bottlerocket TOML `[settings.kubernetes]`: cluster name, API endpoint,
  certificate authority, service CIDR / cluster DNS address, labels, taints and max pods.
  The service CIDR of a cluster defined in the app that sets none is read from EKS at
  deploy time (AWS::EKS::Cluster has no Fn::GetAtt for it), never guessed.
- Access: an `EC2_LINUX` access entry for the node role (EKS creates one for managed
  groups only); the groups are created after it.
- Rolling replacement: an `AutoScalingRollingUpdate` update policy. A new AMI id (a new SSM
  value at deploy, or a changed `ami_id`) or any other launch template change is a new
  template version, which CloudFormation rolls out in batches of `max_unavailable_percentage`
  of the desired nodes, pausing between them. CloudFormation terminates old nodes without
  draining them (unlike a managed node group): see docs/self-managed-nodes.md.
- Cluster Autoscaler discovery tags on each group; `kubernetes.io/cluster/<name>: owned`
  on the group and its instances.

The group and its instance profile get generated names, so a replacement can be created
next to the old one.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import jsii
from aws_cdk import (
    CfnAutoScalingRollingUpdate,
    CfnAutoScalingScheduledAction,
    CfnTag,
    CfnUpdatePolicy,
    Fn,
    Stack,
    Token,
)
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ssm as ssm
from aws_cdk import custom_resources as cr
from constructs import Construct

from .. import validation as v
from ..addons.versions import check_kubernetes_version
from ..baseline import NODE_GROUP_LABEL
from ..compliance import acknowledge
from ..config.self_managed import (
    MAX_PODS,
    check_ami_id,
    check_ami_release,
    check_kubelet_labels,
    check_self_managed_architecture,
    cluster_dns_ip,
    optimized_ami_parameter,
)
from ..ids import pascal_id
from ..validate_names import PropError, check_cidr, check_field_types
from ..wiring import register_capacity
from . import defaults
from ._synth_checks import SynthCheck
from .managed_node_groups import (
    encrypted_block_device_mappings,
    imdsv2_options,
    instance_and_volume_tags,
    new_node_role,
)
from .max_pods import group_max_pods, kube_reserved_memory_mib
from .placement import ControllerPlacement
from .taints import Taint

__all__ = [
    "ROLLING_UPDATE_SUSPENDED_PROCESSES",
    "SelfManagedNodeGroupSpec",
    "SelfManagedNodeGroups",
    "SelfManagedNodeGroupsProps",
    "al2023_user_data",
    "bottlerocket_user_data",
    "validate_self_managed_group",
]

AmiFamily = Literal["al2023", "bottlerocket"]
Architecture = Literal["x86_64", "arm64"]

#: Auto Scaling processes suspended while CloudFormation rolls a group, as the
#: CloudFormation User Guide (UpdatePolicy attribute, AutoScalingRollingUpdate) recommends:
#: otherwise health checks, rebalancing or a scheduled action could replace or add
#: instances in the middle of the update and make it fail.
ROLLING_UPDATE_SUSPENDED_PROCESSES: tuple[str, ...] = (
    "HealthCheck",
    "ReplaceUnhealthy",
    "AZRebalance",
    "AlarmNotification",
    "ScheduledActions",
)
#: Auto Scaling notifications a topic gets: every launch and termination, and failures.
NOTIFICATION_TYPES: tuple[str, ...] = (
    "autoscaling:EC2_INSTANCE_LAUNCH",
    "autoscaling:EC2_INSTANCE_LAUNCH_ERROR",
    "autoscaling:EC2_INSTANCE_TERMINATE",
    "autoscaling:EC2_INSTANCE_TERMINATE_ERROR",
)
#: A Kubernetes label or taint key: an optional DNS subdomain prefix and a name.
_LABEL_KEY = re.compile(
    r"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
)
#: The field of the EKS DescribeCluster response that holds the service CIDR EKS gave the
#: cluster (EKS API reference, KubernetesNetworkConfigResponse.serviceIpv4Cidr).
SERVICE_CIDR_FIELD = "cluster.kubernetesNetworkConfig.serviceIpv4Cidr"
#: Rule id -> reason, for every finding on aws-cdk-lib's AwsCustomResource function that
#: reads the service CIDR (`SelfManagedNodeGroups._read_service_cidr`).
SERVICE_CIDR_LOOKUP_FINDINGS: dict[str, str] = {
    "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
    "service-role/AWSLambdaBasicExecutionRole]": "Lambda logging policy of the function,",
    "NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency": "Invoked only by CloudFormation, "
    "once when the cluster's nodes are first created; reserved concurrency would only take "
    "capacity from the account,",
    "NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ": "Invoked synchronously as a custom resource, "
    "whose failures CloudFormation reports; an async DLQ would never receive anything,",
    "NIST.800.53.R5::NIST.800.53.R5-LambdaInsideVPC": "It calls only the public EKS API "
    "(DescribeCluster) and reaches nothing in the VPC; outside it, it needs no NAT gateway or "
    "EKS interface endpoint,",
    "NIST.800.53.R5::NIST.800.53.R5-CloudWatchLogGroupEncrypted": "Its log holds the "
    "DescribeCluster request and the service CIDR it returns, nothing secret,",
}
#: The MIME boundary of the AL2023 user data (any string absent from the parts).
_BOUNDARY = "==EKSBLUEPRINTSELFMANAGED=="


@dataclass(frozen=True, kw_only=True)
class SelfManagedNodeGroupSpec:
    """One self-managed node group (an EC2 Auto Scaling group).

    `SelfManagedNodeGroupSpec(name="hardened", instance_types=["m7i.large"])` is a complete
    group: the recommended EKS-optimised AL2023 AMI for x86_64, 2 nodes (up to 4).
    """

    name: str
    """Construct id suffix, the `Name` tag and the node label `eks-blueprint/node-group`:
    1-63 lower-case letters, digits or '-'; renaming replaces the group."""
    instance_types: Sequence[str]
    """EC2 instance types, all of the AMI's architecture; the first is preferred."""
    ami_family: AmiFamily = "al2023"
    """al2023 (nodeadm NodeConfig user data) or bottlerocket (TOML settings). With
    `ami_id`, the family the AMI is built from. Default: al2023."""
    ami_id: str | None = None
    """A custom AMI, e.g. ami-0123456789abcdef0; needs `architecture`. Default: the
    EKS-optimised AMI of `ami_family` for the cluster's version, from SSM at deploy."""
    ami_release: str | None = None
    """Pin the EKS-optimised AMI to a release (al2023: v20251112; bottlerocket: 1.50.0).
    Not with `ami_id`. Default: the recommended (AL2023) or latest (Bottlerocket)."""
    architecture: Architecture | None = None
    """x86_64 or arm64: required with `ami_id`, checked against the instance types.
    Default: the instance types' architecture."""
    min_size: int = defaults.MIN_SIZE
    """Fewest nodes. Default: 2."""
    desired_size: int = defaults.DESIRED_SIZE
    """Nodes at creation, between min and max. Default: 2."""
    max_size: int = defaults.MAX_SIZE
    """Most nodes, at least 1. Default: 4."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Kubernetes labels the kubelet sets (none in kubernetes.io / k8s.io but the few
    NodeRestriction admits). Default: none."""
    taints: Sequence[Taint] = ()
    """Kubernetes taints the kubelet registers the node with. Default: none."""
    disk_size_gib: int = defaults.DISK_SIZE_GIB
    """Root (AL2023) or data (Bottlerocket) volume, 20-16384 GiB. Default: 50."""
    max_unavailable_percentage: int = defaults.MAX_UNAVAILABLE_PERCENTAGE
    """Share of the desired nodes a rolling update replaces at once, 1-100 %. Default: 33."""
    max_pods: int | None = None
    """The kubelet's max pods, 1-250. Default: with prefix delegation or custom networking
    (`SelfManagedNodeGroupsProps.prefix_delegation`, `.custom_networking`) the smallest
    EKS-recommended value of the instance types from the instance type table (one ENI fewer
    with custom networking); else the AMI's own."""
    detailed_monitoring: bool = False
    """EC2 detailed (1-minute) monitoring. Default: off."""

    def resolved_architecture(self) -> Architecture:
        """`architecture`, or the instance types' one."""
        return self.architecture or v.infer_architecture(self.instance_types)


def validate_self_managed_group(spec: SelfManagedNodeGroupSpec, what: str) -> None:
    """Every field of a spec (raises validation.Invalid, `what` naming the spec)."""
    v.check_name(spec.name, f"{what}.name")
    for instance_type in spec.instance_types:
        v.check_instance_type(instance_type, f"{what}.instance_types")
    v.check_unique(list(spec.instance_types), f"{what}.instance_types")
    if spec.ami_family not in ("al2023", "bottlerocket"):
        raise v.Invalid(
            f"{what}.ami_family",
            spec.ami_family,
            "use al2023 or bottlerocket (Windows self-managed nodes are not supported here)",
        )
    if spec.architecture is not None and spec.architecture not in ("x86_64", "arm64"):
        raise v.Invalid(f"{what}.architecture", spec.architecture, "use x86_64 or arm64")
    check_self_managed_architecture(
        spec.instance_types, spec.architecture, f"{what}.instance_types"
    )
    if spec.ami_id is not None:
        check_ami_id(spec.ami_id, f"{what}.ami_id")
        if spec.ami_release is not None:
            raise v.Invalid(
                f"{what}.ami_release",
                spec.ami_release,
                "a release pins an EKS-optimised AMI and ami_id names your own; give one",
            )
        if spec.architecture is None:
            raise v.Invalid(
                f"{what}.architecture",
                None,
                "a custom ami_id needs its architecture, x86_64 or arm64: synth is offline "
                "and cannot read it from EC2",
            )
    if spec.ami_release is not None:
        check_ami_release(spec.ami_family, spec.ami_release, f"{what}.ami_release")
    accelerated = [t for t in spec.instance_types if v.ACCELERATED_FAMILY.match(t.split(".", 1)[0])]
    if accelerated:
        raise v.Invalid(
            f"{what}.instance_types",
            accelerated,
            "GPU and accelerator instances need an accelerated AMI and device plugins, which "
            "self-managed groups here do not set up; use a managed node group with an "
            "accelerated AMI type",
        )
    v.check_sizes(
        spec.min_size, spec.desired_size, spec.max_size, f"{what}.min_size/desired_size/max_size"
    )
    check_kubelet_labels(spec.labels, f"{what}.labels")
    # Labels and taints go into kubelet flags and TOML: a ',' '=' ':' or quote would corrupt them.
    for key, value in spec.labels.items():
        if not _LABEL_KEY.fullmatch(key) or not v.LABEL_VALUE.fullmatch(value) or len(value) > 63:
            raise v.Invalid(
                f"{what}.labels[{key}]",
                value,
                "not a Kubernetes label: keys like example.com/team, values of at most 63 "
                "letters, digits, '-', '_' or '.'",
            )
    for taint in spec.taints:
        value = taint.value or ""
        if not _LABEL_KEY.fullmatch(taint.key) or not v.LABEL_VALUE.fullmatch(value):
            raise v.Invalid(
                f"{what}.taints",
                taint.key,
                "not a Kubernetes taint: a label key, and a value of at most 63 letters, "
                "digits, '-', '_' or '.'",
            )
    v.check_disk_size(spec.disk_size_gib, f"{what}.disk_size_gib")
    v.check_percentage(spec.max_unavailable_percentage, f"{what}.max_unavailable_percentage")
    if spec.max_pods is not None and not 1 <= spec.max_pods <= MAX_PODS:
        raise v.Invalid(f"{what}.max_pods", spec.max_pods, f"use 1-{MAX_PODS}, or unset")


# -- user data ------------------------------------------------------------------------------


def _label_flag(labels: Mapping[str, str]) -> str:
    return "--node-labels=" + ",".join(f"{k}={val}" for k, val in sorted(labels.items()))


def _taint_flag(taints: Sequence[Taint]) -> str:
    # kubelet --register-with-taints: comma-separated <key>=<value>:<effect> (or <key>:<effect>).
    return "--register-with-taints=" + ",".join(
        f"{t.key}={t.value}:{t.effect}" if t.value else f"{t.key}:{t.effect}" for t in taints
    )


def al2023_user_data(
    *,
    cluster_name: str,
    endpoint: str,
    certificate_authority: str,
    service_cidr: str,
    labels: Mapping[str, str],
    taints: Sequence[Taint] = (),
    max_pods: int | None = None,
) -> str:
    """The user data of an AL2023 node: one nodeadm NodeConfig (node.eks.aws/v1alpha1) in a
    MIME multi-part document, as the nodeadm docs show (awslabs/amazon-eks-ami,
    nodeadm/doc/api.md and examples.md): `spec.cluster` (name, apiServerEndpoint,
    certificateAuthority, cidr: all four are required, nodeadm's ValidateNodeConfig),
    `spec.kubelet.flags` for labels and taints, and with `max_pods` the kubelet config's
    maxPods and the kubeReserved memory nodeadm would give that many pods
    (`max_pods.kube_reserved_memory_mib`). `endpoint` and `certificate_authority` may be
    CDK tokens. JSON strings are YAML strings, so values are written with json.dumps."""
    flags = [_label_flag(labels)]
    if taints:
        flags.append(_taint_flag(taints))
    lines = [
        "---",
        "apiVersion: node.eks.aws/v1alpha1",
        "kind: NodeConfig",
        "spec:",
        "  cluster:",
        f"    name: {json.dumps(cluster_name)}",
        f'    apiServerEndpoint: "{endpoint}"',
        f'    certificateAuthority: "{certificate_authority}"',
        f"    cidr: {json.dumps(service_cidr)}",
        "  kubelet:",
    ]
    if max_pods is not None:
        lines += [
            "    config:",
            f"      maxPods: {max_pods}",
            "      kubeReserved:",
            f"        memory: {kube_reserved_memory_mib(max_pods)}Mi",
        ]
    lines += ["    flags:", *(f"      - {json.dumps(flag)}" for flag in flags)]
    return "\n".join(
        [
            "MIME-Version: 1.0",
            f'Content-Type: multipart/mixed; boundary="{_BOUNDARY}"',
            "",
            f"--{_BOUNDARY}",
            "Content-Type: application/node.eks.aws",
            "",
            *lines,
            "",
            f"--{_BOUNDARY}--",
            "",
        ]
    )


def bottlerocket_user_data(
    *,
    cluster_name: str,
    endpoint: str,
    certificate_authority: str,
    dns_ip: str,
    labels: Mapping[str, str],
    taints: Sequence[Taint] = (),
    max_pods: int | None = None,
) -> str:
    """The user data of a Bottlerocket node: TOML settings (bottlerocket.dev, "settings.
    kubernetes": cluster-name, api-server, cluster-certificate, cluster-dns-ip, max-pods,
    node-labels, node-taints). A taint is `"key" = ["value:Effect"]`, the list form
    Karpenter writes (aws/karpenter-provider-aws, pkg/providers/amifamily/bootstrap/
    bottlerocket.go). Keys and values are written with json.dumps: a JSON string is a TOML
    basic string."""
    lines = [
        "[settings.kubernetes]",
        f"cluster-name = {json.dumps(cluster_name)}",
        f'api-server = "{endpoint}"',
        f'cluster-certificate = "{certificate_authority}"',
        f"cluster-dns-ip = {json.dumps(dns_ip)}",
    ]
    if max_pods is not None:
        lines.append(f"max-pods = {max_pods}")
    lines += ["", "[settings.kubernetes.node-labels]"]
    lines += [f"{json.dumps(k)} = {json.dumps(val)}" for k, val in sorted(labels.items())]
    if taints:
        by_key: dict[str, list[str]] = {}
        for t in taints:
            by_key.setdefault(t.key, []).append(f"{t.value or ''}:{t.effect}")
        lines += ["", "[settings.kubernetes.node-taints]"]
        lines += [f"{json.dumps(k)} = {json.dumps(vals)}" for k, vals in by_key.items()]
    return "\n".join(lines) + "\n"


# -- the construct --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SelfManagedNodeGroupsProps:
    """The settings of SelfManagedNodeGroups."""

    cluster: eks.ICluster | eks.Cluster
    """The cluster the nodes join. An imported cluster needs its endpoint, certificate
    authority data, security group id and VPC."""
    cluster_name: str
    """The cluster's name, literal: the user data and the tag keys
    `kubernetes.io/cluster/<name>` contain it."""
    kubernetes_version: str
    """The cluster's Kubernetes version, e.g. "1.34": selects the EKS-optimised AMI."""
    groups: Sequence[SelfManagedNodeGroupSpec] = ()
    """The groups; more with `add_group`. At least one by synth time."""
    service_ipv4_cidr: str | None = None
    """The cluster's service CIDR (nodeadm's `cidr`; the DNS address is its tenth address).
    Default: for a cluster defined in this app, its `KubernetesNetworkConfig.ServiceIpv4Cidr`,
    or when it sets none the one EKS chose, read at deploy time by a custom resource
    (construct `ServiceCidr`, eks:DescribeCluster); required for an imported cluster (`aws
    eks describe-cluster --query cluster.kubernetesNetworkConfig.serviceIpv4Cidr`)."""
    subnets: ec2.SubnetSelection = field(
        default_factory=lambda: ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
    )
    """Where nodes go. Default: the private subnets of every AZ of the cluster's VPC."""
    node_role: iam.IRole | None = None
    """The role of every group's nodes. Default: a new role with NODE_ROLE_POLICIES."""
    access_entry: bool = True
    """Create the node role's EC2_LINUX access entry. False only for a `node_role` that has
    one already (a managed node group's role does: EKS created it). Default: true."""
    instance_tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the instances and volumes. Default: only `Name` and the cluster tag."""
    prefix_delegation: bool = True
    """Whether the cluster's VPC CNI assigns /28 prefixes (the Addons default): then each
    group's max pods come from the instance type table. Default: true."""
    custom_networking: bool = False
    """Whether the cluster's VPC CNI uses custom networking (pods in ENIConfig subnets,
    `eks_blueprint.pod_networking.CustomNetworking`): the primary ENI then holds no pod
    address, so each group's max pods counts one ENI fewer (the AMI's own value would not).
    Create the groups before CustomNetworking, or pass them to its `order_capacity`, so no
    node starts before its AZ's ENIConfig exists. Default: false."""
    notification_topic_arn: str | None = None
    """An SNS topic for the groups' launch and terminate notifications (and failures).
    Default: none."""
    rolling_update_pause_minutes: int = 5
    """How long CloudFormation waits after each batch of a rolling update before the next,
    1-60 minutes: time for the new nodes to join and their pods to start. Default: 5."""


class SelfManagedNodeGroups(Construct):
    """Self-managed node groups in private subnets: per group a hardened launch template
    (IMDSv2 hop limit 1, encrypted gp3, no SSH key, the cluster security group, bootstrap
    user data) and an Auto Scaling group rolled on every template change; one node role with
    an instance profile and an EC2_LINUX access entry.

    Add groups with `add_group`, also after construction; synth fails if there is none.
    """

    def __init__(self, scope: Construct, id: str, *, props: SelfManagedNodeGroupsProps) -> None:
        super().__init__(scope, id)
        check_field_types(self.node.path, props, "SelfManagedNodeGroupsProps")
        self._props = props
        self.cluster = cast(eks.ICluster, props.cluster)
        self._check_props()
        self.service_ipv4_cidr = self._service_cidr()
        """The service CIDR written into the user data (a deploy-time token when read from
        EKS)."""
        self.node_role: iam.IRole = props.node_role or new_node_role(
            self, "NodeRole", description=f"Self-managed nodes of EKS {props.cluster_name}"
        )
        self.instance_profile = iam.CfnInstanceProfile(
            self, "InstanceProfile", roles=[self.node_role.role_name]
        )
        self.access_entry: eks.CfnAccessEntry | None = None
        if props.access_entry:
            # Self-managed nodes join through an access entry of type EC2_LINUX (EKS creates
            # one for managed node groups only).
            self.access_entry = eks.CfnAccessEntry(
                self,
                "NodeAccessEntry",
                cluster_name=self.cluster.cluster_name,
                principal_arn=self.node_role.role_arn,
                type="EC2_LINUX",
            )
        self.groups: dict[str, autoscaling.CfnAutoScalingGroup] = {}
        self.launch_templates: dict[str, ec2.CfnLaunchTemplate] = {}
        self.max_pods: dict[str, int | None] = {}
        """Each group's kubelet max pods as written into its user data (None: the AMI's)."""
        self._specs: dict[str, SelfManagedNodeGroupSpec] = {}
        for spec in props.groups:
            self._add(spec)
        self.node.add_validation(SynthCheck(self._without_groups))
        register_capacity(props.cluster, self)

    # -- checks ---------------------------------------------------------------------------

    def _fail(self, error: v.Invalid) -> PropError:
        return PropError(self.node.path, error.what, error.value, error.fix)

    def _check_props(self) -> None:
        props = self._props
        try:
            if Token.is_unresolved(props.cluster_name):
                raise v.Invalid(
                    "SelfManagedNodeGroupsProps.cluster_name",
                    props.cluster_name,
                    "give the cluster's name as a literal string: the user data and the "
                    "kubernetes.io/cluster/<name> tag key contain it",
                )
            try:
                check_kubernetes_version(props.kubernetes_version)
            except ValueError as exc:
                raise v.Invalid(
                    "SelfManagedNodeGroupsProps.kubernetes_version",
                    props.kubernetes_version,
                    str(exc),
                ) from None
            if props.service_ipv4_cidr is not None and not Token.is_unresolved(
                props.service_ipv4_cidr
            ):
                try:
                    check_cidr(props.service_ipv4_cidr)
                except ValueError as exc:
                    raise v.Invalid(
                        "SelfManagedNodeGroupsProps.service_ipv4_cidr",
                        props.service_ipv4_cidr,
                        str(exc),
                    ) from None
            if not 1 <= props.rolling_update_pause_minutes <= 60:
                raise v.Invalid(
                    "SelfManagedNodeGroupsProps.rolling_update_pause_minutes",
                    props.rolling_update_pause_minutes,
                    "use 1-60 minutes",
                )
            if (
                props.notification_topic_arn is not None
                and not Token.is_unresolved(props.notification_topic_arn)
                and not props.notification_topic_arn.startswith("arn:aws:sns:")
            ):
                raise v.Invalid(
                    "SelfManagedNodeGroupsProps.notification_topic_arn",
                    props.notification_topic_arn,
                    "not an SNS topic ARN; write it like arn:aws:sns:eu-west-1:123456789012:nodes",
                )
            v.check_unique([g.name for g in props.groups], "SelfManagedNodeGroupsProps.groups name")
            for index, spec in enumerate(props.groups):
                validate_self_managed_group(spec, f"SelfManagedNodeGroupsProps.groups[{index}]")
        except v.Invalid as error:
            raise self._fail(error) from None
        for attribute in (
            "cluster_endpoint",
            "cluster_certificate_authority_data",
            "cluster_security_group_id",
            "vpc",
        ):
            try:
                getattr(self.cluster, attribute)
            except (jsii.errors.JSIIError, RuntimeError, AttributeError):
                raise PropError(
                    self.node.path,
                    "SelfManagedNodeGroupsProps.cluster",
                    self.cluster.node.path,
                    f"the cluster has no {attribute}, which self-managed nodes need (user "
                    "data, security group, subnets); import it with cluster_endpoint, "
                    "cluster_certificate_authority_data, cluster_security_group_id and vpc",
                ) from None

    def _service_cidr(self) -> str:
        """The service CIDR: the prop; else the literal ServiceIpv4Cidr of the cluster's
        CfnCluster; else, for a cluster defined in this app that sets none, the one EKS gave
        it, read at deploy time (`_read_service_cidr`). An imported cluster needs the prop:
        a guess would give nodes a wrong cluster DNS address."""
        if self._props.service_ipv4_cidr is not None:
            return self._props.service_ipv4_cidr
        cfn = getattr(self.cluster.node, "default_child", None)
        if isinstance(cfn, eks.CfnCluster):
            config = Stack.of(self).resolve(cfn.kubernetes_network_config) or {}
            found = config.get("serviceIpv4Cidr") if isinstance(config, dict) else None
            if isinstance(found, str) and not Token.is_unresolved(found):
                return found
            return self._read_service_cidr(cfn)
        raise PropError(
            self.node.path,
            "SelfManagedNodeGroupsProps.service_ipv4_cidr",
            None,
            "an imported cluster's service CIDR cannot be read at synth, and nodeadm needs it "
            "(the cluster DNS address is its tenth address); give the cluster's: aws eks "
            "describe-cluster --query cluster.kubernetesNetworkConfig.serviceIpv4Cidr",
        )

    def _read_service_cidr(self, cfn: eks.CfnCluster) -> str:
        """The service CIDR EKS chose for a cluster of this stack created without one: a
        deploy-time token. AWS::EKS::Cluster has no Fn::GetAtt for it (its schema's read-only
        properties name only KubernetesNetworkConfig.ServiceIpv6Cidr; aws-cloudformation/
        cloudformation-coverage-roadmap#2022), so a custom resource (construct
        `ServiceCidr`) calls eks:DescribeCluster on this cluster once, at creation, and
        returns only that field (the whole response could pass the 4 KB custom-resource
        limit)."""
        call = cr.AwsSdkCall(
            service="EKS",
            action="describeCluster",
            parameters={"name": cfn.ref},
            physical_resource_id=cr.PhysicalResourceId.of(
                f"{self._props.cluster_name}-service-cidr"
            ),
            output_paths=[SERVICE_CIDR_FIELD],
        )
        lookup = cr.AwsCustomResource(
            self,
            "ServiceCidr",
            resource_type="Custom::EksServiceIpv4Cidr",
            on_create=call,
            on_update=call,
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [iam.PolicyStatement(actions=["eks:DescribeCluster"], resources=[cfn.attr_arn])]
            ),
            install_latest_aws_sdk=False,
        )
        self._acknowledge_lookup(lookup)
        return lookup.get_response_field(SERVICE_CIDR_FIELD)

    def _acknowledge_lookup(self, lookup: cr.AwsCustomResource) -> None:
        """The cdk-nag findings of the service CIDR custom resource and of aws-cdk-lib's
        singleton function behind it (one per stack), each with its reason."""
        generated = "generated by aws-cdk-lib's AwsCustomResource (not configured here)"
        acknowledge(
            lookup,
            "NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy",
            "The lookup's one-statement policy (eks:DescribeCluster on this cluster only), "
            f"attached to the role of its function, {generated}.",
        )
        # aws-cdk-lib names the singleton "AWS" + its UUID without dashes, in the stack.
        singleton_id = "AWS" + cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace("-", "")
        function = Stack.of(self).node.try_find_child(singleton_id)
        if function is None:
            raise RuntimeError(
                f"{self.node.path}: AwsCustomResource's function {singleton_id} is not in the "
                "stack; this aws-cdk-lib version builds it differently from the one "
                "eks_blueprint supports (see pyproject's aws-cdk-lib range)"
            )
        if getattr(function, "_eks_blueprint_acknowledged", False):
            return
        setattr(function, "_eks_blueprint_acknowledged", True)  # noqa: B010
        for rule, reason in SERVICE_CIDR_LOOKUP_FINDINGS.items():
            acknowledge(function, rule, f"{reason} {generated}.")

    def _without_groups(self) -> str | None:
        if self.groups:
            return None
        return (
            f"{self.node.path}: SelfManagedNodeGroups has no group; give "
            "SelfManagedNodeGroupsProps.groups or call add_group"
        )

    # -- groups ---------------------------------------------------------------------------

    def add_group(self, spec: SelfManagedNodeGroupSpec) -> autoscaling.CfnAutoScalingGroup:
        """Add a group (construct `<Name>` and its `<Name>LaunchTemplate`) and return its
        Auto Scaling group."""
        try:
            what = f"add_group(SelfManagedNodeGroupSpec {spec.name!r})"
            validate_self_managed_group(spec, what)
            v.check_unique([*self._specs, spec.name], f"{what}.name")
        except v.Invalid as error:
            raise self._fail(error) from None
        return self._add(spec)

    def _image_id(self, spec: SelfManagedNodeGroupSpec) -> str:
        """The AMI id: the custom one, or a deploy-time CloudFormation parameter reading the
        public SSM parameter of the EKS-optimised AMI (one per path and stack)."""
        if spec.ami_id is not None:
            return spec.ami_id
        path = optimized_ami_parameter(
            spec.ami_family,
            self._props.kubernetes_version,
            spec.resolved_architecture(),
            spec.ami_release,
        )
        return ssm.StringParameter.value_for_typed_string_parameter_v2(
            self, path, ssm.ParameterValueType.AWS_EC2_IMAGE_ID
        )

    def _user_data(self, spec: SelfManagedNodeGroupSpec, max_pods: int | None) -> str:
        labels = {**spec.labels, NODE_GROUP_LABEL: spec.name}
        common: dict[str, Any] = {
            "cluster_name": self._props.cluster_name,
            "endpoint": self.cluster.cluster_endpoint,
            "certificate_authority": self.cluster.cluster_certificate_authority_data,
            "labels": labels,
            "taints": tuple(spec.taints),
            "max_pods": max_pods,
        }
        if spec.ami_family == "bottlerocket":
            return bottlerocket_user_data(dns_ip=self._cluster_dns_ip(), **common)
        return al2023_user_data(service_cidr=self.service_ipv4_cidr, **common)

    def _cluster_dns_ip(self) -> str:
        """The cluster DNS address: the service CIDR's base with 10 as its last octet, as
        nodeadm (nodeadm/internal/api/net.go) and Bottlerocket's pluto derive it; for a
        deploy-time CIDR with Fn::Split, Fn::Select and Fn::Join (EKS service CIDRs are /12
        to /24, so the base's last octet is 0)."""
        cidr = self.service_ipv4_cidr
        if not Token.is_unresolved(cidr):
            return cluster_dns_ip(cidr)
        octets = Fn.split(".", cidr, 4)
        return Fn.join(".", [octets[0], octets[1], octets[2], "10"])

    def _add(self, spec: SelfManagedNodeGroupSpec) -> autoscaling.CfnAutoScalingGroup:
        props = self._props
        self._specs[spec.name] = spec
        suffix = pascal_id(spec.name)
        max_pods = spec.max_pods
        if max_pods is None and (props.prefix_delegation or props.custom_networking):
            max_pods = group_max_pods(
                spec.instance_types,
                prefix_delegation=props.prefix_delegation,
                custom_networking=props.custom_networking,
            )
        self.max_pods[spec.name] = max_pods
        cluster_tag = f"kubernetes.io/cluster/{props.cluster_name}"
        instance_tags = [
            CfnTag(key=key, value=value)
            for key, value in {
                **props.instance_tags,
                "Name": f"{spec.name}-node",
                cluster_tag: "owned",
            }.items()
        ]
        template = ec2.CfnLaunchTemplate(
            self,
            f"{suffix}LaunchTemplate",
            launch_template_data=ec2.CfnLaunchTemplate.LaunchTemplateDataProperty(
                image_id=self._image_id(spec),
                instance_type=spec.instance_types[0] if len(spec.instance_types) == 1 else None,
                iam_instance_profile=ec2.CfnLaunchTemplate.IamInstanceProfileProperty(
                    arn=self.instance_profile.attr_arn
                ),
                # The security group EKS creates for the cluster, which managed nodes use:
                # it admits the control plane and every other node.
                security_group_ids=[self.cluster.cluster_security_group_id],
                user_data=Fn.base64(self._user_data(spec, max_pods)),
                metadata_options=imdsv2_options(defaults.IMDS_HOP_LIMIT),
                monitoring=ec2.CfnLaunchTemplate.MonitoringProperty(
                    enabled=spec.detailed_monitoring
                ),
                block_device_mappings=encrypted_block_device_mappings(
                    spec.ami_family, spec.disk_size_gib
                ),
                tag_specifications=instance_and_volume_tags(instance_tags),
            ),
        )
        subnets = self.cluster.vpc.select_subnets(
            subnet_type=props.subnets.subnet_type,
            subnet_group_name=props.subnets.subnet_group_name,
            subnets=props.subnets.subnets,
            availability_zones=props.subnets.availability_zones,
            one_per_az=props.subnets.one_per_az,
        )
        batch = max(1, math.ceil(spec.desired_size * spec.max_unavailable_percentage / 100))
        version = autoscaling.CfnAutoScalingGroup.LaunchTemplateSpecificationProperty(
            launch_template_id=template.ref, version=template.attr_latest_version_number
        )
        single = len(spec.instance_types) == 1
        group = autoscaling.CfnAutoScalingGroup(
            self,
            suffix,
            min_size=str(spec.min_size),
            max_size=str(spec.max_size),
            desired_capacity=str(spec.desired_size),
            vpc_zone_identifier=subnets.subnet_ids,
            # One type: the template names it. Several: a mixed instances policy, On-Demand
            # only, the types in the order given (CloudFormation takes one or the other).
            launch_template=version if single else None,
            mixed_instances_policy=None
            if single
            else autoscaling.CfnAutoScalingGroup.MixedInstancesPolicyProperty(
                launch_template=autoscaling.CfnAutoScalingGroup.LaunchTemplateProperty(
                    launch_template_specification=version,
                    overrides=[
                        autoscaling.CfnAutoScalingGroup.LaunchTemplateOverridesProperty(
                            instance_type=t
                        )
                        for t in spec.instance_types
                    ],
                ),
                instances_distribution=autoscaling.CfnAutoScalingGroup.InstancesDistributionProperty(
                    on_demand_allocation_strategy="prioritized",
                    on_demand_base_capacity=0,
                    on_demand_percentage_above_base_capacity=100,
                ),
            ),
            health_check_type="EC2",
            health_check_grace_period=300,
            # The group metrics (desired, in service, pending...) in CloudWatch, free of
            # charge at 1-minute granularity.
            metrics_collection=[
                autoscaling.CfnAutoScalingGroup.MetricsCollectionProperty(granularity="1Minute")
            ],
            notification_configurations=(
                [
                    autoscaling.CfnAutoScalingGroup.NotificationConfigurationProperty(
                        topic_arn=props.notification_topic_arn,
                        notification_types=list(NOTIFICATION_TYPES),
                    )
                ]
                if props.notification_topic_arn is not None
                else None
            ),
            tags=[
                autoscaling.CfnAutoScalingGroup.TagPropertyProperty(
                    key=key, value=value, propagate_at_launch=propagate
                )
                for key, value, propagate in (
                    ("Name", f"{spec.name}-node", True),
                    (cluster_tag, "owned", True),
                    # Cluster Autoscaler auto-discovery reads these on the group.
                    ("k8s.io/cluster-autoscaler/enabled", "true", False),
                    (f"k8s.io/cluster-autoscaler/{props.cluster_name}", "owned", False),
                )
            ],
        )
        group.cfn_options.update_policy = self._update_policy(spec, batch)
        if self.access_entry is not None:
            # Nodes launched before the entry exists would fail to register.
            group.node.add_dependency(self.access_entry)
        self._acknowledge(group, mixed=not single)
        self.groups[spec.name] = group
        self.launch_templates[spec.name] = template
        return group

    def _update_policy(self, spec: SelfManagedNodeGroupSpec, batch: int) -> CfnUpdatePolicy:
        """Roll the group on every launch template change: `batch` nodes at a time (at
        least desired - batch stay in service), a pause after each batch, the processes
        that would interfere suspended; a deploy that leaves the sizes unchanged keeps what
        an autoscaler set (IgnoreUnmodifiedGroupSizeProperties)."""
        return CfnUpdatePolicy(
            auto_scaling_rolling_update=CfnAutoScalingRollingUpdate(
                max_batch_size=batch,
                min_instances_in_service=max(0, spec.desired_size - batch),
                pause_time=f"PT{self._props.rolling_update_pause_minutes}M",
                suspend_processes=list(ROLLING_UPDATE_SUSPENDED_PROCESSES),
                wait_on_resource_signals=False,
            ),
            auto_scaling_scheduled_action=CfnAutoScalingScheduledAction(
                ignore_unmodified_group_size_properties=True
            ),
        )

    def _acknowledge(self, group: autoscaling.CfnAutoScalingGroup, *, mixed: bool) -> None:
        """The cdk-nag findings a node group raises by design, each with its reason."""
        if mixed:
            # cdk-nag 3.0.2's EC2IMDSv2Enabled and EC2EBSVolumeEncrypted read an Auto Scaling
            # group's LaunchTemplate property only, not MixedInstancesPolicy.LaunchTemplate.
            reason = (
                "The group's launch template (in its MixedInstancesPolicy, which this rule "
                "does not read) requires IMDSv2 tokens with hop limit 1 and encrypts every "
                "EBS volume; tests/constructs/test_self_managed_nodes.py asserts both."
            )
            acknowledge(group, "AwsSolutions::AwsSolutions-EC26", reason)
            acknowledge(group, "NIST.800.53.R5::NIST.800.53.R5-EC2IMDSv2Enabled", reason)
        if self._props.notification_topic_arn is None:
            acknowledge(
                group,
                "AwsSolutions::AwsSolutions-AS3",
                "Node launches and terminations are Kubernetes node events and the group's "
                "CloudWatch metrics (collected); an SNS topic is optional "
                "(SelfManagedNodeGroupsProps.notification_topic_arn).",
            )

    def placement_for(self, name: str) -> ControllerPlacement:
        """Pin a controller's pods to group `name` (by its `eks-blueprint/node-group`
        label), tolerating the group's taints and installed after the group."""
        if name not in self.groups:
            raise ValueError(
                f"{self.node.path}: placement_for: no self-managed group {name!r}; groups: "
                f"{', '.join(self.groups) or 'none'}"
            )
        return ControllerPlacement(
            node_selector={NODE_GROUP_LABEL: name},
            tolerations=tuple(self._specs[name].taints),
            depends_on=[self.groups[name]],
        )
