"""ImagePipeline: build, scan, sign and roll out one workload image, on CodePipeline V2.

Stages, in order:

1. **Source**: a CodeConnections source action (`SourceVariables.CommitId` is the tag).
2. **Build**: one CodeBuild project per platform, each on a native image of its
   architecture (`amazonlinux-x86_64-standard:5.0`, `amazonlinux-aarch64-standard:3.0`;
   pinned major versions, privileged for the Docker daemon), pushing
   `<repo>:<commit>-<arch>`; then, when both are built, a manifest step pushing the
   multi-architecture manifest list `<repo>:<commit>` (with one platform, the build pushes
   `<repo>:<commit>` itself). Repositories are immutable: the commit id is a unique tag.
3. **ScanGate**: waits for the registry's scan of each image and fails on a finding at or
   above `fail_on_severity`.
4. **Sign**: signs `<repo>@<digest>` with AWS Signer through Notation (pinned Notation CLI
   and AWS Signer plugin), and renders the Deployment manifest naming that digest.
5. **Deploy**: CodePipeline's EKS deploy action applies the manifest, as a role whose
   cluster access entry has `AmazonEKSEditPolicy` in the workload's namespace only.

Everything the pipeline stores is encrypted with one customer-managed key (artifacts,
CodeBuild output, logs); logs have a retention: the CodeBuild log group
`/aws/codebuild/<pipeline>` and the EKS deploy action's `/aws/codepipeline/<pipeline>`,
which the construct creates before the action could create it unencrypted. No project
holds a secret.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from aws_cdk import Aws, RemovalPolicy, Stack, Token
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_codepipeline_actions as actions
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_signer as signer
from constructs import Construct

from .. import defaults
from ..compliance import acknowledge, nag_resource_name
from ..config.security import (
    DEFAULT_FAIL_ON_SEVERITY,
    SEVERITIES,
    check_branch,
    check_build_platforms,
    check_connection_arn,
    check_severity,
    check_source_repository,
)
from ..encryption import allow_cloudwatch_logs, new_key
from ..validate_names import (
    PropError,
    check_kubernetes_name,
    check_kubernetes_subdomain,
    check_prop,
    check_tenant_namespace,
)
from . import buildspecs
from .eks_deploy_action import EksDeployAction, EksDeployActionProps

#: The pinned CodeBuild images of the native builds, per architecture.
BUILD_IMAGES: Mapping[str, codebuild.IBuildImage] = {
    "amd64": codebuild.LinuxBuildImage.AMAZON_LINUX_2023_5,
    "arm64": codebuild.LinuxArmBuildImage.AMAZON_LINUX_2023_STANDARD_3_0,
}
#: The image of the steps that build nothing (scan gate, sign): pinned, amd64.
TOOLS_IMAGE = codebuild.LinuxBuildImage.AMAZON_LINUX_2023_5
#: The EKS access policy of the deploy role, in its namespace only.
EDIT_POLICY = "AmazonEKSEditPolicy"
#: Amazon Inspector reads the scan gate needs for enhanced scanning findings.
INSPECTOR_READ_ACTIONS: tuple[str, ...] = ("inspector2:ListCoverage", "inspector2:ListFindings")
#: Stage names, in order.
STAGES: tuple[str, ...] = ("Source", "Build", "ScanGate", "Sign", "Deploy")
#: CodePipeline pipeline names.
_PIPELINE_NAME = re.compile(r"[A-Za-z0-9.@_-]{1,100}")


@dataclass(frozen=True, kw_only=True)
class ImageSource:
    """The source repository, through a CodeConnections connection."""

    connection_arn: str
    """The connection, arn:aws:codeconnections:<region>:<account>:connection/<id>."""
    repository: str
    """`owner/name`, with a Dockerfile at its root."""
    branch: str = "main"
    """The branch whose commits start the pipeline. Default: main."""


@dataclass(frozen=True, kw_only=True)
class RolloutTarget:
    """The Deployment the new image is rolled out to, and how to reach its cluster."""

    cluster_name: str
    """The EKS cluster (a name or a token from the cluster stack)."""
    namespace: str
    """The workload's namespace: the deploy role may edit this namespace only."""
    deployment: Mapping[str, Any]
    """The Deployment object (apps/v1) as the cluster has it; the Sign step sets its
    container's image to `<repo>@<digest>` and the EKS deploy action applies it."""
    container: str
    """The container of `deployment` whose image is replaced."""
    subnet_ids: Sequence[str] = ()
    """Subnets of the cluster's VPC for the deploy action's compute, needed for a private
    endpoint. Default: none (public endpoint)."""
    security_group_ids: Sequence[str] = ()
    """Security groups for that compute (the cluster security group). With subnet_ids."""


