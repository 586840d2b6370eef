"""Account security stack: GuardDuty per mode, ECR repositories, and deliberate key policies."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam

from eks_blueprint.registry import Registry, RegistryProps, RepositorySpec
from eks_blueprint.threat_detection import (
    ThreatDetection,
    ThreatDetectionProps,
    add_guardduty_agent,
)
from tests.conftest import ENVIRONMENTS, SynthResult, only, resources_of

# --- GuardDuty ------------------------------------------------------------------------


def test_prod_creates_a_detector_with_eks_audit_logs_and_managed_runtime_agent(
    synth: SynthResult,
) -> None:
    detector = only(synth.template("prod", "security"), "AWS::GuardDuty::Detector")
    props = detector["Properties"]
    assert props["Enable"] is True
    assert props["FindingPublishingFrequency"] == "FIFTEEN_MINUTES"
    assert "DataSources" not in props  # Features replace DataSources; both is an API error
    features = {f["Name"]: f for f in props["Features"]}
    assert set(features) == {"EKS_AUDIT_LOGS", "RUNTIME_MONITORING"}
    assert all(f["Status"] == "ENABLED" for f in features.values())
    assert features["RUNTIME_MONITORING"]["AdditionalConfiguration"] == [
        {"Name": "EKS_ADDON_MANAGEMENT", "Status": "ENABLED"}
    ]


@pytest.mark.parametrize("env", ["dev", "staging"])
def test_existing_and_off_create_no_detector(synth: SynthResult, env: str) -> None:
    for kind, template in synth.templates[env].items():
        assert not resources_of(template, "AWS::GuardDuty::Detector"), kind


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_managed_agent_means_no_guardduty_addon_in_the_cluster_stack(
    synth: SynthResult, env: str
) -> None:
    addons = resources_of(synth.template(env, "cluster"), "AWS::EKS::Addon").values()
    assert "aws-guardduty-agent" not in [a["Properties"]["AddonName"] for a in addons]


# --- ECR ------------------------------------------------------------------------------



def repository_named(template: dict[str, Any], name: str) -> dict[str, Any]:
    """The ECR repository `name` of a security template (dev has two)."""
    found = [r for r in resources_of(template, "AWS::ECR::Repository").values()
             if r["Properties"]["RepositoryName"] == name]
    assert len(found) == 1, name
    return found[0]

@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_repository_is_scanned_immutable_encrypted_and_expires_images(
    synth: SynthResult, env: str, configs: dict[str, Any]
) -> None:
    template = synth.template(env, "security")
    spec = configs[env].security.registries[0]
    repo = repository_named(template, spec.name)
    props = repo["Properties"]
    key_id = next(iter(resources_of(template, "AWS::KMS::Key")))
    assert props["RepositoryName"] == spec.name
    assert props["ImageScanningConfiguration"] == {"ScanOnPush": True}
    assert props["ImageTagMutability"] == "IMMUTABLE"
    assert props["EncryptionConfiguration"] == {
        "EncryptionType": "KMS",
        "KmsKey": {"Fn::GetAtt": [key_id, "Arn"]},
    }
    rules = json.loads(props["LifecyclePolicy"]["LifecyclePolicyText"])["rules"]
    untagged, keep = sorted(rules, key=lambda r: r["rulePriority"])
    assert untagged["selection"] == {
        "tagStatus": "untagged",
        "countType": "sinceImagePushed",
        "countNumber": spec.untagged_expiry_days,
        "countUnit": "days",
    }
    assert keep["selection"] == {
        "tagStatus": "any",
        "countType": "imageCountMoreThan",
        "countNumber": spec.keep_images,
    }


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_repository_policy_grants_push_only_to_the_listed_ci_role(
    synth: SynthResult, env: str, configs: dict[str, Any]
) -> None:
    spec = configs[env].security.registries[0]
    policy = repository_named(synth.template(env, "security"), spec.name)["Properties"][
        "RepositoryPolicyText"
    ]
    (push,) = policy["Statement"]
    assert push["Sid"] == "Push" and push["Effect"] == "Allow"
    assert push["Principal"] == {"AWS": spec.push_principals[0]}
    assert "ecr:PutImage" in push["Action"] and "ecr:DeleteRepository" not in push["Action"]
    assert not any("*" in a for a in push["Action"])


@pytest.mark.parametrize(
    ("env", "policy"), [("prod", "Retain"), ("staging", "Retain"), ("dev", "Delete")]
)
def test_repositories_and_their_key_follow_the_retention_setting(
    synth: SynthResult, env: str, policy: str
) -> None:
    template = synth.template(env, "security")
    for type_ in ("AWS::ECR::Repository", "AWS::KMS::Key"):
        for resource in resources_of(template, type_).values():
            assert resource["DeletionPolicy"] == policy
            assert resource["UpdateReplacePolicy"] == policy
    assert only(template, "AWS::KMS::Key")["Properties"]["EnableKeyRotation"] is True
    # A destroyable repository is emptied first, or stack deletion fails once it has images.
    for repository in resources_of(template, "AWS::ECR::Repository").values():
        assert repository["Properties"].get("EmptyOnDelete", False) is (policy == "Delete")


def test_prod_enhanced_scanning_is_continuous_for_its_repositories(synth: SynthResult) -> None:
    scanning = only(synth.template("prod", "security"), "AWS::ECR::RegistryScanningConfiguration")
    assert scanning["Properties"] == {
        "ScanType": "ENHANCED",
        "Rules": [
            {
                "ScanFrequency": "CONTINUOUS_SCAN",
                "RepositoryFilters": [{"Filter": "shop/*", "FilterType": "WILDCARD"}],
            }
        ],
    }


# --- keys and Lambdas across everything -------------------------------------------------


def _key_policies(synth: SynthResult) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{env}/{kind}/{lid}", statement)
        for env, stacks in synth.templates.items()
        for kind, template in stacks.items()
        for lid, key in resources_of(template, "AWS::KMS::Key").items()
        for statement in key["Properties"]["KeyPolicy"]["Statement"]
    ]


def test_no_key_policy_gives_kms_star_to_anyone_but_the_account_root(
    synth: SynthResult, configs: dict[str, Any]
) -> None:
    statements = _key_policies(synth)
    assert statements
    for where, statement in statements:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        if "kms:*" in actions:
            env = where.split("/")[0]
            assert statement["Principal"] == {"AWS": f"arn:aws:iam::{configs[env].account}:root"}, (
                where
            )


def test_security_stack_has_no_lambda_and_irsa_adds_none(synth: SynthResult) -> None:
    # The cluster stack may carry the kubectl provider (add-ons); identity adds no Lambda:
    # no OIDC provider custom resource, no CfnJson.
    for env, stacks in synth.templates.items():
        types = {r["Type"] for r in stacks["security"]["Resources"].values()}
        assert not {t for t in types if t.startswith("Custom::") or "Lambda" in t}, env
        cluster_types = {r["Type"] for r in stacks["cluster"]["Resources"].values()}
        assert not cluster_types & {
            "Custom::AWSCDKOpenIdConnectProvider",
            "Custom::AWSCDKCfnJson",
        }, env


# --- construct variants ---------------------------------------------------------------


@pytest.fixture(scope="module")
def variants() -> dict[str, Any]:
    app = App()
    addon = Stack(app, "AddonAgent")
    ThreatDetection(
        addon,
        "ThreatDetection",
        props=ThreatDetectionProps(runtime_agent="addon", finding_publishing_frequency="SIX_HOURS"),
    )
    cluster = eks.Cluster.from_cluster_attributes(addon, "Cluster", cluster_name="c")
    first = add_guardduty_agent(cluster, "v1.10.0-eksbuild.2")
    again = add_guardduty_agent(cluster)
    pull = Stack(app, "Pull")
    Registry(
        pull,
        "Registry",
        props=RegistryProps(
            repositories=(
                RepositorySpec(
                    name="team/app",
                    pull_principals=(iam.ArnPrincipal("arn:aws:iam::444455556666:role/Reader"),),
                ),
            )
        ),
    )
    with pytest.raises(ValueError) as empty:
        Registry(Stack(app, "Empty"), "Registry", props=RegistryProps())
    assembly = app.synth()
    return {
        "addon": assembly.get_stack_by_name("AddonAgent").template,
        "pull": assembly.get_stack_by_name("Pull").template,
        "same_addon": first is again,
        "empty_error": str(empty.value),
    }


def test_addon_agent_mode_turns_off_guardduty_agent_management(variants: dict[str, Any]) -> None:
    detector = only(variants["addon"], "AWS::GuardDuty::Detector")["Properties"]
    runtime = next(f for f in detector["Features"] if f["Name"] == "RUNTIME_MONITORING")
    assert runtime["Status"] == "ENABLED"
    assert runtime["AdditionalConfiguration"] == [
        {"Name": "EKS_ADDON_MANAGEMENT", "Status": "DISABLED"}
    ]
    assert detector["FindingPublishingFrequency"] == "SIX_HOURS"


def test_guardduty_agent_addon_is_added_once_with_its_version(variants: dict[str, Any]) -> None:
    addon = only(variants["addon"], "AWS::EKS::Addon")["Properties"]
    assert addon["AddonName"] == "aws-guardduty-agent"
    assert addon["AddonVersion"] == "v1.10.0-eksbuild.2"
    assert variants["same_addon"]


def test_pull_principals_get_only_pull_actions(variants: dict[str, Any]) -> None:
    policy = only(variants["pull"], "AWS::ECR::Repository")["Properties"]["RepositoryPolicyText"]
    (pull,) = policy["Statement"]
    assert pull["Sid"] == "Pull"
    assert pull["Principal"] == {"AWS": "arn:aws:iam::444455556666:role/Reader"}
    assert sorted(pull["Action"]) == [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
    ]


def test_an_empty_registry_is_refused(variants: dict[str, Any]) -> None:
    assert "repositories or enhanced_scanning" in variants["empty_error"]
