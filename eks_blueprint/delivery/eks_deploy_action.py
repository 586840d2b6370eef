"""EksDeployAction: CodePipeline's Amazon EKS deploy action, which aws-cdk-lib has no L2 for.

The action (CodePipeline action reference, "Amazon Elastic Kubernetes Service EKS deploy
action"): ActionTypeId Category `Deploy`, Owner `AWS`, Provider `EKS`, Version `1`; V2
pipelines only. It runs kubectl (or helm) on CodePipeline-managed CodeBuild compute with
the action's role, which must be an access entry of the cluster. Configuration used here:

- `ClusterName` (required);
- `ManifestFiles`: the kubectl manifests, paths in the one input artifact;
- `Namespace`: the namespace kubectl applies them in;
- `Subnets` and `SecurityGroupIds`: for a cluster whose endpoint is private, the VPC the
  action's compute runs in, so it reaches the API server.

The role's permissions are the ones the reference lists for the action's service role:
`eks:DescribeCluster` on the cluster, the EC2 describe calls for the VPC, and the network
interface calls for the subnets it runs in (network interface permissions conditioned to
those subnets and to the AWS services that run the action's compute, `AUTHORIZED_SERVICES`),
CloudWatch Logs for `/aws/codepipeline/<pipeline>`, and read access to the input artifact
(granted when the action is bound). The action writes its logs to that log group, and
creates it if it does not exist: unencrypted and never expiring, so the pipeline that uses
the action should create it first (`ImagePipeline` does, with its key and a retention).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import jsii
from aws_cdk import ArnFormat, Stack, Token
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ..validate_names import PropError, check_kubernetes_name, check_prop

#: The action type, exactly as the CodePipeline action reference writes it.
CATEGORY = codepipeline.ActionCategory.DEPLOY
OWNER = "AWS"
PROVIDER = "EKS"
VERSION = "1"
#: The configuration keys of the action's VPC, as the action reference spells them.
SUBNETS_KEY = "Subnets"
SECURITY_GROUPS_KEY = "SecurityGroupIds"
#: Services allowed to be given permission on the action's network interfaces
#: (`ec2:AuthorizedService`): the action runs on CodePipeline-managed CodeBuild compute.
AUTHORIZED_SERVICES: tuple[str, ...] = ("codebuild.amazonaws.com", "codepipeline.amazonaws.com")
#: EC2 reads the action needs to place its compute in the cluster's VPC.
EC2_DESCRIBE_ACTIONS: tuple[str, ...] = (
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
)


@dataclass(frozen=True, kw_only=True)
class EksDeployActionProps:
    """What the EKS deploy action applies, where, and as whom."""

    action_name: str
    """The action's name in its stage (letters, digits, . @ _ -)."""
    input: codepipeline.Artifact
    """The artifact holding the manifest files."""
    cluster_name: str
    """The EKS cluster (a name or a token)."""
    manifest_files: Sequence[str]
    """Paths of the manifests in the input artifact; at least one."""
    namespace: str
    """The Kubernetes namespace kubectl applies in (the role's access is limited to it)."""
    role: iam.IRole
    """The action's role: the principal of the cluster access entry. Created by the
    caller so its access entry can be created before the pipeline runs."""
    subnet_ids: Sequence[str] = ()
    """Subnets of the cluster's VPC for the action's compute (a private endpoint needs
    them). Default: none (the action reaches a public endpoint)."""
    security_group_ids: Sequence[str] = ()
    """Security groups of that compute, allowed to reach the API server (the cluster
    security group does). Required with subnet_ids. Default: none."""
    run_order: int | None = None
    """Run order in the stage. Default: 1."""


