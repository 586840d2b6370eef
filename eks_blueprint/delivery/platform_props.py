"""The props of `PlatformPipeline` (platform_pipeline.py) and their validation, cdk
constructs aside: the bootstrap role names, the step ids, the stage and wave specs."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aws_cdk import Aws, Duration, Stage
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_logs as logs

from ..validate_names import (
    SNS_TOPIC_ARN,
    PropError,
    check_branch,
    check_connection_arn,
    check_prop,
    check_source_repository,
    reworded,
)
from ._common import PIPELINE_NAME as _PIPELINE_NAME

#: The qualifier of `cdk bootstrap`'s default template (`--qualifier` changes it).
BOOTSTRAP_QUALIFIER = "hnb659fds"
#: The AWS CLI / boto3 profile the preflight and verify steps run under: the target
#: account's bootstrap lookup role, assumed with the CodeBuild container's credentials.
TARGET_PROFILE = "target"
_ACCOUNT = re.compile(r"\d{12}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
#: CodeStar Notifications event type ids of a pipeline that mean "it failed".
FAILURE_EVENTS: tuple[str, ...] = (
    "codepipeline-pipeline-pipeline-execution-failed",
    "codepipeline-pipeline-manual-approval-failed",
)
#: Step ids (and CodePipeline action name suffixes).
APPROVAL_STEP = "Approve"
PREFLIGHT_STEP = "Preflight"
VERIFY_STEP = "Verify"


def bootstrap_role_arn(
    kind: str, account: str, region: str, qualifier: str = BOOTSTRAP_QUALIFIER
) -> str:
    """The ARN of a role `cdk bootstrap` creates: `kind` is lookup, deploy,
    file-publishing, image-publishing or cfn-exec. Its partition is the stack's."""
    return f"arn:{Aws.PARTITION}:iam::{account}:role/cdk-{qualifier}-{kind}-role-{account}-{region}"


#: cdk-assets, pinned: the npm registry's latest release when this was written (2026-11-30,
#: `npm view cdk-assets version`). Raise it deliberately, like the CDK CLI in package.json.
CDK_ASSETS_VERSION = "4.7.3"


@dataclass(frozen=True, kw_only=True)
class StageSpec:
    """One environment: a prebuilt stage and what runs around its deployment."""

    stage: Stage
    """The stage to deploy; its stacks need an explicit account and region."""
    approval: bool = False
    """A manual approval before anything of this stage runs (before the preflight)."""
    preflight_commands: Sequence[str] = ()
    """Commands of the "Preflight" step, run before the stage's stacks with the target
    account's lookup role (profile `TARGET_PROFILE`), in the source checkout with the
    synthesised assembly in `cdk.out/`. Empty: no preflight step."""
    verify_commands: Sequence[str] = ()
    """Commands of the "Verify" step, run after the stage's stacks, the same way. Empty: no
    verify step."""
    account: str | None = None
    """The target account (default: the stage's). Decides which lookup role the steps
    may assume."""
    region: str | None = None
    """The target region (default: the stage's)."""


@dataclass(frozen=True, kw_only=True)
class WaveSpec:
    """One wave: its stages deploy in parallel; the next wave starts when all succeeded."""

    name: str
    """The wave's CodePipeline stage name (letters, digits, . @ _ -)."""
    stages: Sequence[StageSpec]
    """At least one stage; a stage appears in one wave only."""


@dataclass(frozen=True, kw_only=True)
class PlatformPipelineProps:
    """What `PlatformPipeline` builds. Waves deploy in the order given."""

    pipeline_name: str
    """The CodePipeline name; also names the log group `/aws/codebuild/<name>`."""
    connection_arn: str
    """The CodeConnections connection to the repository host (created and authorised once,
    in the console, in the tooling account)."""
    repository: str
    """`owner/name` of the repository."""
    branch: str = "main"
    """The branch whose commits start the pipeline."""
    waves: Sequence[WaveSpec]
    """The waves, in deployment order."""
    synth_install_commands: Sequence[str] = ()
    """Install phase of the synth step (the toolchain)."""
    synth_commands: Sequence[str]
    """Build phase of the synth step: tests, then `cdk synth`; must leave `cdk.out/`."""
    check_install_commands: Sequence[str] = ("pip install '.[tools]'",)
    """Install phase of the preflight and verify steps (from the source checkout)."""
    python_version: str | None = "3.11"
    """`runtime-versions: python:` of every step this construct writes (None: the image's
    default runtime)."""
    notification_topic_arn: str | None = None
    """An existing SNS topic for failure notifications (its policy must let
    codestar-notifications.amazonaws.com publish, and its key, if any, be usable by it)."""
    notification_emails: Sequence[str] = ()
    """E-mail addresses subscribed to a topic this construct creates. Exactly one of
    `notification_topic_arn` and `notification_emails` is needed."""
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR
    """How long build logs are kept."""
    build_image: codebuild.IBuildImage = field(
        default_factory=lambda: codebuild.LinuxBuildImage.STANDARD_7_0
    )
    """The CodeBuild image of every project (pinned: a named image version)."""
    synth_compute_type: codebuild.ComputeType = codebuild.ComputeType.MEDIUM
    """The synth step runs the whole test suite (several jsii synths): 7 GB, not 3."""
    cli_version: str | None = None
    """The CDK CLI version of the self-mutation step (None: CDK's default, the latest)."""
    cdk_assets_cli_version: str = CDK_ASSETS_VERSION
    """The cdk-assets version the asset-publishing steps install with npm. Default:
    CDK_ASSETS_VERSION, pinned (CDK's own default installs `cdk-assets@latest`)."""
    publish_assets_in_parallel: bool = False
    """False: one CodeBuild project per asset type, so a few roles instead of one per
    asset (an EKS stage has dozens of file assets)."""
    bootstrap_qualifier: str = BOOTSTRAP_QUALIFIER
    """The qualifier the target accounts were bootstrapped with."""
    timeout: Duration = field(default_factory=lambda: Duration.hours(1))
    """The CodeBuild timeout of every project."""


