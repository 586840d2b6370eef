"""Pinned versions of every add-on, per supported Kubernetes version.

Synth makes no network lookups, so the versions EKS accepts are a table in the package. For
each Kubernetes version and add-on, the FIRST entry is the pinned version that is deployed;
any further entries are versions also known to work with that Kubernetes version, which an
environment may choose explicitly (`addons.<name>.version`), e.g. to roll back.

Taken: November 2026, from the Amazon EKS User Guide version tables and add-on release notes
available offline to the author (see docs/addons.md). Refresh before relying on them:

    aws eks describe-addon-versions --kubernetes-version 1.34 --addon-name vpc-cni \
        --query 'addons[].addonVersions[0].addonVersion'

(one call per add-on and Kubernetes version; the first result is the newest) and, for Helm
charts, `helm search repo eks/aws-load-balancer-controller --versions`.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

#: The Kubernetes versions this release of eks_blueprint supports, oldest first: THE list.
#: aws_eks_v2 has them all and EKS offers them in standard or extended support. The config
#: model (`cluster.version`), the add-on table below, `kubectl_layer_for` and the kubectl
#: layer packages (pyproject.toml, requirements.txt; a test checks those copies) follow it.
#: Supporting a new version: add it here, its add-on versions below, and its layer package.
SUPPORTED_KUBERNETES_VERSIONS: Final[tuple[str, ...]] = ("1.32", "1.33", "1.34", "1.35")


def check_kubernetes_version(version: str) -> str:
    """`version` if supported, else ValueError naming the bad value and the supported ones."""
    if version not in SUPPORTED_KUBERNETES_VERSIONS:
        raise ValueError(
            f"Kubernetes version {version!r} is not supported; use one of "
            f'{", ".join(SUPPORTED_KUBERNETES_VERSIONS)} (a string, e.g. "1.34")'
        )
    return version


def kubectl_layer_package(version: str) -> str:
    """The PyPI package with the kubectl Lambda layer for `version`: `"1.34"` ->
    `aws-cdk.lambda-layer-kubectl-v34` (ValueError for an unsupported version)."""
    return f"aws-cdk.lambda-layer-kubectl-v{_minor(version)}"


def kubectl_layer_module(version: str) -> tuple[str, str]:
    """The module and class of that layer: `"1.34"` ->
    `("aws_cdk.lambda_layer_kubectl_v34", "KubectlV34Layer")`."""
    minor = _minor(version)
    return f"aws_cdk.lambda_layer_kubectl_v{minor}", f"KubectlV{minor}Layer"


def _minor(version: str) -> str:
    """`"1.34"` -> `"34"`, for a supported version only."""
    return check_kubernetes_version(version).split(".")[1]


#: The EKS managed add-ons this project installs (AWS::EKS::Addon AddonName).
AddonName = Literal[
    "vpc-cni",
    "kube-proxy",
    "coredns",
    "eks-pod-identity-agent",
    "aws-ebs-csi-driver",
    "metrics-server",
    "amazon-cloudwatch-observability",
    "snapshot-controller",
    # Installed by eks_blueprint.storage (EfsStorage, FsxLustreStorage), not by `Addons`:
    # they are not in the add-on CATALOG (STORAGE_ADDONS below).
    "aws-efs-csi-driver",
    "aws-fsx-csi-driver",
]
ADDON_NAMES: Final[tuple[AddonName, ...]] = get_args(AddonName)
#: The add-ons of ADDON_NAMES that the storage constructs install (with their own Pod
#: Identity roles), not `Addons`: the add-on catalog lists every other name.
STORAGE_ADDONS: Final[tuple[AddonName, ...]] = ("aws-efs-csi-driver", "aws-fsx-csi-driver")

#: Helm charts this project installs, by chart name.
ChartName = Literal[
    "aws-load-balancer-controller",
    "external-dns",
    "cert-manager",
    "cni-metrics-helper",
    "vpa",
]


def _same(versions: tuple[str, ...], k8s: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Add-ons whose builds do not depend on the Kubernetes minor version."""
    return dict.fromkeys(k8s, versions)


