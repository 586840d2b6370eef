"""ClusterAutoscaler: the Kubernetes Cluster Autoscaler for managed node groups (Helm).

For clusters whose capacity is EKS managed node groups (or self-managed Auto Scaling groups)
rather than Karpenter: it raises a group's desired size when pods are pending and lowers it
when nodes stay under-used, within each group's min and max.

- Discovery: `--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,
  k8s.io/cluster-autoscaler/<cluster>` (the chart's autoDiscovery.tags). EKS tags the Auto
  Scaling group of every managed node group with both itself (EKS User Guide, "Simplify node
  lifecycle with managed node groups": "Amazon EKS tags managed node group resources so that
  they are configured to use the Kubernetes Cluster Autoscaler"); AWS::EKS::Nodegroup's own
  `Tags` are not copied to the group (they tag the node group resource only), so nothing is
  tagged here. A group with min == max is discovered but never resized.
- Identity: EKS Pod Identity for kube-system/cluster-autoscaler, the role's trust limited by
  session tags to this cluster, namespace and service account.
- Permissions: the "Full Cluster Autoscaler Features Policy" of the autoscaler's AWS README
  (cluster-autoscaler/cloudprovider/aws/README.md at cluster-autoscaler-1.35.2), with the two
  write actions limited to Auto Scaling groups of this account and region tagged
  `k8s.io/cluster-autoscaler/<cluster>: owned` (the condition the EKS User Guide's former
  Cluster Autoscaler policy example used; the value `owned` is what EKS sets on managed node
  group ASGs by widespread report, not stated in the current guide) and
  eks:DescribeNodegroup limited to this cluster's node groups.
- Version: the image tag follows the cluster's Kubernetes minor
  (eks_blueprint/compute/autoscaling.py CLUSTER_AUTOSCALER_IMAGES), so an upgrade of
  `kubernetes_version` moves the autoscaler with the control plane in the same deploy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from aws_cdk import Aws, Duration, Stack, Token
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from .. import validation as v
from ..addons.pod_identity import ensure_pod_identity_agent, pinned_pod_identity_principal
from ..addons.versions import check_kubernetes_version
from ..baseline import NODE_GROUP_LABEL
from ..compliance import acknowledge
from ..kubernetes import Layer, can_deliver, install_chart
from ..validate_names import PropError, check_field_types, check_prop
from ..wiring import capacity_of
from . import autoscaling as a
from .managed_node_groups import ManagedNodeGroups
from .placement import ControllerPlacement

#: Read-only actions of the README's policy: none has resource-level permissions (Service
#: Authorization Reference: the Describe* and GetInstanceTypesFromInstanceRequirements
#: actions list no resource type), so IAM requires Resource "*".
READ_ACTIONS: tuple[str, ...] = (
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:DescribeLaunchConfigurations",
    "autoscaling:DescribeScalingActivities",
    "ec2:DescribeImages",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:GetInstanceTypesFromInstanceRequirements",
)
#: The actions that change capacity: only on this cluster's tagged groups.
WRITE_ACTIONS: tuple[str, ...] = (
    "autoscaling:SetDesiredCapacity",
    "autoscaling:TerminateInstanceInAutoScalingGroup",
)


@dataclass(frozen=True, kw_only=True)
class ClusterAutoscalerProps:
    """The settings of ClusterAutoscaler. Defaults come from compute/autoscaling.py."""

    cluster: eks.ICluster | eks.Cluster
    """The cluster; the chart is an item of its platform layer, so it must take Kubernetes objects:
    a ControlPlane's Kubernetes layers (the default) or an eks.Cluster with aws_eks_v2's kubectl
    provider."""
    cluster_name: str
    """The cluster's name as a literal: the discovery tags and the policy's condition key
    contain it, and IAM condition keys cannot be tokens."""
    kubernetes_version: str
    """The cluster's Kubernetes version, e.g. "1.34": selects the image (same minor)."""
    placement: ControllerPlacement | None = None
    """Where the autoscaler runs (ManagedNodeGroups.placement_for). Default: the first node
    group of the cluster's first ManagedNodeGroups. Not Fargate: Pod Identity needs its
    agent's DaemonSet, which Fargate does not run."""
    replicas: int = a.DEFAULT_REPLICAS
    """1 to 5 replicas with leader election and a PodDisruptionBudget. Default: 2."""
    expander: str = a.DEFAULT_EXPANDER
    """Which group grows when several could: least-waste, most-pods, random or least-nodes.
    Default: least-waste."""
    balance_similar_node_groups: bool = True
    """Keep similar groups (same instance types, labels and taints, e.g. one per zone) at
    similar sizes. Default: on, as the EKS guide advises for per-zone groups."""
    skip_nodes_with_system_pods: bool = False
    """Never remove nodes running kube-system pods (other than DaemonSets). Default: off,
    so the replicated add-on Deployments (with their PodDisruptionBudgets) do not pin nodes
    forever."""
    skip_nodes_with_local_storage: bool = False
    """Never remove nodes with pods using emptyDir or hostPath. Default: off (emptyDir is
    scratch space; data belongs on volumes)."""
    scale_down_enabled: bool = True
    """Remove under-used nodes. Default: on."""
    scale_down_utilization_threshold: float = a.DEFAULT_SCALE_DOWN_UTILIZATION
    """A node whose requests are below this share of its allocatable CPU and memory may be
    removed, above 0 and at most 1. Default: 0.5."""
    scale_down_unneeded_time: str = a.DEFAULT_SCALE_DOWN_UNNEEDED
    """How long a node must be unneeded before removal, e.g. 10m. Default: 10m."""
    cpu: str = a.DEFAULT_CPU
    """CPU request of each replica. Default: 100m."""
    memory: str = a.DEFAULT_MEMORY
    """Memory request and limit of each replica. Default: 600Mi."""
    image_tag: str | None = None
    """The image tag, of the cluster's minor. Default: the table's tag for
    kubernetes_version."""
    chart_version: str = a.CHART_VERSION
    """The cluster-autoscaler chart version. Default: 9.59.0."""


