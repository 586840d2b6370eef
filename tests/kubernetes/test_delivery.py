"""How constructs deliver Kubernetes objects (eks_blueprint.kubernetes.delivery and
.provider): one custom resource per dependency layer in a cluster built by ControlPlane, the
items each layer renders and how they are ordered, the function that applies them, and
aws_eks_v2's own resources, unchanged, on a cluster with aws_eks_v2's kubectl provider.

One layered app and one aws_eks_v2 app per module (module fixtures); the refusals build a
fresh app each, since a refused construct stays in its tree.
"""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template
from constructs import Construct, DependencyGroup

from eks_blueprint import (
    ControlPlane,
    ControlPlaneProps,
    GitOpsTarget,
    Network,
    NetworkProps,
    availability_zones_context_key,
)
from eks_blueprint.compliance import add_compliance_packs
from eks_blueprint.kubectl import kubectl_layer_for
from eks_blueprint.kubernetes import (
    Applied,
    KubernetesDelivery,
    Layer,
    apply_manifest,
    associate_access_policy,
    can_deliver,
    delivery_of,
    describe_items,
    install_chart,
    items_under,
    needs,
    patch_object,
)
from eks_blueprint.template.kubernetes import (
    HELM_TYPE,
    LAYER_TYPE,
    MANIFEST_TYPE,
    helm_releases,
    manifest_objects,
)
from eks_blueprint.validate_names import PropError
from tests.conftest import ENVIRONMENTS, TEST_ENV, SynthResult, resources_of
from tests.unit import layers

ZONES = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
PATCH_TYPE = "Custom::AWSCDK-EKS-KubernetesPatch"
#: A chart in this account's private ECR registry (the handler must be allowed to pull it).
PRIVATE_ECR = "oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/charts"


def namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def node_pool(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "karpenter.sh/v1",
        "kind": "NodePool",
        "metadata": {"name": name},
        "spec": {"template": {"spec": {"nodeClassRef": {"name": "default"}}}},
    }


def config_map(name: str, ns: str = "team-a") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns},
        "data": {"key": name},
    }


def queue(scope: Construct, id: str) -> cdk.CfnResource:
    """A CloudFormation resource to depend on (no properties needed)."""
    return cdk.CfnResource(scope, id, type="AWS::SQS::Queue")


def app_chart(scope: Construct, cluster: eks.ICluster, **options: Any) -> Applied:
    """Item ``Chart`` of `scope`: chart ``app`` 1.2.3 as release ``team-a/app`` in the
    platform layer, with `options` (values, create_namespace...)."""
    return install_chart(
        scope,
        "Chart",
        cluster,
        layer=Layer.PLATFORM,
        chart="app",
        repository="https://charts.example.com",
        version="1.2.3",
        release="app",
        namespace="team-a",
        **options,
    )


def app_patch(scope: Construct, cluster: eks.ICluster) -> Applied:
    """Item ``Patch`` of `scope`: ``deployment/app`` in ``team-a`` scaled from 2 replicas to
    3 (workloads layer)."""
    return patch_object(
        scope,
        "Patch",
        cluster,
        layer=Layer.WORKLOADS,
        resource_name="deployment/app",
        namespace="team-a",
        apply_patch={"spec": {"replicas": 3}},
        restore_patch={"spec": {"replicas": 2}},
    )


def new_cluster(
    stack_name: str = "Team", *, app: cdk.App | None = None, gitops: GitOpsTarget | None = None
) -> tuple[cdk.App, cdk.Stack, ControlPlane]:
    """A stack (in a fresh app, or `app`) with a network and a ControlPlane (with its
    Kubernetes layers, the default, or in GitOps mode to `gitops`), no capacity."""
    app = app or cdk.App(
        context={availability_zones_context_key(str(TEST_ENV.account), str(TEST_ENV.region)): ZONES}
    )
    stack = cdk.Stack(app, stack_name, env=TEST_ENV)
    network = Network(stack, "Net", props=NetworkProps(availability_zones=ZONES))
    plane = ControlPlane(
        stack,
        "Eks",
        props=ControlPlaneProps(
            cluster_name="team", version="1.34", vpc=network.vpc, gitops=gitops
        ),
    )
    return app, stack, plane


