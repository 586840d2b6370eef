"""Hand-made CloudFormation fixtures for the EKS best-practice rules.

Each :class:`Case` is a small template, the logical id it is about, one rule and the verdict
that rule must reach. The same cases drive the pure-function tests, the cdk-nag pack tests
(the templates are loaded as real ``Cfn*`` constructs with ``CfnInclude``) and the CLI tests.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

ALL_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
PARTITION_JOIN = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/"]]}


def _policy(name: str) -> dict[str, Any]:
    return {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":iam::aws:policy/{name}"]]}


def cluster(**overrides: Any) -> dict[str, Any]:
    """A compliant AWS::EKS::Cluster; ``overrides`` replace top-level properties (None drops)."""
    props: dict[str, Any] = {
        "Name": "demo",
        "RoleArn": "arn:aws:iam::111111111111:role/cluster",
        "ResourcesVpcConfig": {"SubnetIds": ["subnet-0a", "subnet-0b"],
                               "EndpointPrivateAccess": True, "EndpointPublicAccess": False},
        "Logging": {"ClusterLogging": {"EnabledTypes": [{"Type": t} for t in ALL_LOG_TYPES]}},
        "EncryptionConfig": [{"Resources": ["secrets"],
                              "Provider": {"KeyArn": "arn:aws:kms:eu-west-1:111111111111:key/k"}}],
        "AccessConfig": {"AuthenticationMode": "API",
                         "BootstrapClusterCreatorAdminPermissions": False},
        "DeletionProtection": True,
    }
    for key, value in overrides.items():
        if value is None:
            props.pop(key, None)
        else:
            props[key] = value
    return {"Type": "AWS::EKS::Cluster", "Properties": props}


def log_group(name: Any = "/aws/eks/demo/cluster", retention: int | None = 90) -> dict[str, Any]:
    props: dict[str, Any] = {"LogGroupName": name}
    if retention is not None:
        props["RetentionInDays"] = retention
    return {"Type": "AWS::Logs::LogGroup", "Properties": props}


def subnet(public: bool = False) -> dict[str, Any]:
    return {"Type": "AWS::EC2::Subnet",
            "Properties": {"VpcId": "vpc-0a", "CidrBlock": "10.0.0.0/24",
                           "MapPublicIpOnLaunch": public}}


def launch_template(tokens: str | None = "required", hops: int | None = 1,
                    encrypted: bool | None = True, image: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {}
    options: dict[str, Any] = {}
    if tokens is not None:
        options["HttpTokens"] = tokens
    if hops is not None:
        options["HttpPutResponseHopLimit"] = hops
    if options:
        data["MetadataOptions"] = options
    if encrypted is not None:
        data["BlockDeviceMappings"] = [{"DeviceName": "/dev/xvda",
                                        "Ebs": {"VolumeSize": 50, "VolumeType": "gp3",
                                                "Encrypted": encrypted}}]
    if image is not None:
        data["ImageId"] = image
    return {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": data}}


def role(trust: list[dict[str, Any]], policies: list[Any] | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {"AssumeRolePolicyDocument": {"Version": "2012-10-17",
                                                          "Statement": trust}}
    if policies:
        props["ManagedPolicyArns"] = policies
    return {"Type": "AWS::IAM::Role", "Properties": props}


NODE_TRUST = [{"Effect": "Allow", "Action": "sts:AssumeRole",
               "Principal": {"Service": "ec2.amazonaws.com"}}]


def nodegroup(**overrides: Any) -> dict[str, Any]:
    """A compliant node group referencing ``Lt``, ``Private``, ``NodeRole``."""
    props: dict[str, Any] = {
        "ClusterName": "demo",
        "AmiType": "AL2023_x86_64_STANDARD",
        "NodeRole": {"Fn::GetAtt": ["NodeRole", "Arn"]},
        "Subnets": [{"Ref": "Private"}],
        "LaunchTemplate": {"Id": {"Ref": "Lt"},
                           "Version": {"Fn::GetAtt": ["Lt", "LatestVersionNumber"]}},
        "ScalingConfig": {"MinSize": 1, "MaxSize": 2, "DesiredSize": 1},
    }
    for key, value in overrides.items():
        if value is None:
            props.pop(key, None)
        else:
            props[key] = value
    return {"Type": "AWS::EKS::Nodegroup", "Properties": props}


def node_stack(ng: dict[str, Any] | None = None, lt: dict[str, Any] | None = None,
               node_role: dict[str, Any] | None = None, public: bool = False) -> dict[str, Any]:
    return {
        "Ng": ng or nodegroup(),
        "Lt": lt or launch_template(),
        "Private": subnet(public),
        "NodeRole": node_role or role(NODE_TRUST, [_policy("AmazonEKSWorkerNodePolicy")]),
    }


OIDC_URL = "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC"
ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/ABC"


def irsa_resources(condition: Any, *, with_cfn_json: dict[str, Any] | None = None,
                   federated: Any = None) -> dict[str, Any]:
    """An IRSA role trusting the cluster's OIDC provider (a Custom::AWSCDKOpenIdConnectProvider
    whose Url is the cluster's issuer, as aws_eks_v2 renders it)."""
    statement: dict[str, Any] = {
        "Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
        "Principal": {"Federated": federated if federated is not None else {"Ref": "Oidc"}},
    }
    if condition is not None:
        statement["Condition"] = condition
    resources: dict[str, Any] = {
        "Cluster": cluster(),
        "Oidc": {"Type": "Custom::AWSCDKOpenIdConnectProvider",
                 "Properties": {"ServiceToken": "arn:aws:lambda:eu-west-1:111111111111:"
                                                "function:oidc",
                                "ClientIDList": ["sts.amazonaws.com"],
                                "Url": {"Fn::GetAtt": ["Cluster", "OpenIdConnectIssuerUrl"]}}},
        "Irsa": role([statement]),
    }
    if with_cfn_json is not None:
        resources["Cond"] = with_cfn_json
    return resources


