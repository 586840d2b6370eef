"""How the constructs deliver Kubernetes objects: one custom resource per dependency layer.

aws_eks_v2 applies every manifest and Helm chart through its own custom resource: a
platform of two dozen in-cluster components is two dozen Lambda invocations that
CloudFormation chains one after the other, each a chance to time out or fail alone. Here a
cluster's manifests, charts and patches are *items* of at most four *layers*, each one
``Custom::EksBlueprint-KubernetesLayer`` (:data:`LAYER_TYPE`) applied by one invocation of
this project's handler (:mod:`eks_blueprint.kubernetes.provider`), which runs independent
items of a layer concurrently and orders the rest by their ``After`` lists:

- :attr:`Layer.FOUNDATION`: objects that need only the API server and the core add-ons
  (tenant namespaces and RBAC, priority classes, ENIConfigs). Capacity may wait for it:
  nodes of custom networking need their ENIConfig first.
- :attr:`Layer.CAPACITY`: what launches nodes (Karpenter's charts, EC2NodeClasses and
  NodePools), after the node groups that run it; add-ons whose pods need nodes wait for it.
- :attr:`Layer.PLATFORM`: after the nodes and add-ons: controllers' charts (the Load
  Balancer Controller, the CNI metrics helper...), storage classes, security group policies.
- :attr:`Layer.WORKLOADS`: after the platform: admission control (Kyverno and its
  policies), then what it governs (the demo workload).

Each layer depends on the one before it, and on everything its items need (``needs``).
An item is an :class:`Applied` construct where the aws_eks_v2 resource used to be: other
constructs depend on it as before (it stands for its layer's resource), and the template's
``Items`` name each item by its construct path, so the review still says which objects a
change touches.

A cluster built by another tool (an ``eks.Cluster`` with aws_eks_v2's kubectl provider, or
an imported one with ``kubectl_provider_options``) has no layers: there the same calls
create aws_eks_v2's own resources, one per item, exactly as before (:func:`delivery_of`
returns None for it).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import jsii
from aws_cdk import (
    Aspects,
    CustomResource,
    Duration,
    IAspect,
    IStableAnyProducer,
    Lazy,
    Stack,
)
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_lambda as lambda_
from constructs import Construct, Dependable, IConstruct, IDependable

from ..gitops.target import GitOpsTarget
from ..template.kubernetes import LAYER_TYPE
from ..validate_names import PropError
from .provider import LayerProvider

#: CDK context key: a new value re-applies every item of every layer on the next deploy
#: (``cdk deploy -c eks_blueprint:kubernetes-generation=2``), to repair drift; otherwise an
#: update applies only the items that changed and what comes after them.
GENERATION_CONTEXT = "eks_blueprint:kubernetes-generation"


class Layer(enum.Enum):
    """The dependency layers, in the order CloudFormation applies them."""

    FOUNDATION = "foundation"
    CAPACITY = "capacity"
    PLATFORM = "platform"
    WORKLOADS = "workloads"

    @property
    def position(self) -> int:
        return list(Layer).index(self)

    @property
    def construct_id(self) -> str:
        return self.value.capitalize()


def _identity_of_object(body: Mapping[str, Any]) -> str:
    """``object:<group>/<kind>/<namespace>/<name>``: how the handler tells objects apart."""
    api_version = str(body.get("apiVersion", ""))
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    metadata = body.get("metadata") if isinstance(body.get("metadata"), Mapping) else {}
    assert isinstance(metadata, Mapping)
    return (
        f"object:{group}/{body.get('kind', '')}/{metadata.get('namespace') or ''}/"
        f"{metadata.get('name', '')}"
    )


@jsii.implements(IStableAnyProducer)
class _Produce:
    """A jsii producer that calls `render` once, when the template is written."""

    def __init__(self, render: Callable[[], Any]) -> None:
        self._render = render

    def produce(self) -> Any:
        return self._render()


class _Roots(Dependable):
    """Makes an :class:`Applied` item stand for its layer's resource as a dependency. The
    item itself stays among the roots (it holds no resource, so CDK adds nothing for it),
    so that ``node.dependencies``, which lists roots, still names the item."""

    def __init__(self, roots: Sequence[IConstruct]) -> None:
        super().__init__()
        self._roots = list(roots)

    @property
    def dependency_roots(self) -> list[IConstruct]:
        return self._roots


class Applied(Construct):
    """One manifest, Helm release or patch delivered to a cluster (module docstring).

    Depend on it like on any construct (``x.node.add_dependency(item)``): in a layered
    cluster that is a dependency on its layer. What the item needs (:meth:`needs`, or
    ``item.node.add_dependency`` on it or on a construct above it) orders it within its
    layer, or makes its layer depend on it.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        kind: str,
        layer: Layer,
        delivery: KubernetesDelivery | None,
        properties: dict[str, Any] | None,
        identities: Sequence[str],
        legacy: Callable[[Construct, str], Construct] | None,
        source: Mapping[str, Any] | None = None,
        bootstrap: bool = False,
    ) -> None:
        super().__init__(scope, id)
        self.kind = kind
        """``manifest``, ``chart``, ``patch`` or ``access-policy``."""
        self.layer = layer
        """The layer it belongs to (in a cluster without layers: where it would be)."""
        self.delivery = delivery
        """The cluster's layers; None for a cluster with aws_eks_v2's kubectl provider."""
        self.properties = properties or {}
        """The item as the layer's ``Items`` will hold it (layered clusters)."""
        self.identities = list(identities)
        """What it puts in the cluster: ``object:...``, ``release:ns/name``, ``patch:...``."""
        self.source: Mapping[str, Any] = dict(source or {})
        """What the item delivers as Python data (the objects, or the chart and its values;
        tokens unresolved): a GitOps delivery renders it into the repository tree."""
        self.bootstrap = bootstrap or kind == "access-policy"
        """Whether a GitOps delivery still applies it through its layer (the bootstrap and
        access policies) rather than rendering it for Argo CD."""
        self.resource: Construct | None = None
        """The aws_eks_v2 resource (clusters without layers; child ``Default``, so its
        logical id is the one the resource had before items existed)."""
        self._item_id: str | None = None
        if delivery is None:
            assert legacy is not None
            self.resource = legacy(self, "Default")
        else:
            delivery._add(self)

    @property
    def item_id(self) -> str:
        """The item's id in its layer: its construct path below the stack."""
        if self._item_id is None:
            stack_path = Stack.of(self).node.path
            path = self.node.path
            self._item_id = (
                path[len(stack_path) + 1 :] if path.startswith(stack_path + "/") else path
            )
        return self._item_id

    def needs(self, *dependencies: IConstruct | IDependable) -> None:
        """Apply this item after `dependencies`: other items (ordered within the layer, or by
        the layers), constructs holding items, or any CloudFormation resources (which its
        layer then depends on). An item of a later layer is refused: the layers would
        depend on each other both ways."""
        for dependency in dependencies:
            if self.delivery is None:
                assert self.resource is not None
                self.resource.node.add_dependency(dependency)
            else:
                # What CDK would depend on: a DependencyGroup's members, an item's roots.
                for root in Dependable.of(dependency).dependency_roots:
                    self.delivery._needs(self, root)


