"""The checks of an upgrade plan, each a function of the :class:`UpgradeContext`.

Every check returns its rows (for the report's tables and JSON) and its findings; a
``block`` finding means the upgrade as planned would fail or break the cluster, a ``warn``
that it needs a change or a look first. Check ids: ``version-path``,
``version-supported``, ``addon-pins``, ``kubectl-layer``, ``karpenter-compat``,
``chart-compat``, ``kubelet-skew``, ``ami-pins``, ``removed-apis``, ``manifest-schema``,
``pdb-coverage``, ``support-window``, ``cluster-autoscaler-image``.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import re
import sys
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from ...addons import versions as addon_versions
from ...compute import autoscaling
from ...config.addons import MANAGED_ADDON_FIELDS
from ...template import KubeObject, UnreadableManifest, applied_by, helm_releases, literal
from ..model import Finding
from .context import UpgradeContext
from .manifests import ApiVerdict, PdbCoverage, ValuesApi
from .minors import minor_text, minors_apart, parse_minor, require_minor
from .tables import (
    EXTENDED_SUPPORT_PER_HOUR,
    HOURS_PER_MONTH,
    KUBELET_MAX_SKEW,
    STANDARD_SUPPORT_PER_HOUR,
    AmiFamily,
    ami_recommended,
    ami_release_exists,
    chart_row,
    eks_release,
    karpenter_minimum,
    karpenter_row,
    kubelet_skew_allowed,
)

#: How long before the end of standard support the plan starts warning (EKS announces the
#: date at least 60 days ahead; a quarter leaves time to test the upgrade in staging).
SUPPORT_WARN_DAYS = 90
#: Helm charts that are Karpenter itself: checked through the Karpenter table.
KARPENTER_CHARTS = ("karpenter", "karpenter-crd")
#: The label every node group of this project carries with its config name.
NODE_GROUP_LABEL = "eks-blueprint/node-group"


@dataclass(frozen=True)
class Pin:
    """A pinned version in the config (or template) and the value the target needs."""

    path: str
    current: str
    target: str | None
    """The value to set; equal to `current` when the pin already fits; None if unknown."""
    exists_for_target: bool | None
    note: str = ""

    @property
    def changes(self) -> bool:
        return self.target != self.current

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "current": self.current,
            "target": self.target,
            "exists_for_target": self.exists_for_target,
            "note": self.note,
        }


# -- version path -------------------------------------------------------------------------


def check_version_path(ctx: UpgradeContext) -> list[Finding]:
    """One minor at a time, forward only, to a version this release supports."""
    current, target = require_minor(ctx.current), require_minor(ctx.to)
    following = minor_text((current[0], current[1] + 1))
    apart = minors_apart(current, target)
    findings = []
    if apart == 0:
        findings.append(
            Finding(
                "version-path",
                "block",
                f"{ctx.env} runs Kubernetes {ctx.current} already: there is nothing to upgrade.",
                f"plan the next minor version: --to {following}",
            )
        )
    elif apart < 0:
        findings.append(
            Finding(
                "version-path",
                "block",
                f"{ctx.to} is older than the current {ctx.current}: EKS cannot downgrade a "
                "control plane.",
                f"plan an upgrade (--to {following}); going back needs a new cluster (blue/green)",
            )
        )
    elif apart > 1:
        findings.append(
            Finding(
                "version-path",
                "block",
                f"EKS upgrades a control plane one minor version at a time: {ctx.current} → "
                f"{ctx.to} skips {apart - 1} version(s).",
                f'upgrade to {following} first (cluster.version: "{following}" in '
                f"{ctx.inputs.config_path}, deploy), then plan {following} → {ctx.to}",
            )
        )
    supported = addon_versions.SUPPORTED_KUBERNETES_VERSIONS
    if ctx.to not in supported:
        findings.append(
            Finding(
                "version-supported",
                "block",
                f"Kubernetes {ctx.to} is not supported by this release of eks_blueprint "
                f"(SUPPORTED_KUBERNETES_VERSIONS: {', '.join(supported)}).",
                f"choose one of {', '.join(supported)}, or add {ctx.to} to "
                "eks_blueprint/addons/versions.py with its add-on pins and kubectl layer",
            )
        )
    return findings


# -- add-ons ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddonRow:
    name: str
    current_version: str | None
    target_version: str | None
    listed_for_target: bool
    pinned_by: str

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "current_version": self.current_version,
            "target_version": self.target_version,
            "listed_for_target": self.listed_for_target,
            "pinned_by": self.pinned_by,
        }


def _addons_of(ctx: UpgradeContext, *, deployed: bool) -> dict[str, str | None]:
    """AddonName -> AddonVersion (None when not a literal) of the EKS add-ons in a template."""
    source = ctx.deployed if deployed else ctx.inputs
    out: dict[str, str | None] = {}
    for _, _, props in source.properties("AWS::EKS::Addon"):
        name = literal(props.get("AddonName"))
        if name:
            out[name] = literal(props.get("AddonVersion"))
    return out


def check_addons(ctx: UpgradeContext) -> tuple[list[AddonRow], list[Finding], list[Pin]]:
    """Every EKS add-on the environment runs has a version listed for the target."""
    table: dict[str, tuple[str, ...]] = {
        str(name): versions
        for name, versions in addon_versions.ADDON_VERSIONS.get(ctx.to, {}).items()
    }
    overrides: dict[str, tuple[str, str]] = {
        str(addon): (path, version)
        for path, (addon, version) in ctx.deployed.config.addons.version_overrides().items()
    }
    field_of: dict[str, str] = {str(name): field for field, name in MANAGED_ADDON_FIELDS.items()}
    now = _addons_of(ctx, deployed=False)
    rows: list[AddonRow] = []
    findings: list[Finding] = []
    pins: list[Pin] = []
    for name, deployed_version in _addons_of(ctx, deployed=True).items():
        listed = table.get(name)
        override = overrides.get(name)
        if ctx.target_mode:
            version = deployed_version
        else:
            version = override[1] if override else (listed[0] if listed else None)
        pinned_by = override[0] if override else "eks_blueprint/addons/versions.py"
        ok = listed is not None and version in listed
        rows.append(AddonRow(name, now.get(name), version, ok, pinned_by))
        if listed is None:
            findings.append(
                Finding(
                    "addon-pins",
                    "block",
                    f"add-on {name}: eks_blueprint/addons/versions.py pins no version for "
                    f"Kubernetes {ctx.to} (ADDON_VERSIONS).",
                    f"add it after checking `aws eks describe-addon-versions "
                    f"--kubernetes-version {ctx.to} --addon-name {name} --query "
                    "'addons[].addonVersions[0].addonVersion'`",
                )
            )
        elif version is None:
            findings.append(
                Finding(
                    "addon-pins",
                    "warn",
                    f"add-on {name}: the template sets no AddonVersion, so EKS picks its "
                    f"default for {ctx.to} and the review cannot show it.",
                    f"pin it: eks_blueprint/addons/versions.py lists {', '.join(listed)}",
                )
            )
        elif version not in listed:
            if override:
                path = override[0]
                field = field_of.get(name, name)
                findings.append(
                    Finding(
                        "addon-pins",
                        "block",
                        f"{path} pins {name} {version}, which is not listed for Kubernetes "
                        f"{ctx.to} (listed: {', '.join(listed)}).",
                        f"in {ctx.config_file}: remove addons.{field}.version (the pin for "
                        f"{ctx.to} is {listed[0]}) or set it to one of {', '.join(listed)}",
                    )
                )
                pins.append(Pin(path, version, listed[0], False, "add-on version override"))
            else:
                findings.append(
                    Finding(
                        "addon-pins",
                        "block",
                        f"add-on {name}: the target template deploys {version}, which "
                        f"eks_blueprint/addons/versions.py does not list for {ctx.to}.",
                        f"use one of {', '.join(listed)} (re-synthesise after updating)",
                    )
                )
    return rows, findings, pins


# -- kubectl layer ------------------------------------------------------------------------


def module_importable(name: str) -> bool:
    """Whether module `name` can be imported, without importing it.

    ``importlib.util.find_spec`` imports the parent package of a dotted name; the kubectl
    layers live under ``aws_cdk``, which this pure-Python plan must not load. So an
    unimported parent is searched on sys.path with PathFinder instead.
    """
    parent = name.rpartition(".")[0]
    if not parent or parent in sys.modules:
        try:
            return importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            return False
    path: list[str] | None = None
    for part in name.split("."):
        spec = importlib.machinery.PathFinder.find_spec(part, path)
        if spec is None:
            return False
        locations = spec.submodule_search_locations
        path = list(locations) if locations is not None else None
    return True


def check_kubectl_layer(ctx: UpgradeContext) -> tuple[dict[str, Any], list[Finding]]:
    """The kubectl Lambda layer of the target version is a known package and installed."""
    try:
        package = addon_versions.kubectl_layer_package(ctx.to)
        module, class_name = addon_versions.kubectl_layer_module(ctx.to)
    except ValueError as exc:
        return {"package": None, "module": None, "importable": False}, [
            Finding("kubectl-layer", "block", f"no kubectl layer is known: {exc}")
        ]
    importable = module_importable(module)
    data = {"package": package, "module": f"{module}.{class_name}", "importable": importable}
    if importable:
        return data, []
    extra = f"kubectl-v{ctx.to.split('.')[1]}"
    return data, [
        Finding(
            "kubectl-layer",
            "block",
            f"the kubectl layer for Kubernetes {ctx.to} ({package}, module {module}) is not "
            "installed: synth fails and Helm charts and manifests cannot be applied.",
            f'pip install "eks-blueprint[{extra}]" (or pip install {package})',
        )
    ]


# -- Karpenter ----------------------------------------------------------------------------


def check_karpenter(
    ctx: UpgradeContext,
) -> tuple[dict[str, Any] | None, list[Finding], list[Pin]]:
    """compute.karpenter.version supports the target (Karpenter's compatibility matrix)."""
    karpenter = ctx.deployed.config.compute.karpenter
    charts = {
        helm.chart: (f"{helm.stack}/{helm.key[1]}.Version", helm.version)
        for helm in helm_releases(ctx.deployed.stacks)
        if helm.chart in KARPENTER_CHARTS
    }
    if karpenter is not None:
        path, version = "compute.karpenter.version", karpenter.version
    elif "karpenter" in charts and charts["karpenter"][1]:
        path, version = charts["karpenter"][0], str(charts["karpenter"][1])
    else:
        return None, [], []
    row = karpenter_row(version)
    minimum = karpenter_minimum(ctx.to, ctx.current)
    target = require_minor(ctx.to)
    supports = row is not None and (
        require_minor(row.min_kubernetes) <= target <= require_minor(row.max_kubernetes)
    )
    data = {
        "version": version,
        "charts": {chart: chart_version for chart, (_, chart_version) in charts.items()},
        "supported_kubernetes": f"{row.min_kubernetes}-{row.max_kubernetes}" if row else None,
        "supports_target": supports if row else None,
        "minimum_for_upgrade": minimum,
    }
    if row is None:
        return (
            data,
            [
                Finding(
                    "karpenter-compat",
                    "warn",
                    f"Karpenter {version} is not in the compatibility table (Karpenter "
                    f"1.0-1.14): the plan cannot confirm it supports Kubernetes {ctx.to}.",
                    "check https://karpenter.sh/docs/upgrading/compatibility/ and add the row to "
                    "eks_blueprint/plan/upgrade/tables.py (KARPENTER_COMPATIBILITY)",
                )
            ],
            [],
        )
    if supports:
        return data, [], [Pin(path, version, version, True, "Karpenter Helm chart")]
    fix = (
        f'in {ctx.config_file}: set {path} to "{minimum}" or later (it supports both '
        f"{ctx.current} and {ctx.to}) and deploy that before the control-plane upgrade; read "
        "the Karpenter upgrade guide for every minor in between"
        if minimum
        else f"no Karpenter release in the table supports both {ctx.current} and {ctx.to}"
    )
    return (
        data,
        [
            Finding(
                "karpenter-compat",
                "block",
                f"Karpenter {version} ({path}) supports Kubernetes {row.min_kubernetes}-"
                f"{row.max_kubernetes}, not {ctx.to} (karpenter.sh compatibility matrix).",
                fix,
            )
        ],
        [Pin(path, version, minimum, False, "Karpenter Helm chart: upgrade it first")],
    )


# -- Helm charts --------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartCheck:
    chart: str
    version: str | None
    repository: str | None
    supported: str
    status: str
    source: str

    def to_json(self) -> dict[str, Any]:
        return {
            "chart": self.chart,
            "version": self.version,
            "repository": self.repository,
            "supported_kubernetes": self.supported,
            "status": self.status,
            "source": self.source,
        }


def check_charts(ctx: UpgradeContext) -> tuple[list[ChartCheck], list[Finding]]:
    """Each Helm chart the stacks carry supports the target version."""
    rows: list[ChartCheck] = []
    findings: list[Finding] = []
    target = require_minor(ctx.to)
    for helm in helm_releases(ctx.deployed.stacks):
        chart = helm.chart or helm.key[1]
        version, repository = helm.version, helm.repository
        if chart in KARPENTER_CHARTS:
            krow = karpenter_row(version or "")
            supported = f"{krow.min_kubernetes}-{krow.max_kubernetes}" if krow else "unknown"
            ok = krow is not None and (
                require_minor(krow.min_kubernetes) <= target <= require_minor(krow.max_kubernetes)
            )
            status = "see karpenter-compat" if not ok else "compatible"
            rows.append(
                ChartCheck(chart, version, repository, supported, status, "Karpenter table")
            )
            continue
        row = chart_row(chart, version or "")
        if row is None:
            rows.append(ChartCheck(chart, version, repository, "unknown", "unconfirmed", "-"))
            findings.append(
                Finding(
                    "chart-compat",
                    "warn",
                    f"Helm chart {chart} {version} is not in the chart compatibility table: "
                    f"the plan cannot confirm it supports Kubernetes {ctx.to}.",
                    "check the chart's release notes or Chart.yaml kubeVersion and add a row "
                    "to eks_blueprint/plan/upgrade/tables.py (CHART_COMPATIBILITY)",
                )
            )
            continue
        low = require_minor(row.min_kubernetes)
        high = require_minor(row.max_kubernetes) if row.max_kubernetes else None
        supported = (
            f"{row.min_kubernetes}-{row.max_kubernetes}"
            if row.max_kubernetes
            else f"{row.min_kubernetes}+ (no published maximum)"
        )
        ok = low <= target and (high is None or target <= high)
        rows.append(
            ChartCheck(
                chart,
                version,
                repository,
                supported,
                "compatible" if ok else "incompatible",
                row.source,
            )
        )
        if not ok:
            findings.append(
                Finding(
                    "chart-compat",
                    "block",
                    f"Helm chart {chart} {version} supports Kubernetes {supported}, not "
                    f"{ctx.to} ({row.source.split(';')[0]}).",
                    f"pin a {chart} chart version that supports {ctx.to} in "
                    "eks_blueprint/addons/versions.py (CHARTS)",
                )
            )
    return rows, findings


# -- Cluster Autoscaler image -------------------------------------------------------------


def check_cluster_autoscaler(ctx: UpgradeContext) -> list[Finding]:
    """The Cluster Autoscaler's image follows the control plane's minor: the target needs a
    pinned image (compute/autoscaling.py CLUSTER_AUTOSCALER_IMAGES), and what is deployed
    for the target must be that image."""
    findings: list[Finding] = []
    wanted = autoscaling.CLUSTER_AUTOSCALER_IMAGES.get(ctx.to)
    for helm in helm_releases(ctx.deployed.stacks):
        if helm.chart != autoscaling.CHART_NAME:
            continue
        where = f"{helm.stack}/{helm.key[1]}"
        image = helm.values.get("image")
        tag = literal(image.get("tag")) if isinstance(image, dict) else None
        if wanted is None:
            findings.append(
                Finding(
                    "cluster-autoscaler-image",
                    "block",
                    f"no Cluster Autoscaler image is pinned for Kubernetes {ctx.to} ({where} "
                    f"runs {tag or 'an unreadable tag'}): the autoscaler must run the control "
                    "plane's minor, and synth refuses a version without one.",
                    f"add the newest cluster-autoscaler-{ctx.to}.x release to "
                    "CLUSTER_AUTOSCALER_IMAGES in eks_blueprint/compute/autoscaling.py",
                )
            )
        elif tag == wanted:
            continue
        elif ctx.target_mode:
            findings.append(
                Finding(
                    "cluster-autoscaler-image",
                    "block",
                    f"{where} deploys Cluster Autoscaler {tag or '(unreadable tag)'} with "
                    f"Kubernetes {ctx.to}, whose image is {wanted}: its minor must match the "
                    "control plane's.",
                    "remove the explicit image tag (ClusterAutoscalerProps.image_tag) so the "
                    "table's image of the target is used",
                )
            )
        else:
            findings.append(
                Finding(
                    "cluster-autoscaler-image",
                    "info",
                    f"the Cluster Autoscaler ({where}) moves from {tag or 'its current image'} "
                    f"to {wanted} in the deploy that sets cluster.version {ctx.to}: its chart "
                    "is updated after the control plane, so it never runs ahead of it.",
                )
            )
    return findings


# -- node groups: kubelet skew and release pins -------------------------------------------

_AL2023_RELEASE = re.compile(r"(\d+)\.(\d+)\.\d+-(\d{8})")
_BOTTLEROCKET_RELEASE = re.compile(r"(\d+\.\d+\.\d+)-[0-9a-f]+")


def _family(ami_type: str | None) -> AmiFamily | None:
    if not ami_type:
        return None
    if ami_type.startswith("AL2023"):
        return "al2023"
    if ami_type.startswith("BOTTLEROCKET"):
        return "bottlerocket"
    return None


@dataclass(frozen=True)
class NodeGroupRow:
    name: str
    stack: str
    logical_id: str
    ami_type: str | None
    version: str | None
    release_version: str | None
    kubelet_after: str
    max_unavailable: str
    force_update: bool
    sizes: str

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "stack": self.stack,
            "logical_id": self.logical_id,
            "ami_type": self.ami_type,
            "version": self.version,
            "release_version": self.release_version,
            "kubelet_after_control_plane": self.kubelet_after,
            "max_unavailable": self.max_unavailable,
            "force_update": self.force_update,
            "sizes": self.sizes,
        }


