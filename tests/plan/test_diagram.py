"""`plan diagram`: what each environment's picture holds, highlighting, escaping, and that
the Mermaid parses (with the real Mermaid parser, see tests/plan/mermaid_check.py)."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest

from eks_blueprint.plan import PlanInputs
from eks_blueprint.plan.cli import EXIT_CLEAR, main
from eks_blueprint.plan.diagram import (
    changes_from_review,
    escape_label,
    mermaid_diagram,
    mermaid_id,
    plan_diagram,
)
from eks_blueprint.plan.diagram.model import Group, Node, Picture, mark, merge_base, render
from eks_blueprint.review.model import Report, ResourceChange, StackDiff
from eks_blueprint.template import StackTemplate, applied_by, layer_items
from stacks.app_builder import CONFIG_DIR

from .mermaid_check import classes, mermaid_errors, undeclared_ids

ENVS = ("dev", "staging", "prod")
GetInputs = Callable[[str], PlanInputs]


def _stack(inputs: PlanInputs, suffix: str) -> StackTemplate:
    return next(s for s in inputs.stacks if s.name.endswith(suffix))


def _lid(inputs: PlanInputs, suffix: str, resource_type: str, prefix: str = "") -> str:
    """The logical id of the one resource of `resource_type` whose id starts with `prefix`."""
    found = [
        lid
        for lid, r in _stack(inputs, suffix).resources.items()
        if r.get("Type") == resource_type and lid.startswith(prefix)
    ]
    assert len(found) == 1, found
    return found[0]


def _item_key(inputs: PlanInputs, suffix: str, item_id: str) -> str:
    """How a change names one layer item: ``<layer's logical id>[<item id>]``."""
    (item,) = [i for i in layer_items(_stack(inputs, suffix).resources) if i.id == item_id]
    return applied_by(item.logical_id, item.id)


