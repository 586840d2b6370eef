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

The props and their validation are in platform_props.py (importable from here too), the
lazy rewrites of the rendered template in _platform_render.py.
"""

from __future__ import annotations

import re
from typing import cast

from aws_cdk import Aws, IResolvable, RemovalPolicy, Stack, pipelines
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_codestarnotifications as notifications
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from ..compliance import WildcardReasons, acknowledge, acknowledge_policy_wildcards
from ..encryption import allow_cloudwatch_logs, new_key
from ._common import grant_code_connection
from ._platform_render import _JoinAsSub, _NarrowAssumeRole
from .platform_props import (
    APPROVAL_STEP,
    BOOTSTRAP_QUALIFIER,
    CDK_ASSETS_VERSION,
    FAILURE_EVENTS,
    PREFLIGHT_STEP,
    TARGET_PROFILE,
    VERIFY_STEP,
    PlatformPipelineProps,
    StageSpec,
    WaveSpec,
    bootstrap_role_arn,
    check_platform_pipeline,
    stage_target,
)

__all__ = [
    "APPROVAL_STEP",
    "BOOTSTRAP_QUALIFIER",
    "CDK_ASSETS_VERSION",
    "FAILURE_EVENTS",
    "PREFLIGHT_STEP",
    "TARGET_PROFILE",
    "VERIFY_STEP",
    "PlatformPipeline",
    "PlatformPipelineProps",
    "StageSpec",
    "WaveSpec",
    "bootstrap_role_arn",
]


class PlatformPipeline(Construct):
    """The platform pipeline: source, synth (tests then synth), self-mutation, asset
    publishing, then one CodePipeline stage per wave. See the module docstring.

    Attributes: `pipeline` (the `pipelines.CodePipeline`, built), `log_group`,
    `topic` (the notification target), `notification_rule`.
    """

    def __init__(self, scope: Construct, id: str, *, props: PlatformPipelineProps) -> None:
        super().__init__(scope, id)
        check_platform_pipeline(self.node.path, props)
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
                account, region = stage_target(self.node.path, spec)
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
                acknowledge_policy_wildcards(
                    construct,
                    _WILDCARD_REASONS,
                    inline_reason="CDK Pipelines' default policy of one generated role, used by "
                    "one CodeBuild project or pipeline action of this pipeline only",
                    what="the generated policy",
                )
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


#: (construct path fragment or "", granular IAM5 id pattern, reason): why a wildcard in a
#: policy CDK Pipelines generates is needed. Checked in order; the first match wins.
_WILDCARD_REASONS: WildcardReasons = (
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
