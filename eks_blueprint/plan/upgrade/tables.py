"""The facts the upgrade plan checks against, each table with its source, date and refresh.

Synth and the plan make no network calls, so what EKS, Karpenter, the Helm charts and the
AMI publishers support is written down here. Every table names where its rows come from,
when they were taken and how to refresh them; the plan prints those lines under "Sources".
A row that could not be confirmed from its primary source says so (``confirmed=False``) and
the plan warns whenever it relies on it. A version newer than a table knows is never
assumed to work: the plan reports it as unconfirmed.

Tables (all taken 2026-11-30 unless a row says otherwise):

* :data:`EKS_RELEASES`: Kubernetes minor -> EKS release, end of standard and extended
  support (the EKS release calendar), and :data:`STANDARD_SUPPORT_PER_HOUR` /
  :data:`EXTENDED_SUPPORT_PER_HOUR` (EKS pricing).
* :data:`KARPENTER_COMPATIBILITY`: Karpenter version -> supported Kubernetes range.
* :data:`CHART_COMPATIBILITY`: Helm chart version -> supported Kubernetes range.
* :data:`AMI_RELEASES`: EKS-optimized AL2023 and Bottlerocket releases per Kubernetes minor.
* :data:`REMOVED_APIS`: API versions Kubernetes stopped serving, with their replacements.
* :data:`KUBELET_MAX_SKEW`: the kubelet version skew policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

from .minors import (
    Minor,
    minors_apart,
    parse_minor,
    parse_semver,
    require_minor,
    require_semver,
)

#: When the tables below were compiled.
TAKEN: Final = "2026-11-30"


@dataclass(frozen=True)
class TableSource:
    """Where one table comes from, printed under the plan's "Sources"."""

    table: str
    source: str
    taken: str
    refresh: str

    def line(self) -> str:
        return f"{self.table}: {self.source}; taken {self.taken}. Refresh: {self.refresh}"


# -- EKS release calendar and pricing -----------------------------------------------------


@dataclass(frozen=True)
class EksRelease:
    """One Kubernetes minor on EKS: when it arrived and when its support periods end."""

    eks_release: date
    standard_end: date
    """End of standard support: billing for extended support starts this day (UTC)."""
    extended_end: date
    """End of extended support: EKS then upgrades the control plane itself."""
    confirmed: bool
    """False when the row comes from secondary sources only (the plan warns)."""
    note: str = ""


#: Kubernetes minor -> EKS dates. 1.29-1.34: the EKS User Guide, "Understand the Kubernetes
#: version lifecycle on EKS", release calendar table (awsdocs/amazon-eks-user-guide,
#: latest/ug/versioning/kubernetes-versions.adoc @ 013856044148). 1.35 is not in the stored
#: copy of the guide: its dates come from endoflife.date/amazon-eks (which tracks the
#: calendar) and agree with the aws-samples "sample-apex-skills" EKS calendar (verified
#: 2026-04-24); unconfirmed until checked with `aws eks describe-cluster-versions`.
EKS_RELEASES: Final[dict[str, EksRelease]] = {
    "1.29": EksRelease(date(2024, 1, 23), date(2025, 3, 23), date(2026, 3, 23), True),
    "1.30": EksRelease(date(2024, 5, 23), date(2025, 7, 23), date(2026, 7, 23), True),
    "1.31": EksRelease(date(2024, 9, 26), date(2025, 11, 26), date(2026, 11, 26), True),
    "1.32": EksRelease(date(2025, 1, 23), date(2026, 3, 23), date(2027, 3, 23), True),
    "1.33": EksRelease(date(2025, 5, 29), date(2026, 7, 29), date(2027, 7, 29), True),
    "1.34": EksRelease(date(2025, 10, 2), date(2026, 12, 2), date(2027, 12, 2), True),
    "1.35": EksRelease(
        date(2026, 1, 28),
        date(2027, 3, 27),
        date(2028, 3, 27),
        False,
        "secondary sources only (endoflife.date, aws-samples sample-apex-skills); the stored "
        "EKS User Guide predates 1.35",
    ),
}
EKS_RELEASES_SOURCE: Final = TableSource(
    "EKS release calendar (EKS_RELEASES)",
    "Amazon EKS User Guide, 'Understand the Kubernetes version lifecycle on EKS', release "
    "calendar (awsdocs/amazon-eks-user-guide latest/ug/versioning/kubernetes-versions.adoc "
    "@013856044148) for 1.29-1.34; 1.35 from endoflife.date/amazon-eks and aws-samples "
    "sample-apex-skills (unconfirmed)",
    TAKEN,
    "`aws eks describe-cluster-versions` (endOfStandardSupportDate, "
    "endOfExtendedSupportDate) or https://docs.aws.amazon.com/eks/latest/userguide/"
    "kubernetes-versions.html#kubernetes-release-calendar",
)