@dataclass(frozen=True, kw_only=True)
class ImagePipelineProps:
    """What ImagePipeline builds, scans, signs and rolls out."""

    pipeline_name: str
    """CodePipeline name, 1-100 letters, digits and . @ _ -; also names the log groups
    `/aws/codebuild/<pipeline_name>` and `/aws/codepipeline/<pipeline_name>`."""
    repository: ecr.IRepository
    """The ECR repository (immutable tags, scan on push or enhanced scanning)."""
    source: ImageSource
    """The source repository and branch."""
    platforms: Sequence[Literal["amd64", "arm64"]]
    """Architectures to build natively, each once; both give a multi-arch manifest list."""
    signing_profile: signer.ISigningProfile
    """The AWS Signer profile, platform Notation-OCI-SHA384-ECDSA."""
    rollout: RolloutTarget
    """Where the signed image goes."""
    fail_on_severity: Literal["CRITICAL", "HIGH", "MEDIUM", "LOW"] = DEFAULT_FAIL_ON_SEVERITY
    """The scan gate fails on findings at or above this severity. Default: HIGH."""
    log_retention: logs.RetentionDays = logs.RetentionDays[defaults.FLOW_LOG_RETENTION]
    """Retention of the build and deploy logs. Default: one month."""
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    """Key, artifact bucket and log group when the stack is deleted. Default: retain."""


def check_image_pipeline(path: str, props: ImagePipelineProps) -> None:
    """Refuse what the `build:` config refuses, naming the construct at `path`."""
    at = "ImagePipelineProps"
    if not _PIPELINE_NAME.fullmatch(props.pipeline_name):
        raise PropError(
            path,
            f"{at}.pipeline_name",
            props.pipeline_name,
            "CodePipeline names are 1-100 letters, digits and . @ _ -",
        )
    if not Token.is_unresolved(props.source.connection_arn):
        check_prop(
            path, f"{at}.source.connection_arn", props.source.connection_arn, check_connection_arn
        )
    check_prop(path, f"{at}.source.repository", props.source.repository, check_source_repository)
    check_prop(path, f"{at}.source.branch", props.source.branch, check_branch)
    check_prop(path, f"{at}.platforms", tuple(props.platforms), check_build_platforms)
    check_prop(path, f"{at}.fail_on_severity", props.fail_on_severity, check_severity)
    rollout = props.rollout
    check_prop(path, f"{at}.rollout.namespace", rollout.namespace, check_tenant_namespace)
    check_prop(path, f"{at}.rollout.container", rollout.container, check_kubernetes_name)
    deployment = rollout.deployment
    if deployment.get("kind") != "Deployment" or deployment.get("apiVersion") != "apps/v1":
        raise PropError(
            path,
            f"{at}.rollout.deployment",
            deployment.get("kind"),
            "must be an apps/v1 Deployment object",
        )
    metadata = deployment.get("metadata", {})
    check_prop(
        path, f"{at}.rollout.deployment.metadata.name", metadata.get("name"),
        check_kubernetes_subdomain,
    )
    if metadata.get("namespace") != rollout.namespace:
        raise PropError(
            path,
            f"{at}.rollout.deployment.metadata.namespace",
            metadata.get("namespace"),
            f"must be rollout.namespace ({rollout.namespace}): the deploy role may edit "
            "that namespace only",
        )
    containers = deployment.get("spec", {}).get("template", {}).get("spec", {}).get(
        "containers", []
    )
    if rollout.container not in [c.get("name") for c in containers]:
        raise PropError(
            path,
            f"{at}.rollout.container",
            rollout.container,
            "is not a container of rollout.deployment; name one of "
            + ", ".join(str(c.get("name")) for c in containers),
        )
    if bool(rollout.subnet_ids) != bool(rollout.security_group_ids):
        raise PropError(
            path,
            f"{at}.rollout.security_group_ids",
            list(rollout.security_group_ids),
            "give subnet_ids and security_group_ids together, or neither",
        )


