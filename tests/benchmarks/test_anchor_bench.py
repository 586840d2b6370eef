"""`make bench-anchor`'s anchor is pinned, locked and installed by that target alone.

Structural only (no npm, no synth, no timing): benchmarks/anchor/ pins EKS Blueprints and the
CDK it declares as peers exactly, its lock file agrees, it synthesises with our feature flags,
and the main commands (`make setup`, `make synth`, `make test`) never reach it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ANCHOR = ROOT / "benchmarks" / "anchor"
EXACT = re.compile(r"^\d+\.\d+\.\d+$")
BLUEPRINTS = "@aws-quickstart/eks-blueprints"


def _json(path: Path) -> Any:
    return json.loads(path.read_text())


def _pins() -> dict[str, str]:
    package = _json(ANCHOR / "package.json")
    assert not package.get("dependencies"), "the anchor pins devDependencies only"
    pins: dict[str, str] = package["devDependencies"]
    return pins


def test_the_anchor_pins_exact_versions() -> None:
    pins = _pins()
    assert {BLUEPRINTS, "aws-cdk", "aws-cdk-lib", "constructs"} <= set(pins)
    loose = {name: spec for name, spec in pins.items() if not EXACT.match(spec)}
    assert not loose, f"pin exact versions (no ^, ~ or ranges): {loose}"


def test_the_lock_file_agrees_with_package_json() -> None:
    lock_path = ANCHOR / "package-lock.json"
    assert lock_path.is_file(), "run npm install in benchmarks/anchor and commit the lock file"
    lock = _json(lock_path)
    pins = _pins()
    assert lock["lockfileVersion"] >= 2
    assert lock["name"] == _json(ANCHOR / "package.json")["name"]
    assert lock["packages"][""]["devDependencies"] == pins
    locked = {name: lock["packages"][f"node_modules/{name}"]["version"] for name in pins}
    assert locked == pins


def test_the_cdk_is_the_one_blueprints_pins() -> None:
    # Blueprints declares the CDK it was built with as exact peer dependencies.
    lock = _json(ANCHOR / "package-lock.json")
    peers = lock["packages"][f"node_modules/{BLUEPRINTS}"]["peerDependencies"]
    pins = _pins()
    assert {name: pins[name] for name in ("aws-cdk", "aws-cdk-lib")} == peers


def test_the_anchor_synthesises_offline_with_our_feature_flags() -> None:
    settings = _json(ANCHOR / "cdk.json")
    assert settings["app"] == "node app.js"
    assert settings["context"] == _json(ROOT / "cdk.json")["context"], (
        "benchmarks/anchor/cdk.json's feature flags must equal cdk.json's: copy them over"
    )
    # The one lookup Blueprints' VPC provider needs, answered as the CLI would have cached it.
    dev = (ROOT / "config" / "dev.yaml").read_text()
    zones = re.search(r"^availability_zones: \[(.*)\]$", dev, re.M)
    assert zones is not None
    assert _json(ANCHOR / "cdk.context.json") == {
        "availability-zones:account=111111111111:region=eu-west-1": [
            zone.strip() for zone in zones.group(1).split(",")
        ]
    }


def _makefile() -> tuple[dict[str, tuple[list[str], list[str]]], dict[str, str]]:
    """The Makefile's rules (target -> prerequisites, rule and recipe lines), its variables."""
    text = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    rules: dict[str, tuple[list[str], list[str]]] = {}
    variables: dict[str, str] = {}
    recipe: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("\t"):
            if recipe is not None:
                recipe.append(line.strip())
            continue
        recipe = None
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        assignment = re.match(r"^(?:export\s+)?(\w+)\s*(?::=|\?=|=)\s*(.*)$", line)
        if assignment:
            variables[assignment.group(1)] = assignment.group(2)
            continue
        rule = re.match(r"^([^:=#]+?)\s*:(?!=)(.*)$", line)
        if rule is None:
            continue
        target_specific = "=" in rule.group(2)  # `goal: VAR ?= value`: no prerequisites
        prerequisites = [] if target_specific else rule.group(2).replace("|", " ").split()
        for target in rule.group(1).split():
            known, lines = rules.setdefault(target, ([], []))
            known.extend(prerequisites)
            lines.append(line)
            if not target_specific:
                recipe = lines
    return rules, variables


def _expand(text: str, variables: dict[str, str]) -> str:
    for _ in range(10):
        expanded = re.sub(r"\$\((\w+)\)", lambda m: variables.get(m.group(1), m.group(0)), text)
        if expanded == text:
            break
        text = expanded
    return text


def _reached(goal: str) -> str:
    """All rule and recipe text `make <goal>` can run: the goal and its prerequisites."""
    rules, variables = _makefile()
    expanded = {_expand(target, variables): entry for target, entry in rules.items()}
    seen: set[str] = set()
    todo = [goal]
    text: list[str] = []
    while todo:
        target = todo.pop()
        if target in seen or target not in expanded:
            continue
        seen.add(target)
        prerequisites, lines = expanded[target]
        text.extend(_expand(line, variables) for line in lines)
        todo.extend(_expand(p, variables) for p in prerequisites)
    return "\n".join(text)


@pytest.mark.parametrize("goal", ["setup", "synth", "test"])
def test_the_main_commands_never_install_or_run_the_anchor(goal: str) -> None:
    reached = _reached(goal)
    assert reached, f"no `{goal}` target in the Makefile"
    for word in ("benchmarks/anchor", "anchor_bench", "bench-anchor"):
        assert word not in reached, f"`make {goal}` reaches {word}"


def test_bench_anchor_installs_it_from_its_lock_file() -> None:
    # The positive control of the test above: the parser does see the anchor where it is.
    reached = _reached("bench-anchor")
    assert "benchmarks/anchor/node_modules/.installed" in reached
    assert "npm ci" in reached
    assert "benchmarks/anchor_bench.py" in reached
