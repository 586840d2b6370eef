"""The preflight check `identity-center` against moto: the IAM Identity Center instance of
`capabilities.argocd` must exist, in its region, for the account.

moto 5.2.5 answers sso-admin ListInstances with one instance per account and region (of its
own making: CreateInstance and DescribeInstance are not implemented), so a test that needs
the instance found reads that instance's ARN first and writes it into the config; an empty
answer is a before-call answer on the session only; a missing permission is `denying`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws

from eks_blueprint.checkrun import CheckResult
from eks_blueprint.config import EnvironmentConfig, load_config
from eks_blueprint.preflight import CHECKS, Check, Context, run_checks
from eks_blueprint.preflight.identity_center import ROW, check_identity_center
from tests.aws_stubs import Response, denying, set_fake_credentials

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config" / "examples" / "gitops.yaml"
IDENTITY_CENTER = Check("identity-center", "identity-center", check_identity_center)


@pytest.fixture()
def session(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    set_fake_credentials(monkeypatch, "eu-west-1")
    with mock_aws():
        yield boto3.Session(region_name="eu-west-1")


def example(tmp_path: Path, **argocd: Any) -> EnvironmentConfig:
    """The GitOps example, its `capabilities.argocd` updated with `argocd`."""
    data = copy.deepcopy(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))
    data["capabilities"]["argocd"].update(argocd)
    path = tmp_path / "gitops.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_config(path)


def instance_arn(session: boto3.Session, region: str = "eu-west-1") -> str:
    """The instance moto holds for the account in `region`."""
    (instance,) = session.client("sso-admin", region_name=region).list_instances()["Instances"]
    return str(instance["InstanceArn"])


def run(cfg: EnvironmentConfig, session: boto3.Session) -> dict[str, CheckResult]:
    ctx = Context(cfg, session, {"Account": cfg.account, "Arn": "arn:aws:sts::x"})
    return {r.check: r for r in run_checks(ctx, (IDENTITY_CENTER,))}


def test_the_check_is_registered_last() -> None:
    assert [c.name for c in CHECKS][-1] == "identity-center"


def test_the_configured_instance_passes(session: boto3.Session, tmp_path: Path) -> None:
    cfg = example(tmp_path, identity_center_instance_arn=instance_arn(session))
    result = run(cfg, session)[ROW]
    assert (result.status, result.actual) == ("PASS", "found")
    assert result.expected == f"{instance_arn(session)} in eu-west-1"


def test_another_instance_fails_naming_the_ones_there(
    session: boto3.Session, tmp_path: Path
) -> None:
    # GIVEN the example's placeholder ARN, which the account does not have
    cfg = example(tmp_path)
    result = run(cfg, session)[ROW]
    # THEN the row fails, lists the instance the region has and names the field to fix
    assert result.status == "FAIL"
    assert instance_arn(session) in str(result.actual)
    assert "capabilities.argocd.identity_center_instance_arn" in str(result.actual)


def test_the_instance_is_looked_up_in_its_own_region(
    session: boto3.Session, tmp_path: Path
) -> None:
    # GIVEN an instance in us-east-1, the environment in eu-west-1
    arn = instance_arn(session, "us-east-1")
    cfg = example(tmp_path, identity_center_instance_arn=arn, identity_center_region="us-east-1")
    result = run(cfg, session)[ROW]
    assert (result.status, result.expected) == ("PASS", f"{arn} in us-east-1")


def test_no_instance_at_all_fails_with_the_fix(session: boto3.Session, tmp_path: Path) -> None:
    def answer(**_: Any) -> tuple[Response, dict[str, Any]]:
        return Response(200), {"Instances": []}

    session.events.register_first("before-call.sso-admin.ListInstances", answer)
    result = run(example(tmp_path), session)[ROW]
    assert result.status == "FAIL"
    assert "enable IAM Identity Center" in str(result.actual)


def test_a_missing_permission_fails_the_check_naming_the_action(
    session: boto3.Session, tmp_path: Path
) -> None:
    with denying(session, "sso-admin.ListInstances"):
        results = run(example(tmp_path), session)
    (row,) = results.values()
    assert row.check == "identity-center check" and row.status == "FAIL"
    assert "sso:ListInstances" in str(row.actual)


def test_environments_without_argo_cd_skip_without_a_call(session: boto3.Session) -> None:
    cfg = load_config(ROOT / "config" / "dev.yaml")
    assert cfg.capabilities.argocd is None
    with denying(session, "sso-admin.ListInstances"):
        result = run(cfg, session)[ROW]
    assert result.status == "SKIP"


def test_a_private_argo_cd_counts_its_endpoint_in_the_quota(tmp_path: Path) -> None:
    from eks_blueprint.preflight.quotas import _endpoints_planned

    def planned(cfg: EnvironmentConfig) -> tuple[int, str]:
        ctx = Context(cfg, boto3.Session(region_name="eu-west-1"), {"Account": cfg.account})
        return _endpoints_planned(ctx)

    private = example(tmp_path)
    count, what = planned(private)
    # five named endpoints, GuardDuty's own, and the eks-capabilities endpoint
    assert (count, what) == (
        7, "network.interface_endpoints + GuardDuty's guardduty-data + Argo CD's eks-capabilities"
    )
    given = example(tmp_path, vpc_endpoint_ids=["vpce-0123456789abcdef0"])
    assert planned(given)[0] == 6