def _layer_item(resources: dict[str, Any], item_id: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(the Items list of its layer, the item) of the layer item `item_id` in `resources`."""
    found = [
        (r["Properties"]["Items"], item)
        for r in resources.values()
        if r.get("Type") == "Custom::EksBlueprint-KubernetesLayer"
        for item in r["Properties"]["Items"]
        if item["Id"] == item_id
    ]
    assert len(found) == 1, item_id
    return found[0]


def _edit(inputs: PlanInputs, suffix: str, edit: Callable[[dict[str, Any]], None]) -> PlanInputs:
    """`inputs` with one stack's template deep-copied and edited."""
    stacks = []
    for stack in inputs.stacks:
        if stack.name.endswith(suffix):
            template = copy.deepcopy(stack.template)
            edit(template["Resources"])
            stack = dataclasses.replace(stack, template=template)
        stacks.append(stack)
    return dataclasses.replace(inputs, stacks=tuple(stacks))


def _nodes(report: Any) -> dict[str, dict[str, Any]]:
    return {n["id"]: n for n in report.data["nodes"]}


def _text(node: dict[str, Any]) -> str:
    return " | ".join([node["title"], *node["lines"]])


@pytest.mark.parametrize("env", ENVS)
def test_every_environment_draws(plan_inputs: GetInputs, env: str) -> None:
    inputs = plan_inputs(env)
    report = plan_diagram(inputs)
    text = report.data["mermaid"]
    assert report.kind == "diagram" and not report.blocked
    assert text.startswith("flowchart TB\n")
    assert ("Diagram", f"```mermaid\n{text}```") in report.sections
    json.dumps(report.to_json())  # JSON-ready
    titles = {g["title"] for g in report.data["groups"]}
    assert titles >= {f"Stack {env}-eks-network", f"Stack {env}-eks-cluster"}
    assert undeclared_ids(text) == set()
    # No legend and no highlight without a change to show.
    assert "legend" not in text and "classDef" not in text
    # The same inputs draw the same text (ids and order are stable).
    assert mermaid_diagram(inputs) == text


def test_prod_draws_its_zones_capacity_tenants_and_addons(plan_inputs: GetInputs) -> None:
    inputs = plan_inputs("prod")
    report = plan_diagram(inputs)
    nodes = _nodes(report)
    # Every subnet, in its zone's subgraph, with its CIDR.
    subnets = list(inputs.properties("AWS::EC2::Subnet"))
    assert len(subnets) == 12
    zone_titles = {}

    def walk(groups: list[dict[str, Any]]) -> None:
        for g in groups:
            zone_titles[g["id"]] = g["title"]
            walk(g["groups"])

    walk(report.data["groups"])
    for _, lid, props in subnets:
        node = nodes[mermaid_id("sn", lid)]
        assert props["CidrBlock"] in node["lines"][0]
        assert zone_titles[node["groups"][-1]] == props["AvailabilityZone"]
    assert {
        zone_titles[n["groups"][-1]] for n in nodes.values() if n["kind"].startswith("subnet")
    } == {
        "eu-west-1a",
        "eu-west-1b",
        "eu-west-1c",
    }
    kinds = [n["kind"] for n in nodes.values()]
    assert kinds.count("subnet-public") == kinds.count("subnet-private") == 3
    assert kinds.count("nat") == 3
    endpoints = next(n for n in nodes.values() if n["kind"] == "endpoints")
    for service in ("ecr.api", "ecr.dkr", "sts", "eks-auth", "s3 (gateway)"):
        assert service in _text(endpoints)
    # A NAT gateway per zone, and each private subnet routes to the one in its own zone.
    nat_edges = [e for e in report.data["edges"] if e["target"].startswith("nat_")]
    assert len(nat_edges) == 3
    for edge in nat_edges:
        assert nodes[edge["source"]]["groups"] == nodes[edge["target"]]["groups"]

    cluster = next(n for n in nodes.values() if n["kind"] == "cluster")
    assert _text(cluster) == "EKS cluster shop-prod | Kubernetes 1.34 | endpoint private only"
    system = nodes[mermaid_id("ng", _lid(inputs, "-cluster", "AWS::EKS::Nodegroup"))]
    assert system["title"] == "Node group system"
    assert "m7g.xlarge · on-demand" in system["lines"]
    assert "min 3 · desired 3 · max 6" in system["lines"]
    pools = {n["title"]: n for n in nodes.values() if n["kind"] == "nodepool"}
    # + payments' dedicated pool: its quota (64 vCPUs, 256Gi) + 25 % headroom = 80 vCPUs and
    # 320 x 1024 Mi
    assert set(pools) == {"NodePool on-demand", "NodePool spot", "NodePool tenant-payments"}
    assert "limits cpu 80 · memory 327680Mi" in pools["NodePool tenant-payments"]["lines"]
    assert "spot · arm64, amd64" in pools["NodePool spot"]["lines"]
    assert "limits cpu 400 · memory 1600Gi" in pools["NodePool spot"]["lines"]
    assert "weight 50" in pools["NodePool spot"]["lines"]
    node_class = next(n for n in nodes.values() if n["kind"] == "ec2nodeclass")
    assert "AMI al2023@v20251112" in node_class["lines"]
    pool_edges = {(e["source"], e["target"]) for e in report.data["edges"]}
    assert all((pool, node_class["id"]) in pool_edges for pool in (p["id"] for p in pools.values()))

    tenant = next(n for n in nodes.values() if n["kind"] == "tenant")
    assert tenant["title"] == "Tenant payments"
    assert "quota cpu 64 · memory 256Gi · pods 300" in tenant["lines"]
    addons = next(n for n in nodes.values() if n["kind"] == "eks-addons")
    for _, _, props in inputs.properties("AWS::EKS::Addon"):
        assert f"{props['AddonName']} {props['AddonVersion']}" in addons["lines"]
    helm = next(n for n in nodes.values() if n["kind"] == "helm-charts")
    assert "karpenter 1.8.1 · kube-system" in helm["lines"]
    # The controller is installed, but no manifest asks for a load balancer: "none".
    assert any(n["kind"] == "lb-controller" for n in nodes.values())
    balancers = [n for n in nodes.values() if n["kind"] == "load-balancer"]
    assert [b["title"] for b in balancers] == ["Load balancers: none"]
    guardduty = next(n for n in nodes.values() if n["kind"] == "guardduty")
    assert "EKS audit logs" in guardduty["lines"]
    ecr = next(n for n in nodes.values() if n["kind"] == "ecr")
    assert ecr["lines"][0].startswith("shop/api")
    kms = [n for n in nodes.values() if n["kind"] == "kms"]
    assert sum(len(n["lines"]) for n in kms) == len(list(inputs.resources("AWS::KMS::Key")))
    # The cluster points at the VPC its control plane sits in; GuardDuty at the cluster.
    vpc = next(g for g in report.data["groups"][0]["groups"] if g["kind"] == "vpc")
    assert (cluster["id"], vpc["id"]) in pool_edges
    assert (guardduty["id"], cluster["id"]) in pool_edges


def test_dev_and_staging_draw_their_load_balancers_and_fargate(plan_inputs: GetInputs) -> None:
    dev = _nodes(plan_diagram(plan_inputs("dev")))
    [alb] = [n for n in dev.values() if n["kind"] == "load-balancer"]
    assert alb["title"] == "ALB internet-facing"
    assert "Ingress demo/demo-nodejs-backend" in alb["lines"]
    assert "inbound 203.0.113.0/24" in alb["lines"]
    # dev has one NAT gateway: every private subnet routes to it, across zones.
    assert sum(1 for n in dev.values() if n["kind"] == "nat") == 1

    staging_report = plan_diagram(plan_inputs("staging"))
    staging = _nodes(staging_report)
    [alb] = [n for n in staging.values() if n["kind"] == "load-balancer"]
    assert alb["title"] == "ALB internal"
    assert "HTTPS with an ACM certificate" in alb["lines"]
    profiles = {n["id"]: n for n in staging.values() if n["kind"] == "fargate-profile"}
    assert {n["title"] for n in profiles.values()} == {
        "Fargate profile TenantBatch",  # tenant-batch: batch has isolation: fargate
        "Fargate profile Coredns",
        "Fargate profile Karpenter",
    }
    assert any("k8s-app=kube-dns" in line for n in profiles.values() for line in n["lines"])
    tenants = {n["title"]: n["id"] for n in staging.values() if n["kind"] == "tenant"}
    assert set(tenants) == {"Tenant batch", "Tenant payments"}
    runs = [e for e in staging_report.data["edges"] if e["text"] == "runs"]
    assert [(staging[e["source"]]["title"], e["target"]) for e in runs] == [
        ("Fargate profile TenantBatch", tenants["Tenant batch"])
    ]


def test_dev_draws_its_image_pipeline(plan_inputs: GetInputs) -> None:
    inputs = plan_inputs("dev")
    report = plan_diagram(inputs)
    nodes = _nodes(report)
    [pipeline] = [n for n in nodes.values() if n["kind"] == "pipeline"]
    pipeline_lid = _lid(inputs, "-delivery", "AWS::CodePipeline::Pipeline")
    stages = [
        s["Name"]
        for s in _stack(inputs, "-delivery").resources[pipeline_lid]["Properties"]["Stages"]
    ]
    assert pipeline["lines"][0] == " → ".join(stages)
    assert any(line.startswith("deploys to EKS, namespace ") for line in pipeline["lines"])
    # Its CodeBuild projects are part of it, not "other resources".
    projects = [
        lid
        for lid, r in _stack(inputs, "-delivery").resources.items()
        if r["Type"] == "AWS::CodeBuild::Project"
    ]
    assert projects and all(
        [_stack(inputs, "-delivery").name, p] in pipeline["resources"] for p in projects
    )
    assert not any(
        "CodeBuild" in line for n in nodes.values() if n["kind"] == "other" for line in n["lines"]
    )
    edges = {(e["source"], e["text"]): e["target"] for e in report.data["edges"]}
    assert nodes[edges[(pipeline["id"], "deploys")]]["kind"] == "cluster"
    assert nodes[edges[(pipeline["id"], "pushes images")]]["kind"] == "ecr"
    ecr = next(n for n in nodes.values() if n["kind"] == "ecr")
    assert any(line.startswith("signing profile ") for line in ecr["lines"])


def test_changes_mark_the_right_nodes_with_the_right_class(plan_inputs: GetInputs) -> None:
    inputs = plan_inputs("prod")
    cluster_stack = _stack(inputs, "-cluster").name
    network_stack = _stack(inputs, "-network").name
    node_group = _lid(inputs, "-cluster", "AWS::EKS::Nodegroup")
    spot = _item_key(inputs, "-cluster", "Karpenter/NodePoolSpot")
    tenant = _item_key(inputs, "-cluster", "Tenants/Payments")
    coredns = _lid(inputs, "-cluster", "AWS::EKS::Addon", "AddonsCoreDns")
    endpoint = _lid(inputs, "-network", "AWS::EC2::VPCEndpoint", "NetworkVpcEksEndpoint")
    role = _lid(inputs, "-cluster", "AWS::IAM::Role", "NodeGroupsNodeRole")
    changes = {
        (cluster_stack, node_group): "replace",
        (cluster_stack, spot): "add",
        (cluster_stack, tenant): "remove",
        (cluster_stack, coredns): "remove",
        (network_stack, endpoint): "add",
        (cluster_stack, role): "replace",
    }
    report = plan_diagram(inputs, changes=changes)  # type: ignore[arg-type]
    text = report.data["mermaid"]
    marked = classes(text)
    nodes = _nodes(report)
    spot_id = next(i for i, n in nodes.items() if n["title"] == "NodePool spot")
    on_demand_id = next(i for i, n in nodes.items() if n["title"] == "NodePool on-demand")
    tenant_id = next(i for i, n in nodes.items() if n["kind"] == "tenant")
    addons_id = next(i for i, n in nodes.items() if n["kind"] == "eks-addons")
    endpoints_id = next(i for i, n in nodes.items() if n["kind"] == "endpoints")
    assert marked["replaced"] == {mermaid_id("ng", node_group), "legend_replaced"}
    assert marked["added"] == {spot_id, "legend_added"}
    assert marked["removed"] == {tenant_id, "legend_removed"}
    # Nodes that stay but gain or lose a listed item are "changed"; the item says what.
    assert marked["changed"] == {addons_id, endpoints_id, "legend_changed"}
    assert on_demand_id not in set().union(*marked.values())
    assert any(
        line.startswith("coredns ") and line.endswith("(removed)")
        for line in nodes[addons_id]["lines"]
    )
    assert any("eks (added)" in line for line in nodes[endpoints_id]["lines"])
    assert "classDef removed" in text and "stroke-dasharray" in text
    assert 'subgraph legend["Legend"]' in text
    # The IAM role is not drawn: the report lists it instead of dropping it silently.
    assert report.data["not_drawn"] == [
        {"stack": cluster_stack, "logical_id": role, "action": "replace"}
    ]
    assert "Changes not on the diagram" in report.to_markdown()
    assert report.data["highlighted"]["replaced"] == [mermaid_id("ng", node_group)]
    assert undeclared_ids(text) == set()


def test_changes_are_checked(plan_inputs: GetInputs) -> None:
    inputs = plan_inputs("dev")
    with pytest.raises(ValueError, match=r"use one of add, replace, remove"):
        plan_diagram(inputs, changes={("dev-eks-cluster", "X"): "modify"})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match=r"\(stack name, logical id\) tuple"):
        plan_diagram(inputs, changes={"dev-eks-cluster/X": "add"})  # type: ignore[dict-item]