#: Cluster price per hour in standard support and in extended support (the total, not the
#: surcharge). AWS Containers blog "Amazon EKS extended support for Kubernetes versions
#: pricing": $0.60 per cluster per hour in extended support from April 1, 2024, standard
#: support unchanged at $0.10 per cluster per hour; the same figures appear on the EKS
#: pricing page as quoted by third parties in 2026 (cloudburn.io, vantage.sh).
STANDARD_SUPPORT_PER_HOUR: Final = 0.10
EXTENDED_SUPPORT_PER_HOUR: Final = 0.60
#: Hours in a month, as AWS's own monthly estimates count them (8760 / 12).
HOURS_PER_MONTH: Final = 730
PRICING_SOURCE: Final = TableSource(
    "EKS cluster pricing (STANDARD_SUPPORT_PER_HOUR, EXTENDED_SUPPORT_PER_HOUR)",
    "AWS Containers blog 'Amazon EKS extended support for Kubernetes versions pricing' "
    "($0.10 standard, $0.60 extended per cluster-hour, effective 2024-04-01); month = 730 h",
    TAKEN,
    "https://aws.amazon.com/eks/pricing/ (per Region)",
)


def eks_release(minor: str) -> EksRelease | None:
    """The calendar row of `minor` ("1.35"), or None when the table has none."""
    return EKS_RELEASES.get(minor)


# -- Karpenter ----------------------------------------------------------------------------


@dataclass(frozen=True)
class KarpenterRow:
    """Karpenter releases from `first` (up to the next row of the same minor) and the
    Kubernetes minors they support."""

    first: str
    min_kubernetes: str
    max_kubernetes: str


#: From aws/karpenter-provider-aws hack/docs/compatibilitymatrix_gen/compatibility.yaml
#: (last changed 692ccdd, 2026-07-11), the data behind the "Compatibility Matrix" of
#: karpenter.sh/docs/upgrading/compatibility (website/content/en/docs/upgrading/
#: compatibility.md @1d927085, 2026-08-21: 1.30 >= 0.37, 1.31 >= 1.0.5, 1.32 >= 1.2,
#: 1.33 >= 1.5, 1.34 >= 1.6, 1.35 >= 1.9, 1.36 >= 1.13). 1.0.5 is the one patch release
#: that widened its minor's range.
KARPENTER_COMPATIBILITY: Final[tuple[KarpenterRow, ...]] = (
    KarpenterRow("1.0.0", "1.25", "1.30"),
    KarpenterRow("1.0.5", "1.25", "1.31"),
    KarpenterRow("1.1.0", "1.25", "1.31"),
    KarpenterRow("1.2.0", "1.25", "1.32"),
    KarpenterRow("1.3.0", "1.25", "1.32"),
    KarpenterRow("1.4.0", "1.25", "1.32"),
    KarpenterRow("1.5.0", "1.26", "1.33"),
    KarpenterRow("1.6.0", "1.26", "1.34"),
    KarpenterRow("1.7.0", "1.26", "1.34"),
    KarpenterRow("1.8.0", "1.26", "1.34"),
    KarpenterRow("1.9.0", "1.26", "1.35"),
    KarpenterRow("1.10.0", "1.26", "1.35"),
    KarpenterRow("1.11.0", "1.26", "1.35"),
    KarpenterRow("1.12.0", "1.26", "1.35"),
    KarpenterRow("1.13.0", "1.26", "1.36"),
    KarpenterRow("1.14.0", "1.26", "1.36"),
)
KARPENTER_SOURCE: Final = TableSource(
    "Karpenter compatibility (KARPENTER_COMPATIBILITY)",
    "karpenter.sh 'Compatibility' matrix: aws/karpenter-provider-aws website/content/en/"
    "docs/upgrading/compatibility.md @1d927085 (2026-08-21) and hack/docs/"
    "compatibilitymatrix_gen/compatibility.yaml @692ccdd (2026-07-11); covers Karpenter "
    "1.0-1.14",
    TAKEN,
    "https://karpenter.sh/docs/upgrading/compatibility/ (one row per new Karpenter minor)",
)


