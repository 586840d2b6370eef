"""Documentation that restates the code stays in step with it: the generated tables equal
what the code generates, hand-written lists name exactly what the registries hold, links
resolve inside the repository, and nothing refers to files outside it."""

from __future__ import annotations

import dataclasses
import re
import subprocess

import pytest

from . import defaults_table
from .conftest import DOCS, ROOT, guide_examples

#: Markdown files at the repository's top level that link into it.
TOP_LEVEL_PAGES = ("README.md", "CONTRIBUTING.md", "CHANGELOG.md")


def _repository_files() -> list[str]:
    """Tracked files plus new ones not ignored: what a commit of this tree would hold."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.splitlines()
    return [f for f in listed if (ROOT / f).is_file()]


def test_defaults_page_is_generated_from_the_dataclasses() -> None:
    assert defaults_table.current() == defaults_table.render(), (
        "docs/library/defaults.md is stale: run "
        "`.venv/bin/python -m tests.docs.defaults_table --write`"
    )


def test_defaults_page_lists_every_field_the_dataclasses_have() -> None:
    # The page is read statically (griffe); the classes as Python builds them must agree.
    import eks_blueprint

    package = defaults_table._package()
    for _, classes in defaults_table.GROUPS:
        for name in classes:
            cls = getattr(eks_blueprint, name)
            assert dataclasses.is_dataclass(cls), name
            real = [f.name for f in dataclasses.fields(cls)]
            assert [f for f, _, _ in defaults_table.fields_of(package, name)] == real, name


def test_addon_table_is_the_catalogs() -> None:
    catalog = pytest.importorskip("eks_blueprint.addons.catalog")
    rows: list[str] = catalog.readme_rows()
    lines = (DOCS / "addons.md").read_text().splitlines()
    start = lines.index(rows[0])
    assert lines[start : start + len(rows)] == rows, (
        "the add-on table of docs/addons.md differs from "
        "eks_blueprint.addons.catalog.readme_rows(): paste its output"
    )
    assert start + len(rows) == len(lines) or not lines[start + len(rows)].startswith("|")


def test_rule_table_names_every_rule_with_its_level() -> None:
    from eks_blueprint.nag import rule_table

    row = re.compile(r"^\| (EKS(?:BP|DEP)\d+) \| (error|warning) \|", re.MULTILINE)
    documented = dict(row.findall((DOCS / "nag.md").read_text()))
    registry = {rule.id: str(rule.level) for rule in rule_table()}
    assert documented == registry


def test_readme_library_example_is_an_excerpt_of_the_tested_guide_example() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Using the constructs in your own CDK app", 1)[1]
    example = section.split("```python\n", 1)[1].split("```", 1)[0]
    (guide,) = [e for e in guide_examples() if e.name == "private-cluster"]
    guide_lines = {line.rstrip() for line in guide.code.splitlines()}
    missing = [line for line in example.splitlines() if line.strip() and line not in guide_lines]
    assert not missing, f"README lines not in docs/library/private-cluster.md: {missing}"


def test_readme_states_no_rule_count() -> None:
    # Counts go stale; the README links the rule table (docs/nag.md) instead.
    readme = (ROOT / "README.md").read_text()
    assert not re.search(r"\b\d+\s+(best-practice|deployability)\s+rules\b", readme)
    assert "docs/nag.md" in readme


@pytest.mark.parametrize("page", TOP_LEVEL_PAGES)
def test_links_of_top_level_pages_resolve_inside_the_repository(page: str) -> None:
    text = (ROOT / page).read_text()
    broken = []
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # a URL
        path = (ROOT / target).resolve()
        if not path.exists() or ROOT.resolve() not in path.parents:
            broken.append(target)
    assert not broken, f"{page}: links to nothing in the repository: {broken}"


def test_nothing_refers_to_files_outside_the_repository() -> None:
    # Spelt in pieces so that this file does not match itself.
    outside = ["PITFALLS" + ".md", "../" + "shared", "shared" + "/design", "BEST_PRACTICES" + ".md"]
    hits = []
    for name in _repository_files():
        try:
            text = (ROOT / name).read_text()
        except (UnicodeDecodeError, OSError):
            continue
        hits += [f"{name}: {needle}" for needle in outside if needle in text]
    assert not hits, hits


@pytest.mark.parametrize("rows_of", ["policies", "excluded namespaces"])
def test_governance_tables_are_the_codes(rows_of: str) -> None:
    from eks_blueprint.governance.policies import doc_rows
    from eks_blueprint.governance.spec import excluded_namespace_rows

    rows = doc_rows() if rows_of == "policies" else excluded_namespace_rows()
    lines = (DOCS / "governance.md").read_text().splitlines()
    start = lines.index(rows[0])
    assert lines[start : start + len(rows)] == rows, (
        f"the {rows_of} table of docs/governance.md differs from the code "
        "(eks_blueprint.governance.policies.doc_rows / spec.excluded_namespace_rows): paste it"
    )
    assert start + len(rows) == len(lines) or not lines[start + len(rows)].startswith("|")
