"""PlatformPipeline: a self-mutating CDK Pipelines `CodePipeline` that promotes prebuilt
stages wave by wave, across accounts.

What it builds, in the stack it is created in (the tooling account):

- a CodePipeline of pipeline type V2, self-mutating, with cross-account KMS keys (the
  artifact bucket is encrypted with a customer-managed key that the target accounts' CDK
  bootstrap roles are allowed to use) and key rotation;
- a source action on a CodeConnections (CodeStar Connections) connection, whose role may
  use it under both service prefixes (`codeconnections:` and `codestar-connections:`);
- a synth step ("Synth") running the given install and synth commands, whose primary output
  is `cdk.out`;
- one CodePipeline stage per wave, in the given order; each stage of a wave deploys in
  parallel with the others, and gets, before its stacks, an optional manual approval (first)
  and a "Preflight" CodeBuild step, and after its stacks a "Verify" CodeBuild step. Both run
  with the credentials of the target account's CDK bootstrap *lookup* role (read-only), via
  an AWS CLI profile (`TARGET_PROFILE`) whose `credential_source` is the CodeBuild
  container's role, with `AWS_REGION` and `AWS_DEFAULT_REGION` set to the target region
  (CodeBuild sets them to the tooling region, and they take precedence over the profile);
- CodeBuild defaults for every project: a pinned image (`LinuxBuildImage.STANDARD_7_0`,
  aws/codebuild/standard:7.0: a named major version whose runtimes only get patch updates,
  unlike a moving `latest`), no privileged mode (nothing here builds container images), logs
  in one KMS-encrypted CloudWatch log group with a retention;
- a CodeStar Notifications rule on the underlying pipeline for failed executions, to a
  KMS-encrypted SNS topic (created, with e-mail subscriptions) or an existing topic.

Least privilege: the only `sts:AssumeRole` any build role may make is on CDK bootstrap roles
of the pipeline's target accounts: the preflight and verify roles on the lookup role of their
account and region; the asset-publishing roles on the publishing roles CDK names; the
self-mutation role on the tooling account's deploy and publishing roles (CDK's default is
every role of the account carrying a bootstrap tag; this construct narrows it to the three
ARNs and keeps the tag condition).

The stages are built by the caller (this construct never imports the app): any `cdk.Stage`
whose stacks have an explicit account and region.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import jsii
from aws_cdk import (
    Aws,
    Duration,
    IResolvable,
    IResolveContext,
    RemovalPolicy,
    Stack,
    Stage,
    pipelines,
)
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_codestarnotifications as notifications
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from ..compliance import acknowledge, nag_resource_name
from ..encryption import allow_cloudwatch_logs, new_key
from ..validate_names import PropError
from .image_pipeline import grant_code_connection

#: The qualifier of `cdk bootstrap`'s default template (`--qualifier` changes it).
BOOTSTRAP_QUALIFIER = "hnb659fds"
#: The AWS CLI / boto3 profile the preflight and verify steps run under: the target
#: account's bootstrap lookup role, assumed with the CodeBuild container's credentials.
TARGET_PROFILE = "target"
#: CodePipeline pipeline, stage and action names.
_PIPELINE_NAME = re.compile(r"[A-Za-z0-9.@_-]{1,100}")
#: A CodeConnections or CodeStar Connections connection ARN.
_CONNECTION_ARN = re.compile(
    r"arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection/[A-Za-z0-9-]+"
)
#: A repository as CodeConnections names it: `owner/name`.
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_ACCOUNT = re.compile(r"\d{12}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_SNS_TOPIC_ARN = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}")
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


class PlatformPipeline(Construct):
    """The platform pipeline: source, synth (tests then synth), self-mutation, asset
    publishing, then one CodePipeline stage per wave. See the module docstring.

    Attributes: `pipeline` (the `pipelines.CodePipeline`, built), `log_group`,
    `topic` (the notification target), `notification_rule`.
    """

    def __init__(self, scope: Construct, id: str, *, props: PlatformPipelineProps) -> None:
        super().__init__(scope, id)
        self._check(props)
        self.props = props
        stack = Stack.of(self)

        key = new_key(
            self,
            "LogKey",
            description=f"{props.pipeline_name}: CodeBuild logs of the platform pipeline",
            removal_policy=RemovalPolicy.RETAIN,
        )
        log_group_name = f"/aws/codebuild/{props.pipeline_name}"
        allow_cloudwatch_logs(key, log_group_name_prefix=log_group_name)
        self.log_group = logs.LogGroup(
            self,
            "BuildLogs",
            log_group_name=log_group_name,
            encryption_key=key,
            retention=props.log_retention,
            removal_policy=RemovalPolicy.RETAIN,
        )

        self.source = pipelines.CodePipelineSource.connection(
            props.repository,
            props.branch,
            connection_arn=props.connection_arn,
            # the default action name is the repository, and '/' is not allowed in one
            action_name="Source",
        )
        synth = pipelines.CodeBuildStep(
            "Synth",
            input=self.source,
            install_commands=list(props.synth_install_commands),
            commands=list(props.synth_commands),
            primary_output_directory="cdk.out",
            build_environment=codebuild.BuildEnvironment(compute_type=props.synth_compute_type),
            partial_build_spec=self._runtime_spec(),
        )
        self.synth = synth
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            pipeline_name=props.pipeline_name,
            pipeline_type=codepipeline.PipelineType.V2,
            synth=synth,
            self_mutation=True,
            cross_account_keys=True,
            enable_key_rotation=True,
            docker_enabled_for_synth=False,
            docker_enabled_for_self_mutation=False,
            publish_assets_in_parallel=props.publish_assets_in_parallel,
            cli_version=props.cli_version,
            cdk_assets_cli_version=props.cdk_assets_cli_version,
            code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(
                    build_image=props.build_image,
                    compute_type=codebuild.ComputeType.SMALL,
                    privileged=False,
                ),
                logging=codebuild.LoggingOptions(
                    cloud_watch=codebuild.CloudWatchLoggingOptions(log_group=self.log_group)
                ),
                timeout=props.timeout,
            ),
        )

        self.target_accounts: list[tuple[str, str]] = []
        for wave_spec in props.waves:
            wave = self.pipeline.add_wave(wave_spec.name)
            for spec in wave_spec.stages:
                account, region = self._target(spec)
                if (account, region) not in self.target_accounts:
                    self.target_accounts.append((account, region))
                pre: list[pipelines.Step] = []
                if spec.approval:
                    pre.append(
                        pipelines.ManualApprovalStep(
                            APPROVAL_STEP,
                            comment=f"Deploy {spec.stage.stage_name} to account {account}, "
                            f"region {region}?",
                        )
                    )
                if spec.preflight_commands:
                    pre.append(self._check_step(PREFLIGHT_STEP, spec, account, region))
                post: list[pipelines.Step] = []
                if spec.verify_commands:
                    post.append(self._check_step(VERIFY_STEP, spec, account, region))
                # pre steps run in parallel unless chained: the approval comes first
                wave.add_stage(
                    spec.stage, pre=pipelines.Step.sequence(pre) if pre else None, post=post or None
                )

        self.pipeline.build_pipeline()
        grant_code_connection(self.pipeline.pipeline, props.connection_arn)
        self._scope_self_mutation(stack)
        # CDK writes each cross-account CloudFormation action's RoleArn as an Fn::Join of
        # literals and AWS::Partition, which cfn-lint refuses (E3703: prefer Fn::Sub).
        cfn_pipeline = self.pipeline.pipeline.node.default_child
        assert isinstance(cfn_pipeline, codepipeline.CfnPipeline)
        cfn_pipeline.stages = cast(IResolvable, _JoinAsSub(cfn_pipeline.stages, stack))
        self.topic = self._notification_topic(props)
        self.notification_rule = notifications.NotificationRule(
            self,
            "FailureNotifications",
            source=self.pipeline.pipeline,
            events=list(FAILURE_EVENTS),
            targets=[self.topic],
            detail_type=notifications.DetailType.BASIC,
        )
        self._acknowledge()

    # --- validation -------------------------------------------------------------------

    def _check(self, props: PlatformPipelineProps) -> None:
        path = self.node.path
        name = "PlatformPipelineProps"

        def fail(prop: str, value: Any, problem: str) -> None:
            raise PropError(path, f"{name}.{prop}", value, problem)

        if not _PIPELINE_NAME.fullmatch(props.pipeline_name):
            fail(
                "pipeline_name",
                props.pipeline_name,
                "not a CodePipeline name; use 1-100 letters, digits and . @ _ -",
            )
        if not _CONNECTION_ARN.fullmatch(props.connection_arn):
            fail(
                "connection_arn",
                props.connection_arn,
                "not a connection ARN; copy it from Developer Tools > Settings > "
                "Connections, like arn:aws:codeconnections:eu-west-1:111111111111:"
                "connection/<id>",
            )
        if not _REPOSITORY.fullmatch(props.repository):
            fail("repository", props.repository, "write the repository as owner/name")
        if not props.branch or any(c.isspace() for c in props.branch):
            fail("branch", props.branch, "name one branch, without spaces")
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
                self._target(spec, f"{where}.stages[{s}]")
        if bool(props.notification_topic_arn) == bool(props.notification_emails):
            fail(
                "notification_topic_arn",
                props.notification_topic_arn,
                "give exactly one failure notification target: an existing topic ARN, or "
                "notification_emails for a topic this construct creates",
            )
        if props.notification_topic_arn and not _SNS_TOPIC_ARN.fullmatch(
            props.notification_topic_arn
        ):
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

    def _target(self, spec: StageSpec, where: str = "stage") -> tuple[str, str]:
        """The account and region a stage deploys to, literal (an ARN is built from them)."""
        account = spec.account or spec.stage.account
        region = spec.region or spec.stage.region
        if not account or not _ACCOUNT.fullmatch(account):
            raise PropError(
                self.node.path,
                f"PlatformPipelineProps.{where}.account",
                account,
                f"stage {spec.stage.stage_name!r} needs a literal 12-digit account "
                "(give the stage an env, or StageSpec.account)",
            )
        if not region or not _REGION.fullmatch(region):
            raise PropError(
                self.node.path,
                f"PlatformPipelineProps.{where}.region",
                region,
                f"stage {spec.stage.stage_name!r} needs a literal region "
                "(give the stage an env, or StageSpec.region)",
            )
        return account, region

    # --- steps ------------------------------------------------------------------------

    def _runtime_spec(self) -> codebuild.BuildSpec | None:
        version = self.props.python_version
        if version is None:
            return None
        return codebuild.BuildSpec.from_object(
            {"phases": {"install": {"runtime-versions": {"python": version}}}}
        )

    def _check_step(
        self, step_id: str, spec: StageSpec, account: str, region: str
    ) -> pipelines.CodeBuildStep:
        """A read-only step in the target account: the source checkout (with the synthesised
        assembly in cdk.out/), the tools installed from it, and an AWS CLI profile that
        assumes the account's bootstrap lookup role (ReadOnlyAccess) with the container's
        credentials. Its role may assume that one role and nothing else."""
        lookup = bootstrap_role_arn("lookup", account, region, self.props.bootstrap_qualifier)
        commands = spec.preflight_commands if step_id == PREFLIGHT_STEP else spec.verify_commands
        profile = [
            'export AWS_CONFIG_FILE="$CODEBUILD_SRC_DIR/.aws-target-config"',
            f"aws configure set role_arn {lookup} --profile {TARGET_PROFILE}",
            f"aws configure set credential_source EcsContainer --profile {TARGET_PROFILE}",
            f"aws configure set region {region} --profile {TARGET_PROFILE}",
            # CodeBuild sets both to the tooling region, and they win over the profile's
            f"export AWS_REGION={region} AWS_DEFAULT_REGION={region}",
            f"export AWS_PROFILE={TARGET_PROFILE}",
            "aws sts get-caller-identity",
        ]
        return pipelines.CodeBuildStep(
            step_id,
            input=self.source,
            additional_inputs={"cdk.out": self.synth},
            install_commands=list(self.props.check_install_commands),
            commands=[*profile, *commands],
            partial_build_spec=self._runtime_spec(),
            role_policy_statements=[
                iam.PolicyStatement(actions=["sts:AssumeRole"], resources=[lookup])
            ],
        )

    # --- least privilege --------------------------------------------------------------

    def _scope_self_mutation(self, stack: Stack) -> None:
        """Narrow CDK's self-mutation statement (`sts:AssumeRole` on `arn:*:iam::<tooling
        account>:role/*` with a bootstrap-role tag condition) to the tooling account's
        deploy, file-publishing and image-publishing bootstrap roles, keeping the tag
        condition. Done on the rendered policy, lazily, so grants added later still show."""
        project = self.pipeline.self_mutation_project
        role = project.role
        if role is None:
            return
        policy = role.node.try_find_child("DefaultPolicy")
        if not isinstance(policy, iam.Policy):
            return
        allowed = [
            bootstrap_role_arn(kind, stack.account, stack.region, self.props.bootstrap_qualifier)
            for kind in ("deploy", "file-publishing", "image-publishing")
        ]
        cfn_policy = policy.node.default_child
        assert isinstance(cfn_policy, iam.CfnPolicy)
        # The L1 property, not an override: the compliance packs read the property.
        cfn_policy.policy_document = _NarrowAssumeRole(policy, stack, allowed)

    # --- notifications ----------------------------------------------------------------

    def _notification_topic(self, props: PlatformPipelineProps) -> sns.ITopic:
        if props.notification_topic_arn:
            return sns.Topic.from_topic_arn(self, "Notifications", props.notification_topic_arn)
        key = new_key(
            self,
            "NotificationKey",
            description=f"{props.pipeline_name}: failure notifications topic",
            removal_policy=RemovalPolicy.RETAIN,
        )
        # CodeStar Notifications publishes to an encrypted topic only if the key lets it
        # create and read data keys (Developer Tools console guide, "Configure Amazon SNS
        # topics for notifications").
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCodeStarNotifications",
                principals=[iam.ServicePrincipal("codestar-notifications.amazonaws.com")],
                actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                resources=["*"],  # in a key policy, "*" means this key
                conditions={"StringEquals": {"kms:ViaService": f"sns.{Aws.REGION}.amazonaws.com"}},
            )
        )
        topic = sns.Topic(
            self,
            "Notifications",
            display_name=f"{props.pipeline_name} failures",
            master_key=key,
            enforce_ssl=True,
        )
        for email in props.notification_emails:
            topic.add_subscription(subscriptions.EmailSubscription(email))
        return topic

    # --- compliance -------------------------------------------------------------------

    def _acknowledge(self) -> None:
        """Acknowledge, on each resource, the findings of what CDK Pipelines generates.

        Every wildcard in a generated role policy (AwsSolutions-IAM5, granular: one id per
        action group or resource) needs a reason from `_WILDCARD_REASONS`; a wildcard
        without one is an error, so a new `*` cannot slip in unexplained.
        """
        for construct in self.node.find_all():
            if isinstance(construct, iam.Policy):
                self._acknowledge_policy(construct)
        bucket = self.pipeline.pipeline.artifact_bucket
        cfn_bucket = bucket.node.default_child
        assert isinstance(cfn_bucket, s3.CfnBucket)
        # Versioning keeps an overwritten or deleted artifact recoverable (NIST
        # S3BucketVersioningEnabled); artifacts are small and written once per execution.
        cfn_bucket.versioning_configuration = s3.CfnBucket.VersioningConfigurationProperty(
            status="Enabled"
        )
        artifacts = (
            "the pipeline's artifact bucket holds only build artifacts re-created from the "
            "source commit by a re-run; access is limited to this pipeline's roles and the "
            "target accounts' bootstrap roles, over TLS, with a KMS key"
        )
        acknowledge(
            bucket,
            "AwsSolutions::AwsSolutions-S1",
            f"{artifacts}; server access "
            "logs would need a second bucket holding more data than the first",
        )
        acknowledge(
            bucket,
            "NIST.800.53.R5::NIST.800.53.R5-S3BucketLoggingEnabled",
            f"{artifacts}; server access logs would need a second, unlogged bucket",
        )
        acknowledge(
            bucket,
            "NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled",
            f"{artifacts}; a replica in another region protects nothing a re-run cannot rebuild",
        )

    def _acknowledge_policy(self, policy: iam.Policy) -> None:
        path = policy.node.path
        acknowledge(
            policy,
            "NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy",
            "CDK Pipelines' default policy of one generated role, used by one CodeBuild "
            "project or pipeline action of this pipeline only",
        )
        cfn_policy = policy.node.default_child
        assert isinstance(cfn_policy, iam.CfnPolicy)
        # what the template says (the self-mutation policy is narrowed on the L1)
        document = Stack.of(policy).resolve(cfn_policy.policy_document)
        for statement in document.get("Statement", []):
            if statement.get("Effect") != "Allow":
                continue
            for kind, key in (("Action", "Action"), ("Resource", "Resource")):
                values = statement.get(key, [])
                for value in values if isinstance(values, list) else [values]:
                    name = nag_resource_name(value)
                    if "*" not in name:
                        continue
                    granular = f"{kind}::{name}"
                    reason = _wildcard_reason(path, granular)
                    if reason is None:
                        raise ValueError(
                            f"{path}: the generated policy grants {granular!r}, which has no "
                            "written reason; narrow it or add its reason to _WILDCARD_REASONS"
                        )
                    acknowledge(policy, f"AwsSolutions::AwsSolutions-IAM5[{granular}]", reason)


#: (construct path fragment or "", granular IAM5 id pattern, reason): why a wildcard in a
#: policy CDK Pipelines generates is needed. Checked in order; the first match wins.
_WILDCARD_REASONS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    (
        "",
        re.compile(r"Action::s3:(Abort|DeleteObject|GetBucket|GetObject|List)\*"),
        "CDK's read or read-write grant on the pipeline's artifact bucket: the S3 action "
        "groups artifacts need, on that one bucket and its objects only",
    ),
    (
        "",
        re.compile(r"Action::kms:(GenerateDataKey|ReEncrypt)\*"),
        "CDK's grant on the artifact bucket's KMS key: data-key actions on that one key only",
    ),
    (
        "",
        re.compile(r"Resource::<\w*ArtifactsBucket\w*\.Arn>/\*"),
        "objects of the pipeline's artifact bucket, whose keys are generated per execution",
    ),
    (
        "",
        re.compile(r"Resource::arn:[^:]+:logs:[^:]+:\d{12}:log-group:/aws/codebuild/<\w+>:\*"),
        "log streams of the CodeBuild project's own log group; stream names are per build",
    ),
    (
        "",
        re.compile(r"Resource::arn:[^:]+:codebuild:[^:]+:\d{12}:report-group/<\w+>-\*"),
        "test report groups of the CodeBuild project itself, named after it by CodeBuild",
    ),
    (
        "/Assets/FileRole/",
        re.compile(
            r"Resource::arn:[^:]+:(logs:[^:]+:\d{12}:log-group:/aws/codebuild/|"
            r"codebuild:[^:]+:\d{12}:report-group/)\*"
        ),
        "CDK Pipelines' asset-publishing role, shared by the publishing projects it generates: "
        "CodeBuild log groups and report groups of this account and region only",
    ),
    (
        "/Assets/FileRole/",
        re.compile(r"Resource::\*"),
        "CDK Pipelines' asset-publishing role is also the publishing action's role: it starts "
        "and reads builds of the publishing projects (codebuild:StartBuild, BatchGetBuilds, "
        "StopBuild), which CDK grants without a resource ARN",
    ),
    (
        "/UpdatePipeline/SelfMutation/",
        re.compile(r"Resource::\*"),
        "the self-mutation step's cdk deploy reads stack status (cloudformation:DescribeStacks, "
        "read-only) and checks the staging bucket (s3:ListBucket); every change is made by the "
        "tooling account's bootstrap deploy role",
    ),
)


def _wildcard_reason(path: str, granular: str) -> str | None:
    for fragment, pattern, reason in _WILDCARD_REASONS:
        if fragment in path and pattern.fullmatch(granular):
            return reason
    return None


@jsii.implements(IResolvable)
class _NarrowAssumeRole:
    """Renders a policy document with every `sts:AssumeRole` on a role wildcard replaced by
    the given role ARNs (conditions kept)."""

    def __init__(self, policy: iam.Policy, stack: Stack, allowed: list[str]) -> None:
        self._policy = policy
        self._stack = stack
        self._allowed = allowed
        self.creation_stack: list[str] = []

    def resolve(self, context: IResolveContext) -> Any:
        document = self._stack.resolve(self._policy.document)
        allowed = [self._stack.resolve(arn) for arn in self._allowed]
        for statement in document.get("Statement", []):
            actions = statement.get("Action")
            actions = actions if isinstance(actions, list) else [actions]
            resources = statement.get("Resource")
            resources = resources if isinstance(resources, list) else [resources]
            if "sts:AssumeRole" in actions and any(
                isinstance(r, str) and r.endswith(":role/*") for r in resources
            ):
                statement["Resource"] = allowed
        return document

    def to_string(self) -> str:
        return "PlatformPipeline.NarrowAssumeRole"


@jsii.implements(IResolvable)
class _JoinAsSub:
    """Renders a value with every `Fn::Join` on "" whose parts are literals or pseudo
    parameters (`Ref: AWS::...`) written as the equivalent `Fn::Sub`."""

    def __init__(self, value: Any, stack: Stack) -> None:
        self._value = value
        self._stack = stack
        self.creation_stack: list[str] = []

    def resolve(self, context: IResolveContext) -> Any:
        return _join_as_sub(self._stack.resolve(self._value))

    def to_string(self) -> str:
        return "PlatformPipeline.JoinAsSub"


def _join_as_sub(value: Any) -> Any:
    if isinstance(value, list):
        return [_join_as_sub(v) for v in value]
    if not isinstance(value, dict):
        return value
    join = value.get("Fn::Join") if len(value) == 1 else None
    if isinstance(join, list) and len(join) == 2 and join[0] == "" and isinstance(join[1], list):
        parts: list[str] = []
        for part in join[1]:
            if isinstance(part, str) and "${" not in part:
                parts.append(part)
            elif (
                isinstance(part, dict)
                and list(part) == ["Ref"]
                and str(part["Ref"]).startswith("AWS::")
            ):
                parts.append("${" + part["Ref"] + "}")
            else:
                break
        else:
            return {"Fn::Sub": "".join(parts)}
    return {k: _join_as_sub(v) for k, v in value.items()}
