"""ControlPlane: the EKS cluster of every environment, setting by setting."""

from __future__ import annotations

from typing import Any

import pytest

from eks_blueprint.control_plane import principal_id
from tests.conftest import ENVIRONMENTS, SynthResult, arn_text, only, resources_of


def cluster_template(synth: SynthResult, env: str) -> dict[str, Any]:
    return synth.template(env, "cluster")


def cluster_of(synth: SynthResult, env: str) -> dict[str, Any]:
    return only(cluster_template(synth, env), "AWS::EKS::Cluster")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_version_and_name_from_config(template_of: Any, configs: Any, env: str) -> None:
    template_of(env, "cluster").has_resource_properties(
        "AWS::EKS::Cluster",
        {"Name": configs[env].cluster.name, "Version": configs[env].cluster.version},
    )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_all_five_log_types(template_of: Any, env: str) -> None:
    template_of(env, "cluster").has_resource_properties(
        "AWS::EKS::Cluster",
        {
            "Logging": {
                "ClusterLogging": {
                    "EnabledTypes": [
                        {"Type": "api"},
                        {"Type": "audit"},
                        {"Type": "authenticator"},
                        {"Type": "controllerManager"},
                        {"Type": "scheduler"},
                    ]
                }
            }
        },
    )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_log_group_created_first_encrypted_with_retention(
    synth: SynthResult, configs: Any, env: str
) -> None:
    template = cluster_template(synth, env)
    groups = resources_of(template, "AWS::Logs::LogGroup")
    (group_id, group) = next(iter(groups.items()))
    assert group["Properties"]["LogGroupName"] == f"/aws/eks/{configs[env].cluster.name}/cluster"
    assert group["Properties"]["RetentionInDays"] == configs[env].cluster.logging.retention_days
    key = template["Resources"][group["Properties"]["KmsKeyId"]["Fn::GetAtt"][0]]
    assert key["Type"] == "AWS::KMS::Key"
    assert group_id in cluster_of(synth, env)["DependsOn"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_secrets_encrypted_with_rotating_customer_key(synth: SynthResult, env: str) -> None:
    template = cluster_template(synth, env)
    (encryption,) = cluster_of(synth, env)["Properties"]["EncryptionConfig"]
    assert encryption["Resources"] == ["secrets"]
    key = template["Resources"][encryption["Provider"]["KeyArn"]["Fn::GetAtt"][0]]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True


@pytest.mark.parametrize(
    ("env", "policy"), [("dev", "Delete"), ("staging", "Retain"), ("prod", "Retain")]
)
def test_keys_and_log_group_retained_where_configured(
    synth: SynthResult, env: str, policy: str
) -> None:
    # Every key and log group of the cluster stack (control plane, add-ons, and the function
    # that applies the Kubernetes layers, as aws_eks_v2's kubectl provider's were)
    template = cluster_template(synth, env)
    stateful = {
        **resources_of(template, "AWS::KMS::Key"),
        **resources_of(template, "AWS::Logs::LogGroup"),
    }
    assert {
        "ControlPlaneLogKey6B346203",
        "ControlPlaneSecretsKey72FED211",
        "ControlPlaneLogGroup8A392AC5",
        "ControlPlaneKubernetesProviderHandlerLogs9C6C7619",
        "ControlPlaneKubernetesProviderFrameworkLogsD003AD57",
    } <= set(stateful)
    for resource in stateful.values():
        assert resource["DeletionPolicy"] == policy
        assert resource["UpdateReplacePolicy"] == policy


def test_private_endpoint_in_prod(synth: SynthResult) -> None:
    vpc_config = cluster_of(synth, "prod")["Properties"]["ResourcesVpcConfig"]
    assert vpc_config["EndpointPrivateAccess"] is True
    assert vpc_config["EndpointPublicAccess"] is False
    assert "PublicAccessCidrs" not in vpc_config


@pytest.mark.parametrize("env", ["dev", "staging"])
def test_public_endpoint_restricted_to_listed_cidrs(
    synth: SynthResult, configs: Any, env: str
) -> None:
    vpc_config = cluster_of(synth, env)["Properties"]["ResourcesVpcConfig"]
    assert vpc_config["EndpointPrivateAccess"] is True
    assert vpc_config["EndpointPublicAccess"] is True
    assert vpc_config["PublicAccessCidrs"] == configs[env].cluster.endpoint.public_cidrs
    assert "0.0.0.0/0" not in vpc_config["PublicAccessCidrs"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_control_plane_in_private_subnets(synth: SynthResult, env: str) -> None:
    subnet_ids = cluster_of(synth, env)["Properties"]["ResourcesVpcConfig"]["SubnetIds"]
    outputs = [s["Fn::ImportValue"] for s in subnet_ids]
    assert len(outputs) == 3 and all("PrivateSubnet" in o for o in outputs)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_api_authentication_without_creator_admin(template_of: Any, env: str) -> None:
    template_of(env, "cluster").has_resource_properties(
        "AWS::EKS::Cluster",
        {
            "AccessConfig": {
                "AuthenticationMode": "API",
                "BootstrapClusterCreatorAdminPermissions": False,
            }
        },
    )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_deletion_protection_and_upgrade_policy_from_config(
    synth: SynthResult, configs: Any, env: str
) -> None:
    props = cluster_of(synth, env)["Properties"]
    assert props["DeletionProtection"] is configs[env].cluster.deletion_protection
    assert props["UpgradePolicy"] == {"SupportType": configs[env].cluster.upgrade_policy.upper()}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_access_entries_for_admins_and_viewers(synth: SynthResult, configs: Any, env: str) -> None:
    entries = resources_of(cluster_template(synth, env), "AWS::EKS::AccessEntry").values()
    # Entries for roles created here (nodes, kubectl) have token ARNs; these are literal.
    by_principal = {
        e["Properties"]["PrincipalArn"]: e["Properties"]
        for e in entries
        if isinstance(e["Properties"]["PrincipalArn"], str)
    }
    expected = {arn: "AmazonEKSClusterAdminPolicy" for arn in configs[env].cluster.admins}
    expected |= {arn: "AmazonEKSViewPolicy" for arn in configs[env].cluster.viewers}
    for arn, policy in expected.items():
        (association,) = by_principal[arn]["AccessPolicies"]
        assert association["AccessScope"] == {"Type": "cluster"}
        assert arn_text(association["PolicyArn"]) == (
            f"arn:aws:eks::aws:cluster-access-policy/{policy}"
        )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_no_auto_mode_and_no_default_capacity(synth: SynthResult, env: str) -> None:
    template = cluster_template(synth, env)
    props = cluster_of(synth, env)["Properties"]
    assert props["ComputeConfig"] == {"Enabled": False}
    # Node groups come only from compute config (NodeGroups...), never aws_eks_v2's default.
    for logical_id in resources_of(template, "AWS::EKS::Nodegroup"):
        assert logical_id.startswith("NodeGroups"), logical_id


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_lambdas_only_for_the_kubernetes_layers(synth: SynthResult, env: str) -> None:
    # The cluster itself is native; Lambdas appear only to apply charts and manifests: the
    # layers' handler and its custom-resource framework (no aws_eks_v2 kubectl provider).
    template = cluster_template(synth, env)
    functions = resources_of(template, "AWS::Lambda::Function")
    assert len(functions) == 2
    for logical_id in functions:
        assert logical_id.startswith("ControlPlaneKubernetesProvider"), logical_id


def test_no_aws_auth_config_map_anywhere(synth: SynthResult) -> None:
    for env in ENVIRONMENTS:
        for template in synth.templates[env].values():
            assert "aws-auth" not in str(template)


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        ("arn:aws:iam::111111111111:role/PlatformAdmin", "RolePlatformAdmin"),
        ("arn:aws:iam::111111111111:role/team/path/DevOps1", "RoleDevOps1"),
        ("arn:aws:iam::111111111111:role/team/path/Dev-Ops_1", "RoleDevOps13CBD03"),
        ("arn:aws:iam::111111111111:user/alice.smith", "Useralicesmith634258"),
        ("arn:aws:iam::222222222222:role/Developer", "RoleDeveloperIn222222222222"),
    ],
)
def test_access_entry_ids_come_from_the_principal(arn: str, expected: str) -> None:
    assert principal_id(arn, "111111111111") == expected


