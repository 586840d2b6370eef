"""Tenant telemetry: container logs per tenant, Application Signals opt-in, a managed
Prometheus scraper.

Three independent parts, each usable alone:

* **Logs per tenant.** `TenantLogGroups` creates one KMS-encrypted log group with retention per
  tenant, `/aws/containerinsights/<cluster>/tenants/<tenant>`; `tenant_log_routing` is the
  `amazon-cloudwatch-observability` add-on configuration that makes its Fluent Bit send the
  container logs of those namespaces there, and only there. Every other namespace keeps
  going to the add-on's default `/aws/containerinsights/<cluster>/application`. The name sits
  under the cluster's Container Insights prefix (one KMS condition and one IAM prefix cover
  every tenant), and `tenants/` keeps it apart from the groups the add-on itself writes
  (`application`, `dataplane`, `host`, `performance`).
* **Traces per tenant.** `tenant_namespace_annotations(language)` gives the annotation
  that make the add-on's operator inject the ADOT SDK into the namespace's pods (CloudWatch
  Application Signals: traces to X-Ray, metrics to CloudWatch); `application_signals_opt_in`
  keeps every other namespace out of it.
* **Prometheus.** `PrometheusScraper`: an Amazon Managed Service for Prometheus workspace and
  an agentless managed scraper (AWS::APS::Scraper) that reads the cluster's metrics.

Facts and their sources (read 2026; re-check when the add-on pin in addons/versions.py moves):

* aws-observability/helm-charts, tag amazon-cloudwatch-observability-4.4.0 (the chart of the
  pinned add-on v4.4.0-eksbuild.1), charts/amazon-cloudwatch-observability:
  values.yaml `containerLogs.fluentBit.config.extraFiles."application-log.conf"` is the
  Fluent Bit pipeline of container logs (tail of /var/log/containers/*.log tagged
  `application.*`, `aws` and `kubernetes` filters, one `cloudwatch_logs` output to
  `/aws/containerinsights/${CLUSTER_NAME}/application` with `auto_create_group true`);
  templates/linux/fluent-bit-configmap.yaml includes each extraFiles key and passes its text
  through Helm `tpl` (so the text must hold no `{{`); templates/linux/fluent-bit-daemonset.yaml
  sets CLUSTER_NAME, AWS_REGION, HOST_NAME and READ_FROM_HEAD. Helm merges maps, so
  overriding the one key keeps `dataplane-log.conf` and `host-log.conf`.
  values.yaml `manager.applicationSignals.autoMonitor.monitorAllServices` is false at 4.4.0;
  the chart's main branch (6.x) says it "defaults to true for regions where AppSignals is
  supported", hence the explicit false here. templates/operator-deployment.yaml runs the
  operator with feature gates `operator.autoinstrumentation.multi-instrumentation` and
  `...skip-container-validation`, so one namespace may carry several inject annotations.
  values.yaml `agent.defaultConfig` turns on `enhanced_container_insights` (metrics per
  namespace, pod and container) and `application_signals`.
* Whether the EKS add-on's configuration schema (aws eks describe-addon-configuration) admits
  `containerLogs.fluentBit.config.extraFiles` at v4.4.0-eksbuild.1 was NOT confirmed offline;
  the chart values exist at that version. A refused key fails the add-on update with the key's
  name, not silently.
* Fluent Bit `rewrite_tag` filter (Rule `$KEY REGEX NEW_TAG KEEP`, Emitter_Name,
  Emitter_Storage.type, Emitter_Mem_Buf_Limit) and `cloudwatch_logs` output
  (`auto_create_group`, `log_stream_prefix`): docs.fluentbit.io, pipeline filters/outputs.
* CloudWatchAgentServerPolicy allows logs:CreateLogStream, PutLogEvents, DescribeLogStreams,
  DescribeLogGroups, CreateLogGroup, PutRetentionPolicy on `*`: the add-on role can write to
  the tenant groups without another policy. A writer to a KMS-encrypted group needs no KMS
  permission; the key policy must let logs.<region>.amazonaws.com use the key (CloudWatch
  Logs guide, "Encrypt log data using AWS KMS").
* Amazon Managed Service for Prometheus user guide, "Using an AWS managed collector"
  (AMP-collector-how-to): at least two subnets in two AZs; security groups and subnets "should
  be set to the security group and subnets for the cluster"; the cluster endpoint must include
  private access and the VPC must have DNS; the scrape configuration is base64-encoded YAML;
  scrape interval at least 30 s; only `kubernetes_sd_config` discovery; the only host name
  resolved is kubernetes.default.svc; bearer authorization must read
  /var/run/secrets/kubernetes.io/serviceaccount/token; with cluster authentication mode API
  or API_AND_CONFIG_MAP "any scrapers you create ... will automatically have the correct
  access entry policy created for you" (so no ClusterRole, ClusterRoleBinding or access entry
  here: the `aps-collector-role` manifests are only for aws-auth clusters, which this project
  never builds); a workspace with a customer managed key needs the scraper's
  RoleConfiguration (a source and a target role), which this construct does not build yet.
* CloudFormation resource schemas bundled with cfn-lint 1.58.0
  (cfnlint/data/schemas/resources/8ec677c423b3f19e.json = AWS::APS::Scraper,
  34132ff5af28285b.json = AWS::APS::Workspace): Scraper Alias 1-100 characters
  `^[0-9A-Za-z][-.0-9A-Z_a-z]*$`, Source create-only (replacement), ConfigurationBlob
  "base64 encoded"; Workspace Alias at most 100 characters, KmsKeyArn create-only,
  WorkspaceConfiguration.RetentionPeriodInDays minimum 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import yaml
from aws_cdk import Annotations, Fn, RemovalPolicy, Stack, Token
from aws_cdk import aws_aps as aps
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from .config.observability import (
    ALIAS,
    APPLICATION_SIGNALS_LANGUAGES,
    MAX_RETENTION_DAYS,
    MAX_SCRAPE_INTERVAL_SECONDS,
    MIN_SCRAPE_INTERVAL_SECONDS,
)
from .defaults import RETENTION_PERIODS
from .encryption import allow_cloudwatch_logs, new_key
from .ids import pascal_id
from .validate_names import (
    PropError,
    check_choice,
    check_prop,
    check_range,
    check_tenant_namespace,
    check_unique,
)

__all__ = [
    "APPLICATION_SIGNALS_LANGUAGES",
    "DEFAULT_LOG_GROUP",
    "MAX_SCRAPE_INTERVAL_SECONDS",
    "MIN_SCRAPE_INTERVAL_SECONDS",
    "PrometheusScraper",
    "PrometheusScraperProps",
    "TenantLogGroups",
    "TenantLogGroupsProps",
    "TenantLogSpec",
    "application_signals_opt_in",
    "fluent_bit_application_log",
    "merged",
    "scrape_configuration",
    "tenant_log_group_name",
    "tenant_log_routing",
    "tenant_namespace_annotations",
]

# -- logs per tenant --------------------------------------------------------------------

#: The add-on's default group of container logs; `${CLUSTER_NAME}` is the Fluent Bit
#: DaemonSet's variable (the cluster's name), resolved by Fluent Bit on the node.
DEFAULT_LOG_GROUP: Final = "/aws/containerinsights/${CLUSTER_NAME}/application"
#: The tag prefix of records re-tagged for a tenant: it must not match `application.*`, or
#: the default output would ship them too.
TENANT_TAG_PREFIX: Final = "tenant."
#: The add-on's extraFiles key this module replaces (chart 4.4.0 values.yaml).
APPLICATION_LOG_FILE: Final = "application-log.conf"


def tenant_log_group_name(cluster_name: str, tenant: str) -> str:
    """`/aws/containerinsights/<cluster>/tenants/<tenant>`: where a tenant's container logs go.
    `cluster_name` may be `${CLUSTER_NAME}` (the Fluent Bit variable)."""
    return f"/aws/containerinsights/{cluster_name}/tenants/{tenant}"


@dataclass(frozen=True, kw_only=True)
class TenantLogSpec:
    """One tenant whose container logs get a log group of their own."""

    name: str
    """The tenant's namespace (a Kubernetes name, not one the cluster or add-ons use)."""
    retention_days: int
    """Days CloudWatch Logs keeps the events: one of the periods CloudWatch Logs accepts
    (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."""


