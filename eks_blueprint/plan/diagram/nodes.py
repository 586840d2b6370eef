"""The node of each kind of resource: what its label says, read from template properties.

Each builder takes a resource's logical id and properties (or a Kubernetes object read from
a manifest: a Kubernetes layer's item or a kubectl-provider resource) and returns one
:class:`~.model.Node` with a stable id, a title, a few short lines and the resources it
stands for. Values known only at deploy time read as such, never guessed. Pure Python: no
``aws_cdk``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from ...template import HelmRelease, KubeObject, as_bool, as_int, as_list, intrinsic, literal
from .mermaid import mermaid_id
from .model import Node, ResourceKey

TENANT_LABEL: Final = "eks-blueprint/tenant"
NODE_GROUP_LABEL: Final = "eks-blueprint/node-group"
DEPLOY_TIME: Final = "decided at deploy time"
_SUBNET_ORDER: Final = {"Public": 0, "Private": 1, "Isolated": 2}
_HASH_SUFFIX = re.compile(r"[0-9A-F]{8}$")


def text(value: Any, unknown: str = "?") -> str:
    """A template value as text: the literal, or `unknown` when (partly) deploy-time."""
    found = literal(value)
    return found if found is not None else unknown


def applier(found: KubeObject | HelmRelease) -> str:
    """What node ids of an object or release are made of: its layer item's id (a construct
    path, stable when layers change), else its resource's logical id."""
    return found.item or found.logical_id


def short_name(logical_id: str) -> str:
    """A logical id without CDK's 8-character hash suffix (``FargateBatchF9189470`` ->
    ``FargateBatch``)."""
    return _HASH_SUFFIX.sub("", logical_id) or logical_id