def check_node_groups(
    ctx: UpgradeContext,
) -> tuple[list[NodeGroupRow], list[Finding], list[Pin]]:
    """Managed node groups: kubelet skew against the target control plane, and pinned
    release versions that must exist for it."""
    rows: list[NodeGroupRow] = []
    findings: list[Finding] = []
    pins: list[Pin] = []
    target = require_minor(ctx.to)
    for stack, logical_id, props in ctx.deployed.properties("AWS::EKS::Nodegroup"):
        labels = props.get("Labels") or {}
        name = (
            literal(labels.get(NODE_GROUP_LABEL))
            or literal(props.get("NodegroupName"))
            or logical_id
        )
        ami_type = literal(props.get("AmiType"))
        version = literal(props.get("Version"))
        release = literal(props.get("ReleaseVersion"))
        al2023 = _AL2023_RELEASE.fullmatch(release or "")
        pinned = version or (f"{al2023[1]}.{al2023[2]}" if al2023 else None)
        kubelet = parse_minor(pinned) if pinned else require_minor(ctx.current)
        update = props.get("UpdateConfig") or {}
        if update.get("MaxUnavailablePercentage") is not None:
            max_unavailable = f"{update['MaxUnavailablePercentage']}%"
        elif update.get("MaxUnavailable") is not None:
            max_unavailable = f"{update['MaxUnavailable']} node(s)"
        else:
            max_unavailable = "1 node (EKS default)"
        scaling = props.get("ScalingConfig") or {}
        rows.append(
            NodeGroupRow(
                name=name,
                stack=stack.name,
                logical_id=logical_id,
                ami_type=ami_type,
                version=version,
                release_version=release,
                kubelet_after=minor_text(kubelet) if kubelet else str(pinned),
                max_unavailable=max_unavailable,
                force_update=props.get("ForceUpdateEnabled") in (True, "true"),
                sizes="{}/{}/{}".format(
                    scaling.get("MinSize", "?"),
                    scaling.get("DesiredSize", "?"),
                    scaling.get("MaxSize", "?"),
                ),
            )
        )
        where = f"node group {name} ({stack.name}/{logical_id})"
        if pinned is not None and kubelet is not None:
            if minors_apart(kubelet, target) < 0:
                findings.append(
                    Finding(
                        "kubelet-skew",
                        "block",
                        f"{where} pins Kubernetes {pinned}, newer than the control plane "
                        f"{ctx.to}: a kubelet may never be newer than the API server.",
                        f"pin it to {ctx.to} or remove the pin",
                    )
                )
            elif not kubelet_skew_allowed(kubelet, target):
                findings.append(
                    Finding(
                        "kubelet-skew",
                        "block",
                        f"{where} pins Kubernetes {pinned}, {minors_apart(kubelet, target)} "
                        f"minors behind the control plane {ctx.to} (at most "
                        f"{KUBELET_MAX_SKEW} allowed).",
                        f"update the group to at least "
                        f"{minor_text((target[0], target[1] - KUBELET_MAX_SKEW))} before the "
                        "control plane moves",
                    )
                )
            elif pinned != ctx.to and version:
                pins.append(
                    Pin(
                        f"{stack.name}/{logical_id}.Version",
                        pinned,
                        ctx.to,
                        False,
                        "node group Kubernetes version (template)",
                    )
                )
        if release:
            findings += _release_pin(ctx, where, stack.name, logical_id, ami_type, release, pins)
    return rows, findings, pins


