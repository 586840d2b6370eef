"""The review of GitOps trees (eks_blueprint.review.gitops): small trees written in tmp dirs in
the renderer's own format (its ApplicationSet builder, YAML dump and manifest template), the
same CloudFormation assembly on both sides. Each Application is reported added, removed or
modified with what changed; a Namespace or volume that leaves the tree is a stateful risk, one
that moves to another Application is not."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from eks_blueprint.gitops import GitOpsTarget
from eks_blueprint.gitops import render as gitops_render
from eks_blueprint.kubernetes import Layer
from eks_blueprint.review import Report, compare, load_assembly, main, render_markdown
from eks_blueprint.review import gitops as review_gitops

from .test_review_units import write_assembly

TARGET = GitOpsTarget(name="dev", repository="https://github.com/example/platform.git",
                      path="gitops/dev")


def chart_app(item_id: str, version: str, layer: Layer = Layer.CAPACITY,
              values: dict[str, Any] | None = None, after: list[str] | None = None) -> dict[str, Any]:
    """A chart item's tree files, as the renderer writes them."""
    name = gitops_render.application_name(item_id)
    helm: dict[str, Any] = {"releaseName": "karpenter"}
    if values:
        helm["valuesObject"] = values
    source = {"repoURL": "public.ecr.aws/karpenter", "chart": "karpenter",
              "targetRevision": version, "helm": helm}
    document = gitops_render._application_set(  # the renderer's own format
        TARGET, SimpleNamespace(item_id=item_id, layer=layer), name,
        [gitops_render.application_name(a) for a in after or []], source,
        ["CreateNamespace=true", "ServerSideApply=true"], "kube-system")
    return {f"{gitops_render.APPLICATION_SETS}/{name}.yaml": gitops_render.dump(document)}


def manifest_app(item_id: str, *objects: dict[str, Any], layer: Layer = Layer.FOUNDATION) -> dict[str, Any]:
    """A manifest item's tree files: its ApplicationSet and its local chart."""
    name = gitops_render.application_name(item_id)
    chart = f"{gitops_render.MANIFESTS}/{name}"
    source = {"repoURL": TARGET.repository, "targetRevision": TARGET.revision,
              "path": f"{TARGET.path}/{chart}", "helm": {"releaseName": name}}
    document = gitops_render._application_set(
        TARGET, SimpleNamespace(item_id=item_id, layer=layer), name, [], source,
        ["ServerSideApply=true", "SkipDryRunOnMissingResource=true"], None)
    return {
        f"{gitops_render.APPLICATION_SETS}/{name}.yaml": gitops_render.dump(document),
        f"{chart}/Chart.yaml": gitops_render.dump({"apiVersion": "v2", "name": name,
                                                   "type": "application", "version": "1.0.0"}),
        f"{chart}/values.yaml": gitops_render.dump({"aws": {}, "objects": list(objects)}),
        f"{chart}/templates/objects.yaml": gitops_render.OBJECTS_TEMPLATE,
    }


