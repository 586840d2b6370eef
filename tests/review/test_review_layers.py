"""The review of Kubernetes layers (``Custom::EksBlueprint-KubernetesLayer``): hand-written
assemblies, no synth. A change to a layer is reported per item (added, removed, modified,
moved: by its Id, with its type) and per Kubernetes object and Helm release inside it, as
precisely as one resource per manifest or chart was; what loses data is a stateful risk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eks_blueprint.review import Report, compare, load_assembly, render_markdown
from eks_blueprint.template import LAYER_TYPE

from .test_review_units import write_assembly

FOUNDATION, PLATFORM = "ControlPlaneKubernetesFoundation1A2B3C4D", "ControlPlaneKubernetesPlatform5E6F7A8B"


def run(tmp_path: Path, before: dict[str, Any], after: dict[str, Any]) -> tuple[Report, str]:
    base = write_assembly(tmp_path / "base", before)
    head = write_assembly(tmp_path / "head", after)
    report = compare(load_assembly(base), load_assembly(head))
    return report, render_markdown(report)


def layer(name: str, *items: dict[str, Any], cluster: Any = None, elsewhere: list[str] | None = None) -> dict[str, Any]:
    return {"Type": LAYER_TYPE, "Properties": {
        "ServiceToken": {"Fn::GetAtt": ["Provider", "Arn"]},
        "ClusterName": cluster if cluster is not None else {"Ref": "Cluster"},
        "Endpoint": {"Fn::GetAtt": ["Cluster", "Endpoint"]},
        "CertificateAuthorityData": {"Fn::GetAtt": ["Cluster", "CertificateAuthorityData"]},
        "Region": "eu-west-1", "Layer": name, "Items": list(items), "Elsewhere": elsewhere or []}}


def manifest_item(item_id: str, *objects: dict[str, Any], after: list[str] | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"Id": item_id, "Type": "manifest", "Manifest": json.dumps(list(objects)),
                            "Overwrite": "false"}
    if after:
        item["After"] = after
    return item


def chart_item(item_id: str, version: str, release: str = "karpenter", **values: Any) -> dict[str, Any]:
    return {"Id": item_id, "Type": "chart", "Chart": "karpenter", "Repository": "oci://public.ecr.aws/karpenter",
            "Version": version, "Release": release, "Namespace": "kube-system", "CreateNamespace": "true",
            "Wait": "true", "Timeout": "300", "SkipCrds": "false", "Values": json.dumps(values)}


def obj(kind: str, name: str, ns: str | None = "payments", **spec: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if ns:
        meta["namespace"] = ns
    return {"apiVersion": "v1", "kind": kind, "metadata": meta, "spec": spec}


NAMESPACE = obj("Namespace", "payments", ns=None)
QUOTA = obj("ResourceQuota", "quota", hard={"pods": "10"})
SERVICE = obj("Service", "web", ns="apps")


def items_of(report: Report) -> list[tuple[str, str, str]]:
    """(action, logical id, type) of every change to a layer item."""
    return [(c.action, c.logical_id, c.resource_type) for s in report.stacks for c in s.changes if c.item]


def test_items_added_removed_and_modified_are_reported_by_id_and_type(tmp_path: Path) -> None:
    before = {FOUNDATION: layer("foundation", manifest_item("Tenants/Payments", NAMESPACE, QUOTA),
                                manifest_item("Priority/Classes", SERVICE)),
              "Cluster": {"Type": "AWS::EKS::Cluster", "Properties": {"Name": "c"}}}
    after = {FOUNDATION: layer("foundation", manifest_item("Tenants/Payments", NAMESPACE, obj("ResourceQuota", "quota", hard={"pods": "20"})),
                               chart_item("Karpenter/Chart", "1.8.0")),
             "Cluster": before["Cluster"]}
    report, text = run(tmp_path, before, after)
    assert items_of(report) == [
        ("remove", f"{FOUNDATION}[Priority/Classes]", f"{LAYER_TYPE}:manifest"),
        ("modify", f"{FOUNDATION}[Tenants/Payments]", f"{LAYER_TYPE}:manifest"),
        ("add", f"{FOUNDATION}[Karpenter/Chart]", f"{LAYER_TYPE}:chart"),
    ]
    (modified,) = [c for c in report.stacks[0].changes if c.item == "Tenants/Payments"]
    assert [p.path for p in modified.properties] == ["Manifest"]
    # The layer itself is one change whose properties are not the item list.
    (own,) = [c for c in report.stacks[0].changes if c.logical_id == FOUNDATION]
    assert own.action == "modify" and not [p for p in own.properties if p.path.startswith("Items")]
    assert any("1 added, 1 removed, 1 modified" in note for note in own.notes)
    # Inside the manifest: per object, as before.
    k8s = {(k.logical_id, k.what, k.action) for k in report.stacks[0].kubernetes}
    assert (f"{FOUNDATION}[Tenants/Payments]", "ResourceQuota payments/quota", "modify") in k8s
    assert (f"{FOUNDATION}[Priority/Classes]", "Service apps/web", "remove") in k8s
    assert f"| create | `{FOUNDATION}[Karpenter/Chart]` | {LAYER_TYPE}:chart |" in text
    assert "`spec.hard.pods`: 10 → 20" in text
    assert report.blocking_risks == []


def test_removed_item_with_a_namespace_is_a_stateful_risk(tmp_path: Path) -> None:
    before = {FOUNDATION: layer("foundation", manifest_item("Tenants/Payments", NAMESPACE, QUOTA),
                                manifest_item("Other", SERVICE))}
    after = {FOUNDATION: layer("foundation", manifest_item("Other", SERVICE))}
    report, text = run(tmp_path, before, after)
    assert [(r.logical_id, r.resource_type, r.risk) for r in report.blocking_risks] == [
        (f"{FOUNDATION}[Tenants/Payments]", "Kubernetes Namespace", "deleted")]
    assert "[!CAUTION]" in text and "Namespace payments" in text


def test_removed_volume_claim_is_a_stateful_risk(tmp_path: Path) -> None:
    claim = obj("PersistentVolumeClaim", "data", ns="apps", resources={"requests": {"storage": "1Gi"}})
    before = {PLATFORM: layer("platform", manifest_item("Apps/Data", claim, SERVICE))}
    after = {PLATFORM: layer("platform", manifest_item("Apps/Data", SERVICE))}
    report, _ = run(tmp_path, before, after)
    assert [(r.logical_id, r.resource_type, r.risk) for r in report.blocking_risks] == [
        (f"{PLATFORM}[Apps/Data]", "Kubernetes PersistentVolumeClaim", "deleted")]


def test_object_moved_between_layers_is_not_a_deletion(tmp_path: Path) -> None:
    # GIVEN a tenant's objects moving from the Platform layer to the Foundation layer (both stay)
    tenant = manifest_item("Tenants/Payments", NAMESPACE, QUOTA)
    before = {FOUNDATION: layer("foundation", manifest_item("Other", SERVICE), elsewhere=["object:/Namespace//payments"]),
              PLATFORM: layer("platform", tenant, elsewhere=["object:/Service/apps/web"])}
    after = {FOUNDATION: layer("foundation", manifest_item("Other", SERVICE), tenant),
             PLATFORM: layer("platform", manifest_item("Else", obj("ConfigMap", "c")),
                             elsewhere=["object:/Namespace//payments"])}
    report, _ = run(tmp_path, before, after)
    # THEN nothing is deleted, and the item is one change: moved, not removed plus added
    assert report.blocking_risks == []
    assert not [k for k in report.stacks[0].kubernetes if k.action == "remove"]
    moved = [c for c in report.stacks[0].changes if c.item == "Tenants/Payments"]
    assert [(c.action, c.logical_id) for c in moved] == [("modify", f"{FOUNDATION}[Tenants/Payments]")]
    assert moved[0].notes and moved[0].notes[0].startswith(f"moved from {PLATFORM}[Tenants/Payments]")
    # Elsewhere is compared identity by identity
    (platform,) = [c for c in report.stacks[0].changes if c.logical_id == PLATFORM]
    assert {(p.path, str(p.new)) for p in platform.properties if p.path.startswith("Elsewhere")} >= {
        ("Elsewhere[+]", "object:/Namespace//payments")}


def test_object_moved_between_items_is_not_a_deletion(tmp_path: Path) -> None:
    before = {FOUNDATION: layer("foundation", manifest_item("A", NAMESPACE, QUOTA), manifest_item("B", SERVICE))}
    after = {FOUNDATION: layer("foundation", manifest_item("A", QUOTA), manifest_item("B", SERVICE, NAMESPACE))}
    report, _ = run(tmp_path, before, after)
    assert report.blocking_risks == []
    assert [(k.what, k.action) for k in report.stacks[0].kubernetes] == []


def test_chart_version_change_in_an_item_names_the_release(tmp_path: Path) -> None:
    before = {PLATFORM: layer("platform", chart_item("Karpenter/Chart", "1.8.0", replicas=2))}
    after = {PLATFORM: layer("platform", chart_item("Karpenter/Chart", "1.8.1", replicas=3))}
    report, text = run(tmp_path, before, after)
    (k,) = report.stacks[0].kubernetes
    assert (k.logical_id, k.what, k.action) == (f"{PLATFORM}[Karpenter/Chart]", "helm release kube-system/karpenter", "modify")
    assert "`Version`: 1.8.0 → 1.8.1" in text and "`Values.replicas`: 2 → 3" in text
    assert items_of(report) == [("modify", f"{PLATFORM}[Karpenter/Chart]", f"{LAYER_TYPE}:chart")]


def test_a_layer_under_a_new_logical_id_is_flagged(tmp_path: Path) -> None:
    # GIVEN the Foundation layer's logical id changing (a renamed construct)
    items = [manifest_item("Tenants/Payments", NAMESPACE, QUOTA)]
    renamed = "RenamedKubernetesFoundation99999999"
    report, _ = run(tmp_path, {FOUNDATION: layer("foundation", *items)}, {renamed: layer("foundation", *items)})
    # THEN the old layer is deleted, a blocking risk that says its Delete takes the moved
    # items' objects, and that the logical id changed
    (risk,) = report.blocking_risks
    assert (risk.logical_id, risk.resource_type, risk.risk) == (FOUNDATION, LAYER_TYPE, "deleted")
    assert "Tenants/Payments" in risk.detail and "deletes what the other layer now applies" in risk.detail
    assert "its logical id changed" in risk.detail
    (item,) = [c for c in report.stacks[0].changes if c.item]
    assert f"and {FOUNDATION} is removed" in item.notes[0]


def test_a_layer_of_another_cluster_is_replaced_with_its_items(tmp_path: Path) -> None:
    items = [manifest_item("Tenants/Payments", NAMESPACE), chart_item("Karpenter/Chart", "1.8.0")]
    report, _ = run(tmp_path, {FOUNDATION: layer("foundation", *items, cluster="old")},
                    {FOUNDATION: layer("foundation", *items, cluster="new")})
    (risk,) = report.blocking_risks
    assert (risk.logical_id, risk.risk) == (FOUNDATION, "replaced")
    assert "ClusterName is create-only" in risk.detail
    replaced = sorted(c.logical_id for c in report.stacks[0].changes if c.item and c.replacement == "replace")
    assert replaced == [f"{FOUNDATION}[Karpenter/Chart]", f"{FOUNDATION}[Tenants/Payments]"]


def test_security_findings_name_the_item(tmp_path: Path) -> None:
    deny = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "default-deny", "namespace": "payments"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}
    before = {FOUNDATION: layer("foundation", manifest_item("Tenants/Payments", NAMESPACE, deny))}
    after = {FOUNDATION: layer("foundation", manifest_item("Tenants/Payments", NAMESPACE))}
    report, _ = run(tmp_path, before, after)
    assert [(f.logical_id, f.resource_type) for f in report.security if f.flagged] == [
        (f"{FOUNDATION}[Tenants/Payments]", f"{LAYER_TYPE}:manifest")]


def test_moving_from_a_kubectl_provider_resource_to_a_layer_deletes_its_namespace(tmp_path: Path) -> None:
    # GIVEN a tenant applied by an aws_eks_v2 manifest resource in BASE and by a layer in HEAD
    legacy = {"Type": "Custom::AWSCDK-EKS-KubernetesResource", "Properties": {
        "ServiceToken": "t", "ClusterName": "c", "Manifest": json.dumps([NAMESPACE, QUOTA])}}
    before = {"TenantsPayments1234ABCD": legacy}
    after = {FOUNDATION: layer("foundation", manifest_item("Tenants/Payments", NAMESPACE, QUOTA))}
    report, _ = run(tmp_path, before, after)
    # THEN the objects did not change, but the old resource's Delete runs kubectl delete
    # after the layer applied them: the namespace is a stateful risk
    assert report.stacks[0].kubernetes == []
    assert [(r.logical_id, r.resource_type, r.risk) for r in report.blocking_risks] == [
        ("TenantsPayments1234ABCD", "Kubernetes Namespace", "deleted")]
    assert "kubectl delete" in report.blocking_risks[0].detail


def test_a_chart_moved_from_a_kubectl_provider_resource_is_uninstalled_and_said_so(tmp_path: Path) -> None:
    legacy = {"Type": "Custom::AWSCDK-EKS-HelmChart", "Properties": {
        "ServiceToken": "t", "ClusterName": "c", "Chart": "karpenter", "Release": "karpenter",
        "Namespace": "kube-system", "Version": "1.8.0"}}
    after = {PLATFORM: layer("platform", chart_item("Karpenter/Chart", "1.8.0"))}
    report, text = run(tmp_path, {"KarpenterChart1234ABCD": legacy}, after)
    (removed,) = [c for c in report.stacks[0].changes if c.logical_id == "KarpenterChart1234ABCD"]
    assert any("helm uninstall" in n and "helm release kube-system/karpenter" in n for n in removed.notes)
    assert "DeletionPolicy Retain" in text
    # Retained in BASE: CloudFormation sends no Delete, nothing is said
    retained = {**legacy, "DeletionPolicy": "Retain"}
    report, _ = run(tmp_path / "retained", {"KarpenterChart1234ABCD": retained}, after)
    (removed,) = [c for c in report.stacks[0].changes if c.logical_id == "KarpenterChart1234ABCD"]
    assert not any("helm uninstall" in n for n in removed.notes)