class _LayerResource(Construct):
    """One layer: the custom resource and its items, rendered when the template is."""

    def __init__(self, scope: Construct, delivery: KubernetesDelivery, layer: Layer) -> None:
        super().__init__(scope, layer.construct_id)
        self.layer = layer
        self.delivery = delivery
        self.items: list[Applied] = []
        #: item id -> ids of items of this layer it must follow
        self.after: dict[str, list[str]] = {}
        cluster = delivery.cluster
        generation = scope.node.try_get_context(GENERATION_CONTEXT)
        extra = {} if generation is None else {"Generation": str(generation)}
        self.resource = CustomResource(
            self,
            "Default",
            service_token=delivery.service_token,
            resource_type=LAYER_TYPE,
            # CloudFormation stops waiting after this; the handler's own limit is 15 min.
            service_timeout=Duration.minutes(16),
            properties={
                "ClusterName": cluster.cluster_name,
                "Endpoint": cluster.cluster_endpoint,
                "CertificateAuthorityData": cluster.cluster_certificate_authority_data,
                "Region": Stack.of(scope).region,
                "Layer": layer.value,
                "Items": Lazy.any(_Produce(self._render_items)),
                "Elsewhere": Lazy.any(_Produce(self._render_elsewhere)),
                **extra,
            },
        )
        for dependency in delivery.ready:
            self.resource.node.add_dependency(dependency)
        earlier = [
            other for other in delivery.layers.values() if other.layer.position < layer.position
        ]
        later = [
            other for other in delivery.layers.values() if other.layer.position > layer.position
        ]
        if earlier:
            self.resource.node.add_dependency(max(earlier, key=lambda o: o.layer.position).resource)
        if later:
            nxt = min(later, key=lambda o: o.layer.position)
            nxt.resource.node.add_dependency(self.resource)

    def _render_items(self) -> list[dict[str, Any]]:
        rendered = []
        for item in self.items:
            properties = {"Id": item.item_id, **item.properties}
            after = self.after.get(item.item_id)
            if after:
                properties["After"] = sorted(set(after))
            rendered.append(properties)
        return rendered

    def _render_elsewhere(self) -> list[str]:
        return sorted(
            {
                identity
                for other in self.delivery.layers.values()
                if other is not self
                for item in other.items
                for identity in item.identities
            }
        )