_ALL = SUPPORTED_KUBERNETES_VERSIONS
_VPC_CNI = _same(("v1.20.4-eksbuild.2", "v1.20.1-eksbuild.3"), _ALL)
_POD_IDENTITY = _same(("v1.3.8-eksbuild.2", "v1.3.7-eksbuild.2"), _ALL)
_EBS_CSI = _same(("v1.48.0-eksbuild.2", "v1.46.0-eksbuild.1"), _ALL)
_METRICS = _same(("v0.8.0-eksbuild.2", "v0.7.2-eksbuild.4"), _ALL)
_CLOUDWATCH = _same(("v4.4.0-eksbuild.1", "v4.1.0-eksbuild.1"), _ALL)
_SNAPSHOT = _same(("v8.3.0-eksbuild.1", "v8.2.0-eksbuild.1"), _ALL)
# aws-efs-csi-driver: v3.3.0-eksbuild.1 (driver v3.3.0, kubernetes-sigs/aws-efs-csi-driver
# CHANGELOG-3.x, tag 11 June 2026) and v3.2.0-eksbuild.1, the add-on versions public EKS
# deployments moved between in June-July 2026 (e.g. ministryofjustice/modernisation-platform-
# environments#17347). The driver supports Kubernetes 1.17+ (its docs/compatibility.md).
# NOT confirmed from an AWS table per Kubernetes minor (the EKS user guide publishes none
# for this add-on): confirm with `aws eks describe-addon-versions --addon-name
# aws-efs-csi-driver --kubernetes-version <v>` before relying on it.
_EFS_CSI = _same(("v3.3.0-eksbuild.1", "v3.2.0-eksbuild.1"), _ALL)
# aws-fsx-csi-driver: v1.9.0-eksbuild.1 (driver v1.9.0, kubernetes-sigs/aws-fsx-csi-driver
# tag of 20 April 2026), seen pinned in public EKS configurations of 2026; v1.7.0-eksbuild.1
# is named by the EKS user guide (hybrid nodes add-on table, awsdocs/amazon-eks-user-guide
# #1215). The add-on has lagged new Kubernetes minors before (aws/containers-roadmap#2625:
# "not supported in 1.33" in June 2025), so its availability for 1.35 is NOT confirmed:
# check `aws eks describe-addon-versions --addon-name aws-fsx-csi-driver` per version.
_FSX_CSI = _same(("v1.9.0-eksbuild.1", "v1.7.0-eksbuild.1"), _ALL)
_KUBE_PROXY = {
    "1.32": ("v1.32.6-eksbuild.12", "v1.32.3-eksbuild.7"),
    "1.33": ("v1.33.3-eksbuild.10", "v1.33.0-eksbuild.2"),
    # v1.34.1-eksbuild.2: the EKS user guide's kube-proxy add-on table for 1.34. (v1.34.0-eksbuild.5
    # was a self-managed image tag there, not an add-on version.)
    "1.34": ("v1.34.1-eksbuild.2",),
    "1.35": ("v1.35.0-eksbuild.2",),
}
_COREDNS = {
    "1.32": ("v1.11.4-eksbuild.24", "v1.11.4-eksbuild.2"),
    "1.33": ("v1.12.2-eksbuild.4", "v1.12.1-eksbuild.2"),
    "1.34": ("v1.12.3-eksbuild.1",),
    "1.35": ("v1.13.1-eksbuild.1",),
}

#: Kubernetes version -> add-on name -> versions (pinned first), for every version in
#: SUPPORTED_KUBERNETES_VERSIONS (the per-version tables above must name each of them).
ADDON_VERSIONS: Final[dict[str, dict[AddonName, tuple[str, ...]]]] = {
    k8s: {
        "vpc-cni": _VPC_CNI[k8s],
        "kube-proxy": _KUBE_PROXY[k8s],
        "coredns": _COREDNS[k8s],
        "eks-pod-identity-agent": _POD_IDENTITY[k8s],
        "aws-ebs-csi-driver": _EBS_CSI[k8s],
        "metrics-server": _METRICS[k8s],
        "amazon-cloudwatch-observability": _CLOUDWATCH[k8s],
        "snapshot-controller": _SNAPSHOT[k8s],
        "aws-efs-csi-driver": _EFS_CSI[k8s],
        "aws-fsx-csi-driver": _FSX_CSI[k8s],
    }
    for k8s in _ALL
}