def _legacy_pool(resources: dict[str, Any]) -> None:
    """A NodePool 'legacy' (item Karpenter/NodePoolLegacy) that BASE had and HEAD dropped."""
    items, spot = _layer_item(resources, "Karpenter/NodePoolSpot")
    legacy = copy.deepcopy(spot)
    legacy["Id"] = "Karpenter/NodePoolLegacy"
    legacy["Manifest"] = legacy["Manifest"].replace('"name":"spot"', '"name":"legacy"')
    items.append(legacy)


def test_base_only_nodes_are_drawn_as_removed(plan_inputs: GetInputs) -> None:
    head = plan_inputs("prod")
    base = _edit(head, "-cluster", _legacy_pool)
    # BASE also had no tenant yet: HEAD's tenant is new.

    def without_tenant(resources: dict[str, Any]) -> None:
        items, tenant = _layer_item(resources, "Tenants/Payments")
        items.remove(tenant)

    base = _edit(base, "-cluster", without_tenant)
    report = plan_diagram(head, base=base)
    text = report.data["mermaid"]
    nodes = _nodes(report)
    legacy_id = mermaid_id("np", "Karpenter/NodePoolLegacy", "legacy")
    assert nodes[legacy_id]["title"] == "NodePool legacy"
    assert nodes[legacy_id]["mark"] == "removed"
    assert f'{legacy_id}("<b>NodePool legacy</b>' in text
    marked = classes(text)
    assert legacy_id in marked["removed"]
    tenant = next(n for n in nodes.values() if n["kind"] == "tenant")
    # BASE had no Tenants section at all: the section is new, and the tenant in it.
    assert marked["added"] == {tenant["id"], tenant["groups"][-1], "legend_added"}
    # The removed pool keeps its (dotted) edge to the node class it used.
    node_class = next(i for i, n in nodes.items() if n["kind"] == "ec2nodeclass")
    assert f"{legacy_id} -.-> {node_class}" in text
    # HEAD against itself highlights nothing but the legend.
    unchanged = classes(mermaid_diagram(head, base=head))
    assert unchanged == {m: {f"legend_{m}"} for m in ("added", "replaced", "removed", "changed")}


