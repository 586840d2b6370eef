"""The `addons:` section: EKS managed add-ons and Helm add-ons.

Which add-ons exist, their EKS names, defaults and whether they need kubectl (a chart or
manifest in the cluster's Kubernetes layers) come from the add-on table,
eks_blueprint/addons/catalog.py; this model is its YAML face
(tests/unit/test_addons_catalog.py checks that every add-on there has its field here, with
the same default). Versions default to the pins in eks_blueprint/addons/versions.py for the
cluster's Kubernetes version; an explicit `version` must be listed there for that Kubernetes
version (checked in EnvironmentConfig, which knows cluster.version). The checks shared with
`AddonsProps` live in eks_blueprint/addons/validate.py.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from ..addons.catalog import CATALOG
from ..addons.cni_metrics import (
    DEFAULT_FREE_ADDRESSES_ALARM_BELOW,
    check_alarm_topic_arn,
    check_free_addresses_threshold,
)
from ..addons.validate import check_coredns_autoscaling, check_domain, check_hosted_zone_id
from ..addons.versions import AddonName
from ..addons.vpa import VpaMode
from .base import FieldError, LabelKey, LabelValue, StrictModel

__all__ = [
    "MANAGED_ADDON_FIELDS",
    "AddonsConfig",
    "CertManagerConfig",
    "CniMetricsHelperConfig",
    "CoreDnsAutoscalingConfig",
    "CoreDnsConfig",
    "ExternalDnsConfig",
    "LoadBalancerControllerConfig",
    "ManagedAddonConfig",
    "OffByDefaultAddonConfig",
    "OptionalAddonConfig",
    "Toleration",
    "VerticalPodAutoscalerConfig",
    "VpcCniConfig",
]


class ManagedAddonConfig(StrictModel):
    """An EKS managed add-on that is always installed."""

    version: str | None = None
    """Add-on version, e.g. v1.20.4-eksbuild.2. Default: the version pinned for the cluster's
    Kubernetes version in eks_blueprint/addons/versions.py."""


class OptionalAddonConfig(ManagedAddonConfig):
    """An EKS managed add-on that an environment can switch off."""

    enabled: bool = True
    """Install the add-on. Default: on."""


class OffByDefaultAddonConfig(ManagedAddonConfig):
    """An EKS managed add-on that an environment can switch on."""

    enabled: bool = False
    """Install the add-on. Default: off."""


class VpcCniConfig(ManagedAddonConfig):
    """The Amazon VPC CNI: prefix delegation and network policies are always on."""

    pod_eni: bool = False
    """ENABLE_POD_ENI: security groups for pods (trunk ENIs); also attaches
    AmazonEKSVPCResourceController to the cluster role. Not with compute.auto_mode.
    Default: off."""
    pod_security_group_enforcing_mode: Literal["standard", "strict"] | None = None
    """POD_SECURITY_GROUP_ENFORCING_MODE, only with pod_eni. standard (the default here):
    the node's and the pod's security groups both apply, Kubernetes NetworkPolicy (which
    this project enables) keeps working for those pods, and kubelet probes from the pod's
    node pass. strict (the VPC CNI's own default): only the pod's groups apply, traffic to
    the internet is not translated to the node's address, and TCP early demux is switched
    off for kubelet probes (init DISABLE_TCP_EARLY_DEMUX). Default: standard with pod_eni
    (EKS best practices: standard with network policies)."""

    @model_validator(mode="after")
    def _mode_needs_pod_eni(self) -> VpcCniConfig:
        if self.pod_security_group_enforcing_mode is not None and not self.pod_eni:
            raise FieldError(
                "pod_security_group_enforcing_mode",
                "the enforcing mode applies to pods with security groups, and pod_eni is off; "
                "set pod_eni: true or remove the mode",
            )
        return self


class Toleration(StrictModel):
    """A Kubernetes toleration for CoreDNS pods."""

    key: LabelKey
    """Taint key, e.g. CriticalAddonsOnly (a label key)."""
    operator: Literal["Exists", "Equal"] = "Exists"
    """Exists (any value) or Equal (value must match). Default: Exists."""
    value: LabelValue | None = None
    """Taint value (a label value); only with operator Equal."""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    """Taint effect to tolerate. Default: all effects."""

    @model_validator(mode="after")
    def _value_needs_equal(self) -> Toleration:
        if self.operator == "Exists" and self.value is not None:
            raise FieldError("value", "value is set but operator is 'Exists'; use operator: Equal")
        if self.operator == "Equal" and self.value is None:
            raise FieldError("value", "operator 'Equal' needs a value")
        return self


class CoreDnsAutoscalingConfig(StrictModel):
    """The CoreDNS add-on's own autoscaler (configuration value autoScaling)."""

    enabled: bool = False
    """Scale CoreDNS with the cluster size. Default: off (fixed `replicas`)."""
    min_replicas: int = Field(default=2, ge=2, le=1000)
    """Lower bound. Default: 2."""
    max_replicas: int = Field(default=10, ge=2, le=1000)
    """Upper bound. Default: 10."""

    @model_validator(mode="after")
    def _ordered(self) -> CoreDnsAutoscalingConfig:
        try:
            check_coredns_autoscaling(self.min_replicas, self.max_replicas)
        except ValueError as exc:
            raise FieldError("min_replicas", str(exc)) from None
        return self


class CoreDnsConfig(ManagedAddonConfig):
    """Cluster DNS."""

    replicas: int = Field(default=2, ge=1, le=100)
    """CoreDNS replicas when autoscaling is off. Default: 2 (one per AZ failure)."""
    autoscaling: CoreDnsAutoscalingConfig = CoreDnsAutoscalingConfig()
    """Autoscaling by the add-on. Default: off."""
    tolerations: list[Toleration] = Field(default_factory=list)
    """Extra tolerations, e.g. for a tainted system node group. Default: none."""
    compute_type: Literal["ec2", "fargate"] = "ec2"
    """`fargate` when the cluster has no node group, so CoreDNS runs on a Fargate profile
    (configuration value computeType: Fargate). Default: ec2."""


class LoadBalancerControllerConfig(StrictModel):
    """AWS Load Balancer Controller (Helm): ALB for Ingress, NLB for Services."""

    enabled: bool = True
    """Install the controller. Default: on."""
    replicas: int = Field(default=2, ge=1, le=10)
    """Controller replicas (a PodDisruptionBudget keeps one up). Default: 2."""


class ExternalDnsConfig(StrictModel):
    """external-dns (Helm), limited to one Route 53 hosted zone."""

    enabled: bool = False
    """Install external-dns. Default: off."""
    hosted_zone_id: str | None = None
    """The Route 53 hosted zone id (Z...) it may change. Required when enabled."""
    domain: str | None = None
    """The zone's domain, e.g. shop.example.com (domainFilters). Required when enabled."""

    @field_validator("hosted_zone_id")
    @classmethod
    def _zone_id(cls, value: str | None) -> str | None:
        return None if value is None else check_hosted_zone_id(value)

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        return None if value is None else check_domain(value)

    @model_validator(mode="after")
    def _complete(self) -> ExternalDnsConfig:
        if self.enabled and (self.hosted_zone_id is None or self.domain is None):
            raise FieldError(
                "hosted_zone_id" if self.hosted_zone_id is None else "domain",
                "enabled external-dns needs hosted_zone_id and domain, so it can only "
                "change that one zone",
            )
        return self


class CertManagerConfig(StrictModel):
    """cert-manager (Helm)."""

    enabled: bool = False
    """Install cert-manager and its CRDs. Default: off."""


class CniMetricsHelperConfig(StrictModel):
    """cni-metrics-helper (Helm) in kube-system: the VPC CNI's address counts of the whole
    cluster in CloudWatch (namespace Kubernetes, dimension CLUSTER_ID = the cluster name),
    and an alarm when free addresses run low. Its role may only call
    cloudwatch:PutMetricData in that namespace. Cost: about 20 custom metrics per cluster
    (US$0.30 each a month at the first CloudWatch tier, us-east-1 list price), about 2
    PutMetricData calls a minute, and one alarm on two metrics."""

    enabled: bool = True
    """Install the helper (and its alarm). Default: on, except with compute.auto_mode (Auto
    Mode runs no aws-node pods for it to read; setting true there is refused)."""
    free_addresses_alarm_below: int | None = DEFAULT_FREE_ADDRESSES_ALARM_BELOW
    """Alarm when the pod IP addresses the VPC CNI holds on nodes but no pod uses
    (totalIPAddresses - assignIPAddresses, averaged over 5 minutes) stay below this many in
    2 of 3 periods: at least 1, or null for metrics without an alarm. Default: 16 (one /28
    prefix: below it no node has a spare prefix and none is being added). Raise it (about 16
    x your usual node count) for earlier warning. The count is cluster-wide: one exhausted
    subnet or AZ can refuse pods while the total stays above it; `plan ips` sizes subnets
    for the worst case before that can happen."""
    alarm_topic_arn: str | None = None
    """An existing SNS topic (arn:aws:sns:<region>:<account>:<name>) the alarm notifies on
    ALARM, OK and INSUFFICIENT_DATA (the helper stopped publishing). A topic encrypted with
    a customer managed key must let cloudwatch.amazonaws.com use it. Default: none (the
    alarm's state shows in CloudWatch only)."""

    @field_validator("free_addresses_alarm_below", mode="before")
    @classmethod
    def _threshold(cls, value: object) -> object:
        return None if value is None else check_free_addresses_threshold(value)

    @field_validator("alarm_topic_arn")
    @classmethod
    def _topic(cls, value: str | None) -> str | None:
        return None if value is None else check_alarm_topic_arn(value)

    @model_validator(mode="after")
    def _alarm_needs_the_helper(self) -> CniMetricsHelperConfig:
        alarm_set = {"free_addresses_alarm_below", "alarm_topic_arn"} & self.model_fields_set
        if not self.enabled and (self.alarm_topic_arn is not None or alarm_set):
            field = "alarm_topic_arn" if self.alarm_topic_arn is not None else min(alarm_set)
            raise FieldError(
                field,
                "the helper is off (enabled: false), so there is no alarm; remove this "
                "setting or set enabled: true",
            )
        if self.alarm_topic_arn is not None and self.free_addresses_alarm_below is None:
            raise FieldError(
                "alarm_topic_arn",
                "free_addresses_alarm_below is null, so there is no alarm to notify; set a "
                f"threshold (e.g. {DEFAULT_FREE_ADDRESSES_ALARM_BELOW}) or remove the topic",
            )
        return self


class VerticalPodAutoscalerConfig(StrictModel):
    """The Vertical Pod Autoscaler (FairwindsOps `vpa` chart, VPA 1.7.1) in kube-system. It
    reads usage from the metrics-server add-on (which must be on) and writes recommended
    requests into each VerticalPodAutoscaler object's status. Cost: three small Deployments
    at most (the recommender requests 50m CPU / 500Mi; updater and admission controller
    50m / 500Mi and 50m / 200Mi in mode auto), no AWS resources."""

    enabled: bool = False
    """Install VPA. Default: off."""
    mode: VpaMode = "recommend"
    """`recommend` (default): only the recommender runs, so no pod is ever evicted or
    resized by VPA, whatever a VerticalPodAutoscaler's updateMode says; read the
    recommendations with `kubectl describe vpa`. `auto`: also the updater (evicts pods far
    from their recommendation, respecting PodDisruptionBudgets) and the admission controller
    (sets requests on new pods); then each object's updateMode decides, and the CRD's default
    is Recreate, so write updateMode: "Off" where you only want recommendations."""

    @model_validator(mode="after")
    def _mode_needs_vpa(self) -> VerticalPodAutoscalerConfig:
        # Only `auto` is refused while off: it asks for evictions that will not happen. The
        # default `recommend` is accepted either way, so a dumped config (which writes every
        # default) loads again.
        if not self.enabled and self.mode == "auto":
            raise FieldError(
                "mode",
                "VPA is off (enabled: false), so mode auto does nothing; remove it or set "
                "enabled: true",
            )
        return self


#: Field of AddonsConfig -> the EKS managed add-on (AWS::EKS::Addon AddonName) it
#: configures, from the add-on table.
MANAGED_ADDON_FIELDS: dict[str, AddonName] = {
    spec.field: spec.name  # type: ignore[misc]
    for spec in CATALOG
    if spec.kind == "managed"
}


class AddonsConfig(StrictModel):
    """Cluster add-ons. Every managed add-on is pinned per Kubernetes version."""

    vpc_cni: VpcCniConfig = VpcCniConfig()
    """vpc-cni, with its own Pod Identity role. Always installed, before compute."""
    kube_proxy: ManagedAddonConfig = ManagedAddonConfig()
    """kube-proxy. Always installed, before compute."""
    pod_identity_agent: ManagedAddonConfig = ManagedAddonConfig()
    """eks-pod-identity-agent. Always installed, before compute (add-on roles need it)."""
    coredns: CoreDnsConfig = CoreDnsConfig()
    """coredns. Always installed."""
    ebs_csi_driver: OptionalAddonConfig = OptionalAddonConfig()
    """aws-ebs-csi-driver and the default gp3 encrypted StorageClass. Default: on."""
    metrics_server: OptionalAddonConfig = OptionalAddonConfig()
    """metrics-server (EKS community add-on), needed by HorizontalPodAutoscalers. Default: on."""
    cloudwatch_observability: OptionalAddonConfig = OptionalAddonConfig()
    """amazon-cloudwatch-observability (Container Insights). Default: on."""
    snapshot_controller: OffByDefaultAddonConfig = OffByDefaultAddonConfig()
    """snapshot-controller (CSI volume snapshots). Default: off."""
    load_balancer_controller: LoadBalancerControllerConfig = LoadBalancerControllerConfig()
    """AWS Load Balancer Controller. Default: on."""
    external_dns: ExternalDnsConfig = ExternalDnsConfig()
    """external-dns for one hosted zone. Default: off."""
    cert_manager: CertManagerConfig = CertManagerConfig()
    """cert-manager. Default: off."""
    cni_metrics_helper: CniMetricsHelperConfig = CniMetricsHelperConfig()
    """cni-metrics-helper and the free pod address alarm. Default: on."""
    vertical_pod_autoscaler: VerticalPodAutoscalerConfig = VerticalPodAutoscalerConfig()
    """The Vertical Pod Autoscaler, in recommendation mode unless `mode: auto`. Default:
    off. Needs metrics_server."""

    @model_validator(mode="after")
    def _vpa_needs_metrics(self) -> AddonsConfig:
        if self.vertical_pod_autoscaler.enabled and not self.metrics_server.enabled:
            raise FieldError(
                "vertical_pod_autoscaler.enabled",
                "the VPA recommender reads pod usage from the metrics API, which "
                "metrics_server serves, and metrics_server is off; turn metrics_server on or "
                "VPA off",
            )
        return self

    def version_overrides(self) -> dict[str, tuple[AddonName, str]]:
        """Config field path -> (add-on name, explicit version), for the table check."""
        out: dict[str, tuple[AddonName, str]] = {}
        for field, addon in MANAGED_ADDON_FIELDS.items():
            version = getattr(self, field).version
            if version is not None:
                out[f"addons.{field}.version"] = (addon, version)
        return out

    def enabled(self, field: str) -> bool:
        """Whether the add-on of config field `field` is installed: always for the ones
        the catalog marks as always installed, else its `enabled`."""
        section = getattr(self, field)
        return bool(getattr(section, "enabled", True))

    def installed(self) -> dict[AddonName, str | None]:
        """The EKS managed add-ons this section installs -> explicit version (None: the pin).

        The four the cluster cannot run without are always installed; the others only when
        enabled. The Addons construct and `eks-blueprint-verify` both read this.
        """
        return {
            addon: getattr(self, field).version
            for field, addon in MANAGED_ADDON_FIELDS.items()
            if self.enabled(field)
        }

    @property
    def needs_kubectl(self) -> bool:
        """True when a chart or manifest is applied, which needs the cluster's Kubernetes
        layers (the add-ons the catalog marks `needs_kubectl`, when enabled)."""
        return any(self.enabled(spec.field) for spec in CATALOG if spec.needs_kubectl)
