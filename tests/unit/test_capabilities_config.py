"""`capabilities:`: off by default, the example, one refusal per rule naming the file, the
field and the fix, and the translation into the constructs' props."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from eks_blueprint import capability_rules as rules
from eks_blueprint.config import load_config
from eks_blueprint.config.capabilities import CapabilitiesConfig, argocd_is_private
from stacks.app_builder import CONFIG_DIR
from tests.unit.test_config import mutate, problems, write

INSTANCE = "arn:aws:sso:::instance/ssoins-1234567890abcdef"
GROUP = "11111111-1111-1111-1111-111111111111"
ARGOCD: dict[str, Any] = {"identity_center_instance_arn": INSTANCE}
SQS: dict[str, Any] = {
    "actions": ["sqs:CreateQueue"],
    "resources": ["arn:aws:sqs:eu-west-1:111111111111:orders"],
}
WILD: dict[str, Any] = {"actions": ["sqs:*"], "resources": ["*"], "reason": "x" * 20}


def with_capabilities(**capabilities: Any) -> dict[str, Any]:
    """dev.yaml with `capabilities:` set."""
    return mutate(capabilities=copy.deepcopy(capabilities))


def test_off_by_default_and_present_means_on(tmp_path: Path) -> None:
    assert CapabilitiesConfig() == CapabilitiesConfig(argocd=None, ack=None, kro=None)
    assert not CapabilitiesConfig().needs_kubectl
    for name in ("dev", "staging", "prod"):
        assert load_config(CONFIG_DIR / f"{name}.yaml").capabilities == CapabilitiesConfig()
    config = load_config(write(tmp_path, with_capabilities(argocd=ARGOCD, kro={})))
    argocd, kro = config.capabilities.argocd, config.capabilities.kro
    assert argocd is not None and kro is not None
    assert (argocd.namespace, argocd.cluster_access, argocd.network_access) == (
        "argocd", "cluster-admin", None
    )
    assert kro.cluster_access == "none"
    assert config.capabilities.needs_kubectl


def test_argocd_follows_the_cluster_endpoint_unless_told(tmp_path: Path) -> None:
    # dev's endpoint is public_and_private: Argo CD is public by default there
    public = load_config(write(tmp_path, with_capabilities(argocd=ARGOCD)))
    assert not argocd_is_private(public)
    told = load_config(
        write(tmp_path, with_capabilities(argocd={**ARGOCD, "network_access": "private"}))
    )
    assert argocd_is_private(told)
    given = load_config(
        write(tmp_path, with_capabilities(argocd={**ARGOCD, "vpc_endpoint_ids": ["vpce-01234567"]}))
    )
    assert argocd_is_private(given)
    example = load_config(CONFIG_DIR / "examples" / "gitops.yaml")
    assert example.cluster.endpoint.access == "private" and argocd_is_private(example)


def test_the_example_shows_all_three() -> None:
    capabilities = load_config(CONFIG_DIR / "examples" / "gitops.yaml").capabilities
    assert capabilities.argocd is not None and capabilities.ack is not None
    assert capabilities.kro is not None
    assert capabilities.argocd.admins.groups and capabilities.argocd.viewers.groups
    resources = [r for p in capabilities.ack.permissions for r in p.resources]
    # Only ListAllMyBuckets (it takes no resource ARN) is on "*".
    assert resources == [
        "arn:aws:s3:::gitops-*",
        "*",
        "arn:aws:sqs:eu-west-1:999999999999:gitops-*",
    ]
    assert [p.actions for p in capabilities.ack.permissions if "*" in p.resources] == [
        ["s3:ListAllMyBuckets"]
    ]


MANY = [f"{n:08x}-0000-0000-0000-000000000000" for n in range(rules.MAX_IDENTITIES + 1)]


@pytest.mark.parametrize(
    ("capabilities", "fragment"),
    [
        ({"argocd": {}}, "capabilities.argocd.identity_center_instance_arn: "),
        ({"argocd": {"identity_center_instance_arn": "ssoins-1234567890abcdef"}},
         "capabilities.argocd.identity_center_instance_arn: not an IAM Identity Center"),
        ({"argocd": {"identity_center_instance_arn":
                     "arn:aws-cn:sso:::instance/ssoins-1234567890abcdef"}},
         "only the commercial partition"),
        ({"argocd": {**ARGOCD, "identity_center_region": "cn-north-1"}},
         "capabilities.argocd.identity_center_region: cn-north-1 is in partition aws-cn"),
        ({"argocd": {**ARGOCD, "admins": {"groups": ["platform-team"]}}},
         "capabilities.argocd.admins.groups[0]: not an Identity Store user or group id"),
        ({"argocd": {**ARGOCD, "admins": {"groups": [GROUP]}, "editors": {"groups": [GROUP]}}},
         "capabilities.argocd.editors.groups[0]: " + GROUP + " is listed under admins.groups[0]"),
        ({"argocd": {**ARGOCD, "viewers": {"users": MANY}}},
         f"capabilities.argocd.viewers.users[{rules.MAX_IDENTITIES}]: more than 1000"),
        ({"argocd": {**ARGOCD, "admins": {"teams": [GROUP]}}},
         "capabilities.argocd.admins.teams: unknown field"),
        ({"argocd": {**ARGOCD, "namespace": "kube-system"}},
         "capabilities.argocd.namespace: namespace 'kube-system' belongs to the cluster"),
        ({"argocd": {**ARGOCD, "namespace": "payments"}},
         "capabilities.argocd.namespace: 'payments' is the namespace of tenants[0].name"),
        ({"argocd": {**ARGOCD, "network_access": "vpn"}}, "capabilities.argocd.network_access"),
        ({"argocd": {**ARGOCD, "vpc_endpoint_ids": ["vpce-xyz"]}},
         "capabilities.argocd.vpc_endpoint_ids[0]: not a VPC endpoint id"),
        ({"argocd": {**ARGOCD, "network_access": "private",
                     "vpc_endpoint_ids": ["vpce-01234567", "vpce-01234567"]}},
         "capabilities.argocd.vpc_endpoint_ids[1]: vpce-01234567 is listed more than once"),
        ({"argocd": {**ARGOCD, "network_access": "public", "vpc_endpoint_ids": ["vpce-01234567"]}},
         "capabilities.argocd.vpc_endpoint_ids: endpoints give private access"),
        ({"argocd": {**ARGOCD, "network_access": "private", "endpoint_client_cidrs": ["0.0.0.0/0"]}},
         "capabilities.argocd.endpoint_client_cidrs[0]: the endpoint is for private access"),
        ({"argocd": {**ARGOCD, "vpc_endpoint_ids": ["vpce-01234567"],
                     "endpoint_client_cidrs": ["10.1.0.0/16"]}},
         "capabilities.argocd.endpoint_client_cidrs: these open the endpoint"),
        ({"argocd": {**ARGOCD, "endpoint_client_cidrs": ["10.1.0.0/16"]}},
         "capabilities.argocd.endpoint_client_cidrs: these open the private endpoint, and Argo "
         "CD is public here"),
        ({"argocd": {**ARGOCD, "code_connection_arns": ["arn:aws:s3:::repo"]}},
         "capabilities.argocd.code_connection_arns[0]: not a CodeConnections connection ARN"),
        ({"argocd": {**ARGOCD, "cluster_access": "admin"}}, "capabilities.argocd.cluster_access"),
        ({"ack": {}}, "capabilities.ack.permissions: an ACK role without permissions"),
        ({"ack": {"permissions": [{**SQS, "actions": ["*"]}]}},
         "capabilities.ack.permissions[0].actions[0]: '*' grants every AWS action"),
        ({"ack": {"permissions": [{**SQS, "actions": ["iam:*"], "reason": "x" * 20}]}},
         "capabilities.ack.permissions[0].actions[0]: a wildcard on iam"),
        ({"ack": {"permissions": [{**SQS, "actions": ["sts:Assume*"], "reason": "x" * 20}]}},
         "capabilities.ack.permissions[0].actions[0]: a wildcard on sts"),
        ({"ack": {"permissions": [{**SQS, "actions": []}]}},
         "capabilities.ack.permissions[0].actions: "),
        ({"ack": {"permissions": [{**SQS, "resources": ["orders"]}]}},
         "capabilities.ack.permissions[0].resources[0]: not an ARN"),
        ({"ack": {"permissions": [{**WILD, "reason": None}]}},
         "capabilities.ack.permissions[0].reason: sqs:*, * reach more than named"),
        ({"ack": {"permissions": [{**SQS, "reason": "x" * 20}]}},
         "capabilities.ack.permissions[0].reason: nothing here has a wildcard"),
        ({"ack": {"permissions": [{**WILD, "reason": "because"}]}},
         "capabilities.ack.permissions[0].reason: reason needs at least 20 characters"),
        ({"ack": {"administrator_access": {}}},
         "capabilities.ack.administrator_access.reason: "),
        ({"ack": {"administrator_access": {"reason": "short"}}},
         "capabilities.ack.administrator_access.reason: reason needs at least 20"),
        ({"ack": {"administrator_access": {"reason": "x" * 20}, "permissions": [SQS]}},
         "capabilities.ack.administrator_access: AdministratorAccess already allows"),
        ({"ack": {"permissions": [SQS], "disabled_services": ["S3"]}},
         "capabilities.ack.disabled_services[0]: not an ACK service name"),
        ({"ack": {"permissions": [SQS], "disabled_services": ["s3", "s3"]}},
         "capabilities.ack.disabled_services[1]: s3 is listed more than once"),
        ({"ack": {"permissions": [SQS], "disabled_services": [f"s{n}" for n in range(201)]}},
         "capabilities.ack.disabled_services: "),
        ({"ack": {"permissions": [SQS], "enable_cross_namespace": "yes"}},
         "capabilities.ack.enable_cross_namespace: "),
        ({"kro": {"cluster_access": "everything"}}, "capabilities.kro.cluster_access"),
        ({"flux": {}}, "capabilities.flux: unknown field"),
    ],
)  # fmt: skip
def test_bad_settings_are_refused_naming_file_field_and_fix(
    tmp_path: Path, capabilities: dict[str, Any], fragment: str
) -> None:
    found = problems(tmp_path, with_capabilities(**capabilities))
    assert any(fragment in p for p in found), found


def test_argocd_namespace_is_its_own(tmp_path: Path) -> None:
    # Karpenter's (a namespace of an add-on) and the demo's are taken too.
    data = with_capabilities(argocd={**ARGOCD, "namespace": "karpenter"})
    found = problems(tmp_path, data)
    assert any("capabilities.argocd.namespace: namespace 'karpenter' belongs" in p for p in found)
    data = with_capabilities(argocd={**ARGOCD, "namespace": "demo"})
    assert data["workloads"]["demo"]["enabled"]
    found = problems(tmp_path, data)
    assert any(
        "capabilities.argocd.namespace: 'demo' is the namespace of workloads.demo" in p
        for p in found
    ), found


def test_the_rules_are_the_librarys() -> None:
    with pytest.raises(ValueError, match="grants every AWS action"):
        rules.check_ack_action("*")
    assert rules.check_ack_action("s3:Get*") == "s3:Get*"
    assert rules.check_ack_action("iam:PassRole") == "iam:PassRole"
    for service in rules.ACK_SENSITIVE_SERVICES:
        with pytest.raises(ValueError, match=f"a wildcard on {service}"):
            rules.check_ack_action(f"{service}:*")
    assert rules.check_identity_center_instance_arn(INSTANCE) == INSTANCE
    assert rules.check_identity_id("a1b2c3d4e5-" + GROUP) == "a1b2c3d4e5-" + GROUP
    assert rules.check_vpce_id("vpce-0123456789abcdef0") == "vpce-0123456789abcdef0"
    with pytest.raises(ValueError, match="at most 200"):
        rules.check_disabled_services([f"s{n}" for n in range(201)])


def test_the_translation_passes_every_setting_to_the_props(tmp_path: Path) -> None:
    import aws_cdk as cdk
    from aws_cdk import aws_eks_v2 as eks

    from stacks.translate.capabilities import ack_props, argocd_props, kro_props
    from stacks.translate.cluster import kubectl_users

    argocd = {
        **ARGOCD,
        "identity_center_region": "us-east-1",
        "admins": {"groups": [GROUP]},
        "viewers": {"users": ["22222222-2222-2222-2222-222222222222"]},
        "namespace": "gitops",
        "vpc_endpoint_ids": ["vpce-01234567"],
        "ecr_pull": True,
        "code_connection_arns": ["arn:aws:codeconnections:eu-west-1:111111111111:connection/x"],
        "cluster_access": "none",
    }
    ack = {"permissions": [SQS, WILD], "disabled_services": ["ec2"],
           "enable_cross_namespace": True}  # fmt: skip
    data = with_capabilities(argocd=argocd, ack=ack, kro={"cluster_access": "cluster-admin"})
    config = load_config(write(tmp_path, data))
    stack = cdk.Stack(
        cdk.App(), "T", env=cdk.Environment(account="111111111111", region="eu-west-1")
    )
    cluster = eks.Cluster.from_cluster_attributes(stack, "C", cluster_name="dev")
    a = argocd_props(config, cluster)
    assert a is not None and a.cluster is cluster
    assert (a.identity_center_instance_arn, a.identity_center_region, a.namespace) == (
        INSTANCE, "us-east-1", "gitops"
    )
    assert (a.admins.groups, a.viewers.users, a.editors.groups) == (
        (GROUP,), ("22222222-2222-2222-2222-222222222222",), ()
    )
    assert (a.network_access, a.vpc_endpoint_ids, a.ecr_pull, a.cluster_access) == (
        "private", ("vpce-01234567",), True, "none"
    )
    assert a.code_connection_arns == tuple(argocd["code_connection_arns"])
    k = ack_props(config, cluster)
    assert k is not None and k.administrator_access_reason is None
    assert [(p.actions, p.resources, p.reason) for p in k.permissions] == [
        (("sqs:CreateQueue",), tuple(SQS["resources"]), None),
        (("sqs:*",), ("*",), "x" * 20),
    ]
    assert (k.disabled_services, k.enable_cross_namespace) == (("ec2",), True)
    r = kro_props(config, cluster)
    assert r is not None and r.cluster_access == "cluster-admin"
    # kro's deploy rights go through the cluster's Kubernetes layers
    assert any(u.startswith("capabilities:") for u in kubectl_users(config))
    # Without the section: nothing
    bare = load_config(CONFIG_DIR / "dev.yaml")
    assert argocd_props(bare, cluster) is None and ack_props(bare, cluster) is None
    assert kro_props(bare, cluster) is None
    admin = with_capabilities(ack={"administrator_access": {"reason": "y" * 20}})
    k = ack_props(load_config(write(tmp_path, admin)), cluster)
    assert k is not None and k.administrator_access_reason == "y" * 20 and not k.permissions


def test_the_example_synthesises_all_three_in_the_cluster_stack(example_synth: Any) -> None:
    from tests.conftest import resources_of

    template = example_synth.template("gitops", "cluster")
    capabilities = resources_of(template, "AWS::EKS::Capability")
    assert sorted(c["Properties"]["Type"] for c in capabilities.values()) == [
        "ACK", "ARGOCD", "KRO"
    ]
    # Under construct `Capabilities`, named after the cluster
    assert sorted(c["Properties"]["CapabilityName"] for c in capabilities.values()) == [
        "shop-gitops-ack", "shop-gitops-argocd", "shop-gitops-kro"
    ]
    assert all(k.startswith("Capabilities") for k in capabilities)
    endpoints = [
        e["Properties"]["ServiceName"]
        for e in resources_of(template, "AWS::EC2::VPCEndpoint").values()
    ]
    assert endpoints == ["com.amazonaws.eu-west-1.eks-capabilities"]
