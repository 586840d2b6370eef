"""Structure of the platform pipeline (config/pipeline.yaml), its gates, and the library
construct's validation."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Iterator
from typing import Any

import aws_cdk as cdk
import pytest
from cfnlint.api import ManualArgs, lint_by_config

from eks_blueprint.compliance import nag_resource_name
from eks_blueprint.delivery import PlatformPipeline, PlatformPipelineProps, StageSpec, WaveSpec
from eks_blueprint.delivery import platform_pipeline as module
from eks_blueprint.validate_names import PropError
from tests.pipeline.conftest import PipelineSynth

#: A CDK bootstrap role (default qualifier) of some account and region, as rendered.
BOOTSTRAP_ROLE = re.compile(
    r"arn:(aws[a-z-]*|<AWS::Partition>):iam::(\d{12}):role/"
    r"cdk-hnb659fds-(lookup|deploy|file-publishing|image-publishing)-role-(\d{12})-([a-z0-9-]+)"
)


def _pipeline(synth: PipelineSynth) -> dict[str, Any]:
    (pipeline,) = synth.resources("AWS::CodePipeline::Pipeline").values()
    properties: dict[str, Any] = pipeline["Properties"]
    return properties


def _stage(synth: PipelineSynth, name: str) -> dict[str, Any]:
    stages = {s["Name"]: s for s in _pipeline(synth)["Stages"]}
    return stages[name]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(synth: PipelineSynth) -> Iterator[tuple[str, dict[str, Any]]]:
    for logical_id, policy in synth.resources("AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            yield logical_id, statement


def _build_roles(synth: PipelineSynth) -> set[str]:
    """Logical ids of the roles CodeBuild assumes."""
    found = set()
    for logical_id, role in synth.resources("AWS::IAM::Role").items():
        trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        services = {str(p) for s in trust for p in _listed(s["Principal"].get("Service", []))}
        if any("codebuild" in s for s in services):
            found.add(logical_id)
    return found


def _project_of(synth: PipelineSynth, action: dict[str, Any]) -> dict[str, Any]:
    ref = action["Configuration"]["ProjectName"]["Ref"]
    project: dict[str, Any] = synth.template["Resources"][ref]["Properties"]
    return project


def _rendered(value: Any) -> str:
    """A resource as cdk-nag names it; `Fn::Sub` with its pseudo parameters in <...>."""
    if isinstance(value, dict) and list(value) == ["Fn::Sub"] and isinstance(value["Fn::Sub"], str):
        return re.sub(r"\$\{(AWS::\w+)\}", r"<\1>", value["Fn::Sub"])
    return nag_resource_name(value)


def _buildspec(project: dict[str, Any]) -> str:
    spec = project["Source"]["BuildSpec"]
    return spec if isinstance(spec, str) else nag_resource_name(spec)


# --- the pipeline -----------------------------------------------------------------------


def test_pipeline_type_v2_named_and_self_mutating(pipeline_synth: PipelineSynth) -> None:
    pipeline = _pipeline(pipeline_synth)
    assert pipeline["PipelineType"] == "V2"
    assert pipeline["Name"] == pipeline_synth.pipeline.name
    names = [s["Name"] for s in pipeline["Stages"]]
    assert names[:4] == ["Source", "Build", "UpdatePipeline", "Assets"]
    (source,) = pipeline["Stages"][0]["Actions"]
    assert source["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    assert source["Configuration"]["ConnectionArn"] == pipeline_synth.pipeline.source.connection_arn
    assert source["Configuration"]["FullRepositoryId"] == pipeline_synth.pipeline.source.repository
    assert source["Configuration"]["BranchName"] == pipeline_synth.pipeline.source.branch


def test_waves_in_config_order(pipeline_synth: PipelineSynth) -> None:
    names = [s["Name"] for s in _pipeline(pipeline_synth)["Stages"]]
    waves = [w.name for w in pipeline_synth.pipeline.waves]
    assert names[4:] == waves


def test_every_environment_deploys_in_its_wave(pipeline_synth: PipelineSynth) -> None:
    for wave in pipeline_synth.pipeline.waves:
        actions = _stage(pipeline_synth, wave.name)["Actions"]
        deployed = {
            a["Configuration"]["StackName"]
            for a in actions
            if a["ActionTypeId"]["Provider"] == "CloudFormation"
        }
        for env in wave.environments:
            assert {f"{env}-eks-network", f"{env}-eks-cluster"} <= deployed


def _env_actions(synth: PipelineSynth, env: str) -> list[dict[str, Any]]:
    """The actions of one environment in its wave (CDK prefixes them with the stage id when
    the wave has several stages)."""
    (wave,) = [w for w in synth.pipeline.waves if env in w.environments]
    actions = _stage(synth, wave.name)["Actions"]
    if len(wave.environments) == 1:
        return list(actions)
    return [a for a in actions if a["Name"].startswith(f"{env}.")]


def _named(actions: list[dict[str, Any]], suffix: str) -> list[dict[str, Any]]:
    return [a for a in actions if a["Name"].split(".")[-1] == suffix]


def test_approval_comes_first_and_before_every_deploy(pipeline_synth: PipelineSynth) -> None:
    approved = [e for e in pipeline_synth.configs if pipeline_synth.pipeline.approval_for(e)]
    assert approved, "the shipped pipeline approves at least prod"
    for env in pipeline_synth.configs:
        actions = _env_actions(pipeline_synth, env)
        approvals = [a for a in actions if a["ActionTypeId"]["Category"] == "Approval"]
        if env not in approved:
            assert not approvals, env
            continue
        (approval,) = approvals
        others = [a["RunOrder"] for a in actions if a is not approval]
        assert approval["RunOrder"] < min(others), env


def test_prod_needs_approval(pipeline_synth: PipelineSynth) -> None:
    for env, config in pipeline_synth.configs.items():
        if config.lifecycle.termination_protection:
            assert pipeline_synth.pipeline.approval_for(env), env


def test_synth_step_runs_the_tests_then_an_offline_synth(pipeline_synth: PipelineSynth) -> None:
    (synth,) = _stage(pipeline_synth, "Build")["Actions"]
    spec = json.loads(_buildspec(_project_of(pipeline_synth, synth)))
    install = spec["phases"]["install"]["commands"]
    commands = spec["phases"]["build"]["commands"]
    assert install == ["make setup"]
    assert commands[0] == "make test"
    assert commands[-1].startswith("bin/cdk synth ")
    assert "--no-lookups" in commands[-1].split()
    assert "-c pipeline=config/pipeline.yaml" in commands[-1]
    assert spec["artifacts"]["base-directory"] == "cdk.out"


@pytest.mark.parametrize("step", ["Preflight", "Verify"])
def test_checks_run_per_environment_with_its_lookup_role(
    pipeline_synth: PipelineSynth, step: str
) -> None:
    command = "eks-blueprint-preflight" if step == "Preflight" else "eks-blueprint-verify"
    roles = pipeline_synth.template["Resources"]
    for env, config in pipeline_synth.configs.items():
        actions = _env_actions(pipeline_synth, env)
        (action,) = _named(actions, step)
        deploys = [
            a["RunOrder"] for a in actions if a["ActionTypeId"]["Provider"] == "CloudFormation"
        ]
        if step == "Preflight":
            assert action["RunOrder"] < min(deploys)
        else:
            assert action["RunOrder"] > max(deploys)
        project = _project_of(pipeline_synth, action)
        spec = _buildspec(project)
        lookup = f"cdk-hnb659fds-lookup-role-{config.account}-{config.region}"
        assert f"{command} --env {env}" in spec
        assert "pip install '.[tools]'" in spec
        assert f"role_arn arn:<AWS::Partition>:iam::{config.account}:role/{lookup}" in spec
        assert "credential_source EcsContainer" in spec
        # CodeBuild's AWS_REGION / AWS_DEFAULT_REGION (the tooling region) beat the
        # profile's region: both are set to the target's before any command runs
        export = f"export AWS_REGION={config.region} AWS_DEFAULT_REGION={config.region}"
        assert export in spec
        assert spec.index(export) < spec.index(f"{command} --env {env}")
        role_id = project["ServiceRole"]["Fn::GetAtt"][0]
        assumed = [
            _rendered(r)
            for p in pipeline_synth.resources("AWS::IAM::Policy").values()
            if p["Properties"]["Roles"] == [{"Ref": role_id}]
            for s in p["Properties"]["PolicyDocument"]["Statement"]
            if "sts:AssumeRole" in _listed(s["Action"])
            for r in _listed(s["Resource"])
        ]
        assert assumed == [f"arn:<AWS::Partition>:iam::{config.account}:role/{lookup}"], env
        assert role_id in roles


# --- least privilege ----------------------------------------------------------------------


def test_source_action_may_use_the_codeconnections_connection(
    pipeline_synth: PipelineSynth,
) -> None:
    (action,) = _stage(pipeline_synth, "Source")["Actions"]
    arn = action["Configuration"]["ConnectionArn"]
    assert ":codeconnections:" in arn
    role_id = action["RoleArn"]["Fn::GetAtt"][0]
    granted = {
        a
        for p in pipeline_synth.resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow" and arn in _listed(s["Resource"])
        for a in _listed(s["Action"])
    }
    assert {"codeconnections:UseConnection", "codestar-connections:UseConnection"} <= granted



def test_build_roles_assume_only_bootstrap_roles(pipeline_synth: PipelineSynth) -> None:
    build_roles = _build_roles(pipeline_synth)
    assert build_roles
    accounts = {c.account for c in pipeline_synth.configs.values()}
    accounts.add(pipeline_synth.pipeline.tooling.account)
    checked = 0
    for policy in pipeline_synth.resources("AWS::IAM::Policy").values():
        roles = {r["Ref"] for r in policy["Properties"]["Roles"]}
        if not roles & build_roles:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if not any(a.startswith("sts:") for a in _listed(statement["Action"])):
                continue
            for resource in _listed(statement["Resource"]):
                name = _rendered(resource)
                match = BOOTSTRAP_ROLE.fullmatch(name)
                assert match, name
                assert match.group(2) == match.group(4) and match.group(2) in accounts, name
                checked += 1
    assert checked >= 2 * len(pipeline_synth.configs)


def test_self_mutation_assumes_only_the_tooling_bootstrap_roles(
    pipeline_synth: PipelineSynth,
) -> None:
    tooling = pipeline_synth.pipeline.tooling
    found: set[str] = set()
    for logical_id, statement in _statements(pipeline_synth):
        if "SelfMutation" in logical_id and "sts:AssumeRole" in _listed(statement["Action"]):
            found |= {_rendered(r) for r in _listed(statement["Resource"])}
    assert found == {
        f"arn:<AWS::Partition>:iam::{tooling.account}:role/cdk-hnb659fds-{kind}-role-"
        f"{tooling.account}-{tooling.region}"
        for kind in ("deploy", "file-publishing", "image-publishing")
    }


def test_no_full_cloudformation_or_full_wildcard_anywhere(pipeline_synth: PipelineSynth) -> None:
    for logical_id, statement in _statements(pipeline_synth):
        actions = _listed(statement["Action"])
        assert "*" not in actions, logical_id
        assert not any(a in ("cloudformation:*", "iam:*", "sts:*") for a in actions), logical_id


# --- encryption, images, logs, notifications ----------------------------------------------


def test_artifact_bucket_is_kms_encrypted_and_versioned(pipeline_synth: PipelineSynth) -> None:
    (bucket,) = pipeline_synth.resources("AWS::S3::Bucket").values()
    (rule,) = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert "KMSMasterKeyID" in rule["ServerSideEncryptionByDefault"]
    assert bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    store = _pipeline(pipeline_synth)["ArtifactStore"]
    assert store["EncryptionKey"]["Type"] == "KMS"
    for key in pipeline_synth.resources("AWS::KMS::Key").values():
        assert key["Properties"]["EnableKeyRotation"] is True


def test_codebuild_images_pinned_unprivileged_logged(pipeline_synth: PipelineSynth) -> None:
    projects = pipeline_synth.resources("AWS::CodeBuild::Project")
    (log_group_id,) = pipeline_synth.resources("AWS::Logs::LogGroup")
    assert len(projects) >= 2 + 2 * len(pipeline_synth.configs)
    for logical_id, project in projects.items():
        environment = project["Properties"]["Environment"]
        assert environment["Image"] == "aws/codebuild/standard:7.0", logical_id
        assert environment.get("PrivilegedMode", False) is False, logical_id
        logs = project["Properties"]["LogsConfig"]["CloudWatchLogs"]
        assert logs == {"GroupName": {"Ref": log_group_id}, "Status": "ENABLED"}, logical_id
        assert "EncryptionKey" in project["Properties"], logical_id


def test_log_groups_encrypted_with_retention(pipeline_synth: PipelineSynth) -> None:
    groups = pipeline_synth.resources("AWS::Logs::LogGroup")
    assert groups
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] >= 365
        assert "KmsKeyId" in group["Properties"]


def test_failures_notify(pipeline_synth: PipelineSynth) -> None:
    (rule,) = pipeline_synth.resources("AWS::CodeStarNotifications::NotificationRule").values()
    assert "codepipeline-pipeline-pipeline-execution-failed" in rule["Properties"]["EventTypeIds"]
    (pipeline_id,) = pipeline_synth.resources("AWS::CodePipeline::Pipeline")
    assert pipeline_id in json.dumps(rule["Properties"]["Resource"])
    notifications = pipeline_synth.pipeline.notifications
    topics = pipeline_synth.resources("AWS::SNS::Topic")
    if notifications.topic_arn:
        assert not topics
        assert rule["Properties"]["Targets"][0]["TargetAddress"] == notifications.topic_arn
    else:
        (topic,) = topics.values()
        assert "KmsMasterKeyId" in topic["Properties"]
        subscriptions = pipeline_synth.resources("AWS::SNS::Subscription").values()
        assert sorted(s["Properties"]["Endpoint"] for s in subscriptions) == sorted(
            notifications.emails
        )
        (policy,) = pipeline_synth.resources("AWS::SNS::TopicPolicy").values()
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(s) for s in statements
        )


# --- gates --------------------------------------------------------------------------------


def test_compliance_packs_pass_on_the_pipeline_stack(pipeline_synth: PipelineSynth) -> None:
    report = pipeline_synth.report()
    plugins = {p["pluginName"]: p for p in report["pluginReports"]}
    assert {"AwsSolutions", "NIST.800.53.R5", "EksBestPractices"} <= set(plugins)
    for plugin in plugins.values():
        assert plugin["conclusion"] == "success", plugin["pluginName"]
    acknowledged = [
        s
        for p in plugins.values()
        for s in p.get("suppressedViolations", [])
        if any(c["constructPath"].startswith("Pipeline/") for c in s["violatingConstructs"])
    ]
    assert acknowledged
    for finding in acknowledged:
        assert "::" in finding["acknowledgedId"]
        assert len(finding["reason"]) >= 40, finding["acknowledgedId"]


def test_cfn_lint_clean(pipeline_synth: PipelineSynth) -> None:
    templates = [str(p) for p in pipeline_synth.outdir.glob("*.template.json")]
    assert templates
    regions = [pipeline_synth.pipeline.tooling.region]
    matches = lint_by_config(ManualArgs(templates=templates, regions=regions))
    # W3005 (a redundant DependsOn CDK writes next to a GetAtt) is accepted project-wide.
    found = [str(m) for m in matches if m.rule.id != "W3005"]
    assert not found, "\n".join(found)


def test_library_construct_does_not_import_the_app() -> None:
    source = inspect.getsource(module)
    assert "import stacks" not in source and "from stacks" not in source


# --- validation of the library construct (no synth) ---------------------------------------


def _props(waves: list[WaveSpec], **overrides: Any) -> PlatformPipelineProps:
    values: dict[str, Any] = {
        "pipeline_name": "platform",
        "connection_arn": "arn:aws:codeconnections:eu-west-1:999999999999:connection/abc-1",
        "repository": "acme/platform",
        "waves": waves,
        "synth_commands": ["make test", "bin/cdk synth --no-lookups"],
        "notification_emails": ["ops@example.com"],
    }
    values.update(overrides)
    return PlatformPipelineProps(**values)


def _id(case: str) -> str:
    return "".join(word.title() for word in case.split())


@pytest.fixture(scope="module")
def scaffold() -> tuple[cdk.Stack, dict[str, cdk.Stage]]:
    app = cdk.App()
    tooling = cdk.Stack(
        app, "Tooling", env=cdk.Environment(account="999999999999", region="eu-west-1")
    )
    stages = {
        name: cdk.Stage(app, name, env=cdk.Environment(account=account, region="eu-west-1"))
        for name, account in (("dev", "111111111111"), ("prod", "333333333333"))
    }
    stages["nowhere"] = cdk.Stage(app, "nowhere")
    return tooling, stages


@pytest.mark.parametrize(
    ("case", "prop", "fix"),
    [
        ("no waves", "PlatformPipelineProps.waves", "at least one wave"),
        ("empty wave", "PlatformPipelineProps.waves[0].stages", "at least one stage"),
        ("duplicate stage", "PlatformPipelineProps.waves[1].stages[0].stage", "one wave only"),
        ("duplicate wave", "PlatformPipelineProps.waves[1].name", "name each once"),
        ("bad wave name", "PlatformPipelineProps.waves[0].name", "CodePipeline stage name"),
        ("stage without env", "PlatformPipelineProps.waves[0].stages[0].account", "12-digit"),
        ("bad connection", "PlatformPipelineProps.connection_arn", "connection ARN"),
        ("bad repository", "PlatformPipelineProps.repository", "owner/name"),
        ("two targets", "PlatformPipelineProps.notification_topic_arn", "exactly one"),
        ("no target", "PlatformPipelineProps.notification_topic_arn", "exactly one"),
    ],
)
def test_bad_props_are_refused(
    scaffold: tuple[cdk.Stack, dict[str, cdk.Stage]], case: str, prop: str, fix: str
) -> None:
    tooling, stages = scaffold
    dev, prod = StageSpec(stage=stages["dev"]), StageSpec(stage=stages["prod"], approval=True)
    overrides: dict[str, Any] = {}
    waves = [WaveSpec(name="dev", stages=[dev]), WaveSpec(name="prod", stages=[prod])]
    if case == "no waves":
        waves = []
    elif case == "empty wave":
        waves = [WaveSpec(name="dev", stages=[])]
    elif case == "duplicate stage":
        waves = [WaveSpec(name="dev", stages=[dev]), WaveSpec(name="again", stages=[dev])]
    elif case == "duplicate wave":
        waves = [WaveSpec(name="dev", stages=[dev]), WaveSpec(name="dev", stages=[prod])]
    elif case == "bad wave name":
        waves = [WaveSpec(name="dev wave", stages=[dev])]
    elif case == "stage without env":
        waves = [WaveSpec(name="dev", stages=[StageSpec(stage=stages["nowhere"])])]
    elif case == "bad connection":
        overrides["connection_arn"] = "arn:aws:codecommit:eu-west-1:999999999999:repo"
    elif case == "bad repository":
        overrides["repository"] = "platform"
    elif case == "two targets":
        overrides["notification_topic_arn"] = "arn:aws:sns:eu-west-1:999999999999:alerts"
    elif case == "no target":
        overrides["notification_emails"] = []
    with pytest.raises(PropError) as raised:
        PlatformPipeline(tooling, _id(case), props=_props(waves, **overrides))
    message = str(raised.value)
    assert message.startswith(f"Tooling/{_id(case)}: {prop} = "), message
    assert fix in message, message
