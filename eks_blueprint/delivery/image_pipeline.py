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

The props, their validation and the fixed choices (build images, stage names) are in
image_props.py, importable from here too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from aws_cdk import Aws
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_codepipeline_actions as actions
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ..compliance import WildcardReasons, acknowledge, acknowledge_policy_wildcards
from ..encryption import allow_cloudwatch_logs, new_key
from . import buildspecs
from ._common import grant_code_connection
from .eks_deploy_action import EksDeployAction, EksDeployActionProps
from .image_props import (
    BUILD_IMAGES,
    EDIT_POLICY,
    INSPECTOR_READ_ACTIONS,
    STAGES,
    TOOLS_IMAGE,
    ImagePipelineProps,
    ImageSource,
    RolloutTarget,
    check_image_pipeline,
    failing_severities,
)

__all__ = [
    "BUILD_IMAGES",
    "EDIT_POLICY",
    "INSPECTOR_READ_ACTIONS",
    "STAGES",
    "TOOLS_IMAGE",
    "ImagePipeline",
    "ImagePipelineProps",
    "ImageSource",
    "RolloutTarget",
    "check_image_pipeline",
    "failing_severities",
    "grant_code_connection",
]


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
        self.log_group = self._log_group("BuildLogs", log_group_name)
        # The EKS deploy action logs to /aws/codepipeline/<pipeline> and creates the group,
        # unencrypted and never expiring, unless it exists: created here first.
        self.deploy_log_group = self._log_group(
            "DeployLogs", f"/aws/codepipeline/{props.pipeline_name}"
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
        self._build_stage("ScanGate", gate, source_output, commit)

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
        self._build_stage("Sign", sign, source_output, commit, outputs=[manifest_output])

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
        self._acknowledge()

    def _build_stage(
        self,
        name: str,
        project: codebuild.PipelineProject,
        source_output: codepipeline.Artifact,
        variables: Mapping[str, codebuild.BuildEnvironmentVariable],
        outputs: list[codepipeline.Artifact] | None = None,
    ) -> None:
        """A stage of one CodeBuild action, both named `name`, on the source checkout."""
        self.pipeline.add_stage(
            stage_name=name,
            actions=[
                actions.CodeBuildAction(
                    action_name=name,
                    project=project,
                    input=source_output,
                    outputs=outputs,
                    environment_variables=dict(variables),
                )
            ],
        )

    def _log_group(self, id: str, name: str) -> logs.LogGroup:
        """A log group encrypted with the pipeline's key, with the props' retention."""
        return logs.LogGroup(
            self,
            id,
            log_group_name=name,
            encryption_key=self.key,
            retention=self.props.log_retention,
            removal_policy=self.props.removal_policy,
        )

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

    def _acknowledge(self) -> None:
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
                acknowledge_policy_wildcards(
                    construct,
                    _WILDCARD_REASONS,
                    inline_reason="the default policy of one role of this image pipeline, used "
                    "by one CodeBuild project or pipeline action only",
                )


#: (construct path fragment or "", granular IAM5 id pattern, reason) for each wildcard the
#: pipeline's roles need. Checked in order; the first match wins.
_WILDCARD_REASONS: WildcardReasons = (
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