@dataclass(frozen=True, kw_only=True)
class TenantLogGroupsProps:
    """The tenants of one cluster whose logs are routed to groups of their own."""

    cluster_name: str
    """The EKS cluster's name, literal (the group names and the key policy contain it)."""
    tenants: Sequence[TenantLogSpec]
    """At least one tenant; names unique."""
    encryption_key: kms.IKey | None = None
    """The key of the groups, e.g. `ControlPlane.log_key`. A key defined in this app
    (kms.Key) gets a key-policy statement letting CloudWatch Logs use it for these groups;
    an imported key's policy must already allow it (a warning says so). Default: a new
    rotating key."""
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    """What happens to the groups (and a new key) when the stack is deleted. Default:
    retain."""


class TenantLogGroups(Construct):
    """One encrypted log group with retention per tenant (construct id from the tenant name),
    and `routing`: the add-on configuration that sends each tenant's container logs there.

    Order the cloudwatch-observability add-on after this construct: its Fluent Bit does not
    create the groups (`auto_create_group false`), so a log event sent before its group
    exists is retried and, at the end, dropped.
    """

    def __init__(self, scope: Construct, id: str, *, props: TenantLogGroupsProps) -> None:
        super().__init__(scope, id)
        _check_tenant_logs(self.node.path, props)
        self.key: kms.IKey = props.encryption_key or new_key(
            self,
            "Key",
            description=f"Encrypts the tenant container logs of EKS cluster {props.cluster_name}",
            removal_policy=props.removal_policy,
        )
        prefix = tenant_log_group_name(props.cluster_name, "*")
        if isinstance(self.key, kms.Key):
            allow_tenant_log_groups(self.key, prefix)
        else:
            Annotations.of(self).add_warning_v2(
                "eks-blueprint:TenantLogKey",
                f"The imported key's policy must let logs.{Stack.of(self).region}.amazonaws.com "
                f"use it for log groups {prefix} (kms:EncryptionContext:aws:logs:arn), or "
                "creating the groups fails.",
            )
        #: Tenant name -> its log group.
        self.log_groups: dict[str, logs.LogGroup] = {
            tenant.name: logs.LogGroup(
                self,
                pascal_id(tenant.name),
                log_group_name=tenant_log_group_name(props.cluster_name, tenant.name),
                retention=logs.RetentionDays[RETENTION_PERIODS[tenant.retention_days]],
                encryption_key=self.key,
                removal_policy=props.removal_policy,
            )
            for tenant in props.tenants
        }
        #: The cloudwatch-observability add-on configuration fragment for these tenants.
        self.routing: dict[str, Any] = tenant_log_routing([t.name for t in props.tenants])


