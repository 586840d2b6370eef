"""Tenant telemetry: log groups per tenant and the Fluent Bit routing to them (parsed and
simulated), the add-on configuration, Application Signals annotations, the AMP workspace and
scraper (the scrape configuration decoded and parsed), and one refusal per prop rule."""

from __future__ import annotations

import fnmatch
import json
import re
from typing import Any

import aws_cdk as cdk
import pytest
import yaml
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Match, Template

from eks_blueprint.addons.addons import Addons, AddonsProps
from eks_blueprint.encryption import allow_cloudwatch_logs
from eks_blueprint.observability import (
    APPLICATION_LOG_FILE,
    DEFAULT_LOG_GROUP,
    TOKEN_FILE,
    PrometheusScraper,
    PrometheusScraperProps,
    TenantLogGroups,
    TenantLogGroupsProps,
    TenantLogSpec,
    application_signals_opt_in,
    fluent_bit_application_log,
    merged,
    scrape_configuration,
    tenant_log_group_name,
    tenant_log_routing,
    tenant_namespace_annotations,
)
from eks_blueprint.template.kubernetes import LAYER_TYPE

from .clusters import built, refused, stack, stack_with_vpc, template_of

TENANTS = [
    TenantLogSpec(name="shop", retention_days=30),
    TenantLogSpec(name="ml-team", retention_days=365),
]

# -- Fluent Bit: a small parser and router of the classic configuration format -----------

Section = tuple[str, list[tuple[str, str]]]


def parse_fluent_bit(text: str) -> list[Section]:
    """Sections in order, each with its (key, value) pairs in order; fails on a line that
    belongs to no section or has no value."""
    sections: list[Section] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        header = re.fullmatch(r"\[([A-Z]+)\]", line)
        if header:
            sections.append((header.group(1), []))
            continue
        assert sections, f"setting outside a section: {line!r}"
        assert line.startswith("    "), f"not indented: {line!r}"
        key, _, value = line.strip().partition(" ")
        assert value.strip(), f"no value: {line!r}"
        sections[-1][1].append((key, value.strip()))
    return sections


def settings(section: Section) -> dict[str, str]:
    return {k: v for k, v in section[1] if k != "Rule"}


def outputs_for(sections: list[Section], tag: str, namespace: str) -> list[str]:
    """The log groups a record tagged `tag` from `namespace` ends in: the filters matching
    the tag run in order; a rewrite_tag rule that matches re-emits the record under its new
    tag (dropping it when KEEP is false), and the outputs matching the final tag ship it."""
    for kind, pairs in sections:
        values = dict(pairs)
        if kind != "FILTER" or values["Name"] != "rewrite_tag":
            continue
        if not fnmatch.fnmatchcase(tag, values["Match"]):
            continue
        for key, rule in pairs:
            if key != "Rule":
                continue
            field, regex, new_tag, keep = rule.split(" ")
            assert field == "$kubernetes['namespace_name']"
            if re.search(regex, namespace):
                assert keep == "false"
                return outputs_for(sections, new_tag, namespace)
    return [
        settings((k, p))["log_group_name"]
        for k, p in sections
        if k == "OUTPUT" and fnmatch.fnmatchcase(tag, settings((k, p))["Match"])
    ]


def test_each_tenant_gets_its_own_group_and_nothing_else() -> None:
    sections = parse_fluent_bit(fluent_bit_application_log(["shop", "ml-team"]))
    tag = "application.var.log.containers.api-123_shop_api-abc.log"
    assert outputs_for(sections, tag, "shop") == [tenant_log_group_name("${CLUSTER_NAME}", "shop")]
    assert outputs_for(sections, tag, "ml-team") == [
        "/aws/containerinsights/${CLUSTER_NAME}/tenants/ml-team"
    ]
    # A namespace that only starts like a tenant is not the tenant.
    for other in ("kube-system", "shop-staging", "ml", "default"):
        assert outputs_for(sections, tag, other) == [DEFAULT_LOG_GROUP], other


