"""The pack inside a real ``app.synth()``: CDK calls ``validate`` with the written templates."""

from __future__ import annotations

import json

from eks_blueprint.nag import PACK_NAME

from .conftest import SynthesizedApp


def _violations(synthesized: SynthesizedApp) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    report = json.loads(json.dumps(synthesized.report))
    for plugin in report["pluginReports"]:
        for violation in plugin["violations"]:
            paths = {c["constructPath"] for c in violation["violatingConstructs"]}
            found.setdefault(violation["ruleName"], set()).update(paths)
    return found


def test_synth_fails_with_the_pack_findings(synthesized: SynthesizedApp) -> None:
    assert f"{PACK_NAME}-EKSBP6" in synthesized.error


def test_property_overrides_are_seen(synthesized: SynthesizedApp) -> None:
    # DeletionProtection exists only as an add_property_override: the synthesized template has it
    found = _violations(synthesized)
    assert "Compute/Cluster" in found[f"{PACK_NAME}-EKSBP6"]
    assert "Compute/Cluster" not in found.get(f"{PACK_NAME}-EKSBP7", set())


def test_cross_stack_import_is_followed(synthesized: SynthesizedApp) -> None:
    # the node group's subnet is a Fn::ImportValue of the network stack's public subnet
    found = _violations(synthesized)
    assert "Compute/Ng" in found[f"{PACK_NAME}-EKSBP14"]
    assert "Compute/Ng" not in found.get(f"{PACK_NAME}-EKSBP14[unresolved]", set())


def test_synth_report_has_one_violation_per_resource_with_its_measurement(
        synthesized: SynthesizedApp) -> None:
    # CDK prints a violation's description next to each of its resources: each carries its own
    report = json.loads(json.dumps(synthesized.report))
    [plugin] = [p for p in report["pluginReports"] if p["pluginName"] == PACK_NAME]
    assert all(len(v["violatingConstructs"]) == 1 for v in plugin["violations"])
    [endpoint] = [v for v in plugin["violations"]
                  if v["ruleName"] == f"{PACK_NAME}-EKSBP6"
                  and v["violatingConstructs"][0]["constructPath"] == "Compute/Cluster"]
    assert endpoint["description"] == (
        "The EKS cluster's public API endpoint is open to the internet.\n  EndpointPublicAccess "
        "not set (EKS default: on) and PublicAccessCidrs not set: open to 0.0.0.0/0")
