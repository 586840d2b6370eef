"""ClusterAutoscaler as a library user builds it: the chart and its values (image of the
cluster's minor, auto-discovery, placement), the Pod Identity role and its tag-scoped policy,
ordering, the compliance packs, and a PropError for every bad prop."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk.assertions import Template

from eks_blueprint import ClusterAutoscaler, ClusterAutoscalerProps
from eks_blueprint.compliance import add_compliance_packs
from eks_blueprint.compute import autoscaling as a
from eks_blueprint.compute.managed_node_groups import (
    ManagedNodeGroups,
    ManagedNodeGroupsProps,
    NodeGroupSpec,
)
from eks_blueprint.compute.placement import ControllerPlacement
from eks_blueprint.compute.taints import Taint
from tests.conftest import resources_of

from .clusters import ENV, KUBECTL_TOKEN, refused

CHART = "Custom::AWSCDK-EKS-HelmChart"
PATH = "Platform/ClusterAutoscaler"


def scaffold(
    *, packs: bool = False, outdir: str | None = None, kubectl: bool = True, groups: bool = True
) -> tuple[cdk.App, cdk.Stack, eks.ICluster, ManagedNodeGroups | None]:
    """An imported cluster `platform` (kubectl provider imported: no Lambda), with a tainted
    `system` and a `workers` managed node group unless told not."""
    app = cdk.App(outdir=outdir) if outdir else cdk.App()
    if packs:
        add_compliance_packs(app)
    stack = cdk.Stack(app, "Platform", env=ENV)
    vpc = ec2.Vpc.from_vpc_attributes(
        stack,
        "Vpc",
        vpc_id="vpc-0123456789abcdef0",
        availability_zones=["eu-west-1a"],
        private_subnet_ids=["subnet-0123456789abcdef0"],
    )
    provider = (
        eks.KubectlProvider.from_kubectl_provider_attributes(
            stack, "Kubectl", service_token=KUBECTL_TOKEN
        )
        if kubectl
        else None
    )
    cluster = eks.Cluster.from_cluster_attributes(
        stack, "Cluster", cluster_name="platform", vpc=vpc, kubectl_provider=provider
    )
    node_groups = None
    if groups:
        node_groups = ManagedNodeGroups(
            stack,
            "NodeGroups",
            props=ManagedNodeGroupsProps(
                cluster=cluster,
                groups=[
                    NodeGroupSpec(
                        name="system",
                        instance_types=["m7g.large"],
                        taints=[Taint("CriticalAddonsOnly", "NoSchedule", "true")],
                    ),
                    NodeGroupSpec(name="workers", instance_types=["m7g.xlarge"], max_size=10),
                ],
            ),
        )
    return app, stack, cluster, node_groups


def build(**overrides: Any) -> tuple[cdk.Stack, ClusterAutoscaler]:
    _app, stack, cluster, _groups = scaffold()
    props: dict[str, Any] = {
        "cluster": cluster,
        "cluster_name": "platform",
        "kubernetes_version": "1.34",
        **overrides,
    }
    return stack, ClusterAutoscaler(
        stack, "ClusterAutoscaler", props=ClusterAutoscalerProps(**props)
    )


def values_of(template: dict[str, Any]) -> dict[str, Any]:
    (chart,) = resources_of(template, CHART).values()
    parsed: dict[str, Any] = json.loads(chart["Properties"]["Values"])
    return parsed


@pytest.fixture(scope="module")
def default() -> dict[str, Any]:
    stack, scaler = build()
    return {"json": dict(Template.from_stack(stack).to_json()), "scaler": scaler}


# -- the chart ------------------------------------------------------------------------------


def test_chart_is_pinned_in_kube_system(default: dict[str, Any]) -> None:
    (chart,) = resources_of(default["json"], CHART).values()
    props = chart["Properties"]
    assert (props["Chart"], props["Repository"], props["Version"]) == (
        "cluster-autoscaler",
        "https://kubernetes.github.io/autoscaler",
        a.CHART_VERSION,
    )
    assert (props["Namespace"], props["Release"]) == ("kube-system", "cluster-autoscaler")


def test_values_discover_this_cluster_with_the_image_of_its_minor(default: dict[str, Any]) -> None:
    values = values_of(default["json"])
    assert values["cloudProvider"] == "aws" and values["awsRegion"] == "eu-west-1"
    assert values["autoDiscovery"] == {"clusterName": "platform"}
    assert values["image"] == {"repository": a.IMAGE_REPOSITORY, "tag": "v1.34.5"}
    assert values["rbac"]["serviceAccount"]["name"] == a.SERVICE_ACCOUNT
    assert values["replicaCount"] == 2 and values["podDisruptionBudget"] == {"maxUnavailable": 1}
    assert values["priorityClassName"] == "system-cluster-critical"
    assert values["dnsPolicy"] == "Default"
    assert values["extraArgs"] == {
        "balance-similar-node-groups": True,
        "expander": "least-waste",
        "skip-nodes-with-system-pods": False,
        "skip-nodes-with-local-storage": False,
        "scale-down-enabled": True,
        "scale-down-utilization-threshold": 0.5,
        "scale-down-unneeded-time": "10m",
        "balancing-ignore-label": "eks-blueprint/node-group",
    }
    assert values["resources"] == {
        "requests": {"cpu": "100m", "memory": "600Mi"},
        "limits": {"memory": "600Mi"},
    }
    assert values["containerSecurityContext"]["readOnlyRootFilesystem"] is True


def test_runs_on_the_first_node_group_tolerating_its_taints(default: dict[str, Any]) -> None:
    values = values_of(default["json"])
    assert values["nodeSelector"] == {"eks-blueprint/node-group": "system"}
    assert values["tolerations"] == [
        {"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
    ]


def test_an_explicit_placement_and_settings_are_used() -> None:
    _app, stack, cluster, groups = scaffold()
    assert groups is not None
    ClusterAutoscaler(
        stack,
        "ClusterAutoscaler",
        props=ClusterAutoscalerProps(
            cluster=cluster,
            cluster_name="platform",
            kubernetes_version="1.33",
            placement=groups.placement_for("workers"),
            replicas=3,
            expander="most-pods",
            scale_down_enabled=False,
        ),
    )
    values = values_of(dict(Template.from_stack(stack).to_json()))
    assert values["image"]["tag"] == "v1.33.6"
    assert values["nodeSelector"] == {"eks-blueprint/node-group": "workers"}
    assert "tolerations" not in values
    assert values["replicaCount"] == 3
    assert values["extraArgs"]["expander"] == "most-pods"
    assert values["extraArgs"]["scale-down-enabled"] is False


def test_balancing_ignores_the_per_group_name_label() -> None:
    """Each group's nodes carry eks-blueprint/node-group=<name>; the autoscaler compares
    labels when it looks for similar groups, so without --balancing-ignore-label on that
    key balance_similar_node_groups would never find two similar groups."""
    stack, _ = build()
    extra = values_of(dict(Template.from_stack(stack).to_json()))["extraArgs"]
    assert extra["balancing-ignore-label"] == "eks-blueprint/node-group"
    stack, _ = build(balance_similar_node_groups=False)
    extra = values_of(dict(Template.from_stack(stack).to_json()))["extraArgs"]
    assert extra["balance-similar-node-groups"] is False
    assert "balancing-ignore-label" not in extra


# -- identity and permissions ---------------------------------------------------------------


def test_role_is_bound_to_kube_system_cluster_autoscaler_only(default: dict[str, Any]) -> None:
    roles = resources_of(default["json"], "AWS::IAM::Role")
    (role,) = [r for i, r in roles.items() if i.startswith("ClusterAutoscalerRole")]
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {
        "aws:RequestTag/eks-cluster-name": "platform",
        "aws:RequestTag/kubernetes-namespace": "kube-system",
        "aws:RequestTag/kubernetes-service-account": "cluster-autoscaler",
    }
    (association,) = resources_of(default["json"], "AWS::EKS::PodIdentityAssociation").values()
    assert association["Properties"]["Namespace"] == "kube-system"
    assert association["Properties"]["ServiceAccount"] == "cluster-autoscaler"


def test_policy_resizes_only_groups_tagged_for_this_cluster(default: dict[str, Any]) -> None:
    (policy,) = resources_of(default["json"], "AWS::IAM::ManagedPolicy").values()
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert set(statements) == {"Describe", "ResizeOwnGroups", "DescribeOwnNodegroups"}
    read = statements["Describe"]
    assert read["Resource"] == "*"
    assert not [x for x in read["Action"] if not x.split(":")[1].startswith(("Describe", "Get"))]
    write = statements["ResizeOwnGroups"]
    assert sorted(write["Action"]) == [
        "autoscaling:SetDesiredCapacity",
        "autoscaling:TerminateInstanceInAutoScalingGroup",
    ]
    assert write["Condition"] == {
        "StringEquals": {"aws:ResourceTag/k8s.io/cluster-autoscaler/platform": "owned"}
    }
    assert ":autoscaling:eu-west-1:123456789012:autoScalingGroup:" in json.dumps(write["Resource"])
    nodegroups = json.dumps(statements["DescribeOwnNodegroups"]["Resource"])
    assert ":eks:eu-west-1:123456789012:nodegroup/platform/*/*" in nodegroups


def test_chart_waits_for_identity_policy_and_its_node_group(default: dict[str, Any]) -> None:
    template = default["json"]
    ids = list(template["Resources"])
    (chart_id,) = resources_of(template, CHART)
    depends = template["Resources"][chart_id]["DependsOn"]
    (association,) = [i for i in ids if i.startswith("ClusterAutoscalerPodIdentityAssociation")]
    (policy,) = [i for i in ids if i.startswith("ClusterAutoscalerPolicy")]
    assert association in depends and policy in depends
    assert any(d.startswith("NodeGroupsSystem") for d in depends)
    assert not any(d.startswith("NodeGroupsWorkers") for d in depends)


def test_synth_passes_the_packs_with_narrow_acknowledgements(tmp_path: Path) -> None:
    # A finding without an acknowledgement fails synth (ValidationFailed).
    # (No node groups here: their own findings belong to their tests; a placement by label.)
    app, stack, cluster, _ = scaffold(packs=True, outdir=str(tmp_path), groups=False)
    ClusterAutoscaler(
        stack,
        "ClusterAutoscaler",
        props=ClusterAutoscalerProps(
            cluster=cluster,
            cluster_name="platform",
            kubernetes_version="1.34",
            placement=ControllerPlacement(node_selector={"role": "system"}),
        ),
    )
    app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    acknowledged = {
        s["acknowledgedId"]: s["reason"]
        for plugin in report["pluginReports"]
        for s in plugin.get("suppressedViolations", [])
        if s["violatingConstructs"][0]["constructPath"].startswith(PATH)
    }
    assert "Describe*" in acknowledged["AwsSolutions::AwsSolutions-IAM5[Resource::*]"]
    groups = [k for k in acknowledged if "autoScalingGroupName/*" in k]
    assert groups and "owned" in acknowledged[groups[0]]
    assert all(p["conclusion"] == "success" for p in report["pluginReports"])


# -- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "prop", "problem"),
    [
        ({"kubernetes_version": "1.31"}, "kubernetes_version", "not supported"),
        ({"image_tag": "v1.33.6"}, "image_tag", "minor must match"),
        ({"image_tag": "latest"}, "image_tag", "vX.Y.Z"),
        ({"replicas": 0}, "replicas", "use 1 to 5"),
        ({"replicas": 6}, "replicas", "use 1 to 5"),
        ({"expander": "price"}, "expander", "least-waste"),
        ({"scale_down_utilization_threshold": 0.0}, "scale_down_utilization_threshold", "above 0"),
        ({"scale_down_utilization_threshold": 2}, "scale_down_utilization_threshold", "at most 1"),
        ({"scale_down_unneeded_time": "soon"}, "scale_down_unneeded_time", "like 10m"),
        ({"cpu": "lots"}, "cpu", ""),
        ({"memory": "600m"}, "memory", ""),
        # Wrong Python types: a PropError with the fix, not a TypeError or a "yes" read as true.
        ({"replicas": "2"}, "replicas", "expected int, got str: use an int, e.g. 2"),
        ({"balance_similar_node_groups": "yes"}, "balance_similar_node_groups", "use a bool"),
        (
            {"scale_down_utilization_threshold": True},
            "scale_down_utilization_threshold",
            "got bool",
        ),
        (
            {"placement": ControllerPlacement(on_fargate=True)},
            "placement",
            "Pod Identity, whose agent does not run on Fargate",
        ),
    ],
)
def test_bad_props_are_refused_naming_path_prop_and_fix(
    overrides: dict[str, Any], prop: str, problem: str
) -> None:
    message = refused(PATH, f"ClusterAutoscalerProps.{prop}", build, **overrides)
    assert problem in message


def test_a_token_cluster_name_is_refused() -> None:
    message = refused(
        PATH, "ClusterAutoscalerProps.cluster_name", build, cluster_name=cdk.Aws.STACK_NAME
    )
    assert "literal string" in message


def test_a_cluster_without_kubectl_is_refused() -> None:
    _app, stack, cluster, _ = scaffold(kubectl=False)
    props = ClusterAutoscalerProps(
        cluster=cluster, cluster_name="platform", kubernetes_version="1.34"
    )
    message = refused(
        PATH,
        "ClusterAutoscalerProps.cluster",
        ClusterAutoscaler,
        stack,
        "ClusterAutoscaler",
        props=props,
    )
    assert "kubectl provider" in message


def test_a_cluster_without_node_groups_is_refused() -> None:
    _app, stack, cluster, _ = scaffold(groups=False)
    props = ClusterAutoscalerProps(
        cluster=cluster, cluster_name="platform", kubernetes_version="1.34"
    )
    message = refused(
        PATH,
        "ClusterAutoscalerProps.placement",
        ClusterAutoscaler,
        stack,
        "ClusterAutoscaler",
        props=props,
    )
    assert "no managed node group" in message
