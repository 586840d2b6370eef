"""The moto-backed tests here share botocore's parsed data across sessions (see
tests/botocore_data.py): the same answers, each JSON model parsed once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.botocore_data import shared_botocore_data


@pytest.fixture(autouse=True, scope="module")
def _shared_botocore_data() -> Iterator[None]:
    with shared_botocore_data():
        yield
