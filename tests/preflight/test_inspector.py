"""The preflight check `inspector` against moto: Amazon Inspector's EC2 scanning must be on
in the account of an environment with self-managed node groups.

moto 5.2.5 answers inspector2 Enable and BatchGetAccountStatus (an account it never saw is
absent from `accounts`, which the check treats as "not enabled"). A missing permission is
simulated with `denying`, failedAccounts with a before-call answer on the session only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from eks_blueprint.checkrun import CheckResult
from eks_blueprint.config import EnvironmentConfig, load_config
from eks_blueprint.preflight import CHECKS, Check, Context, run_checks
from eks_blueprint.preflight.checks import INSPECTOR_ENABLE, check_inspector
from tests.aws_stubs import Response, denying, set_fake_credentials

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config" / "examples" / "self-managed.yaml"
ROW = "Inspector EC2 scanning"
INSPECTOR = Check("inspector", "inspector", check_inspector)


@pytest.fixture()
def session(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    set_fake_credentials(monkeypatch, "eu-west-1")
    with mock_aws():
        yield boto3.Session(region_name="eu-west-1")


def example() -> EnvironmentConfig:
    return load_config(EXAMPLE)


def run(cfg: EnvironmentConfig, session: boto3.Session) -> dict[str, CheckResult]:
    ctx = Context(cfg, session, {"Account": cfg.account, "Arn": "arn:aws:sts::x"})
    return {r.check: r for r in run_checks(ctx, (INSPECTOR,))}


def test_the_check_is_registered_after_the_quotas() -> None:
    names = [c.name for c in CHECKS]
    assert names.index("inspector") > names.index("quotas")


def test_enabled_ec2_scanning_passes(session: boto3.Session) -> None:
    cfg = example()
    session.client("inspector2").enable(accountIds=[cfg.account], resourceTypes=["EC2"])
    result = run(cfg, session)[ROW]
    assert (result.status, result.actual) == ("PASS", "ENABLED")


def test_scanning_only_ecr_fails_with_the_fix(session: boto3.Session) -> None:
    # GIVEN Inspector on for ECR images but not for EC2 instances
    cfg = example()
    session.client("inspector2").enable(accountIds=[cfg.account], resourceTypes=["ECR"])
    result = run(cfg, session)[ROW]
    # THEN the row fails, says what it found and how to turn EC2 scanning on
    assert result.status == "FAIL"
    assert result.actual == f"DISABLED: run {INSPECTOR_ENABLE}"
    assert INSPECTOR_ENABLE == "aws inspector2 enable --resource-types EC2"


def test_an_account_inspector_never_saw_fails(session: boto3.Session) -> None:
    result = run(example(), session)[ROW]
    assert result.status == "FAIL"
    assert "Inspector is not enabled" in str(result.actual)
    assert INSPECTOR_ENABLE in str(result.actual)


def test_failed_accounts_are_reported_with_their_reason(session: boto3.Session) -> None:
    cfg = example()

    def answer(**_: Any) -> tuple[Response, dict[str, Any]]:
        return Response(200), {
            "accounts": [],
            "failedAccounts": [
                {
                    "accountId": cfg.account,
                    "errorCode": "ACCESS_DENIED",
                    "errorMessage": "not a member of the administrator's organization",
                }
            ],
        }

    session.events.register_first("before-call.inspector2.BatchGetAccountStatus", answer)
    result = run(cfg, session)[ROW]
    assert result.status == "FAIL"
    assert "not a member of the administrator's organization" in str(result.actual)


def test_a_missing_permission_fails_the_check_naming_the_action(session: boto3.Session) -> None:
    cfg = example()
    with denying(session, "inspector2.BatchGetAccountStatus"):
        results = run(cfg, session)
    (row,) = results.values()
    assert row.check == "inspector check" and row.status == "FAIL"
    assert "inspector2:BatchGetAccountStatus" in str(row.actual)


def test_environments_without_self_managed_groups_skip_without_a_call(
    session: boto3.Session,
) -> None:
    # GIVEN dev (no self-managed groups) and a role that may not read Inspector at all
    cfg = load_config(ROOT / "config" / "dev.yaml")
    assert not cfg.compute.self_managed_node_groups
    with denying(session, "inspector2.BatchGetAccountStatus"):
        result = run(cfg, session)[ROW]
    # THEN nothing was asked: the row is a SKIP, not a failure
    assert result.status == "SKIP"
