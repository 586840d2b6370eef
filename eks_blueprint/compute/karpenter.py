"""Karpenter: the v1 controller (Helm), its IAM, the interruption queue, NodePools and
EC2NodeClasses.

- Controller identity: EKS Pod Identity (association for <namespace>/karpenter, role
  trusting pods.eks.amazonaws.com). Pod Identity does not work on Fargate (its agent is a
  DaemonSet), so a controller on Fargate gets IRSA instead: the native OIDC provider and a
  trust policy on exactly one service account, written as an Fn::Join string so that the
  issuer can be a condition key without CfnJson's Lambda (eks_blueprint.identity).
- Nodes: one node role with an EC2_LINUX access entry. Karpenter v1 creates the instance
  profile itself from the EC2NodeClass `role:` (hence the instance-profile permissions of
  the controller policy, scoped by tags to this cluster).
- Discovery: subnets by `karpenter.sh/discovery=<cluster>` (the network stack tags the
  private subnets); security group by `aws:eks:cluster-name=<cluster>`, the tag EKS puts on
  the cluster security group it creates. CloudFormation cannot tag a security group it did
  not create, and `aws:` tags cannot be set by anyone but AWS, so this selects exactly the
  cluster security group the managed nodes use too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import jsii
from aws_cdk import Aws, Duration, Token
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from ..addons.pod_identity import ensure_pod_identity_agent
from ..compliance import acknowledge, acknowledge_wildcard_resources
from ..identity import oidc_provider_for, trust_only_service_account
from .managed_node_groups import ControllerPlacement, block_devices, new_node_role
from .max_pods import FEWER_ENI_FAMILIES, SIZES_BELOW_MAX_PODS, SMALL_NODE_MAX_PODS

CHART_REPOSITORY = "oci://public.ecr.aws/karpenter/karpenter"
CRD_CHART_REPOSITORY = "oci://public.ecr.aws/karpenter/karpenter-crd"
SERVICE_ACCOUNT = "karpenter"

#: The controller's managed policies: (construct id suffix, what it grants). IAM refuses a
#: managed policy document over 6,144 characters (without whitespace; IAM and STS quotas
#: page), and the cluster name appears in about fifteen conditions: one policy would pass
#: the limit for cluster names of about 38 characters or more. Split by concern, as in
#: Karpenter's reference policy, each stays under it at the longest names EKS allows.
CONTROLLER_POLICIES: tuple[tuple[str, str], ...] = (
    ("NodeLifecycle", "launch, tag and terminate its instances"),
    ("IamIntegration", "pass the node role and manage its instance profiles"),
    ("Discovery", "read-only discovery, the interruption queue and the cluster endpoint"),
)

#: The events Karpenter handles: (construct id, event pattern).
INTERRUPTION_EVENTS: tuple[tuple[str, dict[str, Any]], ...] = (
    (
        "SpotInterruptionRule",
        {"source": ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"]},
    ),
    (
        "RebalanceRule",
        {"source": ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"]},
    ),
    (
        "InstanceStateChangeRule",
        {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]},
    ),
    (
        "ScheduledChangeRule",
        {
            "source": ["aws.health"],
            "detail-type": ["AWS Health Event"],
            "detail": {"eventTypeCategory": ["scheduledChange"]},
        },
    ),
)


@dataclass(frozen=True, kw_only=True)
class NodeClassSpec:
    """An EC2NodeClass (karpenter.k8s.aws/v1)."""

    name: str
    ami_alias: str
    """e.g. al2023@v20251112 or bottlerocket@v1.50.0."""
    volume_size_gib: int = 50
    """Root (AL2023) or data (Bottlerocket) volume, encrypted gp3."""


@dataclass(frozen=True, kw_only=True)
class NodePoolSpec:
    """A NodePool (karpenter.sh/v1)."""

    name: str
    node_class: str
    capacity_types: Sequence[str]
    architectures: Sequence[str]
    instance_categories: Sequence[str]
    min_instance_generation: int
    zones: Sequence[str]
    """Empty: every zone of the subnets."""
    cpu_limit: int
    memory_limit: str
    consolidation_policy: Literal["WhenEmpty", "WhenEmptyOrUnderutilized"]
    consolidate_after: str
    expire_after: str
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: Sequence[Mapping[str, str]] = ()
    """Kubernetes taints: key, optional value, effect."""
    weight: int | None = None


@dataclass(frozen=True, kw_only=True)
class KarpenterProps:
    """The settings of Karpenter."""

    cluster: eks.ICluster
    """The cluster; it needs a kubectl provider (ControlPlaneProps.kubectl_layer)."""
    cluster_name: str
    """The cluster name as a literal: IAM condition keys contain it and cannot be tokens."""
    kubernetes_version: str
    """The cluster's Kubernetes version, e.g. "1.34" (selects the Pod Identity agent's
    pinned version if Karpenter is the first to need the agent)."""
    version: str
    """Helm chart version, e.g. "1.8.1"."""
    placement: ControllerPlacement
    """Where the controller runs (ManagedNodeGroups.placement_for / FargateProfiles)."""
    node_classes: Sequence[NodeClassSpec]
    node_pools: Sequence[NodePoolSpec]
    namespace: str = "kube-system"
    """The controller's namespace. Default: kube-system."""
    replicas: int = 2
    """Controller replicas (leader election). Default: 2."""
    controller_cpu: str = "1"
    """CPU request and limit of each controller pod. Default: 1."""
    controller_memory: str = "1Gi"
    """Memory request and limit of each controller pod. Default: 1Gi."""
    instance_tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the instances and volumes Karpenter launches. Default: none."""
    prefix_delegation: bool = True
    """Whether the cluster's VPC CNI assigns /28 prefixes (the Addons construct's default).
    Then every EC2NodeClass sets the kubelet's maxPods to 110 and every NodePool keeps to
    instances that can hold 110 pods with prefixes (Nitro; not the nano to medium sizes;
    not g4ad); without it Karpenter counts ENI-based pods and prefixes add no density.
    Default: true."""


@jsii.implements(events.IRuleTarget)
class _QueueTarget:
    """Send matched events to a queue whose policy is written by hand (see below)."""

    def __init__(self, queue: sqs.IQueue) -> None:
        self._queue = queue

    def bind(self, rule: Any, id: str | None = None) -> events.RuleTargetConfig:
        return events.RuleTargetConfig(arn=self._queue.queue_arn)


class Karpenter(Construct):
    """Karpenter v1 with least-privilege IAM, an encrypted interruption queue fed by
    EventBridge, and NodePools/EC2NodeClasses applied after the chart."""

    def __init__(self, scope: Construct, id: str, *, props: KarpenterProps) -> None:
        super().__init__(scope, id)
        if Token.is_unresolved(props.cluster_name):
            raise ValueError("KarpenterProps.cluster_name must be a literal name, not a token")
        if not props.node_pools or not props.node_classes:
            raise ValueError("KarpenterProps: give at least one node_classes and node_pools entry")
        classes = {c.name for c in props.node_classes}
        unknown = [p.name for p in props.node_pools if p.node_class not in classes]
        if unknown:
            raise ValueError(f"KarpenterProps.node_pools {unknown} use a node_class not given")
        self.props = props
        self.node_role = new_node_role(
            self, "NodeRole", description=f"Nodes Karpenter launches in {props.cluster_name}"
        )
        # Karpenter's nodes join through an access entry (managed node groups get theirs
        # from EKS; Karpenter's instances are plain EC2 instances).
        self.node_access_entry = eks.CfnAccessEntry(
            self,
            "NodeAccessEntry",
            cluster_name=props.cluster.cluster_name,
            principal_arn=self.node_role.role_arn,
            type="EC2_LINUX",
        )
        self.queue = self._interruption_queue()
        self.controller_role = self._controller_role()
        self.chart = self._chart()
        self.manifests = self._manifests()

    # -- interruption handling -------------------------------------------------------------

    def _interruption_queue(self) -> sqs.Queue:
        queue = sqs.Queue(
            self,
            "InterruptionQueue",
            retention_period=Duration.seconds(300),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,  # Deny when aws:SecureTransport is false
        )
        rules = []
        for rule_id, pattern in INTERRUPTION_EVENTS:
            rule = events.Rule(
                self,
                rule_id,
                description=f"Karpenter interruption handling: {pattern['detail-type'][0]}",
                event_pattern=events.EventPattern(
                    source=pattern["source"],
                    detail_type=pattern["detail-type"],
                    detail=pattern.get("detail"),
                ),
            )
            rule.add_target(_QueueTarget(queue))
            rules.append(rule)
        queue.add_to_resource_policy(
            iam.PolicyStatement(
                sid="EventBridgeSendsInterruptionEvents",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[queue.queue_arn],
                conditions={"ArnEquals": {"aws:SourceArn": [r.rule_arn for r in rules]}},
            )
        )
        acknowledge(
            queue,
            "AwsSolutions::AwsSolutions-SQS3",
            "The interruption queue holds short-lived EventBridge notifications that Karpenter "
            "deletes after handling; a message it cannot handle is stale after its 300 s "
            "retention, so a dead-letter queue would only collect expired events.",
        )
        return queue

    # -- controller identity and policy ----------------------------------------------------

    def _controller_role(self) -> iam.Role:
        props = self.props
        provider: iam.IOpenIdConnectProvider | None = None
        if props.placement.on_fargate:
            # Pod Identity's agent is a DaemonSet, which Fargate cannot run: IRSA instead,
            # through the native OIDC provider and a trust policy written without CfnJson.
            provider = oidc_provider_for(props.cluster)
            principal: iam.IPrincipal = iam.OpenIdConnectPrincipal(provider)
        else:
            principal = iam.ServicePrincipal("pods.eks.amazonaws.com").with_session_tags()
        role = iam.Role(
            self,
            "ControllerRole",
            assumed_by=principal,
            description=f"Karpenter controller of {props.cluster_name}",
        )
        if provider is not None:
            trust_only_service_account(
                role, provider, namespace=props.namespace, service_account=SERVICE_ACCOUNT
            )
        groups = self._controller_statements()
        self.controller_policies: dict[str, iam.ManagedPolicy] = {}
        for suffix, what in CONTROLLER_POLICIES:
            policy = iam.ManagedPolicy(
                self,
                f"ControllerPolicy{suffix}",
                description=f"Karpenter v1 controller of {props.cluster_name}: {what}",
                statements=groups[suffix],
                roles=[role],
            )
            self._acknowledge_policy(policy)
            self.controller_policies[suffix] = policy
        if not props.placement.on_fargate:
            agent = ensure_pod_identity_agent(props.cluster, props.kubernetes_version)
            association = eks.CfnPodIdentityAssociation(
                self,
                "PodIdentityAssociation",
                cluster_name=props.cluster.cluster_name,
                namespace=props.namespace,
                service_account=SERVICE_ACCOUNT,
                role_arn=role.role_arn,
            )
            association.node.add_dependency(agent)
            self.pod_identity_association: eks.CfnPodIdentityAssociation | None = association
        else:
            self.pod_identity_association = None
        return role

    def _controller_statements(self) -> dict[str, list[iam.PolicyStatement]]:
        """The controller's statements by policy (keys of CONTROLLER_POLICIES), after
        Karpenter v1's reference CloudFormation policy."""
        name = self.props.cluster_name
        region, account, partition = Aws.REGION, Aws.ACCOUNT_ID, Aws.PARTITION

        def ec2(resource: str) -> str:
            return f"arn:{partition}:ec2:{region}:*:{resource}"

        owned = {f"aws:ResourceTag/kubernetes.io/cluster/{name}": "owned"}
        request_owned = {
            f"aws:RequestTag/kubernetes.io/cluster/{name}": "owned",
            "aws:RequestTag/eks:eks-cluster-name": name,
        }
        tagged_on_create = [
            ec2(r)
            for r in (
                "fleet/*",
                "instance/*",
                "volume/*",
                "network-interface/*",
                "launch-template/*",
                "spot-instances-request/*",
            )
        ]
        # Karpenter launches into the On-Demand Capacity Reservations a NodePool selects;
        # as in the reference policy, it does not tag them.
        launched = [*tagged_on_create, ec2("capacity-reservation/*")]
        instance_profiles = f"arn:{partition}:iam::{account}:instance-profile/*"
        profile_owned = {**owned, "aws:ResourceTag/topology.kubernetes.io/region": region}
        stmt = iam.PolicyStatement
        node_lifecycle = [
            stmt(
                sid="AllowScopedEC2InstanceAccessActions",
                actions=["ec2:RunInstances", "ec2:CreateFleet"],
                resources=[
                    f"arn:{partition}:ec2:{region}::image/*",
                    f"arn:{partition}:ec2:{region}::snapshot/*",
                    ec2("security-group/*"),
                    ec2("subnet/*"),
                    ec2("capacity-reservation/*"),
                ],
            ),
            stmt(
                sid="AllowScopedEC2LaunchTemplateAccessActions",
                actions=["ec2:RunInstances", "ec2:CreateFleet"],
                resources=[ec2("launch-template/*")],
                conditions={
                    "StringEquals": owned,
                    "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
                },
            ),
            stmt(
                sid="AllowScopedEC2InstanceActionsWithTags",
                actions=["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
                resources=launched,
                conditions={
                    "StringEquals": request_owned,
                    "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
                },
            ),
            stmt(
                sid="AllowScopedResourceCreationTagging",
                actions=["ec2:CreateTags"],
                resources=tagged_on_create,
                conditions={
                    "StringEquals": {
                        **request_owned,
                        "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
                    },
                    "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
                },
            ),
            stmt(
                sid="AllowScopedResourceTagging",
                actions=["ec2:CreateTags"],
                resources=[ec2("instance/*")],
                conditions={
                    "StringEquals": owned,
                    "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
                    "StringEqualsIfExists": {"aws:RequestTag/eks:eks-cluster-name": name},
                    "ForAllValues:StringEquals": {
                        "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]
                    },
                },
            ),
            stmt(
                sid="AllowScopedDeletion",
                actions=["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
                resources=[ec2("instance/*"), ec2("launch-template/*")],
                conditions={
                    "StringEquals": owned,
                    "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
                },
            ),
        ]
        discovery = [
            stmt(
                sid="AllowRegionalReadActions",
                actions=[
                    "ec2:DescribeCapacityReservations",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstances",
                    "ec2:DescribeInstanceTypeOfferings",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplates",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeSpotPriceHistory",
                    "ec2:DescribeSubnets",
                ],
                resources=["*"],
                conditions={"StringEquals": {"aws:RequestedRegion": region}},
            ),
            stmt(
                sid="AllowSSMReadActions",
                actions=["ssm:GetParameter"],
                resources=[f"arn:{partition}:ssm:{region}::parameter/aws/service/*"],
            ),
            stmt(sid="AllowPricingReadActions", actions=["pricing:GetProducts"], resources=["*"]),
            stmt(
                sid="AllowInterruptionQueueActions",
                actions=["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
                resources=[self.queue.queue_arn],
            ),
            stmt(
                sid="AllowAPIServerEndpointDiscovery",
                actions=["eks:DescribeCluster"],
                resources=[self.props.cluster.cluster_arn],
            ),
        ]
        iam_integration = [
            stmt(
                sid="AllowPassingInstanceRole",
                actions=["iam:PassRole"],
                resources=[self.node_role.role_arn],
                # Both service names, as in Karpenter's reference policy: CDK treats ec2 as a
                # global principal, and the China partition may report either.
                conditions={
                    "StringEquals": {
                        "iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"]
                    }
                },
            ),
            stmt(
                sid="AllowScopedInstanceProfileCreationActions",
                actions=["iam:CreateInstanceProfile"],
                resources=[instance_profiles],
                conditions={
                    "StringEquals": {
                        **request_owned,
                        "aws:RequestTag/topology.kubernetes.io/region": region,
                    },
                    "StringLike": {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"},
                },
            ),
            stmt(
                sid="AllowScopedInstanceProfileTagActions",
                actions=["iam:TagInstanceProfile"],
                resources=[instance_profiles],
                conditions={
                    "StringEquals": {
                        **profile_owned,
                        **request_owned,
                        "aws:RequestTag/topology.kubernetes.io/region": region,
                    },
                    "StringLike": {
                        "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*",
                        "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*",
                    },
                },
            ),
            stmt(
                sid="AllowScopedInstanceProfileActions",
                actions=[
                    "iam:AddRoleToInstanceProfile",
                    "iam:RemoveRoleFromInstanceProfile",
                    "iam:DeleteInstanceProfile",
                ],
                resources=[instance_profiles],
                conditions={
                    "StringEquals": profile_owned,
                    "StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"},
                },
            ),
            stmt(
                sid="AllowInstanceProfileReadActions",
                actions=["iam:GetInstanceProfile"],
                resources=[instance_profiles],
            ),
            # As in the reference policy: ListInstanceProfiles (called with a path prefix by
            # the EC2NodeClass finalizer and garbage collection) takes no resource ARN.
            stmt(
                sid="AllowUnscopedInstanceProfileListAction",
                actions=["iam:ListInstanceProfiles"],
                resources=["*"],
            ),
        ]
        return {
            "NodeLifecycle": node_lifecycle,
            "IamIntegration": iam_integration,
            "Discovery": discovery,
        }

    def _acknowledge_policy(self, policy: iam.ManagedPolicy) -> None:
        """Each wildcard of the controller policy, with why Karpenter needs it."""
        scoped = (
            "Karpenter names launched resources at run time; the statement is limited by "
            f"the kubernetes.io/cluster/{self.props.cluster_name}=owned and "
            "karpenter.sh/nodepool tag conditions (Karpenter v1 reference policy)."
        )
        reasons = {
            "arn:<AWS::Partition>:ec2:<AWS::Region>::image/*": "Karpenter launches "
            "whichever AMI the EC2NodeClass alias resolves to; AMIs are public and read only.",
            "arn:<AWS::Partition>:ec2:<AWS::Region>::snapshot/*": "RunInstances "
            "needs the AMI's snapshots, which are chosen by the AMI alias at run time.",
            "arn:<AWS::Partition>:ec2:<AWS::Region>:*:security-group/*": "Security "
            "groups are chosen by the EC2NodeClass selector at run time; using one grants "
            "nothing beyond attaching it to Karpenter's own tagged instances.",
            "arn:<AWS::Partition>:ec2:<AWS::Region>:*:subnet/*": "Subnets are chosen "
            "by the karpenter.sh/discovery tag at run time.",
            "arn:<AWS::Partition>:ec2:<AWS::Region>:*:capacity-reservation/*": "Capacity "
            "reservations are chosen by NodePool requirements at run time.",
            "arn:<AWS::Partition>:ec2:<AWS::Region>:*:launch-template/*": scoped,
            "arn:<AWS::Partition>:ec2:<AWS::Region>:*:fleet/*": scoped,
            "arn:<AWS::Partition>:ec2:<AWS::Region>:*:instance/*": scoped,
            "arn:<AWS::Partition>:ec2:<AWS::Region>:*:volume/*": scoped,
            "arn:<AWS::Partition>:ec2:<AWS::Region>:*:network-interface/*": scoped,
            "arn:<AWS::Partition>:ec2:<AWS::Region>:*:spot-instances-request/*": scoped,
            "*": "EC2 Describe*, pricing:GetProducts and iam:ListInstanceProfiles (listed by "
            "path prefix) have no resource-level permissions; the Describe calls are limited "
            "to this region by aws:RequestedRegion.",
            "arn:<AWS::Partition>:ssm:<AWS::Region>::parameter/aws/service/*": "Read "
            "only of AWS's public parameters that map AMI aliases to AMI ids.",
            "arn:<AWS::Partition>:iam::<AWS::AccountId>:instance-profile/*": "Karpenter "
            "v1 creates the instance profile of each EC2NodeClass itself; writes are limited by "
            "the cluster, region and karpenter.k8s.aws/ec2nodeclass tag conditions, reads are "
            "read only.",
        }
        acknowledge_wildcard_resources(policy, reasons.get, owner="Karpenter controller policy")

    # -- Helm chart and Kubernetes objects -------------------------------------------------

    def chart_values(self) -> dict[str, Any]:
        """The Helm values of the controller."""
        props = self.props
        resources = {"cpu": props.controller_cpu, "memory": props.controller_memory}
        values: dict[str, Any] = {
            "settings": {
                "clusterName": props.cluster.cluster_name,
                "interruptionQueue": self.queue.queue_name,
            },
            "replicas": props.replicas,
            "serviceAccount": {"name": SERVICE_ACCOUNT},
            # Karpenter needs no cluster DNS (it calls AWS and the API server by IP), so it
            # can start before CoreDNS has anywhere to run.
            "dnsPolicy": "Default",
            "controller": {"resources": {"requests": resources, "limits": resources}},
        }
        if props.placement.on_fargate:
            values["serviceAccount"]["annotations"] = {
                "eks.amazonaws.com/role-arn": self.controller_role.role_arn
            }
        if props.placement.node_selector:
            values["nodeSelector"] = dict(props.placement.node_selector)
        if props.placement.tolerations:
            values["tolerations"] = [dict(t) for t in props.placement.tolerations]
        return values

    def _chart(self) -> eks.HelmChart:
        props = self.props
        # The CRDs come from their own chart: Helm installs a chart's crds/ directory only on
        # the first install, so raising `version` would never update NodePool/EC2NodeClass
        # schemas. karpenter-crd keeps them as templates, which upgrades do update.
        self.crd_chart = eks.HelmChart(
            self,
            "CrdChart",
            cluster=props.cluster,
            chart="karpenter-crd",
            release="karpenter-crd",
            repository=CRD_CHART_REPOSITORY,
            version=props.version,
            namespace=props.namespace,
            create_namespace=props.namespace != "kube-system",
            wait=True,
        )
        chart = eks.HelmChart(
            self,
            "Chart",
            cluster=props.cluster,
            chart="karpenter",
            release="karpenter",
            repository=CHART_REPOSITORY,
            version=props.version,
            namespace=props.namespace,
            create_namespace=props.namespace != "kube-system",
            values=self.chart_values(),
            skip_crds=True,
            wait=True,
            timeout=Duration.minutes(10),
        )
        chart.node.add_dependency(self.crd_chart)
        # Without its policy the controller crash-loops on start; and on delete the
        # EC2NodeClass finalizer still needs it to terminate instances and remove profiles.
        for policy in self.controller_policies.values():
            chart.node.add_dependency(policy)
        # The controller must have somewhere to run, and its identity, before it starts.
        for dependency in props.placement.depends_on:
            chart.node.add_dependency(dependency)
        if self.pod_identity_association is not None:
            chart.node.add_dependency(self.pod_identity_association)
        chart.node.add_dependency(self.node_access_entry)
        return chart

    def node_class_manifest(self, spec: NodeClassSpec) -> dict[str, Any]:
        family: Literal["al2023", "bottlerocket"] = (
            "bottlerocket" if spec.ami_alias.startswith("bottlerocket") else "al2023"
        )
        name = self.props.cluster_name
        return {
            "apiVersion": "karpenter.k8s.aws/v1",
            "kind": "EC2NodeClass",
            "metadata": {"name": spec.name},
            "spec": {
                "role": self.node_role.role_name,
                "amiSelectorTerms": [{"alias": spec.ami_alias}],
                "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": name}}],
                "securityGroupSelectorTerms": [{"tags": {"aws:eks:cluster-name": name}}],
                **(
                    {"kubelet": {"maxPods": SMALL_NODE_MAX_PODS}}
                    if self.props.prefix_delegation
                    else {}
                ),
                "metadataOptions": {
                    "httpEndpoint": "enabled",
                    "httpProtocolIPv6": "disabled",
                    "httpPutResponseHopLimit": 1,
                    "httpTokens": "required",
                },
                "blockDeviceMappings": [
                    {
                        "deviceName": device,
                        "ebs": {
                            "volumeSize": f"{size}Gi",
                            "volumeType": "gp3",
                            "encrypted": True,
                            "deleteOnTermination": True,
                        },
                    }
                    for device, size in block_devices(family, spec.volume_size_gib)
                ],
                "tags": dict(self.props.instance_tags),
            },
        }

    def node_pool_manifest(self, spec: NodePoolSpec) -> dict[str, Any]:
        requirements: list[dict[str, Any]] = [
            {"key": "kubernetes.io/arch", "operator": "In", "values": list(spec.architectures)},
            {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
            {
                "key": "karpenter.sh/capacity-type",
                "operator": "In",
                "values": list(spec.capacity_types),
            },
            {
                "key": "karpenter.k8s.aws/instance-category",
                "operator": "In",
                "values": list(spec.instance_categories),
            },
            {
                "key": "karpenter.k8s.aws/instance-generation",
                "operator": "Gt",
                "values": [str(spec.min_instance_generation - 1)],
            },
        ]
        if self.props.prefix_delegation:
            # The EC2NodeClass promises 110 pods: only instances with the addresses for them
            # (prefixes exist on Nitro only; small sizes and g4ad have too few ENIs).
            requirements += [
                {
                    "key": "karpenter.k8s.aws/instance-hypervisor",
                    "operator": "In",
                    "values": ["nitro"],
                },
                {
                    "key": "karpenter.k8s.aws/instance-size",
                    "operator": "NotIn",
                    "values": list(SIZES_BELOW_MAX_PODS),
                },
                {
                    "key": "karpenter.k8s.aws/instance-family",
                    "operator": "NotIn",
                    "values": sorted(FEWER_ENI_FAMILIES),
                },
            ]
        if spec.zones:
            requirements.append(
                {"key": "topology.kubernetes.io/zone", "operator": "In", "values": list(spec.zones)}
            )
        template_spec: dict[str, Any] = {
            "nodeClassRef": {
                "group": "karpenter.k8s.aws",
                "kind": "EC2NodeClass",
                "name": spec.node_class,
            },
            "requirements": requirements,
            "expireAfter": spec.expire_after,
        }
        if spec.taints:
            template_spec["taints"] = [dict(t) for t in spec.taints]
        template: dict[str, Any] = {"spec": template_spec}
        if spec.labels:
            template["metadata"] = {"labels": dict(spec.labels)}
        pool_spec: dict[str, Any] = {
            "template": template,
            "limits": {"cpu": str(spec.cpu_limit), "memory": spec.memory_limit},
            "disruption": {
                "consolidationPolicy": spec.consolidation_policy,
                "consolidateAfter": spec.consolidate_after,
            },
        }
        if spec.weight is not None:
            pool_spec["weight"] = spec.weight
        return {
            "apiVersion": "karpenter.sh/v1",
            "kind": "NodePool",
            "metadata": {"name": spec.name},
            "spec": pool_spec,
        }

    def _manifests(self) -> dict[str, eks.KubernetesManifest]:
        """One manifest resource per object, id from its name, applied after the chart
        (which installs the CRDs)."""
        manifests: dict[str, eks.KubernetesManifest] = {}
        node_classes: dict[str, eks.KubernetesManifest] = {}
        for node_class in self.props.node_classes:
            manifest = self._manifest(
                f"NodeClass{_pascal(node_class.name)}", self.node_class_manifest(node_class)
            )
            node_classes[node_class.name] = manifest
            manifests[f"EC2NodeClass/{node_class.name}"] = manifest
        for pool in self.props.node_pools:
            manifest = self._manifest(
                f"NodePool{_pascal(pool.name)}", self.node_pool_manifest(pool)
            )
            manifest.node.add_dependency(node_classes[pool.node_class])
            manifests[f"NodePool/{pool.name}"] = manifest
        return manifests

    def _manifest(self, id: str, body: dict[str, Any]) -> eks.KubernetesManifest:
        manifest = eks.KubernetesManifest(
            self, id, cluster=self.props.cluster, manifest=[body], overwrite=True
        )
        manifest.node.add_dependency(self.chart)
        return manifest


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


__all__ = [
    "CHART_REPOSITORY",
    "INTERRUPTION_EVENTS",
    "Karpenter",
    "KarpenterProps",
    "NodeClassSpec",
    "NodePoolSpec",
]
