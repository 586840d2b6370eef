"""Config models: the shipped files load, and every validation rule rejects bad input
with a message that names the file, the field and what is allowed."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from eks_blueprint.config import ConfigError, EnvironmentConfig, load_config, load_configs
from eks_blueprint.config.schema import render_schema
from stacks.app_builder import CONFIG_DIR, config_paths

DEV = yaml.safe_load((CONFIG_DIR / "dev.yaml").read_text())


class _NoAliasDumper(yaml.SafeDumper):
    """Writes a shared object out each time: the loader refuses aliases (*id001)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


_CSafeDumper: type[Any] | None = getattr(yaml, "CSafeDumper", None)  # None: no libyaml


class _NoAliasCDumper(_CSafeDumper or yaml.SafeDumper):  # type: ignore[misc]
    """`_NoAliasDumper` with libyaml's emitter (the same representer, in Python)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _plain_ascii(data: Any) -> bool:
    """Whether every text in `data` (keys too) is printable ASCII without line breaks."""
    if isinstance(data, dict):
        return all(_plain_ascii(k) and _plain_ascii(v) for k, v in data.items())
    if isinstance(data, list):
        return all(_plain_ascii(v) for v in data)
    if isinstance(data, str):
        return data.isascii() and data.isprintable()
    return True


def dump(data: Any) -> str:
    """`data` as YAML text. libyaml's emitter writes the same text as PyYAML's own for
    printable ASCII (PyYAML's emitter is a port of it) in a tenth of the time; other text
    (emoji, which libyaml escapes as \\U..., control characters, line breaks) takes PyYAML's."""
    dumper = _NoAliasCDumper if _CSafeDumper is not None and _plain_ascii(data) else _NoAliasDumper
    return yaml.dump(data, Dumper=dumper, allow_unicode=True, sort_keys=False)


def write(tmp_path: Path, data: Any, name: str = "env.yaml") -> Path:
    path = tmp_path / name
    path.write_text(dump(data) if not isinstance(data, str) else data, encoding="utf-8")
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


def as_production(data: dict[str, Any], name: str = "prod") -> dict[str, Any]:
    """`data` renamed to a production environment, stating what production must state."""
    data = copy.deepcopy(data)
    data["name"] = name
    security = data.setdefault("security", {})
    security.setdefault("guardduty", {}).setdefault("mode", "existing")
    security.setdefault("enhanced_scanning", None)
    for tenant in data.get("tenants", []):
        tenant.setdefault("egress", "open")
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
        (mutate(availability_zones=["eu-west-1a"] * 3), "availability_zones", "3 distinct zones"),
        (
            mutate(availability_zones=["us-east-1a", "us-east-1b", "us-east-1c"]),
            "availability_zones[0]",
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
            "cluster.viewers[0]",
            "in both admins and viewers",
        ),
        (
            mutate(cluster__admins=["arn:aws:iam::111111111111:role/A"] * 2),
            "cluster.admins[1]",
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
        (mutate(network__cidr="10.10.0.0/18"), "network.cidr", "addresses but cidr"),
        (
            mutate(network__private_subnet_mask=16),
            "network.private_subnet_mask",
            "not smaller than the VPC",
        ),
        (
            mutate(network__private_subnet_mask=12),
            "network.private_subnet_mask",
            "greater than or equal to 16",
        ),
        (
            mutate(network__interface_endpoints=["sts", "sts"]),
            "network.interface_endpoints[1]",
            "more than once",
        ),
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
            "cluster.endpoint.public_cidrs[0]",
            "allow_open_public_endpoint: true",
        ),
        (
            mutate(cluster__endpoint={"access": "public_and_private"}),
            "cluster.endpoint.public_cidrs",
            "needs public_cidrs",
        ),
        (
            mutate(cluster__endpoint={"access": "private", "public_cidrs": ["203.0.113.0/24"]}),
            "cluster.endpoint.public_cidrs",
            "remove public_cidrs",
        ),
        (
            mutate(cluster__endpoint={"access": "private"}, network__interface_endpoints=["sts"]),
            "network.interface_endpoints",
            "lacks ecr.api, ecr.dkr, ec2, logs",
        ),
        # missing required fields, wrong top-level shape
        (mutate(tags=...), "tags", "required field is missing"),
        (mutate(tags__cost_center=...), "tags.cost_center", "required field is missing"),
        (
            mutate(tags__extra={"eks:eks-cluster-name": "x"}),
            "tags.extra['eks:eks-cluster-name']",
            "is set by AWS, EKS or Karpenter",
        ),
        (
            mutate(tags__extra={"kubernetes.io/cluster/shop": "owned"}),
            "tags.extra['kubernetes.io/cluster/shop']",
            "is set by AWS, EKS or Karpenter",
        ),
        (
            mutate(tags__extra={"aws:team": "x"}),
            "tags.extra",
            "the key 'aws:team': tag keys starting with aws: are reserved",
        ),
        (mutate(tags__extra={"AWS:team": "x"}), "tags.extra", "are reserved for AWS"),
        (
            mutate(tags__extra={"project": "x"}),
            "tags.extra.project",
            "already gets the tag project",
        ),
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
    with pytest.raises(ConfigError) as caught:
        load_configs([a, b])
    expected = f"{b}: name: environment name 'dev' is also used by {a}; each file needs its own"
    assert any(p.startswith(expected) for p in caught.value.problems), caught.value.problems


OPEN_REASON = "a partner's CI runs from changing addresses; reviewed in SEC-123"


def test_open_public_endpoint_allowed_when_explicit(tmp_path: Path) -> None:
    data = mutate(
        cluster__endpoint={
            "access": "public_and_private",
            "public_cidrs": ["0.0.0.0/0"],
            "allow_open_public_endpoint": True,
            "open_public_endpoint_reason": OPEN_REASON,
        }
    )
    endpoint = load_config(write(tmp_path, data)).cluster.endpoint
    assert endpoint.public_cidrs == ["0.0.0.0/0"]
    assert endpoint.open_public_endpoint_reason == OPEN_REASON


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


# --- YAML that safe_load would take silently or crash on -------------------------------

DEV_TEXT = (CONFIG_DIR / "dev.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # keys that are not text: json.dumps raised TypeError on them
        (DEV_TEXT + "2024-01-01: x\n", "the key '2024-01-01' is read by YAML as date"),
        (DEV_TEXT + "1: x\n", "the key '1' is read by YAML as number"),
        (DEV_TEXT + "on: x\n", "the key 'on' is read by YAML as true/false"),
        # aliases: a self-reference raised "Circular reference detected"
        (DEV_TEXT + "x: &c [*c]\n", "alias *c: aliases are not allowed"),
        (DEV_TEXT.replace("owner: platform-team", "owner: &o platform-team") + "y: *o\n",
         "aliases are not allowed"),
        (DEV_TEXT + "y: {<<: {a: 1}}\n", "merge keys (<<) are not allowed"),
        # a duplicate key: YAML keeps the last value silently
        (DEV_TEXT.replace("  deletion_protection: false\n",
                          "  deletion_protection: false\n  deletion_protection: true\n"),
         "key 'deletion_protection' appears a second time in this mapping (first on line"),
        (DEV_TEXT + "name: other\n", "key 'name' appears a second time"),
        # values PyYAML builds without checking
        (DEV_TEXT.replace("name: dev", "name: " + "9" * 5000), "a number with thousands of digits"),
        (DEV_TEXT.replace("name: dev", "name: !!timestamp soon"), "not valid YAML"),
        (DEV_TEXT + "x: " + "[" * 100 + "]" * 100 + "\n", "nested more than 64 levels deep"),
        (DEV_TEXT.replace("name: dev", "name: de\x00v"), "U+0000 is not allowed"),
    ],
)  # fmt: skip
def test_yaml_tricks_are_refused_with_their_line(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    found = caught.value.problems
    assert any(expected in p for p in found), found
    for problem in found:
        assert re.match(rf"{re.escape(str(path))}: line \d+(, column \d+)?: ", problem), problem
        assert "\n" not in problem


def test_every_duplicate_key_is_reported(tmp_path: Path) -> None:
    end = DEV_TEXT.count("\n")
    found = problems(tmp_path, DEV_TEXT + "name: a\nregion: b\n")
    assert [p.split(": ", 2)[1] for p in found] == [f"line {end + 1}", f"line {end + 2}"], found


def test_a_file_that_is_not_utf8_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "env.yaml"
    path.write_bytes(DEV_TEXT.encode() + b"owner: \xff\n")
    line = DEV_TEXT.count("\n") + 1
    with pytest.raises(ConfigError, match=rf"line {line}: not UTF-8 text \(byte 0xff\)"):
        load_config(path)


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        (DEV_TEXT.replace('cost_center: "4711"', "cost_center: 2024-01-01"), "tags.cost_center",
         "got the date 2024-01-01"),
        (DEV_TEXT.replace("name: dev", "name: !!binary aGk="), "name", "YAML bytes value"),
        (DEV_TEXT.replace("name: dev", "name: .nan"), "name", "expected a finite number"),
        (DEV_TEXT.replace("name: dev", 'name: "de\\x07v"'), "name", "control or invisible"),
        (DEV_TEXT.replace("owner: platform-team", 'owner: "team\\u202e"'), "tags.owner", "U+202E"),
    ],
)  # fmt: skip
def test_values_json_cannot_carry_are_refused_at_their_field(
    tmp_path: Path, text: str, field: str, expected: str
) -> None:
    found = problems(tmp_path, text)
    assert any(p.startswith(f"{tmp_path / 'env.yaml'}: {field}: ") and expected in p for p in found)


