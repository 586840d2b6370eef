"""ArgoCdCapability, AckCapability and KroCapability: the AWS::EKS::Capability each renders,
its role, Argo CD's private endpoint and deploy rights, ACK's exact policy, and refusals of
every bad prop before synth (construct path, prop, value and fix)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, cast

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk.assertions import Match, Template

from eks_blueprint import (
    AckCapability,
    AckCapabilityProps,
    AckPermission,
    ArgoCdCapability,
    ArgoCdCapabilityProps,
    ArgoCdIdentities,
    ControlPlane,
    ControlPlaneProps,
    KroCapability,
    KroCapabilityProps,
    Network,
    NetworkProps,
)
from eks_blueprint.capability_rules import MAX_IDENTITIES, capability_name
from eks_blueprint.compliance import add_compliance_packs
from eks_blueprint.kubernetes import LAYER_TYPE
from eks_blueprint.network import availability_zones_context_key
from tests.conftest import only, resources_of

from .clusters import ENV, ZONES, built, imported, refused, stack

INSTANCE = "arn:aws:sso:::instance/ssoins-1234567890abcdef"
ADMINS = "11111111-1111-1111-1111-111111111111"
VIEWERS = "22222222-2222-2222-2222-222222222222"
ALICE = "a1b2c3d4e5-33333333-3333-3333-3333-333333333333"
CONNECTION = "arn:aws:codeconnections:eu-west-1:123456789012:connection/abc-123"
TRUST = {
    "Statement": [
        {
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Effect": "Allow",
            "Principal": {"Service": "capabilities.eks.amazonaws.com"},
        }
    ],
    "Version": "2012-10-17",
}
S3 = AckPermission(
    actions=("s3:CreateBucket", "s3:GetBucket*"),
    resources=("arn:aws:s3:::dev-*",),
    reason="bucket names are chosen in manifests, all dev-",
)
SQS = AckPermission(
    actions=("sqs:CreateQueue", "sqs:DeleteQueue"),
    resources=("arn:aws:sqs:eu-west-1:123456789012:orders",),
)


# -- one platform with all three, synthesised with the packs ---------------------------------


class Platform:
    """Network, a private ControlPlane (with its Kubernetes layers) and the three
    capabilities, synthesised once with the compliance packs."""

    def __init__(self, outdir: Path) -> None:
        context = {availability_zones_context_key(str(ENV.account), str(ENV.region)): list(ZONES)}
        app = cdk.App(outdir=str(outdir), context=context)
        add_compliance_packs(app)
        stack = cdk.Stack(app, "Platform", env=ENV)
        network = Network(stack, "Network", props=NetworkProps(availability_zones=list(ZONES)))
        self.control_plane = ControlPlane(
            stack,
            "ControlPlane",
            props=ControlPlaneProps(
                cluster_name="platform", version="1.34", vpc=network.vpc, deletion_protection=False
            ),
        )
        cluster = self.control_plane.icluster
        self.argocd = ArgoCdCapability(
            stack,
            "ArgoCd",
            props=ArgoCdCapabilityProps(
                cluster=cluster,
                identity_center_instance_arn=INSTANCE,
                admins=ArgoCdIdentities(groups=[ADMINS]),
                viewers=ArgoCdIdentities(groups=[VIEWERS], users=[ALICE]),
                ecr_pull=True,
                code_connection_arns=[CONNECTION],
                endpoint_client_cidrs=["192.168.0.0/24"],
            ),
        )
        self.ack = AckCapability(
            stack,
            "Ack",
            props=AckCapabilityProps(
                cluster=cluster,
                permissions=(S3, SQS),
                disabled_services=("ec2", "iam"),
                tags={"team": "platform"},
            ),
        )
        self.kro = KroCapability(
            stack, "Kro", props=KroCapabilityProps(cluster=cluster, cluster_access="cluster-admin")
        )
        self.resolve = stack.resolve
        app.synth()
        self.template: dict[str, Any] = Template.from_stack(stack).to_json()
        self.report: dict[str, Any] = json.loads(
            (outdir / "validation-report.json").read_text(encoding="utf-8")
        )

    def capability(self, type_: str) -> dict[str, Any]:
        (found,) = [
            r
            for r in resources_of(self.template, "AWS::EKS::Capability").values()
            if r["Properties"]["Type"] == type_
        ]
        return found

    def logical_id(self, construct: Any) -> str:
        resource = construct if isinstance(construct, cdk.CfnResource) else (
            construct.node.default_child
        )
        return str(self.resolve(resource.logical_id))


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Platform:
    return Platform(tmp_path_factory.mktemp("capabilities"))


def test_the_three_pass_the_packs(platform: Platform) -> None:
    for plugin in platform.report["pluginReports"]:
        errors = [v["ruleName"] for v in plugin["violations"] if v["severity"] == "error"]
        assert not errors, (plugin["pluginName"], errors)
    acknowledged = {
        s["acknowledgedId"]
        for plugin in platform.report["pluginReports"]
        for s in plugin.get("suppressedViolations", [])
    }
    assert {
        "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
        "AmazonEC2ContainerRegistryPullOnly]",
        "AwsSolutions::AwsSolutions-IAM5[Action::s3:GetBucket*]",
        "AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:s3:::dev-*]",
    } <= acknowledged


def test_every_capability_retains_what_it_manages_and_trusts_only_eks(platform: Platform) -> None:
    capabilities = resources_of(platform.template, "AWS::EKS::Capability")
    assert sorted(c["Properties"]["Type"] for c in capabilities.values()) == [
        "ACK", "ARGOCD", "KRO"
    ]
    for capability in capabilities.values():
        properties = capability["Properties"]
        assert properties["DeletePropagationPolicy"] == "RETAIN"
        assert properties["ClusterName"] == {"Ref": "ControlPlaneCluster8AFA2E51"}
        (role_id, _) = properties["RoleArn"]["Fn::GetAtt"]
        role = platform.template["Resources"][role_id]
        assert role["Type"] == "AWS::IAM::Role"
        assert role["Properties"]["AssumeRolePolicyDocument"] == TRUST
        # No path: AWS::EKS::Capability's RoleArn pattern refuses role/<path>/<name>.
        assert "Path" not in role["Properties"] and "RoleName" not in role["Properties"]


def test_argocd_configuration(platform: Platform) -> None:
    endpoint = platform.logical_id(platform.argocd.endpoint)
    properties = platform.capability("ARGOCD")["Properties"]
    assert properties["CapabilityName"] == "platform-argocd"
    assert properties["Configuration"] == {
        "ArgoCd": {
            "AwsIdc": {"IdcInstanceArn": INSTANCE, "IdcRegion": "eu-west-1"},
            "Namespace": "argocd",
            "NetworkAccess": {"VpceIds": [{"Ref": endpoint}]},
            "RbacRoleMappings": [
                {"Role": "ADMIN", "Identities": [{"Id": ADMINS, "Type": "SSO_GROUP"}]},
                {
                    "Role": "VIEWER",
                    "Identities": [
                        {"Id": VIEWERS, "Type": "SSO_GROUP"},
                        {"Id": ALICE, "Type": "SSO_USER"},
                    ],
                },
            ],
        }
    }


def test_private_argocd_gets_an_endpoint_open_to_the_vpc_only(platform: Platform) -> None:
    endpoint = platform.template["Resources"][platform.logical_id(platform.argocd.endpoint)][
        "Properties"
    ]
    assert endpoint["ServiceName"] == "com.amazonaws.eu-west-1.eks-capabilities"
    assert endpoint["VpcEndpointType"] == "Interface"
    # AWS points the server's name at the endpoint itself (argocd-private-access).
    assert endpoint["PrivateDnsEnabled"] is False
    assert len(endpoint["SubnetIds"]) == 3
    assert all("Private" in s["Ref"] for s in endpoint["SubnetIds"])
    assert "PolicyDocument" not in endpoint  # the service supports no endpoint policy
    ((group_id, _),) = [g["Fn::GetAtt"] for g in endpoint["SecurityGroupIds"]]
    group = platform.template["Resources"][group_id]["Properties"]
    assert [
        (r["CidrIp"], r["IpProtocol"], r["FromPort"], r["ToPort"])
        for r in group["SecurityGroupIngress"]
    ] == [("10.0.0.0/16", "tcp", 443, 443), ("192.168.0.0/24", "tcp", 443, 443)]
    # Nothing leaves through it (CDK's placeholder rule for "no egress").
    assert [r["CidrIp"] for r in group["SecurityGroupEgress"]] == ["255.255.255.255/32"]


def test_argocd_may_deploy_to_its_cluster_after_it_exists(platform: Platform) -> None:
    (foundation,) = [
        r
        for r in resources_of(platform.template, LAYER_TYPE).values()
        if r["Properties"]["Layer"] == "foundation"
    ]
    items = {item["Id"]: item for item in foundation["Properties"]["Items"]}
    role = platform.logical_id(platform.argocd.role)
    assert items["ArgoCd/ClusterAccess"] == {
        "Id": "ArgoCd/ClusterAccess",
        "Type": "access-policy",
        "PrincipalArn": {"Fn::GetAtt": [role, "Arn"]},
        "PolicyArn": platform.resolve(
            f"arn:{cdk.Aws.PARTITION}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
        ),
        "AccessScope": "cluster",
        # A replaced capability's new entry gets the association again.
        "Refresh": {"Fn::GetAtt": [platform.logical_id(platform.argocd.capability), "CreatedAt"]},
    }
    assert items["Kro/ClusterAccess"]["PrincipalArn"] == {
        "Fn::GetAtt": [platform.logical_id(platform.kro.role), "Arn"]
    }
    # The association needs the access entry EKS creates with the capability.
    for capability in (platform.argocd.capability, platform.kro.capability):
        assert platform.logical_id(capability) in foundation["DependsOn"]


def test_argocd_reads_ecr_and_its_connections_and_nothing_else(platform: Platform) -> None:
    role = platform.template["Resources"][platform.logical_id(platform.argocd.role)]
    assert role["Properties"]["ManagedPolicyArns"] == [
        {
            "Fn::Join": [
                "",
                ["arn:", {"Ref": "AWS::Partition"},
                 ":iam::aws:policy/AmazonEC2ContainerRegistryPullOnly"],
            ]
        }
    ]
    role_id = platform.logical_id(platform.argocd.role)
    policies = [
        p["Properties"]
        for p in resources_of(platform.template, "AWS::IAM::ManagedPolicy").values()
        if p["Properties"]["Roles"] == [{"Ref": role_id}]
    ]
    assert [p["PolicyDocument"]["Statement"] for p in policies] == [
        [{"Action": "codeconnections:UseConnection", "Effect": "Allow", "Resource": CONNECTION}]
    ]


def test_argocd_attributes(platform: Platform) -> None:
    argocd = platform.argocd
    assert platform.resolve(argocd.server_url) == {
        "Fn::GetAtt": [platform.logical_id(argocd.capability), "Configuration.ArgoCd.ServerUrl"]
    }
    assert argocd.namespace == "argocd"
    assert platform.resolve(argocd.cluster_arn) == platform.resolve(
        platform.control_plane.cluster.cluster_arn
    )


def test_ack_policy_is_exactly_the_permissions(platform: Platform) -> None:
    role_id = platform.logical_id(platform.ack.role)
    role = platform.template["Resources"][role_id]["Properties"]
    assert "ManagedPolicyArns" not in role and "Policies" not in role
    policy = platform.template["Resources"][platform.logical_id(platform.ack.policy)]
    assert policy["Properties"]["Roles"] == [{"Ref": role_id}]
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Action": ["s3:CreateBucket", "s3:GetBucket*"],
            "Effect": "Allow",
            "Resource": "arn:aws:s3:::dev-*",
        },
        {
            "Action": ["sqs:CreateQueue", "sqs:DeleteQueue"],
            "Effect": "Allow",
            "Resource": "arn:aws:sqs:eu-west-1:123456789012:orders",
        },
    ]
    # The capability waits for its policy: EKS uses the role as soon as it exists.
    ack = platform.capability("ACK")
    assert platform.logical_id(platform.ack.policy) in ack["DependsOn"]


def test_ack_configuration_and_tags(platform: Platform) -> None:
    properties = platform.capability("ACK")["Properties"]
    assert properties["CapabilityName"] == "platform-ack"
    assert properties["Configuration"] == {
        "Ack": {"DisabledServices": ["ec2", "iam"], "EnableCrossNamespace": False}
    }
    assert {"Key": "team", "Value": "platform"} in properties["Tags"]


def test_kro_has_a_role_without_any_policy(platform: Platform) -> None:
    properties = platform.capability("KRO")["Properties"]
    assert properties["CapabilityName"] == "platform-kro"
    assert "Configuration" not in properties
    role_id = platform.logical_id(platform.kro.role)
    assert "ManagedPolicyArns" not in platform.template["Resources"][role_id]["Properties"]
    for type_ in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
        for policy in resources_of(platform.template, type_).values():
            assert {"Ref": role_id} not in policy["Properties"].get("Roles", [])


# -- other clusters ---------------------------------------------------------------------------


def _argocd(cluster: eks.ICluster, **props: Any) -> ArgoCdCapabilityProps:
    props.setdefault("cluster_access", "none")
    return ArgoCdCapabilityProps(cluster=cluster, identity_center_instance_arn=INSTANCE, **props)


def test_argocd_is_public_where_the_cluster_endpoint_is() -> None:
    # GIVEN aws_eks_v2's default endpoint (public and private)
    scope = stack()
    argocd = ArgoCdCapability(scope, "ArgoCd", props=_argocd(cast(eks.ICluster, built(scope))))
    template = Template.from_stack(scope)
    # THEN no endpoint, and an empty list of them: public access, also after being private
    template.resource_count_is("AWS::EC2::VPCEndpoint", 0)
    template.has_resource_properties(
        "AWS::EKS::Capability",
        {"Configuration": {"ArgoCd": Match.object_like({"NetworkAccess": {"VpceIds": []}})}},
    )
    assert argocd.endpoint is None and argocd.cluster_access is None
    # No role mappings: no RbacRoleMappings at all
    template.has_resource_properties(
        "AWS::EKS::Capability",
        {"Configuration": {"ArgoCd": Match.object_like({"RbacRoleMappings": Match.absent()})}},
    )


def test_existing_endpoints_are_used_as_given() -> None:
    scope = stack()
    vpce = "vpce-0123456789abcdef0"
    ArgoCdCapability(
        scope,
        "ArgoCd",
        props=_argocd(
            cast(eks.ICluster, built(scope)), vpc_endpoint_ids=[vpce], namespace="gitops"
        ),
    )
    template = Template.from_stack(scope)
    template.resource_count_is("AWS::EC2::VPCEndpoint", 0)
    template.has_resource_properties(
        "AWS::EKS::Capability",
        {
            "Configuration": {
                "ArgoCd": Match.object_like(
                    {"NetworkAccess": {"VpceIds": [vpce]}, "Namespace": "gitops"}
                )
            }
        },
    )


def test_a_cluster_that_cannot_be_seen_gets_private_access_in_its_vpc() -> None:
    scope = stack()
    vpc = ec2.Vpc(scope, "Vpc", availability_zones=list(ZONES), nat_gateways=1)
    cluster = eks.Cluster.from_cluster_attributes(
        scope, "Cluster", cluster_name="platform", vpc=vpc
    )
    ArgoCdCapability(
        scope, "ArgoCd", props=_argocd(cluster, identity_center_region="us-east-1")
    )
    template = Template.from_stack(scope)
    template.resource_count_is("AWS::EC2::VPCEndpoint", 1)
    template.has_resource_properties(
        "AWS::EKS::Capability",
        {
            "CapabilityName": "platform-argocd",
            "ClusterName": "platform",
            "Configuration": {
                "ArgoCd": Match.object_like(
                    {"AwsIdc": {"IdcInstanceArn": INSTANCE, "IdcRegion": "us-east-1"}}
                )
            },
        },
    )


def test_ack_with_administrator_access_says_why(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    add_compliance_packs(app)
    scope = cdk.Stack(app, "Platform", env=ENV)
    reason = "a sandbox account where ACK manages every service for experiments"
    AckCapability(
        scope,
        "Ack",
        props=AckCapabilityProps(cluster=imported(scope), administrator_access_reason=reason),
    )
    template = Template.from_stack(scope)
    app.synth()  # ValidationFailed if AdministratorAccess were not acknowledged
    template.resource_count_is("AWS::IAM::ManagedPolicy", 0)
    role = only(template.to_json(), "AWS::IAM::Role")["Properties"]
    assert json.dumps(role["ManagedPolicyArns"]).endswith(':iam::aws:policy/AdministratorAccess"]]}]')
    report = json.loads((tmp_path / "validation-report.json").read_text(encoding="utf-8"))
    suppressed = {
        s["acknowledgedId"]: s["reason"]
        for plugin in report["pluginReports"]
        for s in plugin.get("suppressedViolations", [])
    }
    key = (
        "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
        "AdministratorAccess]"
    )
    assert suppressed[key] == f"AdministratorAccess for ACK, asked for explicitly: {reason}"


def test_default_names_fit_the_api() -> None:
    long = "c" * 100
    assert capability_name(long, "argocd") == "c" * 93 + "-argocd"
    assert len(capability_name(long, "kro")) == 100
    assert capability_name("platform", "ack") == "platform-ack"


# -- refusals ---------------------------------------------------------------------------------


def _refuse(construct: type, props_type: type, prop: str, fragment: str, **props: Any) -> None:
    """`construct` (id: its class name) with `props` on an imported cluster must refuse
    `prop` with a message containing `fragment`."""
    scope = stack()
    cluster = imported(scope)
    id = construct.__name__
    message = refused(
        f"Platform/{id}",
        f"{props_type.__name__}.{prop}",
        construct,
        scope,
        id,
        props=props_type(cluster=cluster, **props),
    )
    assert fragment in message, message


ARGO = {"identity_center_instance_arn": INSTANCE, "network_access": "public",
        "cluster_access": "none"}  # fmt: skip
MANY = [f"{n:08x}-0000-0000-0000-000000000000" for n in range(MAX_IDENTITIES + 1)]


@pytest.mark.parametrize(
    ("prop", "fragment", "props"),
    [
        ("identity_center_instance_arn", "not an IAM Identity Center instance ARN",
         {"identity_center_instance_arn": "arn:aws:sso:::instance/platform"}),
        ("identity_center_region", "not an AWS region", {"identity_center_region": "Europe"}),
        ("namespace", "belongs to the cluster", {"namespace": "kube-system"}),
        ("namespace", "not a Kubernetes name", {"namespace": "Argo"}),
        ("admins.groups[0]", "not the name", {"admins": ArgoCdIdentities(groups=["Platform"])}),
        ("viewers.groups[0]", "listed under admins.groups[0]",
         {"admins": ArgoCdIdentities(groups=[ADMINS]),
          "viewers": ArgoCdIdentities(groups=[ADMINS])}),
        (f"viewers.groups[{MAX_IDENTITIES}]", "at most 1000",
         {"viewers": ArgoCdIdentities(groups=MANY)}),
        ("vpc_endpoint_ids[0]", "not a VPC endpoint id",
         {"vpc_endpoint_ids": ["endpoint-1"], "network_access": "private"}),
        ("vpc_endpoint_ids", "network_access is 'public'",
         {"vpc_endpoint_ids": ["vpce-0123456789abcdef0"]}),
        ("vpc_endpoint_ids", "more than once",
         {"vpc_endpoint_ids": ["vpce-01234567", "vpce-01234567"], "network_access": "private"}),
        ("endpoint_client_cidrs[0]", "networks that reach it",
         {"endpoint_client_cidrs": ["0.0.0.0/0"], "network_access": "private"}),
        ("endpoint_client_cidrs", "it creates none", {"endpoint_client_cidrs": ["10.1.0.0/16"]}),
        ("code_connection_arns[0]", "not a CodeConnections connection ARN",
         {"code_connection_arns": ["arn:aws:s3:::bucket"]}),
        ("network_access", "not one of", {"network_access": "internal"}),
        ("cluster_access", "not one of", {"cluster_access": "admin"}),
        ("capability_name", "letters, digits, hyphens", {"capability_name": "argo cd"}),
        ("tags", "aws: prefix", {"tags": {"aws:team": "x"}}),
    ],
)  # fmt: skip
def test_bad_argocd_props_are_refused(prop: str, fragment: str, props: dict[str, Any]) -> None:
    _refuse(ArgoCdCapability, ArgoCdCapabilityProps, prop, fragment, **{**ARGO, **props})


def test_deploy_rights_need_the_clusters_layers() -> None:
    message = refused(
        "Platform/ArgoCd",
        "ArgoCdCapabilityProps.cluster_access",
        lambda scope: ArgoCdCapability(
            scope,
            "ArgoCd",
            props=ArgoCdCapabilityProps(
                cluster=imported(scope), identity_center_instance_arn=INSTANCE,
                network_access="public",
            ),
        ),
        stack(),
    )
    assert "cluster_access='none'" in message


def test_private_access_needs_the_clusters_vpc() -> None:
    scope = stack()
    message = refused(
        "Platform/ArgoCd",
        "ArgoCdCapabilityProps.network_access",
        ArgoCdCapability, scope, "ArgoCd", props=_argocd(imported(scope)),
    )
    assert "vpc_endpoint_ids" in message


def test_a_cluster_without_access_entries_is_refused() -> None:
    scope = stack()
    cluster = built(scope)
    resource = cluster.node.default_child
    assert isinstance(resource, eks.CfnCluster)
    resource.access_config = eks.CfnCluster.AccessConfigProperty(authentication_mode="CONFIG_MAP")
    message = refused(
        "Platform/Kro", "KroCapabilityProps.cluster",
        KroCapability, scope, "Kro", props=KroCapabilityProps(cluster=cast(eks.ICluster, cluster)),
    )
    assert "authentication mode is CONFIG_MAP" in message


@pytest.mark.parametrize(
    ("prop", "fragment", "props"),
    [
        ("permissions", "can manage nothing", {}),
        ("permissions[0].actions[0]", "grants every AWS action",
         {"permissions": [AckPermission(actions=["*"], resources=["*"], reason="x" * 20)]}),
        ("permissions[0].actions[0]", "a wildcard on iam",
         {"permissions": [AckPermission(actions=["iam:*"], resources=["*"], reason="x" * 20)]}),
        ("permissions[0].actions[1]", "a wildcard on kms",
         {"permissions": [AckPermission(actions=["s3:GetObject", "kms:Create*"],
                                        resources=["*"], reason="x" * 20)]}),
        ("permissions[0].actions[0]", "service:Action",
         {"permissions": [AckPermission(actions=["CreateBucket"], resources=["*"])]}),
        ("permissions[0].actions", "at least one action",
         {"permissions": [AckPermission(actions=[], resources=["*"])]}),
        ("permissions[0].resources[0]", "not an ARN",
         {"permissions": [AckPermission(actions=["s3:CreateBucket"], resources=["dev-*"])]}),
        ("permissions[0].reason", "say why",
         {"permissions": [AckPermission(actions=["sqs:*"], resources=["*"])]}),
        ("permissions[0].reason", "no wildcard to explain",
         {"permissions": [AckPermission(actions=["s3:CreateBucket"],
                                        resources=["arn:aws:s3:::dev"], reason="x" * 20)]}),
        ("permissions[0].reason", "at least 20",
         {"permissions": [AckPermission(actions=["sqs:*"], resources=["*"], reason="why")]}),
        ("administrator_access_reason", "at least 20", {"administrator_access_reason": "ok"}),
        ("permissions", "remove the permissions",
         {"administrator_access_reason": "x" * 20, "permissions": [SQS]}),
        ("disabled_services", "not an ACK service name",
         {"permissions": [SQS], "disabled_services": ["S3"]}),
        ("disabled_services", "more than once",
         {"permissions": [SQS], "disabled_services": ["s3", "s3"]}),
        ("disabled_services", "at most 200",
         {"permissions": [SQS], "disabled_services": [f"s{n}" for n in range(201)]}),
        ("enable_cross_namespace", "expected bool",
         {"permissions": [SQS], "enable_cross_namespace": "yes"}),
    ],
)  # fmt: skip
def test_bad_ack_props_are_refused(prop: str, fragment: str, props: dict[str, Any]) -> None:
    _refuse(AckCapability, AckCapabilityProps, prop, fragment, **props)


def test_bad_kro_props_are_refused() -> None:
    _refuse(KroCapability, KroCapabilityProps, "cluster_access", "not one of",
            cluster_access="all")
    _refuse(KroCapability, KroCapabilityProps, "capability_name", "1-100",
            capability_name="k" * 101)


def test_messages_name_path_prop_value_and_fix() -> None:
    scope = stack()
    with pytest.raises(ValueError) as caught:
        KroCapability(
            scope, "Kro",
            props=KroCapabilityProps(cluster=imported(scope), capability_name="my kro"),
        )
    assert re.fullmatch(
        r"Platform/Kro: KroCapabilityProps\.capability_name = 'my kro': not a capability "
        r"name: .+, e\.g\. platform-argocd",
        str(caught.value),
    )