def check_eks_deploy_action(path: str, props: EksDeployActionProps) -> None:
    """Refuse what the action would refuse at run time."""
    at = "EksDeployActionProps"
    if not list(props.manifest_files):
        raise PropError(path, f"{at}.manifest_files", [], "list at least one manifest file")
    if not Token.is_unresolved(props.namespace):
        check_prop(path, f"{at}.namespace", props.namespace, check_kubernetes_name)
    if bool(props.subnet_ids) != bool(props.security_group_ids):
        raise PropError(
            path,
            f"{at}.security_group_ids",
            list(props.security_group_ids),
            "give subnet_ids and security_group_ids together (the action's compute runs "
            "in those subnets with those groups), or neither for a public endpoint",
        )


@jsii.implements(codepipeline.IAction)
class EksDeployAction(codepipeline.Action):
    """Amazon EKS deploy action (kubectl manifests). See the module docstring."""

    def __init__(self, props: EksDeployActionProps) -> None:
        super().__init__()
        check_eks_deploy_action(f"EksDeployAction {props.action_name}", props)
        self.props = props

    @property
    def _provided_action_properties(self) -> codepipeline.ActionProperties:
        return codepipeline.ActionProperties(
            action_name=self.props.action_name,
            category=CATEGORY,
            owner=OWNER,
            provider=PROVIDER,
            version=VERSION,
            artifact_bounds=codepipeline.ActionArtifactBounds(
                min_inputs=1, max_inputs=1, min_outputs=0, max_outputs=0
            ),
            inputs=[self.props.input],
            role=self.props.role,
            run_order=self.props.run_order,
        )

    def _bound(
        self,
        scope: Construct,
        stage: codepipeline.IStage,
        *,
        bucket: s3.IBucket,
        role: iam.IRole,
    ) -> codepipeline.ActionConfig:
        props = self.props
        stack = Stack.of(scope)
        pipeline_name = stage.pipeline.pipeline_name
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="DescribeCluster",
                actions=["eks:DescribeCluster"],
                resources=[
                    stack.format_arn(
                        service="eks", resource="cluster", resource_name=props.cluster_name
                    )
                ],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="Logs",
                actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[
                    stack.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name=f"/aws/codepipeline/{pipeline_name}",
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    ),
                    stack.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name=f"/aws/codepipeline/{pipeline_name}:log-stream:*",
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    ),
                ],
            )
        )
        if props.subnet_ids:
            self._vpc_permissions(stack, role)
        bucket.grant_read(role)
        configuration: dict[str, str] = {
            "ClusterName": props.cluster_name,
            "ManifestFiles": ",".join(props.manifest_files),
            "Namespace": props.namespace,
        }
        if props.subnet_ids:
            configuration[SUBNETS_KEY] = ",".join(props.subnet_ids)
            configuration[SECURITY_GROUPS_KEY] = ",".join(props.security_group_ids)
        return codepipeline.ActionConfig(configuration=configuration)

    def _vpc_permissions(self, stack: Stack, role: iam.IRole) -> None:
        """What the action's compute needs to run in the cluster's subnets: EC2 reads (no
        resource-level permissions exist for Describe*), and network interfaces in those
        subnets only, their permissions only for the services of `AUTHORIZED_SERVICES`."""
        subnet_arns = [
            stack.format_arn(service="ec2", resource="subnet", resource_name=subnet)
            for subnet in self.props.subnet_ids
        ]
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="DescribeVpc", actions=list(EC2_DESCRIBE_ACTIONS), resources=["*"]
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="NetworkInterfaces",
                actions=["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"],
                resources=["*"],
                conditions={"StringEqualsIfExists": {"ec2:Subnet": subnet_arns}},
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="NetworkInterfacePermission",
                actions=["ec2:CreateNetworkInterfacePermission"],
                resources=[
                    stack.format_arn(
                        service="ec2", resource="network-interface", resource_name="*"
                    )
                ],
                conditions={
                    "StringEquals": {"ec2:AuthorizedService": list(AUTHORIZED_SERVICES)},
                    "ArnEquals": {"ec2:Subnet": subnet_arns},
                },
            )
        )
