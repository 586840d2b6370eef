"""The documentation site builds offline and strictly: a warning (a broken link, a missing
anchor, a page outside the navigation, a docstring mkdocstrings cannot render) fails it."""

from __future__ import annotations

import sys

import pytest

from tests.conftest import OUT, Command, Finished

from .conftest import DOCS, ROOT

# mkdocs is in requirements-dev.txt: skipped only where the dev requirements are not installed.
pytest.importorskip("mkdocs", reason="mkdocs is not installed (pip install -r requirements-dev.txt)")
pytest.importorskip("mkdocstrings_handlers.python", reason="mkdocstrings[python] is not installed")


#: The site build (run in the background: tests/conftest.py).
BUILD = Command((sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", OUT), cwd=ROOT)


@pytest.mark.background(BUILD)
def test_site_builds_strictly_without_warnings(background: Finished) -> None:
    result, site = background.process, background.out
    output = result.stdout + result.stderr
    warnings = [line for line in output.splitlines() if "WARNING" in line or "ERROR" in line]
    assert result.returncode == 0 and not warnings, output
    # the API reference was generated from the docstrings, not left empty
    cluster_page = (site / "reference" / "cluster.html").read_text()
    assert 'id="eks_blueprint.control_plane.ControlPlane"' in cluster_page
    # no page needs the network to render: no script or stylesheet from a CDN
    for page in site.rglob("*.html"):
        html = page.read_text()
        assert "cdnjs" not in html and "googleapis" not in html, page


def test_every_page_is_in_the_navigation() -> None:
    import yaml

    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.SafeLoader)

    def pages(nav: object) -> set[str]:
        if isinstance(nav, str):
            return {nav}
        if isinstance(nav, list):
            return set().union(*(pages(item) for item in nav))
        if isinstance(nav, dict):
            return set().union(*(pages(value) for value in nav.values()))
        return set()

    on_disk = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    assert pages(config["nav"]) == on_disk