#: The source checks (validate_names' rules) in the words the props' users are told.
_check_connection_arn = reworded(
    check_connection_arn,
    "not a connection ARN; copy it from Developer Tools > Settings > Connections, like "
    "arn:aws:codeconnections:eu-west-1:111111111111:connection/<id>",
)
_check_repository = reworded(check_source_repository, "write the repository as owner/name")
_check_branch = reworded(check_branch, "name one branch, without spaces")


def check_platform_pipeline(path: str, props: PlatformPipelineProps) -> None:
    """Refuse bad props, naming the construct at `path`, the prop and the fix."""
    name = "PlatformPipelineProps"

    def fail(prop: str, value: Any, problem: str) -> None:
        raise PropError(path, f"{name}.{prop}", value, problem)

    if not _PIPELINE_NAME.fullmatch(props.pipeline_name):
        fail(
            "pipeline_name",
            props.pipeline_name,
            "not a CodePipeline name; use 1-100 letters, digits and . @ _ -",
        )
    for prop, check in (
        ("connection_arn", _check_connection_arn),
        ("repository", _check_repository),
        ("branch", _check_branch),
    ):
        check_prop(path, f"{name}.{prop}", getattr(props, prop), check)
    if not props.synth_commands:
        fail(
            "synth_commands",
            list(props.synth_commands),
            "the synth step needs commands that leave cdk.out/ (e.g. cdk synth)",
        )
    if not props.waves:
        fail("waves", list(props.waves), "give at least one wave with one stage")
    waves_seen: set[str] = set()
    stages_seen: dict[str, str] = {}
    for w, wave in enumerate(props.waves):
        where = f"waves[{w}]"
        if not _PIPELINE_NAME.fullmatch(wave.name):
            fail(
                f"{where}.name",
                wave.name,
                "not a CodePipeline stage name; use 1-100 letters, digits and . @ _ -",
            )
        if wave.name in waves_seen:
            fail(f"{where}.name", wave.name, "another wave has this name; name each once")
        waves_seen.add(wave.name)
        if not wave.stages:
            fail(
                f"{where}.stages",
                list(wave.stages),
                "a wave needs at least one stage; remove the wave or add a stage",
            )
        for s, spec in enumerate(wave.stages):
            stage_name = spec.stage.stage_name
            if stage_name in stages_seen:
                fail(
                    f"{where}.stages[{s}].stage",
                    stage_name,
                    f"already deployed by {stages_seen[stage_name]}; a stage deploys "
                    "in one wave only",
                )
            stages_seen[stage_name] = where
            stage_target(path, spec, f"{where}.stages[{s}]")
    if bool(props.notification_topic_arn) == bool(props.notification_emails):
        fail(
            "notification_topic_arn",
            props.notification_topic_arn,
            "give exactly one failure notification target: an existing topic ARN, or "
            "notification_emails for a topic this construct creates",
        )
    topic = SNS_TOPIC_ARN.fullmatch(props.notification_topic_arn or "")
    if props.notification_topic_arn and (topic is None or topic.group("fifo")):
        fail(
            "notification_topic_arn",
            props.notification_topic_arn,
            "not an SNS topic ARN, like arn:aws:sns:eu-west-1:111111111111:alerts",
        )
    for i, email in enumerate(props.notification_emails):
        if not _EMAIL.fullmatch(email):
            fail(f"notification_emails[{i}]", email, "not an e-mail address")
    if not re.fullmatch(r"[a-z0-9]{1,10}", props.bootstrap_qualifier):
        fail(
            "bootstrap_qualifier",
            props.bootstrap_qualifier,
            "a cdk bootstrap qualifier: 1-10 lower-case letters and digits",
        )


def stage_target(path: str, spec: StageSpec, where: str = "stage") -> tuple[str, str]:
    """The account and region a stage deploys to, literal (an ARN is built from them)."""
    account = spec.account or spec.stage.account
    region = spec.region or spec.stage.region
    for prop, value, pattern, needed in (
        ("account", account, _ACCOUNT, "a literal 12-digit account"),
        ("region", region, _REGION, "a literal region"),
    ):
        if not value or not pattern.fullmatch(value):
            raise PropError(
                path,
                f"PlatformPipelineProps.{where}.{prop}",
                value,
                f"stage {spec.stage.stage_name!r} needs {needed} "
                f"(give the stage an env, or StageSpec.{prop})",
            )
    assert account is not None and region is not None
    return account, region