class KubernetesDelivery(Construct):
    """The layers of one cluster (in one stack), and the provider that applies them.

    :class:`~eks_blueprint.ControlPlane` creates it as construct ``Kubernetes`` (unless
    ``kubectl_provider=False``); for an ``eks.Cluster`` built otherwise, create one in the
    cluster's stack. Every construct finds it through :func:`delivery_of`. The provider runs
    in `subnets` of the cluster's VPC (default: its private subnets with egress) with
    `security_group` (default: the cluster security group), with kubectl and Helm from
    `kubectl_layer` (``eks_blueprint.kubectl_layer_for`` gives the one of a version).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        cluster: eks.ICluster,
        kubectl_layer: lambda_.ILayerVersion,
        subnets: ec2.SubnetSelection | None = None,
        security_group: ec2.ISecurityGroup | None = None,
        gitops: GitOpsTarget | None = None,
    ) -> None:
        super().__init__(scope, id)
        if gitops is not None:
            gitops.check(self.node.path)
        if delivery_of(cluster) is not None:
            raise PropError(
                self.node.path,
                "cluster",
                cluster.node.path,
                f"the cluster already has its Kubernetes layers at "
                f"{delivery_of(cluster).node.path}; a cluster has one KubernetesDelivery: "  # type: ignore[union-attr]
                "use that one (eks_blueprint.kubernetes.delivery_of(cluster)), or apply "
                "objects with apply_manifest / install_chart, which find it themselves",
            )
        self.cluster = cluster
        self.provider = LayerProvider(
            self,
            cluster=cluster,
            kubectl_layer=kubectl_layer,
            subnets=subnets,
            security_group=security_group,
        )
        self.service_token = self.provider.service_token
        #: What every layer waits for: the handler's access to the cluster.
        self.ready: list[IConstruct] = [self.provider.access_entry]
        self.layers: dict[Layer, _LayerResource] = {}
        self.gitops = gitops
        """Where the cluster's objects are rendered for Argo CD (None: applied by the
        layers, the default)."""
        self.gitops_items: list[Applied] = []
        """GitOps delivery: the items rendered into the tree, in the order they were added."""
        #: GitOps delivery: item id -> ids of rendered items of its layer it follows.
        self.gitops_after: dict[str, list[str]] = {}
        self.known_values: dict[str, str] = {}
        """GitOps delivery: values a token stands for that are known at synth (e.g. the
        cluster's name, which ControlPlane takes literally), so the tree holds them as
        they are instead of reading them from the cluster's annotations. Add with
        :meth:`know`."""
        self._items_by_path: dict[str, Applied] = {}
        self._path = self.node.path
        _register(cluster, self)
        self._stack_path = Stack.of(self).node.path
        # On a leaf of its own, the aspect is called once (on the delivery, once per child).
        Aspects.of(Construct(self, "Ordering")).add(_ResolveDependencies(self))
        self.bootstrap: Applied | None = None
        """GitOps delivery: the one item the layer applies for Argo CD (its project, the
        cluster registration with the values only CloudFormation knows, and the root
        Application); make it need the Argo CD capability (``needs``)."""
        if gitops is not None:
            from ..gitops.bootstrap import add_bootstrap

            self.bootstrap = add_bootstrap(self, gitops)

    def know(self, token: str, value: str) -> None:
        """Render `token` (a CDK token, e.g. ``cluster.cluster_name``) as `value` in a GitOps
        tree: for values that are literal in the props but tokens on the construct."""
        import json

        self.known_values[json.dumps(Stack.of(self).resolve(token), sort_keys=True)] = value

    # -- items ------------------------------------------------------------------------

    def layer(self, layer: Layer) -> _LayerResource:
        """The resource of `layer`, created on first use."""
        found = self.layers.get(layer)
        if found is None:
            found = _LayerResource(self, self, layer)
            self.layers[layer] = found
        return found

    def _add(self, item: Applied) -> None:
        item_stack = Stack.of(item).node.path
        if item_stack != self._stack_path:
            raise PropError(
                item.node.path,
                "scope",
                item_stack,
                f"the cluster's Kubernetes layers are in stack {self._stack_path}; "
                "create constructs that apply Kubernetes objects to this cluster in that stack",
            )
        path = item.node.path
        # The id is the path below the stack: worked out here once, read at every render.
        item._item_id = path[len(item_stack) + 1 :]
        if self.gitops is not None and not item.bootstrap:
            # Rendered for Argo CD: CloudFormation cannot wait for a sync, so depending on
            # the item adds nothing to the template (the item holds no resource).
            self._check_application(item)
            self.gitops_items.append(item)
            self._items_by_path[path] = item
            return
        layer = self.layer(Layer.FOUNDATION if self.gitops is not None else item.layer)
        layer.items.append(item)
        self._items_by_path[path] = item
        Dependable.implement(item, _Roots([layer.resource, item]))

    def _check_application(self, item: Applied) -> None:
        """Refuse, when it is made, an item a GitOps delivery cannot render: more objects
        than an Application may hold, or an Application name another item (or the root
        Application) has."""
        from ..gitops.bootstrap import root_application_name
        from ..gitops.render import MAX_OBJECTS_PER_APPLICATION, application_name

        assert self.gitops is not None
        objects = item.source.get("objects") or ()
        if len(objects) > MAX_OBJECTS_PER_APPLICATION:
            raise PropError(
                item.node.path, "objects", f"{len(objects)} objects",
                f"an Application on the EKS Argo CD capability holds at most "
                f"{MAX_OBJECTS_PER_APPLICATION}: split the manifest",
            )
        name = application_name(item.item_id)
        taken = {application_name(other.item_id): other.item_id for other in self.gitops_items}
        taken[root_application_name(self.gitops)] = "the root Application"
        if name in taken:
            raise PropError(
                item.node.path, "id", item.node.id,
                f"its Application name {name!r} is also {taken[name]}'s; give one of the "
                "constructs another id",
            )

    def items(self) -> list[Applied]:
        """Every item, layer by layer, in the order they were added; then those a GitOps
        delivery renders."""
        return [
            *(
                item
                for layer in sorted(self.layers.values(), key=lambda o: o.layer.position)
                for item in layer.items
            ),
            *self.gitops_items,
        ]

    def _items_under(self, construct: IConstruct) -> list[Applied]:
        path = construct.node.path
        return [
            item
            for item_path, item in self._items_by_path.items()
            if item_path == path or item_path.startswith(path + "/")
        ]

    def _resolve_construct_dependencies(self) -> None:
        """See :class:`_ResolveDependencies`."""
        stack_path = self._stack_path
        for item in self.items():
            scope: IConstruct | None = item
            node = item.node
            while scope is not None and node.path != stack_path:
                for dependency in node.dependencies:
                    self._needs(item, dependency)
                scope = node.scope
                node = scope.node if scope is not None else node

    def _needs(self, item: Applied, dependency: IConstruct) -> None:
        """`item` after `dependency`: after the items under it (ordered within the layer,
        or by the layers), and its layer after the CloudFormation resources under it. In a
        GitOps delivery a rendered item's order is recorded in the tree (for the reviewer;
        Argo CD retries until it holds), and what it needs of CloudFormation comes before
        the bootstrap's layer, so Argo CD starts syncing only after it exists."""
        gitops = self.gitops is not None
        layer = self.layer(Layer.FOUNDATION) if gitops else self.layers[item.layer]
        after = self.gitops_after if gitops and not item.bootstrap else layer.after
        for other in self._items_under(dependency):
            if other is item:
                continue
            if other.layer.position > item.layer.position:
                raise _later_layer(item, other)
            if gitops and other.bootstrap != item.bootstrap:
                continue  # the bootstrap and what Argo CD syncs do not wait for each other
            if other.layer is item.layer or (gitops and item.bootstrap):
                after.setdefault(item.item_id, []).append(other.item_id)
        if isinstance(dependency, Applied):
            return  # ordered above, or by the layers
        path = dependency.node.path
        if self._path == path or self._path.startswith(path + "/"):
            # An ancestor of the layers themselves (the control plane, the stack): the
            # layers already follow the cluster; depending on the rest would be a cycle.
            return
        if path.startswith(self._path + "/"):
            return  # a layer (an item's stand-in, see _Roots) or the provider
        layer.resource.node.add_dependency(dependency)