def grant_code_connection(pipeline: codepipeline.Pipeline, connection_arn: str) -> None:
    """Let the role of the pipeline's source action (stage "Source", action "Source") use a
    CodeConnections connection: CDK grants `codestar-connections:UseConnection` only; an
    `arn:...:codeconnections:` connection is authorised with `codeconnections:UseConnection`
    as well. Nothing to add for a codestar-connections ARN."""
    if not Token.is_unresolved(connection_arn) and ":codeconnections:" not in connection_arn:
        return
    role = pipeline.node.try_find_child("Source")
    for child in ("Source", "CodePipelineActionRole"):
        role = role.node.try_find_child(child) if role is not None else None
    if not isinstance(role, iam.Role):
        raise ValueError(f"{pipeline.node.path}: no role of the source action Source/Source")
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="UseCodeConnection",
            actions=["codeconnections:UseConnection"],
            resources=[connection_arn],
        )
    )


def failing_severities(threshold: str) -> tuple[str, ...]:
    """The severities at or above `threshold`, most severe first."""
    return SEVERITIES[: SEVERITIES.index(threshold) + 1]


class ImagePipeline(Construct):
    """A CodePipeline V2 that builds, scans, signs and rolls out one image. See the
    module docstring.

    Attributes: `pipeline`, `key`, `log_group`, `deploy_log_group`, `projects` (by step
    name), `deploy_role`, `access_entry`.
    """

    def __init__(self, scope: Construct, id: str, *, props: ImagePipelineProps) -> None:
        super().__init__(scope, id)
        check_image_pipeline(self.node.path, props)
        self.props = props
        stack = Stack.of(self)
        self.key = new_key(
            self,
            "Key",
            description=f"{props.pipeline_name}: artifacts, builds and logs of the image "
            "pipeline",
            removal_policy=props.removal_policy,
        )
        log_group_name = f"/aws/codebuild/{props.pipeline_name}"
        # one key statement for both log groups: /aws/codebuild/<name>, /aws/codepipeline/<name>
        allow_cloudwatch_logs(
            self.key, log_group_name_prefix=f"/aws/code*/{props.pipeline_name}*"
        )
        self.log_group = logs.LogGroup(
            self,
            "BuildLogs",
            log_group_name=log_group_name,
            encryption_key=self.key,
            retention=props.log_retention,
            removal_policy=props.removal_policy,
        )
        # The EKS deploy action logs to /aws/codepipeline/<pipeline> and creates the group,
        # unencrypted and never expiring, unless it exists: created here first.
        self.deploy_log_group = logs.LogGroup(
            self,
            "DeployLogs",
            log_group_name=f"/aws/codepipeline/{props.pipeline_name}",
            encryption_key=self.key,
            retention=props.log_retention,
            removal_policy=props.removal_policy,
        )
        self.bucket = s3.Bucket(
            self,
            "Artifacts",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            versioned=True,
            removal_policy=props.removal_policy,
        )
        pipeline_role = iam.Role(
            self,
            "PipelineRole",
            assumed_by=iam.ServicePrincipal("codepipeline.amazonaws.com"),
            description=f"{props.pipeline_name}: the CodePipeline service role",
        )
        self.pipeline = codepipeline.Pipeline(
            self,
            "Pipeline",
            pipeline_name=props.pipeline_name,
            pipeline_type=codepipeline.PipelineType.V2,
            artifact_bucket=self.bucket,
            role=pipeline_role,
            restart_execution_on_update=False,
        )
        self.projects: dict[str, codebuild.PipelineProject] = {}

        source_output = codepipeline.Artifact("Source")
        owner, repo = props.source.repository.split("/", 1)
        source = actions.CodeStarConnectionsSourceAction(
            action_name="Source",
            connection_arn=props.source.connection_arn,
            owner=owner,
            repo=repo,
            branch=props.source.branch,
            output=source_output,
            variables_namespace="SourceVariables",
        )
        self.pipeline.add_stage(stage_name="Source", actions=[source])
        grant_code_connection(self.pipeline, props.source.connection_arn)
        commit = {"IMAGE_TAG": codebuild.BuildEnvironmentVariable(value=source.variables.commit_id)}

        platforms = list(props.platforms)
        build_actions: list[codepipeline.IAction] = []
        for arch in platforms:
            project = self._project(
                f"Build{arch.capitalize()}",
                buildspecs.image_build_spec(tag_commit=len(platforms) == 1),
                image=BUILD_IMAGES[arch],
                privileged=True,
                variables={"ARCH": arch},
            )
            props.repository.grant_pull_push(project)
            # the "tag exists already" check (buildspecs: describe-images)
            props.repository.grant(project, "ecr:DescribeImages")
            build_actions.append(
                actions.CodeBuildAction(
                    action_name=f"Build-{arch}",
                    project=project,
                    input=source_output,
                    environment_variables=commit,
                    run_order=1,
                )
            )
        if len(platforms) > 1:
            manifest = self._project(
                "Manifest",
                buildspecs.manifest_list_spec(),
                image=TOOLS_IMAGE,
                privileged=True,
                variables={"PLATFORMS": " ".join(platforms)},
            )
            props.repository.grant_pull_push(manifest)
            props.repository.grant(manifest, "ecr:DescribeImages")
            build_actions.append(
                actions.CodeBuildAction(
                    action_name="Manifest",
                    project=manifest,
                    input=source_output,
                    environment_variables=commit,
                    run_order=2,
                )
            )
        self.pipeline.add_stage(stage_name="Build", actions=build_actions)

        gate = self._project(
            "ScanGate",
            buildspecs.scan_gate_spec(),
            image=TOOLS_IMAGE,
            privileged=False,
            variables={
                "PLATFORMS": " ".join(platforms),
                "FAIL_ON": " ".join(failing_severities(props.fail_on_severity)),
            },
        )
        props.repository.grant(gate, "ecr:DescribeImageScanFindings", "ecr:DescribeImages")
        # enhanced scanning: ECR reads the findings from Amazon Inspector as the caller (ECR
        # user guide, "IAM permissions required for enhanced scanning"); no resource ARNs
        gate.add_to_role_policy(
            iam.PolicyStatement(
                sid="EnhancedScanFindings",
                actions=list(INSPECTOR_READ_ACTIONS),
                resources=["*"],
            )
        )
        self.pipeline.add_stage(
            stage_name="ScanGate",
            actions=[
                actions.CodeBuildAction(
                    action_name="ScanGate",
                    project=gate,
                    input=source_output,
                    environment_variables=commit,
                )
            ],
        )

        manifest_output = codepipeline.Artifact("Manifest")
        sign = self._project(
            "Sign",
            buildspecs.sign_spec(),
            image=TOOLS_IMAGE,
            privileged=False,
            variables={
                "SIGNING_PROFILE_ARN": props.signing_profile.signing_profile_arn,
                "CONTAINER": props.rollout.container,
                "MANIFEST_TEMPLATE": json.dumps(dict(props.rollout.deployment), sort_keys=True),
            },
        )
        props.repository.grant_pull_push(sign)  # Notation pushes the signature next to it
        props.repository.grant(sign, "ecr:DescribeImages")
        sign.add_to_role_policy(
            iam.PolicyStatement(
                sid="Sign",
                actions=["signer:SignPayload", "signer:GetSigningProfile"],
                resources=[props.signing_profile.signing_profile_arn],
            )
        )
        self.pipeline.add_stage(
            stage_name="Sign",
            actions=[
                actions.CodeBuildAction(
                    action_name="Sign",
                    project=sign,
                    input=source_output,
                    outputs=[manifest_output],
                    environment_variables=commit,
                )
            ],
        )

        rollout = props.rollout
        self.deploy_role = iam.Role(
            self,
            "DeployRole",
            assumed_by=iam.ArnPrincipal(pipeline_role.role_arn),
            description=f"{props.pipeline_name}: the EKS deploy action; edits namespace "
            f"{rollout.namespace} only",
        )
        self.access_entry = eks.CfnAccessEntry(
            self,
            "DeployAccess",
            cluster_name=rollout.cluster_name,
            principal_arn=self.deploy_role.role_arn,
            type="STANDARD",
            access_policies=[
                eks.CfnAccessEntry.AccessPolicyProperty(
                    policy_arn=f"arn:{Aws.PARTITION}:eks::aws:cluster-access-policy/{EDIT_POLICY}",
                    access_scope=eks.CfnAccessEntry.AccessScopeProperty(
                        type="namespace", namespaces=[rollout.namespace]
                    ),
                )
            ],
        )
        deploy = EksDeployAction(
            EksDeployActionProps(
                action_name="Deploy",
                input=manifest_output,
                cluster_name=rollout.cluster_name,
                manifest_files=[buildspecs.MANIFEST_FILE],
                namespace=rollout.namespace,
                role=self.deploy_role,
                subnet_ids=tuple(rollout.subnet_ids),
                security_group_ids=tuple(rollout.security_group_ids),
            )
        )
        self.pipeline.add_stage(stage_name="Deploy", actions=[deploy])
        # The role must be able to reach the cluster before the first rollout runs, and the
        # action's log group must exist before it would create one.
        self.pipeline.node.add_dependency(self.access_entry)
        self.pipeline.node.add_dependency(self.deploy_log_group)
        self._acknowledge(stack)

    def _project(
        self,
        id: str,
        spec: dict[str, Any],
        *,
        image: codebuild.IBuildImage,
        privileged: bool,
        variables: Mapping[str, str],
    ) -> codebuild.PipelineProject:
        repository = self.props.repository
        project = codebuild.PipelineProject(
            self,
            id,
            description=f"{self.props.pipeline_name}: {id}",
            build_spec=codebuild.BuildSpec.from_object(spec),
            encryption_key=self.key,
            environment=codebuild.BuildEnvironment(
                build_image=image,
                compute_type=codebuild.ComputeType.SMALL,
                privileged=privileged,
                environment_variables={
                    "REPOSITORY_URI": codebuild.BuildEnvironmentVariable(
                        value=repository.repository_uri
                    ),
                    "REPOSITORY_NAME": codebuild.BuildEnvironmentVariable(
                        value=repository.repository_name
                    ),
                    **{
                        name: codebuild.BuildEnvironmentVariable(value=value)
                        for name, value in variables.items()
                    },
                },
            ),
            logging=codebuild.LoggingOptions(
                cloud_watch=codebuild.CloudWatchLoggingOptions(
                    log_group=self.log_group, prefix=id
                )
            ),
        )
        self.projects[id] = project
        return project

    def _acknowledge(self, stack: Stack) -> None:
        """The findings this design accepts, each next to its resource, with the reason."""
        artifacts = (
            "the image pipeline's artifact bucket holds only the source snapshot and the "
            "rendered manifest of each execution, re-created by a re-run; private, TLS "
            "only, encrypted with the pipeline's key"
        )
        acknowledge(
            self.bucket,
            "AwsSolutions::AwsSolutions-S1",
            f"{artifacts}; access logs would need a second bucket holding more than the first",
        )
        acknowledge(
            self.bucket,
            "NIST.800.53.R5::NIST.800.53.R5-S3BucketLoggingEnabled",
            f"{artifacts}; access logs would need a second, unlogged bucket",
        )
        acknowledge(
            self.bucket,
            "NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled",
            f"{artifacts}; a replica protects nothing a re-run cannot rebuild",
        )
        for construct in self.node.find_all():
            if isinstance(construct, iam.Policy):
                self._acknowledge_policy(stack, construct)

    def _acknowledge_policy(self, stack: Stack, policy: iam.Policy) -> None:
        acknowledge(
            policy,
            "NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy",
            "the default policy of one role of this image pipeline, used by one CodeBuild "
            "project or pipeline action only",
        )
        cfn_policy = policy.node.default_child
        assert isinstance(cfn_policy, iam.CfnPolicy)
        document = stack.resolve(cfn_policy.policy_document)
        for statement in document.get("Statement", []):
            if statement.get("Effect") != "Allow":
                continue
            for kind in ("Action", "Resource"):
                values = statement.get(kind, [])
                for value in values if isinstance(values, list) else [values]:
                    name = nag_resource_name(value)
                    if "*" not in name:
                        continue
                    granular = f"{kind}::{name}"
                    reason = _wildcard_reason(policy.node.path, granular)
                    if reason is None:
                        raise ValueError(
                            f"{policy.node.path}: the policy grants {granular!r}, which has no "
                            "written reason; narrow it or add its reason to _WILDCARD_REASONS"
                        )
                    acknowledge(policy, f"AwsSolutions::AwsSolutions-IAM5[{granular}]", reason)