def _check_tenant_logs(path: str, props: TenantLogGroupsProps) -> None:
    if not props.tenants:
        raise PropError(
            path,
            "TenantLogGroupsProps.tenants",
            list(props.tenants),
            "give at least one tenant, or leave TenantLogGroups out",
        )
    names = [t.name for t in props.tenants]
    for index, tenant in enumerate(props.tenants):
        at = f"TenantLogGroupsProps.tenants[{index}]"
        check_prop(path, f"{at}.name", tenant.name, check_tenant_namespace)
        check_prop(
            path,
            f"{at}.retention_days",
            tenant.retention_days,
            check_choice,
            tuple(RETENTION_PERIODS),
        )
    check_prop(path, "TenantLogGroupsProps.tenants", names, check_unique)


def allow_tenant_log_groups(key: kms.Key, log_group_pattern: str) -> None:
    """Let CloudWatch Logs of this region use `key` for the log groups matching
    `log_group_pattern` of this account (eks_blueprint.encryption.allow_cloudwatch_logs,
    under a statement id of its own, so the control plane's log key can take both)."""
    allow_cloudwatch_logs(
        key, log_group_name_prefix=log_group_pattern, sid="AllowCloudWatchLogsTenantGroups"
    )


def _section(name: str, settings: Sequence[tuple[str, str]]) -> str:
    """One Fluent Bit classic-mode section, keys aligned."""
    width = max(len(key) for key, _ in settings) + 1
    lines = [f"[{name}]"] + [f"    {key.ljust(width)}{value}" for key, value in settings]
    return "\n".join(lines)