# -- a layered cluster ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def layered() -> dict[str, Any]:
    """A ControlPlane cluster with items in every layer, ordered every supported way:

    - ``Apps/Namespace`` (foundation), ``Apps/Pool`` (capacity);
    - ``Apps/Chart`` and ``Apps/PrivateChart`` (platform, charts);
    - ``Apps/Config`` needs the chart (``needs``), QueueB (a resource) and a DependencyGroup
      of QueueD;
    - ``Apps/Second`` depends on Config and QueueC (``node.add_dependency`` on the item);
    - ``Group/Inner``: its parent ``Group`` depends on Second and QueueA;
    - ``Apps/Patch`` (workloads) needs the chart (an earlier layer: nothing to record);
    - ``Consumer`` depends on the namespace item, ``Downstream`` (holding ``Downstream/Q``)
      on the patch item; ``Watcher`` needs (:func:`needs`) ``Apps``, a construct holding
      items of all four layers; ``AfterHolder`` needs ``Holder``, which holds a capacity
      item (``Holder/Pool``) and a resource (``Holder/Q``).
    """
    _, stack, plane = new_cluster()
    cluster = plane.icluster
    apps = Construct(stack, "Apps")
    ns = apply_manifest(apps, "Namespace", cluster, [namespace("team-a")], layer=Layer.FOUNDATION)
    pool = apply_manifest(apps, "Pool", cluster, [node_pool("apps")], layer=Layer.CAPACITY)
    chart = app_chart(
        apps,
        cluster,
        values={"replicas": 2, "queue": queue(stack, "Values").ref},
        create_namespace=False,
        timeout=cdk.Duration.minutes(10),
    )
    private = install_chart(
        apps,
        "PrivateChart",
        cluster,
        layer=Layer.PLATFORM,
        chart="private-app",
        repository=PRIVATE_ECR,
        version="0.1.0",
        release="private-app",
        namespace="team-a",
    )
    config = apply_manifest(apps, "Config", cluster, [config_map("config")], layer=Layer.PLATFORM)
    config.needs(chart, queue(stack, "QueueB"), DependencyGroup(queue(stack, "QueueD")))
    second = apply_manifest(apps, "Second", cluster, [config_map("second")], layer=Layer.PLATFORM)
    second.node.add_dependency(config, queue(stack, "QueueC"))
    group = Construct(stack, "Group")
    inner = apply_manifest(group, "Inner", cluster, [config_map("inner")], layer=Layer.PLATFORM)
    group.node.add_dependency(second, queue(stack, "QueueA"))
    patch = app_patch(apps, cluster)
    patch.needs(chart)
    queue(stack, "Consumer").node.add_dependency(ns)
    downstream = Construct(stack, "Downstream")
    queue(downstream, "Q")
    downstream.node.add_dependency(patch)
    needs(queue(stack, "Watcher"), apps)
    holder = Construct(stack, "Holder")
    held = apply_manifest(holder, "Pool", cluster, [node_pool("held")], layer=Layer.CAPACITY)
    queue(holder, "Q")
    needs(queue(stack, "AfterHolder"), holder)
    template = Template.from_stack(stack).to_json()
    return {
        "template": template,
        "resources": template["Resources"],
        "stack": stack,
        "plane": plane,
        "items": {
            "ns": ns,
            "pool": pool,
            "held": held,
            "chart": chart,
            "private": private,
            "config": config,
            "second": second,
            "inner": inner,
            "patch": patch,
        },
    }


def logical_id(layered: dict[str, Any], path: str) -> str:
    """The logical id of the CfnResource at `path` below the stack."""
    stack: cdk.Stack = layered["stack"]
    found = stack.node.find_child(path.split("/")[0])
    for part in path.split("/")[1:]:
        found = found.node.find_child(part)
    return stack.get_logical_id(found)  # type: ignore[arg-type]


def test_a_control_plane_cluster_has_at_most_four_layers_and_no_aws_eks_v2_resources(
    layered: dict[str, Any],
) -> None:
    resources = layered["resources"]
    found = layers.layer_resources(resources)
    # Six items in the platform layer, two in the capacity layer, one in each other: still
    # one resource per layer.
    assert [layer.value for layer in Layer] == list(layers.LAYERS)
    assert set(found) == set(layers.LAYERS)
    assert len(resources_of(layered["template"], LAYER_TYPE)) == 4
    assert not [k for k, r in resources.items() if r["Type"].startswith("Custom::AWSCDK-EKS")]
    assert found == {
        "foundation": logical_id(layered, "Eks/Kubernetes/Foundation/Default/Default"),
        "capacity": logical_id(layered, "Eks/Kubernetes/Capacity/Default/Default"),
        "platform": logical_id(layered, "Eks/Kubernetes/Platform/Default/Default"),
        "workloads": logical_id(layered, "Eks/Kubernetes/Workloads/Default/Default"),
    }
    plane: ControlPlane = layered["plane"]
    assert delivery_of(plane.cluster) is plane.kubernetes
    assert can_deliver(plane.icluster)
    # Every item is an Applied construct where the aws_eks_v2 resource used to be.
    assert all(isinstance(i, Applied) and i.resource is None for i in layered["items"].values())
    assert layered["items"]["inner"].node.path == "Team/Group/Inner"


def test_items_render_their_id_type_and_properties(layered: dict[str, Any]) -> None:
    resources = layered["resources"]
    found = layers.items(resources)
    assert {k: (i.layer, i.type) for k, i in found.items()} == {
        "Apps/Namespace": ("foundation", "manifest"),
        "Apps/Pool": ("capacity", "manifest"),
        "Holder/Pool": ("capacity", "manifest"),
        "Apps/Chart": ("platform", "chart"),
        "Apps/PrivateChart": ("platform", "chart"),
        "Apps/Config": ("platform", "manifest"),
        "Apps/Second": ("platform", "manifest"),
        "Group/Inner": ("platform", "manifest"),
        "Apps/Patch": ("workloads", "patch"),
    }
    namespace_item = found["Apps/Namespace"].properties
    assert namespace_item == {
        "Id": "Apps/Namespace",
        "Type": "manifest",
        "Manifest": json.dumps([namespace("team-a")], separators=(",", ":")),
        "Overwrite": "false",
    }
    chart = dict(found["Apps/Chart"].properties)
    values = chart.pop("Values")
    assert chart == {
        "Id": "Apps/Chart",
        "Type": "chart",
        "Chart": "app",
        "Repository": "https://charts.example.com",
        "Version": "1.2.3",
        "Release": "app",
        "Namespace": "team-a",
        "CreateNamespace": "false",
        "Wait": "true",
        "Timeout": "600",
        "SkipCrds": "false",
    }
    # Values with a deploy-time value: JSON text as an Fn::Join, read by the one reader.
    assert "Fn::Join" in values
    (release,) = [r for r in helm_releases(resources) if r.item == "Apps/Chart"]
    assert release.values["replicas"] == 2
    assert release.key == (
        "",
        f"{layers.layer_resources(resources)['platform']}[Apps/Chart]",
    )
    assert found["Apps/Patch"].properties == {
        "Id": "Apps/Patch",
        "Type": "patch",
        "ResourceName": "deployment/app",
        "ResourceNamespace": "team-a",
        "ApplyPatch": '{"spec":{"replicas":3}}',
        "RestorePatch": '{"spec":{"replicas":2}}',
        "PatchType": "strategic",
    }
    objects = {(o.item, o.kind, o.name) for o in manifest_objects(resources)}
    assert ("Group/Inner", "ConfigMap", "inner") in objects
    assert describe_items([layered["items"]["ns"], layered["items"]["patch"]]) == [
        "foundation: Apps/Namespace (manifest)",
        "workloads: Apps/Patch (patch)",
    ]