def karpenter_row(version: str) -> KarpenterRow | None:
    """The row covering Karpenter `version` ("1.8.1"), or None when the table does not
    know that minor (older than 1.0 or newer than the table)."""
    wanted = parse_semver(version)
    if wanted is None:
        return None
    found: KarpenterRow | None = None
    for row in KARPENTER_COMPATIBILITY:
        first = require_semver(row.first)
        if first[:2] == wanted[:2] and first <= wanted:
            found = row
    return found


def karpenter_minimum(kubernetes: str, *also: str) -> str | None:
    """The first Karpenter release that supports `kubernetes` and every minor in `also`
    (e.g. both the current and the target version), or None if the table has none."""
    minors = [require_minor(kubernetes), *(require_minor(m) for m in also)]
    for row in KARPENTER_COMPATIBILITY:
        low, high = require_minor(row.min_kubernetes), require_minor(row.max_kubernetes)
        if all(low <= m <= high for m in minors):
            return row.first
    return None


# -- Helm charts --------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartRow:
    """Versions `first` .. `last` (inclusive) of `chart` and the Kubernetes they support."""

    chart: str
    first: str
    last: str
    """The newest chart version the source was read for; newer ones are unconfirmed."""
    min_kubernetes: str
    max_kubernetes: str | None
    """None: the source states a minimum only (no published upper bound)."""
    source: str


#: Karpenter's own charts (karpenter, karpenter-crd) follow KARPENTER_COMPATIBILITY.
CHART_COMPATIBILITY: Final[tuple[ChartRow, ...]] = (
    ChartRow(
        "aws-load-balancer-controller",
        "1.5.0",
        "3.5.0",
        "1.22",
        None,
        "aws/eks-charts stable/aws-load-balancer-controller/README.md 'Supported Kubernetes "
        "Versions': 'Chart version v1.5.0+ requires Kubernetes 1.22+' (unchanged from chart "
        "1.14.0 @049a6f7, 2025-10-02, to 3.5.0 @5239609, 2026-08-03); Chart.yaml has no "
        "kubeVersion",
    ),
    ChartRow(
        "external-dns",
        "1.18.0",
        "1.21.1",
        "1.21",
        None,
        "kubernetes-sigs/external-dns README 'Kubernetes version compatibility' (@2bf1bf8, "
        "2026-08-22): ExternalDNS >= 0.18 supports Kubernetes 1.21 and later; charts "
        "1.18.0-1.21.1 ship 0.18.0-0.21.0 (charts/external-dns/Chart.yaml); no kubeVersion",
    ),
    *(
        ChartRow(
            "cert-manager",
            f"1.{minor}.0",
            f"1.{minor}.999",
            low,
            high,
            "cert-manager/website content/docs/releases/README.md (@776e5db, 2026-08-22) "
            "'Supported Kubernetes / OpenShift Versions'",
        )
        for minor, low, high in (
            (18, "1.29", "1.33"),
            (19, "1.31", "1.35"),
            (20, "1.32", "1.35"),
            (21, "1.33", "1.36"),
        )
    ),
    ChartRow(
        "vpa",
        "5.0.0",
        "5.0.0",
        "1.28",
        None,
        "FairwindsOps/charts stable/vpa/Chart.yaml @5f478fce (2026-08-11): kubeVersion "
        "'>= 1.28.0-0' ('VPA 1.7 supports Kubernetes 1.28 and later'), appVersion 1.7.1",
    ),
    ChartRow(
        "cluster-autoscaler",
        "9.59.0",
        "9.59.0",
        "1.32",
        "1.35",
        "kubernetes/autoscaler tag cluster-autoscaler-chart-9.59.0 (2026-07-21): Chart.yaml "
        "has no kubeVersion, appVersion 1.35.0; the image is set per Kubernetes minor "
        "(eks_blueprint/compute/autoscaling.py CLUSTER_AUTOSCALER_IMAGES, 1.32-1.35), as the "
        "autoscaler README 'Releases' asks (CA minor = Kubernetes minor)",
    ),
    ChartRow(
        "nvidia-device-plugin",
        "0.20.0",
        "0.20.0",
        "1.10",
        None,
        "NVIDIA/k8s-device-plugin tag v0.20.0 (commit 1b826ac, 2026-08-19): "
        "deployments/helm/nvidia-device-plugin/Chart.yaml kubeVersion '>= 1.10.0-0'",
    ),
    ChartRow(
        "kyverno",
        "3.9.0",
        "3.9.0",
        "1.33",
        "1.35",
        "kyverno.io 'Compatibility Matrix' as listed by endoflife.date products/kyverno.md "
        "(Kyverno 1.19: Kubernetes 1.33 - 1.35); chart 3.9.0 ships v1.19.0 "
        "(kyverno/kyverno tag kyverno-chart-3.9.0, 2026-08-20, Chart.yaml appVersion)",
    ),
)
CHART_SOURCE: Final = TableSource(
    "Helm chart compatibility (CHART_COMPATIBILITY)",
    "aws-load-balancer-controller: aws/eks-charts chart README; vpa: FairwindsOps chart "
    "kubeVersion; cluster-autoscaler: kubernetes/autoscaler README and its image table; "
    "nvidia-device-plugin: its Chart.yaml kubeVersion; "
    "external-dns: "
    "kubernetes-sigs/external-dns README compatibility table; cert-manager: cert-manager.io "
    "'Supported Releases'; kyverno: kyverno.io 'Compatibility Matrix'; karpenter, "
    "karpenter-crd: the Karpenter table",
    TAKEN,
    "each chart's README / Chart.yaml kubeVersion at the pinned version, "
    "`helm show chart <repo>/<chart> --version <v>`",
)