def _tail(tag: str, path: str, db: str, buffer: str, *, main: bool = False) -> str:
    settings = [("Name", "tail"), ("Tag", tag)]
    if main:
        # The add-on's own and the node agents' logs are read by inputs of their own or go
        # to the dataplane group (chart 4.4.0 application-log.conf).
        settings.append(
            (
                "Exclude_Path",
                "/var/log/containers/cloudwatch-agent*, /var/log/containers/fluent-bit*, "
                "/var/log/containers/aws-node*, /var/log/containers/kube-proxy*",
            )
        )
    settings += [
        ("Path", path),
        ("multiline.parser", "docker, cri"),
        ("DB", db),
        ("Mem_Buf_Limit", buffer),
        ("Skip_Long_Lines", "On"),
        ("Refresh_Interval", "10"),
    ]
    if main:
        settings += [("Rotate_Wait", "30"), ("storage.type", "filesystem")]
    settings.append(("Read_from_Head", "${READ_FROM_HEAD}"))
    return _section("INPUT", settings)


def _cloudwatch_output(match: str, group: str, *, create: bool) -> str:
    return _section(
        "OUTPUT",
        [
            ("Name", "cloudwatch_logs"),
            ("Match", match),
            ("region", "${AWS_REGION}"),
            ("log_group_name", group),
            ("log_stream_prefix", "${HOST_NAME}-"),
            ("auto_create_group", "true" if create else "false"),
            ("extra_user_agent", "container-insights"),
            ("add_entity", "true"),
        ],
    )


def fluent_bit_application_log(tenants: Sequence[str]) -> str:
    """The add-on's `application-log.conf`, with each tenant's container logs re-tagged
    `tenant.<name>` (the original record dropped) and sent to the tenant's own group.

    Inputs, the `aws` and `kubernetes` filters and the default output are the chart's (4.4.0).
    Fluent Bit runs filters in the order written: `rewrite_tag` comes after `kubernetes`,
    whose `kubernetes.namespace_name` it matches. A re-tagged record enters the pipeline again
    under its new tag, which neither `application.*` filter nor the default output matches.
    Tenant groups exist beforehand (TenantLogGroups), so their outputs create none.
    """
    for name in tenants:
        check_tenant_namespace(name)
    check_unique(list(tenants))
    parts = [
        _tail(
            "application.*",
            "/var/log/containers/*.log",
            "/var/fluent-bit/state/flb_container.db",
            "50MB",
            main=True,
        ),
        _tail(
            "application.*",
            "/var/log/containers/fluent-bit*",
            "/var/fluent-bit/state/flb_log.db",
            "5MB",
        ),
        _tail(
            "application.*",
            "/var/log/containers/cloudwatch-agent*",
            "/var/fluent-bit/state/flb_cwagent.db",
            "5MB",
        ),
        _section(
            "FILTER",
            [
                ("Name", "aws"),
                ("Match", "application.*"),
                ("az", "false"),
                ("ec2_instance_id", "false"),
                ("Enable_Entity", "true"),
            ],
        ),
        _section(
            "FILTER",
            [
                ("Name", "kubernetes"),
                ("Match", "application.*"),
                ("Kube_URL", "https://kubernetes.default.svc:443"),
                ("Kube_Tag_Prefix", "application.var.log.containers."),
                ("Merge_Log", "On"),
                ("Merge_Log_Key", "log_processed"),
                ("K8S-Logging.Parser", "On"),
                ("K8S-Logging.Exclude", "Off"),
                ("Labels", "Off"),
                ("Annotations", "Off"),
                ("Use_Kubelet", "On"),
                ("Kubelet_Port", "10250"),
                ("Buffer_Size", "0"),
                ("Use_Pod_Association", "On"),
            ],
        ),
    ]
    if tenants:
        parts.append(
            _section(
                "FILTER",
                [
                    ("Name", "rewrite_tag"),
                    ("Match", "application.*"),
                    # One rule per tenant, literal tag (namespace names hold only [a-z0-9-],
                    # literal in a regex); KEEP false drops the original record, so the
                    # default group never receives a tenant's logs.
                    *(
                        (
                            "Rule",
                            # The new tag keeps the original ($TAG: the container's
                            # log file), so each container keeps a stream of its own.
                            f"$kubernetes['namespace_name'] ^{name}$ "
                            f"{TENANT_TAG_PREFIX}{name}.$TAG false",
                        )
                        for name in tenants
                    ),
                    ("Emitter_Name", "tenant_logs"),
                    # Buffered on disk like the input, so a slow tenant output cannot make the
                    # emitter drop records when memory runs out.
                    ("Emitter_Storage.type", "filesystem"),
                    ("Emitter_Mem_Buf_Limit", "50MB"),
                ],
            )
        )
    parts.append(_cloudwatch_output("application.*", DEFAULT_LOG_GROUP, create=True))
    parts += [
        _cloudwatch_output(
            f"{TENANT_TAG_PREFIX}{name}.*",
            tenant_log_group_name("${CLUSTER_NAME}", name),
            create=False,
        )
        for name in tenants
    ]
    return "\n\n".join(parts) + "\n"


