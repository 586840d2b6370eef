"""The Lambda function that applies a cluster's Kubernetes layers, and what it may do.

One function per cluster (``Kubernetes/Provider/Handler``), this project's code in
``eks_blueprint/kubernetes/handler`` with kubectl and Helm from the kubectl layer of the
cluster's version, behind aws-cdk-lib's custom-resource framework
(``Kubernetes/Provider/Framework``), which answers CloudFormation even when the handler
fails or runs out of time. Both run in the cluster's non-public subnets with the cluster
security group, like aws_eks_v2's kubectl provider, so they reach a private API endpoint;
charts are downloaded through the VPC's NAT gateways.

The handler signs its own Kubernetes token with its role (no AWS CLI layer), and that role
is a cluster administrator through an access entry (``Kubernetes/Provider/HandlerAccess``):
the layers install controllers that create cluster-wide RBAC, which only an administrator
may.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr
from constructs import Construct

from ..compliance import acknowledge, nag_resource_name

#: The handler's code: a Lambda asset, never imported by the package.
HANDLER_DIR: Final = Path(__file__).resolve().parent / "handler"

_AWS = "AwsSolutions::AwsSolutions-"
_NIST = "NIST.800.53.R5::NIST.800.53.R5-"
_MANAGED = "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"

#: Rule id -> reason for the findings on the handler and the framework function.
PROVIDER_FINDINGS: Final[dict[str, str]] = {
    f"{_AWS}{_MANAGED}service-role/AWSLambdaBasicExecutionRole]": (
        "The logging policy of the Kubernetes layer functions; they write only to their "
        "own log groups."
    ),
    f"{_AWS}{_MANAGED}service-role/AWSLambdaVPCAccessExecutionRole]": (
        "ENI permissions the Kubernetes layer functions need to run in the cluster's VPC "
        "(they reach a private API endpoint)."
    ),
    f"{_AWS}L1": (
        "The framework function's Node.js runtime is pinned by aws-cdk-lib's custom-resource "
        "framework and moves with it; the handler runs the latest Python runtime."
    ),
    f"{_NIST}CloudWatchLogGroupEncrypted": (
        "The Kubernetes layer logs hold kubectl and Helm output, object names and timings; "
        "no secret is applied through the layers."
    ),
    f"{_NIST}IAMNoInlinePolicy": (
        "Each inline policy belongs to the one function of the Kubernetes layers that uses it."
    ),
    f"{_NIST}LambdaConcurrency": (
        "Invoked only by CloudFormation during deployments, at most once per layer at a "
        "time; reserved concurrency would only take capacity from the account."
    ),
    f"{_NIST}LambdaDLQ": (
        "Invoked synchronously by the custom-resource framework, which reports every "
        "failure to CloudFormation; an asynchronous dead-letter queue would never receive "
        "anything."
    ),
}


#: The handler's Lambda timeout: below the framework function's 15 minutes (aws-cdk-lib
#: recommends at most 14), so the framework always answers CloudFormation.
HANDLER_TIMEOUT: Final = Duration.minutes(14)

#: A chart in a private ECR repository: ``oci://<account>.dkr.ecr.<region>.<domain>/<path>``.
PRIVATE_ECR: Final = re.compile(
    r"^oci://(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.[a-z0-9.-]+/(?P<path>.+)$"
)


class LayerProvider(Construct):
    """The handler, its framework and its cluster access (module docstring)."""

    def __init__(
        self,
        scope: Construct,
        *,
        cluster: eks.ICluster,
        kubectl_layer: lambda_.ILayerVersion,
        subnets: ec2.SubnetSelection | None = None,
        security_group: ec2.ISecurityGroup | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
    ) -> None:
        super().__init__(scope, "Provider")
        placement = subnets or ec2.SubnetSelection(
            subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS
        )
        groups = [security_group or cluster.cluster_security_group]
        self.log_group = logs.LogGroup(
            self,
            "HandlerLogs",
            retention=log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.handler = lambda_.Function(
            self,
            "Handler",
            description=f"Applies the Kubernetes layers of EKS cluster {cluster.node.path}",
            runtime=lambda_.Runtime.PYTHON_3_13,
            handler="index.on_event",
            code=lambda_.Code.from_asset(
                str(HANDLER_DIR), exclude=["__pycache__", "*.pyc"]
            ),
            layers=[kubectl_layer],
            # Up to four kubectl/Helm processes at once; CPU grows with memory (one vCPU
            # at 1,769 MB), so 2 GB keeps concurrent chart installs from starving.
            memory_size=2048,
            # aws-cdk-lib's framework function times out at 15 minutes; the handler must
            # end (and answer) before it, or CloudFormation waits for ServiceTimeout.
            timeout=HANDLER_TIMEOUT,
            vpc=cluster.vpc,
            vpc_subnets=placement,
            security_groups=groups,
            log_group=self.log_group,
            environment={
                "AWS_STS_REGIONAL_ENDPOINTS": "regional",
                "LOG_GROUP_NAME": self.log_group.log_group_name,
            },
        )
        role = self.handler.role
        assert role is not None
        self.role: iam.IRole = role
        stack = Stack.of(self)
        self._ecr_repositories: set[str] = set()
        self._cluster = cluster
        self._access_policies: set[str] = set()
        self._allow_disassociation()
        self.framework = cr.Provider(
            self,
            "Framework",
            on_event_handler=self.handler,
            vpc=cluster.vpc,
            vpc_subnets=placement,
            security_groups=groups,
            log_group=logs.LogGroup(
                self,
                "FrameworkLogs",
                retention=log_retention,
                removal_policy=RemovalPolicy.DESTROY,
            ),
            # Its log says which request failed and why (the default, FATAL, says nothing).
            framework_lambda_logging_level=lambda_.ApplicationLogLevel.INFO,
        )
        # CloudFormation invokes the framework asynchronously: Lambda would retry a timed-out
        # request twice, running the layer again while CloudFormation already rolls back.
        on_event = self.framework.node.find_child("framework-onEvent")
        assert isinstance(on_event, lambda_.Function)
        on_event.configure_async_invoke(retry_attempts=0)
        self.access_entry = eks.CfnAccessEntry(
            self,
            "HandlerAccess",
            cluster_name=cluster.cluster_name,
            principal_arn=role.role_arn,
            type="STANDARD",
            access_policies=[
                eks.CfnAccessEntry.AccessPolicyProperty(
                    policy_arn=f"arn:{stack.partition}:eks::aws:cluster-access-policy/"
                    "AmazonEKSClusterAdminPolicy",
                    access_scope=eks.CfnAccessEntry.AccessScopeProperty(type="cluster"),
                )
            ],
        )
        for rule, reason in PROVIDER_FINDINGS.items():
            acknowledge(self, rule, reason)
        function = self.handler.node.default_child
        acknowledge(
            self.framework,
            f"AwsSolutions::AwsSolutions-IAM5[Resource::<"
            f"{stack.get_logical_id(function)}.Arn>:*]",  # type: ignore[arg-type]
            "aws-cdk-lib's custom-resource framework may invoke every version of the layer "
            "handler, and nothing else.",
        )

    def allow_chart_pulls(self, repository: str, chart: str) -> None:
        """Let the handler log in to and pull chart `chart` from `repository` when it is a
        private ECR one (``oci://<account>.dkr.ecr...``): only what the layers' charts
        name, nothing for public charts. Helm pulls ECR repository ``<path>/<chart>``, or
        ``<path>`` when it already ends with the chart's name (the handler's chart
        reference)."""
        match = PRIVATE_ECR.match(repository)
        if match is None:
            return
        path = match["path"].rstrip("/")
        if path != chart and not path.endswith("/" + chart):
            path = f"{path}/{chart}"
        if f"{repository}|{path}" in self._ecr_repositories:
            return
        if not self._ecr_repositories:
            self.role.add_to_principal_policy(
                iam.PolicyStatement(actions=["ecr:GetAuthorizationToken"], resources=["*"])
            )
            acknowledge(
                self.role,
                "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                "ecr:GetAuthorizationToken takes no resource ARN (the ECR authorization "
                "reference); it lets the handler log in to pull the private OCI charts the "
                "layers name.",
            )
        self._ecr_repositories.add(f"{repository}|{path}")
        partition = Stack.of(self).partition
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                resources=[
                    f"arn:{partition}:ecr:{match['region']}:{match['account']}:repository/"
                    f"{path}"
                ],
            )
        )

    def _access_entries(self) -> str:
        """This cluster's access entries: the Service Authorization Reference for Amazon
        EKS authorizes the access policy actions on the ``access-entry`` resource type
        (``access-entry/<cluster>/<identity type>/<account>/<name>/<uuid>``)."""
        stack = Stack.of(self)
        return (
            f"arn:{stack.partition}:eks:{stack.region}:{stack.account}:access-entry/"
            f"{self._cluster.cluster_name}/*"
        )

    def _allow_disassociation(self) -> None:
        """Let the handler disassociate access policies from this cluster's entries, always:
        an Update that removes the last ``access-policy`` item of a policy runs after
        CloudFormation has updated this role's policy, so a grant that came and went with
        the items would be gone when the handler needs it. It only takes access away, and
        the handler is cluster admin already."""
        entries = self._access_entries()
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["eks:DisassociateAccessPolicy"], resources=[entries])
        )
        acknowledge(
            self.role,
            "AwsSolutions::AwsSolutions-IAM5[Resource::"
            f"{nag_resource_name(Stack.of(self).resolve(entries))}]",
            "An access entry's ARN ends in ids EKS generates; the statements are limited to "
            "this cluster's entries: disassociating any access policy (it only removes "
            "access, and an update removing an item needs it after the grant that came with "
            "the item is gone), and associating only the policies the layers' items name "
            "(eks:policyArn condition).",
        )

    def allow_access_policy(self, policy_arn: str) -> None:
        """Let the handler associate `policy_arn` with access entries of this cluster only
        (an ``access-policy`` item), and no other policy: the reference defines the
        condition key ``eks:policyArn`` for the action, of type ARN (hence ``ArnEquals``).
        Disassociation is always allowed (:meth:`_allow_disassociation`)."""
        if policy_arn in self._access_policies:
            return
        self._access_policies.add(policy_arn)
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["eks:AssociateAccessPolicy"],
                resources=[self._access_entries()],
                conditions={"ArnEquals": {"eks:policyArn": policy_arn}},
            )
        )

    @property
    def service_token(self) -> str:
        """What a layer's ``ServiceToken`` is: the framework function's ARN."""
        return self.framework.service_token