def _release_pin(
    ctx: UpgradeContext,
    where: str,
    stack: str,
    logical_id: str,
    ami_type: str | None,
    release: str,
    pins: list[Pin],
) -> list[Finding]:
    """A node group ReleaseVersion must name an AMI release that has the target version."""
    family = _family(ami_type)
    al2023 = _AL2023_RELEASE.fullmatch(release)
    bottlerocket = _BOTTLEROCKET_RELEASE.fullmatch(release)
    if family == "al2023" and al2023:
        tag = f"v{al2023[3]}"
    elif family == "bottlerocket" and bottlerocket:
        tag = f"v{bottlerocket[1]}"
    else:
        return [
            Finding(
                "ami-pins",
                "warn",
                f"{where} pins ReleaseVersion {release} ({ami_type}): the plan cannot read it, "
                f"so it cannot confirm it exists for Kubernetes {ctx.to}.",
            )
        ]
    exists = ami_release_exists(family, tag, ctx.to)
    path = f"{stack}/{logical_id}.ReleaseVersion"
    if exists:
        pins.append(Pin(path, release, release, True, "node group AMI release (template)"))
        return []
    newest = ami_recommended(family, ctx.current, ctx.to)
    pins.append(Pin(path, release, newest, exists, "node group AMI release (template)"))
    if exists is None:
        return [
            Finding(
                "ami-pins",
                "warn",
                f"{where} pins ReleaseVersion {release}: the AMI table cannot confirm a "
                f"{family} release {tag} for Kubernetes {ctx.to}.",
                "check the release notes of the EKS-optimized AMIs",
            )
        ]
    return [
        Finding(
            "ami-pins",
            "block" if ctx.target_mode else "warn",
            f"{where} pins ReleaseVersion {release}: {family} release {tag} has no AMIs for "
            f"Kubernetes {ctx.to}.",
            f"pin a {ctx.to} release ({family} {newest} or later)" if newest else None,
        )
    ]