def test_layers_name_what_the_other_layers_own(layered: dict[str, Any]) -> None:
    resources = layered["resources"]
    owned = {
        "foundation": {"object:/Namespace//team-a"},
        "capacity": {"object:karpenter.sh/NodePool//apps", "object:karpenter.sh/NodePool//held"},
        "platform": {
            "release:team-a/app",
            "release:team-a/private-app",
            "object:/ConfigMap/team-a/config",
            "object:/ConfigMap/team-a/second",
            "object:/ConfigMap/team-a/inner",
        },
        "workloads": {"patch:team-a/deployment/app"},
    }
    for layer, logical in layers.layer_resources(resources).items():
        elsewhere = resources[logical]["Properties"]["Elsewhere"]
        expected = set().union(*(v for k, v in owned.items() if k != layer))
        assert elsewhere == sorted(expected), layer


def test_layers_chain_and_wait_for_the_handlers_access(layered: dict[str, Any]) -> None:
    resources = layered["resources"]
    found = layers.layer_resources(resources)
    access = logical_id(layered, "Eks/Kubernetes/Provider/HandlerAccess")
    for logical in found.values():
        assert access in layers.depends_on(resources[logical])

    def layers_before(layer: str) -> set[str]:
        return set(layers.depends_on(resources[found[layer]])) & set(found.values())

    # Workloads -> Platform -> Capacity -> Foundation, each naming only the one before it.
    assert layers_before("foundation") == set()
    assert layers_before("capacity") == {found["foundation"]}
    assert layers_before("platform") == {found["capacity"]}
    assert layers_before("workloads") == {found["platform"]}


def test_what_an_item_needs_orders_it(layered: dict[str, Any]) -> None:
    resources = layered["resources"]
    found = layers.items(resources)
    # needs(item), node.add_dependency(item), and a dependency of the item's parent, on an
    # item of the same layer: After.
    assert found["Apps/Config"].after == ["Apps/Chart"]
    assert found["Apps/Second"].after == ["Apps/Config"]
    assert found["Group/Inner"].after == ["Apps/Second"]
    # Nothing else is ordered: no After, and the patch needs an item of an earlier layer
    # (the layers order it).
    for item in (
        "Apps/Namespace",
        "Apps/Pool",
        "Holder/Pool",
        "Apps/Chart",
        "Apps/PrivateChart",
        "Apps/Patch",
    ):
        assert found[item].after == [], item
    assert layers.follows(resources, "Apps/Patch", "Apps/Chart")
    # ...and on CloudFormation resources (directly, in a DependencyGroup, through the
    # parent): the layer's DependsOn.
    platform = layers.depends_on(resources[layers.layer_resources(resources)["platform"]])
    for name in ("QueueA", "QueueB", "QueueC", "QueueD"):
        assert name in platform, name
    for other in ("foundation", "capacity", "workloads"):
        depends = layers.depends_on(resources[layers.layer_resources(resources)[other]])
        assert not {"QueueA", "QueueB", "QueueC", "QueueD"} & set(depends), other


def test_depending_on_an_item_is_depending_on_its_layer(layered: dict[str, Any]) -> None:
    resources = layered["resources"]
    found = layers.layer_resources(resources)
    assert found["foundation"] in layers.depends_on(resources["Consumer"])
    downstream = logical_id(layered, "Downstream/Q")
    assert layers.depends_on(resources[downstream]) == [found["workloads"]]


def test_depending_on_a_construct_that_holds_items_waits_for_their_layers(
    layered: dict[str, Any],
) -> None:
    # CDK's meaning of a dependency on a construct: on everything inside it. `Apps` holds
    # items of all four layers (and no resource of its own): Watcher, which needs `Apps`,
    # waits for them, as it waited for aws_eks_v2's resources under `Apps` before the
    # layers.
    resources = layered["resources"]
    found = layers.layer_resources(resources)
    apps = layered["stack"].node.find_child("Apps")
    assert {i.layer.value for i in items_under(apps)} == set(found)
    missing = [x for x in found.values() if not layers.waits_for(resources, "Watcher", x)]
    assert not missing, (
        f"Watcher (DependsOn {layers.depends_on(resources['Watcher'])}) does not wait for {missing}"
    )


