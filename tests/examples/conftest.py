"""The example configs' fixtures live in tests/examples/fixtures.py, registered for the
whole suite by tests/conftest.py (other directories read the same synth)."""

from tests.examples.fixtures import EXAMPLES_DIR, example_paths

__all__ = ["EXAMPLES_DIR", "example_paths"]