def _later_layer(item: Applied, other: Applied) -> PropError:
    """The error for `item` needing `other`, of a later layer: the layers would depend on
    each other both ways."""
    return PropError(
        item.node.path,
        "needs",
        other.node.path,
        f"{other.node.path} is in the {other.layer.value} layer, which is applied after this "
        f"item's {item.layer.value} layer; put this item in the {other.layer.value} layer "
        f"(layer=Layer.{other.layer.name}) or the other one earlier",
    )


@jsii.implements(IAspect)
class _ResolveDependencies:
    """Before the template is prepared: what an item's construct, or any construct above
    it, was made to depend on (``node.add_dependency``), the item needs (CDK's meaning of a
    dependency on a construct: everything inside it waits). An item holds no resource of
    its own, so without this such dependencies would be lost."""

    def __init__(self, delivery: KubernetesDelivery) -> None:
        self._delivery = delivery
        self._done = False

    def visit(self, node: IConstruct) -> None:
        if self._done:
            return
        self._done = True
        self._delivery._resolve_construct_dependencies()


_REGISTRY = "_eks_blueprint_kubernetes"


def _register(cluster: object, delivery: KubernetesDelivery) -> None:
    node = cluster.node  # type: ignore[attr-defined]
    registry: dict[str, KubernetesDelivery] | None = getattr(node.root, _REGISTRY, None)
    if registry is None:
        registry = {}
        setattr(node.root, _REGISTRY, registry)
    registry[node.addr] = delivery


