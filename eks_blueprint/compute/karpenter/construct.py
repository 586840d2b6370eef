"""The Karpenter construct: the v1 controller (Helm), its IAM, the interruption queue,
NodePools and EC2NodeClasses.

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
from typing import Any, cast

from aws_cdk import Duration, Stack, Token
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from ... import validation as v
from ...addons.pod_identity import ensure_pod_identity_agent
from ...identity import oidc_provider_for, trust_only_service_account
from ...ids import pascal_id
from ...kubernetes import Applied, Layer, apply_manifest, can_deliver, install_chart
from ...wiring import capacity_of, register_capacity
from .. import defaults
from .._synth_checks import SynthCheck
from ..fargate import FargateProfiles
from ..managed_node_groups import ManagedNodeGroups, new_node_role
from ..max_pods import node_class_max_pods
from ..placement import ControllerPlacement
from .interruption import interruption_queue
from .manifests import ami_family, node_class_manifest, node_pool_manifest
from .policy import CONTROLLER_POLICIES, acknowledge_controller_policy, controller_statements
from .specs import GPU_INSTANCE_CATEGORIES, NodeClassSpec, NodePoolSpec

CHART_REPOSITORY = "oci://public.ecr.aws/karpenter/karpenter"
CRD_CHART_REPOSITORY = "oci://public.ecr.aws/karpenter/karpenter-crd"
SERVICE_ACCOUNT = "karpenter"


@dataclass(frozen=True, kw_only=True)
class KarpenterProps:
    """The settings of Karpenter."""

    cluster: eks.ICluster | eks.Cluster
    """The cluster; Karpenter's charts, EC2NodeClasses and NodePools are items of its capacity
    layer, so it must take Kubernetes objects: a ControlPlane's Kubernetes layers (the default) or
    an eks.Cluster with aws_eks_v2's kubectl provider."""
    cluster_name: str
    """The cluster name as a literal: IAM condition keys contain it and cannot be tokens."""
    kubernetes_version: str
    """The cluster's Kubernetes version, e.g. "1.34" (selects the Pod Identity agent's
    pinned version if Karpenter is the first to need the agent)."""
    version: str = defaults.KARPENTER_VERSION
    """Helm chart version of the controller and its CRDs. Default: 1.8.1."""
    placement: ControllerPlacement | None = None
    """Where the controller runs (ManagedNodeGroups.placement_for,
    FargateProfiles.karpenter_placement). Default: the first node group of the first
    ManagedNodeGroups of the cluster, else a Fargate `karpenter` profile; Karpenter cannot
    run on the nodes it launches itself."""
    node_classes: Sequence[NodeClassSpec] = (NodeClassSpec(),)
    """EC2NodeClasses; more with `add_node_class`. Default: one `default` class."""
    node_pools: Sequence[NodePoolSpec] = (NodePoolSpec(),)
    """NodePools; more with `add_node_pool`. Default: one `default` pool on it."""
    namespace: str = defaults.KARPENTER_NAMESPACE
    """The controller's namespace. Default: kube-system."""
    replicas: int = defaults.KARPENTER_REPLICAS
    """Controller replicas (leader election). Default: 2."""
    controller_cpu: str = defaults.KARPENTER_CPU
    """CPU request and limit of each controller pod. Default: 1."""
    controller_memory: str = defaults.KARPENTER_MEMORY
    """Memory request and limit of each controller pod. Default: 1Gi."""
    instance_tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the instances and volumes Karpenter launches. Default: none."""
    prefix_delegation: bool = True
    """Whether the cluster's VPC CNI assigns /28 prefixes (the Addons construct's default).
    Then every NodePool keeps to instances that can hold 110 pods with prefixes (Nitro; not
    the nano to medium sizes; not g4ad), and every EC2NodeClass sets the kubelet's maxPods
    to the smallest value the instance type table gives the types its NodePools (those in
    `node_pools` naming it) may launch: 110 for the usual pools. Without it Karpenter
    counts ENI-based pods and prefixes add no density. Default: true."""
    custom_networking: bool = False
    """Whether the cluster's VPC CNI uses custom networking (pods in ENIConfig subnets): the
    primary ENI then holds no pod address, so each EC2NodeClass's maxPods counts one ENI
    fewer (with prefix delegation). Default: false."""


def validate_node_class(spec: NodeClassSpec, what: str) -> None:
    """Every field of an EC2NodeClass spec (raises validation.Invalid)."""
    v.check_name(spec.name, f"{what}.name")
    v.check_ami_alias(spec.ami_alias, f"{what}.ami_alias")
    v.check_disk_size(spec.volume_size_gib, f"{what}.volume_size_gib")


def validate_node_pool(
    spec: NodePoolSpec, what: str, *, region: str | None, node_classes: Sequence[str]
) -> None:
    """Every field of a NodePool spec, its zones against `region` (None: unknown) and its
    node class against `node_classes` (raises validation.Invalid)."""
    v.check_name(spec.name, f"{what}.name")
    req = spec.requirements
    v.check_capacity_types(req.capacity_types, f"{what}.requirements.capacity_types")
    v.check_architectures(req.architectures, f"{what}.requirements.architectures")
    v.check_instance_categories(req.instance_categories, f"{what}.requirements.instance_categories")
    if req.min_vcpus is not None:
        v.check_min_vcpus(req.min_vcpus, f"{what}.requirements.min_vcpus")
    v.check_min_instance_generation(
        req.min_instance_generation, f"{what}.requirements.min_instance_generation"
    )
    v.check_zones(req.zones, region, f"{what}.requirements.zones")
    v.check_cpu_limit(spec.limits.cpu, f"{what}.limits.cpu")
    v.check_memory(spec.limits.memory, f"{what}.limits.memory")
    disruption = spec.disruption
    if disruption.consolidation_policy not in ("WhenEmpty", "WhenEmptyOrUnderutilized"):
        raise v.Invalid(
            f"{what}.disruption.consolidation_policy",
            disruption.consolidation_policy,
            "use WhenEmpty or WhenEmptyOrUnderutilized",
        )
    v.check_duration(disruption.consolidate_after, f"{what}.disruption.consolidate_after")
    v.check_duration(disruption.expire_after, f"{what}.disruption.expire_after")
    for index, budget in enumerate(disruption.budgets):
        v.check_budget(
            budget.nodes,
            budget.schedule,
            budget.duration,
            budget.reasons,
            f"{what}.disruption.budgets[{index}]",
        )
    v.check_node_labels(spec.labels, f"{what}.labels")
    v.check_weight(spec.weight, f"{what}.weight")
    if spec.accelerator not in (None, "nvidia"):
        raise v.Invalid(f"{what}.accelerator", spec.accelerator, "use nvidia or None")
    if spec.accelerator == "nvidia" and not set(GPU_INSTANCE_CATEGORIES) & set(
        req.instance_categories
    ):
        raise v.Invalid(
            f"{what}.requirements.instance_categories",
            list(req.instance_categories),
            "a GPU pool launches NVIDIA GPU instances, which are in categories g and p "
            "only; include g or p (NodePoolSpec.nvidia_gpu(...) does)",
        )
    v.check_node_class_ref(spec.node_class, node_classes, f"{what}.node_class")


class Karpenter(Construct):
    """Karpenter v1 with least-privilege IAM, an encrypted interruption queue fed by
    EventBridge, and NodePools/EC2NodeClasses applied after the chart.

    Add more with `add_node_class` and `add_node_pool`, also after construction.
    """

    def __init__(self, scope: Construct, id: str, *, props: KarpenterProps) -> None:
        super().__init__(scope, id)
        self.props = props
        # jsii's Python typing omits a member of ICluster on Cluster; it is one at runtime.
        self.cluster = cast(eks.ICluster, props.cluster)
        self._check_props()
        self.placement = props.placement or self._default_placement()
        self.node_role = new_node_role(
            self, "NodeRole", description=f"Nodes Karpenter launches in {self.props.cluster_name}"
        )
        # Karpenter's nodes join through an access entry (managed node groups get theirs
        # from EKS; Karpenter's instances are plain EC2 instances).
        self.node_access_entry = eks.CfnAccessEntry(
            self,
            "NodeAccessEntry",
            cluster_name=self.cluster.cluster_name,
            principal_arn=self.node_role.role_arn,
            type="EC2_LINUX",
        )
        self.queue = interruption_queue(self)
        self.controller_role = self._controller_role()
        self.chart = self._chart()
        #: "EC2NodeClass/<name>" and "NodePool/<name>" -> the manifest applying it.
        self.manifests: dict[str, Applied] = {}
        self._node_classes: dict[str, Applied] = {}
        #: Each EC2NodeClass's kubelet maxPods as set in its manifest (None: not set).
        self._max_pods: dict[str, int | None] = {}
        self._node_pools: list[str] = []
        self._class_specs: dict[str, NodeClassSpec] = {}
        self._device_plugin_pools: dict[str, bool] = {}
        for node_class in props.node_classes:
            self._add_node_class(node_class)
        for pool in props.node_pools:
            self._add_node_pool(pool)
        self.node.add_validation(SynthCheck(self._without_pools))
        register_capacity(self.cluster, self)

    # -- checks ---------------------------------------------------------------------------

    def _fail(self, error: v.Invalid) -> ValueError:
        return v.Invalid(f"{self.node.path}: {error.what}", error.value, error.fix)

    def _region(self) -> str | None:
        region = Stack.of(self).region
        return None if Token.is_unresolved(region) else region

    def _check_props(self) -> None:
        props = self.props
        try:
            if Token.is_unresolved(self.props.cluster_name):
                raise v.Invalid(
                    "KarpenterProps.cluster_name",
                    self.props.cluster_name,
                    "give the cluster's name as a literal string: IAM condition keys "
                    "contain it and cannot be tokens",
                )
            v.check_quantity(props.controller_cpu, "KarpenterProps.controller_cpu")
            v.check_quantity(props.controller_memory, "KarpenterProps.controller_memory")
            if props.replicas < 1:
                raise v.Invalid(
                    "KarpenterProps.replicas", props.replicas, "use 1 or more (default 2)"
                )
            v.check_unique([c.name for c in props.node_classes], "KarpenterProps.node_classes name")
            v.check_unique([p.name for p in props.node_pools], "KarpenterProps.node_pools name")
            classes = [c.name for c in props.node_classes]
            for index, node_class in enumerate(props.node_classes):
                validate_node_class(node_class, f"KarpenterProps.node_classes[{index}]")
            for index, pool in enumerate(props.node_pools):
                validate_node_pool(
                    pool,
                    f"KarpenterProps.node_pools[{index}]",
                    region=self._region(),
                    node_classes=classes,
                )
        except v.Invalid as error:
            raise self._fail(error) from None
        if not can_deliver(self.cluster):
            raise ValueError(
                f"{self.node.path}: KarpenterProps.cluster: {self.cluster.node.path} has no "
                "kubectl provider, which Karpenter needs to install its Helm charts and "
                "NodePools; create the cluster with ControlPlaneProps(kubectl_provider=True) "
                "(the default), or give an eks.Cluster a kubectl_provider_options with the "
                "kubectl layer of its version"
            )

    def _default_placement(self) -> ControllerPlacement:
        """The first node group of the cluster's first ManagedNodeGroups, else a Fargate
        `karpenter` profile."""
        capacity = capacity_of(self.cluster)
        for hosts in capacity:
            if isinstance(hosts, ManagedNodeGroups):
                linux = [n for n in hosts.nodegroups if n not in hosts.windows_groups]
                if linux:
                    return hosts.placement_for(linux[0])
        for hosts in capacity:
            if isinstance(hosts, FargateProfiles) and "karpenter" in hosts.profiles:
                return hosts.karpenter_placement()
        raise ValueError(
            f"{self.node.path}: KarpenterProps.placement: None, and the cluster has no node "
            "group or Fargate `karpenter` profile yet; Karpenter cannot run on the nodes it "
            "launches itself: add a node group first (ControlPlane.add_node_group or "
            "ManagedNodeGroups), or pass placement="
        )

    def _without_pools(self) -> str | None:
        if self._node_pools:
            return None
        return (
            f"{self.node.path}: Karpenter has no NodePool, so it launches no nodes; give "
            "KarpenterProps.node_pools or call add_node_pool"
        )

    # -- controller identity and policy ----------------------------------------------------

    def _controller_role(self) -> iam.Role:
        props = self.props
        provider: iam.IOpenIdConnectProvider | None = None
        if self.placement.on_fargate:
            # Pod Identity's agent is a DaemonSet, which Fargate cannot run: IRSA instead,
            # through the native OIDC provider and a trust policy written without CfnJson.
            provider = oidc_provider_for(self.cluster)
            principal: iam.IPrincipal = iam.OpenIdConnectPrincipal(provider)
        else:
            principal = iam.ServicePrincipal("pods.eks.amazonaws.com").with_session_tags()
        role = iam.Role(
            self,
            "ControllerRole",
            assumed_by=principal,
            description=f"Karpenter controller of {self.props.cluster_name}",
        )
        if provider is not None:
            trust_only_service_account(
                role, provider, namespace=props.namespace, service_account=SERVICE_ACCOUNT
            )
        groups = controller_statements(
            cluster_name=self.props.cluster_name,
            cluster_arn=self.cluster.cluster_arn,
            queue_arn=self.queue.queue_arn,
            node_role_arn=self.node_role.role_arn,
        )
        self.controller_policies: dict[str, iam.ManagedPolicy] = {}
        for suffix, what in CONTROLLER_POLICIES:
            policy = iam.ManagedPolicy(
                self,
                f"ControllerPolicy{suffix}",
                description=f"Karpenter v1 controller of {self.props.cluster_name}: {what}",
                statements=groups[suffix],
                roles=[role],
            )
            acknowledge_controller_policy(policy, self.props.cluster_name)
            self.controller_policies[suffix] = policy
        self.pod_identity_association: eks.CfnPodIdentityAssociation | None = None
        if not self.placement.on_fargate:
            agent = ensure_pod_identity_agent(self.cluster, props.kubernetes_version)
            association = eks.CfnPodIdentityAssociation(
                self,
                "PodIdentityAssociation",
                cluster_name=self.cluster.cluster_name,
                namespace=props.namespace,
                service_account=SERVICE_ACCOUNT,
                role_arn=role.role_arn,
            )
            association.node.add_dependency(agent)
            self.pod_identity_association = association
        return role

    # -- Helm chart and Kubernetes objects -------------------------------------------------

    def chart_values(self) -> dict[str, Any]:
        """The Helm values of the controller."""
        props = self.props
        resources = {"cpu": props.controller_cpu, "memory": props.controller_memory}
        values: dict[str, Any] = {
            "settings": {
                "clusterName": self.cluster.cluster_name,
                "interruptionQueue": self.queue.queue_name,
            },
            "replicas": props.replicas,
            "serviceAccount": {"name": SERVICE_ACCOUNT},
            # Karpenter needs no cluster DNS (it calls AWS and the API server by IP), so it
            # can start before CoreDNS has anywhere to run.
            "dnsPolicy": "Default",
            "controller": {"resources": {"requests": resources, "limits": resources}},
        }
        if self.placement.on_fargate:
            values["serviceAccount"]["annotations"] = {
                "eks.amazonaws.com/role-arn": self.controller_role.role_arn
            }
        if self.placement.node_selector:
            values["nodeSelector"] = dict(self.placement.node_selector)
        if self.placement.tolerations:
            values["tolerations"] = self.placement.toleration_values()
        return values

    def _chart(self) -> Applied:
        props = self.props
        # The CRDs come from their own chart: Helm installs a chart's crds/ directory only on
        # the first install, so raising `version` would never update NodePool/EC2NodeClass
        # schemas. karpenter-crd keeps them as templates, which upgrades do update.
        # Both charts: the same version, in the same namespace.
        release: dict[str, Any] = {
            "cluster": self.cluster,
            "version": props.version,
            "namespace": props.namespace,
            "create_namespace": props.namespace != "kube-system",
        }
        self.crd_chart = install_chart(
            self,
            "CrdChart",
            layer=Layer.CAPACITY,
            chart="karpenter-crd",
            release="karpenter-crd",
            repository=CRD_CHART_REPOSITORY,
            wait=True,
            # CRDs only: ready in seconds. The chain CRDs -> controller -> NodeClass ->
            # NodePools must start its last item within the layer handler's time (EKSDEP21).
            timeout=Duration.minutes(2),
            **release,
        )
        chart = install_chart(
            self,
            "Chart",
            layer=Layer.CAPACITY,
            chart="karpenter",
            release="karpenter",
            repository=CHART_REPOSITORY,
            values=self.chart_values(),
            skip_crds=True,
            wait=True,
            # Above Helm's five minutes for a controller on Fargate (a pod starts in one to
            # two); 2 + 6 minutes and the NodeClass leave the NodePools time to start in the
            # layer handler's 14 minutes (EKSDEP21).
            timeout=Duration.minutes(6),
            **release,
        )
        chart.node.add_dependency(self.crd_chart)
        # Without its policy the controller crash-loops on start; and on delete the
        # EC2NodeClass finalizer still needs it to terminate instances and remove profiles.
        for policy in self.controller_policies.values():
            chart.node.add_dependency(policy)
        # The controller must have somewhere to run, and its identity, before it starts.
        for dependency in self.placement.depends_on:
            chart.node.add_dependency(dependency)
        if self.pod_identity_association is not None:
            chart.node.add_dependency(self.pod_identity_association)
        chart.node.add_dependency(self.node_access_entry)
        return chart

    def node_class_max_pods(self, name: str) -> int | None:
        """The kubelet maxPods of EC2NodeClass `name`: with prefix delegation, the smallest
        table value of the types the NodePools of `KarpenterProps.node_pools` on it may
        launch (node_class_max_pods); None without prefix delegation."""
        if not self.props.prefix_delegation:
            return None
        return node_class_max_pods(
            (self._requirements(pool) for pool in self.props.node_pools if pool.node_class == name),
            custom_networking=self.props.custom_networking,
        )

    def _requirements(self, spec: NodePoolSpec) -> list[dict[str, Any]]:
        requirements: list[dict[str, Any]] = self.node_pool_manifest(spec)["spec"]["template"][
            "spec"
        ]["requirements"]
        return requirements

    def node_class_manifest(self, spec: NodeClassSpec) -> dict[str, Any]:
        """The EC2NodeClass object of `spec` for this cluster."""
        return node_class_manifest(
            spec,
            role_name=self.node_role.role_name,
            cluster_name=self.props.cluster_name,
            max_pods=self.node_class_max_pods(spec.name),
            instance_tags=self.props.instance_tags,
        )

    def node_pool_manifest(self, spec: NodePoolSpec) -> dict[str, Any]:
        """The NodePool object of `spec`."""
        return node_pool_manifest(
            spec,
            prefix_delegation=self.props.prefix_delegation,
            nvidia_device_plugin=self._needs_device_plugin(spec),
        )

    def _needs_device_plugin(self, spec: NodePoolSpec) -> bool:
        """A GPU pool on an al2023 class (AL2023 NVIDIA AMIs lack the device plugin;
        Bottlerocket's NVIDIA variants include it)."""
        if spec.accelerator != "nvidia":
            return False
        classes = {c.name: c for c in self.props.node_classes}
        classes.update(getattr(self, "_class_specs", {}))
        node_class = classes.get(spec.node_class)
        return node_class is not None and ami_family(node_class.ami_alias) == "al2023"

    @property
    def nvidia_device_plugin_pools(self) -> list[str]:
        """Names of the GPU pools whose nodes need the NVIDIA device plugin (al2023 class);
        their nodes carry NVIDIA_DEVICE_PLUGIN_LABEL."""
        return [name for name, needs in self._device_plugin_pools.items() if needs]

    def add_node_class(self, spec: NodeClassSpec) -> Applied:
        """Add an EC2NodeClass (construct `NodeClass<Name>`), applied after the chart, and
        return its manifest."""
        try:
            what = f"add_node_class(NodeClassSpec {spec.name!r})"
            validate_node_class(spec, what)
            v.check_unique([*self._node_classes, spec.name], f"{what}.name")
        except v.Invalid as error:
            raise self._fail(error) from None
        return self._add_node_class(spec)

    def add_node_pool(self, spec: NodePoolSpec) -> Applied:
        """Add a NodePool (construct `NodePool<Name>`), applied after the chart and its
        EC2NodeClass (which must be added first), and return its manifest."""
        try:
            what = f"add_node_pool(NodePoolSpec {spec.name!r})"
            validate_node_pool(
                spec, what, region=self._region(), node_classes=list(self._node_classes)
            )
            v.check_unique([*self._node_pools, spec.name], f"{what}.name")
            self._check_max_pods(spec, what)
        except v.Invalid as error:
            raise self._fail(error) from None
        return self._add_node_pool(spec)

    def _add_node_class(self, spec: NodeClassSpec) -> Applied:
        body = self.node_class_manifest(spec)
        self._class_specs[spec.name] = spec
        manifest = self._manifest(f"NodeClass{pascal_id(spec.name)}", body)
        self._node_classes[spec.name] = manifest
        self._max_pods[spec.name] = body["spec"].get("kubelet", {}).get("maxPods")
        self.manifests[f"EC2NodeClass/{spec.name}"] = manifest
        return manifest

    def _check_max_pods(self, spec: NodePoolSpec, what: str) -> None:
        """A pool added later must not allow types below its class's maxPods (set when the
        class was added): pods the kubelet admits would find no address."""
        set_to = self._max_pods.get(spec.node_class)
        if set_to is None:
            return
        needs = node_class_max_pods(
            [self._requirements(spec)], custom_networking=self.props.custom_networking
        )
        if needs < set_to:
            raise v.Invalid(
                f"{what}.requirements",
                f"instance types with {needs} max pods",
                f"EC2NodeClass {spec.node_class!r} already sets maxPods {set_to}; narrow the "
                "pool's requirements to types that hold as many pods, or list the pool in "
                "KarpenterProps.node_pools so that its class's maxPods accounts for it",
            )

    def _add_node_pool(self, spec: NodePoolSpec) -> Applied:
        manifest = self._manifest(f"NodePool{pascal_id(spec.name)}", self.node_pool_manifest(spec))
        self._device_plugin_pools[spec.name] = self._needs_device_plugin(spec)
        manifest.node.add_dependency(self._node_classes[spec.node_class])
        self._node_pools.append(spec.name)
        self.manifests[f"NodePool/{spec.name}"] = manifest
        return manifest

    def _manifest(self, id: str, body: dict[str, Any]) -> Applied:
        manifest = apply_manifest(
            self, id, self.cluster, [body], layer=Layer.CAPACITY, overwrite=True
        )
        manifest.node.add_dependency(self.chart)
        return manifest