def obj(kind: str, name: str, ns: str | None = "payments", api: str = "v1", **spec: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if ns:
        meta["namespace"] = ns
    return {"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec}


NAMESPACE = obj("Namespace", "payments", ns=None)
QUOTA = obj("ResourceQuota", "quota", hard={"pods": "10"})
CLAIM = obj("PersistentVolumeClaim", "data", resources={"requests": {"storage": "10Gi"}})
NODEPOOL = obj("NodePool", "default", ns=None, api="karpenter.sh/v1", limits={"cpu": "100"})


def write_tree(checkout: Path, *apps: dict[str, str], env: str = "dev") -> Path:
    """`apps` written under `checkout`/gitops/`env`/; returns `checkout`/gitops."""
    for files in apps:
        for path, text in files.items():
            out = checkout / "gitops" / env / path
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
    (checkout / "gitops").mkdir(parents=True, exist_ok=True)
    return checkout / "gitops"


def review(tmp_path: Path, before: list[dict[str, str]], after: list[dict[str, str]]) -> tuple[Report, str]:
    assembly = load_assembly(write_assembly(tmp_path / "cdk.out", {}))
    base = write_tree(tmp_path / "base", *before)
    head = write_tree(tmp_path / "head", *after)
    report = compare(assembly, assembly, base_gitops=base, head_gitops=head)
    return report, render_markdown(report)


def changes(report: Report) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """Application name -> (action, kind, details), of the one tree."""
    (tree,) = report.gitops
    return {a.name: (a.action, a.kind, a.details) for a in tree.applications}


def test_the_renderers_directory_names_are_the_reviews() -> None:
    assert review_gitops.APPLICATION_SETS == gitops_render.APPLICATION_SETS
    assert review_gitops.MANIFESTS == gitops_render.MANIFESTS


def test_applications_added_removed_and_modified_each_say_what_changed(tmp_path: Path) -> None:
    before = [chart_app("Karpenter/Chart", "1.8.0", values={"replicas": 1, "logLevel": "info"}),
              manifest_app("Priority/Classes", obj("PriorityClass", "high", ns=None, api="scheduling.k8s.io/v1"))]
    after = [chart_app("Karpenter/Chart", "1.9.0", values={"replicas": 2, "logLevel": "info"},
                       after=["Karpenter/Crds"]),
             manifest_app("Tenants/Payments", NAMESPACE, QUOTA)]
    report, text = review(tmp_path, before, after)
    found = changes(report)
    assert {name: (action, kind) for name, (action, kind, _) in found.items()} == {
        "karpenter-chart": ("modify", "chart"),
        "priority-classes": ("remove", "manifest"),
        "tenants-payments": ("add", "manifest"),
    }
    modified = found["karpenter-chart"][2]
    assert "chart version: `1.8.0` → `1.9.0`" in modified
    assert "value `replicas`: `1` → `2`" in modified
    assert "after: `(absent)` → `karpenter-crds`" in modified
    assert not any("logLevel" in line for line in modified)
    assert "object removed: `scheduling.k8s.io/PriorityClass high`" in found["priority-classes"][2]
    assert found["tenants-payments"][2][1:] == (
        "object added: `Namespace payments`", "object added: `ResourceQuota payments/quota`")
    assert report.risks == [] and report.has_changes
    (tree,) = report.gitops
    assert (tree.tree, tree.status) == ("gitops/dev", "modified")
    assert "### GitOps: Argo CD Applications" in text
    assert "| gitops/dev (Argo CD) | modified | 1 | 1 | 1 | – |" in text
    assert "| update | `karpenter-chart` | chart | `Karpenter/Chart` | capacity |" in text


def test_a_chart_version_bump_alone_is_one_line(tmp_path: Path) -> None:
    report, _ = review(tmp_path, [chart_app("Karpenter/Chart", "1.8.0")],
                       [chart_app("Karpenter/Chart", "1.8.1")])
    assert changes(report) == {
        "karpenter-chart": ("modify", "chart", ("chart version: `1.8.0` → `1.8.1`",))}


def test_a_removed_namespace_is_a_stateful_risk(tmp_path: Path) -> None:
    report, text = review(tmp_path, [manifest_app("Tenants/Payments", NAMESPACE, QUOTA)],
                          [manifest_app("Tenants/Payments", QUOTA)])
    (risk,) = report.risks
    assert (risk.stack, risk.logical_id, risk.resource_type, risk.risk) == (
        "gitops/dev", "tenants-payments", "Kubernetes Namespace", "deleted")
    assert risk.detail.startswith("Namespace payments leaves Application `tenants-payments`")
    assert "every workload, secret and volume claim" in risk.detail
    assert report.blocking_risks == [risk]
    assert "| **DELETED** | gitops/dev | `tenants-payments` | Kubernetes Namespace |" in text


def test_a_removed_application_with_a_volume_claim_is_a_stateful_risk(tmp_path: Path) -> None:
    report, _ = review(tmp_path, [manifest_app("Data/Claims", CLAIM), chart_app("Karpenter/Chart", "1.8.0")],
                       [chart_app("Karpenter/Chart", "1.8.0")])
    assert changes(report)["data-claims"][0] == "remove"
    (risk,) = report.risks
    assert (risk.logical_id, risk.resource_type) == ("data-claims", "Kubernetes PersistentVolumeClaim")
    assert "leaves the tree with Application `data-claims`" in risk.detail


def test_an_object_moved_between_applications_is_not_a_deletion(tmp_path: Path) -> None:
    report, _ = review(tmp_path,
                       [manifest_app("Tenants/Payments", NAMESPACE, QUOTA), manifest_app("Karpenter/Pools", NODEPOOL)],
                       [manifest_app("Tenants/Namespaces", NAMESPACE), manifest_app("Tenants/Payments", QUOTA),
                        manifest_app("Karpenter/Pools", NODEPOOL)])
    assert report.risks == []
    found = changes(report)
    assert set(found) == {"tenants-namespaces", "tenants-payments"}
    (moved_to,) = found["tenants-payments"][2]
    assert moved_to.startswith("object moved to Application `tenants-namespaces`: `Namespace payments`")
    assert "Prune=false,Delete=false" in moved_to  # Applications sync independently
    assert found["tenants-namespaces"][2][1] == (
        "object moved from Application `tenants-payments`: `Namespace payments`")


def test_an_object_moved_out_of_a_removed_application_is_not_a_deletion(tmp_path: Path) -> None:
    report, _ = review(tmp_path, [manifest_app("Tenants/Old", NAMESPACE)],
                       [manifest_app("Tenants/New", NAMESPACE)])
    assert report.risks == []
    assert changes(report)["tenants-old"][0] == "remove"


def test_a_modified_object_names_its_changed_fields(tmp_path: Path) -> None:
    report, _ = review(tmp_path, [manifest_app("Tenants/Payments", NAMESPACE, QUOTA)],
                       [manifest_app("Tenants/Payments", NAMESPACE, obj("ResourceQuota", "quota", hard={"pods": "20"}))])
    assert changes(report)["tenants-payments"][2] == (
        "object modified: `ResourceQuota payments/quota`: `spec.hard.pods`: `10` → `20`",)


def test_a_tree_only_in_head_or_only_in_base(tmp_path: Path) -> None:
    added, _ = review(tmp_path / "a", [], [manifest_app("Tenants/Payments", NAMESPACE)])
    assert [(t.tree, t.status) for t in added.gitops] == [("gitops/dev", "added")]
    assert added.risks == []
    removed, _ = review(tmp_path / "r", [manifest_app("Tenants/Payments", NAMESPACE)], [])
    assert [(t.tree, t.status) for t in removed.gitops] == [("gitops/dev", "removed")]
    assert [r.resource_type for r in removed.risks] == ["Kubernetes Namespace"]


def test_same_trees_are_no_change(tmp_path: Path) -> None:
    apps = [manifest_app("Tenants/Payments", NAMESPACE), chart_app("Karpenter/Chart", "1.8.0")]
    report, text = review(tmp_path, apps, apps)
    assert [(t.tree, t.status) for t in report.gitops] == [("gitops/dev", "unchanged")]
    assert not report.has_changes
    assert "**No infrastructure changes.**" in text and "GitOps" not in text


def test_unreadable_files_and_stray_files_are_reported_not_fatal(tmp_path: Path) -> None:
    app = manifest_app("Tenants/Payments", NAMESPACE)
    broken = {**app, "applicationsets/tenants-payments.yaml": "spec: [unclosed\n", "README.md": "notes\n"}
    report, _ = review(tmp_path, [app], [broken])
    (tree,) = report.gitops
    (change,) = tree.applications
    assert change.action == "modify" and "not parsed in HEAD" in change.details[0]
    assert tree.other_changes == ["file added: README.md"]
    assert report.risks == []  # Argo CD cannot render it: it prunes nothing


def test_trees_are_found_by_their_applicationsets_directory(tmp_path: Path) -> None:
    root = write_tree(tmp_path, manifest_app("A/B", NAMESPACE), env="dev")
    write_tree(tmp_path, manifest_app("A/B", NAMESPACE), env="prod")
    assert sorted(review_gitops.find_trees(root)) == ["gitops/dev", "gitops/prod"]
    assert review_gitops.find_trees(root / "dev") == {"dev": root / "dev"}
    assert review_gitops.find_trees(tmp_path / "missing") == {}


def test_the_command_line_reads_both_sides_trees(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assembly = str(write_assembly(tmp_path / "cdk.out", {}))
    base = write_tree(tmp_path / "base", manifest_app("Tenants/Payments", NAMESPACE))
    head = write_tree(tmp_path / "head", manifest_app("Tenants/Other", QUOTA))
    trees = ["--base-gitops", str(base), "--head-gitops", str(head)]
    assert main([assembly, assembly, *trees, "--fail-on-replace"]) == 2
    assert "Kubernetes Namespace" in capsys.readouterr().out
    assert main([assembly, assembly, *trees]) == 0
    assert main([assembly, assembly, "--base-gitops", str(base)]) == 1
    assert main([assembly, assembly, "--base-gitops", str(base),
                 "--head-gitops", str(tmp_path / "none")]) == 0  # HEAD left GitOps mode