def test_the_rewrite_runs_after_the_kubernetes_filter_and_tenant_groups_are_not_created() -> None:
    sections = parse_fluent_bit(fluent_bit_application_log(["shop"]))
    filters = [settings(s)["Name"] for s in sections if s[0] == "FILTER"]
    assert filters == ["aws", "kubernetes", "rewrite_tag"]
    outputs = {settings(s)["Match"]: settings(s) for s in sections if s[0] == "OUTPUT"}
    assert outputs["application.*"]["auto_create_group"] == "true"
    assert outputs["tenant.shop.*"]["auto_create_group"] == "false"
    # The re-tagged record keeps its container's tag, so each container keeps its own stream
    # (log_stream_prefix + tag), and another tenant's prefix never matches.
    (rule,) = [v for s in sections if s[0] == "FILTER" for k, v in s[1] if k == "Rule"]
    assert rule.endswith(" tenant.shop.$TAG false")
    retagged = "tenant.shop.application.var.log.containers.api-1_shop_api-abc.log"
    assert fnmatch.fnmatchcase(retagged, "tenant.shop.*")
    assert not fnmatch.fnmatchcase("tenant.shop-x.application.var.log", "tenant.shop.*")
    assert not fnmatch.fnmatchcase(retagged, "application.*")
    inputs = [settings(s) for s in sections if s[0] == "INPUT"]
    assert [i["Path"] for i in inputs] == [
        "/var/log/containers/*.log",
        "/var/log/containers/fluent-bit*",
        "/var/log/containers/cloudwatch-agent*",
    ]
    assert all(i["Tag"] == "application.*" for i in inputs)


def test_without_tenants_the_file_is_the_chart_pipeline_and_routing_is_empty() -> None:
    sections = parse_fluent_bit(fluent_bit_application_log([]))
    assert [settings(s)["Name"] for s in sections if s[0] == "FILTER"] == ["aws", "kubernetes"]
    assert [settings(s)["log_group_name"] for s in sections if s[0] == "OUTPUT"] == [
        DEFAULT_LOG_GROUP
    ]
    assert tenant_log_routing([]) == {}


def test_the_routing_is_the_add_on_extra_file_and_survives_helm_tpl() -> None:
    fragment = tenant_log_routing(["shop"])
    text = fragment["containerLogs"]["fluentBit"]["config"]["extraFiles"][APPLICATION_LOG_FILE]
    assert text == fluent_bit_application_log(["shop"])
    assert "{{" not in text  # the chart passes the file through Helm `tpl`


@pytest.mark.parametrize(
    ("tenants", "message"),
    [
        (["Shop"], "not a Kubernetes name"),
        (["kube-system"], "belongs to the cluster"),
        (["shop", "shop"], "more than once"),
    ],
)
def test_the_fluent_bit_file_refuses_bad_tenant_lists(tenants: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fluent_bit_application_log(tenants)


def test_merged_fragments_merge_maps_and_keep_both_settings() -> None:
    both = merged(application_signals_opt_in(), tenant_log_routing(["shop"]), {"a": {"b": 1}})
    assert both["manager"]["applicationSignals"]["autoMonitor"] == {"monitorAllServices": False}
    assert APPLICATION_LOG_FILE in both["containerLogs"]["fluentBit"]["config"]["extraFiles"]
    assert merged({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}}) == {"a": {"b": 1, "c": 3}}


# -- TenantLogGroups -------------------------------------------------------------------


def groups_of(template: Template) -> dict[str, dict[str, Any]]:
    return {
        r["Properties"]["LogGroupName"]: r["Properties"]
        for r in template.find_resources("AWS::Logs::LogGroup").values()
    }


def test_groups_have_retention_the_key_and_are_retained() -> None:
    scope = stack()
    built_groups = TenantLogGroups(
        scope, "TenantLogs", props=TenantLogGroupsProps(cluster_name="platform", tenants=TENANTS)
    )
    template = Template.from_stack(scope)
    groups = groups_of(template)
    assert sorted(groups) == [
        "/aws/containerinsights/platform/tenants/ml-team",
        "/aws/containerinsights/platform/tenants/shop",
    ]
    assert groups["/aws/containerinsights/platform/tenants/shop"]["RetentionInDays"] == 30
    assert groups["/aws/containerinsights/platform/tenants/ml-team"]["RetentionInDays"] == 365
    for properties in groups.values():
        assert properties["KmsKeyId"]["Fn::GetAtt"][1] == "Arn"
    template.all_resources("AWS::Logs::LogGroup", {"DeletionPolicy": "Retain"})
    template.has_resource_properties(
        "AWS::KMS::Key",
        {
            "EnableKeyRotation": True,
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Sid": "AllowCloudWatchLogsTenantGroups",
                                "Principal": {"Service": "logs.eu-west-1.amazonaws.com"},
                                "Condition": {
                                    "ArnLike": {
                                        "kms:EncryptionContext:aws:logs:arn": {
                                            "Fn::Join": [
                                                "",
                                                Match.array_with(
                                                    [
                                                        ":logs:eu-west-1:123456789012:log-group:"
                                                        "/aws/containerinsights/platform/tenants/*"
                                                    ]
                                                ),
                                            ]
                                        }
                                    }
                                },
                            }
                        )
                    ]
                )
            },
        },
    )
    assert set(built_groups.log_groups) == {"shop", "ml-team"}
    assert built_groups.routing == tenant_log_routing(["shop", "ml-team"])