def delivery_of(cluster: object) -> KubernetesDelivery | None:
    """The layers of `cluster`, or None for a cluster without them."""
    node = cluster.node  # type: ignore[attr-defined]
    registry: dict[str, KubernetesDelivery] | None = getattr(node.root, _REGISTRY, None)
    return None if registry is None else registry.get(node.addr)


def can_deliver(cluster: eks.ICluster) -> bool:
    """Whether Kubernetes objects can be applied to `cluster`: it has layers, or aws_eks_v2's
    kubectl provider (or, imported, the options to create one)."""
    if delivery_of(cluster) is not None:
        return True
    options = getattr(cluster, "kubectl_provider_options", None)  # not on eks.Cluster itself
    return cluster.kubectl_provider is not None or options is not None


# -- the three kinds of item ---------------------------------------------------------------


def _text(value: bool) -> str:
    return "true" if value else "false"


def _item(
    scope: Construct,
    id: str,
    cluster: eks.ICluster,
    *,
    kind: str,
    layer: Layer,
    properties: Callable[[KubernetesDelivery], dict[str, Any]],
    identities: Sequence[str],
    legacy: Callable[[Construct, str], Construct],
    source: Mapping[str, Any] | None = None,
    bootstrap: bool = False,
) -> Applied:
    """An item of `kind` for `cluster`: in a layered cluster, ``Type`` `kind` and what
    `properties` returns for its layers; otherwise aws_eks_v2's resource from `legacy`.
    `source` is what a GitOps delivery renders instead."""
    delivery = delivery_of(cluster)
    if delivery is not None and delivery.gitops is not None and kind == "patch" and not bootstrap:
        raise PropError(
            f"{scope.node.path}/{id}",
            "delivery",
            "gitops",
            "a patch of an object another component owns cannot be rendered for Argo CD "
            "(two Applications would own the object); set the value in that component's "
            "chart values instead, or deliver this cluster with the kubectl layers",
        )
    return Applied(
        scope,
        id,
        kind=kind,
        layer=layer,
        delivery=delivery,
        properties=(
            {"Type": kind, **properties(delivery)}
            if delivery is not None and (delivery.gitops is None or bootstrap)
            else None
        ),
        identities=identities,
        legacy=legacy,
        source=source,
        bootstrap=bootstrap,
    )


