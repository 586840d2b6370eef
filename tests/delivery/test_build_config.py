"""`security.registries[].build`: strict, every error at its field; the buildspecs parse."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from eks_blueprint.config.security import BuildConfig, RegistryConfig, build_target_problem
from eks_blueprint.delivery import buildspecs

GOOD: dict[str, Any] = {
    "source": {
        "connection_arn": "arn:aws:codeconnections:eu-west-1:111111111111:connection/abc-123",
        "repository": "example-org/web",
    },
    "platforms": ["amd64", "arm64"],
    "deploy": {
        "namespace": "demo",
        "deployment": "demo-nodejs-backend",
        "container": "demo-nodejs-backend",
    },
}


def build(**changes: Any) -> dict[str, Any]:
    data = {**GOOD, **changes}
    return data


def error_of(data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as error:
        BuildConfig.model_validate(data)
    return str(error.value)


def test_a_good_build_with_defaults() -> None:
    config = BuildConfig.model_validate(GOOD)
    assert config.fail_on_severity == "HIGH"
    assert config.source.branch == "main"
    registry = RegistryConfig.model_validate({"name": "demo/web", "build": GOOD})
    assert registry.build == config
    assert RegistryConfig.model_validate({"name": "demo/web"}).build is None
    codestar = "arn:aws:codestar-connections:us-east-1:111111111111:connection/x-1"
    BuildConfig.model_validate(build(source={**GOOD["source"], "connection_arn": codestar}))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"fail_on_severity": "SEVERE"}, "fail_on_severity"),
        ({"fail_on_severity": "INFORMATIONAL"}, "fail_on_severity"),
        ({"platforms": []}, "platforms"),
        ({"platforms": ["amd64", "amd64"]}, "listed more than once"),
        ({"platforms": ["386"]}, "platforms"),
        ({"source": {**GOOD["source"], "connection_arn": "arn:aws:s3:::bucket"}},
         "not a CodeConnections connection ARN"),
        ({"source": {**GOOD["source"],
                     "connection_arn": "arn:aws-cn:codeconnections:cn-north-1:111111111111:"
                     "connection/abc"}}, "not a CodeConnections connection ARN"),
        ({"source": {**GOOD["source"], "repository": "no-owner"}}, "owner/name"),
        ({"source": {**GOOD["source"], "branch": "-x"}}, "branch"),
        ({"deploy": {**GOOD["deploy"], "namespace": "Demo"}}, "not a Kubernetes name"),
        ({"deploy": {**GOOD["deploy"], "namespace": "kube-system"}}, "belongs to the cluster"),
        ({"deploy": {**GOOD["deploy"], "container": "a_b"}}, "container"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_builds_are_refused_at_their_field(changes: dict[str, Any], expected: str) -> None:
    assert expected in error_of(build(**changes))


def test_deploy_is_required() -> None:
    data = dict(GOOD)
    del data["deploy"]
    assert "deploy" in error_of(data)


def test_the_rollout_target_must_be_the_demo() -> None:
    config = BuildConfig.model_validate(GOOD)
    name = "demo-nodejs-backend"
    assert build_target_problem(config, "demo", ("amd64",), name) is None
    assert build_target_problem(config, None, ("amd64",), name) == (
        "deploy",
        "rolls out to the demo workload, which is off; set workloads.demo.enabled",
    )
    problem = build_target_problem(config, "shop", ("amd64",), name)
    assert problem is not None and problem[0] == "deploy.namespace"
    arm_only = BuildConfig.model_validate(build(platforms=["arm64"]))
    problem = build_target_problem(arm_only, "demo", ("amd64",), name)
    assert problem is not None and problem[0] == "platforms"


@pytest.mark.parametrize(
    "spec",
    [
        buildspecs.image_build_spec(tag_commit=True),
        buildspecs.image_build_spec(tag_commit=False),
        buildspecs.manifest_list_spec(),
        buildspecs.scan_gate_spec(),
        buildspecs.sign_spec(),
    ],
)
def test_buildspecs_survive_a_yaml_round_trip(spec: dict[str, Any]) -> None:
    parsed = yaml.safe_load(yaml.safe_dump(spec))
    assert parsed == spec and parsed["version"] == "0.2"
    for phase in parsed["phases"].values():
        assert all(isinstance(c, str) and c for c in phase["commands"])


def test_environment_refuses_a_build_for_another_workload() -> None:
    # GIVEN dev's file with its image build pointed at a namespace the demo is not in
    from eks_blueprint.config import ConfigError, load_configs

    data = yaml.safe_load(Path("config/dev.yaml").read_text())
    build = next(r["build"] for r in data["security"]["registries"] if "build" in r)
    build["deploy"]["namespace"] = "payments"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dev.yaml"
        path.write_text(yaml.safe_dump(data))
        # THEN the file is refused with the field to fix, before anything is synthesised
        with pytest.raises(ConfigError, match=r"security\.registries\[\d\]\.build\.deploy\.namespace"):
            load_configs([path])
