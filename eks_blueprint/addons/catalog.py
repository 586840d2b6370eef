"""The add-on table: every add-on this project installs, spelt once.

An add-on has several names: its `addons:` config field (`ebs_csi_driver`), its EKS add-on
or Helm chart name (`aws-ebs-csi-driver`), its `AddonsProps` flag and its construct id
(part of logical ids). This table is the one place that ties them together, with what the
rest of the project needs to know about each one: whether nodes need it to become Ready
(installed before compute), whether it is on by default, whether it is applied with kubectl
or Helm (an item of the cluster's Kubernetes layers), and which IAM role it gets. The config
model, `AddonsProps`, the `Addons` construct, `eks-blueprint-verify` and the README's add-on
table are all derived from it (`tests/unit/test_addons_catalog.py` keeps the hand-written
parts in step).

cdk-free on purpose: the config models and the command-line tools import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from .versions import AddonName, ChartName

#: How an add-on's pods get AWS credentials: `pod-identity`, a role of its own through an
#: EKS Pod Identity association; `none`, it calls no AWS API.
RoleKind = Literal["pod-identity", "none"]


@dataclass(frozen=True, kw_only=True)
class AddonSpec:
    """One add-on: its names, and the facts the config, props and construct derive."""

    field: str
    """Its field under `addons:` in the config (e.g. `ebs_csi_driver`)."""
    prop: str
    """Its `AddonsProps` field that switches it: a bool flag, or for external-dns the
    `(zone id, domain)` pair that turns it on. Empty for add-ons that are always installed."""
    name: str
    """The EKS managed add-on name (AWS::EKS::Addon AddonName) or the Helm chart name."""
    kind: Literal["managed", "chart"]
    """`managed`: an EKS managed add-on (AWS::EKS::Addon); `chart`: a pinned Helm chart."""
    construct_id: str
    """Its construct id inside `Addons` (the Pod Identity agent's sits next to the cluster).
    Part of logical ids: never change it for an existing add-on."""
    before_compute: bool
    """True for the DaemonSets nodes need to become Ready: capacity waits for these. False:
    the add-on has pods to schedule, so it waits for capacity."""
    default: bool | None
    """Installed by default (True), only when switched on (False), or always (None: the
    cluster cannot work without it, so there is no switch)."""
    needs_kubectl: bool
    """A Helm chart, or comes with a manifest: an item of the cluster's Kubernetes layers
    (with aws_eks_v2's kubectl provider, its resource)."""
    role: RoleKind
    """The IAM role its pods get."""
    service_account: str | None
    """The service account its role is bound to, with `role="pod-identity"`."""
    summary: str
    """What it is for, in a few words (the README's table)."""

    @property
    def switchable(self) -> bool:
        """True when an environment can turn it on or off."""
        return self.default is not None


def _managed(
    field: str,
    name: AddonName,
    construct_id: str,
    *,
    default: bool | None,
    summary: str,
    before_compute: bool = False,
    needs_kubectl: bool = False,
    service_account: str | None = None,
) -> AddonSpec:
    return AddonSpec(
        field=field,
        prop=field if default is not None else "",
        name=name,
        kind="managed",
        construct_id=construct_id,
        before_compute=before_compute,
        default=default,
        needs_kubectl=needs_kubectl,
        role="pod-identity" if service_account else "none",
        service_account=service_account,
        summary=summary,
    )


def _chart(
    field: str,
    name: ChartName,
    construct_id: str,
    *,
    default: bool,
    summary: str,
    prop: str | None = None,
    service_account: str | None = None,
) -> AddonSpec:
    return AddonSpec(
        field=field,
        prop=prop or field,
        name=name,
        kind="chart",
        construct_id=construct_id,
        before_compute=False,
        default=default,
        needs_kubectl=True,
        role="pod-identity" if service_account else "none",
        service_account=service_account,
        summary=summary,
    )


#: Every add-on, in the order `Addons` creates them (the order is part of the dependency
#: graph: the Load Balancer Controller waits for every add-on created before it).
CATALOG: Final[tuple[AddonSpec, ...]] = (
    _managed(
        "pod_identity_agent",
        "eks-pod-identity-agent",
        "PodIdentityAgent",
        default=None,
        before_compute=True,
        summary="Pod Identity credentials for every add-on role",
    ),
    _managed(
        "vpc_cni",
        "vpc-cni",
        "VpcCni",
        default=None,
        before_compute=True,
        service_account="aws-node",
        summary="pod networking: prefix delegation and network policy on",
    ),
    _managed(
        "kube_proxy",
        "kube-proxy",
        "KubeProxy",
        default=None,
        before_compute=True,
        summary="Service routing on every node",
    ),
    _managed("coredns", "coredns", "CoreDns", default=None, summary="cluster DNS"),
    _managed(
        "ebs_csi_driver",
        "aws-ebs-csi-driver",
        "EbsCsiDriver",
        default=True,
        needs_kubectl=True,
        service_account="ebs-csi-controller-sa",
        summary="EBS volumes, and the default StorageClass `gp3-encrypted` with its own key",
    ),
    _managed(
        "metrics_server",
        "metrics-server",
        "MetricsServer",
        default=True,
        summary="resource metrics for HorizontalPodAutoscalers",
    ),
    _managed(
        "cloudwatch_observability",
        "amazon-cloudwatch-observability",
        "CloudWatchObservability",
        default=True,
        service_account="cloudwatch-agent",
        summary="Container Insights metrics, logs and traces",
    ),
    _managed(
        "snapshot_controller",
        "snapshot-controller",
        "SnapshotController",
        default=False,
        summary="CSI volume snapshots",
    ),
    _chart(
        "load_balancer_controller",
        "aws-load-balancer-controller",
        "LoadBalancerController",
        default=True,
        service_account="aws-load-balancer-controller",
        summary="ALBs for Ingresses, NLBs for Services",
    ),
    _chart(
        "external_dns",
        "external-dns",
        "ExternalDns",
        default=False,
        prop="external_dns_zone",
        service_account="external-dns",
        summary="DNS records in one Route 53 hosted zone (upsert-only)",
    ),
    _chart(
        "cert_manager",
        "cert-manager",
        "CertManager",
        default=False,
        summary="cert-manager with its CRDs",
    ),
    _chart(
        "cni_metrics_helper",
        "cni-metrics-helper",
        "CniMetricsHelper",
        default=True,
        service_account="cni-metrics-helper",
        summary="VPC CNI IP address counts in CloudWatch, and a free-address alarm",
    ),
    _chart(
        "vertical_pod_autoscaler",
        "vpa",
        "VerticalPodAutoscaler",
        default=False,
        summary="Vertical Pod Autoscaler: request recommendations (applied only in mode auto)",
    ),
)

#: The table by config field.
BY_FIELD: Final[dict[str, AddonSpec]] = {spec.field: spec for spec in CATALOG}
#: The table by EKS add-on or chart name.
BY_NAME: Final[dict[str, AddonSpec]] = {spec.name: spec for spec in CATALOG}


def addon(field: str) -> AddonSpec:
    """The add-on whose config field is `field`; KeyError naming the known ones if none."""
    try:
        return BY_FIELD[field]
    except KeyError:
        known = ", ".join(BY_FIELD)
        raise KeyError(f"no add-on {field!r} in the catalog; known: {known}") from None


def default_on(prop: str) -> bool:
    """The default of the `AddonsProps` flag `prop` (True: installed unless switched off)."""
    for spec in CATALOG:
        if spec.prop == prop and spec.default is not None:
            return spec.default
    raise KeyError(f"no switchable add-on with the props flag {prop!r}")


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def readme_rows() -> list[str]:
    """The README's add-on table, as Markdown lines (header, rule and one row per add-on).

    Generated from CATALOG so that the documentation cannot drift from the code: the test
    in tests/unit/test_addons_catalog.py compares the README's table with these lines.
    """
    rows = [
        "| add-on | kind | `addons:` field | `AddonsProps` flag | default | before compute "
        "| needs kubectl | IAM role | what for |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for spec in CATALOG:
        default = "always" if spec.default is None else ("on" if spec.default else "off")
        role = f"Pod Identity (`{spec.service_account}`)" if spec.role == "pod-identity" else "none"
        flag = f"`{spec.prop}`" if spec.prop else "none"
        kind = "EKS add-on" if spec.kind == "managed" else "Helm chart"
        rows.append(
            f"| `{spec.name}` | {kind} | `{spec.field}` | {flag} | {default} "
            f"| {_yes(spec.before_compute)} | {_yes(spec.needs_kubectl)} | {role} "
            f"| {spec.summary} |"
        )
    return rows
