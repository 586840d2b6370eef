"""cni-metrics-helper through `Addons`, as a library user turns it on: the chart and its
values, its own publish-only Pod Identity role, ordering with the agent and capacity, the
free-address alarm (metric math, missing data, actions), the compliance acknowledgements,
and a PropError for every bad prop."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk.assertions import Template

from eks_blueprint.addons.addons import Addons, AddonsProps
from eks_blueprint.addons.cni_metrics import EKS_IMAGE_REGISTRY_ACCOUNTS
from eks_blueprint.addons.versions import CHARTS
from eks_blueprint.compliance import add_compliance_packs
from eks_blueprint.wiring import register_capacity
from tests.conftest import resources_of

from .clusters import ENV, KUBECTL_TOKEN, refused

CHART = "Custom::AWSCDK-EKS-HelmChart"
ALARM = "AWS::CloudWatch::Alarm"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:platform-alarms"
#: AWS::CloudWatch::Alarm MetricDataQuery Id (the resource schema's pattern).
QUERY_ID = re.compile(r"^([a-z])([A-Za-z0-9\_]*)$")


def build(
    *,
    env: cdk.Environment | None = ENV,
    packs: bool = False,
    outdir: str | None = None,
    cluster_name: str = "platform",
    **overrides: Any,
) -> tuple[cdk.App, cdk.Stack, Addons]:
    """A stack with an imported cluster (kubectl provider imported: no Lambda) and its
    node-readiness add-ons plus the helper; `overrides` set other AddonsProps fields."""
    app = cdk.App(outdir=outdir) if outdir else cdk.App()
    if packs:
        add_compliance_packs(app)
    stack = cdk.Stack(app, "Platform", env=env)
    vpc = ec2.Vpc.from_vpc_attributes(
        stack, "Vpc", vpc_id="vpc-0123456789abcdef0", availability_zones=["eu-west-1a"]
    )
    provider = eks.KubectlProvider.from_kubectl_provider_attributes(
        stack, "Kubectl", service_token=KUBECTL_TOKEN
    )
    cluster = eks.Cluster.from_cluster_attributes(
        stack, "Cluster", cluster_name=cluster_name, vpc=vpc, kubectl_provider=provider
    )
    settings: dict[str, Any] = {"cni_metrics_helper": True, **overrides}
    props = AddonsProps.node_readiness(
        cluster=cluster, kubernetes_version="1.34", vpc=vpc, **settings
    )
    return app, stack, Addons(stack, "Addons", props=props)


def template_of(stack: cdk.Stack) -> dict[str, Any]:
    return dict(Template.from_stack(stack).to_json())


def only(template: dict[str, Any], type_: str) -> tuple[str, dict[str, Any]]:
    (found,) = resources_of(template, type_).items()
    return found


def values_of(chart: dict[str, Any]) -> dict[str, Any]:
    """The chart's Values with tokens rendered as `${...}` (they are Fn::Join parts)."""
    raw = chart["Properties"]["Values"]
    if isinstance(raw, dict):
        raw = "".join(
            p if isinstance(p, str) else "${" + json.dumps(p).replace('"', "'") + "}"
            for p in raw["Fn::Join"][1]
        )
    parsed: dict[str, Any] = json.loads(raw)
    return parsed


@pytest.fixture(scope="module")
def default() -> dict[str, Any]:
    _app, stack, addons = build()
    capacity = ec2.CfnEIP(stack, "Capacity")
    register_capacity(addons.cluster, capacity)
    return {"json": template_of(stack), "addons": addons}


# -- the chart and its identity -----------------------------------------------------------------


def test_chart_is_pinned_in_kube_system_with_the_regional_image(default: dict[str, Any]) -> None:
    _, chart = only(default["json"], CHART)
    props = chart["Properties"]
    assert (props["Chart"], props["Release"], props["Namespace"]) == (
        "cni-metrics-helper", "cni-metrics-helper", "kube-system"
    )  # fmt: skip
    assert (props["Repository"], props["Version"]) == CHARTS["cni-metrics-helper"]
    values = values_of(chart)
    assert values["image"] == {
        "region": "eu-west-1",
        "account": EKS_IMAGE_REGISTRY_ACCOUNTS["eu-west-1"],
    }
    assert values["serviceAccount"] == {"create": True, "name": "cni-metrics-helper"}
    env = values["env"]
    assert (env["USE_CLOUDWATCH"], env["USE_PROMETHEUS"], env["AWS_REGION"]) == (
        "true",
        "false",
        "eu-west-1",
    )
    # The CLUSTER_ID dimension is the cluster's name (no IMDS lookup of EC2 tags).
    assert env["AWS_CLUSTER_ID"] == "platform"
    assert values["containerSecurityContext"]["allowPrivilegeEscalation"] is False
    assert values["containerSecurityContext"]["capabilities"] == {"drop": ["ALL"]}


