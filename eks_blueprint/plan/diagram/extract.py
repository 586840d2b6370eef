"""Read an environment's synthesised stacks into a :class:`~.model.Picture`.

One subgraph per stack; inside it whatever the stack holds, whichever stack that is:

* network: the VPC, a subgraph per availability zone with its subnets (type and name from
  the ``aws-cdk:subnet-type`` / ``aws-cdk:subnet-name`` tags, CIDR, the load balancer and
  Karpenter discovery tags) and NAT gateways, an edge from each subnet whose default route
  goes to a NAT gateway, the internet gateway, and one node listing the VPC endpoints;
* cluster: the EKS cluster (name, version, endpoint access), the capacity (managed node
  groups, Karpenter NodePools and EC2NodeClasses read from the manifests, Fargate
  profiles), the add-ons (EKS add-ons and Helm charts), the tenants (namespaces with their
  ResourceQuota), the load balancers (the AWS Load Balancer Controller and the Ingresses and
  LoadBalancer Services that make it create ALBs and NLBs) and the Kubernetes layers that
  apply the manifests and charts (one node per layer, in the order they are applied, with
  what it holds);
* security: the GuardDuty detector, ECR repositories, registry scanning and the image
  signing profile;
* delivery: each CodePipeline pipeline with its stages, source and EKS deploy target (its
  CodeBuild projects and artifact bucket are part of its node);
* the KMS keys of each stack in one node, and one node counting any other resource types
  that are neither drawn nor plumbing (a delivery stack's pipelines, for example).

IAM roles and policies, security groups, route tables, log groups, Lambda functions and the
like are plumbing and not drawn. Values known only at deploy time are shown as such, never
guessed. Pure Python: no ``aws_cdk``.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from ...template import (
    HELM_TYPE,
    LAYER_TYPE,
    MANIFEST_TYPE,
    HelmRelease,
    KubeObject,
    StackTemplate,
    UnreadableManifest,
    applied_by,
    as_bool,
    as_list,
    helm_releases,
    intrinsic,
    layer_items,
    literal,
    manifest_objects,
    render_text,
)
from .mermaid import mermaid_id
from .model import Edge, Group, Item, Node, Picture, ResourceKey
from .nodes import (
    DEPLOY_TIME,
    TENANT_LABEL,
    Controller,
    applier,
    balancer_node,
    cluster_node,
    fargate_profile_node,
    guardduty_node,
    node_class_node,
    node_group_node,
    node_pool_node,
    ref_target,
    short_name,
    shorten,
    subnet_node,
    subnet_sort_key,
    subnet_title,
    tenant_node,
    text,
)

LBC_CHART: Final = "aws-load-balancer-controller"

#: Resource types that are drawn (by a section below) or deliberately left out as plumbing;
#: anything else is counted in the stack's "Other resources" node.
_DRAWN: Final = frozenset(
    {
        "AWS::EC2::VPC",
        "AWS::EC2::Subnet",
        "AWS::EC2::NatGateway",
        "AWS::EC2::InternetGateway",
        "AWS::EC2::VPCGatewayAttachment",
        "AWS::EC2::VPCEndpoint",
        "AWS::EKS::Cluster",
        "AWS::EKS::Nodegroup",
        "AWS::EKS::FargateProfile",
        "AWS::EKS::Addon",
        MANIFEST_TYPE,
        HELM_TYPE,
        LAYER_TYPE,
        "AWS::GuardDuty::Detector",
        "AWS::ECR::Repository",
        "AWS::ECR::RegistryScanningConfiguration",
        "AWS::Signer::SigningProfile",
        "AWS::KMS::Key",
        "AWS::CodePipeline::Pipeline",
    }
)
_PLUMBING_PREFIXES: Final = ("AWS::IAM::", "AWS::Lambda::", "AWS::Logs::", "AWS::CDK::")
_PLUMBING: Final = frozenset(
    {
        "AWS::EC2::RouteTable",
        "AWS::EC2::SubnetRouteTableAssociation",
        "AWS::EC2::Route",
        "AWS::EC2::EIP",
        "AWS::EC2::SecurityGroup",
        "AWS::EC2::SecurityGroupIngress",
        "AWS::EC2::SecurityGroupEgress",
        "AWS::EC2::FlowLog",
        "AWS::EC2::LaunchTemplate",
        "AWS::KMS::Alias",
        "AWS::SSM::Parameter",
        "AWS::EKS::AccessEntry",
        "AWS::EKS::PodIdentityAssociation",
        "AWS::SQS::Queue",
        "AWS::SQS::QueuePolicy",
        "AWS::Events::Rule",
        "AWS::S3::BucketPolicy",
        "AWS::CloudFormation::Stack",
    }
)
_SERVICE_PREFIX = re.compile(r"^com\.amazonaws\.[^.]+\.")


def _depends_on(resource: Mapping[str, Any]) -> list[str]:
    found = resource.get("DependsOn")
    if isinstance(found, str):
        return [found]
    return [str(d) for d in found] if isinstance(found, list) else []


def _in_dependency_order(after: Mapping[str, Sequence[str]]) -> list[str]:
    """The keys of `after` (each -> the keys it waits for), every one after what it waits
    for, otherwise in template order; a cycle (not deployable anyway) keeps template order."""
    done: list[str] = []
    waiting = list(after)
    while waiting:
        ready = [k for k in waiting if all(d in done for d in after[k])] or waiting[:1]
        done.append(ready[0])
        waiting.remove(ready[0])
    return done


def _wrapped(names: Sequence[str], head: str, width: int = 44) -> list[str]:
    """`names` comma-separated after `head`, a few per line."""
    if not names:
        return []
    lines: list[str] = []
    current = head.rstrip()
    for index, name in enumerate(names):
        entry = name + ("," if index < len(names) - 1 else "")
        if len(current) + 1 + len(entry) > width and current != head.rstrip():
            lines.append(current)
            current = entry
        else:
            current = f"{current} {entry}"
    lines.append(current)
    return lines


#: The kinds of layer item, and how the diagram counts several.
_PLURALS = {
    "manifest": "manifests",
    "chart": "charts",
    "patch": "patches",
    "access-policy": "access policies",
}


@dataclass
class Extraction:
    """The picture and what could not be read (one line each, for the report)."""

    picture: Picture
    notes: list[str] = field(default_factory=list)


def _manifest_objects(stack: StackTemplate, notes: list[str]) -> list[KubeObject]:
    """Every object of every manifest in `stack` (resources, then layer items), in template
    order; one that cannot be read is noted, not guessed."""
    unreadable: list[UnreadableManifest] = []
    objects = manifest_objects([stack], unreadable=unreadable)
    notes.extend(
        f"{item.stack}/{applied_by(item.logical_id, item.item)}: manifest could not be read "
        "(not JSON once "
        "deploy-time values are masked); its objects are not drawn"
        for item in unreadable
    )
    return objects


class _StackReader:
    """Builds one stack's subgraph; cross-stack edges are added by :func:`extract`."""

    def __init__(self, stack: StackTemplate, picture: Picture, notes: list[str]) -> None:
        self.stack = stack
        self.picture = picture
        self.notes = notes
        self.resources = stack.resources
        self.group = Group(
            id=mermaid_id("stk", stack.name), title=f"Stack {stack.name}", kind="stack"
        )
        self.objects = _manifest_objects(stack, notes)
        self.releases = helm_releases([stack])
        #: namespace name -> node id, for edges from load balancers to tenants.
        self.namespace_nodes: dict[str, str] = {}
        #: logical id -> node id of drawn subnets, VPC groups and clusters.
        self.subnet_nodes: dict[str, str] = {}
        self.vpc_groups: dict[str, str] = {}
        self.subnet_vpc: dict[str, str] = {}
        self.cluster_nodes: list[tuple[str, Mapping[str, Any]]] = []
        self.fargate_namespaces: list[tuple[str, list[str]]] = []
        #: Logical ids drawn as part of another resource's node (a pipeline's CodeBuild
        #: projects), kept out of "Other resources".
        self.consumed: set[str] = set()
        #: (pipeline node id, the ClusterName value of its EKS deploy action, if any).
        self.pipelines: list[tuple[str, Any]] = []

    def key(self, logical_id: str) -> ResourceKey:
        return (self.stack.name, logical_id)

    def of_type(self, *types: str) -> list[tuple[str, Mapping[str, Any]]]:
        return [
            (lid, resource.get("Properties") or {})
            for lid, resource in self.resources.items()
            if resource.get("Type") in types
        ]

    def read(self) -> Group:
        self._network()
        self._cluster()
        self._security()
        self._delivery()
        self._kms()
        self._other()
        return self.group

    # -- network ---------------------------------------------------------------------------

    def _network(self) -> None:
        for vpc_lid, vpc in self.of_type("AWS::EC2::VPC"):
            group = Group(
                id=mermaid_id("vpc", vpc_lid),
                title=f"VPC {text(vpc.get('CidrBlock'), 'CIDR ' + DEPLOY_TIME)}",
                resources=frozenset({self.key(vpc_lid)}),
                kind="vpc",
            )
            self.vpc_groups[vpc_lid] = group.id
            self._zones(vpc_lid, group)
            self._gateways(vpc_lid, group)
            self._endpoints(vpc_lid, group)
            self.group.children.append(group)

    def _zones(self, vpc_lid: str, vpc_group: Group) -> None:
        subnets = [
            (lid, props)
            for lid, props in self.of_type("AWS::EC2::Subnet")
            if ref_target(props.get("VpcId")) == vpc_lid
        ]
        nat_in_subnet: dict[str, list[str]] = {}
        for nat_lid, nat in self.of_type("AWS::EC2::NatGateway"):
            subnet = ref_target(nat.get("SubnetId"))
            if subnet:
                nat_in_subnet.setdefault(subnet, []).append(nat_lid)
        zones: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
        for lid, props in subnets:
            zone = literal(props.get("AvailabilityZone")) or f"zone {DEPLOY_TIME}"
            zones.setdefault(zone, []).append((lid, props))
        for zone in sorted(zones):
            zone_group = Group(id=mermaid_id("az", vpc_lid, zone), title=zone, kind="zone")
            ordered = sorted(zones[zone], key=subnet_sort_key)
            column: list[str] = []
            nats: list[Node] = []
            for lid, props in ordered:
                node = subnet_node(lid, props, self.key(lid))
                zone_group.children.append(node)
                column.append(node.id)
                self.subnet_nodes[lid] = node.id
                self.subnet_vpc[lid] = vpc_lid
                for nat_lid in nat_in_subnet.get(lid, []):
                    nats.append(
                        Node(
                            id=mermaid_id("nat", nat_lid),
                            title="NAT gateway",
                            lines=[f"in {subnet_title(props)}"],
                            resources=frozenset({self.key(nat_lid)}),
                            shape="stadium",
                            kind="nat",
                        )
                    )
            zone_group.children.extend(nats)
            # Invisible links keep a zone's subnets in one column, zones side by side.
            for upper, lower in itertools.pairwise(column):
                self.picture.edges.append(Edge(upper, lower, invisible=True))
            vpc_group.children.append(zone_group)
        self._nat_routes()

    def _nat_routes(self) -> None:
        """subnet -> NAT gateway edges, from each subnet's route table's default route."""
        table_of: dict[str, str] = {}
        for _, assoc in self.of_type("AWS::EC2::SubnetRouteTableAssociation"):
            subnet, table = ref_target(assoc.get("SubnetId")), ref_target(assoc.get("RouteTableId"))
            if subnet and table:
                table_of[subnet] = table
        nat_of_table: dict[str, str] = {}
        for _, route in self.of_type("AWS::EC2::Route"):
            table, nat = (
                ref_target(route.get("RouteTableId")),
                ref_target(route.get("NatGatewayId")),
            )
            if table and nat:
                nat_of_table[table] = nat
        for subnet_lid, node_id in self.subnet_nodes.items():
            nat = nat_of_table.get(table_of.get(subnet_lid, ""))
            if nat and nat in self.resources:
                self.picture.edges.append(Edge(node_id, mermaid_id("nat", nat)))

    def _gateways(self, vpc_lid: str, vpc_group: Group) -> None:
        attachments = {
            ref_target(props.get("InternetGatewayId")): lid
            for lid, props in self.of_type("AWS::EC2::VPCGatewayAttachment")
            if ref_target(props.get("VpcId")) == vpc_lid
        }
        for igw_lid, _ in self.of_type("AWS::EC2::InternetGateway"):
            if igw_lid not in attachments:
                continue
            vpc_group.children.append(
                Node(
                    id=mermaid_id("igw", igw_lid),
                    title="Internet gateway",
                    resources=frozenset({self.key(igw_lid), self.key(attachments[igw_lid])}),
                    shape="stadium",
                    kind="internet-gateway",
                )
            )

    def _endpoints(self, vpc_lid: str, vpc_group: Group) -> None:
        items: list[Item] = []
        for lid, props in self.of_type("AWS::EC2::VPCEndpoint"):
            if ref_target(props.get("VpcId")) != vpc_lid:
                continue
            service = render_text(props.get("ServiceName")) or "?"
            short = _SERVICE_PREFIX.sub("", service)
            kind = text(props.get("VpcEndpointType"), "Gateway")
            shown = short if kind == "Interface" else f"{short} ({kind.lower()})"
            items.append(Item(key=short, text=shown, resources=frozenset({self.key(lid)})))
        if not items:
            return
        interface = sum(1 for i in items if "(" not in i.text)
        vpc_group.children.append(
            Node(
                id=mermaid_id("vpce", vpc_lid),
                title="VPC endpoints",
                lines=[f"{interface} interface, {len(items) - interface} gateway"],
                items=items,
                inline_items=True,
                kind="endpoints",
            )
        )

    # -- cluster ---------------------------------------------------------------------------

    def _cluster(self) -> None:
        for lid, props in self.of_type("AWS::EKS::Cluster"):
            node = cluster_node(lid, props, self.key(lid))
            self.group.children.append(node)
            self.cluster_nodes.append((node.id, props))
        capacity = self._capacity()
        addons = self._addons()
        tenants = self._tenants()
        balancers = self._load_balancers()
        layers = self._layers()
        for section in (capacity, addons, tenants, balancers, layers):
            if section is not None:
                self.group.children.append(section)
                for node_id, _ in self.cluster_nodes:
                    self.picture.edges.append(Edge(node_id, section.id, invisible=True))
        # A Fargate profile that runs a tenant's pods points at the tenant.
        for profile_id, namespaces in self.fargate_namespaces:
            for namespace in namespaces:
                if namespace in self.namespace_nodes:
                    self.picture.edges.append(
                        Edge(profile_id, self.namespace_nodes[namespace], "runs", dotted=True)
                    )

    def _capacity(self) -> Group | None:
        group = Group(id=mermaid_id("grp", self.stack.name, "capacity"), title="Capacity")
        group.kind = "capacity"
        for lid, props in self.of_type("AWS::EKS::Nodegroup"):
            group.children.append(node_group_node(lid, props, self.key(lid)))
        classes: dict[str, str] = {}
        pools: list[tuple[Node, str | None]] = []
        for obj in self.objects:
            if obj.kind == "EC2NodeClass":
                node = node_class_node(obj)
                classes[obj.name] = node.id
                group.children.append(node)
            elif obj.kind == "NodePool":
                ref = (obj.spec.get("template") or {}).get("spec", {}).get("nodeClassRef") or {}
                pools.append((node_pool_node(obj), ref.get("name")))
        for node, _ in pools:
            group.children.append(node)
        for node, class_name in pools:
            if class_name in classes:
                self.picture.edges.append(Edge(node.id, classes[class_name]))
        for lid, props in self.of_type("AWS::EKS::FargateProfile"):
            node = fargate_profile_node(lid, props, self.key(lid))
            group.children.append(node)
            namespaces = [
                literal(sel.get("Namespace"))
                for sel in as_list(props.get("Selectors"))
                if isinstance(sel, Mapping)
            ]
            self.fargate_namespaces.append((node.id, [n for n in namespaces if n]))
        return group if group.children else None

    def _addons(self) -> Group | None:
        group = Group(id=mermaid_id("grp", self.stack.name, "addons"), title="Add-ons")
        group.kind = "addons"
        addons = [
            Item(
                key=text(props.get("AddonName"), lid),
                text=f"{text(props.get('AddonName'), lid)} "
                f"{text(props.get('AddonVersion'), '(default version)')}",
                resources=frozenset({self.key(lid)}),
            )
            for lid, props in self.of_type("AWS::EKS::Addon")
        ]
        if addons:
            group.children.append(
                Node(
                    id=mermaid_id("addons", self.stack.name),
                    title="EKS add-ons",
                    items=sorted(addons, key=lambda i: i.key),
                    kind="eks-addons",
                )
            )
        charts: list[Item] = []
        for helm in self.releases:
            chart = helm.chart if helm.chart is not None else helm.key[1]
            if chart == LBC_CHART:
                continue
            release = helm.release if helm.release is not None else chart
            namespace = helm.namespace if helm.namespace is not None else "default"
            version = helm.version if helm.version is not None else "(latest)"
            charts.append(
                Item(
                    key=f"{namespace}/{release}",
                    text=f"{chart} {version} · {namespace}",
                    resources=frozenset({helm.key}),
                )
            )
        if charts:
            group.children.append(
                Node(
                    id=mermaid_id("helm", self.stack.name),
                    title="Helm charts",
                    items=sorted(charts, key=lambda i: i.key),
                    kind="helm-charts",
                )
            )
        return group if group.children else None

    def _layers(self) -> Group | None:
        """One node per Kubernetes layer, in the order CloudFormation applies them (their
        DependsOn on each other: an edge "then" from each layer to the ones that wait for
        it), saying what it holds: its charts by name, how many manifests and patches."""
        found: dict[str, tuple[str, list[str], Counter[str]]] = {}
        for lid, props in self.of_type(LAYER_TYPE):
            found[lid] = (text(props.get("Layer"), lid), [], Counter())
        if not found:
            return None
        for item in layer_items({lid: self.resources[lid] for lid in found}, stack=self.stack.name):
            _, charts, counts = found[item.logical_id]
            counts[item.type] += 1
            if item.type == "chart":
                charts.append(text(item.properties.get("Chart"), item.id))
        after = {lid: [d for d in _depends_on(self.resources[lid]) if d in found] for lid in found}
        group = Group(
            id=mermaid_id("grp", self.stack.name, "layers"), title="Kubernetes layers"
        )
        group.kind = "layers"
        group.direction = "LR"
        node_ids: dict[str, str] = {}
        for lid in _in_dependency_order(after):
            name, charts, counts = found[lid]
            lines = [
                " · ".join(
                    f"{counts[kind]} {_PLURALS[kind]}" if counts[kind] != 1 else f"1 {kind}"
                    for kind in _PLURALS
                    if counts[kind]
                )
                or "no items"
            ]
            lines += [shorten(line, 44) for line in _wrapped(charts, "charts ")]
            node = Node(
                id=mermaid_id("layer", self.stack.name, name),
                title=f"Layer {name}",
                lines=lines,
                resources=frozenset({self.key(lid)}),
                kind="kubernetes-layer",
            )
            node_ids[lid] = node.id
            group.children.append(node)
            for earlier in after[lid]:
                if earlier in node_ids:
                    self.picture.edges.append(Edge(node_ids[earlier], node.id, "then"))
        return group

    def _tenants(self) -> Group | None:
        namespaces: dict[str, KubeObject] = {}
        quotas: dict[str, list[KubeObject]] = {}
        for obj in self.objects:
            if obj.kind == "Namespace":
                namespaces[obj.name] = obj
            elif obj.kind == "ResourceQuota" and obj.namespace:
                quotas.setdefault(obj.namespace, []).append(obj)
        names = sorted(
            n for n, obj in namespaces.items() if TENANT_LABEL in obj.labels or n in quotas
        )
        if not names:
            return None
        group = Group(id=mermaid_id("grp", self.stack.name, "tenants"), title="Tenants")
        group.kind = "tenants"
        for name in names:
            node = tenant_node(namespaces[name], quotas.get(name, []))
            self.namespace_nodes[name] = node.id
            group.children.append(node)
        return group

    def _load_balancers(self) -> Group | None:
        charts: list[HelmRelease] = [h for h in self.releases if h.chart == LBC_CHART]
        lb_objects = [
            obj
            for obj in self.objects
            if obj.kind == "Ingress"
            or (obj.kind == "Service" and obj.spec.get("type") == "LoadBalancer")
        ]
        if not charts and not lb_objects and not self.cluster_nodes:
            return None
        group = Group(
            id=mermaid_id("grp", self.stack.name, "loadbalancers"), title="Load balancers"
        )
        group.kind = "load-balancers"
        controller: Controller | None = None
        for helm in charts:
            controller = Controller.from_values(helm.values)
            group.children.append(
                Node(
                    id=mermaid_id("lbc", applier(helm)),
                    title="AWS Load Balancer Controller",
                    lines=[
                        f"chart {helm.version if helm.version is not None else '(latest)'}",
                        f"IngressClass {controller.ingress_class}"
                        + (" (default)" if controller.default_class else ""),
                    ],
                    resources=frozenset({helm.key}),
                    shape="subroutine",
                    kind="lb-controller",
                )
            )
            controller.node_id = mermaid_id("lbc", applier(helm))
        drawn = 0
        for obj in lb_objects:
            node = balancer_node(obj, controller)
            if node is None:
                continue
            drawn += 1
            group.children.append(node)
            if controller is not None and controller.node_id:
                self.picture.edges.append(Edge(controller.node_id, node.id))
            target = self.namespace_nodes.get(obj.namespace or "")
            if target:
                self.picture.edges.append(Edge(node.id, target, dotted=True))
        if not drawn:
            group.children.append(
                Node(
                    id=mermaid_id("lb", self.stack.name, "none"),
                    title="Load balancers: none",
                    lines=["no Ingress or LoadBalancer Service in the manifests"],
                    shape="flag",
                    kind="load-balancer",
                )
            )
        return group

    # -- security, keys, the rest ----------------------------------------------------------

    def _security(self) -> None:
        for lid, props in self.of_type("AWS::GuardDuty::Detector"):
            self.group.children.append(guardduty_node(lid, props, self.key(lid)))
        items: list[Item] = []
        for lid, props in self.of_type("AWS::ECR::Repository"):
            name = text(props.get("RepositoryName"), short_name(lid))
            facts = []
            if literal(props.get("ImageTagMutability")) == "IMMUTABLE":
                facts.append("immutable tags")
            if as_bool((props.get("ImageScanningConfiguration") or {}).get("ScanOnPush")):
                facts.append("scan on push")
            shown = name + (f" ({', '.join(facts)})" if facts else "")
            items.append(Item(key=name, text=shown, resources=frozenset({self.key(lid)})))
        for lid, props in self.of_type("AWS::ECR::RegistryScanningConfiguration"):
            frequencies = sorted(
                {
                    text(r.get("ScanFrequency"))
                    for r in as_list(props.get("Rules"))
                    if isinstance(r, Mapping)
                }
            )
            shown = f"registry scanning: {text(props.get('ScanType')).lower()}"
            if frequencies:
                shown += f" ({', '.join(frequencies)})"
            items.append(
                Item(key="registry-scanning", text=shown, resources=frozenset({self.key(lid)}))
            )
        for lid, props in self.of_type("AWS::Signer::SigningProfile"):
            items.append(
                Item(
                    key=f"signing-profile-{lid}",
                    text=f"signing profile {text(props.get('PlatformId'))}",
                    resources=frozenset({self.key(lid)}),
                )
            )
        if items:
            self.group.children.append(
                Node(
                    id=mermaid_id("ecr", self.stack.name),
                    title="ECR",
                    items=items,
                    shape="cylinder",
                    kind="ecr",
                )
            )

    def _delivery(self) -> None:
        """One node per CodePipeline pipeline: its stages, source and deploy target; the
        CodeBuild projects its actions run and its artifact bucket are part of it."""
        for lid, props in self.of_type("AWS::CodePipeline::Pipeline"):
            resources = {self.key(lid)}
            bucket = ref_target((props.get("ArtifactStore") or {}).get("Location"))
            if bucket in self.resources:
                resources.add(self.key(bucket))
                self.consumed.add(bucket)
            stages: list[str] = []
            lines: list[str] = []
            cluster_name: Any = None
            for stage in as_list(props.get("Stages")):
                if not isinstance(stage, Mapping):
                    continue
                stages.append(text(stage.get("Name")))
                for action in as_list(stage.get("Actions")):
                    if not isinstance(action, Mapping):
                        continue
                    config = action.get("Configuration") or {}
                    provider = text((action.get("ActionTypeId") or {}).get("Provider"))
                    project = ref_target(config.get("ProjectName"))
                    if project in self.resources:
                        resources.add(self.key(project))
                        self.consumed.add(project)
                    if "FullRepositoryId" in config:
                        branch = text(config.get("BranchName"), "default branch")
                        lines.append(f"source {text(config['FullRepositoryId'])} @ {branch}")
                    if provider == "EKS":
                        namespace = literal(config.get("Namespace"))
                        cluster_name = config.get("ClusterName")
                        lines.append(f"deploys to EKS, namespace {namespace or 'default'}")
            node = Node(
                id=mermaid_id("pipe", lid),
                title=f"Pipeline {text(props.get('Name'), short_name(lid))}",
                lines=[" → ".join(stages), *lines],
                resources=frozenset(resources),
                shape="subroutine",
                kind="pipeline",
            )
            self.group.children.append(node)
            self.pipelines.append((node.id, cluster_name))

    def _kms(self) -> None:
        items = [
            Item(
                key=lid,
                text=shorten(text(props.get("Description"), short_name(lid)), 56),
                resources=frozenset({self.key(lid)}),
            )
            for lid, props in self.of_type("AWS::KMS::Key")
        ]
        if items:
            self.group.children.append(
                Node(
                    id=mermaid_id("kms", self.stack.name),
                    title="KMS keys",
                    items=items,
                    shape="subroutine",
                    kind="kms",
                )
            )

    def _other(self) -> None:
        members: dict[str, set[ResourceKey]] = {}
        for lid, resource in self.resources.items():
            kind = str(resource.get("Type", "?"))
            if (
                kind in _DRAWN
                or kind in _PLUMBING
                or kind.startswith(_PLUMBING_PREFIXES)
                or kind.startswith("Custom::")
                or lid in self.consumed
            ):
                continue
            members.setdefault(kind, set()).add(self.key(lid))
        if not members:
            return
        self.group.children.append(
            Node(
                id=mermaid_id("other", self.stack.name),
                title="Other resources",
                items=[
                    Item(key=kind, text=f"{kind} ×{len(keys)}", resources=frozenset(keys))
                    for kind, keys in sorted(members.items())
                ],
                kind="other",
            )
        )