def test_a_stack_only_in_base_is_drawn_removed(plan_inputs: GetInputs) -> None:
    head = plan_inputs("dev")
    security = _stack(head, "-security")
    extra = dataclasses.replace(
        security,
        name="dev-eks-retired",
        template={"Resources": {"QueueA1B2C3D4": {"Type": "AWS::SNS::Topic", "Properties": {}}}},
    )
    base = dataclasses.replace(head, stacks=(*head.stacks, extra))
    report = plan_diagram(head, base=base)
    nodes = _nodes(report)
    other = nodes[mermaid_id("other", "dev-eks-retired")]
    assert other["mark"] == "removed"
    assert other["lines"] == ["AWS::SNS::Topic ×1 (removed)"]
    group = next(g for g in report.data["groups"] if g["title"] == "Stack dev-eks-retired")
    assert group["mark"] == "removed"


def test_a_node_that_moved_is_not_drawn_twice() -> None:
    """BASE had the node in another group: it moved, it was not removed."""
    head = Picture(
        groups=[Group("g_a", "A", [Node("n_x", "X")]), Group("g_b", "B", [Node("n_y", "Y")])]
    )
    base = Picture(
        groups=[Group("g_a", "A", []), Group("g_b", "B", [Node("n_y", "Y"), Node("n_x", "X")])]
    )
    merge_base(head, base)
    mark(head, {})
    text = render(head, legend=False)
    assert [n.id for n in head.nodes()] == ["n_x", "n_y"]
    assert all(n.mark is None for n in head.nodes())
    assert text.count('n_x["<b>X</b>"]') == 1 and "classDef" not in text