def apply_manifest(
    scope: Construct,
    id: str,
    cluster: eks.ICluster,
    objects: Sequence[Mapping[str, Any]],
    *,
    layer: Layer,
    overwrite: bool | None = None,
    _bootstrap: bool = False,
) -> Applied:
    """`objects` applied to `cluster`, in `layer`; an object removed from the list later is
    deleted from the cluster. Unless `overwrite`, objects that already exist are an error
    at first apply instead of being taken over (aws_eks_v2's default too)."""
    bodies = [dict(body) for body in objects]
    return _item(
        scope,
        id,
        cluster,
        kind="manifest",
        layer=layer,
        properties=lambda _delivery: {
            "Manifest": Stack.of(scope).to_json_string(bodies),
            "Overwrite": _text(bool(overwrite)),
        },
        identities=[_identity_of_object(body) for body in bodies],
        legacy=lambda parent, child: eks.KubernetesManifest(
            parent, child, cluster=cluster, manifest=bodies, prune=True, overwrite=overwrite
        ),
        source={"objects": bodies},
        bootstrap=_bootstrap,
    )


def install_chart(
    scope: Construct,
    id: str,
    cluster: eks.ICluster,
    *,
    layer: Layer,
    chart: str,
    repository: str,
    version: str,
    release: str,
    namespace: str,
    values: Mapping[str, Any] | None = None,
    create_namespace: bool = True,
    wait: bool = True,
    timeout: Duration | None = None,
    skip_crds: bool = False,
) -> Applied:
    """The Helm chart `chart` at `version` from `repository` (https or ``oci://``) as
    release `release` in `namespace`, in `layer`. With `wait`, the item is done when its
    workloads are ready (Helm's ``--wait``), within `timeout` (default 5 minutes)."""

    def properties(delivery: KubernetesDelivery) -> dict[str, Any]:
        delivery.provider.allow_chart_pulls(repository, chart)
        item = {
            "Chart": chart,
            "Repository": repository,
            "Version": version,
            "Release": release,
            "Namespace": namespace,
            "CreateNamespace": _text(create_namespace),
            "Wait": _text(wait),
            "Timeout": str(int((timeout or Duration.minutes(5)).to_seconds())),
            "SkipCrds": _text(skip_crds),
        }
        if values:
            item["Values"] = Stack.of(scope).to_json_string(dict(values))
        return item

    return _item(
        scope,
        id,
        cluster,
        kind="chart",
        layer=layer,
        properties=properties,
        identities=[f"release:{namespace}/{release}"],
        source={
            "chart": chart,
            "repository": repository,
            "version": version,
            "release": release,
            "namespace": namespace,
            "values": dict(values) if values else {},
            "create_namespace": create_namespace,
            "skip_crds": skip_crds,
        },
        legacy=lambda parent, child: eks.HelmChart(
            parent,
            child,
            cluster=cluster,
            chart=chart,
            repository=repository,
            version=version,
            release=release,
            namespace=namespace,
            create_namespace=create_namespace,
            values=dict(values) if values else None,
            wait=wait,
            timeout=timeout,
            skip_crds=skip_crds or None,
        ),
    )


def patch_object(
    scope: Construct,
    id: str,
    cluster: eks.ICluster,
    *,
    layer: Layer,
    resource_name: str,
    namespace: str,
    apply_patch: Mapping[str, Any],
    restore_patch: Mapping[str, Any],
) -> Applied:
    """A strategic-merge patch of an object that something else created (`resource_name`,
    ``kind/name``, in `namespace`); `restore_patch` is applied when the item is removed."""

    def properties(_delivery: KubernetesDelivery) -> dict[str, Any]:
        stack = Stack.of(scope)
        return {
            "ResourceName": resource_name,
            "ResourceNamespace": namespace,
            "ApplyPatch": stack.to_json_string(dict(apply_patch)),
            "RestorePatch": stack.to_json_string(dict(restore_patch)),
            "PatchType": "strategic",
        }

    return _item(
        scope,
        id,
        cluster,
        kind="patch",
        layer=layer,
        properties=properties,
        identities=[f"patch:{namespace}/{resource_name}"],
        legacy=lambda parent, child: eks.KubernetesPatch(
            parent,
            child,
            cluster=cluster,
            resource_name=resource_name,
            resource_namespace=namespace,
            apply_patch=dict(apply_patch),
            restore_patch=dict(restore_patch),
        ),
    )


