"""The image pipeline: dev's `<env>-eks-delivery` (the demo's demo/web repository) and the
library construct with explicit props; the signing profile in the security stack."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks.runtime import use_supported_node

use_supported_node()

from aws_cdk import App, Environment, Stack  # noqa: E402
from aws_cdk import aws_codepipeline as codepipeline  # noqa: E402
from aws_cdk import aws_ecr as ecr  # noqa: E402
from aws_cdk import aws_iam as iam  # noqa: E402
from aws_cdk import aws_signer as signer  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402

from eks_blueprint.delivery import buildspecs  # noqa: E402
from eks_blueprint.delivery.eks_deploy_action import (  # noqa: E402
    AUTHORIZED_SERVICES,
    EksDeployAction,
    EksDeployActionProps,
)
from eks_blueprint.delivery.image_pipeline import (  # noqa: E402
    INSPECTOR_READ_ACTIONS,
    STAGES,
    ImagePipeline,
    ImagePipelineProps,
    ImageSource,
    RolloutTarget,
    failing_severities,
)
from eks_blueprint.validate_names import PropError  # noqa: E402
from eks_blueprint.workloads.demo import APP  # noqa: E402
from tests.conftest import CfnLint  # noqa: E402

CONNECTION = "arn:aws:codeconnections:eu-west-1:111111111111:connection/abc-123"


def resources(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def only(template: dict[str, Any], type_: str) -> dict[str, Any]:
    found = list(resources(template, type_).values())
    assert len(found) == 1, (type_, len(found))
    return found[0]["Properties"]


@pytest.fixture(scope="module")
def delivery(synth: Any) -> dict[str, Any]:
    return synth.template("dev", "delivery")


@pytest.fixture(scope="module")
def stages(delivery: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    pipeline = only(delivery, "AWS::CodePipeline::Pipeline")
    assert pipeline["PipelineType"] == "V2"
    return {s["Name"]: s["Actions"] for s in pipeline["Stages"]}


def project_of(template: dict[str, Any], action: dict[str, Any]) -> dict[str, Any]:
    logical_id = action["Configuration"]["ProjectName"]["Ref"]
    return template["Resources"][logical_id]["Properties"]


def spec_of(project: dict[str, Any]) -> dict[str, Any]:
    spec = yaml.safe_load(project["Source"]["BuildSpec"])
    assert spec["version"] == "0.2"
    return spec


def commands(spec: dict[str, Any]) -> str:
    return "\n".join(c for phase in spec["phases"].values() for c in phase.get("commands", []))


# --- the shipped environments -----------------------------------------------------------


def test_only_dev_has_a_delivery_stack_and_every_env_a_signing_profile(synth: Any) -> None:
    # The pipeline signs in dev only; the profile is in every environment because governance
    # verifies signatures (image_verification enforce or audit) in each of them.
    assert "delivery" in synth.templates["dev"]
    for env in ("staging", "prod"):
        assert "delivery" not in synth.templates[env]
    for env in ("dev", "staging", "prod"):
        profile = only(synth.template(env, "security"), "AWS::Signer::SigningProfile")
        assert profile["PlatformId"] == "Notation-OCI-SHA384-ECDSA"


def test_stages_in_order(stages: dict[str, list[dict[str, Any]]]) -> None:
    assert tuple(stages) == STAGES
    source = stages["Source"][0]
    assert source["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    assert source["Configuration"]["FullRepositoryId"] == "example-org/demo-nodejs-backend"
    assert source["Namespace"] == "SourceVariables"
    build = {a["Name"]: a.get("RunOrder", 1) for a in stages["Build"]}
    assert build == {"Build-amd64": 1, "Build-arm64": 1, "Manifest": 2}
    # every CodeBuild step is tagged with the commit id
    for name in ("Build", "ScanGate", "Sign"):
        for action in stages[name]:
            variables = json.loads(action["Configuration"]["EnvironmentVariables"])
            assert {"name": "IMAGE_TAG", "type": "PLAINTEXT",
                    "value": "#{SourceVariables.CommitId}"} in variables


def test_native_builds_on_pinned_images(
    delivery: dict[str, Any], stages: dict[str, list[dict[str, Any]]]
) -> None:
    by_name = {a["Name"]: project_of(delivery, a)["Environment"] for a in stages["Build"]}
    assert by_name["Build-amd64"]["Image"] == "aws/codebuild/amazonlinux-x86_64-standard:5.0"
    assert by_name["Build-amd64"]["Type"] == "LINUX_CONTAINER"
    assert by_name["Build-arm64"]["Image"] == "aws/codebuild/amazonlinux-aarch64-standard:3.0"
    assert by_name["Build-arm64"]["Type"] == "ARM_CONTAINER"
    for env in by_name.values():
        assert env["PrivilegedMode"] is True
    for name in ("ScanGate", "Sign"):
        env = project_of(delivery, stages[name][0])["Environment"]
        assert env["Image"] == "aws/codebuild/amazonlinux-x86_64-standard:5.0"
        assert env["PrivilegedMode"] is False
    for project in resources(delivery, "AWS::CodeBuild::Project").values():
        assert ":latest" not in project["Properties"]["Environment"]["Image"]
        assert "EncryptionKey" in project["Properties"]


def test_buildspecs_run_what_they_claim(
    delivery: dict[str, Any], stages: dict[str, list[dict[str, Any]]]
) -> None:
    build = {a["Name"]: commands(spec_of(project_of(delivery, a))) for a in stages["Build"]}
    for arch in ("amd64", "arm64"):
        text = build[f"Build-{arch}"]
        assert 'docker build --platform "linux/$ARCH"' in text
        assert 'docker push "$REPOSITORY_URI:$IMAGE_TAG-$ARCH"' in text
        assert "docker login" in text
    assert 'docker manifest create "$REPOSITORY_URI:$IMAGE_TAG"' in build["Manifest"]
    assert 'docker manifest push "$REPOSITORY_URI:$IMAGE_TAG"' in build["Manifest"]
    gate = commands(spec_of(project_of(delivery, stages["ScanGate"][0])))
    assert "aws ecr describe-image-scan-findings" in gate
    assert "imageScanStatus.status" in gate and "findingSeverityCounts" in gate
    sign_spec = spec_of(project_of(delivery, stages["Sign"][0]))
    sign = commands(sign_spec)
    assert f"notation/cmd/notation@{buildspecs.NOTATION_VERSION}" in sign
    assert f"aws-signer-notation-plugin/cmd@{buildspecs.SIGNER_PLUGIN_VERSION}" in sign
    assert "notation sign --plugin com.amazonaws.signer.notation.plugin" in sign
    assert '"$REPOSITORY_URI@$DIGEST"' in sign
    assert "MANIFEST_TEMPLATE" in sign and buildspecs.MANIFEST_FILE in sign
    assert sign_spec["artifacts"]["files"] == [buildspecs.MANIFEST_FILE]


def test_scan_gate_threshold_from_config(
    delivery: dict[str, Any], stages: dict[str, list[dict[str, Any]]]
) -> None:
    env = project_of(delivery, stages["ScanGate"][0])["Environment"]
    variables = {v["Name"]: v["Value"] for v in env["EnvironmentVariables"]}
    assert variables["FAIL_ON"] == "CRITICAL HIGH"  # dev: fail_on_severity HIGH
    assert variables["PLATFORMS"] == "amd64 arm64"
    assert failing_severities("LOW") == ("CRITICAL", "HIGH", "MEDIUM", "LOW")
    assert failing_severities("CRITICAL") == ("CRITICAL",)


def test_the_sign_step_renders_the_demo_deployment(
    delivery: dict[str, Any], stages: dict[str, list[dict[str, Any]]]
) -> None:
    env = project_of(delivery, stages["Sign"][0])["Environment"]
    variables = {v["Name"]: v["Value"] for v in env["EnvironmentVariables"]}
    deployment = json.loads(variables["MANIFEST_TEMPLATE"])
    assert deployment["kind"] == "Deployment"
    assert deployment["metadata"] == {**deployment["metadata"], "name": APP, "namespace": "demo"}
    assert variables["CONTAINER"] == APP
    assert all(v.get("Type", "PLAINTEXT") == "PLAINTEXT" for v in env["EnvironmentVariables"])


def test_eks_deploy_action_shape(
    delivery: dict[str, Any], stages: dict[str, list[dict[str, Any]]]
) -> None:
    (action,) = stages["Deploy"]
    assert action["ActionTypeId"] == {
        "Category": "Deploy", "Owner": "AWS", "Provider": "EKS", "Version": "1"
    }
    config = action["Configuration"]
    # the keys of the CodePipeline action reference ("Subnets", not "SubnetIds")
    assert set(config) == {
        "ClusterName", "ManifestFiles", "Namespace", "Subnets", "SecurityGroupIds"
    }
    assert config["ManifestFiles"] == buildspecs.MANIFEST_FILE
    assert config["Namespace"] == "demo"
    assert "Fn::ImportValue" in config["ClusterName"]  # strong reference to the cluster
    assert "Fn::ImportValue" in config["SecurityGroupIds"]
    assert "Fn::ImportValue" in json.dumps(config["Subnets"])
    sign_outputs = [o["Name"] for o in stages["Sign"][0]["OutputArtifacts"]]
    assert [i["Name"] for i in action["InputArtifacts"]] == sign_outputs
    role_id = action["RoleArn"]["Fn::GetAtt"][0]
    assert delivery["Resources"][role_id]["Type"] == "AWS::IAM::Role"


def test_access_entry_is_namespace_scoped_edit(
    delivery: dict[str, Any], stages: dict[str, list[dict[str, Any]]]
) -> None:
    entry = only(delivery, "AWS::EKS::AccessEntry")
    assert entry["Type"] == "STANDARD"
    assert entry["PrincipalArn"] == stages["Deploy"][0]["RoleArn"]
    (policy,) = entry["AccessPolicies"]
    assert policy["PolicyArn"] == {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"},
                          ":eks::aws:cluster-access-policy/AmazonEKSEditPolicy"]]
    }
    assert policy["AccessScope"] == {"Type": "namespace", "Namespaces": ["demo"]}
    assert "KubernetesGroups" not in entry


def _statements(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for logical_id, policy in resources(template, "AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            found.append((logical_id, statement))
    return found


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return actions if isinstance(actions, list) else [actions]


def test_signer_permissions_scoped_to_the_profile(delivery: dict[str, Any]) -> None:
    signing = [(p, s) for p, s in _statements(delivery) if any(
        a.startswith("signer:") for a in _actions(s))]
    assert len(signing) == 1
    policy, statement = signing[0]
    assert policy.startswith("DemoWebSignRole")
    assert sorted(_actions(statement)) == ["signer:GetSigningProfile", "signer:SignPayload"]
    assert "Fn::ImportValue" in statement["Resource"]  # the security stack's profile only


def test_deploy_role_least_privilege(delivery: dict[str, Any]) -> None:
    deploy = [s for p, s in _statements(delivery) if p.startswith("DemoWebDeployRole")]
    actions = {a for s in deploy for a in _actions(s)}
    assert "eks:DescribeCluster" in actions
    assert not any(a.endswith("*") and a.startswith(("eks:", "ec2:")) for a in actions)
    for statement in deploy:
        if "ec2:CreateNetworkInterface" in _actions(statement):
            assert "ec2:Subnet" in json.dumps(statement["Condition"])
        if "ec2:CreateNetworkInterfacePermission" in _actions(statement):
            assert statement["Condition"]["StringEquals"] == {
                "ec2:AuthorizedService": list(AUTHORIZED_SERVICES)
            }
            assert "ec2:Subnet" in statement["Condition"]["ArnEquals"]


def test_delivery_and_security_templates_pass_cfn_lint(synth: Any, synth_lint: CfnLint) -> None:
    # The session's cfn-lint run over every template (tests/conftest.py), these two's matches
    paths = [
        str(p)
        for p in sorted(Path(synth.outdir).glob("assembly-dev/*.template.json"))
        if "Delivery" in p.name or "Security" in p.name
    ]
    assert len(paths) == 2
    assert set(paths) <= {str(t) for t in synth_lint.templates}
    assert "eu-west-1" in synth_lint.regions
    matches = [m for m in synth_lint.matches() if m.filename in paths]
    assert {m.rule for m in matches} <= {"W3005"}, [str(m) for m in matches]


# --- the library construct with explicit props -------------------------------------------


def _deployment(namespace: str = "web", container: str = "app") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": namespace},
        "spec": {"template": {"spec": {"containers": [{"name": container, "image": "x:1"}]}}},
    }


def _props(stack: Stack, **overrides: Any) -> ImagePipelineProps:
    props = ImagePipelineProps(
        pipeline_name="image-web",
        repository=ecr.Repository(stack, "Repo", repository_name="shop/web"),
        source=ImageSource(connection_arn=CONNECTION, repository="org/web"),
        platforms=("arm64",),
        signing_profile=signer.SigningProfile(
            stack, "Profile", platform=signer.Platform.NOTATION_OCI_SHA384_ECDSA
        ),
        rollout=RolloutTarget(
            cluster_name="shop", namespace="web", deployment=_deployment(), container="app"
        ),
        fail_on_severity="CRITICAL",
    )
    return replace(props, **overrides)


def _stack() -> Stack:
    return Stack(App(), "Test", env=Environment(account="123456789012", region="eu-west-1"))


def test_one_platform_pushes_the_commit_tag_without_a_manifest_step() -> None:
    stack = _stack()
    ImagePipeline(stack, "Web", props=_props(stack))
    template = Template.from_stack(stack).to_json()
    stages = {s["Name"]: s["Actions"] for s in only(
        template, "AWS::CodePipeline::Pipeline")["Stages"]}
    assert [a["Name"] for a in stages["Build"]] == ["Build-arm64"]
    build = commands(spec_of(project_of(template, stages["Build"][0])))
    assert 'docker push "$REPOSITORY_URI:$IMAGE_TAG"' in build
    config = stages["Deploy"][0]["Configuration"]
    assert config == {"ClusterName": "shop", "ManifestFiles": "deployment.yaml", "Namespace": "web"}
    gate = project_of(template, stages["ScanGate"][0])["Environment"]["EnvironmentVariables"]
    assert {"Name": "FAIL_ON", "Type": "PLAINTEXT", "Value": "CRITICAL"} in gate


@pytest.mark.parametrize(
    ("overrides", "prop"),
    [
        ({"pipeline_name": "bad name"}, "pipeline_name"),
        ({"platforms": ()}, "platforms"),
        ({"platforms": ("arm64", "arm64")}, "platforms"),
        ({"platforms": ("x86",)}, "platforms"),
        ({"fail_on_severity": "SEVERE"}, "fail_on_severity"),
        ({"source": ImageSource(connection_arn="arn:aws:s3:::b", repository="o/r")},
         "source.connection_arn"),
        ({"source": ImageSource(connection_arn=CONNECTION, repository="nowner")},
         "source.repository"),
        ({"source": ImageSource(connection_arn=CONNECTION, repository="o/r", branch="a..b")},
         "source.branch"),
    ],
)
def test_bad_props_are_refused(overrides: dict[str, Any], prop: str) -> None:
    stack = _stack()
    with pytest.raises(PropError) as error:
        ImagePipeline(stack, "Web", props=_props(stack, **overrides))
    assert error.value.prop == f"ImagePipelineProps.{prop}"
    assert error.value.path == "Test/Web"


@pytest.mark.parametrize(
    ("rollout", "prop"),
    [
        ({"namespace": "kube-system"}, "rollout.namespace"),
        ({"container": "other"}, "rollout.container"),
        ({"deployment": _deployment(namespace="elsewhere")},
         "rollout.deployment.metadata.namespace"),
        ({"deployment": {**_deployment(), "kind": "StatefulSet"}}, "rollout.deployment"),
        ({"subnet_ids": ("subnet-1",)}, "rollout.security_group_ids"),
    ],
)
def test_bad_rollout_is_refused(rollout: dict[str, Any], prop: str) -> None:
    stack = _stack()
    base = RolloutTarget(
        cluster_name="shop", namespace="web", deployment=_deployment(), container="app"
    )
    with pytest.raises(PropError) as error:
        ImagePipeline(stack, "Web", props=_props(stack, rollout=replace(base, **rollout)))
    assert error.value.prop == f"ImagePipelineProps.{prop}"


def test_eks_deploy_action_checks_its_props() -> None:
    stack = _stack()
    role = iam.Role(stack, "R", assumed_by=iam.AccountRootPrincipal())
    base = EksDeployActionProps(
        action_name="Deploy",
        input=codepipeline.Artifact("M"),
        cluster_name="shop",
        manifest_files=["a.yaml"],
        namespace="web",
        role=role,
    )
    for overrides, prop in (
        ({"manifest_files": []}, "manifest_files"),
        ({"namespace": "Not_A_Name"}, "namespace"),
        ({"security_group_ids": ["sg-1"]}, "security_group_ids"),
    ):
        with pytest.raises(PropError) as error:
            EksDeployAction(replace(base, **overrides))
        assert error.value.prop == f"EksDeployActionProps.{prop}"


# --- review fixes: permissions, idempotent re-runs, logs ----------------------------------


def _library_template(**overrides: Any) -> tuple[Stack, dict[str, Any]]:
    stack = _stack()
    ImagePipeline(stack, "Web", props=_props(stack, **overrides))
    return stack, Template.from_stack(stack).to_json()


def _policies_of(template: dict[str, Any], fragment: str) -> list[dict[str, Any]]:
    return [
        s
        for logical_id, p in resources(template, "AWS::IAM::Policy").items()
        if logical_id.startswith(fragment)
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


@pytest.mark.parametrize("platforms", [("arm64",), ("amd64", "arm64")])
def test_build_and_manifest_roles_may_check_that_a_tag_exists(platforms: Any) -> None:
    _, template = _library_template(platforms=platforms)
    steps = [f"WebBuild{a.capitalize()}" for a in platforms]
    if len(platforms) > 1:
        steps.append("WebManifest")
    for step in steps:
        statements = _policies_of(template, step)
        assert any(
            "ecr:DescribeImages" in _actions(s) and '"Repo' in json.dumps(s["Resource"])
            for s in statements
        ), step


def test_the_exists_check_rebuilds_only_when_the_tag_is_not_found() -> None:
    specs = [
        buildspecs.image_build_spec(tag_commit=True),
        buildspecs.manifest_list_spec(),
    ]
    for spec in specs:
        for command in spec["phases"]["build"]["commands"]:
            assert "aws ecr describe-images" in command
            assert ">/dev/null 2>&1" not in command  # errors are read, not dropped
            # exists: skip; ImageNotFoundException: build and push; anything else: fail
            exists, rest = command.split("elif grep -q ImageNotFoundException", 1)
            assert "docker" not in exists
            build, other = rest.split("; else ", 1)
            assert "docker" in build and "push" in build
            assert other == 'echo "$out" >&2; exit 1; fi'


def test_scan_gate_role_reads_enhanced_scanning_findings() -> None:
    stack = _stack()
    pipeline = ImagePipeline(stack, "Web", props=_props(stack))
    template = Template.from_stack(stack).to_json()
    statements = _policies_of(template, "WebScanGate")
    inspector = [s for s in statements if any(a.startswith("inspector2:") for a in _actions(s))]
    assert len(inspector) == 1
    assert sorted(_actions(inspector[0])) == sorted(INSPECTOR_READ_ACTIONS)
    assert sorted(INSPECTOR_READ_ACTIONS) == ["inspector2:ListCoverage", "inspector2:ListFindings"]
    assert inspector[0]["Resource"] == "*"
    # its wildcard carries a written reason next to the policy (cdk-nag IAM5)
    role = pipeline.projects["ScanGate"].role
    assert role is not None
    acknowledged = {
        rule: reason
        for entry in role.node.find_child("DefaultPolicy").node.metadata
        if entry.type == "aws:cdk:acknowledged-rules"
        for rule, reason in dict(entry.data).items()
    }
    assert "inspector2:ListFindings" in acknowledged["AwsSolutions::AwsSolutions-IAM5[Resource::*]"]


def test_scan_gate_fails_on_cli_errors_and_terminal_states() -> None:
    (command,) = buildspecs.scan_gate_spec()["phases"]["build"]["commands"]
    assert "2>/dev/null" not in command and "|| echo PENDING" not in command
    assert "ScanNotFoundException" in command  # the scan has not started: poll again
    assert 'else echo "$out" >&2; exit 1; fi' in command
    assert "set -o pipefail" in command
    failing = command.split("break;;", 1)[1].split(")", 1)[0].strip().split("|")
    for status in ("FAILED", "UNSUPPORTED_IMAGE", "LIMIT_EXCEEDED", "IMAGE_ARCHIVED",
                   "FINDINGS_UNAVAILABLE"):
        assert status in failing
    assert set(failing) == set(buildspecs.SCAN_FAILED)


def test_sign_uses_the_referrers_api_and_skips_a_signed_image() -> None:
    spec = buildspecs.sign_spec()
    assert spec["phases"]["install"]["runtime-versions"] == {"golang": buildspecs.GO_VERSION}
    major, minor = (int(p) for p in buildspecs.GO_VERSION.split("."))
    assert (major, minor) >= (1, 23)
    assert buildspecs.SIGNER_PLUGIN_VERSION == "v1.0.350"
    (sign,) = [c for c in spec["phases"]["build"]["commands"] if "notation sign" in c]
    assert "--force-referrers-tag=false" in sign
    assert sign.startswith('listed=$(notation ls "$IMAGE") || exit 1;')
    assert f'grep -q "{buildspecs.NOTARY_SIGNATURE}"' in sign
    assert sign.index("signed already") < sign.index("notation sign")


def test_deploy_log_group_is_created_encrypted_with_retention() -> None:
    _, template = _library_template()
    groups = {
        g["Properties"]["LogGroupName"]: (k, g)
        for k, g in resources(template, "AWS::Logs::LogGroup").items()
    }
    logical_id, group = groups["/aws/codepipeline/image-web"]
    assert group["Properties"]["RetentionInDays"] > 0
    assert "Fn::GetAtt" in group["Properties"]["KmsKeyId"]
    # the key lets CloudWatch Logs use it for that group
    key = only(template, "AWS::KMS::Key")
    (logs_statement,) = [
        s for s in key["KeyPolicy"]["Statement"] if s.get("Sid") == "AllowCloudWatchLogs"
    ]
    pattern = json.dumps(logs_statement["Condition"]["ArnLike"])
    assert ":log-group:/aws/code*/image-web*" in pattern
    # the pipeline (and so its EKS action) comes after the group
    (pipeline_id,) = resources(template, "AWS::CodePipeline::Pipeline")
    assert logical_id in template["Resources"][pipeline_id]["DependsOn"]


def test_image_source_role_may_use_the_codeconnections_connection() -> None:
    _, template = _library_template()
    statements = _policies_of(template, "WebPipelineSourceCodePipelineActionRole")
    granted = {a for s in statements if s["Resource"] == CONNECTION for a in _actions(s)}
    assert {"codeconnections:UseConnection", "codestar-connections:UseConnection"} <= granted


def test_private_endpoint_action_config_and_eni_condition() -> None:
    rollout = RolloutTarget(
        cluster_name="shop", namespace="web", deployment=_deployment(), container="app",
        subnet_ids=("subnet-1", "subnet-2"), security_group_ids=("sg-1",),
    )
    _, template = _library_template(rollout=rollout)
    (pipeline,) = resources(template, "AWS::CodePipeline::Pipeline").values()
    stages = {s["Name"]: s["Actions"] for s in pipeline["Properties"]["Stages"]}
    config = stages["Deploy"][0]["Configuration"]
    assert config["Subnets"] == "subnet-1,subnet-2" and "SubnetIds" not in config
    assert config["SecurityGroupIds"] == "sg-1"
    (eni,) = [
        s for s in _policies_of(template, "WebDeployRole")
        if "ec2:CreateNetworkInterfacePermission" in _actions(s)
    ]
    assert eni["Condition"]["StringEquals"] == {
        "ec2:AuthorizedService": ["codebuild.amazonaws.com", "codepipeline.amazonaws.com"]
    }
    assert len(eni["Condition"]["ArnEquals"]["ec2:Subnet"]) == 2
