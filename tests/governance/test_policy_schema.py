"""The policy objects pass the Kyverno CRD schemas (npm @kubernetes-models/kyverno 2.0.0,
generated from Kyverno's CRDs), through scripts/validate_kyverno.mjs."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from eks_blueprint.governance.policies import policy_manifests
from eks_blueprint.governance.spec import PolicySet, TenantRules
from tests.schema_scripts import run_validator

#: Every optional policy present: registries, restricted, baseline and dedicated tenants,
#: priority classes.
FULL = PolicySet(
    action="audit",
    latest_tag="enforce",
    allowed_registries=("333333333333.dkr.ecr.eu-west-1.amazonaws.com/shop/api", "ghcr.io/"),
    tenants=(
        TenantRules(name="payments", dedicated=True, priority_class="tenant-gold"),
        TenantRules(name="batch", pod_security="baseline"),
    ),
    failure_policy="Ignore",
    timeout_seconds=15,
)


def _validate(objects: list[dict[str, Any]]) -> subprocess.CompletedProcess[str]:
    return run_validator("validate_kyverno.mjs", objects)


@pytest.mark.parametrize("policies", [FULL, PolicySet()], ids=["full", "defaults"])
def test_policies_pass_the_crd_schema(policies: PolicySet) -> None:
    objects = policy_manifests(policies)
    result = _validate(objects)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(objects)} objects pass" in result.stdout


def test_a_broken_policy_fails_the_schema() -> None:
    objects = policy_manifests(FULL)
    broken = json.loads(json.dumps(objects[0]))
    broken["metadata"]["name"] = "broken"
    broken["spec"]["validationActions"] = "Deny"  # must be a list
    broken["spec"]["failurePolicy"] = "Sometimes"
    mutating = json.loads(json.dumps(next(o for o in objects if o["kind"] == "MutatingPolicy")))
    mutating["metadata"]["name"] = "broken-mutation"
    mutating["spec"]["mutations"][0]["jsonPatch"] = {"expression": 7}
    result = _validate([*objects, broken, mutating])
    assert result.returncode == 1
    assert "ValidatingPolicy/broken:" in result.stdout
    assert "failurePolicy" in result.stdout
    assert "MutatingPolicy/broken-mutation:" in result.stdout
    assert f"2 of {len(objects) + 2} objects failed" in result.stdout
