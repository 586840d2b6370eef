"""Fixtures of the translator tests: the shipped configs and small variants of them.

The translators are pure functions (config in, props out), so these tests build no CDK App.
Where a prop holds a VPC or cluster object, the tests pass a stand-in: the translators only
place it in the props.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
import yaml
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks

from eks_blueprint.config import EnvironmentConfig, load_config
from stacks.app_builder import CONFIG_DIR

SHIPPED = ("dev", "staging", "prod")
#: Stand-ins for the VPC and cluster objects some props hold (never looked into).
VPC = cast(ec2.IVpc, object())
CLUSTER = cast(eks.ICluster, object())


def shipped(name: str) -> EnvironmentConfig:
    """config/<name>.yaml, validated as the app loads it."""
    return load_config(CONFIG_DIR / f"{name}.yaml")


def raw(name: str = "dev") -> dict[str, Any]:
    """config/<name>.yaml as plain data, to change before validating."""
    data: dict[str, Any] = yaml.safe_load(Path(CONFIG_DIR / f"{name}.yaml").read_text())
    return data


@pytest.fixture(params=SHIPPED)
def config(request: pytest.FixtureRequest) -> EnvironmentConfig:
    """Each shipped environment in turn."""
    return shipped(str(request.param))


@pytest.fixture
def variant() -> Callable[..., EnvironmentConfig]:
    """`variant(base="dev", drop=(...), **sections)`: a shipped config with top-level
    sections replaced (`compute={...}`) or removed (`drop=("tenants",)`), validated."""

    def build(base: str = "dev", drop: tuple[str, ...] = (), **sections: Any) -> EnvironmentConfig:
        data = raw(base)
        for key in drop:
            data.pop(key, None)
        data.update(copy.deepcopy(sections))
        return EnvironmentConfig.model_validate(data)

    return build


def minimal_data() -> dict[str, Any]:
    """dev.yaml without anything optional, as data: no compute, no add-on that applies
    objects through kubectl, no demo, access, tenants, workload identities, account
    security or governance (Kyverno)."""
    data = raw("dev")
    for key in (
        "compute",
        "workloads",
        "access",
        "workload_identities",
        "tenants",
        "security",
        "storage",
    ):
        data.pop(key)
    data["governance"] = {"enabled": False}
    data["addons"] = {
        "ebs_csi_driver": {"enabled": False},
        "load_balancer_controller": {"enabled": False},
        "cni_metrics_helper": {"enabled": False},
    }
    return data


def minimal(**sections: Any) -> EnvironmentConfig:
    """`minimal_data()` with the given top-level sections added, validated."""
    return EnvironmentConfig.model_validate({**minimal_data(), **copy.deepcopy(sections)})