def test_principals_that_clean_to_one_name_get_distinct_ids() -> None:
    # GIVEN the same role name in two accounts, and two names differing in punctuation
    arns = [
        "arn:aws:iam::111111111111:role/Developer",
        "arn:aws:iam::222222222222:role/Developer",
        "arn:aws:iam::111111111111:role/DevOps",
        "arn:aws:iam::111111111111:role/Dev-Ops",
        "arn:aws:iam::111111111111:role/Dev.Ops",
    ]
    ids = [principal_id(arn, "111111111111") for arn in arns]
    # THEN every id differs, and the plain home-account names keep their short ids
    assert len(set(ids)) == len(ids)
    assert ids[0] == "RoleDeveloper" and ids[2] == "RoleDevOps"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_cluster_role_has_only_the_eks_cluster_policy(
    synth: SynthResult, configs: Any, env: str
) -> None:
    """The EKS cluster policy, plus AmazonEKSVPCResourceController exactly where the VPC
    resource controller needs it: security groups for pods (vpc_cni.pod_eni) or Windows
    nodes (EKS user guide)."""
    config = configs[env]
    role = next(
        r
        for r in resources_of(cluster_template(synth, env), "AWS::IAM::Role").values()
        if "eks.amazonaws.com" in str(r["Properties"]["AssumeRolePolicyDocument"])
    )
    expected = ["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"]
    windows = any(g.windows for g in config.compute.node_groups)
    if config.addons.vpc_cni.pod_eni or windows:
        expected.append("arn:aws:iam::aws:policy/AmazonEKSVPCResourceController")
    assert [arn_text(p) for p in role["Properties"]["ManagedPolicyArns"]] == expected


def test_prod_gives_the_cluster_role_the_vpc_resource_controller(configs: Any) -> None:
    # the case above that adds the policy is exercised by a shipped environment
    assert configs["prod"].addons.vpc_cni.pod_eni


def test_only_the_cluster_and_its_data_are_retained_not_access(synth: SynthResult) -> None:
    """Retaining access entries would keep access after a principal leaves the config."""
    template = cluster_template(synth, "prod")
    assert cluster_of(synth, "prod")["DeletionPolicy"] == "Retain"
    entries = resources_of(template, "AWS::EKS::AccessEntry")
    assert entries
    assert all(e.get("DeletionPolicy", "Delete") == "Delete" for e in entries.values())
    roles = resources_of(template, "AWS::IAM::Role")
    assert all(r.get("DeletionPolicy", "Delete") == "Delete" for r in roles.values())