def test_needs_on_a_construct_holding_items_depends_on_their_layers(
    layered: dict[str, Any],
) -> None:
    # needs(AfterHolder, Holder): Holder holds a capacity item and a resource; AfterHolder
    # depends on both: on the resource (CDK's dependency on a construct) and on the layer
    # of the item (which holds no resource, so CDK alone would miss it), and on nothing
    # else of the layers.
    resources = layered["resources"]
    found = layers.layer_resources(resources)
    depends = set(layers.depends_on(resources["AfterHolder"]))
    assert depends == {found["capacity"], logical_id(layered, "Holder/Q")}, depends
    holder = layered["stack"].node.find_child("Holder")
    assert items_under(holder) == [layered["items"]["held"]]
    assert items_under(layered["items"]["held"]) == [layered["items"]["held"]]


# -- no cycles ---------------------------------------------------------------------------------


def test_the_cycle_check_finds_cycles_through_depends_on_and_references() -> None:
    # The check the next test relies on: a cycle through DependsOn, Ref, GetAtt and Sub is
    # found and named; the same graph without the closing edge has none.
    template: dict[str, Any] = {
        "Resources": {
            "Layer": {"Type": LAYER_TYPE, "DependsOn": ["Role"]},
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"Arn": {"Ref": "Queue"}}},
            "Queue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"Name": {"Fn::GetAtt": ["Topic", "TopicName"]}},
            },
            "Topic": {
                "Type": "AWS::SNS::Topic",
                "Properties": {"Name": {"Fn::Sub": "${Layer.Name}-${AWS::Region}"}},
            },
            "Other": {
                "Type": "AWS::SNS::Topic",
                "Properties": {"Name": {"Fn::Sub": ["${Layer}", {"Layer": "x"}]}},
            },
        }
    }
    graph = layers.dependency_graph(template)
    assert graph["Topic"] == {"Layer"} and graph["Other"] == set()
    assert layers.find_cycle(graph) == ["Layer", "Role", "Queue", "Topic", "Layer"]
    template["Resources"]["Topic"]["Properties"] = {}
    assert layers.find_cycle(layers.dependency_graph(template)) is None
    assert layers.find_cycle({"A": {"A"}}) == ["A", "A"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_no_layer_depends_on_itself_in_a_shipped_environment(
    synth: SynthResult, env: str
) -> None:
    # Layers depend on capacity, add-ons depend on the capacity layer, capacity on the
    # foundation layer (custom networking): no chain of DependsOn and references may lead
    # from a layer back to itself, nor any other resource of a stack to itself
    # (CloudFormation refuses the template; cfn-lint finds it too, this names the cycle).
    for kind, template in synth.templates[env].items():
        graph = layers.dependency_graph(template)
        cycle = layers.find_cycle(graph)
        assert cycle is None, f"{env}/{kind}: " + " -> ".join(cycle or [])
    cluster = synth.template(env, "cluster")
    graph = layers.dependency_graph(cluster)
    found = layers.layer_resources(cluster)
    assert set(found) == set(layers.LAYERS), found
    for layer, logical in found.items():
        seen: set[str] = set()
        todo = list(graph[logical])
        while todo:
            current = todo.pop()
            assert current != logical, f"{env}: the {layer} layer depends on itself"
            if current not in seen:
                seen.add(current)
                todo.extend(graph[current])
        # ...and it waits for every earlier layer, none of the later ones.
        position = layers.LAYERS.index(layer)
        assert {found[x] for x in layers.LAYERS[:position]} <= seen, layer
        assert not {found[x] for x in layers.LAYERS[position + 1 :]} & seen, layer


# -- the provider -----------------------------------------------------------------------------


def test_the_handler_function(layered: dict[str, Any]) -> None:
    resources = layered["resources"]
    handler = resources[logical_id(layered, "Eks/Kubernetes/Provider/Handler/Resource")]
    props = handler["Properties"]
    assert props["Runtime"] == "python3.13"
    assert props["Handler"] == "index.on_event"
    # kubectl and Helm come from the kubectl layer of the cluster's version.
    (layer_ref,) = props["Layers"]
    assert resources[layer_ref["Ref"]]["Type"] == "AWS::Lambda::LayerVersion"
    assert "kubectl 1.34" in resources[layer_ref["Ref"]]["Properties"]["Description"]
    # Up to 15 minutes of work, ending before the framework function's 15 minutes (so the
    # framework answers CloudFormation), which each layer waits for (ServiceTimeout).
    framework = resources[
        logical_id(layered, "Eks/Kubernetes/Provider/Framework/framework-onEvent/Resource")
    ]["Properties"]
    assert 14 * 60 <= props["Timeout"] < framework["Timeout"] == 15 * 60
    for logical in layers.layer_resources(resources).values():
        assert int(resources[logical]["Properties"]["ServiceTimeout"]) >= 15 * 60
    for function in (props, framework):
        # In the cluster's subnets that are not public, with the cluster security group: a
        # private endpoint answers there.
        vpc = function["VpcConfig"]
        subnets = sorted(s["Ref"] for s in vpc["SubnetIds"])
        assert len(subnets) == 3 and all(s.startswith("NetVpcPrivateSubnet") for s in subnets)
        (group,) = vpc["SecurityGroupIds"]
        assert group["Fn::GetAtt"][1] == "ClusterSecurityGroupId"
        assert group["Fn::GetAtt"][0] == logical_id(layered, "Eks/Cluster/Resource")
        # Its own log group, with a retention.
        log_group = resources[function["LoggingConfig"]["LogGroup"]["Ref"]]
        assert log_group["Type"] == "AWS::Logs::LogGroup"
        assert log_group["Properties"]["RetentionInDays"] > 0


def test_the_handler_is_a_cluster_administrator(layered: dict[str, Any]) -> None:
    resources = layered["resources"]
    entry = resources[logical_id(layered, "Eks/Kubernetes/Provider/HandlerAccess")]
    props = entry["Properties"]
    role = logical_id(layered, "Eks/Kubernetes/Provider/Handler/ServiceRole/Resource")
    assert props["PrincipalArn"] == {"Fn::GetAtt": [role, "Arn"]}
    assert props["ClusterName"] == {"Ref": logical_id(layered, "Eks/Cluster/Resource")}
    (policy,) = props["AccessPolicies"]
    assert policy["AccessScope"] == {"Type": "cluster"}
    assert json.dumps(policy["PolicyArn"]).endswith(
        ':eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"]]}'
    )
    # Every layer's custom resource goes through the framework.
    token = {
        "Fn::GetAtt": [
            logical_id(layered, "Eks/Kubernetes/Provider/Framework/framework-onEvent/Resource"),
            "Arn",
        ]
    }
    for logical in layers.layer_resources(resources).values():
        assert resources[logical]["Properties"]["ServiceToken"] == token


def test_the_handler_may_pull_the_private_ecr_charts_it_installs(
    layered: dict[str, Any],
) -> None:
    # Apps/PrivateChart: chart `private-app` of oci://<account>.dkr.ecr.../charts, which
    # Helm pulls as repository charts/private-app (the handler's chart reference).
    resources = layered["resources"]
    role = logical_id(layered, "Eks/Kubernetes/Provider/Handler/ServiceRole/Resource")
    statements = [
        s
        for r in resources.values()
        if r["Type"] == "AWS::IAM::Policy" and {"Ref": role} in r["Properties"].get("Roles", [])
        for s in r["Properties"]["PolicyDocument"]["Statement"]
    ]
    pulls = [s for s in statements if "ecr:BatchGetImage" in json.dumps(s["Action"])]
    assert pulls, statements
    granted = {
        "".join(p if isinstance(p, str) else "aws" for p in s["Resource"]["Fn::Join"][1])
        if isinstance(s["Resource"], dict)
        else s["Resource"]
        for s in pulls
    }
    assert "arn:aws:ecr:eu-west-1:123456789012:repository/charts/private-app" in granted, granted


# -- refusals ---------------------------------------------------------------------------------


def _two_layers() -> tuple[cdk.App, cdk.Stack, Applied, Applied]:
    app, stack, plane = new_cluster()
    early = apply_manifest(
        stack, "Early", plane.icluster, [namespace("early")], layer=Layer.FOUNDATION
    )
    late = apply_manifest(stack, "Late", plane.icluster, [config_map("late")], layer=Layer.PLATFORM)
    return app, stack, early, late


def test_an_item_cannot_need_an_item_of_a_later_layer() -> None:
    _, _, early, late = _two_layers()
    with pytest.raises(PropError) as caught:
        early.needs(late)
    message = str(caught.value)
    assert message.startswith("Team/Early: needs = 'Team/Late': ")
    assert "platform layer" in message and "foundation layer" in message
    assert "layer=Layer.PLATFORM" in message


def test_node_dependency_on_an_item_of_a_later_layer_is_refused_at_synth() -> None:
    app, _, early, late = _two_layers()
    early.node.add_dependency(late)
    with pytest.raises(Exception, match=r"Team/Early: needs = 'Team/Late'"):
        app.synth()


def test_an_item_in_another_stack_is_refused_with_the_stacks() -> None:
    app, _, plane = new_cluster()
    other = cdk.Stack(app, "Other", env=TEST_ENV)
    with pytest.raises(PropError) as caught:
        apply_manifest(other, "Objects", plane.icluster, [namespace("x")], layer=Layer.PLATFORM)
    message = str(caught.value)
    assert message.startswith("Other/Objects: scope = 'Other': ")
    assert "in stack Team" in message


def test_a_cluster_has_one_kubernetes_delivery() -> None:
    _, stack, plane = new_cluster()
    with pytest.raises(
        PropError,
        match=r"^Team/Again: cluster = 'Team/Eks/Cluster': .*"
        r"Team/Eks/Kubernetes; a cluster has one KubernetesDelivery: use that one",
    ):
        KubernetesDelivery(
            stack,
            "Again",
            cluster=plane.icluster,
            kubectl_layer=lambda_.LayerVersion.from_layer_version_arn(
                stack, "Layer", "arn:aws:lambda:eu-west-1:123456789012:layer:kubectl:1"
            ),
        )


def test_control_plane_add_manifest_and_add_helm_chart_are_layer_items() -> None:
    """ControlPlane's own add_manifest / add_helm_chart stand in for aws_eks_v2's (which
    fail on a ControlPlane cluster: it has no aws_eks_v2 kubectl provider)."""
    app, stack, plane = new_cluster()
    team = plane.add_manifest("TeamNamespace", namespace("team"), layer=Layer.FOUNDATION)
    chart = plane.add_helm_chart(
        "Podinfo", chart="podinfo", repository="https://stefanprodan.github.io/podinfo",
        version="6.9.2", release="podinfo", namespace="team", create_namespace=False,
    )
    chart.needs(team)
    assert (team.layer, chart.layer) == (Layer.FOUNDATION, Layer.PLATFORM)
    resources = app.synth().get_stack_by_name(stack.stack_name).template["Resources"]
    items = {
        item["Id"]: (resource["Properties"]["Layer"], item)
        for resource in resources.values()
        if resource["Type"] == "Custom::EksBlueprint-KubernetesLayer"
        for item in resource["Properties"]["Items"]
    }
    assert items["Eks/TeamNamespace"][0] == "foundation"
    layer, podinfo = items["Eks/Podinfo"]
    assert (layer, podinfo["Chart"], podinfo["Version"]) == ("platform", "podinfo", "6.9.2")
    assert "After" not in podinfo  # an earlier layer: ordered by the layers


def test_kubectl_layer_for_the_same_scope_twice_is_one_layer() -> None:
    from eks_blueprint import kubectl_layer_for

    stack = cdk.Stack(cdk.App(), "Layers", env=TEST_ENV)
    first = kubectl_layer_for(stack, "1.34")
    assert kubectl_layer_for(stack, "1.34") is first
    with pytest.raises(ValueError, match=r"Layers/KubectlLayer exists and is not the kubectl "
                                         r"layer of Kubernetes 1\.35"):
        kubectl_layer_for(stack, "1.35")


# -- a cluster with aws_eks_v2's kubectl provider --------------------------------------------


def _legacy_app(build: Any) -> dict[str, Any]:
    """Stack `Platform` with an eks.Cluster that has aws_eks_v2's kubectl provider, and what
    `build(scope, cluster)` adds under construct `Apps`."""
    app = cdk.App()
    stack = cdk.Stack(app, "Platform", env=TEST_ENV)
    cluster = eks.Cluster(
        stack,
        "Cluster",
        version=eks.KubernetesVersion.V1_34,
        default_capacity_type=eks.DefaultCapacityType.NODEGROUP,
        default_capacity=0,
        kubectl_provider_options=eks.KubectlProviderOptions(
            kubectl_layer=kubectl_layer_for(stack, "1.34")
        ),
    )
    built = build(Construct(stack, "Apps"), cluster, stack)
    return {
        "resources": Template.from_stack(stack).to_json()["Resources"],
        "built": built,
        "cluster": cluster,
    }


def _ours(apps: Construct, cluster: eks.ICluster, stack: cdk.Stack) -> dict[str, Any]:
    manifest = apply_manifest(
        apps, "Manifest", cluster, [config_map("cfg")], layer=Layer.PLATFORM, overwrite=True
    )
    chart = app_chart(apps, cluster, values={"replicas": 2})
    patch = app_patch(apps, cluster)
    manifest.needs(queue(stack, "Before"))
    queue(stack, "After").node.add_dependency(chart)
    needs(queue(stack, "AfterApps"), apps)
    return {"manifest": manifest, "chart": chart, "patch": patch}


def _theirs(apps: Construct, cluster: eks.ICluster, stack: cdk.Stack) -> None:
    eks.KubernetesManifest(
        apps,
        "Manifest",
        cluster=cluster,
        manifest=[config_map("cfg")],
        prune=True,
        overwrite=True,
    )
    eks.HelmChart(
        apps,
        "Chart",
        cluster=cluster,
        chart="app",
        repository="https://charts.example.com",
        version="1.2.3",
        release="app",
        namespace="team-a",
        values={"replicas": 2},
        create_namespace=True,
        wait=True,
    )
    eks.KubernetesPatch(
        apps,
        "Patch",
        cluster=cluster,
        resource_name="deployment/app",
        resource_namespace="team-a",
        apply_patch={"spec": {"replicas": 3}},
        restore_patch={"spec": {"replicas": 2}},
    )


@pytest.fixture(scope="module")
def legacy() -> dict[str, Any]:
    return {"ours": _legacy_app(_ours), "theirs": _legacy_app(_theirs)}


def _aws_eks_v2(resources: dict[str, Any]) -> dict[str, Any]:
    return {
        k: {key: value for key, value in r.items() if key != "DependsOn"}
        for k, r in resources.items()
        if r["Type"] in (MANIFEST_TYPE, HELM_TYPE, PATCH_TYPE)
    }


def test_without_layers_the_aws_eks_v2_resources_keep_their_ids_and_properties(
    legacy: dict[str, Any],
) -> None:
    ours, theirs = legacy["ours"]["resources"], legacy["theirs"]["resources"]
    assert not resources_of({"Resources": ours}, LAYER_TYPE)
    mine = _aws_eks_v2(ours)
    # The same logical ids as aws_eks_v2's constructs at Apps/<id> (the resource is child
    # `Default` of the item), and the same properties.
    assert sorted(r["Type"] for r in mine.values()) == sorted(
        [MANIFEST_TYPE, HELM_TYPE, PATCH_TYPE]
    )
    assert mine == _aws_eks_v2(theirs)
    assert {k[:-8] for k in mine} == {"AppsManifest", "AppsChart", "AppsPatch"}
    built = legacy["ours"]["built"]
    assert all(isinstance(i.resource, Construct) for i in built.values())
    assert built["manifest"].resource.node.id == "Default"


def test_without_layers_dependencies_stay_on_the_aws_eks_v2_resources(
    legacy: dict[str, Any],
) -> None:
    resources = legacy["ours"]["resources"]
    (manifest,) = [k for k, r in resources.items() if r["Type"] == MANIFEST_TYPE]
    (chart,) = [k for k, r in resources.items() if r["Type"] == HELM_TYPE]
    assert "Before" in layers.depends_on(resources[manifest])
    assert chart in layers.depends_on(resources["After"])
    # needs() on a construct holding items: CDK's own dependency on what is inside it.
    created = {
        k for k, r in resources.items() if r["Type"] in (MANIFEST_TYPE, HELM_TYPE, PATCH_TYPE)
    }
    assert len(created) == 3
    assert created <= set(layers.depends_on(resources["AfterApps"]))
    assert items_under(legacy["ours"]["built"]["manifest"]) == []
    cluster = legacy["ours"]["cluster"]
    assert delivery_of(cluster) is None and can_deliver(cluster)


# -- EKS access policy associations -----------------------------------------------------------

ARGO_ROLE = "arn:aws:iam::123456789012:role/argocd-capability"
ACCESS_POLICY = "arn:aws:eks::aws:cluster-access-policy/"
ADMIN_POLICY = ACCESS_POLICY + "AmazonEKSClusterAdminPolicy"
VIEW_POLICY = ACCESS_POLICY + "AmazonEKSViewPolicy"


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def _handler_statements(resources: dict[str, Any], role: str) -> list[dict[str, Any]]:
    return [
        s
        for r in resources.values()
        if r["Type"] == "AWS::IAM::Policy" and {"Ref": role} in r["Properties"].get("Roles", [])
        for s in r["Properties"]["PolicyDocument"]["Statement"]
    ]


@pytest.fixture(scope="module")
def access_policies() -> dict[str, Any]:
    """A ControlPlane cluster, synthesised with the compliance packs, whose platform layer
    associates access policies with the entries something else creates:

    - ``Argo/Admin``: AmazonEKSClusterAdminPolicy, cluster scope, for the role of a
      capability (``Argo/Capability`` stands in for the resource that creates its entry);
    - ``Argo/View``: AmazonEKSViewPolicy in two namespaces, after ``Argo/Namespace``;
    - ``Kro/Admin``: AmazonEKSClusterAdminPolicy again, for a role of this stack;
    - ``Apps/Uses`` (workloads) needs ``Argo/Admin``.
    """
    app, stack, plane = new_cluster()
    add_compliance_packs(app)
    cluster = plane.icluster
    argo = Construct(stack, "Argo")
    capability = queue(argo, "Capability")
    ns = apply_manifest(argo, "Namespace", cluster, [namespace("team-a")], layer=Layer.PLATFORM)
    admin = associate_access_policy(
        argo, "Admin", cluster, layer=Layer.PLATFORM, principal_arn=ARGO_ROLE,
        policy_arn=ADMIN_POLICY,
    )
    admin.needs(capability)
    view = associate_access_policy(
        argo, "View", cluster, layer=Layer.PLATFORM, principal_arn=ARGO_ROLE,
        policy_arn=VIEW_POLICY, access_scope="namespace", namespaces=["team-a", "dev-*"],
    )
    view.needs(ns)
    kro_role = iam.Role(
        stack, "KroRole", assumed_by=iam.ServicePrincipal("capabilities.eks.amazonaws.com")
    )
    kro = associate_access_policy(
        stack, "Kro", cluster, layer=Layer.PLATFORM, principal_arn=kro_role.role_arn,
        policy_arn=ADMIN_POLICY,
    )
    uses = apply_manifest(
        Construct(stack, "Apps"), "Uses", cluster, [config_map("uses")], layer=Layer.WORKLOADS
    )
    uses.needs(admin)
    # The packs run here: an unacknowledged finding fails the synth.
    template = app.synth().get_stack_by_name(stack.stack_name).template
    return {
        "resources": template["Resources"],
        "template": template,
        "stack": stack,
        "plane": plane,
        "items": {"admin": admin, "view": view, "kro": kro, "uses": uses},
        "kro_role": stack.get_logical_id(kro_role.node.default_child),  # type: ignore[arg-type]
    }


def test_an_access_policy_is_an_item_of_its_layer(access_policies: dict[str, Any]) -> None:
    resources = access_policies["resources"]
    found = layers.items(resources)
    assert {k: (i.layer, i.type) for k, i in found.items()} == {
        "Argo/Namespace": ("platform", "manifest"),
        "Argo/Admin": ("platform", "access-policy"),
        "Argo/View": ("platform", "access-policy"),
        "Kro": ("platform", "access-policy"),
        "Apps/Uses": ("workloads", "manifest"),
    }
    assert found["Argo/Admin"].properties == {
        "Id": "Argo/Admin",
        "Type": "access-policy",
        "PrincipalArn": ARGO_ROLE,
        "PolicyArn": ADMIN_POLICY,
        "AccessScope": "cluster",
    }
    assert found["Argo/View"].properties == {
        "Id": "Argo/View",
        "Type": "access-policy",
        "PrincipalArn": ARGO_ROLE,
        "PolicyArn": VIEW_POLICY,
        "AccessScope": "namespace",
        "Namespaces": ["team-a", "dev-*"],
        "After": ["Argo/Namespace"],
    }
    # A role of the stack: its ARN at deploy time.
    assert found["Kro"].properties["PrincipalArn"] == {
        "Fn::GetAtt": [access_policies["kro_role"], "Arn"]
    }
    admin: Applied = access_policies["items"]["admin"]
    assert (admin.kind, admin.layer, admin.resource) == ("access-policy", Layer.PLATFORM, None)
    assert admin.identities == [f"access-policy:{ARGO_ROLE}|{ADMIN_POLICY}"]
    assert describe_items([admin]) == ["platform: Argo/Admin (access-policy)"]
    # The other layers know the association is owned elsewhere.
    workloads = resources[layers.layer_resources(resources)["workloads"]]
    assert f"access-policy:{ARGO_ROLE}|{VIEW_POLICY}" in workloads["Properties"]["Elsewhere"]


def test_an_access_policy_is_ordered_like_any_item(access_policies: dict[str, Any]) -> None:
    resources = access_policies["resources"]
    found = layers.items(resources)
    # needs() a resource: the layer waits for it (the entry exists before the association).
    platform = layers.layer_resources(resources)["platform"]
    assert "ArgoCapability" in "".join(layers.depends_on(resources[platform]))
    # needs() an item of its layer: After; an item of a later layer needing it: the layers.
    assert found["Argo/Admin"].after == []
    assert found["Argo/View"].after == ["Argo/Namespace"]
    assert found["Apps/Uses"].after == []
    assert layers.follows(resources, "Apps/Uses", "Argo/Admin")


def test_the_handler_may_associate_exactly_the_policies_the_items_name(
    access_policies: dict[str, Any],
) -> None:
    resources = access_policies["resources"]
    stack: cdk.Stack = access_policies["stack"]
    plane: ControlPlane = access_policies["plane"]
    role = stack.get_logical_id(
        plane.kubernetes.provider.role.node.default_child  # type: ignore[arg-type]
    )
    statements = [
        s
        for s in _handler_statements(resources, role)
        if any(str(a).startswith("eks:") for a in _actions(s))
    ]
    cluster = stack.get_logical_id(plane.cluster.node.default_child)  # type: ignore[arg-type]
    entries = {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":eks:eu-west-1:123456789012:access-entry/",
                {"Ref": cluster},
                "/*",
            ],
        ]
    }
    # One statement per policy (AmazonEKSClusterAdminPolicy twice is one), on this
    # cluster's access entries, for that policy only (eks:policyArn is an ARN key); and
    # disassociation of any policy there, which every layered cluster has (provider).
    assert sorted(statements, key=json.dumps) == sorted(
        [
            *(
                {
                    "Action": "eks:AssociateAccessPolicy",
                    "Condition": {"ArnEquals": {"eks:policyArn": policy}},
                    "Effect": "Allow",
                    "Resource": entries,
                }
                for policy in (ADMIN_POLICY, VIEW_POLICY)
            ),
            {"Action": "eks:DisassociateAccessPolicy", "Effect": "Allow", "Resource": entries},
        ],
        key=json.dumps,
    )