def tenant_log_routing(tenants: Sequence[str]) -> dict[str, Any]:
    """The cloudwatch-observability add-on configuration fragment (to merge into its
    configuration values) that routes the container logs of `tenants` to their groups:
    `containerLogs.fluentBit.config.extraFiles["application-log.conf"]`. No tenants: an
    empty fragment (the add-on's own file stays)."""
    if not tenants:
        return {}
    return {
        "containerLogs": {
            "fluentBit": {
                "config": {
                    "extraFiles": {APPLICATION_LOG_FILE: fluent_bit_application_log(tenants)}
                }
            }
        }
    }


# -- Application Signals ----------------------------------------------------------------

#: The OpenTelemetry operator's injection annotation, per language.
INJECT_ANNOTATION: Final = "instrumentation.opentelemetry.io/inject-{language}"


def tenant_namespace_annotations(language: str | None) -> dict[str, str]:
    """The annotations of a tenant's Namespace: for a trace `language` (java, python, dotnet
    or nodejs), `instrumentation.opentelemetry.io/inject-<language>: "true"`, so the add-on's
    operator injects that language's ADOT SDK into the namespace's new pods (running pods keep
    what they have until restarted); for None, none.

    One language only: without container-name annotations the operator injects every
    annotated language into each pod's first container (amazon-cloudwatch-agent-operator
    pkg/instrumentation sdk.go), so four annotations would give every pod four init
    containers and four languages' environment variables, whatever it runs.
    """
    if language is None:
        return {}
    check_choice(language, APPLICATION_SIGNALS_LANGUAGES)
    return {INJECT_ANNOTATION.format(language=language): "true"}


def application_signals_opt_in() -> dict[str, Any]:
    """The add-on configuration fragment that keeps Application Signals opt-in: its auto
    monitor does not instrument every service (`monitorAllServices: false`); only namespaces
    annotated by `tenant_namespace_annotations(language)` are. Explicit because newer
    charts turn it on by default in supported regions."""
    return {"manager": {"applicationSignals": {"autoMonitor": {"monitorAllServices": False}}}}


# -- Prometheus -------------------------------------------------------------------------

#: The service account token the managed collector authenticates with.
TOKEN_FILE: Final = "/var/run/secrets/kubernetes.io/serviceaccount/token"
#: The API server: the only host name a managed collector resolves.
API_SERVER: Final = "kubernetes.default.svc:443"


def _api_server_endpoints() -> list[dict[str, Any]]:
    """Keep only the `kubernetes` Service's https endpoints in `default` (the API server)."""
    return [
        {
            "source_labels": [
                "__meta_kubernetes_namespace",
                "__meta_kubernetes_service_name",
                "__meta_kubernetes_endpoint_port_name",
            ],
            "action": "keep",
            "regex": "default;kubernetes;https",
        }
    ]


