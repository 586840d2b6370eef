"""`addons.cni_metrics_helper`: defaults, the translation into AddonsProps, the pure checks
and facts of eks_blueprint/addons/cni_metrics.py, and one refusal per rule naming the file,
the field and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eks_blueprint.addons import cni_metrics
from eks_blueprint.addons.catalog import addon
from eks_blueprint.addons.versions import ADDON_VERSIONS, CHARTS, SUPPORTED_KUBERNETES_VERSIONS
from eks_blueprint.config import load_config
from eks_blueprint.config.addons import AddonsConfig, CniMetricsHelperConfig
from eks_blueprint.config.base import REGION
from tests.unit.test_config import mutate, problems, write

TOPIC = "arn:aws:sns:eu-west-1:111111111111:platform-alarms"


def test_on_by_default_with_the_one_prefix_threshold_and_no_topic() -> None:
    section = AddonsConfig().cni_metrics_helper
    assert section == CniMetricsHelperConfig(
        enabled=True, free_addresses_alarm_below=16, alarm_topic_arn=None
    )
    assert addon("cni_metrics_helper").default is True
    assert AddonsConfig().needs_kubectl


def test_a_file_sets_the_threshold_and_topic(tmp_path: Path) -> None:
    data = mutate(
        addons__cni_metrics_helper={"free_addresses_alarm_below": 320, "alarm_topic_arn": TOPIC}
    )
    section = load_config(write(tmp_path, data)).addons.cni_metrics_helper
    assert (section.free_addresses_alarm_below, section.alarm_topic_arn) == (320, TOPIC)
    metrics_only = mutate(addons__cni_metrics_helper={"free_addresses_alarm_below": None})
    assert load_config(write(tmp_path, metrics_only)).addons.cni_metrics_helper == (
        CniMetricsHelperConfig(free_addresses_alarm_below=None)
    )


@pytest.mark.parametrize(
    ("section", "fragment"),
    [
        ({"free_addresses_alarm_below": 0}, "addons.cni_metrics_helper.free_addresses_alarm_below"),
        ({"free_addresses_alarm_below": -5}, "use a whole number of at least 1"),
        ({"free_addresses_alarm_below": True}, "not a number of addresses"),
        ({"free_addresses_alarm_below": "200"}, "not a number of addresses"),
        ({"alarm_topic_arn": "platform-alarms"}, "addons.cni_metrics_helper.alarm_topic_arn"),
        (
            {"alarm_topic_arn": "arn:aws:sqs:eu-west-1:111111111111:q"},
            "expected arn:aws:sns:<region>:<12-digit account>:<topic name>",
        ),
        ({"alarm_topic_arn": "arn:aws:sns:eu-west-1:1111:t"}, "not an SNS topic ARN"),
        (
            {"free_addresses_alarm_below": None, "alarm_topic_arn": TOPIC},
            "free_addresses_alarm_below is null, so there is no alarm to notify",
        ),
        (
            {"enabled": False, "alarm_topic_arn": TOPIC},
            "addons.cni_metrics_helper.alarm_topic_arn: the helper is off (enabled: false)",
        ),
        (
            {"enabled": False, "free_addresses_alarm_below": 64},
            "addons.cni_metrics_helper.free_addresses_alarm_below: the helper is off",
        ),
        ({"enable": False}, "addons.cni_metrics_helper.enable"),
    ],
)
def test_bad_settings_are_refused_naming_file_field_and_fix(
    tmp_path: Path, section: dict[str, Any], fragment: str
) -> None:
    found = problems(tmp_path, mutate(addons__cni_metrics_helper=section))
    assert any(fragment in p for p in found), found


def test_switching_the_helper_off_needs_nothing_else(tmp_path: Path) -> None:
    data = mutate(addons__cni_metrics_helper={"enabled": False})
    assert not load_config(write(tmp_path, data)).addons.cni_metrics_helper.enabled


def test_the_translation_passes_every_setting_to_the_props(tmp_path: Path) -> None:
    import aws_cdk as cdk
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_eks_v2 as eks

    from stacks.translate.addons import addons_props

    data = mutate(
        addons__cni_metrics_helper={"free_addresses_alarm_below": 48, "alarm_topic_arn": TOPIC}
    )
    config = load_config(write(tmp_path, data))
    stack = cdk.Stack(
        cdk.App(), "T", env=cdk.Environment(account="111111111111", region="eu-west-1")
    )
    vpc = ec2.Vpc.from_vpc_attributes(
        stack, "Vpc", vpc_id="vpc-1", availability_zones=["eu-west-1a"]
    )
    cluster = eks.Cluster.from_cluster_attributes(stack, "Cluster", cluster_name="c")
    props = addons_props(config, cluster, vpc)
    assert (props.cni_metrics_helper, props.cni_free_addresses_alarm_below) == (True, 48)
    assert props.cni_alarm_topic_arn == TOPIC
    off = load_config(write(tmp_path, mutate(addons__cni_metrics_helper={"enabled": False})))
    assert addons_props(off, cluster, vpc).cni_metrics_helper is False


# -- the pure checks and facts ----------------------------------------------------------------


@pytest.mark.parametrize("value", [1, 16, 100_000])
def test_thresholds_of_at_least_one_are_accepted(value: int) -> None:
    assert cni_metrics.check_free_addresses_threshold(value) == value


@pytest.mark.parametrize("value", [0, -1, 1.5, True, None, "16"])
def test_other_thresholds_are_refused(value: object) -> None:
    with pytest.raises(ValueError, match="whole number of at least 1"):
        cni_metrics.check_free_addresses_threshold(value)


@pytest.mark.parametrize(
    "arn",
    [
        TOPIC,
        "arn:aws:sns:us-east-1:123456789012:a_b-C",
        "arn:aws:sns:eu-west-1:123456789012:x.fifo",
    ],
)
def test_topic_arns_are_accepted(arn: str) -> None:
    assert cni_metrics.check_alarm_topic_arn(arn) == arn


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws-cn:sns:cn-north-1:123456789012:t",  # another partition
        "arn:aws:sns:eu-west-1:123456789012:",  # no name
        "arn:aws:sns:eu-west-1:123456789012:a b",  # space
        "arn:aws:sns:eu-west-1:123456789012:" + "a" * 257,  # name too long
        TOPIC + "\n",  # fullmatch: no trailing newline
        42,
    ],
)
def test_other_topic_arns_are_refused(arn: object) -> None:
    with pytest.raises(ValueError, match="not an SNS topic ARN"):
        cni_metrics.check_alarm_topic_arn(arn)


def test_registry_table_is_well_formed_and_names_the_fix_for_a_missing_region() -> None:
    table = cni_metrics.EKS_IMAGE_REGISTRY_ACCOUNTS
    assert all(REGION.fullmatch(r) and a.isdigit() and len(a) == 12 for r, a in table.items())
    assert table["eu-west-1"] == table["us-east-1"] == "602401143452"
    assert table["af-south-1"] == "877085696533"
    assert not any(r.startswith(("cn-", "us-gov-", "eusc-")) for r in table)
    with pytest.raises(ValueError, match=r"region 'xx-east-9'; add it to EKS_IMAGE_REGISTRY"):
        cni_metrics.registry_account("xx-east-9")


def test_the_shipped_environments_regions_have_a_registry() -> None:
    from eks_blueprint.config import load_configs
    from stacks.app_builder import config_paths

    for config in load_configs(config_paths(None, None)):
        assert config.region in cni_metrics.EKS_IMAGE_REGISTRY_ACCOUNTS, config.name


def test_chart_is_pinned_in_step_with_the_vpc_cni_addon() -> None:
    repository, version = CHARTS["cni-metrics-helper"]
    assert repository == "https://aws.github.io/eks-charts"
    for k8s in SUPPORTED_KUBERNETES_VERSIONS:
        pinned = ADDON_VERSIONS[k8s]["vpc-cni"][0]  # e.g. v1.20.4-eksbuild.2
        assert pinned.split("-")[0] == f"v{version}", (k8s, pinned)


def test_alarm_reads_the_metrics_the_helper_publishes() -> None:
    names = cni_metrics.PUBLISHED_METRICS
    assert len(names) == len(set(names)) == 20
    assert {cni_metrics.TOTAL_METRIC, cni_metrics.ASSIGNED_METRIC} <= set(names)
    assert (cni_metrics.NAMESPACE, cni_metrics.CLUSTER_DIMENSION) == ("Kubernetes", "CLUSTER_ID")
    period = cni_metrics.ALARM_PERIOD_SECONDS
    assert 60 <= period <= 300 and period % 60 == 0
    assert 1 <= cni_metrics.ALARM_DATAPOINTS <= cni_metrics.ALARM_EVALUATION_PERIODS


def test_auto_mode_refuses_the_helper(tmp_path: Path) -> None:
    """Auto Mode runs no aws-node pods: the helper would have nothing to read."""
    from stacks.app_builder import CONFIG_DIR

    text = (CONFIG_DIR / "examples" / "automode.yaml").read_text(encoding="utf-8")
    path = tmp_path / "automode.yaml"
    path.write_text(text.replace("cni_metrics_helper: {enabled: false}", "cni_metrics_helper: {enabled: true}"), encoding="utf-8")
    from eks_blueprint.config import ConfigError

    with pytest.raises(ConfigError, match=r"addons.cni_metrics_helper.enabled.*Auto Mode manages pod networking"):
        load_config(path)
