"""The Karpenter controller's IAM: its statements, after Karpenter v1's reference
CloudFormation policy, split into managed policies by concern, and the acknowledgement of
each wildcard it needs, with the reason.
"""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_iam as iam

from ...compliance import acknowledge_wildcard_resources

#: The controller's managed policies: (construct id suffix, what it grants). IAM refuses a
#: managed policy document over 6,144 characters (without whitespace; IAM and STS quotas
#: page), and the cluster name appears in about fifteen conditions: one policy would pass
#: the limit for cluster names of about 38 characters or more. Split by concern, as in
#: Karpenter's reference policy, each stays under it at the longest names EKS allows.
CONTROLLER_POLICIES: tuple[tuple[str, str], ...] = (
    ("NodeLifecycle", "launch, tag and terminate its instances"),
    ("IamIntegration", "pass the node role and manage its instance profiles"),
    ("Discovery", "read-only discovery, the interruption queue and the cluster endpoint"),
)


def controller_statements(
    *, cluster_name: str, cluster_arn: str, queue_arn: str, node_role_arn: str
) -> dict[str, list[iam.PolicyStatement]]:
    """The controller's statements by policy (keys of CONTROLLER_POLICIES), after
    Karpenter v1's reference CloudFormation policy."""
    name = cluster_name
    region, account, partition = Aws.REGION, Aws.ACCOUNT_ID, Aws.PARTITION

    def ec2(resource: str) -> str:
        return f"arn:{partition}:ec2:{region}:*:{resource}"

    owned = {f"aws:ResourceTag/kubernetes.io/cluster/{name}": "owned"}
    request_owned = {
        f"aws:RequestTag/kubernetes.io/cluster/{name}": "owned",
        "aws:RequestTag/eks:eks-cluster-name": name,
    }
    tagged_on_create = [
        ec2(r)
        for r in (
            "fleet/*",
            "instance/*",
            "volume/*",
            "network-interface/*",
            "launch-template/*",
            "spot-instances-request/*",
        )
    ]
    # Karpenter launches into the On-Demand Capacity Reservations a NodePool selects;
    # as in the reference policy, it does not tag them.
    launched = [*tagged_on_create, ec2("capacity-reservation/*")]
    instance_profiles = f"arn:{partition}:iam::{account}:instance-profile/*"
    profile_owned = {**owned, "aws:ResourceTag/topology.kubernetes.io/region": region}
    stmt = iam.PolicyStatement
    node_lifecycle = [
        stmt(
            sid="AllowScopedEC2InstanceAccessActions",
            actions=["ec2:RunInstances", "ec2:CreateFleet"],
            resources=[
                f"arn:{partition}:ec2:{region}::image/*",
                f"arn:{partition}:ec2:{region}::snapshot/*",
                ec2("security-group/*"),
                ec2("subnet/*"),
                ec2("capacity-reservation/*"),
            ],
        ),
        stmt(
            sid="AllowScopedEC2LaunchTemplateAccessActions",
            actions=["ec2:RunInstances", "ec2:CreateFleet"],
            resources=[ec2("launch-template/*")],
            conditions={
                "StringEquals": owned,
                "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
            },
        ),
        stmt(
            sid="AllowScopedEC2InstanceActionsWithTags",
            actions=["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
            resources=launched,
            conditions={
                "StringEquals": request_owned,
                "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
            },
        ),
        stmt(
            sid="AllowScopedResourceCreationTagging",
            actions=["ec2:CreateTags"],
            resources=tagged_on_create,
            conditions={
                "StringEquals": {
                    **request_owned,
                    "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
                },
                "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
            },
        ),
        stmt(
            sid="AllowScopedResourceTagging",
            actions=["ec2:CreateTags"],
            resources=[ec2("instance/*")],
            conditions={
                "StringEquals": owned,
                "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
                "StringEqualsIfExists": {"aws:RequestTag/eks:eks-cluster-name": name},
                "ForAllValues:StringEquals": {
                    "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]
                },
            },
        ),
        stmt(
            sid="AllowScopedDeletion",
            actions=["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
            resources=[ec2("instance/*"), ec2("launch-template/*")],
            conditions={
                "StringEquals": owned,
                "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
            },
        ),
    ]
    discovery = [
        stmt(
            sid="AllowRegionalReadActions",
            actions=[
                "ec2:DescribeCapacityReservations",
                "ec2:DescribeImages",
                "ec2:DescribeInstances",
                "ec2:DescribeInstanceTypeOfferings",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplates",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSpotPriceHistory",
                "ec2:DescribeSubnets",
            ],
            resources=["*"],
            conditions={"StringEquals": {"aws:RequestedRegion": region}},
        ),
        stmt(
            sid="AllowSSMReadActions",
            actions=["ssm:GetParameter"],
            resources=[f"arn:{partition}:ssm:{region}::parameter/aws/service/*"],
        ),
        stmt(sid="AllowPricingReadActions", actions=["pricing:GetProducts"], resources=["*"]),
        stmt(
            sid="AllowInterruptionQueueActions",
            actions=["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
            resources=[queue_arn],
        ),
        stmt(
            sid="AllowAPIServerEndpointDiscovery",
            actions=["eks:DescribeCluster"],
            resources=[cluster_arn],
        ),
    ]
    iam_integration = [
        stmt(
            sid="AllowPassingInstanceRole",
            actions=["iam:PassRole"],
            resources=[node_role_arn],
            # Both service names, as in Karpenter's reference policy: CDK treats ec2 as a
            # global principal, and the China partition may report either.
            conditions={
                "StringEquals": {
                    "iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"]
                }
            },
        ),
        stmt(
            sid="AllowScopedInstanceProfileCreationActions",
            actions=["iam:CreateInstanceProfile"],
            resources=[instance_profiles],
            conditions={
                "StringEquals": {
                    **request_owned,
                    "aws:RequestTag/topology.kubernetes.io/region": region,
                },
                "StringLike": {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"},
            },
        ),
        stmt(
            sid="AllowScopedInstanceProfileTagActions",
            actions=["iam:TagInstanceProfile"],
            resources=[instance_profiles],
            conditions={
                "StringEquals": {
                    **profile_owned,
                    **request_owned,
                    "aws:RequestTag/topology.kubernetes.io/region": region,
                },
                "StringLike": {
                    "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*",
                    "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*",
                },
            },
        ),
        stmt(
            sid="AllowScopedInstanceProfileActions",
            actions=[
                "iam:AddRoleToInstanceProfile",
                "iam:RemoveRoleFromInstanceProfile",
                "iam:DeleteInstanceProfile",
            ],
            resources=[instance_profiles],
            conditions={
                "StringEquals": profile_owned,
                "StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"},
            },
        ),
        stmt(
            sid="AllowInstanceProfileReadActions",
            actions=["iam:GetInstanceProfile"],
            resources=[instance_profiles],
        ),
        # As in the reference policy: ListInstanceProfiles (called with a path prefix by
        # the EC2NodeClass finalizer and garbage collection) takes no resource ARN.
        stmt(
            sid="AllowUnscopedInstanceProfileListAction",
            actions=["iam:ListInstanceProfiles"],
            resources=["*"],
        ),
    ]
    return {
        "NodeLifecycle": node_lifecycle,
        "IamIntegration": iam_integration,
        "Discovery": discovery,
    }


def acknowledge_controller_policy(policy: iam.ManagedPolicy, cluster_name: str) -> None:
    """Each wildcard of the controller policy, with why Karpenter needs it."""
    scoped = (
        "Karpenter names launched resources at run time; the statement is limited by "
        f"the kubernetes.io/cluster/{cluster_name}=owned and "
        "karpenter.sh/nodepool tag conditions (Karpenter v1 reference policy)."
    )
    reasons = {
        "arn:<AWS::Partition>:ec2:<AWS::Region>::image/*": "Karpenter launches "
        "whichever AMI the EC2NodeClass alias resolves to; AMIs are public and read only.",
        "arn:<AWS::Partition>:ec2:<AWS::Region>::snapshot/*": "RunInstances "
        "needs the AMI's snapshots, which are chosen by the AMI alias at run time.",
        "arn:<AWS::Partition>:ec2:<AWS::Region>:*:security-group/*": "Security "
        "groups are chosen by the EC2NodeClass selector at run time; using one grants "
        "nothing beyond attaching it to Karpenter's own tagged instances.",
        "arn:<AWS::Partition>:ec2:<AWS::Region>:*:subnet/*": "Subnets are chosen "
        "by the karpenter.sh/discovery tag at run time.",
        "arn:<AWS::Partition>:ec2:<AWS::Region>:*:capacity-reservation/*": "Capacity "
        "reservations are chosen by NodePool requirements at run time.",
        "arn:<AWS::Partition>:ec2:<AWS::Region>:*:launch-template/*": scoped,
        "arn:<AWS::Partition>:ec2:<AWS::Region>:*:fleet/*": scoped,
        "arn:<AWS::Partition>:ec2:<AWS::Region>:*:instance/*": scoped,
        "arn:<AWS::Partition>:ec2:<AWS::Region>:*:volume/*": scoped,
        "arn:<AWS::Partition>:ec2:<AWS::Region>:*:network-interface/*": scoped,
        "arn:<AWS::Partition>:ec2:<AWS::Region>:*:spot-instances-request/*": scoped,
        "*": "EC2 Describe*, pricing:GetProducts and iam:ListInstanceProfiles (listed by "
        "path prefix) have no resource-level permissions; the Describe calls are limited "
        "to this region by aws:RequestedRegion.",
        "arn:<AWS::Partition>:ssm:<AWS::Region>::parameter/aws/service/*": "Read "
        "only of AWS's public parameters that map AMI aliases to AMI ids.",
        "arn:<AWS::Partition>:iam::<AWS::AccountId>:instance-profile/*": "Karpenter "
        "v1 creates the instance profile of each EC2NodeClass itself; writes are limited by "
        "the cluster, region and karpenter.k8s.aws/ec2nodeclass tag conditions, reads are "
        "read only.",
    }
    acknowledge_wildcard_resources(policy, reasons.get, owner="Karpenter controller policy")