def test_escape_label_neutralises_awkward_characters() -> None:
    assert escape_label('say "hi"') == "say #quot;hi#quot;"
    assert escape_label("#1; [x] (y) {z}") == "#35;1#59; [x] (y) {z}"
    assert escape_label("<b>a & b</b>") == "#lt;b#gt;a #amp; b#lt;/b#gt;"
    assert escape_label("`md` | pipe \\ slash") == "#96;md#96; #124; pipe #92; slash"
    assert escape_label("two\nlines\tand\rtabs") == "two lines and tabs"
    # An entity already in the text stays text: its # is escaped.
    assert escape_label("#quot;") == "#35;quot#59;"
    # Whatever the input, the only "#" and ";" left are those of entity codes, and none of
    # the characters that end or reinterpret a quoted label survive.
    awkward = 'x"#;<>&`|\\\n\r\ty'
    escaped = escape_label(awkward)
    assert not set(re.sub(r"#\w+;", "", escaped)) & set(awkward[1:-1])


def test_the_plan_loads_no_cdk() -> None:
    """The diagram is pure Python: importing it must not start jsii or load aws_cdk."""
    code = "import sys, eks_blueprint.plan.diagram; print(sorted(m for m in sys.modules if m.startswith(('aws_cdk', 'jsii'))))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_mermaid_ids_are_safe_stable_and_distinct() -> None:
    ids = [
        mermaid_id("np", "Pool", name)
        for name in ("on-demand", "on_demand", "ondemand", "on.demand")
    ]
    assert len(set(ids)) == 4
    assert all(re.fullmatch(r"[a-z][a-z0-9]*_[A-Za-z0-9_]+", i) for i in ids)
    assert (
        mermaid_id("sn", "NetworkVpcPublicSubnet1Subnet36933139")
        == "sn_NetworkVpcPublicSubnet1Subnet36933139"
    )
    with pytest.raises(ValueError, match="prefix"):
        mermaid_id("End", "x")