def chart_row(chart: str, version: str) -> ChartRow | None:
    """The compatibility row of `chart` at `version`, or None when the table has none."""
    wanted = parse_semver(version)
    if wanted is None:
        return None
    for row in CHART_COMPATIBILITY:
        if row.chart == chart and require_semver(row.first) <= wanted <= require_semver(row.last):
            return row
    return None


# -- EKS-optimized AMIs -------------------------------------------------------------------

AmiFamily = Literal["al2023", "bottlerocket"]


@dataclass(frozen=True)
class AmiRelease:
    """The releases of one AMI family that carry one Kubernetes minor."""

    first: str
    """The first release with AMIs for this minor."""
    newest: str
    """The newest release confirmed to carry it; later ones are unconfirmed, not absent."""


#: AL2023: awslabs/amazon-eks-ami CHANGELOG.md @81fec2e (2026-07-23), the "Kubernetes 1.x"
#: sections of each "AMI Release vYYYYMMDD" (every release carries every minor from its
#: first release on; the newest release in that copy is v20260714). The release tag is the
#: Karpenter alias version (al2023@v20260714) and the date part of a managed node group
#: ReleaseVersion (1.35.x-20260714).
#: Bottlerocket: the first release of each aws-k8s-1.x variant from the project's tracking
#: issues and release notes (bottlerocket-os/bottlerocket #3942 v1.20.0 -> 1.30, #4137
#: v1.22.0 -> 1.31, #4318 v1.30.0 -> 1.32, #4477 v1.39.0 -> 1.33, #4620 v1.47.0 -> 1.34,
#: PR #4737 v1.53.0 -> 1.35, PR #4841 v1.61.0 (2026-05-18) -> 1.36). "newest": v1.61.0,
#: the newest release whose notes were read; variants stay until a release drops them (the
#: 1.30 variants were dropped in July 2026, PR #4880), so 1.31-1.35 are inferred there.
AMI_RELEASES: Final[dict[AmiFamily, dict[str, AmiRelease]]] = {
    "al2023": {
        "1.31": AmiRelease("v20240917", "v20260714"),
        "1.32": AmiRelease("v20241225", "v20260714"),
        "1.33": AmiRelease("v20250519", "v20260714"),
        "1.34": AmiRelease("v20250915", "v20260714"),
        "1.35": AmiRelease("v20260114", "v20260714"),
        "1.36": AmiRelease("v20260610", "v20260714"),
    },
    "bottlerocket": {
        "1.31": AmiRelease("v1.22.0", "v1.61.0"),
        "1.32": AmiRelease("v1.30.0", "v1.61.0"),
        "1.33": AmiRelease("v1.39.0", "v1.61.0"),
        "1.34": AmiRelease("v1.47.0", "v1.61.0"),
        "1.35": AmiRelease("v1.53.0", "v1.61.0"),
        "1.36": AmiRelease("v1.61.0", "v1.61.0"),
    },
}
AMI_SOURCE: Final = TableSource(
    "EKS-optimized AMI releases (AMI_RELEASES)",
    "AL2023: awslabs/amazon-eks-ami CHANGELOG.md @81fec2e (2026-07-23, newest v20260714); "
    "Bottlerocket: bottlerocket-os/bottlerocket variant tracking issues and release notes "
    "(first release per aws-k8s-1.x variant; newest read v1.61.0, 2026-05-18)",
    TAKEN,
    "`aws ssm get-parameters-by-path --path /aws/service/eks/optimized-ami/<k8s>/"
    "amazon-linux-2023/` and `/aws/service/bottlerocket/aws-k8s-<k8s>/`, or the "
    "amazon-eks-ami and Bottlerocket release notes",
)