# -- Karpenter AMI aliases ----------------------------------------------------------------

_ALIAS = re.compile(r"(?P<family>al2023|bottlerocket)@(?P<version>latest|v?\d[\d.]*)")


def check_ami_pins(
    ctx: UpgradeContext, objects: list[KubeObject]
) -> tuple[list[Pin], list[Finding]]:
    """Each EC2NodeClass AMI alias exists for the target version.

    The aliases come from the config (compute.karpenter.node_classes[].ami_alias, the path a
    fix edits) and, for EC2NodeClasses the config does not define, from the
    ``amiSelectorTerms`` of the manifests. Karpenter resolves ``al2023@v20251112`` for the
    cluster's Kubernetes version: after the control plane moves, a release without AMIs for
    the new version resolves to nothing, the EC2NodeClass turns not-ready and Karpenter
    launches no node.
    """
    karpenter = ctx.deployed.config.compute.karpenter
    aliases: list[tuple[str, str]] = []
    configured = set()
    if karpenter is not None:
        for index, node_class in enumerate(karpenter.node_classes):
            configured.add(node_class.name)
            aliases.append(
                (f"compute.karpenter.node_classes[{index}].ami_alias", node_class.ami_alias)
            )
    for obj in objects:
        if obj.kind != "EC2NodeClass" or obj.name in configured:
            continue
        terms = obj.spec.get("amiSelectorTerms") or []
        for j, term in enumerate(terms):
            alias = term.get("alias") if isinstance(term, dict) else None
            if isinstance(alias, str):
                aliases.append(
                    (
                        f"{obj.stack}/{obj.key[1]}: EC2NodeClass {obj.name} "
                        f"spec.amiSelectorTerms[{j}].alias",
                        alias,
                    )
                )
    pins = [_alias_pin(ctx, path, alias) for path, alias in aliases]
    findings = _ami_findings(ctx, [p for p in pins if p.exists_for_target is False])
    unconfirmed = [f"{p.path} = {p.current}" for p in pins if p.exists_for_target is None]
    if unconfirmed:
        findings.append(
            Finding(
                "ami-pins",
                "warn",
                f"the AMI table cannot confirm that these pins have AMIs for Kubernetes "
                f"{ctx.to}: {'; '.join(unconfirmed)}.",
                f"check `aws ssm get-parameters-by-path --path /aws/service/eks/optimized-ami/"
                f"{ctx.to}/amazon-linux-2023/` (or /aws/service/bottlerocket/aws-k8s-{ctx.to}/) "
                "and update eks_blueprint/plan/upgrade/tables.py (AMI_RELEASES)",
            )
        )
    return pins, findings