def _awkward_key_description(resources: dict[str, Any]) -> None:
    key = next(lid for lid, r in resources.items() if r.get("Type") == "AWS::KMS::Key")
    resources[key]["Properties"]["Description"] = 'Key "A"; #1 <b>&</b> `x` | {y} [z] (w)'


def _diagrams(plan_inputs: GetInputs) -> dict[str, str]:
    """Every shipped environment's diagram, a highlighted one and an awkward one."""
    diagrams = {env: mermaid_diagram(plan_inputs(env)) for env in ENVS}
    prod = plan_inputs("prod")
    cluster_stack = _stack(prod, "-cluster").name
    changes = {
        (cluster_stack, _lid(prod, "-cluster", "AWS::EKS::Nodegroup")): "replace",
        (cluster_stack, _lid(prod, "-cluster", "AWS::EKS::Addon", "AddonsCoreDns")): "add",
        (cluster_stack, _item_key(prod, "-cluster", "Tenants/Payments")): "remove",
    }
    diagrams["prod-highlighted"] = mermaid_diagram(
        prod,
        changes=changes,  # type: ignore[arg-type]
        base=_edit(prod, "-cluster", _legacy_pool),
    )
    diagrams["prod-awkward"] = mermaid_diagram(_edit(prod, "-security", _awkward_key_description))
    return diagrams


def test_the_diagrams_parse_with_mermaid(plan_inputs: GetInputs) -> None:
    diagrams = _diagrams(plan_inputs)
    awkward = diagrams["prod-awkward"]
    assert (
        "Key #quot;A#quot;#59; #35;1 #lt;b#gt;#amp;#lt;/b#gt; #96;x#96; #124; {y} [z] (w)"
        in awkward
    )
    # Broken on purpose: the check must be able to fail.
    broken = {
        "unescaped-quote": awkward.replace("#quot;A#quot;", '"A"'),
        "unclosed-subgraph": diagrams["prod"].rsplit("\n  end\n", 1)[0] + "\n",
        "bad-arrow": diagrams["dev"] + "  a ==>> b\n",
    }
    started = time.monotonic()
    errors = mermaid_errors({**diagrams, **broken})
    elapsed = time.monotonic() - started
    print(f"Mermaid parse of {len(diagrams) + len(broken)} diagrams: {elapsed:.2f} s")
    for name in diagrams:
        assert errors[name] is None, f"{name}: {errors[name]}"
        assert undeclared_ids(diagrams[name]) == set(), name
    for name in broken:
        error = errors[name]
        assert error is not None and "Parse error" in error, name
    assert elapsed < 60


def test_cli_prints_markdown_and_json(synth: Any, capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "diagram",
        "--env",
        "prod",
        "--config-dir",
        str(CONFIG_DIR),
        "--assembly",
        str(synth.outdir),
    ]
    assert main(args) == EXIT_CLEAR
    out = capsys.readouterr().out
    assert out.startswith("## Plan diagram: prod: 3 stacks,")
    assert "```mermaid\nflowchart TB\n" in out
    assert main([*args, "--format", "json"]) == EXIT_CLEAR
    data = json.loads(capsys.readouterr().out)
    assert data["kind"] == "diagram" and data["status"] == "clear"
    assert data["data"]["mermaid"].startswith("flowchart TB\n")
    assert any(n["title"] == "NodePool spot" for n in data["data"]["nodes"])


def test_unreadable_manifest_is_a_note_not_a_guess(plan_inputs: GetInputs) -> None:
    def garble(resources: dict[str, Any]) -> None:
        _, tenant = _layer_item(resources, "Tenants/Payments")
        tenant["Manifest"] = "[{not json"

    report = plan_diagram(_edit(plan_inputs("prod"), "-cluster", garble))
    assert not report.blocked
    [finding] = report.findings
    assert finding.severity == "info" and "[Tenants/Payments]" in finding.message
    assert not any(n["kind"] == "tenant" for n in report.data["nodes"])