def _ami_key(family: AmiFamily, version: str) -> tuple[int, ...] | None:
    """A comparable form of a release: AL2023 ``v20251112`` -> (20251112,), Bottlerocket
    ``v1.50.0`` / ``1.50.0`` -> (1, 50, 0)."""
    if family == "al2023":
        digits = version.removeprefix("v")
        return (int(digits),) if digits.isdigit() and len(digits) == 8 else None
    return parse_semver(version)


def ami_release_exists(family: AmiFamily, version: str, minor: str) -> bool | None:
    """Whether `family` release `version` has AMIs for Kubernetes `minor`: True (between the
    first and the newest confirmed release), False (older than the first), None (unknown:
    no row for the minor, or newer than the table's newest)."""
    row = AMI_RELEASES[family].get(minor)
    key = _ami_key(family, version)
    if row is None or key is None:
        return None
    first, newest = _ami_key(family, row.first), _ami_key(family, row.newest)
    if first is None or newest is None or key < first:
        return False
    return True if key <= newest else None


def ami_recommended(family: AmiFamily, *minors: str) -> str | None:
    """The newest release confirmed to carry every one of `minors` (so one pin works before
    and after the control plane moves), or None when the table cannot name one."""
    candidates: list[tuple[tuple[int, ...], str]] = []
    for minor in minors:
        row = AMI_RELEASES[family].get(minor)
        key = _ami_key(family, row.newest) if row else None
        if row is None or key is None:
            return None
        candidates.append((key, row.newest))
    if not candidates:
        return None
    newest = min(candidates)[1]
    if all(ami_release_exists(family, newest, m) for m in minors):
        return newest
    return None


# -- Removed Kubernetes APIs --------------------------------------------------------------


@dataclass(frozen=True)
class RemovedApi:
    """An apiVersion of a kind that Kubernetes stopped serving in `removed_in`."""

    api_version: str
    kind: str
    removed_in: str
    replacement: str


def _removed(removed_in: str, replacement: str, *pairs: tuple[str, str]) -> list[RemovedApi]:
    return [RemovedApi(api, kind, removed_in, replacement) for api, kind in pairs]