# --- a value followed by a newline passed `re.match(... $)` --------------------------------


def set_path(data: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """A copy of `data` with the value at `a.b[0].c` replaced (or, for ..., deleted)."""
    data = copy.deepcopy(data)
    parts = [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", dotted)]
    node: Any = data
    for part in parts[:-1]:
        node = node[part]
    if value is ...:
        del node[parts[-1]]
    else:
        node[parts[-1]] = value
    return data


def value_at(data: Any, dotted: str) -> Any:
    for part in re.findall(r"[^.\[\]]+", dotted):
        data = data[int(part) if part.isdigit() else part]
    return data


PROD = yaml.safe_load((CONFIG_DIR / "prod.yaml").read_text())
STAGING = yaml.safe_load((CONFIG_DIR / "staging.yaml").read_text())

NEWLINE_FIELDS = [
    (DEV, "name"),
    (DEV, "account"),
    (DEV, "region"),
    (DEV, "availability_zones[0]"),
    (DEV, "network.cidr"),
    (DEV, "cluster.name"),
    (DEV, "cluster.version"),
    (DEV, "cluster.admins[0]"),
    (DEV, "cluster.endpoint.public_cidrs[0]"),
    (DEV, "compute.node_groups[0].name"),
    (DEV, "compute.node_groups[0].instance_types[0]"),
    (DEV, "compute.node_groups[0].labels.role"),
    (DEV, "compute.karpenter.version"),
    (DEV, "compute.karpenter.node_classes[0].ami_alias"),
    (DEV, "compute.karpenter.node_pools[0].limits.memory"),
    (DEV, "compute.karpenter.node_pools[0].disruption.expire_after"),
    (DEV, "workloads.demo.image"),
    (DEV, "access[0].principal"),
    (DEV, "access[0].namespaces[0]"),
    (DEV, "workload_identities[0].namespace"),
    (DEV, "workload_identities[0].policy_statements[0].actions[0]"),
    (DEV, "workload_identities[0].policy_statements[0].resources[0]"),
    (DEV, "tenants[0].name"),
    (DEV, "tenants[0].quota.memory"),
    (DEV, "security.registries[0].name"),
    (DEV, "security.registries[0].push_principals[0]"),
    (STAGING, "workloads.demo.certificate_arn"),
    (PROD, "compute.node_groups[0].taints[0].key"),
    (PROD, "compute.node_groups[0].taints[0].value"),
    (PROD, "addons.coredns.tolerations[0].key"),
    (PROD, "security.enhanced_scanning.filters[0]"),
]


@pytest.mark.parametrize(("base", "field"), NEWLINE_FIELDS, ids=[f for _, f in NEWLINE_FIELDS])
def test_a_trailing_newline_is_refused(tmp_path: Path, base: dict[str, Any], field: str) -> None:
    # GIVEN a shipped file whose value at `field` ends in a newline
    data = set_path(base, field, str(value_at(base, field)) + "\n")
    # WHEN it loads THEN the field is refused (it used to pass every pattern check)
    found = problems(tmp_path, data)
    assert any(f": {field}" in p for p in found), found


# --- values the schema accepted and AWS or Kubernetes refuse -------------------------------


@pytest.mark.parametrize(
    ("data", "field", "fragment"),
    [
        # VPC CIDR: /16 to /28, private ranges only (0.0.0.0/0 crashed synth)
        (mutate(network__cidr="0.0.0.0/0"), "network.cidr", "/16 to /28"),
        (mutate(network__cidr="10.0.0.0/8"), "network.cidr", "/16 to /28"),
        (mutate(network__cidr="10.0.0.0/29"), "network.cidr", "/16 to /28"),
        (mutate(network__cidr="8.8.0.0/16"), "network.cidr", "must lie in a private range"),
        (mutate(network__cidr="169.254.0.0/16"), "network.cidr", "must lie in a private range"),
        (mutate(network__cidr="10.10.0.0/016"), "network.cidr", "write the CIDR as 10.10.0.0/16"),
        # public endpoint CIDRs that no internet request comes from
        *(
            (
                mutate(cluster__endpoint={"access": "public_and_private", "public_cidrs": [c]}),
                "cluster.endpoint.public_cidrs[0]",
                kind,
            )
            for c, kind in [
                ("10.0.0.0/8", "private (RFC 1918)"),
                ("192.168.1.0/24", "private (RFC 1918)"),
                ("100.64.0.0/10", "shared address space"),
                ("169.254.0.0/16", "link-local"),
                ("127.0.0.0/8", "loopback"),
                ("224.0.0.0/4", "multicast"),
                ("240.0.0.0/8", "reserved"),
            ]
        ),
        # the open endpoint: an opt-in with a reason, each only with the other
        (
            mutate(cluster__endpoint={"access": "public_and_private", "public_cidrs": ["0.0.0.0/0"],
                                      "allow_open_public_endpoint": True}),
            "cluster.endpoint.open_public_endpoint_reason",
            "needs open_public_endpoint_reason",
        ),
        (
            mutate(cluster__endpoint={"access": "public_and_private", "public_cidrs": ["0.0.0.0/0"],
                                      "allow_open_public_endpoint": True,
                                      "open_public_endpoint_reason": "because"}),
            "cluster.endpoint.open_public_endpoint_reason",
            "at least 20 characters",
        ),
        (
            mutate(cluster__endpoint={"access": "public_and_private",
                                      "public_cidrs": ["203.0.113.0/24"],
                                      "open_public_endpoint_reason": OPEN_REASON}),
            "cluster.endpoint.open_public_endpoint_reason",
            "allow_open_public_endpoint is not true",
        ),
        (
            mutate(cluster__endpoint={"access": "public_and_private",
                                      "public_cidrs": ["203.0.113.0/24"],
                                      "allow_open_public_endpoint": True,
                                      "open_public_endpoint_reason": OPEN_REASON}),
            "cluster.endpoint.allow_open_public_endpoint",
            "no 0.0.0.0/0",
        ),
        # tags as IAM and EKS accept them
        (mutate(tags__project="shop*"), "tags.project", "contains '*'"),
        (mutate(tags__owner="team 🚀"), "tags.owner", "IAM and EKS allow only letters"),
        (mutate(tags__extra={"k" * 129: "v"}), "tags.extra", "tag keys are 1-128 characters"),
        (mutate(tags__extra={"team": "v" * 257}), "tags.extra.team", "at most 256 characters"),
        (mutate(tags__extra={"team": "a|b"}), "tags.extra.team", "contains '|'"),
        (mutate(tags__extra={f"k{i}": "v" for i in range(39)}), "tags.extra", "at most 38"),
        # the commercial partition only
        (mutate(region="cn-north-1"), "region", "partition aws-cn"),
        (mutate(region="us-gov-west-1"), "region", "partition aws-us-gov"),
        (mutate(region="us-isob-east-1"), "region", "partition aws-iso-b"),
        (mutate(region="eusc-de-east-1"), "region", "partition aws-eusc"),
        (mutate(cluster__admins=["arn:aws-us-gov:iam::111111111111:role/A"]), "cluster.admins[0]",
         "only the commercial partition"),
        (mutate(workloads__demo={"enabled": True, "scheme": "internal", "certificate_arn":
                                 "arn:aws-cn:acm:cn-north-1:111111111111:certificate/x"}),
         "workloads.demo.certificate_arn", "of the commercial partition"),
        # an ALB uses certificates of its own account and region
        (mutate(workloads__demo={"enabled": True, "scheme": "internal", "certificate_arn":
                                 "arn:aws:acm:us-east-1:111111111111:certificate/x"}),
         "workloads.demo.certificate_arn", "its own account and region"),
        # a message names the field itself, not its parent
        (mutate(tenants=[{"name": "payments", "quota": {"cpu": "8", "memory": "256Mi"}}]),
         "tenants[0].container_defaults.memory_limit", "512Mi is more than quota.memory 256Mi"),
        (mutate(tenants=[{"name": "payments", "quota": {"cpu": "8", "memory": "16Gi"},
                          "container_defaults": {"memory_request": "2Gi"}}]),
         "tenants[0].container_defaults.memory_request", "is more than memory_limit"),
    ],
)  # fmt: skip
def test_values_aws_or_kubernetes_refuse_are_refused(
    tmp_path: Path, data: Any, field: str, fragment: str
) -> None:
    found = problems(tmp_path, data)
    assert any(f": {field}: " in p and fragment in p for p in found), found


@pytest.mark.parametrize("cidr", ["172.16.0.0/16", "192.168.0.0/16", "100.64.0.0/16"])
def test_private_vpc_ranges_are_accepted(tmp_path: Path, cidr: str) -> None:
    assert load_config(write(tmp_path, mutate(network__cidr=cidr))).network.cidr == cidr


# --- production states every choice whose default is the weaker one ------------------------


@pytest.mark.parametrize(
    ("field", "fragment"),
    [
        ("security.guardduty.mode", "the default, existing, creates no detector"),
        ("security.enhanced_scanning", "ECR only does basic scan-on-push"),
        ("tenants[0].egress", "the default, open, lets the tenant's pods connect anywhere"),
    ],
)
def test_production_must_state_what_would_weaken_it(
    tmp_path: Path, field: str, fragment: str
) -> None:
    # GIVEN prod.yaml without the line WHEN it loads THEN it is refused, naming the field
    found = problems(tmp_path, set_path(PROD, field, ...))
    assert any(f": {field}: production (prod) must state this choice" in p for p in found), found
    assert any(fragment in p for p in found), found


def test_production_may_state_the_default(tmp_path: Path) -> None:
    data = set_path(PROD, "security.enhanced_scanning", None)
    assert load_config(write(tmp_path, data)).security.enhanced_scanning is None


# --- messages: readable, short, at the field -------------------------------------------------


def test_a_boolean_for_text_is_called_a_boolean(tmp_path: Path) -> None:
    found = problems(tmp_path, mutate(tags__owner=True))
    assert any(
        ": tags.owner: got true, expected text; YAML reads an unquoted true" in p for p in found
    ), found
    assert not any("the number True" in p for p in found), found


def test_long_values_and_keys_are_cut_in_messages(tmp_path: Path) -> None:
    long = "x" * 10_000
    data = mutate(name=long, cluster__name=long, tags__extra={long: "v"}, **{long: 1})
    found = problems(tmp_path, data)
    assert len(found) >= 4, found
    for problem in found:
        assert long[:100] not in problem and len(problem) < 600, problem[:700]
