"""`pod_security_groups:` and `addons.vpc_cni.pod_eni`: the facts (trunk interfaces per
instance type), the translation into props, and one refusal per rule naming the file, the
field and the fix."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

from eks_blueprint.config import load_config
from eks_blueprint.config.pod_security_groups import (
    PodSecurityGroupsCapacity,
    check_peer,
    trunk_support,
)
from stacks.translate.cluster import kubectl_users
from stacks.translate.pod_security_groups import pod_security_group_spec
from tests.unit.test_config import mutate, problems, write

API = {
    "name": "api-database",
    "namespace": "payments",
    "pod_labels": {"app.kubernetes.io/name": "api"},
    "egress": [{"peer": "10.30.250.0/24", "port": 5432}],
}


def _with(*entries: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """dev.yaml with pod_eni on, the entries, and further dotted changes."""
    return mutate(addons__vpc_cni={"pod_eni": True}, pod_security_groups=list(entries), **changes)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("m7g.xlarge", True),  # limits.go: IsTrunkingCompatible true, 18 branch interfaces
        ("m5.large", True),
        ("m5.metal", True),  # bare metal: compatible
        ("t4g.medium", False),  # the t family never
        ("t3a.large", False),
        ("i4i.large", False),  # a Nitro type the controller lists as incompatible
        ("m4.large", False),  # Xen
        ("c8in.large", None),  # newer than the limits.go snapshot: not guessed
        ("m8gn.metal-24xl", None),
        ("zz9.large", None),  # unknown to the instance table
    ],
)
def test_trunk_support_follows_limits_go(name: str, expected: bool | None) -> None:
    assert trunk_support(name) is expected


def test_prod_ships_one_entry_with_pod_eni_and_standard_mode() -> None:
    prod = load_config(Path("config/prod.yaml"))
    assert prod.addons.vpc_cni.pod_eni
    [entry] = prod.pod_security_groups
    spec = pod_security_group_spec(entry)
    assert (spec.name, spec.namespace, dict(spec.pod_labels or {})) == (
        "api-database",
        "payments",
        {"app.kubernetes.io/name": "api"},
    )
    assert spec.egress[0].peer == "10.30.250.0/24" and spec.egress[0].port == 5432
    assert any(user.startswith("pod_security_groups") for user in kubectl_users(prod))


def test_a_file_with_an_entry_loads_and_warns_about_the_t4g_group(tmp_path: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        config = load_config(write(tmp_path, _with(API)))
    assert config.pod_security_groups[0].name == "api-database"
    messages = [str(w.message) for w in caught if w.category is PodSecurityGroupsCapacity]
    assert messages and "compute.node_groups[0]: t4g.medium, t4g.large" in messages[0]


def test_tainted_groups_are_not_warned_about(tmp_path: Path) -> None:
    data = _with(API)
    data["compute"]["node_groups"][0]["taints"] = [
        {"key": "CriticalAddonsOnly", "value": "true", "effect": "NoSchedule"}
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_config(write(tmp_path, data))
    assert not [w for w in caught if w.category is PodSecurityGroupsCapacity]


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("self", None),
        ("cluster", None),
        ("sg-0123456789abcdef0", None),
        ("10.0.0.0/16", None),
        ("2600:1f18::/40", None),
        ("0.0.0.0/0", "is the whole internet"),
        ("::/0", "is the whole internet"),
        ("10.0.0.1/16", "not a peer"),
        ("sg-12", "not a peer"),
        ("anywhere", "not a peer"),
    ],
)
def test_peers(value: str, fragment: str | None) -> None:
    if fragment is None:
        assert check_peer(value) == value
    else:
        with pytest.raises(ValueError, match=fragment):
            check_peer(value)


NEGATIVE: list[tuple[dict[str, Any], str]] = [
    # the section's own rules
    (
        _with({**API, "service_account_labels": {"team": "payments"}}),
        "pod_security_groups[0].service_account_labels",
    ),
    (
        _with(
            {
                **API,
                "cluster_security_group": True,
                "security_group_ids": [
                    "sg-0123456789abcdef0",
                    "sg-0123456789abcdef1",
                    "sg-0123456789abcdef2",
                    "sg-0123456789abcdef3",
                ],
            }
        ),
        "a SecurityGroupPolicy names at most 5",
    ),
    (_with({**API, "security_group_ids": ["sg-xyz"]}), "not a security group id"),
    (_with({**API, "egress": [{"peer": "0.0.0.0/0", "port": 443}]}), "is the whole internet"),
    (
        _with({**API, "egress": [{"peer": "10.0.0.0/16", "port": 600, "to_port": 500}]}),
        "pod_security_groups[0].egress[0].to_port",
    ),
    (_with({**API, "egress": [{"peer": "10.0.0.0/16", "port": 70000}]}), "is not a port"),
    # EC2 API reference (IpRange Description): a-zA-Z0-9, space and ._-:/()#,@[]+=&;{}!$*
    (
        _with(
            {**API, "egress": [{"peer": "10.0.0.0/16", "port": 5432, "description": "orders' DB"}]}
        ),
        "pod_security_groups[0].egress[0].description",
    ),
    # 20 x 3 inbound rules on the cluster security group, and its own: 61 > 60
    (
        _with(*[{**API, "name": f"api-{i}", "api_server": True} for i in range(20)]),
        "inbound rules on the EKS cluster security group",
    ),
    (_with({**API, "probe_ports": [0]}), "a probe port is 1-65535"),
    (
        _with({**API, "name": "Api_DB"}),
        "pod_security_groups[0].name: not a policy name: 1-40 lower-case letters, digits and "
        "'-', starting with a letter and not ending with '-', e.g. api-database (got 'Api_DB')",
    ),
    (_with({**API, "pod_labels": {"app": "bad value!"}}), "pod_security_groups[0].pod_labels"),
    (
        _with({**API, "ingress": [{"peer": "10.0.0.0/16", "port": p} for p in range(61)]}),
        "pod_security_groups[0].ingress",
    ),
    # the environment's rules
    (
        mutate(pod_security_groups=[API]),
        "addons.vpc_cni.pod_eni: pod_security_groups is set, but the VPC CNI",
    ),
    (  # the value as YAML writes it, not Python's False
        mutate(addons__vpc_cni={"pod_eni": False}, pod_security_groups=[API]),
        "set addons.vpc_cni.pod_eni: true (got false)",
    ),
    (
        mutate(addons__vpc_cni={"pod_security_group_enforcing_mode": "strict"}),
        "addons.vpc_cni.pod_security_group_enforcing_mode",
    ),
    (_with(API, API), "pod_security_groups[1].name: 'api-database' is used twice"),
    (_with({**API, "namespace": "orders"}), "pod_security_groups[0].namespace: 'orders' is not"),
    (
        _with(
            API,
            compute={"node_groups": [{"name": "general", "instance_types": ["t3.large"]}]},
        ),
        "no untainted node group has an instance type that holds a trunk interface",
    ),
]


@pytest.mark.parametrize(("data", "fragment"), NEGATIVE)
def test_refused_with_the_field_and_the_fix(
    tmp_path: Path, data: dict[str, Any], fragment: str
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PodSecurityGroupsCapacity)
        found = problems(tmp_path, data)
    assert any(fragment in problem for problem in found), found


def test_refused_with_auto_mode(tmp_path: Path) -> None:
    example = load_config(Path("config/examples/automode.yaml"))
    data = example.model_dump(mode="json", exclude_unset=True)
    data.setdefault("addons", {})["vpc_cni"] = {"pod_eni": True}
    found = problems(tmp_path, data)
    assert any("EKS Auto Mode does not support security groups for pods" in p for p in found)


def test_fargate_tenants_need_the_cluster_security_group(tmp_path: Path) -> None:
    """On Fargate the pod's groups also carry image pulls (ECR, S3) and the control plane's
    calls to the kubelet (EKS best practices guide, sgpp): api_server alone is not enough."""
    staging = load_config(Path("config/staging.yaml")).model_dump(mode="json", exclude_unset=True)
    fargate = next(t["name"] for t in staging["tenants"] if t.get("isolation") == "fargate")
    staging["addons"]["vpc_cni"] = {"pod_eni": True}
    entry = {"name": "all", "namespace": fargate}
    for refused_entry in (entry, {**entry, "api_server": True}):
        staging["pod_security_groups"] = [refused_entry]
        found = problems(tmp_path, staging)
        assert any(
            "pod_security_groups[0].cluster_security_group" in p and "Fargate" in p for p in found
        ), found
    staging["pod_security_groups"] = [{**entry, "cluster_security_group": True}]
    assert load_config(write(tmp_path, staging)).pod_security_groups[0].cluster_security_group