def _alias_pin(ctx: UpgradeContext, path: str, alias: str) -> Pin:
    """The pin of one alias: whether its release has AMIs for the target, and the release
    to set when not (the newest known to carry both the current and the target version)."""
    what = "EC2NodeClass AMI alias"
    found = _ALIAS.fullmatch(alias)
    if found is None:
        return Pin(path, alias, None, None, f"{what}: a family the plan has no table for")
    family = cast(AmiFamily, found["family"])
    version = found["version"]
    if version == "latest":
        return Pin(path, alias, alias, True, f"{what}: follows the newest AMI of the version")
    tag = version if version.startswith("v") else f"v{version}"
    exists = ami_release_exists(family, tag, ctx.to)
    if exists:
        return Pin(path, alias, alias, True, what)
    if exists is None:
        return Pin(path, alias, None, None, f"{what}: newer than the AMI table")
    newest = ami_recommended(family, ctx.current, ctx.to)
    prefix = "v" if version.startswith("v") else ""
    new = f"{family}@{prefix}{newest.removeprefix('v')}" if newest else None
    return Pin(path, alias, new, False, what)


def _ami_findings(ctx: UpgradeContext, missing: list[Pin]) -> list[Finding]:
    if not missing:
        return []
    why = (
        "Karpenter resolves the alias for the cluster's version: with a release that has no "
        f"{ctx.to} AMIs it can launch no node after the control plane moves"
    )
    if ctx.target_mode:
        return [
            Finding(
                "ami-pins",
                "block",
                f"{ctx.config_file} {pin.path} is {pin.current}, which has no AMIs for "
                f"Kubernetes {ctx.to}: {why}.",
                f"set {pin.path} to {pin.target}"
                if pin.target
                else f"pin a release with {ctx.to} AMIs",
            )
            for pin in missing
        ]
    listing = "; ".join(f"{p.path}: {p.current} → {p.target or '?'}" for p in missing)
    return [
        Finding(
            "ami-pins",
            "warn",
            f"{len(missing)} AMI pin(s) have no AMIs for Kubernetes {ctx.to} and must change "
            f"with the upgrade ({listing}); {why}.",
            f"in {ctx.config_file}, in the same change as cluster.version: {listing} (each "
            f"new release has AMIs for both {ctx.current} and {ctx.to})",
        )
    ]