def test_the_control_plane_log_key_takes_the_tenant_grant_beside_its_own() -> None:
    scope = stack()
    key = kms.Key(scope, "LogKey", enable_key_rotation=True)
    allow_cloudwatch_logs(key, log_group_name_prefix="/aws/eks/platform/*")
    TenantLogGroups(
        scope,
        "TenantLogs",
        props=TenantLogGroupsProps(cluster_name="platform", tenants=TENANTS, encryption_key=key),
    )
    template = Template.from_stack(scope)
    template.resource_count_is("AWS::KMS::Key", 1)
    (policy,) = [
        r["Properties"]["KeyPolicy"] for r in template.find_resources("AWS::KMS::Key").values()
    ]
    sids = [s.get("Sid") for s in policy["Statement"]]
    assert "AllowCloudWatchLogs" in sids and "AllowCloudWatchLogsTenantGroups" in sids


def test_an_imported_key_is_used_with_a_warning_about_its_policy() -> None:
    scope = stack()
    key = kms.Key.from_key_arn(
        scope,
        "Imported",
        "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    )
    TenantLogGroups(
        scope,
        "TenantLogs",
        props=TenantLogGroupsProps(cluster_name="platform", tenants=TENANTS, encryption_key=key),
    )
    template = Template.from_stack(scope)
    template.resource_count_is("AWS::KMS::Key", 0)
    assert all(
        p["KmsKeyId"]
        == "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        for p in groups_of(template).values()
    )
    warnings = cdk.assertions.Annotations.from_stack(scope).find_warning(
        "*", Match.string_like_regexp("must let logs.eu-west-1.amazonaws.com use it")
    )
    assert warnings


@pytest.mark.parametrize(
    ("tenants", "prop"),
    [
        ([], "TenantLogGroupsProps.tenants"),
        ([TenantLogSpec(name="Shop", retention_days=30)], "TenantLogGroupsProps.tenants[0].name"),
        (
            [TenantLogSpec(name="kube-public", retention_days=30)],
            "TenantLogGroupsProps.tenants[0].name",
        ),
        (
            [TenantLogSpec(name="shop", retention_days=2)],
            "TenantLogGroupsProps.tenants[0].retention_days",
        ),
        ([TenantLogSpec(name="shop", retention_days=30)] * 2, "TenantLogGroupsProps.tenants"),
    ],
)
def test_tenant_log_groups_refuse_bad_props(tenants: list[TenantLogSpec], prop: str) -> None:
    scope = stack()
    refused(
        "Platform/TenantLogs",
        prop,
        TenantLogGroups,
        scope,
        "TenantLogs",
        props=TenantLogGroupsProps(cluster_name="platform", tenants=tenants),
    )


# -- the add-on --------------------------------------------------------------------------


def cloudwatch_configuration(**overrides: Any) -> dict[str, Any]:
    scope, vpc = stack_with_vpc()
    cluster = built(scope, vpc=vpc)
    Addons(
        scope,
        "Addons",
        props=AddonsProps.node_readiness(
            cluster=cluster,
            kubernetes_version="1.34",
            vpc=vpc,
            cloudwatch_observability=True,
            **overrides,
        ),
    )
    (addon,) = [
        r["Properties"]
        for r in Template.from_stack(scope).find_resources("AWS::EKS::Addon").values()
        if r["Properties"]["AddonName"] == "amazon-cloudwatch-observability"
    ]
    configuration: dict[str, Any] = json.loads(addon["ConfigurationValues"])
    return configuration


def test_the_add_on_routes_tenant_logs_and_keeps_application_signals_opt_in() -> None:
    configuration = cloudwatch_configuration(tenant_log_namespaces=["shop", "ml-team"])
    assert configuration == merged(
        application_signals_opt_in(), tenant_log_routing(["shop", "ml-team"])
    )
    assert configuration["manager"]["applicationSignals"]["autoMonitor"] == {
        "monitorAllServices": False
    }


def test_without_tenants_the_add_on_only_pins_the_opt_in() -> None:
    assert cloudwatch_configuration() == application_signals_opt_in()


@pytest.mark.parametrize(
    ("overrides", "prop"),
    [
        ({"tenant_log_namespaces": ["Shop"]}, "AddonsProps.tenant_log_namespaces[0]"),
        ({"tenant_log_namespaces": ["kube-system"]}, "AddonsProps.tenant_log_namespaces[0]"),
        ({"tenant_log_namespaces": ["shop", "shop"]}, "AddonsProps.tenant_log_namespaces"),
        (
            {"tenant_log_namespaces": ["shop"], "cloudwatch_observability": False},
            "AddonsProps.tenant_log_namespaces",
        ),
    ],
)
def test_the_add_on_refuses_bad_tenant_namespaces(overrides: dict[str, Any], prop: str) -> None:
    scope, vpc = stack_with_vpc()
    cluster = built(scope, vpc=vpc)
    settings_ = {"cloudwatch_observability": True, **overrides}
    refused(
        "Platform/Addons",
        prop,
        Addons,
        scope,
        "Addons",
        props=AddonsProps.node_readiness(
            cluster=cluster, kubernetes_version="1.34", vpc=vpc, **settings_
        ),
    )


# -- Application Signals -----------------------------------------------------------------


def test_traces_annotate_the_namespace_for_one_language_and_none_without() -> None:
    assert tenant_namespace_annotations(None) == {}
    for language in ("java", "python", "dotnet", "nodejs"):
        assert tenant_namespace_annotations(language) == {
            f"instrumentation.opentelemetry.io/inject-{language}": "true"
        }


def test_annotations_refuse_unknown_languages() -> None:
    with pytest.raises(ValueError, match="not one of java"):
        tenant_namespace_annotations("go")


# -- Prometheus ----------------------------------------------------------------------------


def scraper_stack(**overrides: Any) -> tuple[cdk.Stack, PrometheusScraper]:
    scope, vpc = stack_with_vpc()
    cluster = built(scope, vpc=vpc)
    scraper = PrometheusScraper(
        scope,
        "Prometheus",
        props=PrometheusScraperProps(cluster=cluster, vpc=vpc, alias="platform", **overrides),
    )
    return scope, scraper


def resolved_text(value: Any, cluster_name: str) -> str:
    """A string, or an Fn::Join of strings and the cluster's Ref, as the deployed text."""
    if isinstance(value, str):
        return value
    parts = value["Fn::Join"][1]
    return "".join(p if isinstance(p, str) else cluster_name for p in parts)


def relabelled(rule: dict[str, str], value: str) -> str:
    """Prometheus relabelling: the regex is anchored at both ends, `$N` is its group N."""
    found = re.fullmatch(rule["regex"], value)
    assert found, value
    return re.sub(r"\$(\d+)", lambda g: found.group(int(g.group(1))), rule["replacement"])


@pytest.fixture(scope="module")
def prometheus() -> Template:
    scope, _ = scraper_stack(scrape_interval_seconds=60, retention_days=400)
    return Template.from_stack(scope)


def test_the_workspace_is_retained_with_its_retention(prometheus: Template) -> None:
    prometheus.has_resource(
        "AWS::APS::Workspace",
        {
            "Properties": {
                "Alias": "platform",
                "WorkspaceConfiguration": {"RetentionPeriodInDays": 400},
            },
            "DeletionPolicy": "Retain",
        },
    )


def test_the_scraper_reads_the_cluster_from_its_private_subnets(prometheus: Template) -> None:
    (scraper,) = prometheus.find_resources("AWS::APS::Scraper").values()
    source = scraper["Properties"]["Source"]["EksConfiguration"]
    assert source["ClusterArn"]["Fn::GetAtt"] == ["ClusterEB0386A7", "Arn"]
    subnets = [s["Ref"] for s in source["SubnetIds"]]
    assert len(subnets) == 3 and all("PrivateSubnet" in s for s in subnets)
    (group,) = source["SecurityGroupIds"]
    assert group["Fn::GetAtt"][1] == "ClusterSecurityGroupId"
    destination = scraper["Properties"]["Destination"]["AmpConfiguration"]["WorkspaceArn"]
    (workspace,) = prometheus.find_resources("AWS::APS::Workspace")
    assert destination == {"Fn::GetAtt": [workspace, "Arn"]}
    prometheus.resource_count_is("Custom::AWSCDK-EKS-KubernetesResource", 0)
    prometheus.resource_count_is(LAYER_TYPE, 0)


def test_the_scrape_configuration_is_base64_of_what_a_managed_collector_accepts(
    prometheus: Template,
) -> None:
    (scraper,) = prometheus.find_resources("AWS::APS::Scraper").values()
    blob = scraper["Properties"]["ScrapeConfiguration"]["ConfigurationBlob"]
    config = yaml.safe_load(resolved_text(blob["Fn::Base64"], "platform"))
    assert config["global"] == {
        "scrape_interval": "60s",
        "external_labels": {"cluster": "platform"},
    }
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {
        "kubernetes-apiservers",
        "kube-scheduler",
        "kube-controller-manager",
        "kubelet",
        "cadvisor",
        "annotated-pods",
    }
    for job in jobs.values():
        assert set(job) <= {
            "job_name",
            "scheme",
            "authorization",
            "kubernetes_sd_configs",
            "relabel_configs",
            "metrics_path",
        }
        assert [sd["role"] for sd in job["kubernetes_sd_configs"]] in (
            ["endpoints"],
            ["node"],
            ["pod"],
        )
        if "authorization" in job:
            assert job["authorization"] == {"type": "Bearer", "credentials_file": TOKEN_FILE}
        for relabel in job["relabel_configs"]:
            if relabel.get("target_label") == "__address__" and "source_labels" not in relabel:
                assert relabel["replacement"] == "kubernetes.default.svc:443"
    assert jobs["cadvisor"]["relabel_configs"][-1]["replacement"] == (
        "/api/v1/nodes/$1/proxy/metrics/cadvisor"
    )
    assert jobs["kube-scheduler"]["metrics_path"].endswith("/ksh/container/metrics")
    port = jobs["annotated-pods"]["relabel_configs"][2]
    assert relabelled(port, "10.0.1.7:8080;9102") == "10.0.1.7:9102"
    assert relabelled(port, "10.0.1.7;9102") == "10.0.1.7:9102"


def test_the_default_interval_is_thirty_seconds_and_no_retention_is_set() -> None:
    scope, scraper = scraper_stack()
    assert yaml.safe_load(scraper.configuration)["global"]["scrape_interval"] == "30s"
    Template.from_stack(scope).has_resource_properties(
        "AWS::APS::Workspace", {"WorkspaceConfiguration": Match.absent()}
    )


@pytest.mark.parametrize(("interval", "ok"), [(29, False), (30, True), (300, True), (301, False)])
def test_scrape_configuration_bounds(interval: int, ok: bool) -> None:
    if ok:
        assert yaml.safe_load(scrape_configuration(interval, "platform"))
    else:
        with pytest.raises(ValueError, match="must be 30 to 300"):
            scrape_configuration(interval, "platform")


def one_subnet(vpc: ec2.IVpc) -> ec2.SubnetSelection:
    return ec2.SubnetSelection(subnets=[vpc.private_subnets[0]])


@pytest.mark.parametrize(
    ("overrides", "prop"),
    [
        ({"alias": "-platform"}, "PrometheusScraperProps.alias"),
        ({"alias": "a" * 101}, "PrometheusScraperProps.alias"),
        ({"alias": "my platform"}, "PrometheusScraperProps.alias"),
        ({"scrape_interval_seconds": 15}, "PrometheusScraperProps.scrape_interval_seconds"),
        ({"scrape_interval_seconds": 600}, "PrometheusScraperProps.scrape_interval_seconds"),
        ({"retention_days": 0}, "PrometheusScraperProps.retention_days"),
        ({"retention_days": 1096}, "PrometheusScraperProps.retention_days"),
        ({"vpc_subnets": one_subnet}, "PrometheusScraperProps.vpc_subnets"),
    ],
)
def test_the_scraper_refuses_bad_props(overrides: dict[str, Any], prop: str) -> None:
    scope, vpc = stack_with_vpc()
    cluster = built(scope, vpc=vpc)
    resolved = {k: (v(vpc) if callable(v) else v) for k, v in overrides.items()}
    fields = {"cluster": cluster, "vpc": vpc, "alias": "platform", **resolved}
    refused(
        "Platform/Prometheus",
        prop,
        PrometheusScraper,
        scope,
        "Prometheus",
        props=PrometheusScraperProps(**fields),
    )


def test_template_of_scraper_has_one_workspace_and_one_scraper() -> None:
    def build(scope: cdk.Stack) -> None:
        vpc = ec2.Vpc(scope, "Vpc", availability_zones=["eu-west-1a", "eu-west-1b"], nat_gateways=1)
        cluster = built(scope, vpc=vpc)
        PrometheusScraper(
            scope,
            "Prometheus",
            props=PrometheusScraperProps(cluster=cluster, vpc=vpc, alias="platform"),
        )

    template = template_of(build)
    template.resource_count_is("AWS::APS::Workspace", 1)
    template.resource_count_is("AWS::APS::Scraper", 1)
