"""The table of verify checks: unique ids, every check passing and failing on its own, the
IAM actions each declares.
(The command's independence from aws_cdk and boto3 is tests/preflight/test_packaging's.)

The moto world, its stubs and EXPECTED are test_verify's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eks_blueprint.baseline import CONTROL_PLANE_LOG_TYPES
from eks_blueprint.verify import CHECKS, Check, CheckResult, Clients, run_checks
from tests.verify import test_verify
from tests.verify.test_verify import ADMIN, EXPECTED, TEAM, World, build, stub_session

ROOT = Path(__file__).resolve().parents[2]
#: test_verify's fixtures: moto (`aws`), and fake credentials for every test (autouse).
aws = test_verify.aws
fake_credentials = test_verify.fake_credentials

#: One deployed world per check in which that check fails. A new check needs a row here.
FAILING_WORLD: dict[str, World] = {
    "cluster": World(log_types=("api", "audit")),
    "node-groups": World(http_tokens="optional"),
    "fargate-profiles": World(fargate=(("batch", {"tier": "high"}),)),
    "access-entries": World(access={ADMIN: [("AmazonEKSViewPolicy", ())],
                                    TEAM: [("AmazonEKSEditPolicy", ("payments",))]}),
    "addons": World(addons={"vpc-cni": "v1.20.4-eksbuild.1"}),
    "guardduty": World(runtime_monitoring="DISABLED"),
    "subnets": World(subnet_prefix=27),
}


def run_one(world: World, check: Check) -> list[CheckResult]:
    build(world)
    return run_checks(EXPECTED, Clients.from_session(stub_session(world)), checks=(check,))


def test_check_ids_and_titles_are_unique_and_every_check_has_a_failing_world() -> None:
    ids = [c.id for c in CHECKS]
    assert len(set(ids)) == len(ids), ids
    assert len({c.title for c in CHECKS}) == len(CHECKS)
    assert set(FAILING_WORLD) == set(ids)
    assert [c.needs_cluster for c in CHECKS] == [False] + [True] * (len(CHECKS) - 1)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.id)
@pytest.mark.usefixtures("aws")
def test_each_check_passes_on_its_own(check: Check) -> None:
    results = run_one(World(), check)
    assert results, f"{check.id} reported nothing"
    assert {r.status for r in results} == {"PASS"}, results


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.id)
@pytest.mark.usefixtures("aws")
def test_each_check_fails_on_its_deviation(check: Check) -> None:
    results = run_one(FAILING_WORLD[check.id], check)
    assert "FAIL" in {r.status for r in results}, results


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.id)
@pytest.mark.usefixtures("aws")
def test_each_check_declares_the_calls_it_makes(check: Check) -> None:
    """`calls` is what the check's reads need: the actions it makes on its own, plus
    DescribeCluster for the checks that need the cluster."""
    world = World()
    build(world)
    session = stub_session(world)
    made: set[str] = set()

    def record(model: Any, **_: Any) -> None:
        made.add(f"{model.service_model.signing_name}:{model.name}")

    session.events.register("provide-client-params", record)
    try:
        run_checks(EXPECTED, Clients.from_session(session), checks=(check,))
    finally:
        session.events.unregister("provide-client-params", record)
    assert made == set(check.calls) | ({"eks:DescribeCluster"} if check.needs_cluster else set())


@pytest.mark.usefixtures("aws")
def test_the_cluster_check_stops_the_run_when_there_is_no_cluster() -> None:
    build(World(cluster=False))
    results = run_checks(EXPECTED, Clients.from_session(stub_session(World(cluster=False))))
    assert [(r.check, r.status) for r in results] == [("cluster exists", "FAIL")]


@pytest.mark.usefixtures("aws")
def test_log_types_are_the_baseline_ones() -> None:
    results = {r.check: r for r in run_one(World(log_types=("api", "audit")), CHECKS[0])}
    row = results["control-plane log types"]
    assert (row.expected, row.actual, row.status) == (
        ", ".join(CONTROL_PLANE_LOG_TYPES), "api, audit", "FAIL")