def scrape_configuration(scrape_interval_seconds: int, cluster_name: str) -> str:
    """The scraper's Prometheus configuration (YAML): the API server, the kube-scheduler and
    kube-controller-manager metrics EKS serves (1.28 and later), each node's kubelet and
    cAdvisor through the API server proxy (no node port opened to the scraper), and pods
    annotated `prometheus.io/scrape: "true"` (port and path from `prometheus.io/port` and
    `prometheus.io/path`). Every series carries `cluster=<cluster_name>`.

    Only what a managed collector accepts: `kubernetes_sd_configs`, bearer authorization from
    the service account token file, no host names but kubernetes.default.svc. Tenant pods sit
    behind default-deny NetworkPolicies: their annotated pods are scraped only where the
    tenant admits the scraper's subnets on the metrics port.
    """
    check_range(scrape_interval_seconds, MIN_SCRAPE_INTERVAL_SECONDS, MAX_SCRAPE_INTERVAL_SECONDS)
    https = {"scheme": "https", "authorization": {"type": "Bearer", "credentials_file": TOKEN_FILE}}

    def node_proxy(job: str, suffix: str) -> dict[str, Any]:
        return {
            "job_name": job,
            **https,
            "kubernetes_sd_configs": [{"role": "node"}],
            "relabel_configs": [
                {"action": "labelmap", "regex": "__meta_kubernetes_node_label_(.+)"},
                {"target_label": "__address__", "replacement": API_SERVER},
                {
                    "source_labels": ["__meta_kubernetes_node_name"],
                    "regex": "(.+)",
                    "target_label": "__metrics_path__",
                    "replacement": f"/api/v1/nodes/$1/proxy/metrics{suffix}",
                },
            ],
        }

    def control_plane(job: str, component: str) -> dict[str, Any]:
        return {
            "job_name": job,
            **https,
            "kubernetes_sd_configs": [{"role": "endpoints"}],
            "metrics_path": f"/apis/metrics.eks.amazonaws.com/v1/{component}/container/metrics",
            "relabel_configs": _api_server_endpoints(),
        }

    annotation = "__meta_kubernetes_pod_annotation_prometheus_io_"
    config = {
        "global": {
            "scrape_interval": f"{scrape_interval_seconds}s",
            "external_labels": {"cluster": cluster_name},
        },
        "scrape_configs": [
            {
                "job_name": "kubernetes-apiservers",
                **https,
                "kubernetes_sd_configs": [{"role": "endpoints"}],
                "relabel_configs": _api_server_endpoints(),
            },
            control_plane("kube-scheduler", "ksh"),
            control_plane("kube-controller-manager", "kcm"),
            node_proxy("kubelet", ""),
            node_proxy("cadvisor", "/cadvisor"),
            {
                "job_name": "annotated-pods",
                "kubernetes_sd_configs": [{"role": "pod"}],
                "relabel_configs": [
                    {
                        "source_labels": [f"{annotation}scrape"],
                        "action": "keep",
                        "regex": "true",
                    },
                    {
                        "source_labels": [f"{annotation}path"],
                        "action": "replace",
                        "target_label": "__metrics_path__",
                        "regex": "(.+)",
                    },
                    {
                        "source_labels": ["__address__", f"{annotation}port"],
                        "action": "replace",
                        "regex": r"([^:]+)(?::\d+)?;(\d+)",
                        "replacement": "$1:$2",
                        "target_label": "__address__",
                    },
                    {
                        "source_labels": ["__meta_kubernetes_namespace"],
                        "target_label": "namespace",
                    },
                    {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
                ],
            },
        ],
    }
    return yaml.safe_dump(config, sort_keys=False)


def _private_subnets() -> ec2.SubnetSelection:
    return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)


@dataclass(frozen=True, kw_only=True)
class PrometheusScraperProps:
    """An AMP workspace and the managed scraper of one cluster."""

    cluster: eks.ICluster
    """The cluster; its authentication mode must allow access entries (API or
    API_AND_CONFIG_MAP: AMP then creates the scraper's access entry), its endpoint must
    include private access, and its VPC must resolve DNS."""
    vpc: ec2.IVpc
    """The cluster's VPC."""
    alias: str
    """Workspace and scraper alias: 1-100 letters, digits, '-', '.', '_', starting with a
    letter or digit (AWS::APS::Scraper Alias), e.g. the cluster name."""
    vpc_subnets: ec2.SubnetSelection = field(default_factory=_private_subnets)
    """Where the scraper's network interfaces go: the cluster's subnets, at least two in
    two availability zones, each with a free address. Default: the private subnets."""
    security_groups: Sequence[ec2.ISecurityGroup] = ()
    """The scraper's security groups. Default: the cluster security group, which lets its
    members (control plane interfaces, and nodes that use it) reach each other on every port:
    the API server (443), and pods' metrics ports on those nodes. Other groups must allow the
    same, and nodes with a security group of their own must admit the scraper's."""
    scrape_interval_seconds: int = MIN_SCRAPE_INTERVAL_SECONDS
    """Seconds between scrapes, 30 (AMP's minimum) to 300. Default: 30."""
    retention_days: int | None = None
    """Days the workspace keeps metrics, at least 1. Default: AMP's own (150 days)."""
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    """What happens to the workspace (the metrics) when the stack is deleted. Default: retain."""