def associate_access_policy(
    scope: Construct,
    id: str,
    cluster: eks.ICluster,
    *,
    layer: Layer,
    principal_arn: str,
    policy_arn: str,
    access_scope: str = "cluster",
    namespaces: Sequence[str] = (),
    refresh_with: str | None = None,
) -> Applied:
    """EKS access policy `policy_arn` associated with the access entry of `principal_arn`,
    which something else creates (EKS makes one for each capability's role, without the
    rights to deploy anything). CloudFormation has no resource for an association alone, so
    the cluster's layer handler calls ``eks:AssociateAccessPolicy`` (and disassociates when
    the item goes), ordered like any item: make it need what creates the entry. Only in a
    layered cluster (a ControlPlane's, or one with a :class:`KubernetesDelivery`).
    `refresh_with`: a value that changes when the entry is created anew (e.g. its owner's
    creation time, ``CfnCapability.attr_created_at``): the item is then associated again,
    since the new entry comes without the association."""
    where = f"{scope.node.path}/{id}"
    if access_scope not in ("cluster", "namespace"):
        raise PropError(where, "access_scope", access_scope, "use 'cluster' or 'namespace'")
    if (access_scope == "namespace") != bool(namespaces):
        raise PropError(
            where,
            "namespaces",
            list(namespaces),
            "give namespaces exactly when access_scope is 'namespace'",
        )
    delivery = delivery_of(cluster)
    if delivery is None:
        raise PropError(
            where,
            "cluster",
            cluster.node.path,
            "an access policy association is applied by the cluster's Kubernetes layers; "
            "build the cluster with ControlPlane (kubectl_provider=True) or add a "
            "KubernetesDelivery to it, or associate the policy yourself",
        )
    delivery.provider.allow_access_policy(policy_arn)
    properties: dict[str, Any] = {
        "Type": "access-policy",
        "PrincipalArn": principal_arn,
        "PolicyArn": policy_arn,
        "AccessScope": access_scope,
    }
    if namespaces:
        properties["Namespaces"] = list(namespaces)
    if refresh_with is not None:
        properties["Refresh"] = refresh_with
    return Applied(
        scope,
        id,
        kind="access-policy",
        layer=layer,
        delivery=delivery,
        properties=properties,
        identities=[f"access-policy:{principal_arn}|{policy_arn}"],
        legacy=None,
    )


def needs(item: IConstruct, *dependencies: IConstruct) -> None:
    """`item` after `dependencies`, whether `item` is an :class:`Applied` item (see
    :meth:`Applied.needs`) or any other construct. A dependency that holds items (e.g.
    `Karpenter`, whose charts and NodePools are items) is also a dependency on their
    layers: CDK alone would only wait for the CloudFormation resources inside it."""
    if isinstance(item, Applied):
        item.needs(*dependencies)
        return
    item.node.add_dependency(*dependencies)
    for dependency in dependencies:
        for held in items_under(dependency):
            item.node.add_dependency(held)


def items_under(construct: IConstruct) -> list[Applied]:
    """The items of every cluster's layers at or below `construct` in the tree."""
    registry: dict[str, KubernetesDelivery] | None = getattr(
        construct.node.root, _REGISTRY, None
    )
    if not registry:
        return []
    return [item for delivery in registry.values() for item in delivery._items_under(construct)]


def describe_items(items: Iterable[Applied]) -> list[str]:
    """``<layer>: <item id> (<kind>)`` per item, for messages and docs."""
    return [f"{item.layer.value}: {item.item_id} ({item.kind})" for item in items]


__all__ = [
    "LAYER_TYPE",
    "Applied",
    "KubernetesDelivery",
    "Layer",
    "apply_manifest",
    "associate_access_policy",
    "can_deliver",
    "delivery_of",
    "describe_items",
    "install_chart",
    "items_under",
    "needs",
    "patch_object",
]
