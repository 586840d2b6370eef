"""IAM policies written for this project's Helm add-ons.

The AWS Load Balancer Controller policy follows the permissions the controller documents
(docs/install/iam_policy.json upstream), narrowed further: where upstream checks only that
the `elbv2.k8s.aws/cluster` tag is present, this policy requires it to name THIS cluster,
so one cluster's controller cannot change another cluster's load balancers.

IAM refuses a managed policy document over 6,144 characters (counted without whitespace;
IAM and STS quotas page), and the controller's permissions come to about 7,800 at the
longest region, partition and account: one policy would fail CreatePolicy at deploy. So the
permissions are split by concern into three managed policies on the same role (a role may
have 10 by default), each well under the limit; the EKS pack's deployability rules measure
every policy at the longest names on every synth.
"""

from __future__ import annotations

from aws_cdk import Aws, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

CLUSTER_TAG = "elbv2.k8s.aws/cluster"


#: The Load Balancer Controller's policies by concern: (construct id suffix, description).
LOAD_BALANCER_CONTROLLER_POLICIES: tuple[tuple[str, str], ...] = (
    ("Discovery", "read-only discovery and the ELB service-linked role"),
    ("SecurityGroups", "its security groups, and WAF/Shield on its load balancers"),
    ("LoadBalancers", "load balancers, listeners, rules and target groups of its cluster"),
)