# -- removed APIs, schemas, PDBs ----------------------------------------------------------


def api_findings(
    ctx: UpgradeContext,
    verdicts: list[ApiVerdict],
    unreadable: list[UnreadableManifest],
    values: list[tuple[ValuesApi, str]],
) -> list[Finding]:
    """Findings from the manifest verdicts and the chart values."""
    findings: list[Finding] = []
    for verdict in verdicts:
        if verdict.status == "removed":
            findings.append(
                Finding(
                    "removed-apis",
                    "block",
                    f"{verdict.obj.describe()}: {verdict.detail}.",
                    f"use {verdict.replacement}",
                )
            )
        elif verdict.status == "schema-error" and verdict.regression:
            findings.append(
                Finding(
                    "manifest-schema",
                    "block",
                    f"{verdict.obj.describe()} is valid for Kubernetes {ctx.current} but not for "
                    f"{ctx.to}: {verdict.detail}.",
                    "change the object to the target's schema",
                )
            )
        elif verdict.status == "schema-error":
            findings.append(
                Finding(
                    "manifest-schema",
                    "warn",
                    f"{verdict.obj.describe()} fails strict validation for {ctx.current} and "
                    f"{ctx.to} alike (not caused by the upgrade): {verdict.detail}.",
                )
            )
    unvalidated = [v for v in verdicts if v.status == "unvalidated"]
    if unvalidated:
        findings.append(
            Finding(
                "removed-apis",
                "warn",
                f"{len(unvalidated)} object(s) were checked against the removed-API table "
                f"only: {unvalidated[0].detail}.",
                'pip install "eks-blueprint[tools]" (kubernetes-validate: API schemas per '
                "Kubernetes version; upgrade it when the target is newer than its schemas)",
            )
        )
    for item in unreadable:
        findings.append(
            Finding(
                "removed-apis",
                "warn",
                f"manifest {item.stack}/{applied_by(item.logical_id, item.item)} could not be read "
                f"({item.reason}): "
                "its objects were not checked.",
            )
        )
    for value, replacement in values:
        findings.append(
            Finding(
                "removed-apis",
                "block",
                f"Helm chart {value.chart} ({value.stack}/{value.resource}) values at "
                f"{value.path} name {value.api_version}"
                + (f" {value.kind}" if value.kind else "")
                + f", which Kubernetes {ctx.to} does not serve.",
                f"use {replacement}",
            )
        )
    return findings