def test_the_access_entry_wildcard_is_acknowledged(access_policies: dict[str, Any]) -> None:
    stack: cdk.Stack = access_policies["stack"]
    plane: ControlPlane = access_policies["plane"]
    cluster = stack.get_logical_id(plane.cluster.node.default_child)  # type: ignore[arg-type]
    acknowledged = {
        rule: reason
        for entry in plane.kubernetes.provider.role.node.metadata
        if entry.type == "aws:cdk:acknowledged-rules"
        for rule, reason in dict(entry.data).items()
    }
    rule = (
        "AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:eks:eu-west-1:"
        f"123456789012:access-entry/<{cluster}>/*]"
    )
    assert "eks:policyArn condition" in acknowledged[rule]
    # Once, however many policies (the fixture synthesised with the packs: it passed).
    assert len([r for r in acknowledged if "access-entry" in r]) == 1


def test_a_layered_cluster_without_access_policies_may_only_disassociate(
    layered: dict[str, Any],
) -> None:
    """Disassociation is granted up front: an update that removes the last item of a
    policy runs after CloudFormation has updated the handler's policy (provider)."""
    resources = layered["resources"]
    role = logical_id(layered, "Eks/Kubernetes/Provider/Handler/ServiceRole/Resource")
    eks_statements = [
        s
        for s in _handler_statements(resources, role)
        if any(str(a).startswith("eks:") for a in _actions(s))
    ]
    assert [(_actions(s), s.get("Condition")) for s in eks_statements] == [
        (["eks:DisassociateAccessPolicy"], None)
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"access_scope": "namespaces", "namespaces": ["team-a"]},
            "Team/Argo/Admin: access_scope = 'namespaces': use 'cluster' or 'namespace'",
        ),
        (
            {"namespaces": ["team-a"]},
            "Team/Argo/Admin: namespaces = ['team-a']: give namespaces exactly when "
            "access_scope is 'namespace'",
        ),
        (
            {"access_scope": "namespace"},
            "Team/Argo/Admin: namespaces = []: give namespaces exactly when access_scope is "
            "'namespace'",
        ),
    ],
)
def test_a_bad_access_scope_is_refused(options: dict[str, Any], message: str) -> None:
    _, stack, plane = new_cluster()
    with pytest.raises(PropError) as caught:
        associate_access_policy(
            Construct(stack, "Argo"), "Admin", plane.icluster, layer=Layer.PLATFORM,
            principal_arn=ARGO_ROLE, policy_arn=ADMIN_POLICY, **options,
        )
    assert str(caught.value) == message
    # Nothing was granted or added.
    assert not plane.kubernetes.provider._access_policies
    assert plane.kubernetes.items() == []


def test_an_access_policy_needs_a_layered_cluster() -> None:
    def build(apps: Construct, cluster: eks.ICluster, stack: cdk.Stack) -> PropError:
        with pytest.raises(PropError) as caught:
            associate_access_policy(
                apps, "Admin", cluster, layer=Layer.PLATFORM, principal_arn=ARGO_ROLE,
                policy_arn=ADMIN_POLICY,
            )
        return caught.value

    built = _legacy_app(build)
    error: PropError = built["built"]
    assert (error.path, error.prop, error.value) == (
        "Platform/Apps/Admin",
        "cluster",
        "Platform/Cluster",
    )
    assert "applied by the cluster's Kubernetes layers" in error.problem
    assert "ControlPlane (kubectl_provider=True)" in error.problem
    assert "KubernetesDelivery" in error.problem
    assert "eks:AssociateAccessPolicy" not in json.dumps(built["resources"])