def tags_of(props: Mapping[str, Any]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for tag in as_list(props.get("Tags")):
        if isinstance(tag, Mapping) and isinstance(tag.get("Key"), str):
            tags[tag["Key"]] = text(tag.get("Value"))
    return tags


def ref_target(value: Any) -> str | None:
    found = intrinsic(value)
    if found and found[0] == "Ref" and isinstance(found[1], str):
        return found[1]
    return None


def shorten(value: str, limit: int = 60) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


@dataclass
class Controller:
    """What the AWS Load Balancer Controller's chart values say about the classes it serves."""

    ingress_class: str = "alb"
    default_class: bool = False
    service_webhook: bool = True
    node_id: str | None = None

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> Controller:
        config = values.get("ingressClassConfig") or {}
        webhook = as_bool(values.get("enableServiceMutatorWebhook"))
        return cls(
            ingress_class=str(values.get("ingressClass") or "alb"),
            default_class=bool(as_bool(config.get("default"))),
            service_webhook=webhook is not False,
        )


def subnet_title(props: Mapping[str, Any]) -> str:
    tags = tags_of(props)
    name = tags.get("aws-cdk:subnet-name") or tags.get("aws-cdk:subnet-type") or "Subnet"
    return f"{name} subnet" if not name.lower().endswith("subnet") else name


def subnet_sort_key(entry: tuple[str, Mapping[str, Any]]) -> tuple[int, str, str]:
    lid, props = entry
    tags = tags_of(props)
    kind = tags.get("aws-cdk:subnet-type", "")
    return (_SUBNET_ORDER.get(kind, 3), tags.get("aws-cdk:subnet-name", ""), lid)


def subnet_node(lid: str, props: Mapping[str, Any], key: ResourceKey) -> Node:
    tags = tags_of(props)
    kind = tags.get("aws-cdk:subnet-type")
    name = tags.get("aws-cdk:subnet-name")
    if kind is None:
        kind = "Public" if as_bool(props.get("MapPublicIpOnLaunch")) else "untagged"
    first = text(props.get("CidrBlock"), "CIDR " + DEPLOY_TIME)
    if name and name != kind:
        first += f" · {kind.lower()}"
    lines = [first]
    roles = []
    if "kubernetes.io/role/elb" in tags:
        roles.append("public load balancers")
    if "kubernetes.io/role/internal-elb" in tags:
        roles.append("internal load balancers")
    if "karpenter.sh/discovery" in tags:
        roles.append("Karpenter nodes")
    if roles:
        lines.append(", ".join(roles))
    return Node(
        id=mermaid_id("sn", lid),
        title=subnet_title(props),
        lines=lines,
        resources=frozenset({key}),
        kind=f"subnet-{kind.lower()}",
    )


def cluster_node(lid: str, props: Mapping[str, Any], key: ResourceKey) -> Node:
    vpc = props.get("ResourcesVpcConfig") or {}
    public = as_bool(vpc.get("EndpointPublicAccess", True))
    private = as_bool(vpc.get("EndpointPrivateAccess", False))
    cidrs = [text(c) for c in as_list(vpc.get("PublicAccessCidrs"))] or ["0.0.0.0/0"]
    if public is None or private is None:
        endpoint = f"endpoint access {DEPLOY_TIME}"
    elif public and private:
        endpoint = f"endpoint public ({', '.join(cidrs)}) + private"
    elif public:
        endpoint = f"endpoint public only ({', '.join(cidrs)})"
    else:
        endpoint = "endpoint private only"
    version = text(props.get("Version"), "(default version)")
    return Node(
        id=mermaid_id("eks", lid),
        title=f"EKS cluster {text(props.get('Name'), short_name(lid))}",
        lines=[f"Kubernetes {version}", endpoint],
        resources=frozenset({key}),
        shape="hexagon",
        kind="cluster",
    )


def node_group_node(lid: str, props: Mapping[str, Any], key: ResourceKey) -> Node:
    labels = props.get("Labels") or {}
    name = (
        literal(props.get("NodegroupName"))
        or (literal(labels.get(NODE_GROUP_LABEL)) if isinstance(labels, Mapping) else None)
        or short_name(lid)
    )
    types = [text(t) for t in as_list(props.get("InstanceTypes"))]
    capacity = text(props.get("CapacityType"), "ON_DEMAND").lower().replace("_", "-")
    first = " ".join(types) if types else "instance types from the launch template"
    lines = [f"{first} · {capacity}"]
    ami = literal(props.get("AmiType"))
    if ami:
        lines.append(ami)
    scaling = props.get("ScalingConfig") or {}
    sizes = [
        f"{word} {_number(scaling.get(prop))}"
        for word, prop in (("min", "MinSize"), ("desired", "DesiredSize"), ("max", "MaxSize"))
        if prop in scaling
    ]
    if sizes:
        lines.append(" · ".join(sizes))
    taints = [
        f"{text(t.get('Key'))}:{text(t.get('Effect'))}"
        for t in as_list(props.get("Taints"))
        if isinstance(t, Mapping)
    ]
    if taints:
        lines.append("taints " + ", ".join(taints))
    return Node(
        id=mermaid_id("ng", lid),
        title=f"Node group {name}",
        lines=lines,
        resources=frozenset({key}),
        kind="node-group",
    )


def _number(value: Any) -> str:
    found = as_int(value)
    return str(found) if found is not None else "?"


def _requirement(requirements: Iterable[Any], key: str) -> list[str]:
    for req in requirements:
        if isinstance(req, Mapping) and req.get("key") == key and req.get("operator") == "In":
            return [str(v) for v in as_list(req.get("values"))]
    return []


def node_pool_node(obj: KubeObject) -> Node:
    template = (obj.spec.get("template") or {}).get("spec") or {}
    requirements = as_list(template.get("requirements"))
    capacity = _requirement(requirements, "karpenter.sh/capacity-type") or ["on-demand"]
    arches = _requirement(requirements, "kubernetes.io/arch") or ["amd64"]
    lines = [f"{', '.join(capacity)} · {', '.join(arches)}"]
    limits = obj.spec.get("limits") or {}
    if limits:
        lines.append("limits " + " · ".join(f"{k} {v}" for k, v in limits.items()))
    else:
        lines.append("no limits")
    weight = obj.spec.get("weight")
    if weight is not None:
        lines.append(f"weight {weight}")
    disruption = obj.spec.get("disruption") or {}
    if disruption.get("consolidationPolicy"):
        lines.append(f"consolidation {disruption['consolidationPolicy']}")
    return Node(
        id=mermaid_id("np", applier(obj), obj.name),
        title=f"NodePool {obj.name}",
        lines=lines,
        resources=frozenset({obj.key}),
        shape="round",
        kind="nodepool",
    )


def node_class_node(obj: KubeObject) -> Node:
    terms = as_list(obj.spec.get("amiSelectorTerms"))
    aliases = [str(t["alias"]) for t in terms if isinstance(t, Mapping) and "alias" in t]
    lines = [f"AMI {', '.join(aliases)}" if aliases else "AMI by selector terms"]
    sizes = [
        str((m.get("ebs") or {}).get("volumeSize"))
        for m in as_list(obj.spec.get("blockDeviceMappings"))
        if isinstance(m, Mapping) and (m.get("ebs") or {}).get("volumeSize")
    ]
    if sizes:
        lines.append("volumes " + " + ".join(sizes))
    return Node(
        id=mermaid_id("nc", applier(obj), obj.name),
        title=f"EC2NodeClass {obj.name}",
        lines=lines,
        resources=frozenset({obj.key}),
        shape="parallelogram",
        kind="ec2nodeclass",
    )


def fargate_profile_node(lid: str, props: Mapping[str, Any], key: ResourceKey) -> Node:
    lines = []
    for selector in as_list(props.get("Selectors")):
        if not isinstance(selector, Mapping):
            continue
        parts = [f"namespace {text(selector.get('Namespace'))}"]
        for label_ in as_list(selector.get("Labels")):
            if isinstance(label_, Mapping):
                parts.append(f"{text(label_.get('Key'))}={text(label_.get('Value'))}")
        lines.append(", ".join(parts))
    name = literal(props.get("FargateProfileName")) or (
        short_name(lid).removeprefix("Fargate") or short_name(lid)
    )
    return Node(
        id=mermaid_id("fp", lid),
        title=f"Fargate profile {name}",
        lines=lines,
        resources=frozenset({key}),
        shape="round",
        kind="fargate-profile",
    )


_QUOTA_KEYS: Final = (
    ("cpu", ("requests.cpu", "cpu")),
    ("memory", ("requests.memory", "memory")),
    ("pods", ("pods",)),
    ("storage", ("requests.storage",)),
    ("LBs", ("services.loadbalancers",)),
)


def tenant_node(namespace: KubeObject, quotas: Sequence[KubeObject]) -> Node:
    resources = {namespace.key} | {q.key for q in quotas}
    lines: list[str] = []
    for quota in quotas:
        hard = quota.spec.get("hard") or {}
        shown = []
        for word, keys in _QUOTA_KEYS:
            for k in keys:
                if k in hard:
                    shown.append(f"{word} {hard[k]}")
                    break
        if shown:
            lines.append("quota " + " · ".join(shown[:3]))
            if shown[3:]:
                lines.append(" · ".join(shown[3:]))
    if not quotas:
        lines.append("no ResourceQuota")
    tenant = TENANT_LABEL in namespace.labels
    return Node(
        id=mermaid_id("ns", applier(namespace), namespace.name),
        title=f"{'Tenant' if tenant else 'Namespace'} {namespace.name}",
        lines=lines,
        resources=frozenset(resources),
        shape="round",
        kind="tenant" if tenant else "namespace",
    )


def balancer_node(obj: KubeObject, controller: Controller | None) -> Node | None:
    """The load balancer an Ingress or a LoadBalancer Service makes, or None when no
    controller in the templates would make one for it."""
    annotations = obj.annotations
    where = f"{obj.kind} {obj.namespace or 'default'}/{obj.name}"
    lines = [where]
    if obj.kind == "Ingress":
        wanted = obj.spec.get("ingressClassName") or annotations.get("kubernetes.io/ingress.class")
        if controller is None:
            return None
        if wanted != controller.ingress_class and not (wanted is None and controller.default_class):
            return None
        kind = "ALB"
        scheme = annotations.get("alb.ingress.kubernetes.io/scheme")
        cidrs = annotations.get("alb.ingress.kubernetes.io/inbound-cidrs")
        if cidrs:
            lines.append(f"inbound {cidrs}")
        if annotations.get("alb.ingress.kubernetes.io/certificate-arn"):
            lines.append("HTTPS with an ACM certificate")
        group = annotations.get("alb.ingress.kubernetes.io/group.name")
        if group:
            lines.append(f"IngressGroup {group} (one shared ALB)")
    else:
        lb_class = obj.spec.get("loadBalancerClass")
        lb_type = annotations.get("service.beta.kubernetes.io/aws-load-balancer-type")
        handled = (
            lb_class == "service.k8s.aws/nlb"
            or lb_type in ("external", "nlb-ip")
            or (lb_class is None and controller is not None and controller.service_webhook)
        )
        kind = "NLB" if controller is not None and handled else "load balancer (not the AWS LBC's)"
        scheme = annotations.get("service.beta.kubernetes.io/aws-load-balancer-scheme")
        if scheme is None and as_bool(
            annotations.get("service.beta.kubernetes.io/aws-load-balancer-internal")
        ):
            scheme = "internal"
        ranges = obj.spec.get("loadBalancerSourceRanges")
        if ranges:
            lines.append("inbound " + ", ".join(str(r) for r in as_list(ranges)))
    title = f"{kind} {scheme}" if scheme else f"{kind} internal (the controller's default)"
    return Node(
        id=mermaid_id("lb", applier(obj), obj.kind, obj.namespace or "default", obj.name),
        title=title,
        lines=lines,
        resources=frozenset({obj.key}),
        shape="flag",
        kind="load-balancer",
    )


#: GuardDuty's FindingPublishingFrequency values (AWS::GuardDuty::Detector).
_FREQUENCIES: Final = {"FIFTEEN_MINUTES": "15 minutes", "ONE_HOUR": "hour", "SIX_HOURS": "6 hours"}


def guardduty_node(lid: str, props: Mapping[str, Any], key: ResourceKey) -> Node:
    features = []
    for feature in as_list(props.get("Features")):
        if not isinstance(feature, Mapping) or literal(feature.get("Status")) != "ENABLED":
            continue
        name = text(feature.get("Name")).lower().replace("_", " ").replace("eks ", "EKS ")
        extra = [
            text(c.get("Name")).lower().replace("_", " ").replace("eks ", "EKS ")
            for c in as_list(feature.get("AdditionalConfiguration"))
            if isinstance(c, Mapping) and literal(c.get("Status")) == "ENABLED"
        ]
        features.append(name + (f" ({', '.join(extra)})" if extra else ""))
    enabled = as_bool(props.get("Enable"))
    lines = ["enabled" if enabled else "disabled" if enabled is False else f"enable {DEPLOY_TIME}"]
    lines += features
    frequency = literal(props.get("FindingPublishingFrequency"))
    if frequency:
        shown = _FREQUENCIES.get(frequency, frequency.lower().replace("_", " "))
        lines.append(f"findings exported every {shown}")
    return Node(
        id=mermaid_id("gd", lid),
        title="GuardDuty detector",
        lines=lines,
        resources=frozenset({key}),
        shape="hexagon",
        kind="guardduty",
    )