class ClusterAutoscaler(Construct):
    """The Cluster Autoscaler chart in kube-system, with its Pod Identity role and a policy
    that may resize only this cluster's tagged Auto Scaling groups."""

    def __init__(self, scope: Construct, id: str, *, props: ClusterAutoscalerProps) -> None:
        super().__init__(scope, id)
        check_field_types(self.node.path, props, "ClusterAutoscalerProps")
        self.props = props
        # jsii's Python typing omits a member of ICluster on Cluster; it is one at runtime.
        self.cluster = cast(eks.ICluster, props.cluster)
        self.image_tag = self._check_props()
        self.placement = props.placement or self._default_placement()
        if self.placement.on_fargate:
            raise PropError(
                self.node.path,
                "ClusterAutoscalerProps.placement",
                "Fargate",
                "the autoscaler uses Pod Identity, whose agent does not run on Fargate; "
                "place it on a node group (ManagedNodeGroups.placement_for)",
            )
        self.policy = self._policy()
        self.role = iam.Role(
            self,
            "Role",
            description=f"Cluster Autoscaler of {props.cluster_name}",
            assumed_by=pinned_pod_identity_principal(
                props.cluster_name, a.NAMESPACE, a.SERVICE_ACCOUNT
            ),
            managed_policies=[self.policy],
        )
        agent = ensure_pod_identity_agent(self.cluster, props.kubernetes_version)
        self.association = eks.CfnPodIdentityAssociation(
            self,
            "PodIdentityAssociation",
            cluster_name=self.cluster.cluster_name,
            namespace=a.NAMESPACE,
            service_account=a.SERVICE_ACCOUNT,
            role_arn=self.role.role_arn,
        )
        self.association.node.add_dependency(agent)
        self.chart = install_chart(
            self,
            "Chart",
            self.cluster,
            layer=Layer.PLATFORM,
            chart=a.CHART_NAME,
            repository=a.CHART_REPOSITORY,
            version=props.chart_version,
            release=a.CHART_NAME,
            namespace=a.NAMESPACE,
            create_namespace=False,
            values=self.chart_values(),
            wait=True,
            timeout=Duration.minutes(10),
        )
        # Credentials and permissions before the first pod starts; somewhere to run first.
        self.chart.node.add_dependency(self.association)
        self.chart.node.add_dependency(self.policy)
        for dependency in self.placement.depends_on:
            self.chart.node.add_dependency(dependency)

    # -- checks ---------------------------------------------------------------------------

    def _check_props(self) -> str:
        """Every prop (PropError naming it); the image tag to deploy."""
        props, path = self.props, self.node.path
        if Token.is_unresolved(props.cluster_name):
            raise PropError(
                path,
                "ClusterAutoscalerProps.cluster_name",
                props.cluster_name,
                "give the cluster's name as a literal string: the discovery tags and the IAM "
                "condition key contain it and cannot be tokens",
            )
        name = "ClusterAutoscalerProps"
        version = props.kubernetes_version
        check_prop(path, f"{name}.kubernetes_version", version, check_kubernetes_version)
        check_prop(path, f"{name}.kubernetes_version", version, a.image_tag)
        tag = props.image_tag or a.image_tag(version)
        check_prop(path, f"{name}.image_tag", tag, a.check_image_tag, version)
        check_prop(path, f"{name}.replicas", props.replicas, a.check_replicas)
        check_prop(path, f"{name}.expander", props.expander, a.check_expander)
        check_prop(
            path,
            f"{name}.scale_down_utilization_threshold",
            props.scale_down_utilization_threshold,
            a.check_utilization,
        )
        check_prop(
            path,
            f"{name}.scale_down_unneeded_time",
            props.scale_down_unneeded_time,
            a.check_duration,
        )
        for prop, value in (("cpu", props.cpu), ("memory", props.memory)):
            try:
                (v.check_memory if prop == "memory" else v.check_quantity)(value, f"{name}.{prop}")
            except v.Invalid as error:
                raise PropError(path, error.what, value, error.fix) from None
        if not can_deliver(self.cluster):
            raise PropError(
                path,
                f"{name}.cluster",
                self.cluster.node.path,
                "the cluster has no kubectl provider, which installs the autoscaler's Helm "
                "chart; create it with ControlPlaneProps(kubectl_provider=True) (the default)",
            )
        return tag

    def _default_placement(self) -> ControllerPlacement:
        """The first node group of the cluster's first ManagedNodeGroups."""
        for hosts in capacity_of(self.cluster):
            if isinstance(hosts, ManagedNodeGroups) and hosts.nodegroups:
                return hosts.placement_for(next(iter(hosts.nodegroups)))
        raise PropError(
            self.node.path,
            "ClusterAutoscalerProps.placement",
            None,
            "the cluster has no managed node group yet, and the autoscaler scales node "
            "groups: add one first (ControlPlane.add_node_group or ManagedNodeGroups), or "
            "pass placement=",
        )

    # -- IAM ------------------------------------------------------------------------------

    def _policy(self) -> iam.ManagedPolicy:
        """The README's policy, its writes scoped by this cluster's owner tag."""
        stack = Stack.of(self)
        name = self.props.cluster_name
        groups = (
            f"arn:{Aws.PARTITION}:autoscaling:{stack.region}:{stack.account}:autoScalingGroup:"
            "*:autoScalingGroupName/*"
        )
        nodegroups = f"arn:{Aws.PARTITION}:eks:{stack.region}:{stack.account}:nodegroup/{name}/*/*"
        policy = iam.ManagedPolicy(
            self,
            "Policy",
            description=f"Cluster Autoscaler of {name}: read groups, resize its own",
            statements=[
                iam.PolicyStatement(sid="Describe", actions=list(READ_ACTIONS), resources=["*"]),
                iam.PolicyStatement(
                    sid="ResizeOwnGroups",
                    actions=list(WRITE_ACTIONS),
                    resources=[groups],
                    conditions={"StringEquals": {f"aws:ResourceTag/{a.owner_tag(name)}": "owned"}},
                ),
                # Labels and taints of a managed node group at 0 nodes (README "IAM Policy").
                iam.PolicyStatement(
                    sid="DescribeOwnNodegroups",
                    actions=["eks:DescribeNodegroup"],
                    resources=[nodegroups],
                ),
            ],
        )
        acknowledge(
            policy,
            "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
            "The Describe* actions and ec2:GetInstanceTypesFromInstanceRequirements of the "
            "Cluster Autoscaler's documented AWS policy have no resource-level permissions; "
            "they only read. The actions that change capacity are limited separately to "
            f"groups tagged {a.owner_tag(name)}=owned.",
        )
        acknowledge(
            policy,
            "AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:autoscaling:"
            f"{stack.region}:{stack.account}:autoScalingGroup:*:autoScalingGroupName/*]",
            "Node group Auto Scaling groups are named by EKS at run time (eks-<group>-<id>); "
            "SetDesiredCapacity and TerminateInstanceInAutoScalingGroup apply only to groups "
            f"carrying the tag {a.owner_tag(name)}=owned (aws:ResourceTag condition), which "
            "EKS puts on this cluster's managed node groups.",
        )
        acknowledge(
            policy,
            "AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:eks:"
            f"{stack.region}:{stack.account}:nodegroup/{name}/*/*]",
            "eks:DescribeNodegroup on this cluster's node groups only; their names and ids "
            "are generated at deploy time.",
        )
        return policy

    # -- Helm values ------------------------------------------------------------------------

    def chart_values(self) -> dict[str, Any]:
        """The Helm values of the cluster-autoscaler chart (keys of its values.yaml at
        9.59.0)."""
        props = self.props
        values: dict[str, Any] = {
            "cloudProvider": "aws",
            # Pods cannot read the region from IMDS (hop limit 1): set it.
            "awsRegion": Stack.of(self).region,
            "autoDiscovery": {"clusterName": props.cluster_name},
            "image": {"repository": a.IMAGE_REPOSITORY, "tag": self.image_tag},
            "fullnameOverride": a.CHART_NAME,
            "rbac": {"serviceAccount": {"create": True, "name": a.SERVICE_ACCOUNT}},
            "replicaCount": props.replicas,
            "podDisruptionBudget": {"maxUnavailable": 1},
            # Among the last pods evicted when a node runs short: it is what adds nodes.
            "priorityClassName": "system-cluster-critical",
            # The node's resolver (VPC DNS), not CoreDNS: the autoscaler must be able to
            # reach AWS APIs when CoreDNS itself is pending for lack of nodes.
            "dnsPolicy": "Default",
            "extraArgs": {
                "balance-similar-node-groups": props.balance_similar_node_groups,
                "expander": props.expander,
                "skip-nodes-with-system-pods": props.skip_nodes_with_system_pods,
                "skip-nodes-with-local-storage": props.skip_nodes_with_local_storage,
                "scale-down-enabled": props.scale_down_enabled,
                "scale-down-utilization-threshold": props.scale_down_utilization_threshold,
                "scale-down-unneeded-time": props.scale_down_unneeded_time,
            },
            "resources": {
                "requests": {"cpu": props.cpu, "memory": props.memory},
                "limits": {"memory": props.memory},
            },
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": 65534,
                "runAsGroup": 65534,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containerSecurityContext": {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
            },
        }
        if props.balance_similar_node_groups:
            # Every node group labels its nodes with its own name (NODE_GROUP_LABEL), and
            # the autoscaler only balances groups whose labels are equal apart from its
            # ignored set (processors/nodegroupset/aws_nodegroups.go: eks.amazonaws.com/
            # nodegroup, zones...): without this flag no two groups would ever be similar.
            values["extraArgs"]["balancing-ignore-label"] = NODE_GROUP_LABEL
        if self.placement.node_selector:
            values["nodeSelector"] = dict(self.placement.node_selector)
        if self.placement.tolerations:
            values["tolerations"] = self.placement.toleration_values()
        return values


__all__ = ["READ_ACTIONS", "WRITE_ACTIONS", "ClusterAutoscaler", "ClusterAutoscalerProps"]