_EXT = "extensions/v1beta1"
_FLOW = ("FlowSchema", "PriorityLevelConfiguration")
#: The Kubernetes "Deprecated API Migration Guide" (kubernetes.io/docs/reference/using-api/
#: deprecation-guide/, kubernetes/website content/en/docs/reference/using-api/
#: deprecation-guide.md): removals in v1.16, v1.22, v1.25, v1.26, v1.27, v1.29 and v1.32;
#: the guide lists none after v1.32. The bundled schemas of kubernetes-validate check the
#: target version independently (an apiVersion the target does not serve has no schema).
REMOVED_APIS: Final[tuple[RemovedApi, ...]] = (
    *_removed("1.16", "networking.k8s.io/v1", (_EXT, "NetworkPolicy")),
    *_removed(
        "1.16",
        "apps/v1",
        *((api, kind) for api in (_EXT, "apps/v1beta2") for kind in ("DaemonSet", "ReplicaSet")),
        *((api, "Deployment") for api in (_EXT, "apps/v1beta1", "apps/v1beta2")),
        *((api, "StatefulSet") for api in ("apps/v1beta1", "apps/v1beta2")),
        ("apps/v1beta1", "ReplicaSet"),
    ),
    *_removed(
        "1.22",
        "admissionregistration.k8s.io/v1",
        ("admissionregistration.k8s.io/v1beta1", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io/v1beta1", "ValidatingWebhookConfiguration"),
    ),
    *_removed(
        "1.22",
        "apiextensions.k8s.io/v1",
        ("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition"),
    ),
    *_removed(
        "1.22", "apiregistration.k8s.io/v1", ("apiregistration.k8s.io/v1beta1", "APIService")
    ),
    *_removed("1.22", "authentication.k8s.io/v1", ("authentication.k8s.io/v1beta1", "TokenReview")),
    *_removed(
        "1.22",
        "authorization.k8s.io/v1",
        *(
            ("authorization.k8s.io/v1beta1", kind)
            for kind in (
                "LocalSubjectAccessReview",
                "SelfSubjectAccessReview",
                "SubjectAccessReview",
            )
        ),
    ),
    *_removed(
        "1.22",
        "certificates.k8s.io/v1",
        ("certificates.k8s.io/v1beta1", "CertificateSigningRequest"),
    ),
    *_removed("1.22", "coordination.k8s.io/v1", ("coordination.k8s.io/v1beta1", "Lease")),
    *_removed(
        "1.22",
        "networking.k8s.io/v1",
        (_EXT, "Ingress"),
        ("networking.k8s.io/v1beta1", "Ingress"),
        ("networking.k8s.io/v1beta1", "IngressClass"),
    ),
    *_removed(
        "1.22",
        "rbac.authorization.k8s.io/v1",
        *(
            ("rbac.authorization.k8s.io/v1beta1", kind)
            for kind in ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")
        ),
    ),
    *_removed("1.22", "scheduling.k8s.io/v1", ("scheduling.k8s.io/v1beta1", "PriorityClass")),
    *_removed(
        "1.22",
        "storage.k8s.io/v1",
        *(
            ("storage.k8s.io/v1beta1", kind)
            for kind in ("CSIDriver", "CSINode", "StorageClass", "VolumeAttachment")
        ),
    ),
    *_removed("1.25", "batch/v1", ("batch/v1beta1", "CronJob")),
    *_removed("1.25", "discovery.k8s.io/v1", ("discovery.k8s.io/v1beta1", "EndpointSlice")),
    *_removed("1.25", "events.k8s.io/v1", ("events.k8s.io/v1beta1", "Event")),
    *_removed("1.25", "autoscaling/v2", ("autoscaling/v2beta1", "HorizontalPodAutoscaler")),
    *_removed("1.25", "policy/v1", ("policy/v1beta1", "PodDisruptionBudget")),
    *_removed(
        "1.25",
        "none: use Pod Security Admission (pod-security.kubernetes.io/* namespace labels)",
        ("policy/v1beta1", "PodSecurityPolicy"),
        (_EXT, "PodSecurityPolicy"),
    ),
    *_removed("1.25", "node.k8s.io/v1", ("node.k8s.io/v1beta1", "RuntimeClass")),
    *_removed(
        "1.26",
        "flowcontrol.apiserver.k8s.io/v1",
        *(("flowcontrol.apiserver.k8s.io/v1beta1", kind) for kind in _FLOW),
    ),
    *_removed("1.26", "autoscaling/v2", ("autoscaling/v2beta2", "HorizontalPodAutoscaler")),
    *_removed("1.27", "storage.k8s.io/v1", ("storage.k8s.io/v1beta1", "CSIStorageCapacity")),
    *_removed(
        "1.29",
        "flowcontrol.apiserver.k8s.io/v1",
        *(("flowcontrol.apiserver.k8s.io/v1beta2", kind) for kind in _FLOW),
    ),
    *_removed(
        "1.32",
        "flowcontrol.apiserver.k8s.io/v1",
        *(("flowcontrol.apiserver.k8s.io/v1beta3", kind) for kind in _FLOW),
    ),
)
REMOVED_APIS_SOURCE: Final = TableSource(
    "Removed Kubernetes APIs (REMOVED_APIS)",
    "Kubernetes 'Deprecated API Migration Guide' (kubernetes.io/docs/reference/using-api/"
    "deprecation-guide/): removals up to v1.32, none listed after it; the target's served "
    "APIs come from the schemas bundled with kubernetes-validate",
    TAKEN,
    "the guide's 'Removed APIs by release' for each new minor; `pip install -U "
    "kubernetes-validate` for new schemas",
)


def removed_api(api_version: str, kind: str) -> RemovedApi | None:
    """The table row for `kind` at `api_version`, or None when it was never removed."""
    for row in REMOVED_APIS:
        if row.api_version == api_version and row.kind == kind:
            return row
    return None


def removed_group_version(api_version: str, by: str) -> list[RemovedApi]:
    """Rows of `api_version` removed in or before Kubernetes `by` (any kind)."""
    limit = require_minor(by)
    return [
        row
        for row in REMOVED_APIS
        if row.api_version == api_version and require_minor(row.removed_in) <= limit
    ]


# -- Version skew -------------------------------------------------------------------------

#: A kubelet may be up to three minors older than the API server (two before kubelet 1.25)
#: and never newer: Kubernetes "Version Skew Policy" (kubernetes.io/releases/
#: version-skew-policy/, since 1.28), repeated in the EKS User Guide's version FAQ.
KUBELET_MAX_SKEW: Final = 3
KUBELET_MAX_SKEW_BEFORE_1_25: Final = 2
SKEW_SOURCE: Final = TableSource(
    "Kubelet version skew (KUBELET_MAX_SKEW)",
    "Kubernetes 'Version Skew Policy' (kubelet up to 3 minors older than kube-apiserver, "
    "2 for kubelet < 1.25, never newer); EKS User Guide version FAQ",
    TAKEN,
    "https://kubernetes.io/releases/version-skew-policy/",
)


def kubelet_skew_allowed(kubelet: Minor, control_plane: Minor) -> bool:
    """Whether a kubelet at `kubelet` may run against an API server at `control_plane`."""
    behind = minors_apart(kubelet, control_plane)
    limit = KUBELET_MAX_SKEW if kubelet >= (1, 25) else KUBELET_MAX_SKEW_BEFORE_1_25
    return 0 <= behind <= limit


#: Every table's source line, in the order the plan prints them.
SOURCES: Final[tuple[TableSource, ...]] = (
    EKS_RELEASES_SOURCE,
    PRICING_SOURCE,
    KARPENTER_SOURCE,
    CHART_SOURCE,
    AMI_SOURCE,
    REMOVED_APIS_SOURCE,
    SKEW_SOURCE,
)

__all__ = [
    "AMI_RELEASES",
    "CHART_COMPATIBILITY",
    "EKS_RELEASES",
    "EXTENDED_SUPPORT_PER_HOUR",
    "HOURS_PER_MONTH",
    "KARPENTER_COMPATIBILITY",
    "KUBELET_MAX_SKEW",
    "REMOVED_APIS",
    "SOURCES",
    "STANDARD_SUPPORT_PER_HOUR",
    "AmiFamily",
    "AmiRelease",
    "ChartRow",
    "EksRelease",
    "KarpenterRow",
    "RemovedApi",
    "TableSource",
    "ami_recommended",
    "ami_release_exists",
    "chart_row",
    "eks_release",
    "karpenter_minimum",
    "karpenter_row",
    "kubelet_skew_allowed",
    "parse_minor",
    "removed_api",
    "removed_group_version",
]