#: (construct path fragment or "", granular IAM5 id pattern, reason) for each wildcard the
#: pipeline's roles need. Checked in order; the first match wins.
_WILDCARD_REASONS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    (
        "/ScanGate/",
        re.compile(r"Resource::\*"),
        "the scan gate reads enhanced scanning findings: inspector2:ListFindings and "
        "inspector2:ListCoverage (read-only) have no resource-level permissions, and ECR "
        "calls them as the caller (ECR user guide, IAM permissions for enhanced scanning)",
    ),
    (
        "",
        re.compile(r"Action::s3:(Abort|DeleteObject|GetBucket|GetObject|List|PutObject)\*"),
        "CDK's grant on the pipeline's artifact bucket: the S3 action groups artifacts need, "
        "on that one bucket and its objects only",
    ),
    (
        "",
        re.compile(r"Action::kms:(GenerateDataKey|ReEncrypt)\*"),
        "CDK's grant on the pipeline's own key: data-key actions on that one key only",
    ),
    (
        "",
        re.compile(r"Resource::<\w+Artifacts\w+\.Arn>/\*"),
        "objects of the pipeline's artifact bucket, whose keys are generated per execution",
    ),
    (
        "",
        re.compile(r"Resource::arn:(?:<AWS::Partition>|[a-z-]+):logs:[^:]+:[^:]+:log-group:/aws/codebuild/"
                   r"(<\w+>|[A-Za-z0-9.@_-]+):\*"),
        "log streams of the pipeline's CodeBuild log group (and of the project's default "
        "group, which CDK grants); stream names are per build",
    ),
    (
        "",
        re.compile(r"Resource::arn:(?:<AWS::Partition>|[a-z-]+):codebuild:[^:]+:[^:]+:report-group/<\w+>-\*"),
        "test report groups of the CodeBuild project itself, named after it by CodeBuild",
    ),
    (
        "",
        re.compile(r"Resource::arn:(?:<AWS::Partition>|[a-z-]+):logs:[^:]+:[^:]+:log-group:/aws/codepipeline/"
                   r".+:log-stream:\*"),
        "log streams of the EKS deploy action's log group /aws/codepipeline/<pipeline>, "
        "named per run by CodePipeline",
    ),
    (
        "",
        re.compile(r"Resource::\*"),
        "actions without resource-level permissions: ecr:GetAuthorizationToken (registry "
        "login for the pushes to this pipeline's repository) and, for the EKS deploy "
        "action in the cluster's VPC, the EC2 Describe calls and network interfaces "
        "conditioned to the cluster's subnets",
    ),
    (
        "",
        re.compile(r"Resource::arn:(?:<AWS::Partition>|[a-z-]+):ec2:[^:]+:[^:]+:network-interface/\*"),
        "network interfaces CodePipeline creates for the EKS deploy action, allowed only "
        "for codepipeline.amazonaws.com in the cluster's subnets",
    ),
)


def _wildcard_reason(path: str, granular: str) -> str | None:
    for fragment, pattern, reason in _WILDCARD_REASONS:
        if fragment in path and pattern.fullmatch(granular):
            return reason
    return None