def test_changes_from_review() -> None:
    report = Report(
        base="base",
        head="head",
        stacks=[
            StackDiff(
                stage="prod",
                name="prod-eks-cluster",
                status="modified",
                changes=[
                    ResourceChange("A", "add", "AWS::EKS::Addon"),
                    ResourceChange("B", "remove", "AWS::EKS::Addon"),
                    ResourceChange("C", "modify", "AWS::EKS::Nodegroup", replacement="replace"),
                    ResourceChange("D", "modify", "AWS::EKS::Cluster", replacement="may-replace"),
                    ResourceChange("E", "modify", "AWS::EKS::Cluster"),
                ],
            ),
            StackDiff(
                stage="dev",
                name="dev-eks-cluster",
                status="modified",
                changes=[ResourceChange("F", "add", "AWS::EKS::Addon")],
            ),
        ],
        risks=[],
        security=[],
        nag_base=None,
        nag_head=None,
    )
    assert changes_from_review(report, "prod") == {
        ("prod-eks-cluster", "A"): "add",
        ("prod-eks-cluster", "B"): "remove",
        ("prod-eks-cluster", "C"): "replace",
        ("prod-eks-cluster", "D"): "replace",
    }
    assert ("dev-eks-cluster", "F") in changes_from_review(report)


def test_layers_are_drawn_in_order_with_what_they_hold(plan_inputs: GetInputs) -> None:
    # GIVEN prod, whose cluster stack applies its objects in Kubernetes layers that wait for
    # each other (DependsOn)
    inputs = plan_inputs("prod")
    cluster_stack = _stack(inputs, "-cluster")
    layers = {
        lid: r for lid, r in cluster_stack.resources.items()
        if r["Type"] == "Custom::EksBlueprint-KubernetesLayer"
    }
    names = {lid: r["Properties"]["Layer"] for lid, r in layers.items()}
    assert {"foundation", "platform", "workloads"} <= set(names.values())
    # WHEN the platform layer is replaced (e.g. a new cluster)
    (platform_lid,) = [lid for lid, name in names.items() if name == "platform"]
    report = plan_diagram(inputs, changes={(cluster_stack.name, platform_lid): "replace"})
    nodes = _nodes(report)
    drawn = {n["title"]: n for n in nodes.values() if n["kind"] == "kubernetes-layer"}
    # THEN one node per layer stands for its resource and says what it holds
    assert set(drawn) == {f"Layer {name}" for name in names.values()}
    for lid, resource in layers.items():
        node = drawn[f"Layer {names[lid]}"]
        assert node["resources"] == [[cluster_stack.name, lid]]
        items = resource["Properties"]["Items"]
        charts = [i["Chart"] for i in items if i["Type"] == "chart"]
        listed = " ".join(node["lines"][1:])
        assert all(chart in listed for chart in charts), (names[lid], charts, node["lines"])
        manifests = sum(1 for i in items if i["Type"] == "manifest")
        assert node["lines"][0].startswith(f"{manifests} manifest")
    # ...in the order they are applied: an edge "then" from each layer to one that waits for
    # it, and every layer drawn after the ones it waits for
    ids = {lid: drawn[f"Layer {names[lid]}"]["id"] for lid in layers}
    waits = {(dep, lid) for lid, r in layers.items() for dep in r.get("DependsOn", []) if dep in layers}
    assert waits, "the layers wait for each other"
    then = {(e["source"], e["target"]) for e in report.data["edges"] if e["text"] == "then"}
    assert then == {(ids[dep], ids[lid]) for dep, lid in waits}
    position = [n["id"] for n in report.data["nodes"]]
    assert all(position.index(ids[dep]) < position.index(ids[lid]) for dep, lid in waits)
    assert drawn["Layer platform"]["mark"] == "replaced"
    assert drawn["Layer foundation"]["mark"] is None
    # ...and no layer lands in "Other resources"
    assert not any(
        "KubernetesLayer" in line for n in nodes.values() if n["kind"] == "other" for line in n["lines"]
    )


def test_changes_from_review_name_layer_items() -> None:
    # A layer item added or removed in the review is the key its objects' nodes carry.
    item = ResourceChange(
        "PlatformLayer[Karpenter/NodePoolSpot]",
        "add",
        "Custom::EksBlueprint-KubernetesLayer:manifest",
        item="Karpenter/NodePoolSpot",
    )
    report = Report(
        base="base",
        head="head",
        stacks=[StackDiff(stage="prod", name="prod-eks-cluster", status="modified", changes=[item])],
        risks=[],
        security=[],
        nag_base=None,
        nag_head=None,
    )
    assert changes_from_review(report) == {
        ("prod-eks-cluster", "PlatformLayer[Karpenter/NodePoolSpot]"): "add"
    }
