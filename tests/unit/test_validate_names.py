"""The shared checks: what each accepts and refuses, and PropError's message shape."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from eks_blueprint import validate_names as v


@pytest.mark.parametrize(
    ("check", "good", "bad", "fragment"),
    [
        (v.check_principal_arn, "arn:aws:iam::123456789012:role/ops/Team",
         "arn:aws:iam::123456789012:group/Team", "not an IAM role or user ARN"),
        (v.check_principal_arn, "arn:aws:iam::123456789012:user/ci",
         "arn:aws-us-gov:iam::123456789012:role/T", "only the commercial partition"),
        (v.check_managed_policy_arn, "arn:aws:iam::aws:policy/ReadOnlyAccess",
         "arn:aws:iam::aws:role/X", "not a managed policy ARN"),
        (v.check_action, "s3:Get*", "*", "grants every AWS action"),
        (v.check_resource_arn, "arn:aws:s3:::bucket/*", "bucket", "not an ARN"),
        (v.check_condition_operator, "ForAnyValue:StringLike", "Equals", "condition operator"),
        (v.check_kubernetes_name, "ml-team", "ml_team", "not a Kubernetes name"),
        (v.check_kubernetes_name, "a" * 63, "a" * 64, "1-63"),
        (v.check_kubernetes_name, "ml-team", "ml.team", "not a Kubernetes name"),
        (v.check_kubernetes_subdomain, "api.v2", "api..v2", "not a Kubernetes name"),
        (v.check_kubernetes_subdomain, "a" * 253, "a" * 254, "1-253"),
        (v.check_kubernetes_subdomain, "a-b.c", ".api", "starting and ending"),
        (v.check_kubernetes_subdomain, "x" * 63 + "." + "y" * 63, "api.", "not a Kubernetes"),
        (v.check_kubernetes_subdomain, "sa-1", "Api", "lower-case"),
        (v.check_tenant_namespace, "shop", "kube-shop", "belongs to the cluster"),
        (v.check_kubernetes_group, "auditors", "system:masters", "EKS reserves"),
        (v.check_quantity, "1.5Gi", "1.5 Gi", "not a Kubernetes quantity"),
        (v.check_cidr, "10.0.0.0/16", "10.0.0.1/16", "host bits"),
        (v.check_cidr, "10.0.0.0/16", "10.00.0.0/16", "not a valid IPv4 CIDR"),
        (v.check_repository_name, "shop/api", "Shop/api", "not an ECR repository name"),
        (v.check_scan_filter, "shop/*", "shop/**!", "not a repository name pattern"),
        (v.check_image, "registry/repo:1.2.3", "repo:", "not an image reference"),
        (v.check_certificate_arn, "arn:aws:acm:eu-west-1:123456789012:certificate/a-1",
         "arn:aws-cn:acm:cn-north-1:123456789012:certificate/a", "commercial partition"),
        (v.check_addon_version, "v1.10.0-eksbuild.2", "1.10.0", "not an add-on version"),
        (v.check_reason, "a" * 20, "too short", "at least 20 characters"),
        (v.check_policy_name, "AmazonS3ReadOnlyAccess", "Read Only", "not an IAM policy name"),
    ],
)
def test_each_check_accepts_and_refuses(
    check: Callable[[str], str], good: str, bad: str, fragment: str
) -> None:
    assert check(good) == good
    with pytest.raises(ValueError, match=fragment):
        check(bad)


def test_ranges_choices_and_duplicates() -> None:
    assert v.check_range(5, 1, 10) == 5
    with pytest.raises(ValueError, match="must be 1 to 10"):
        v.check_range(11, 1, 10)
    with pytest.raises(ValueError, match="whole number"):
        v.check_range(True, 0, 1)
    with pytest.raises(ValueError, match="not one of a, b"):
        v.check_choice("c", ("a", "b"))
    with pytest.raises(ValueError, match="x is listed more than once"):
        v.check_unique(["x", "y", "x"])
    assert v.first_duplicate([1, 2, 3]) is None


@pytest.mark.parametrize(
    ("quantity", "value"),
    [("500m", Decimal("0.5")), ("2", Decimal(2)), ("1Gi", Decimal(2**30)), ("1.5k", Decimal(1500)),
     (".5", Decimal("0.5")), ("5.", Decimal(5)), ("1e3", Decimal(1000)), ("15E-1", Decimal("1.5")),
     ("+1", Decimal(1)), ("-1", Decimal(-1)), ("1E", Decimal(10**18)), (".5Ki", Decimal(512))],
)
def test_quantity_values(quantity: str, value: Decimal) -> None:
    assert v.quantity_value(quantity) == value


def test_prop_errors_name_path_prop_value_and_fix() -> None:
    with pytest.raises(v.PropError) as caught:
        v.check_prop("App/Registry", "RegistryProps.repositories[0].name", "Shop",
                     v.check_repository_name)
    error: Any = caught.value
    assert isinstance(error, ValueError)
    assert str(error).startswith(
        "App/Registry: RegistryProps.repositories[0].name = 'Shop': not an ECR repository name")
    assert (error.path, error.prop, error.value) == (
        "App/Registry", "RegistryProps.repositories[0].name", "Shop")


def test_long_values_are_shortened() -> None:
    assert len(v.shown("x" * 10_000)) <= 80


def test_quantities_beyond_any_range_are_refused_not_crashed() -> None:
    with pytest.raises(ValueError, match="out of range"):
        v.quantity_value("1e999999999999")
    with pytest.raises(ValueError, match="out of range"):
        v.check_quantity("1e999999999999")


# -- pipeline sources (shared by config/pipeline.py, config/security.py and the delivery props)


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:codeconnections:eu-west-1:999999999999:connection/0a1b2c3d-1111-2222-3333-444455556666",
        "arn:aws:codestar-connections:eu-west-1:999999999999:connection/0a1b2c3d-1111-2222-3333-444455556666",
    ],
)
def test_connection_arns(arn: str) -> None:
    assert v.check_connection_arn(arn) == arn


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws-cn:codeconnections:cn-north-1:999999999999:connection/0a1b2c3d-1111-2222-3333-444455556666",
        "arn:aws:codeconnections:eu-west-1:9999:connection/x",
        "arn:aws:s3:::bucket",
    ],
)
def test_connection_arns_refused(arn: str) -> None:
    with pytest.raises(ValueError):
        v.check_connection_arn(arn)


@pytest.mark.parametrize("repository", ["example-org/shop-web", "o/r.git", "a_b/c-d"])
def test_source_repositories(repository: str) -> None:
    assert v.check_source_repository(repository) == repository


@pytest.mark.parametrize("repository", ["x/..", "x/.", "shop-web", "a/b/c", "/x"])
def test_source_repositories_refused(repository: str) -> None:
    with pytest.raises(ValueError):
        v.check_source_repository(repository)


@pytest.mark.parametrize("branch", ["main", "feat+x", "release/1.2"])
def test_branches(branch: str) -> None:
    assert v.check_branch(branch) == branch


@pytest.mark.parametrize("branch", ["", "a b", "a..b", "a~1", "a^", "x.lock", "/main", "main/"])
def test_branches_refused(branch: str) -> None:
    with pytest.raises(ValueError):
        v.check_branch(branch)
