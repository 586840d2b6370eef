"""Config models: the shipped files load, and every validation rule rejects bad input
with a message that names the file, the field and what is allowed."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from eks_blueprint.config import ConfigError, EnvironmentConfig, load_config, load_configs
from eks_blueprint.config.schema import render_schema
from stacks.app_builder import CONFIG_DIR, config_paths

DEV = yaml.safe_load((CONFIG_DIR / "dev.yaml").read_text())


def write(tmp_path: Path, data: Any, name: str = "env.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return path


def mutate(**changes: Any) -> dict[str, Any]:
    """A copy of dev.yaml with dotted-path changes; a value of ... deletes the key."""
    data = copy.deepcopy(DEV)
    for dotted, value in changes.items():
        *parents, leaf = dotted.split("__")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        if value is ...:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return data


def problems(tmp_path: Path, data: Any) -> list[str]:
    path = write(tmp_path, data)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    for problem in caught.value.problems:
        assert problem.startswith(f"{path}"), problem  # every line names the file
    return caught.value.problems


def test_shipped_environments_load() -> None:
    configs = load_configs(config_paths(None, None))
    assert [c.name for c in configs] == ["dev", "prod", "staging"]


def test_environments_differ_as_a_platform_team_wants() -> None:
    dev, prod = (load_config(CONFIG_DIR / f"{n}.yaml") for n in ("dev", "prod"))
    assert dev.network.nat_gateways == "single" and prod.network.nat_gateways == "per_az"
    assert prod.cluster.endpoint.access == "private"
    assert dev.cluster.logging.retention_days < prod.cluster.logging.retention_days
    assert not dev.lifecycle.retain_stateful_resources
    assert prod.lifecycle.retain_stateful_resources and prod.lifecycle.termination_protection
    assert prod.cluster.deletion_protection and not dev.cluster.deletion_protection


@pytest.mark.parametrize(
    ("data", "field", "fragment"),
    [
        # a typo in a key, with a suggestion
        (
            mutate(network__nat_gateway="single"),
            "network.nat_gateway",
            "did you mean 'nat_gateways'",
        ),
        (mutate(clustr={"name": "x"}), "clustr", "did you mean 'cluster'"),
        # a string for a number, a number for a string
        (
            mutate(network__public_subnet_mask="24"),
            "network.public_subnet_mask",
            "remove the quotes",
        ),
        (mutate(account=111111111111), "account", "put the value in quotes"),
        (mutate(cluster__version=1.3), "cluster.version", "put the value in quotes"),
        # a CIDR that is not one
        (mutate(network__cidr="10.10.0.0/33"), "network.cidr", "not a valid IPv4 CIDR"),
        (mutate(network__cidr="10.10.0.1/16"), "network.cidr", "host bits"),
        (
            mutate(cluster__endpoint={"access": "public_and_private", "public_cidrs": ["bogus"]}),
            "cluster.endpoint.public_cidrs[0]",
            "not a valid IPv4 CIDR",
        ),
        # two AZs, duplicate AZs, AZs of another region
        (
            mutate(availability_zones=["eu-west-1a", "eu-west-1b"]),
            "availability_zones",
            "at least 3",
        ),
        (mutate(availability_zones=["eu-west-1a"] * 3), "", "3 distinct zones"),
        (
            mutate(availability_zones=["us-east-1a", "us-east-1b", "us-east-1c"]),
            "",
            "not zones of region",
        ),
        # an unknown Kubernetes version
        (mutate(cluster__version="1.19"), "cluster.version", "not supported; use one of"),
        # identity fields
        (mutate(name="Dev_1"), "name", "lower-case"),
        (mutate(account="12345"), "account", "exactly 12 digits"),
        (mutate(region="europe"), "region", "not an AWS region"),
        (mutate(cluster__name="-bad"), "cluster.name", "EKS cluster names"),
        (
            mutate(cluster__admins=["arn:aws:iam::1:role/x"]),
            "cluster.admins[0]",
            "not an IAM role or user ARN",
        ),
        (
            mutate(cluster__viewers=["arn:aws:iam::111111111111:role/PlatformAdmin"]),
            "cluster",
            "in both admins and viewers",
        ),
        (
            mutate(cluster__admins=["arn:aws:iam::111111111111:role/A"] * 2),
            "cluster",
            "more than once",
        ),
        # retention values CloudWatch refuses
        (
            mutate(cluster__logging={"retention_days": 10}),
            "cluster.logging.retention_days",
            "does not accept 10 days",
        ),
        (
            mutate(network__flow_logs={"retention_days": 0}),
            "network.flow_logs.retention_days",
            "does not accept",
        ),
        # subnets must fit and be smaller than the VPC
        (mutate(network__cidr="10.10.0.0/18"), "network", "addresses but cidr"),
        (mutate(network__private_subnet_mask=16), "network", "not smaller than the VPC"),
        (
            mutate(network__private_subnet_mask=12),
            "network.private_subnet_mask",
            "greater than or equal to 16",
        ),
        (mutate(network__interface_endpoints=["sts", "sts"]), "network", "more than once"),
        (
            mutate(network__interface_endpoints=["s3"]),
            "network.interface_endpoints[0]",
            "Input should be",
        ),
        (mutate(network__nat_gateways="none"), "network.nat_gateways", "'single' or 'per_az'"),
        # endpoint rules
        (
            mutate(
                cluster__endpoint={"access": "public_and_private", "public_cidrs": ["0.0.0.0/0"]}
            ),
            "cluster.endpoint",
            "allow_open_public_endpoint: true",
        ),
        (
            mutate(cluster__endpoint={"access": "public_and_private"}),
            "cluster.endpoint",
            "needs public_cidrs",
        ),
        (
            mutate(cluster__endpoint={"access": "private", "public_cidrs": ["203.0.113.0/24"]}),
            "cluster.endpoint",
            "remove public_cidrs",
        ),
        (
            mutate(cluster__endpoint={"access": "private"}, network__interface_endpoints=["sts"]),
            "",
            "lacks ecr.api, ecr.dkr, ec2, logs",
        ),
        # missing required fields, wrong top-level shape
        (mutate(tags=...), "tags", "required field is missing"),
        (mutate(tags__cost_center=...), "tags.cost_center", "required field is missing"),
        (mutate(tags__extra={"eks:eks-cluster-name": "x"}), "tags.extra", "are set by AWS, EKS or Karpenter"),
        (mutate(tags__extra={"kubernetes.io/cluster/shop": "owned"}), "tags.extra", "are set by AWS, EKS or Karpenter"),
        (mutate(tags__extra={"aws:team": "x"}), "tags.extra", "are set by AWS, EKS or Karpenter"),
        (
            mutate(lifecycle={"retain_stateful_resources": "yes"}),
            "lifecycle.retain_stateful_resources",
            "true or false",
        ),
    ],
)
def test_invalid_field_is_reported(tmp_path: Path, data: Any, field: str, fragment: str) -> None:
    found = problems(tmp_path, data)
    prefix = f"{tmp_path / 'env.yaml'}: {field}".rstrip() + (":" if field else "")
    assert any(p.startswith(prefix) and fragment in p for p in found), found


def test_all_problems_of_a_file_are_reported_together(tmp_path: Path) -> None:
    data = mutate(network__cidr="nope", cluster__version="0.1", account="1", typo=True)
    assert len(problems(tmp_path, data)) == 4


def test_problems_show_the_bad_value(tmp_path: Path) -> None:
    found = problems(tmp_path, mutate(network__cidr="10.10.0.0/33"))
    assert "(got '10.10.0.0/33')" in found[0]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("name: [unclosed", "not valid YAML"),
        ("", "an empty file"),
        ("- a list\n", "expected a mapping"),
    ],
)
def test_unparseable_files(tmp_path: Path, text: str, fragment: str) -> None:
    found = problems(tmp_path, text)
    assert fragment in found[0]


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "absent.yaml")


def test_two_files_with_one_environment_name(tmp_path: Path) -> None:
    a = write(tmp_path, DEV, "a.yaml")
    b = write(tmp_path, DEV, "b.yaml")
    with pytest.raises(ConfigError, match="'dev' is used by 2 files"):
        load_configs([a, b])


def test_open_public_endpoint_allowed_when_explicit(tmp_path: Path) -> None:
    data = mutate(
        cluster__endpoint={
            "access": "public_and_private",
            "public_cidrs": ["0.0.0.0/0"],
            "allow_open_public_endpoint": True,
        }
    )
    assert load_config(write(tmp_path, data)).cluster.endpoint.public_cidrs == ["0.0.0.0/0"]


def test_selection_of_config_files(tmp_path: Path) -> None:
    assert config_paths("prod", None) == [CONFIG_DIR / "prod.yaml"]
    assert config_paths(None, "x/y.yaml") == [Path("x/y.yaml")]
    assert [p.name for p in config_paths(None, None)] == ["dev.yaml", "prod.yaml", "staging.yaml"]
    with pytest.raises(ConfigError, match="environments: dev, prod, staging"):
        config_paths("qa", None)
    with pytest.raises(ConfigError, match="not both"):
        config_paths("dev", "x.yaml")
    with pytest.raises(ConfigError, match="no environment files"):
        config_paths(None, None, tmp_path)


def test_committed_json_schema_is_current() -> None:
    committed = json.loads((CONFIG_DIR / "schema.json").read_text())
    assert committed == json.loads(render_schema()), (
        "config/schema.json is stale: run `make schema` and commit it"
    )


def test_models_are_frozen() -> None:
    config = load_config(CONFIG_DIR / "dev.yaml")
    with pytest.raises(Exception, match="frozen"):
        config.name = "other"  # type: ignore[misc]
    assert isinstance(config, EnvironmentConfig)
