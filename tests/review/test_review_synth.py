"""The review report over real synthesised assemblies (see conftest.py for the variants).

GIVEN a BASE and a HEAD assembly that differ in one way, WHEN the report is built, THEN it
says what CloudFormation will do about the resources that matter.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from eks_blueprint.review import (
    Report,
    ResourceChange,
    compare,
    load_assembly,
    main,
    render_markdown,
)

from .conftest import TEST_STACK, Assemblies

PROJECT = Path(__file__).resolve().parents[2]
CLUSTER = "ControlPlaneCluster8AFA2E51"
NODEGROUP = "ControlPlaneClusterNodegroupSystem49F0987D"


def review(assemblies: Assemblies, base: str, head: str) -> tuple[Report, str]:
    report = compare(load_assembly(assemblies[base]), load_assembly(assemblies[head]))
    return report, render_markdown(report)


def change(report: Report, stack: str, logical_id: str) -> ResourceChange:
    for diff in report.stacks:
        if diff.name == stack:
            for c in diff.changes:
                if c.logical_id == logical_id:
                    return c
    raise AssertionError(f"{logical_id} not changed in {stack}")


def test_cluster_rename_replaces_the_cluster_and_warns_at_the_top(assemblies: Assemblies) -> None:
    report, text = review(assemblies, "dev", "dev_renamed")
    cluster = change(report, "dev-eks-cluster", CLUSTER)
    assert cluster.replacement == "replace"
    assert "Name is create-only" in cluster.reasons
    assert [p.path for p in cluster.properties] == ["Name"]
    risks = {(r.logical_id, r.risk) for r in report.blocking_risks}
    assert (CLUSTER, "replaced") in risks
    # The log group's fixed name /aws/eks/<cluster>/cluster goes with it.
    assert ("ControlPlaneLogGroup8A392AC5", "replaced") in risks
    # Access entries refer to the cluster by name: replaced with it (not stateful: no risk row).
    entry = change(report, "dev-eks-cluster", "ControlPlaneClusterRolePlatformAdmin7CC3EF88")
    assert entry.replacement == "replace" and "which is replaced" in entry.reasons[0]
    # The warning comes before any per-stack detail.
    assert text.index("[!CAUTION]") < text.index("Stateful resources at risk") < text.index("### Summary")
    assert f"| **REPLACED** | dev/dev-eks-cluster | `{CLUSTER}` | AWS::EKS::Cluster |" in text
    assert "`Name`: `shop-dev` → `shop-dev-2` *(create-only)*" in text


def test_new_secrets_key_replaces_the_cluster(assemblies: Assemblies) -> None:
    report, text = review(assemblies, "base", "secrets_key")
    cluster = change(report, TEST_STACK, CLUSTER)
    assert cluster.replacement == "replace"
    assert "EncryptionConfig is create-only" in cluster.reasons
    assert cluster.properties[0].path == "EncryptionConfig[0].Provider.KeyArn"
    # The cluster keeps its fixed name, so CloudFormation would refuse the replacement.
    assert any("cannot replace a custom-named resource" in n for n in cluster.notes)
    # The old key is deleted (DESTROY in this stack), the node group goes with the cluster.
    risks = {(r.logical_id, r.risk) for r in report.risks}
    assert ("ControlPlaneSecretsKey72FED211", "deleted") in risks
    assert (NODEGROUP, "replaced") in risks
    assert "secrets encryption key/config changed" in text


def test_instance_types_replace_the_node_group(assemblies: Assemblies) -> None:
    report, text = review(assemblies, "base", "instance_types")
    nodegroup = change(report, TEST_STACK, NODEGROUP)
    assert nodegroup.replacement == "replace"
    assert nodegroup.reasons == ["InstanceTypes is create-only"]
    assert [(r.logical_id, r.risk) for r in report.risks] == [(NODEGROUP, "replaced")]
    assert "`InstanceTypes`: `[m5.large]` → `[m6i.large, m5.large]` *(create-only)*" in text
    # Its name is generated, so no "fixed name" warning.
    assert nodegroup.notes == []


def test_scaling_sizes_and_tags_update_in_place(assemblies: Assemblies) -> None:
    report, text = review(assemblies, "base", "in_place")
    nodegroup = change(report, TEST_STACK, NODEGROUP)
    assert nodegroup.replacement == "none"
    assert {p.path for p in nodegroup.properties} == {
        "ScalingConfig.MinSize", "ScalingConfig.DesiredSize", "ScalingConfig.MaxSize", "Tags.team",
    }
    cluster = change(report, TEST_STACK, CLUSTER)
    assert cluster.replacement == "none" and [p.path for p in cluster.properties] == ["Tags[team]"]
    assert not report.blocking_risks
    assert "update in place" in text and "**REPLACE**" not in text


def test_tag_on_the_real_app_is_in_place_everywhere(assemblies: Assemblies) -> None:
    report, text = review(assemblies, "dev", "dev_tagged")
    modified = [c for s in report.stacks for c in s.changes]
    assert len(modified) > 20
    assert all(c.action == "modify" and c.replacement == "none" for c in modified)
    assert report.risks == []
    assert "tags only, in place, on" in text


def test_open_ingress_is_flagged(assemblies: Assemblies) -> None:
    report, text = review(assemblies, "base", "in_place")
    flagged = [f for f in report.security if f.flagged and f.resource_type == "AWS::EC2::SecurityGroup"]
    assert [f.message for f in flagged] == ["new ingress from the internet: `0.0.0.0/0 on tcp 22-22`"]
    assert "⚠️ **flagged** review-test `AppSg898BCA4E`" in text


def test_iam_wildcard_in_a_nested_stack_is_flagged(assemblies: Assemblies) -> None:
    report, _ = review(assemblies, "base", "in_place")
    nested = [s for s in report.stacks if s.name.startswith(f"{TEST_STACK}/Extras")]
    assert len(nested) == 1 and nested[0].status == "modified"
    messages = {f.message for f in report.security if f.resource_type == "AWS::IAM::Policy" and f.flagged}
    assert messages == {"new wildcard actions `s3:*`", "new wildcard resources `*`"}


def test_removed_retained_resource_is_orphaned_not_deleted(assemblies: Assemblies) -> None:
    report, text = review(assemblies, "base", "in_place")
    assert [(r.logical_id, r.risk) for r in report.risks] == [("AuditLogsB945E340", "orphaned (retained)")]
    assert "[!WARNING]" in text and "[!CAUTION]" not in text
    assert "| orphaned (retained) | review-test | `AuditLogsB945E340` |" in text


def test_second_synth_of_the_same_config_has_no_changes(assemblies: Assemblies) -> None:
    report, text = review(assemblies, "dev", "dev_again")
    assert not report.has_changes and report.asset_changes == []
    assert "**No infrastructure changes.**" in text
    assert "Assets changed" not in text
    # cdk-nag's validation report is summarised, by pack and severity.
    assert "| AwsSolutions | error | 0 → 0 |" in text


def test_asset_only_change_is_one_assets_line(assemblies: Assemblies) -> None:
    report, text = review(assemblies, "base", "asset_only")
    assert not report.has_changes
    assert [lid for _, lid in report.asset_changes] == ["BundleKeyC5EA25ED"]
    assert "**No infrastructure changes.**" in text
    assert "Assets changed (new code or templates, same settings) in 1 resource(s)" in text
    assert "### Summary" not in text


def test_stage_vs_plain_stack_are_added_and_removed_stacks(assemblies: Assemblies) -> None:
    report, text = review(assemblies, "dev", "base")
    status = {(s.stage, s.name): s.status for s in report.stacks}
    assert status[("dev", "dev-eks-cluster")] == "removed"
    assert status[("", TEST_STACK)] == "added"
    # Removing a stack deletes its stateful resources (dev does not retain them).
    assert ("dev-eks-network", "AWS::EC2::VPC", "deleted") in {
        (r.stack, r.resource_type, r.risk) for r in report.risks
    }
    assert "| dev/dev-eks-network | removed |" in text


@pytest.mark.parametrize(
    ("base", "head", "code"),
    [
        ("dev", "dev_renamed", 2),
        ("base", "instance_types", 2),
        ("base", "in_place", 0),  # orphaned (retained) warns but does not fail
        ("base", "asset_only", 0),
    ],
)
def test_fail_on_replace_exit_code(
    assemblies: Assemblies, base: str, head: str, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(assemblies[base]), str(assemblies[head]), "--fail-on-replace"]) == code
    assert main([str(assemblies[base]), str(assemblies[head])]) == 0
    capsys.readouterr()


def test_output_file(assemblies: Assemblies, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.md"
    assert main([str(assemblies["base"]), str(assemblies["instance_types"]), "-o", str(out)]) == 0
    assert capsys.readouterr().out == ""
    assert "**REPLACED**" in out.read_text(encoding="utf-8")


def test_module_runs_without_aws_cdk(assemblies: Assemblies) -> None:
    code = (
        "import sys\n"
        "from eks_blueprint.review import main\n"
        f"rc = main([{str(assemblies['dev'])!r}, {str(assemblies['dev_again'])!r}])\n"
        "assert not any(m.startswith(('aws_cdk', 'jsii')) for m in sys.modules), 'aws_cdk imported'\n"
        "sys.exit(rc)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "No infrastructure changes" in result.stdout


@pytest.mark.parametrize("problem", ["missing", "not_assembly"])
def test_bad_input_is_one_line_and_exit_1(assemblies: Assemblies, tmp_path: Path, problem: str) -> None:
    bad = tmp_path / "nope" if problem == "missing" else tmp_path
    result = subprocess.run(
        [sys.executable, "-m", "eks_blueprint.review", str(bad), str(assemblies["dev"])],
        cwd=PROJECT, capture_output=True, text=True,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert ("no such directory" if problem == "missing" else "no manifest.json") in lines[0]