def _exports(stacks: Sequence[StackTemplate]) -> dict[str, tuple[str, str]]:
    """Export name -> (stack name, logical id it refers to), for Fn::ImportValue."""
    found: dict[str, tuple[str, str]] = {}
    for stack in stacks:
        for output in (stack.template.get("Outputs") or {}).values():
            if not isinstance(output, Mapping):
                continue
            name = literal((output.get("Export") or {}).get("Name"))
            target = ref_target(output.get("Value"))
            if name and target:
                found[name] = (stack.name, target)
    return found


def extract(stacks: Sequence[StackTemplate]) -> Extraction:
    """The picture of `stacks` (one environment's stage)."""
    picture = Picture()
    notes: list[str] = []
    readers = [_StackReader(stack, picture, notes) for stack in stacks]
    for reader in readers:
        group = reader.read()
        if group.children:
            picture.groups.append(group)
    _cross_stack_edges(stacks, readers, picture)
    return Extraction(picture=picture, notes=notes)


def _cross_stack_edges(
    stacks: Sequence[StackTemplate], readers: Sequence[_StackReader], picture: Picture
) -> None:
    """Cluster -> the VPC its control plane's subnets are in; pipeline -> the ECR
    repositories it pushes to and the cluster it deploys to; GuardDuty -> the clusters."""
    exports = _exports(stacks)
    by_stack = {r.stack.name: r for r in readers}
    clusters = [node_id for r in readers for node_id, _ in r.cluster_nodes]
    for reader in readers:
        for node_id, props in reader.cluster_nodes:
            subnets = as_list((props.get("ResourcesVpcConfig") or {}).get("SubnetIds"))
            vpcs: Counter[str] = Counter()
            for subnet in subnets:
                target = _resolve(subnet, reader.stack.name, exports)
                if target is None or target[0] not in by_stack:
                    continue
                owner = by_stack[target[0]]
                vpc_lid = owner.subnet_vpc.get(target[1])
                if vpc_lid:
                    vpcs[owner.vpc_groups[vpc_lid]] += 1
            for vpc_group, count in sorted(vpcs.items()):
                picture.edges.append(
                    Edge(node_id, vpc_group, f"control plane ENIs in {count} subnets", dotted=True)
                )
        registries = [n.id for n in picture.nodes() if n.kind == "ecr"]
        for pipeline, cluster_name in reader.pipelines:
            for registry in registries:
                picture.edges.append(Edge(pipeline, registry, "pushes images", dotted=True))
            target = _resolve(cluster_name, reader.stack.name, exports)
            if target is not None and mermaid_id("eks", target[1]) in clusters:
                picture.edges.append(
                    Edge(pipeline, mermaid_id("eks", target[1]), "deploys", dotted=True)
                )
        for lid, _ in reader.of_type("AWS::GuardDuty::Detector"):
            for cluster in clusters:
                picture.edges.append(Edge(mermaid_id("gd", lid), cluster, "watches", dotted=True))


def _resolve(
    value: Any, stack_name: str, exports: Mapping[str, tuple[str, str]]
) -> tuple[str, str] | None:
    found = intrinsic(value)
    if found is None:
        return None
    name, arg = found
    if name == "Ref" and isinstance(arg, str):
        return (stack_name, arg)
    if name == "Fn::ImportValue":
        export = literal(arg)
        return exports.get(export) if export else None
    return None