def pdb_findings(coverage: list[PdbCoverage]) -> list[Finding]:
    """Workloads that node drains could take down, or that would stall them."""
    findings = []
    for item in coverage:
        if not item.pdbs:
            findings.append(
                Finding(
                    "pdb-coverage",
                    "warn",
                    f"{item.workload.describe()} has no PodDisruptionBudget: node drains during "
                    "the data-plane upgrade may evict all its pods at once.",
                    "add a policy/v1 PodDisruptionBudget selecting its pods (e.g. "
                    "maxUnavailable: 1)",
                )
            )
        for name in item.blocks_drain:
            findings.append(
                Finding(
                    "pdb-coverage",
                    "warn",
                    f"PodDisruptionBudget {name} allows no voluntary disruption of "
                    f"{item.workload.describe()}: node drains stall, and a managed node group "
                    "update without force fails.",
                    "allow at least one disruption (maxUnavailable: 1, or minAvailable below "
                    "the replica count)",
                )
            )
    return findings


# -- support window and cost --------------------------------------------------------------


def _status(minor: str, today: date) -> str:
    row = eks_release(minor)
    if row is None:
        return "unknown (no calendar row)"
    if today < row.standard_end:
        return f"standard support, {(row.standard_end - today).days} days left"
    if today < row.extended_end:
        return f"extended support, {(row.extended_end - today).days} days left"
    return "past the end of extended support: EKS upgrades it"