def load_balancer_controller_policies(
    scope: Construct, id: str, *, cluster_name: str
) -> list[iam.ManagedPolicy]:
    """The AWS Load Balancer Controller's permissions, limited to `cluster_name`'s resources,
    as three managed policies (ids `<id>Discovery`, `<id>SecurityGroups`,
    `<id>LoadBalancers`) that together grant what one policy would, each under IAM's size
    limit."""
    stack = Stack.of(scope)
    region, account, partition = stack.region, stack.account, Aws.PARTITION
    elb = f"arn:{partition}:elasticloadbalancing:{region}:{account}"
    security_groups = f"arn:{partition}:ec2:{region}:{account}:security-group/*"
    request_tag = f"aws:RequestTag/{CLUSTER_TAG}"
    resource_tag = f"aws:ResourceTag/{CLUSTER_TAG}"
    ours_requested = {"StringEquals": {request_tag: cluster_name}}
    ours_existing = {"StringEquals": {resource_tag: cluster_name}}
    lb_and_tg = [
        f"{elb}:targetgroup/*/*",
        f"{elb}:loadbalancer/net/*/*",
        f"{elb}:loadbalancer/app/*/*",
    ]
    discovery = [
        iam.PolicyStatement(
            sid="ServiceLinkedRole",
            actions=["iam:CreateServiceLinkedRole"],
            resources=["*"],
            conditions={
                "StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}
            },
        ),
        # Discovery: Describe/Get/List calls have no resource-level permissions.
        iam.PolicyStatement(
            sid="Describe",
            actions=[
                "ec2:DescribeAccountAttributes",
                "ec2:DescribeAddresses",
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeInternetGateways",
                "ec2:DescribeVpcs",
                "ec2:DescribeVpcPeeringConnections",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeInstances",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeTags",
                "ec2:DescribeRouteTables",
                "ec2:DescribeIpamPools",
                "ec2:GetCoipPoolUsage",
                "ec2:DescribeCoipPools",
                "ec2:GetSecurityGroupsForVpc",
                "elasticloadbalancing:DescribeLoadBalancers",
                "elasticloadbalancing:DescribeLoadBalancerAttributes",
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeListenerCertificates",
                "elasticloadbalancing:DescribeListenerAttributes",
                "elasticloadbalancing:DescribeSSLPolicies",
                "elasticloadbalancing:DescribeRules",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetGroupAttributes",
                "elasticloadbalancing:DescribeTargetHealth",
                "elasticloadbalancing:DescribeTags",
                "elasticloadbalancing:DescribeTrustStores",
                "elasticloadbalancing:DescribeCapacityReservation",
                "acm:ListCertificates",
                "acm:DescribeCertificate",
                "iam:ListServerCertificates",
                "iam:GetServerCertificate",
                "cognito-idp:DescribeUserPoolClient",
                "waf-regional:GetWebACL",
                "waf-regional:GetWebACLForResource",
                "wafv2:GetWebACL",
                "wafv2:GetWebACLForResource",
                "shield:GetSubscriptionState",
                "shield:DescribeProtection",
            ],
            resources=["*"],
        ),
    ]
    security_groups_statements = [
        # WAF and Shield association on the controller's load balancers (annotations).
        iam.PolicyStatement(
            sid="WafShield",
            actions=[
                "waf-regional:AssociateWebACL",
                "waf-regional:DisassociateWebACL",
                "wafv2:AssociateWebACL",
                "wafv2:DisassociateWebACL",
                "shield:CreateProtection",
                "shield:DeleteProtection",
            ],
            resources=["*"],
        ),
        iam.PolicyStatement(
            sid="CreateSecurityGroup",
            actions=["ec2:CreateSecurityGroup"],
            resources=["*"],
        ),
        iam.PolicyStatement(
            sid="TagNewSecurityGroup",
            actions=["ec2:CreateTags"],
            resources=[security_groups],
            conditions={
                "StringEquals": {
                    "ec2:CreateAction": "CreateSecurityGroup",
                    request_tag: cluster_name,
                }
            },
        ),
        iam.PolicyStatement(
            sid="RetagOwnSecurityGroup",
            actions=["ec2:CreateTags", "ec2:DeleteTags"],
            resources=[security_groups],
            conditions={
                "Null": {request_tag: "true"},
                "StringEquals": {resource_tag: cluster_name},
            },
        ),
        # Upstream allows ingress rule changes on any security group (the node/cluster
        # groups are not tagged by the controller); deletion only on its own groups.
        iam.PolicyStatement(
            sid="SecurityGroupRules",
            actions=["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
            resources=[security_groups],
        ),
        iam.PolicyStatement(
            sid="DeleteOwnSecurityGroup",
            actions=["ec2:DeleteSecurityGroup"],
            resources=[security_groups],
            conditions=ours_existing,
        ),
    ]
    load_balancers = [
        iam.PolicyStatement(
            sid="CreateLoadBalancer",
            actions=[
                "elasticloadbalancing:CreateLoadBalancer",
                "elasticloadbalancing:CreateTargetGroup",
            ],
            resources=["*"],
            conditions=ours_requested,
        ),
        iam.PolicyStatement(
            sid="ListenersAndRules",
            actions=[
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteRule",
            ],
            resources=[
                f"{elb}:loadbalancer/net/*/*",
                f"{elb}:loadbalancer/app/*/*",
                f"{elb}:listener/net/*/*/*",
                f"{elb}:listener/app/*/*/*",
                f"{elb}:listener-rule/net/*/*/*",
                f"{elb}:listener-rule/app/*/*/*",
            ],
        ),
        iam.PolicyStatement(
            sid="RetagOwnLoadBalancer",
            actions=["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            resources=lb_and_tg,
            conditions={
                "Null": {request_tag: "true"},
                "StringEquals": {resource_tag: cluster_name},
            },
        ),
        iam.PolicyStatement(
            sid="TagListeners",
            actions=["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            resources=[
                f"{elb}:listener/net/*/*/*",
                f"{elb}:listener/app/*/*/*",
                f"{elb}:listener-rule/net/*/*/*",
                f"{elb}:listener-rule/app/*/*/*",
            ],
        ),
        iam.PolicyStatement(
            sid="TagOnCreate",
            actions=["elasticloadbalancing:AddTags"],
            resources=lb_and_tg,
            conditions={
                "StringEquals": {
                    "elasticloadbalancing:CreateAction": [
                        "CreateTargetGroup",
                        "CreateLoadBalancer",
                    ],
                    request_tag: cluster_name,
                }
            },
        ),
        iam.PolicyStatement(
            sid="ModifyOwnLoadBalancer",
            actions=[
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:SetIpAddressType",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets",
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:ModifyCapacityReservation",
                "elasticloadbalancing:ModifyIpPools",
            ],
            resources=lb_and_tg,
            conditions=ours_existing,
        ),
        iam.PolicyStatement(
            sid="Targets",
            actions=[
                "elasticloadbalancing:RegisterTargets",
                "elasticloadbalancing:DeregisterTargets",
            ],
            resources=[f"{elb}:targetgroup/*/*"],
        ),
        iam.PolicyStatement(
            sid="ListenerSettings",
            actions=[
                "elasticloadbalancing:SetWebAcl",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:AddListenerCertificates",
                "elasticloadbalancing:RemoveListenerCertificates",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:SetRulePriorities",
            ],
            resources=[
                f"{elb}:loadbalancer/app/*/*",
                f"{elb}:listener/net/*/*/*",
                f"{elb}:listener/app/*/*/*",
                f"{elb}:listener-rule/net/*/*/*",
                f"{elb}:listener-rule/app/*/*/*",
            ],
        ),
        # The controller (v2.14: ListenerRulesTagging on by default) tags its listeners with
        # the cluster tag, and upstream conditions this action on it.
        iam.PolicyStatement(
            sid="ModifyOwnListenerAttributes",
            actions=["elasticloadbalancing:ModifyListenerAttributes"],
            resources=[f"{elb}:listener/net/*/*/*", f"{elb}:listener/app/*/*/*"],
            conditions=ours_existing,
        ),
    ]
    groups = dict(
        zip(
            (suffix for suffix, _ in LOAD_BALANCER_CONTROLLER_POLICIES),
            (discovery, security_groups_statements, load_balancers),
            strict=True,
        )
    )
    return [
        iam.ManagedPolicy(
            scope,
            f"{id}{suffix}",
            description=f"AWS Load Balancer Controller: {what}",
            statements=groups[suffix],
        )
        for suffix, what in LOAD_BALANCER_CONTROLLER_POLICIES
    ]


def external_dns_policy(scope: Construct, id: str, *, hosted_zone_id: str) -> iam.ManagedPolicy:
    """external-dns may change records in ONE hosted zone; listing zones has no resource."""
    zone = f"arn:{Aws.PARTITION}:route53:::hostedzone/{hosted_zone_id}"
    return iam.ManagedPolicy(
        scope,
        id,
        description=f"external-dns: change records in hosted zone {hosted_zone_id} only",
        statements=[
            iam.PolicyStatement(
                sid="ChangeRecordsInZone",
                actions=["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
                resources=[zone],
            ),
            iam.PolicyStatement(
                sid="ListZones",
                actions=["route53:ListHostedZones", "route53:ListTagsForResources"],
                resources=["*"],
            ),
        ],
    )


def cni_metrics_helper_policy(scope: Construct, id: str, *, namespace: str) -> iam.ManagedPolicy:
    """cni-metrics-helper may only publish metrics, and only into `namespace`.

    cloudwatch:PutMetricData has no resource type (Service Authorization Reference for
    CloudWatch), so IAM requires Resource "*"; the `cloudwatch:namespace` condition key, which
    CloudWatch documents for exactly this ("Using condition keys to limit access to
    CloudWatch namespaces"), keeps the role out of every other namespace, AWS/* included.
    """
    return iam.ManagedPolicy(
        scope,
        id,
        description=f"cni-metrics-helper: publish metrics to the {namespace} namespace only",
        statements=[
            iam.PolicyStatement(
                sid="PublishCniMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": namespace}},
            )
        ],
    )
