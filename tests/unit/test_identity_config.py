"""The workload_identities, access and security sections: the shipped files use them, and
every validation rule rejects bad input naming the entry and the field."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from eks_blueprint.config import ConfigError, load_config, load_configs

from .test_config import DEV, problems, write

ACCOUNT = DEV["account"]
SQS = f"arn:aws:sqs:eu-west-1:{ACCOUNT}:orders"
GOOD_REASON = "GetMetricData supports no resource-level permissions at all"


def identity(**fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "namespace": "payments",
        "service_account": "api",
        "mechanism": "irsa",
        "policy_statements": [{"actions": ["sqs:ReceiveMessage"], "resources": [SQS]}],
    }
    entry.update(fields)
    return {k: v for k, v in entry.items() if v is not ...}


def with_section(key: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(DEV)
    data[key] = value
    return data


def with_identities(*entries: dict[str, Any]) -> dict[str, Any]:
    return with_section("workload_identities", list(entries))


def access(**fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"principal": f"arn:aws:iam::{ACCOUNT}:role/Team", "policy": "edit"}
    entry.update(fields)
    return {k: v for k, v in entry.items() if v is not ...}


def security(**fields: Any) -> dict[str, Any]:
    return with_section("security", fields)


def statement(**fields: Any) -> dict[str, Any]:
    return identity(
        policy_statements=[{"actions": ["sqs:ReceiveMessage"], "resources": [SQS], **fields}]
    )


@pytest.mark.parametrize(
    ("data", "field", "fragment"),
    [
        # workload identities: names, permissions, ARNs, actions, wildcards, duplicates
        (
            with_identities(identity(namespace="Payments")),
            "workload_identities[0].namespace",
            "'Payments' is not a Kubernetes name",
        ),
        (
            with_identities(identity(service_account="api_v2")),
            "workload_identities[0].service_account",
            "'api_v2' is not a Kubernetes name",
        ),
        (
            with_identities(identity(service_account="a" * 254)),
            "workload_identities[0].service_account",
            "1-253 lower-case letters, digits, '-' or '.'",
        ),
        (
            with_identities(identity(namespace="pay.ments")),
            "workload_identities[0].namespace",
            "is not a Kubernetes name: 1-63",
        ),
        (
            with_identities(identity(service_account="api.v2"), identity(service_account="api-v2")),
            "workload_identities[1].service_account",
            "make the same construct id PaymentsApiV2",
        ),
        (
            with_identities(identity(policy_statements=...)),
            "workload_identities[0].policy_statements",
            "(payments/api) gives the role no permissions",
        ),
        (
            with_identities(identity(mechanism="kiam")),
            "workload_identities[0].mechanism",
            "'irsa' or 'pod_identity'",
        ),
        (
            with_identities(identity(managed_policy_arns=["arn:aws:iam::aws:role/X"])),
            "workload_identities[0].managed_policy_arns[0]",
            "not a managed policy ARN",
        ),
        (
            with_identities(identity(managed_policy_arns=["arn:aws-cn:iam::aws:policy/X"])),
            "workload_identities[0].managed_policy_arns[0]",
            "of the commercial partition",
        ),
        (
            with_identities(statement(actions=["*"])),
            "workload_identities[0].policy_statements[0].actions[0]",
            "'*' grants every AWS action",
        ),
        (
            with_identities(statement(actions=["GetObject"])),
            "workload_identities[0].policy_statements[0].actions[0]",
            "not of the form service:Action",
        ),
        (
            with_identities(statement(actions=["s3:GetObject\n"])),
            "workload_identities[0].policy_statements[0].actions[0]",
            "not of the form service:Action",
        ),
        (
            with_identities(statement(actions=["s3:*"])),
            "workload_identities[0].exception_reason",
            "uses action 's3:*'; narrow it, or explain why in exception_reason",
        ),
        (
            with_identities(statement(actions=["s3:Get*"], resources=[SQS])),
            "workload_identities[0].exception_reason",
            "action 's3:Get*'",
        ),
        (
            with_identities(statement(resources=["*"])),
            "workload_identities[0].exception_reason",
            "uses resource '*'",
        ),
        (
            with_identities(
                identity(
                    policy_statements=[{"actions": ["sqs:ReceiveMessage"], "resources": ["*"]}],
                    exception_reason="too short",
                )
            ),
            "workload_identities[0].exception_reason",
            "at least 20 characters",
        ),
        (
            with_identities(identity(exception_reason=GOOD_REASON)),
            "workload_identities[0].exception_reason",
            "has exception_reason but nothing that needs one",
        ),
        (
            with_identities(
                identity(managed_policy_arns=["arn:aws:iam::aws:policy/ReadOnlyAccess"])
            ),
            "workload_identities[0].exception_reason",
            "AWS-managed policy ReadOnlyAccess",
        ),
        (
            with_identities(statement(resources=["s3-bucket"])),
            "workload_identities[0].policy_statements[0].resources[0]",
            "not an ARN",
        ),
        (
            with_identities(statement(resources=["arn:aws-us-gov:sqs:us-gov-west-1:111111111111:q"])),
            "workload_identities[0].policy_statements[0].resources[0]",
            "not an ARN of the commercial partition",
        ),
        (
            with_identities(statement(conditions={"Equals": {"aws:SourceVpc": "vpc-1"}})),
            "workload_identities[0].policy_statements[0].conditions.Equals",
            "not an IAM condition operator",
        ),
        (
            with_identities(statement(effect="allow")),
            "workload_identities[0].policy_statements[0].effect",
            "'Allow' or 'Deny'",
        ),
        (
            with_identities(identity(), identity(mechanism="pod_identity")),
            "workload_identities[1]",
            "the service account payments/api is also in workload_identities[0]",
        ),
        # access entries
        (
            with_section("access", [access(principal="arn:aws:iam::1:role/X")]),
            "access[0].principal",
            "not an IAM role or user ARN",
        ),
        (
            with_section("access", [access(principal=f"arn:aws:iam::{ACCOUNT}:role/{'r' * 65}")]),
            "access[0].principal",
            "IAM role names are at most 64 characters",
        ),
        (
            with_section("access", [access(principal=f"arn:aws:iam::{ACCOUNT}:user/{'u' * 65}")]),
            "access[0].principal",
            "IAM user names are at most 64 characters",
        ),
        (
            with_section("access", [access(principal=f"arn:aws:iam::{ACCOUNT}:role/{'p' * 511}/R")]),
            "access[0].principal",
            "IAM paths are at most 512 characters",
        ),
        (
            with_section("access", [access(principal=f"arn:aws:iam::{ACCOUNT}:role/Tëam")]),
            "access[0].principal",
            "IAM role names use only letters, digits",
        ),
        (
            with_section("access", [access(principal=f"arn:aws:iam::{ACCOUNT}:role/Team\n")]),
            "access[0].principal",
            "IAM role names use only letters, digits",
        ),
        (
            with_section("access", [access(principal=f"arn:aws-cn:iam::{ACCOUNT}:role/Team")]),
            "access[0].principal",
            "only the commercial partition is supported",
        ),
        (
            with_section("access", [access(kubernetes_groups=[""], group_role="external")]),
            "access[0].kubernetes_groups[0]",
            "cannot be empty",
        ),
        (
            with_section("access", [access(kubernetes_groups=["ops\u0007"], group_role="external")]),
            "access[0].kubernetes_groups[0]",
            "control or invisible characters",
        ),
        (
            with_section("access", [access(kubernetes_groups=["ops\u202e"], group_role="external")]),
            "access[0].kubernetes_groups[0]",
            "U+202E",
        ),
        (
            with_section("access", [access(kubernetes_groups=[" ops"], group_role="external")]),
            "access[0].kubernetes_groups[0]",
            "starts or ends with a space",
        ),
        (
            with_section("access", [access(kubernetes_groups=["g" * 254], group_role="external")]),
            "access[0].kubernetes_groups[0]",
            "at most 253 characters",
        ),
        (with_section("access", [access(policy="owner")]), "access[0].policy", "'cluster_admin'"),
        (
            with_section("access", [access(policy="cluster_admin", namespaces=["payments"])]),
            "access[0].namespaces",
            "cluster_admin (AmazonEKSClusterAdminPolicy) is cluster-scope only",
        ),
        (with_section("access", [access(policy=...)]), "access[0].policy", "gives no access"),
        (
            with_section(
                "access",
                [access(policy=..., namespaces=["a"], kubernetes_groups=["g"], group_role="external")],
            ),
            "access[0].namespaces",
            "namespaces scope a policy or the RoleBindings of group_role",
        ),
        # group_role: who binds the groups
        (
            with_section("access", [access(kubernetes_groups=["g"])]),
            "access[0].group_role",
            "grant nothing; set group_role: view, edit or admin",
        ),
        (
            with_section("access", [access(group_role="view")]),
            "access[0].group_role",
            "group_role view is set but kubernetes_groups is empty",
        ),
        (
            with_section("access", [access(kubernetes_groups=["g"], group_role="edit")]),
            "access[0].group_role",
            "group_role edit without namespaces would be a ClusterRoleBinding to edit on every "
            "namespace; cluster-wide edit belongs in an EKS access policy (policy: edit)",
        ),
        (
            with_section("access", [access(kubernetes_groups=["g"], group_role="admin")]),
            "access[0].group_role",
            "cluster-wide admin belongs in an EKS access policy",
        ),
        (
            with_section("access", [access(kubernetes_groups=["g"], group_role="owner")]),
            "access[0].group_role",
            "'view', 'edit', 'admin', 'external', 'tenant-admin' or 'tenant-viewer'",
        ),
        (
            with_section(
                "access", [access(namespaces=["orders"], kubernetes_groups=["g"], group_role="edit")]
            ),
            "access[0].namespaces[0]",
            "namespaces ['orders'] are not tenant namespaces of this file (tenants: payments), "
            "so nothing creates them before the RoleBindings of group_role edit",
        ),
        (
            with_section("access", [access(namespaces=["Bad_NS"])]),
            "access[0].namespaces[0]",
            "not a Kubernetes namespace name",
        ),
        (
            with_section("access", [access(namespaces=["a", "a"])]),
            "access[0].namespaces[1]",
            "a is listed more than once",
        ),
        (
            with_section(
                "access", [access(kubernetes_groups=["system:masters"], group_role="external")]
            ),
            "access[0].kubernetes_groups[0]",
            "starts with 'system:', which EKS reserves",
        ),
        (
            with_section("access", [access(), access(policy="view")]),
            "access[1].principal",
            f"arn:aws:iam::{ACCOUNT}:role/Team is also in access[0]",
        ),
        (
            with_section("access", [access(principal=DEV["cluster"]["admins"][0])]),
            "access[0].principal",
            "arn:aws:iam::111111111111:role/PlatformAdmin is also in cluster.admins",
        ),
        (
            with_section("access", [access(principal=DEV["cluster"]["viewers"][0])]),
            "access[0].principal",
            "is also in cluster.viewers",
        ),
        # guardduty
        (
            security(guardduty={"mode": "on"}),
            "security.guardduty.mode",
            "'create', 'existing' or 'off'",
        ),
        (
            security(guardduty={"mode": "create", "finding_publishing_frequency": "DAILY"}),
            "security.guardduty.finding_publishing_frequency",
            "'FIFTEEN_MINUTES'",
        ),
        (
            security(guardduty={"mode": "off", "agent": "addon"}),
            "security.guardduty.agent",
            "agent: addon needs GuardDuty",
        ),
        (
            security(guardduty={"mode": "create", "agent_version": "v1.0.0-eksbuild.1"}),
            "security.guardduty.agent_version",
            "only applies with agent: addon",
        ),
        (
            security(guardduty={"mode": "create", "agent": "addon", "agent_version": "1.0"}),
            "security.guardduty.agent_version",
            "not an add-on version",
        ),
        (
            security(guardduty={"mode": "create", "agent": "addon"}),
            "network.interface_endpoints",
            "add guardduty-data to network.interface_endpoints",
        ),
        # registries and scanning
        (
            security(registries=[{"name": "Shop/API"}]),
            "security.registries[0].name",
            "not an ECR repository name",
        ),
        (
            security(registries=[{"name": "shop/api\n"}]),
            "security.registries[0].name",
            "not an ECR repository name",
        ),
        (
            security(registries=[{"name": "shop/api", "keep_images": 0}]),
            "security.registries[0].keep_images",
            "greater than or equal to 1",
        ),
        (
            security(registries=[{"name": "shop/api", "untagged_expiry_days": 0}]),
            "security.registries[0].untagged_expiry_days",
            "greater than or equal to 1",
        ),
        (
            security(registries=[{"name": "a/b", "push_principals": ["arn:aws:iam::1:role/CI"]}]),
            "security.registries[0].push_principals[0]",
            "not an IAM role or user ARN",
        ),
        (
            security(
                registries=[
                    {"name": "a/b", "pull_principals": [f"arn:aws:iam::{ACCOUNT}:role/R"] * 2}
                ]
            ),
            "security.registries[0].pull_principals[1]",
            "is listed more than once",
        ),
        (
            security(registries=[{"name": "a/b"}, {"name": "a/b"}]),
            "security.registries[1].name",
            "repository a/b is listed more than once",
        ),
        (
            security(enhanced_scanning={"frequency": "DAILY"}),
            "security.enhanced_scanning.frequency",
            "'CONTINUOUS_SCAN' or 'SCAN_ON_PUSH'",
        ),
        (
            security(enhanced_scanning={"filters": ["Shop API"]}),
            "security.enhanced_scanning.filters[0]",
            "not a repository name pattern",
        ),
        (
            security(enhanced_scanning={"filters": ["a" + "*" * 60 + "!"]}),
            "security.enhanced_scanning.filters[0]",
            "not a repository name pattern",
        ),
    ],
)
def test_invalid_identity_and_security_fields(
    tmp_path: Path, data: Any, field: str, fragment: str
) -> None:
    # GIVEN dev.yaml with one bad value WHEN it loads THEN one line names the field and the fix
    found = problems(tmp_path, data)
    assert any(f": {field}: " in p and fragment in p for p in found), found


def test_wildcards_with_a_reason_are_accepted(tmp_path: Path) -> None:
    # GIVEN a wildcard resource and an AWS-managed policy, with a reason
    data = with_identities(
        identity(
            managed_policy_arns=["arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"],
            policy_statements=[{"actions": ["cloudwatch:GetMetricData"], "resources": ["*"]}],
            exception_reason=GOOD_REASON,
        )
    )
    # WHEN it loads THEN the entry is kept as written
    config = load_config(write(tmp_path, data))
    assert config.workload_identities[0].exception_reason == GOOD_REASON


SPOT_ROLE = {"spot_service_linked_role": "existing"}  # dev's Karpenter pool uses Spot


def _two_envs(tmp_path: Path, first: dict[str, Any], second: dict[str, Any]) -> list[str]:
    one = with_section("security", {**first, **SPOT_ROLE})
    two = with_section("security", {**second, **SPOT_ROLE})
    two["name"] = "dev2"
    paths = [write(tmp_path, one, "a.yaml"), write(tmp_path, two, "b.yaml")]
    with pytest.raises(ConfigError) as caught:
        load_configs(paths)
    return caught.value.problems


@pytest.mark.parametrize(
    ("first", "second", "fragment"),
    [
        (
            {"guardduty": {"mode": "create"}},
            {"guardduty": {"mode": "create"}},
            "GuardDuty allows one detector per account and region",
        ),
        (
            {"registries": [{"name": "shop/api"}]},
            {"registries": [{"name": "shop/api"}]},
            "repository 'shop/api' is in environments dev and dev2",
        ),
        (
            {"enhanced_scanning": {}},
            {"enhanced_scanning": {}},
            "one registry scanning configuration per account and region",
        ),
    ],
)
def test_account_wide_resources_clash_across_files(
    tmp_path: Path, first: dict[str, Any], second: dict[str, Any], fragment: str
) -> None:
    # GIVEN two environments in one account and region WHEN both create the same
    # account-level resource THEN loading them together fails, naming both
    found = _two_envs(tmp_path, first, second)
    assert any(fragment in p for p in found), found


def test_detector_in_two_regions_of_one_account_is_fine(tmp_path: Path) -> None:
    one = with_section("security", {"guardduty": {"mode": "create"}, **SPOT_ROLE})
    two = copy.deepcopy(one)
    two["name"] = "dev2"
    two["region"] = "eu-central-1"
    two["availability_zones"] = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
    configs = load_configs([write(tmp_path, one, "a.yaml"), write(tmp_path, two, "b.yaml")])
    assert [c.security.guardduty.mode for c in configs] == ["create", "create"]


def test_shipped_environments_use_each_guardduty_mode() -> None:
    from stacks.app_builder import config_paths

    modes = {c.name: c.security.guardduty.mode for c in load_configs(config_paths(None, None))}
    assert modes == {"dev": "off", "staging": "existing", "prod": "create"}


def test_a_service_account_name_may_have_dots(tmp_path: Path) -> None:
    # Service account names are DNS-1123 subdomains (namespaces stay labels).
    data = with_identities(identity(service_account="api.v2"), identity(service_account="a" * 253))
    config = load_config(write(tmp_path, data))
    assert [e.service_account for e in config.workload_identities] == ["api.v2", "a" * 253]