def check_support(ctx: UpgradeContext) -> tuple[dict[str, Any], list[Finding]]:
    """Support dates of the current and the target version, and what running past the end
    of standard support costs (or does, with upgrade policy STANDARD)."""
    support_type = ctx.support_type()
    standard = round(STANDARD_SUPPORT_PER_HOUR * HOURS_PER_MONTH, 2)
    extended = round(EXTENDED_SUPPORT_PER_HOUR * HOURS_PER_MONTH, 2)
    data: dict[str, Any] = {
        "upgrade_policy": support_type,
        "today": ctx.today.isoformat(),
        "versions": {},
        "cost_per_month": {
            "standard": standard,
            "extended": extended,
            "extra_in_extended": round(extended - standard, 2),
            "hours_per_month": HOURS_PER_MONTH,
        },
    }
    findings: list[Finding] = []
    for role, minor in (("current", ctx.current), ("target", ctx.to)):
        row = eks_release(minor)
        data["versions"][minor] = (
            {
                "role": role,
                "eks_release": row.eks_release.isoformat(),
                "standard_end": row.standard_end.isoformat(),
                "extended_end": row.extended_end.isoformat(),
                "confirmed": row.confirmed,
                "status": _status(minor, ctx.today),
            }
            if row
            else {"role": role, "status": _status(minor, ctx.today), "confirmed": False}
        )
        if row is None:
            findings.append(
                Finding(
                    "support-window",
                    "warn",
                    f"the EKS release calendar table has no row for {minor}: its support "
                    "dates and cost are unknown to the plan.",
                    "add it to eks_blueprint/plan/upgrade/tables.py (EKS_RELEASES) from "
                    "`aws eks describe-cluster-versions`",
                )
            )
            continue
        if not row.confirmed:
            findings.append(
                Finding(
                    "support-window",
                    "warn",
                    f"the support dates of {minor} are unconfirmed ({row.note}).",
                    "confirm them with `aws eks describe-cluster-versions` and set "
                    "confirmed=True in eks_blueprint/plan/upgrade/tables.py",
                )
            )
        days = (row.standard_end - ctx.today).days
        ends = row.standard_end.isoformat()
        if role == "current" and days <= SUPPORT_WARN_DAYS:
            when = f"in {days} days" if days >= 0 else f"{-days} days ago"
            if support_type.startswith("STANDARD"):
                effect = (
                    "with upgrade policy STANDARD, EKS then upgrades the control plane to the "
                    "next version by itself, leaving add-ons and nodes behind"
                )
            else:
                effect = (
                    f"with upgrade policy {support_type}, the cluster then costs "
                    f"${EXTENDED_SUPPORT_PER_HOUR:.2f} instead of ${STANDARD_SUPPORT_PER_HOUR:.2f}"
                    f" an hour: ${extended:.0f} instead of ${standard:.0f} a month "
                    f"(+${extended - standard:.0f})"
                )
            verb = "leaves" if days >= 0 else "left"
            findings.append(
                Finding(
                    "support-window",
                    "warn",
                    f"Kubernetes {minor} {verb} EKS standard support on {ends} ({when}): {effect}.",
                    "upgrade before that date",
                )
            )
        if role == "target" and days < 0:
            findings.append(
                Finding(
                    "support-window",
                    "warn",
                    f"Kubernetes {minor} left EKS standard support on {ends}: the upgrade "
                    "lands in extended support"
                    + ("" if support_type.startswith("STANDARD") else f" (${extended:.0f} a month)")
                    + ".",
                    "plan the next upgrade right after this one",
                )
            )
    return data, findings


#: AWS::EKS::Nodegroup properties that change with a Kubernetes upgrade; any other one may not
#: change in the same update.
_VERSION_PROPERTIES = frozenset({"Version", "ReleaseVersion"})


def _without_version(props: dict[str, Any]) -> dict[str, Any]:
    rest = {k: v for k, v in props.items() if k not in _VERSION_PROPERTIES}
    template = rest.get("LaunchTemplate")
    if isinstance(template, dict):
        # A new launch template version rides with a version update (eksctl combines them).
        rest["LaunchTemplate"] = {k: v for k, v in template.items() if k != "Version"}
    return rest


def check_combined_nodegroup_updates(ctx: UpgradeContext) -> list[Finding]:
    """In target mode: a node group whose Version changes together with any other property.

    CloudFormation refuses that update ("Version and ReleaseVersion updates cannot be
    combined with other updates", aws/containers-roadmap#1258), and the rollback that follows
    cannot lower the control plane again: the stack is left in UPDATE_ROLLBACK_FAILED. So the
    other node group changes (labels, taints, sizes, instance types, tags...) must land in a
    deploy of their own, before or after the upgrade.
    """
    if not ctx.target_mode:
        return []
    before = {
        (stack.name, logical_id): props
        for stack, logical_id, props in ctx.inputs.properties("AWS::EKS::Nodegroup")
    }
    findings: list[Finding] = []
    for stack, logical_id, props in ctx.deployed.properties("AWS::EKS::Nodegroup"):
        old = before.get((stack.name, logical_id))
        if old is None or old.get("Version") == props.get("Version"):
            continue
        old_rest, new_rest = _without_version(old), _without_version(props)
        changed = sorted(
            k for k in set(old_rest) | set(new_rest) if old_rest.get(k) != new_rest.get(k)
        )
        if changed:
            findings.append(
                Finding(
                    "nodegroup-combined-update",
                    "block",
                    f"node group {logical_id} ({stack.name}) changes its Version and also "
                    f"{', '.join(changed)} in the same deploy: CloudFormation refuses a Version "
                    "update combined with other node group updates, and the rollback cannot "
                    "lower the control plane again (UPDATE_ROLLBACK_FAILED).",
                    fix="land the other node group changes in a pull request of their own, "
                    "before or after the upgrade; keep this one to cluster.version and the pins",
                )
            )
    return findings
