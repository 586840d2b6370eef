"""The review runs each environment's plans on BASE and HEAD and shows what changed: the
cost sentence, IP capacity, the upgrade plan when cluster.version moves, and a diagram of
the change; `--fail-on-blocked-plan` exits 3 on a blocked upgrade or IP plan."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from eks_blueprint.config import load_config
from eks_blueprint.review.cli import EXIT_BLOCKED_PLAN, EXIT_ERROR, EXIT_OK, main
from stacks.app_builder import CONFIG_DIR, build_app, file_context
from tests.conftest import Job, for_fixture, start


@dataclass(frozen=True)
class Head:
    config_dir: Path
    assembly: Path


def _head(root: Path, name: str, *replacements: tuple[str, str]) -> Head:
    """dev.yaml with `replacements` applied, in its own config directory, synthesised."""
    config_dir = root / name / "config"
    config_dir.mkdir(parents=True)
    text = (CONFIG_DIR / "dev.yaml").read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    (config_dir / "dev.yaml").write_text(text, encoding="utf-8")
    outdir = root / name / "cdk.out"
    build_app([load_config(config_dir / "dev.yaml")], context=file_context(), outdir=str(outdir)).synth()
    return Head(config_dir, outdir)


HEADS: dict[str, tuple[tuple[str, str], ...]] = {
    # one instance type fewer (t4g.medium is the cheaper one) and shorter log retention
    "cost": (
        ("instance_types: [t4g.medium, t4g.large]", "instance_types: [t4g.large]"),
        ("logging: {retention_days: 14}", "logging: {retention_days: 7}"),
    ),
    # 1.34 -> 1.35 with the new AMI pin, but Karpenter 1.8.1 does not support 1.35
    "upgrade": (
        ('version: "1.34"', 'version: "1.35"'),
        ("ami_alias: al2023@v20251112", "ami_alias: al2023@v20260714"),
    ),
}


def synthesise_heads(root: Path) -> None:
    """Every head, into `root/<name>` (run by `SYNTH_HEADS`, in its own process)."""
    for name, replacements in HEADS.items():
        _head(root, name, *replacements)


#: `synthesise_heads` in the background, started when collection ends (tests/conftest.py).
SYNTH_HEADS = for_fixture("heads", Job("tests.review.test_review_plans:synthesise_heads"))


@pytest.fixture(scope="module")
def heads() -> dict[str, Head]:
    done = start(SYNTH_HEADS).result()
    assert done.process.returncode == 0, done.process.stderr[-5000:]
    return {name: Head(done.out / name / "config", done.out / name / "cdk.out") for name in HEADS}


def _review(synth, head: Head, tmp_path: Path, *extra: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    out = tmp_path / "report.md"
    code = main(
        [
            str(synth.outdir),
            str(head.assembly),
            "--base-config",
            str(CONFIG_DIR),
            "--head-config",
            str(head.config_dir),
            "--output",
            str(out),
            *extra,
        ]
    )
    return code, out.read_text(encoding="utf-8")


def test_a_cheaper_change_shows_its_cost_ips_weakening_and_diagram(synth, heads, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, text = _review(synth, heads["cost"], tmp_path, "--fail-on-blocked-plan")
    assert code == EXIT_OK
    plans = text[text.index("### Plans") : text.index("### Summary")]
    assert "#### dev" in plans
    assert "lowers dev's monthly baseline by $" in plans or "raises dev's monthly baseline by $" in plans
    assert "- IP capacity: clear: worst case" in plans and "(BASE clear:" in plans
    assert "```mermaid" in plans and "flowchart" in plans
    assert "Plan upgrade" not in plans  # the version did not change
    # the retention cut is a weakening, flagged although nothing is replaced
    assert "retention" in text[: text.index("### Plans")]
    # only dev is in HEAD's config directory: staging and prod are not planned
    assert "#### prod" not in plans


def test_a_version_change_runs_the_upgrade_plan_and_can_fail_the_review(synth, heads, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, text = _review(synth, heads["upgrade"], tmp_path)
    assert code == EXIT_OK
    plans = text[text.index("### Plans") : text.index("### Summary")]
    assert "Plan upgrade: dev: upgrade 1.34 → 1.35" in plans
    assert "`karpenter-compat`" in plans
    # the new AMI pin rides with the change: the target's pin is checked, and fits
    assert "al2023@v20251112 →" not in plans
    code, _ = _review(synth, heads["upgrade"], tmp_path, "--fail-on-blocked-plan")
    assert code == EXIT_BLOCKED_PLAN


def test_plans_need_both_config_directories(synth, heads, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    head = heads["cost"]
    code = main([str(synth.outdir), str(head.assembly), "--head-config", str(head.config_dir)])
    assert code == EXIT_ERROR
    assert "give both --base-config and --head-config" in capsys.readouterr().err
    code = main([str(synth.outdir), str(head.assembly), "--fail-on-blocked-plan"])
    assert code == EXIT_ERROR