class PrometheusScraper(Construct):
    """An AMP workspace (AWS-owned key; see the module docstring for customer managed keys)
    and an AWS::APS::Scraper writing the cluster's metrics to it.

    Nothing is applied in the cluster: with access entries, AMP creates the scraper's access
    entry and its read-only permissions itself. A changed subnet or security group replaces
    the scraper (Source is create-only).
    """

    def __init__(self, scope: Construct, id: str, *, props: PrometheusScraperProps) -> None:
        super().__init__(scope, id)
        path = self.node.path
        _check_scraper_props(path, props)
        subnets = props.vpc.select_subnets(
            subnet_type=props.vpc_subnets.subnet_type,
            subnet_group_name=props.vpc_subnets.subnet_group_name,
            subnets=props.vpc_subnets.subnets,
            availability_zones=props.vpc_subnets.availability_zones,
            one_per_az=props.vpc_subnets.one_per_az,
        )
        _check_subnets(path, subnets)
        groups = list(props.security_groups) or [props.cluster.cluster_security_group]
        self.workspace = aps.CfnWorkspace(
            self,
            "Workspace",
            alias=props.alias,
            workspace_configuration=aps.CfnWorkspace.WorkspaceConfigurationProperty(
                retention_period_in_days=props.retention_days
            )
            if props.retention_days is not None
            else None,
        )
        self.workspace.apply_removal_policy(props.removal_policy)
        #: The scraper's Prometheus configuration (YAML, before base64).
        self.configuration = scrape_configuration(
            props.scrape_interval_seconds, props.cluster.cluster_name
        )
        self.scraper = aps.CfnScraper(
            self,
            "Scraper",
            alias=props.alias,
            source=aps.CfnScraper.SourceProperty(
                eks_configuration=aps.CfnScraper.EksConfigurationProperty(
                    cluster_arn=props.cluster.cluster_arn,
                    subnet_ids=list(subnets.subnet_ids),
                    security_group_ids=[group.security_group_id for group in groups],
                )
            ),
            destination=aps.CfnScraper.DestinationProperty(
                amp_configuration=aps.CfnScraper.AmpConfigurationProperty(
                    workspace_arn=self.workspace.attr_arn
                )
            ),
            # CloudFormation wants the YAML base64-encoded; Fn::Base64 keeps it readable in
            # the template and resolves the cluster name inside it.
            scrape_configuration=aps.CfnScraper.ScrapeConfigurationProperty(
                configuration_blob=Fn.base64(self.configuration)
            ),
        )


def _check_scraper_props(path: str, props: PrometheusScraperProps) -> None:
    if not ALIAS.fullmatch(props.alias):
        raise PropError(
            path,
            "PrometheusScraperProps.alias",
            props.alias,
            "use 1-100 letters, digits, '-', '.' or '_', starting with a letter or digit "
            "(AWS::APS::Scraper Alias)",
        )
    check_prop(
        path,
        "PrometheusScraperProps.scrape_interval_seconds",
        props.scrape_interval_seconds,
        check_range,
        MIN_SCRAPE_INTERVAL_SECONDS,
        MAX_SCRAPE_INTERVAL_SECONDS,
    )
    if props.retention_days is not None:
        check_prop(
            path,
            "PrometheusScraperProps.retention_days",
            props.retention_days,
            check_range,
            1,
            MAX_RETENTION_DAYS,
        )


def _check_subnets(path: str, subnets: ec2.SelectedSubnets) -> None:
    """At least two subnets in at least two zones (where the zones are known at synth)."""
    zones = {zone for zone in subnets.availability_zones if not Token.is_unresolved(zone)}
    known = len(zones) == len(subnets.availability_zones)
    if len(subnets.subnet_ids) < 2 or (known and len(zones) < 2):
        raise PropError(
            path,
            "PrometheusScraperProps.vpc_subnets",
            f"{len(subnets.subnet_ids)} subnet(s) in {len(zones)} zone(s)",
            "a managed scraper needs at least two subnets in at least two availability zones; "
            "select the cluster's private subnets",
        )


def merged(*fragments: Mapping[str, Any]) -> dict[str, Any]:
    """The add-on configuration fragments merged key by key (maps merge, other values from
    the later fragment win): how the add-on's Helm values combine too."""
    result: dict[str, Any] = {}
    for fragment in fragments:
        for key, value in fragment.items():
            if isinstance(value, Mapping) and isinstance(result.get(key), dict):
                result[key] = merged(result[key], value)
            else:
                result[key] = dict(value) if isinstance(value, Mapping) else value
    return result