def test_own_role_may_only_put_metric_data_in_the_kubernetes_namespace(
    default: dict[str, Any],
) -> None:
    template = default["json"]
    association = next(
        r
        for r in resources_of(template, "AWS::EKS::PodIdentityAssociation").values()
        if r["Properties"]["ServiceAccount"] == "cni-metrics-helper"
    )
    assert association["Properties"]["Namespace"] == "kube-system"
    role_id = association["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    role = template["Resources"][role_id]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert sorted(trust["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    (policy_ref,) = role["ManagedPolicyArns"]
    policy = template["Resources"][policy_ref["Ref"]]["Properties"]["PolicyDocument"]
    assert policy["Statement"] == [
        {
            "Sid": "PublishCniMetrics",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": "Kubernetes"}},
        }
    ]
    assert default["addons"].roles["cni-metrics-helper"].node.path.endswith("CniMetricsHelperRole")


def test_chart_waits_for_its_identity_the_agent_and_capacity(default: dict[str, Any]) -> None:
    template = default["json"]
    chart_id, chart = only(template, CHART)
    association_id = next(
        k
        for k, r in resources_of(template, "AWS::EKS::PodIdentityAssociation").items()
        if r["Properties"]["ServiceAccount"] == "cni-metrics-helper"
    )
    assert association_id in chart["DependsOn"]
    assert "Capacity" in chart["DependsOn"]
    agent_id = next(
        k
        for k, r in resources_of(template, "AWS::EKS::Addon").items()
        if r["Properties"]["AddonName"] == "eks-pod-identity-agent"
    )
    assert agent_id in template["Resources"][association_id]["DependsOn"]
    # Nodes wait for the agent; the chart waits for the nodes.
    assert agent_id in template["Resources"]["Capacity"]["DependsOn"]
    assert chart_id not in template["Resources"]["Capacity"].get("DependsOn", [])


# -- the alarm ----------------------------------------------------------------------------------


def test_alarm_is_metric_math_free_equals_total_minus_assigned(default: dict[str, Any]) -> None:
    _, alarm = only(default["json"], ALARM)
    props = alarm["Properties"]
    # Metrics (math) and the single-metric properties are exclusive.
    assert (
        not {"MetricName", "Namespace", "Statistic", "Period", "Dimensions", "Unit"} & props.keys()
    )
    queries = {q["Id"]: q for q in props["Metrics"]}
    assert list(queries) == ["total", "assigned", "free"]
    assert all(QUERY_ID.match(i) for i in queries)
    assert [i for i, q in queries.items() if q["ReturnData"]] == ["free"]  # only the expression
    assert queries["free"]["Expression"] == "total - assigned"
    for query_id, name in (("total", "totalIPAddresses"), ("assigned", "assignIPAddresses")):
        stat = queries[query_id]["MetricStat"]
        assert stat["Metric"] == {
            "Namespace": "Kubernetes",
            "MetricName": name,
            "Dimensions": [{"Name": "CLUSTER_ID", "Value": "platform"}],
        }
        assert (stat["Period"], stat["Stat"], stat["Unit"]) == (300, "Average", "Count")
    assert (props["ComparisonOperator"], props["Threshold"]) == ("LessThanThreshold", 16)
    assert (props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (3, 2)
    assert props["TreatMissingData"] == "missing"
    assert not {"AlarmActions", "OKActions", "InsufficientDataActions"} & props.keys()
    description = props["AlarmDescription"]
    assert "EKS cluster platform:" in description and "fewer than 16 free pod IP" in description
    assert "python -m eks_blueprint.plan ips" in description and "prefix delegation" in description
    assert default["addons"].free_addresses_alarm is not None


def test_alarm_description_fits_with_the_longest_cluster_name() -> None:
    _, stack, _ = build(cluster_name="c" * 100, cni_free_addresses_alarm_below=10**9)
    _, alarm = only(template_of(stack), ALARM)
    assert len(alarm["Properties"]["AlarmDescription"]) <= 1024  # the resource schema's limit


def test_a_topic_gets_every_state_change() -> None:
    _, stack, _ = build(cni_free_addresses_alarm_below=400, cni_alarm_topic_arn=TOPIC)
    _, alarm = only(template_of(stack), ALARM)
    props = alarm["Properties"]
    assert props["Threshold"] == 400
    assert (
        props["AlarmActions"] == props["OKActions"] == props["InsufficientDataActions"] == [TOPIC]
    )


def test_no_threshold_means_metrics_without_an_alarm() -> None:
    _, stack, addons = build(cni_free_addresses_alarm_below=None)
    template = template_of(stack)
    assert len(resources_of(template, CHART)) == 1
    assert not resources_of(template, ALARM) and addons.free_addresses_alarm is None


def test_switched_off_there_is_no_chart_role_or_alarm() -> None:
    _, stack, addons = build(cni_metrics_helper=False)
    template = template_of(stack)
    assert not resources_of(template, CHART) and not resources_of(template, ALARM)
    assert "cni-metrics-helper" not in addons.roles
    assert not resources_of(template, "AWS::EKS::PodIdentityAssociation")


def test_an_environment_agnostic_stack_looks_the_registry_up_by_region() -> None:
    _, stack, _ = build(env=None)
    template = template_of(stack)
    (mapping,) = template["Mappings"].values()
    assert mapping["eu-west-1"] == {"account": "602401143452"}
    _, chart = only(template, CHART)
    image = values_of(chart)["image"]
    assert image["region"] == "${{'Ref': 'AWS::Region'}}"
    assert image["account"].startswith("${{'Fn::FindInMap': ['AddonsEksImageRegistry")
    assert image["account"].endswith("{'Ref': 'AWS::Region'}, 'account']}}")


# -- compliance ---------------------------------------------------------------------------------


def _suppressed(outdir: Path) -> dict[str, str]:
    report = json.loads((outdir / "validation-report.json").read_text())
    return {
        s["acknowledgedId"]: s["reason"]
        for plugin in report["pluginReports"]
        for s in plugin.get("suppressedViolations", [])
    }


@pytest.mark.parametrize("topic", [None, TOPIC])
def test_synth_passes_the_packs_with_narrow_acknowledgements(
    tmp_path: Path, topic: str | None
) -> None:
    # A finding without an acknowledgement fails synth (ValidationFailed).
    app, _, _ = build(packs=True, outdir=str(tmp_path), cni_alarm_topic_arn=topic)
    app.synth()
    acknowledged = _suppressed(tmp_path)
    wildcard = "AwsSolutions::AwsSolutions-IAM5[Resource::*]"
    assert "cloudwatch:namespace" in acknowledged[wildcard]
    alarm_action = "NIST.800.53.R5::NIST.800.53.R5-CloudWatchAlarmAction"
    assert (alarm_action in acknowledged) is (topic is None)


# -- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "prop", "problem"),
    [
        ({"cni_free_addresses_alarm_below": 0}, "cni_free_addresses_alarm_below", "at least 1"),
        (
            {"cni_free_addresses_alarm_below": True},
            "cni_free_addresses_alarm_below",
            "not a number",
        ),
        ({"cni_alarm_topic_arn": "platform-alarms"}, "cni_alarm_topic_arn", "not an SNS topic ARN"),
        (
            {"cni_metrics_helper": False, "cni_alarm_topic_arn": TOPIC},
            "cni_alarm_topic_arn",
            "cni_metrics_helper is off); remove the topic",
        ),
        (
            {"cni_free_addresses_alarm_below": None, "cni_alarm_topic_arn": TOPIC},
            "cni_alarm_topic_arn",
            "cni_free_addresses_alarm_below is None",
        ),
    ],
)
def test_bad_props_are_refused_naming_path_prop_and_fix(
    overrides: dict[str, Any], prop: str, problem: str
) -> None:
    message = refused("Platform/Addons", f"AddonsProps.{prop}", build, **overrides)
    assert problem in message


def test_a_region_without_a_recorded_registry_is_refused() -> None:
    region = cdk.Environment(account="123456789012", region="ap-east-2")
    message = refused("Platform/Addons", "AddonsProps.cni_metrics_helper", build, env=region)
    assert "no Amazon EKS image registry is recorded for region 'ap-east-2'" in message
    assert "or switch cni-metrics-helper off" in message