#: Helm chart name -> (repository, pinned chart version). Charts of these versions support
#: every Kubernetes version in ADDON_VERSIONS (eks_blueprint.plan.upgrade's chart table and
#: tests/plan/test_upgrade.py check it per version).
CHARTS: Final[dict[ChartName, tuple[str, str]]] = {
    # Chart 1.14.0 ships controller v2.14.0.
    "aws-load-balancer-controller": ("https://aws.github.io/eks-charts", "1.14.0"),
    "external-dns": ("https://kubernetes-sigs.github.io/external-dns/", "1.19.0"),
    # v1.20 supports Kubernetes 1.32-1.35 (cert-manager "Supported Releases"); v1.18.2, the
    # earlier pin, stopped at 1.33. The upgrade plan's chart table checks this again.
    "cert-manager": ("https://charts.jetstack.io", "v1.20.2"),
    # aws/eks-charts stable/cni-metrics-helper 1.20.4 (commit 46079e8, 15 October 2025):
    # image tag v1.20.4, the helper of the vpc-cni release pinned above (kept in step:
    # tests/unit/test_cni_metrics_config.py). Read from the chart's Chart.yaml/values.yaml.
    "cni-metrics-helper": ("https://aws.github.io/eks-charts", "1.20.4"),
    # FairwindsOps/charts stable/vpa 5.0.0 (commit 5f478fce, 11 August 2026, "update VPA to
    # 1.7.1"): appVersion 1.7.1 (registry.k8s.io/autoscaling/vpa-*), kubeVersion ">= 1.28.0-0".
    # Chosen over kubernetes/autoscaler's own vertical-pod-autoscaler chart (0.11.0), whose
    # README still says "currently under development and is not ready for production use".
    "vpa": ("https://charts.fairwinds.com/stable", "5.0.0"),
}


#: Charts of the capacity constructs (eks_blueprint/compute), by chart name -> (repository,
#: pinned version). Not add-ons of the catalog: `NvidiaDevicePlugin` and `ClusterAutoscaler`
#: install them, where the capacity needs them.
CAPACITY_CHARTS: Final[dict[str, tuple[str, str]]] = {
    # NVIDIA/k8s-device-plugin tag v0.20.0 (commit 1b826ac, 19 August 2026):
    # deployments/helm/nvidia-device-plugin/Chart.yaml version and appVersion 0.20.0,
    # kubeVersion ">= 1.10.0-0"; the repository the EKS user guide installs it from
    # (ml-eks-k8s-device-plugin). Only for AL2023 NVIDIA nodes (compute/accelerators.py).
    "nvidia-device-plugin": ("https://nvidia.github.io/k8s-device-plugin", "0.20.0"),
    # kubernetes/autoscaler tag cluster-autoscaler-chart-9.59.0 (21 July 2026):
    # cluster-autoscaler/charts/cluster-autoscaler/Chart.yaml version 9.59.0, appVersion
    # 1.35.0, no kubeVersion. The chart is the same for every minor; the image tag is set per
    # minor (compute/autoscaling.py CLUSTER_AUTOSCALER_IMAGES).
    "cluster-autoscaler": ("https://kubernetes.github.io/autoscaler", "9.59.0"),
}


#: Charts of the governance layer (eks_blueprint/governance), by chart name -> (repository,
#: pinned version). Not add-ons of the catalog: the `Governance` construct installs them.
GOVERNANCE_CHARTS: Final[dict[str, tuple[str, str]]] = {
    # kyverno/kyverno tag kyverno-chart-3.9.0 (20 August 2026): appVersion v1.19.0, the
    # release whose policies.kyverno.io/v1 CRDs (ValidatingPolicy, MutatingPolicy) the
    # policies use; chart kubeVersion ">=1.25.0-0".
    "kyverno": ("https://kyverno.github.io/kyverno/", "3.9.0"),
    # nirmata/kyverno-notation-aws tag charts-v1.1.0 (appVersion v1.1): the service that
    # verifies AWS Signer (Notation) signatures for Kyverno. Its release workflow pushes the
    # OCI chart as version 1.1.0 (the tag's semver, .github/workflows/helm-release.yaml),
    # whatever Chart.yaml says; "v1.1" would be a range to Helm, not a pin.
    "kyverno-notation-aws": ("oci://ghcr.io/nirmata/charts/kyverno-notation-aws", "1.1.0"),
}


def addon_versions(kubernetes_version: str, addon: AddonName) -> tuple[str, ...]:
    """The versions of `addon` listed for `kubernetes_version`, pinned first.

    Raises ValueError naming both when the table has no entry.
    """
    try:
        return ADDON_VERSIONS[kubernetes_version][addon]
    except KeyError:
        raise ValueError(
            f"the add-on version table has no {addon} for Kubernetes {kubernetes_version}; "
            "add it to eks_blueprint/addons/versions.py"
        ) from None


def resolve_addon_version(
    kubernetes_version: str, addon: AddonName, override: str | None = None
) -> str:
    """The version to deploy: `override` if the table lists it, else the pinned one."""
    listed = addon_versions(kubernetes_version, addon)
    if override is None:
        return listed[0]
    if override not in listed:
        raise ValueError(
            f"{addon} {override} is not listed for Kubernetes {kubernetes_version}; use one "
            f"of {', '.join(listed)} or add it to eks_blueprint/addons/versions.py after "
            "checking `aws eks describe-addon-versions`"
        )
    return override
