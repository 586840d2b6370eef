"""pascal_id: the one construct-id helper. Logical ids depend on it, so its output for a
name it accepts must never change."""

from __future__ import annotations

import pytest

from eks_blueprint.identity import workload_id
from eks_blueprint.ids import pascal_id
from eks_blueprint.registry import repository_id


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("system", "System"),
        ("general-purpose", "GeneralPurpose"),
        ("shop/api", "ShopApi"),
        ("my.repo_name", "MyRepoName"),
        ("gpu-2", "Gpu2"),
        ("2nd-pool", "2ndPool"),
        ("a--b", "AB"),
        ("-leading-and-trailing-", "LeadingAndTrailing"),
        ("MixedCase", "Mixedcase"),  # str.capitalize: the rest of each part lower-cased
        ("ml team", "MlTeam"),
    ],
)
def test_names_become_pascal_case_ids(name: str, expected: str) -> None:
    assert pascal_id(name) == expected


@pytest.mark.parametrize("name", ["", "-", "._/", "  "])
def test_a_name_without_letters_or_digits_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="no letters or digits"):
        pascal_id(name)


@pytest.mark.parametrize(
    ("namespace", "service_account", "expected"),
    [("payments", "api", "PaymentsApi"), ("ml-team", "trainer-2", "MlTeamTrainer2")],
)
def test_workload_ids_keep_their_shape(namespace: str, service_account: str, expected: str) -> None:
    assert workload_id(namespace, service_account) == expected


def test_repository_ids_keep_their_shape() -> None:
    assert repository_id("shop/api-v2") == "ShopApiV2"