def _issuer_join(suffix: str) -> list[Any]:
    return [{"Fn::Select": [1, {"Fn::Split": [":oidc-provider/", {"Ref": "Oidc"}]}]}, suffix]


#: The CfnJson custom resource aws_eks_v2's ServiceAccount renders (condition with token keys).
CFN_JSON_OK: dict[str, Any] = {
    "Type": "Custom::AWSCDKCfnJson",
    "Properties": {
        "ServiceToken": "arn:aws:lambda:eu-west-1:111111111111:function:cfnjson",
        "Value": {"Fn::Join": ["", [
            '{"', *_issuer_join(':aud":"sts.amazonaws.com","'),
            *_issuer_join(':sub":"system:serviceaccount:kube-system:aws-node"}'),
        ]]},
    },
}
CFN_JSON_WILDCARD_SUB = copy.deepcopy(CFN_JSON_OK)
CFN_JSON_WILDCARD_SUB["Properties"]["Value"]["Fn::Join"][1][-1] = \
    ':sub":"system:serviceaccount:kube-system:*"}'

POD_IDENTITY = "pods.eks.amazonaws.com"


def _queue(name: str | None = "karpenter-interruption", sse: bool | None = True,
           kms: str | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {}
    if name is not None:
        props["QueueName"] = name
    if sse is not None:
        props["SqsManagedSseEnabled"] = sse
    if kms is not None:
        props["KmsMasterKeyId"] = kms
    return {"Type": "AWS::SQS::Queue", "Properties": props}


def _event_rule(source: str, detail_type: str, state: str = "ENABLED") -> dict[str, Any]:
    return {"Type": "AWS::Events::Rule",
            "Properties": {"State": state,
                           "EventPattern": {"source": [source], "detail-type": [detail_type]},
                           "Targets": [{"Id": "q", "Arn": {"Fn::GetAtt": ["Queue", "Arn"]}}]}}


INTERRUPTION_RULES = {
    "SpotRule": _event_rule("aws.ec2", "EC2 Spot Instance Interruption Warning"),
    "RebalanceRule": _event_rule("aws.ec2", "EC2 Instance Rebalance Recommendation"),
    "StateRule": _event_rule("aws.ec2", "EC2 Instance State-change Notification"),
    "HealthRule": _event_rule("aws.health", "AWS Health Event"),
}


def addon(name: str = "vpc-cni", version: str | None = "v1.20.0-eksbuild.1",
          **extra: Any) -> dict[str, Any]:
    props: dict[str, Any] = {"ClusterName": "demo", "AddonName": name, **extra}
    if version is not None:
        props["AddonVersion"] = version
    return {"Type": "AWS::EKS::Addon", "Properties": props}


def pod_identity_association(namespace: str, service_account: str) -> dict[str, Any]:
    return {"Type": "AWS::EKS::PodIdentityAssociation",
            "Properties": {"ClusterName": "demo", "Namespace": namespace,
                           "ServiceAccount": service_account,
                           "RoleArn": "arn:aws:iam::111111111111:role/cni"}}


def access_entry(kind: str | None) -> dict[str, Any]:
    """An access entry of ``kind`` (EC2_LINUX, EC2, FARGATE_LINUX; None: STANDARD) for
    ``NodeRole``."""
    props: dict[str, Any] = {"ClusterName": "demo",
                             "PrincipalArn": {"Fn::GetAtt": ["NodeRole", "Arn"]}}
    if kind is not None:
        props["Type"] = kind
    return {"Type": "AWS::EKS::AccessEntry", "Properties": props}


def detector(**props: Any) -> dict[str, Any]:
    return {"Type": "AWS::GuardDuty::Detector", "Properties": {"Enable": True, **props}}


def repository(scan: bool | None = True, mutability: str | None = "IMMUTABLE") -> dict[str, Any]:
    props: dict[str, Any] = {}
    if scan is not None:
        props["ImageScanningConfiguration"] = {"ScanOnPush": scan}
    if mutability is not None:
        props["ImageTagMutability"] = mutability
    return {"Type": "AWS::ECR::Repository", "Properties": props}


@dataclass(frozen=True)
class Case:
    """One rule on one resource of a small template, and the verdict it must reach."""

    name: str
    rule: str
    expect: str  # "compliant", "non-compliant", "unresolved" or "not-applicable"
    resources: dict[str, Any]
    target: str

    @property
    def template(self) -> dict[str, Any]:
        return {"Resources": copy.deepcopy(self.resources)}


OK, FAIL, UNRESOLVED, NA = "compliant", "non-compliant", "unresolved", "not-applicable"
_BAD_CIDRS = {"SubnetIds": ["subnet-0a"], "EndpointPublicAccess": True,
              "PublicAccessCidrs": ["0.0.0.0/0"]}
_PUBLIC_LIMITED = {"SubnetIds": ["subnet-0a"], "EndpointPublicAccess": True,
                   "EndpointPrivateAccess": True, "PublicAccessCidrs": ["203.0.113.0/24"]}

CASES: list[Case] = [
    # EKSBP1 log types
    Case("logs-all", "EKSBP1", OK, {"C": cluster()}, "C"),
    Case("logs-api-only", "EKSBP1", FAIL,
         {"C": cluster(Logging={"ClusterLogging": {"EnabledTypes": [{"Type": "api"}]}})}, "C"),
    # EKSBP2 secrets encryption
    Case("secrets-kms", "EKSBP2", OK, {"C": cluster()}, "C"),
    Case("secrets-none", "EKSBP2", FAIL, {"C": cluster(EncryptionConfig=None)}, "C"),
    # EKSBP3 / EKSBP4 authentication mode
    Case("auth-api", "EKSBP3", OK, {"C": cluster()}, "C"),
    Case("auth-configmap", "EKSBP3", FAIL,
         {"C": cluster(AccessConfig={"AuthenticationMode": "CONFIG_MAP",
                                     "BootstrapClusterCreatorAdminPermissions": False})}, "C"),
    Case("auth-absent", "EKSBP3", FAIL, {"C": cluster(AccessConfig=None)}, "C"),
    Case("auth-api-only", "EKSBP4", OK, {"C": cluster()}, "C"),
    Case("auth-both", "EKSBP4", FAIL,
         {"C": cluster(AccessConfig={"AuthenticationMode": "API_AND_CONFIG_MAP",
                                     "BootstrapClusterCreatorAdminPermissions": False})}, "C"),
    Case("auth-configmap-na", "EKSBP4", NA,
         {"C": cluster(AccessConfig={"AuthenticationMode": "CONFIG_MAP"})}, "C"),
    # EKSBP5 creator admin
    Case("bootstrap-false", "EKSBP5", OK, {"C": cluster()}, "C"),
    Case("bootstrap-absent", "EKSBP5", FAIL,
         {"C": cluster(AccessConfig={"AuthenticationMode": "API"})}, "C"),
    Case("bootstrap-true", "EKSBP5", FAIL,
         {"C": cluster(AccessConfig={"AuthenticationMode": "API",
                                     "BootstrapClusterCreatorAdminPermissions": True})}, "C"),
    # EKSBP6 endpoint
    Case("endpoint-private", "EKSBP6", OK, {"C": cluster()}, "C"),
    Case("endpoint-public-limited", "EKSBP6", OK,
         {"C": cluster(ResourcesVpcConfig=_PUBLIC_LIMITED)}, "C"),
    Case("endpoint-default", "EKSBP6", FAIL,
         {"C": cluster(ResourcesVpcConfig={"SubnetIds": ["subnet-0a"]})}, "C"),
    Case("endpoint-open-cidr", "EKSBP6", FAIL, {"C": cluster(ResourcesVpcConfig=_BAD_CIDRS)},
         "C"),
    # EKSBP7 deletion protection
    Case("deletion-on", "EKSBP7", OK, {"C": cluster()}, "C"),
    Case("deletion-absent", "EKSBP7", FAIL, {"C": cluster(DeletionProtection=None)}, "C"),
    # EKSBP8 log group
    Case("loggroup-literal", "EKSBP8", OK, {"C": cluster(), "Logs": log_group()}, "C"),
    Case("loggroup-ref", "EKSBP8", OK,
         {"C": cluster(), "Logs": log_group({"Fn::Join": ["", ["/aws/eks/", {"Ref": "C"},
                                                               "/cluster"]]})}, "C"),
    Case("loggroup-no-retention", "EKSBP8", FAIL,
         {"C": cluster(), "Logs": log_group(retention=None)}, "C"),
    Case("loggroup-missing", "EKSBP8", FAIL, {"C": cluster()}, "C"),
    Case("loggroup-imported-name", "EKSBP8", UNRESOLVED,
         {"C": cluster(Name={"Fn::ImportValue": "cluster-name"}), "Logs": log_group()}, "C"),
    Case("loggroup-no-logging", "EKSBP8", NA, {"C": cluster(Logging=None)}, "C"),
    # EKSBP9 remote access
    Case("ng-no-ssh", "EKSBP9", OK, node_stack(), "Ng"),
    Case("ng-ssh", "EKSBP9", FAIL,
         node_stack(nodegroup(RemoteAccess={"Ec2SshKey": "ops"})), "Ng"),
    # EKSBP10 AMI type
    Case("ami-al2023", "EKSBP10", OK, node_stack(), "Ng"),
    Case("ami-bottlerocket", "EKSBP10", OK,
         node_stack(nodegroup(AmiType="BOTTLEROCKET_ARM_64")), "Ng"),
    Case("ami-al2", "EKSBP10", FAIL, node_stack(nodegroup(AmiType="AL2_x86_64")), "Ng"),
    Case("ami-windows", "EKSBP10", OK,
         node_stack(nodegroup(AmiType="WINDOWS_CORE_2022_x86_64")), "Ng"),
    Case("ami-absent", "EKSBP10", FAIL, node_stack(nodegroup(AmiType=None)), "Ng"),
    Case("ami-custom", "EKSBP10", UNRESOLVED,
         node_stack(nodegroup(AmiType="CUSTOM"), launch_template(image="ami-0abc")), "Ng"),
    # EKSBP11 IMDSv2
    Case("imds-required", "EKSBP11", OK, node_stack(), "Ng"),
    Case("imds-optional", "EKSBP11", FAIL, node_stack(lt=launch_template(tokens="optional")),
         "Ng"),
    Case("imds-no-lt", "EKSBP11", FAIL, node_stack(nodegroup(LaunchTemplate=None)), "Ng"),
    Case("imds-literal-lt", "EKSBP11", UNRESOLVED,
         node_stack(nodegroup(LaunchTemplate={"Id": "lt-0abc", "Version": "1"})), "Ng"),
    # EKSBP12 hop limit
    Case("hops-1", "EKSBP12", OK, node_stack(), "Ng"),
    Case("hops-2", "EKSBP12", FAIL, node_stack(lt=launch_template(hops=2)), "Ng"),
    Case("hops-absent", "EKSBP12", FAIL, node_stack(lt=launch_template(hops=None)), "Ng"),
    # EKSBP13 EBS encryption
    Case("ebs-encrypted", "EKSBP13", OK, node_stack(), "Ng"),
    Case("ebs-plain", "EKSBP13", FAIL, node_stack(lt=launch_template(encrypted=False)), "Ng"),
    Case("ebs-no-mapping", "EKSBP13", UNRESOLVED,
         node_stack(lt=launch_template(encrypted=None)), "Ng"),
    # EKSBP14 subnets
    Case("subnet-private", "EKSBP14", OK, node_stack(), "Ng"),
    Case("subnet-public", "EKSBP14", FAIL, node_stack(public=True), "Ng"),
    Case("subnet-imported", "EKSBP14", UNRESOLVED,
         node_stack(nodegroup(Subnets=[{"Fn::ImportValue": "net-private-a"}])), "Ng"),
    Case("fargate-public", "EKSBP14", FAIL,
         {"Fp": {"Type": "AWS::EKS::FargateProfile",
                 "Properties": {"ClusterName": "demo", "PodExecutionRoleArn": "arn:aws:iam::"
                                "111111111111:role/fp", "Subnets": [{"Ref": "Pub"}],
                                "Selectors": [{"Namespace": "karpenter"}]}},
          "Pub": subnet(public=True)}, "Fp"),
    # EKSBP15 node role
    Case("noderole-no-cni", "EKSBP15", OK, node_stack(), "Ng"),
    Case("noderole-cni", "EKSBP15", FAIL,
         node_stack(node_role=role(NODE_TRUST, [_policy("AmazonEKSWorkerNodePolicy"),
                                                _policy("AmazonEKS_CNI_Policy")])), "Ng"),
    Case("noderole-literal", "EKSBP15", UNRESOLVED,
         node_stack(nodegroup(NodeRole="arn:aws:iam::111111111111:role/nodes")), "Ng"),
    # EKSBP16 IRSA
    Case("irsa-cfnjson", "EKSBP16", OK,
         irsa_resources({"StringEquals": {"Fn::GetAtt": ["Cond", "Value"]}},
                        with_cfn_json=CFN_JSON_OK), "Irsa"),
    Case("irsa-literal", "EKSBP16", OK,
         irsa_resources({"StringEquals": {f"{ISSUER}:sub": "system:serviceaccount:a:b",
                                          f"{ISSUER}:aud": "sts.amazonaws.com"}}), "Irsa"),
    Case("irsa-no-condition", "EKSBP16", FAIL, irsa_resources(None), "Irsa"),
    Case("irsa-wildcard-cfnjson", "EKSBP16", FAIL,
         irsa_resources({"StringEquals": {"Fn::GetAtt": ["Cond", "Value"]}},
                        with_cfn_json=CFN_JSON_WILDCARD_SUB), "Irsa"),
    Case("irsa-stringlike", "EKSBP16", FAIL,
         irsa_resources({"StringLike": {f"{ISSUER}:sub": "system:serviceaccount:a:*"},
                         "StringEquals": {f"{ISSUER}:aud": "sts.amazonaws.com"}}), "Irsa"),
    Case("irsa-github-na", "EKSBP16", NA,
         irsa_resources({"StringLike": {"token.actions.githubusercontent.com:sub": "repo:o/*"}},
                        federated="arn:aws:iam::111111111111:oidc-provider/"
                                  "token.actions.githubusercontent.com"), "Irsa"),
    # EKSBP17 Pod Identity
    Case("podid-ok", "EKSBP17", OK,
         {"R": role([{"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"],
                      "Principal": {"Service": POD_IDENTITY}}])}, "R"),
    Case("podid-no-tag", "EKSBP17", FAIL,
         {"R": role([{"Effect": "Allow", "Action": "sts:AssumeRole",
                      "Principal": {"Service": POD_IDENTITY}}])}, "R"),
    Case("podid-na", "EKSBP17", NA, {"R": role(NODE_TRUST)}, "R"),
    # EKSBP18 / EKSBP19 add-ons
    Case("addon-pinned", "EKSBP18", OK,
         {"A": addon("coredns")}, "A"),
    Case("addon-unpinned", "EKSBP18", FAIL, {"A": addon("coredns", version=None)}, "A"),
    Case("cni-irsa", "EKSBP19", OK,
         {"A": addon(ServiceAccountRoleArn="arn:aws:iam::111111111111:role/cni")}, "A"),
    Case("cni-pod-identity", "EKSBP19", OK,
         {"A": addon(PodIdentityAssociations=[{"ServiceAccount": "aws-node",
                                               "RoleArn": "arn:aws:iam::111111111111:role/c"}])},
         "A"),
    Case("cni-node-role", "EKSBP19", FAIL, {"A": addon()}, "A"),
    Case("coredns-na", "EKSBP19", NA, {"A": addon("coredns")}, "A"),
    # EKSBP25 nodes' path to CNI permissions
    Case("cni-path-none", "EKSBP25", FAIL, node_stack(), "Ng"),
    Case("cni-path-addon-without-role", "EKSBP25", FAIL, {**node_stack(), "A": addon()}, "Ng"),
    Case("cni-path-irsa", "EKSBP25", OK,
         {**node_stack(), "A": addon(ServiceAccountRoleArn="arn:aws:iam::111111111111:role/c")},
         "Ng"),
    Case("cni-path-addon-pod-identity", "EKSBP25", OK,
         {**node_stack(), "A": addon(PodIdentityAssociations=[
             {"ServiceAccount": "aws-node", "RoleArn": "arn:aws:iam::111111111111:role/c"}]),
          "Agent": addon("eks-pod-identity-agent")},
         "Ng"),
    # Without the agent, aws-node gets no credentials from its association.
    Case("cni-path-addon-pod-identity-no-agent", "EKSBP25", FAIL,
         {**node_stack(), "A": addon(PodIdentityAssociations=[
             {"ServiceAccount": "aws-node", "RoleArn": "arn:aws:iam::111111111111:role/c"}])},
         "Ng"),
    Case("cni-path-association", "EKSBP25", OK,
         {**node_stack(), "Pia": pod_identity_association("kube-system", "aws-node"),
          "Agent": addon("eks-pod-identity-agent")}, "Ng"),
    Case("cni-path-association-no-agent", "EKSBP25", FAIL,
         {**node_stack(), "Pia": pod_identity_association("kube-system", "aws-node")}, "Ng"),
    # The node role may carry the CNI's permissions in a policy of the customer's own.
    Case("cni-path-node-role-inline", "EKSBP25", OK,
         node_stack(node_role={"Type": "AWS::IAM::Role", "Properties": {
             "AssumeRolePolicyDocument": {"Statement": NODE_TRUST},
             "Policies": [{"PolicyName": "cni", "PolicyDocument": {"Statement": [
                 {"Effect": "Allow", "Action": ["ec2:AssignPrivateIpAddresses"],
                  "Resource": "*"}]}}]}}), "Ng"),
    Case("cni-path-node-role-foreign-policy", "EKSBP25", UNRESOLVED,
         node_stack(node_role=role(NODE_TRUST, [
             "arn:aws:iam::111111111111:policy/team-cni"])), "Ng"),
    # IPv6: AmazonEKS_CNI_Policy grants IPv4 only; IPv6 needs ec2:AssignIpv6Addresses.
    Case("cni-path-ipv6-managed-policy", "EKSBP25", FAIL,
         {**node_stack(node_role=role(NODE_TRUST, [_policy("AmazonEKS_CNI_Policy")])),
          "Cluster": {"Type": "AWS::EKS::Cluster", "Properties": {
              **cluster()["Properties"], "KubernetesNetworkConfig": {"IpFamily": "ipv6"}}}},
         "Ng"),
    Case("cni-path-ipv6-policy", "EKSBP25", OK,
         {**node_stack(), "Cluster": {"Type": "AWS::EKS::Cluster", "Properties": {
              **cluster()["Properties"], "KubernetesNetworkConfig": {"IpFamily": "ipv6"}}},
          "Ipv6Cni": {"Type": "AWS::IAM::Policy", "Properties": {
              "PolicyName": "ipv6-cni", "Roles": [{"Ref": "NodeRole"}],
              "PolicyDocument": {"Statement": [
                  {"Effect": "Allow", "Action": "ec2:AssignIpv6Addresses", "Resource": "*"}]}}}},
         "Ng"),
    Case("cni-path-association-other-sa", "EKSBP25", FAIL,
         {**node_stack(), "Pia": pod_identity_association("kube-system", "coredns")}, "Ng"),
    Case("cni-path-other-cluster", "EKSBP25", FAIL,
         {**node_stack(), "A": addon(ClusterName="other",
                                     ServiceAccountRoleArn="arn:aws:iam::111111111111:role/c")},
         "Ng"),
    Case("cni-path-node-role-policy", "EKSBP25", OK,
         node_stack(node_role=role(NODE_TRUST, [_policy("AmazonEKSWorkerNodePolicy"),
                                                _policy("AmazonEKS_CNI_Policy")])), "Ng"),
    Case("cni-path-node-role-literal", "EKSBP25", UNRESOLVED,
         node_stack(nodegroup(NodeRole="arn:aws:iam::111111111111:role/nodes")), "Ng"),
    Case("cni-path-karpenter-entry", "EKSBP25", FAIL,
         {"Entry": access_entry("EC2_LINUX"), "NodeRole": role(NODE_TRUST)}, "Entry"),
    Case("cni-path-karpenter-entry-irsa", "EKSBP25", OK,
         {"Entry": access_entry("EC2_LINUX"), "NodeRole": role(NODE_TRUST),
          "A": addon(ServiceAccountRoleArn="arn:aws:iam::111111111111:role/cni")}, "Entry"),
    Case("cni-path-auto-mode-entry", "EKSBP25", NA,
         {"Entry": access_entry("EC2"), "NodeRole": role(NODE_TRUST)}, "Entry"),
    Case("cni-path-fargate-entry", "EKSBP25", NA,
         {"Entry": access_entry("FARGATE_LINUX"), "NodeRole": role(NODE_TRUST)}, "Entry"),
    Case("cni-path-user-entry", "EKSBP25", NA,
         {"Entry": access_entry(None), "NodeRole": role(NODE_TRUST)}, "Entry"),
    # EKSBP20 GuardDuty
    Case("gd-features", "EKSBP20", OK,
         {"D": detector(Features=[{"Name": "EKS_AUDIT_LOGS", "Status": "ENABLED"}])}, "D"),
    Case("gd-legacy", "EKSBP20", OK,
         {"D": detector(DataSources={"Kubernetes": {"AuditLogs": {"Enable": True}}})}, "D"),
    Case("gd-none", "EKSBP20", FAIL, {"D": detector()}, "D"),
    Case("gd-disabled-feature", "EKSBP20", FAIL,
         {"D": detector(Features=[{"Name": "EKS_AUDIT_LOGS", "Status": "DISABLED"}])}, "D"),
    # EKSBP21 / EKSBP22 ECR
    Case("ecr-scan", "EKSBP21", OK, {"E": repository()}, "E"),
    Case("ecr-registry-scan", "EKSBP21", OK,
         {"E": repository(scan=None),
          "Scan": {"Type": "AWS::ECR::RegistryScanningConfiguration",
                   "Properties": {"ScanType": "ENHANCED",
                                  "Rules": [{"ScanFrequency": "CONTINUOUS_SCAN",
                                             "RepositoryFilters": [{"Filter": "*",
                                                                    "FilterType": "WILDCARD"}]}]}}},
         "E"),
    Case("ecr-no-scan", "EKSBP21", FAIL, {"E": repository(scan=False)}, "E"),
    Case("ecr-immutable", "EKSBP22", OK, {"E": repository()}, "E"),
    Case("ecr-mutable", "EKSBP22", FAIL, {"E": repository(mutability="MUTABLE")}, "E"),
    # EKSBP23 / EKSBP24 Karpenter interruption queue
    Case("queue-sse", "EKSBP23", OK, {"Queue": _queue()}, "Queue"),
    Case("queue-kms", "EKSBP23", OK, {"Queue": _queue(sse=None, kms="alias/q")}, "Queue"),
    Case("queue-plain", "EKSBP23", FAIL, {"Queue": _queue(sse=None)}, "Queue"),
    Case("queue-unrelated", "EKSBP23", NA, {"Queue": _queue(name="orders", sse=None)},
         "Queue"),
    Case("queue-targeted-plain", "EKSBP23", FAIL,
         {"Queue": _queue(name=None, sse=None), "SpotRule": INTERRUPTION_RULES["SpotRule"]},
         "Queue"),
    Case("queue-rules", "EKSBP24", OK, {"Queue": _queue(), **INTERRUPTION_RULES}, "Queue"),
    Case("queue-two-rules", "EKSBP24", FAIL,
         {"Queue": _queue(), "SpotRule": INTERRUPTION_RULES["SpotRule"],
          "HealthRule": INTERRUPTION_RULES["HealthRule"]}, "Queue"),
    Case("queue-disabled-rule", "EKSBP24", FAIL,
         {"Queue": _queue(), **INTERRUPTION_RULES,
          "HealthRule": _event_rule("aws.health", "AWS Health Event", state="DISABLED")},
         "Queue"),
]


def compliant_template() -> dict[str, Any]:
    """One template in which every rule is compliant or not applicable."""
    resources: dict[str, Any] = {
        "Cluster": cluster(),
        "Logs": log_group(),
        **node_stack(),
        "Oidc": irsa_resources(None)["Oidc"],
        "Irsa": irsa_resources({"StringEquals": {"Fn::GetAtt": ["Cond", "Value"]}})["Irsa"],
        "Cond": CFN_JSON_OK,
        "PodRole": role([{"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"],
                          "Principal": {"Service": POD_IDENTITY}}]),
        "Cni": addon(ServiceAccountRoleArn={"Fn::GetAtt": ["Irsa", "Arn"]}),
        "Detector": detector(Features=[{"Name": "EKS_AUDIT_LOGS", "Status": "ENABLED"}]),
        "Repo": repository(),
        "Queue": _queue(),
        **INTERRUPTION_RULES,
    }
    return {"Resources": copy.deepcopy(resources)}
