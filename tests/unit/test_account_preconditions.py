"""Account preconditions a deploy needs: the EC2 Spot service-linked role.

Spot capacity needs AWSServiceRoleForEC2Spot, which a fresh account lacks and nothing else
in these stacks may create. The file must say whether its security stack creates it or the
account already has it; the preflight checks which case holds.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from eks_blueprint.config import ConfigError, load_config, load_configs
from stacks.app_builder import CONFIG_DIR
from tests.conftest import SynthResult, resources_of

DEV = yaml.safe_load((CONFIG_DIR / "dev.yaml").read_text())


def _write(tmp_path: Path, data: dict[str, Any], name: str = "env.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def _without_spot_role() -> dict[str, Any]:
    data = copy.deepcopy(DEV)
    data["security"].pop("spot_service_linked_role")
    return data


def test_spot_capacity_without_a_declared_spot_role_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, _without_spot_role())
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    (problem,) = caught.value.problems
    assert problem.startswith(str(path))
    assert "security.spot_service_linked_role" in problem and "create" in problem
    assert "compute.karpenter" in problem


def test_a_spot_node_group_alone_needs_no_declared_role(tmp_path: Path) -> None:
    # EC2 Auto Scaling's service-linked role creates the Spot role on first use.
    data = _without_spot_role()
    data["compute"]["karpenter"]["node_pools"][0]["capacity_types"] = ["on-demand"]
    data["compute"]["node_groups"][0]["capacity_type"] = "spot"
    assert load_config(_write(tmp_path, data)).security.spot_service_linked_role is None


def test_on_demand_only_needs_no_spot_role(tmp_path: Path) -> None:
    data = _without_spot_role()
    data["compute"]["karpenter"]["node_pools"][0]["capacity_types"] = ["on-demand"]
    assert load_config(_write(tmp_path, data)).security.spot_service_linked_role is None


def test_two_environments_of_one_account_cannot_both_create_the_role(tmp_path: Path) -> None:
    # IAM is global: the same account in two regions is still one role.
    other = copy.deepcopy(DEV)
    other["name"], other["region"] = "dev-us", "us-east-1"
    other["availability_zones"] = ["us-east-1a", "us-east-1b", "us-east-1c"]
    other["security"]["registries"] = []
    paths = [_write(tmp_path, DEV, "dev.yaml"), _write(tmp_path, other, "dev-us.yaml")]
    with pytest.raises(ConfigError) as caught:
        load_configs(paths)
    assert any(
        "spot_service_linked_role" in p and "dev, dev-us" in p and "111111111111" in p
        for p in caught.value.problems
    ), caught.value.problems
    other["security"]["spot_service_linked_role"] = "existing"
    paths[1] = _write(tmp_path, other, "dev-us.yaml")
    assert len(load_configs(paths)) == 2


def test_create_puts_a_retained_spot_role_in_the_security_stack(synth: SynthResult) -> None:
    roles = resources_of(synth.template("dev", "security"), "AWS::IAM::ServiceLinkedRole")
    (role,) = roles.values()
    assert role["Properties"]["AWSServiceName"] == "spot.amazonaws.com"
    assert role["DeletionPolicy"] == "Retain" and role["UpdateReplacePolicy"] == "Retain"


def test_existing_creates_no_spot_role(synth: SynthResult) -> None:
    template = synth.template("staging", "security") if "security" in synth.templates[
        "staging"] else {"Resources": {}}
    assert not resources_of(template, "AWS::IAM::ServiceLinkedRole")
    assert not resources_of(synth.template("staging", "cluster"), "AWS::IAM::ServiceLinkedRole")


@pytest.mark.parametrize(("env", "role"), [("dev", True), ("prod", True), ("staging", False)])
def test_the_cluster_stack_deploys_after_the_role_it_needs(
    synth: SynthResult, env: str, role: bool
) -> None:
    manifest = json.loads((synth.outdir / f"assembly-{env}" / "manifest.json").read_text())
    cluster = next(a for a in manifest["artifacts"].values()
                   if a.get("properties", {}).get("stackName") == f"{env}-eks-cluster")
    depends = " ".join(cluster.get("dependencies", []))
    security = synth.template(env, "security")
    # dev and prod create the Spot role there; staging's exists (mode existing)
    assert bool(resources_of(security, "AWS::IAM::ServiceLinkedRole")) is role
    # Every shipped environment verifies image signatures, so every cluster stack imports
    # the security stack's signing profile ARN and deploys after it, role or not.
    assert "Security" in depends
    imports = json.dumps(synth.template(env, "cluster"))
    assert f'"Fn::ImportValue": "{env}-eks-security:' in imports
