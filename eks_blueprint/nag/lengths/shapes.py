"""How long CloudFormation values can be: pseudo parameters, and each resource type's
``Ref`` and ``Fn::GetAtt`` values (:data:`SHAPES`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: One character of a deploy-time value whose content is unknown (Unicode private use, so it
#: never collides with template text, and one character like the value it stands for).
FILLER = "\ue000"

#: How long an unknown value counts (a type or attribute not in :data:`SHAPES`, a parameter
#: without MaxLength/AllowedValues, an import from a template not loaded with this one).
UNKNOWN_LENGTH = 256

#: The longest value of each pseudo parameter. Regions, partitions and URL suffixes as the AWS
#: SDKs' endpoint data lists them (partitions.json, shipped as botocore/data/partitions.json;
#: https://github.com/boto/botocore/blob/develop/botocore/data/partitions.json), which also
#: matches CloudFormation's resource providers (cfn-lint's per-region schemas):
#: us-isof-south-1 (15 characters, partition aws-iso-f) is the longest region code, aws-us-gov
#: (10) the longest partition id, amazonaws.com.cn (16, aws-cn) the longest dnsSuffix. An
#: account id is 12 digits. A stack name is at most 128 characters (CloudFormation quotas,
#: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
PSEUDO_PARAMETERS: Mapping[str, str] = {
    "AWS::AccountId": "123456789012",
    "AWS::Region": "us-isof-south-1",
    "AWS::Partition": "aws-us-gov",
    "AWS::URLSuffix": "amazonaws.com.cn",
    "AWS::StackName": FILLER * 128,
    "AWS::StackId": "arn:aws-us-gov:cloudformation:us-isof-south-1:123456789012:stack/"
                    + FILLER * 128 + "/" + FILLER * 36,
}

#: CloudFormation names a resource without an explicit name ``<stack>-<logical id>-<random>``,
#: cut to the type's limit; the random suffix is 12-13 characters.
GENERATED_SUFFIX = 14


@dataclass(frozen=True)
class Shape:
    """How long a resource type's ``Ref`` and ``Fn::GetAtt`` values can be.

    Formats use ``{partition}``, ``{region}``, ``{account}``, ``{urlsuffix}``, ``{name}`` (the
    resource's name: its ``name_property`` rendered, else a generated name up to
    ``name_max``), ``{path}`` (IAM ``Path``, default ``/``), ``{xN}`` (N unknown characters)
    and ``{prop:Prop:N}`` (property ``Prop`` rendered, or N unknown characters when absent).
    """

    ref: str
    attrs: Mapping[str, str] = field(default_factory=dict)
    name_property: str | None = None
    name_max: int = 0


_ARN = "arn:{partition}:"
_REGIONAL = "{region}:{account}:"
_EKS = _ARN + "eks:" + _REGIONAL
_IAM = _ARN + "iam::{account}:"

#: The longest ``Ref`` / ``Fn::GetAtt`` values per type. Name limits come from each
#: service's quotas page or API reference (cited at the rules that check them); id formats
#: are the services' documented ones (``sg-`` + 17 hex characters...). Resources of other
#: types count :data:`UNKNOWN_LENGTH`.
SHAPES: Mapping[str, Shape] = {
    # Amazon EKS: cluster names 1-100 (CreateCluster API reference); node group names up to
    # 63 (EKS user guide, "Create a managed node group"); add-on names up to 100 (assumed
    # like cluster names); 36-character UUIDs; the issuer id is 32 hex characters.
    "AWS::EKS::Cluster": Shape("{name}", {
        "Arn": _EKS + "cluster/{name}",
        "Endpoint": "https://{x32}.{x3}.{region}.eks.{urlsuffix}",
        "OpenIdConnectIssuerUrl": "https://oidc.eks.{region}.{urlsuffix}/id/{x32}",
        "ClusterSecurityGroupId": "sg-{x17}",
        "EncryptionConfigKeyArn": _ARN + "kms:" + _REGIONAL + "key/{x36}",
        "Id": "{x36}",
        "CertificateAuthorityData": "{x2048}",
    }, "Name", 100),
    "AWS::EKS::Nodegroup": Shape("{prop:ClusterName:100}/{name}", {
        "Arn": _EKS + "nodegroup/{prop:ClusterName:100}/{name}/{x36}",
        "ClusterName": "{prop:ClusterName:100}",
        "NodegroupName": "{name}",
    }, "NodegroupName", 63),
    "AWS::EKS::FargateProfile": Shape("{prop:ClusterName:100}|{name}", {
        "Arn": _EKS + "fargateprofile/{prop:ClusterName:100}/{name}/{x36}",
    }, "FargateProfileName", 100),
    "AWS::EKS::Addon": Shape("{prop:ClusterName:100}|{prop:AddonName:100}", {
        "Arn": _EKS + "addon/{prop:ClusterName:100}/{prop:AddonName:100}/{x36}",
    }),
    "AWS::EKS::PodIdentityAssociation": Shape(
        _EKS + "podidentityassociation/{prop:ClusterName:100}/a-{x17}", {
            "AssociationArn": _EKS + "podidentityassociation/{prop:ClusterName:100}/a-{x17}",
            "AssociationId": "a-{x17}",
        }),
    # IAM: role and user names 64, policy, group and instance profile names 128, paths 512;
    # unique ids (RoleId AROA..., PolicyId ANPA...) up to 128 (IAM and AWS STS quotas, "Unique
    # IDs created by IAM"; the IAM API's idType is 16-128). Today's ids are 21 characters, but
    # nothing promises that, so a limit is only checked against the documented maximum.
    "AWS::IAM::Role": Shape("{name}", {
        "Arn": _IAM + "role{path}{name}", "RoleId": "{x128}",
    }, "RoleName", 64),
    "AWS::IAM::ManagedPolicy": Shape(_IAM + "policy{path}{name}", {
        "PolicyArn": _IAM + "policy{path}{name}", "PolicyId": "{x128}",
    }, "ManagedPolicyName", 128),
    "AWS::IAM::InstanceProfile": Shape("{name}", {
        "Arn": _IAM + "instance-profile{path}{name}",
    }, "InstanceProfileName", 128),
    "AWS::IAM::User": Shape("{name}", {"Arn": _IAM + "user{path}{name}"}, "UserName", 64),
    "AWS::IAM::Group": Shape("{name}", {"Arn": _IAM + "group{path}{name}"}, "GroupName", 128),
    # An OIDC provider's name is its URL without the scheme (up to 255 characters).
    "AWS::IAM::OIDCProvider": Shape(_IAM + "oidc-provider/{name}", {
        "Arn": _IAM + "oidc-provider/{name}",
    }, "Url", 255),
    "Custom::AWSCDKOpenIdConnectProvider": Shape(_IAM + "oidc-provider/{name}", {},
                                                 "Url", 255),
    # SQS queue names 80 (SQS quotas), SNS topic names 256, KMS key ids 36 (or mrk- + 32),
    # alias names 256, log group names 512, Lambda function names 64 and layer names 140,
    # EventBridge rule names 64, ECR repository names 256, SSM parameter names 2048,
    # S3 bucket names 63.
    "AWS::SQS::Queue": Shape("https://sqs.{region}.{urlsuffix}/{account}/{name}", {
        "Arn": _ARN + "sqs:" + _REGIONAL + "{name}",
        "QueueName": "{name}",
        "QueueUrl": "https://sqs.{region}.{urlsuffix}/{account}/{name}",
    }, "QueueName", 80),
    "AWS::SNS::Topic": Shape(_ARN + "sns:" + _REGIONAL + "{name}", {
        "TopicArn": _ARN + "sns:" + _REGIONAL + "{name}", "TopicName": "{name}",
    }, "TopicName", 256),
    "AWS::KMS::Key": Shape("{x36}", {
        "Arn": _ARN + "kms:" + _REGIONAL + "key/{x36}", "KeyId": "{x36}",
    }),
    "AWS::KMS::Alias": Shape("{name}", {}, "AliasName", 256),
    "AWS::Logs::LogGroup": Shape("{name}", {
        "Arn": _ARN + "logs:" + _REGIONAL + "log-group:{name}:*",
    }, "LogGroupName", 512),
    "AWS::Lambda::Function": Shape("{name}", {
        "Arn": _ARN + "lambda:" + _REGIONAL + "function:{name}",
    }, "FunctionName", 64),
    "AWS::Lambda::LayerVersion": Shape(
        _ARN + "lambda:" + _REGIONAL + "layer:{name}:{x10}", {}, "LayerName", 140),
    "AWS::Events::Rule": Shape("{name}", {
        "Arn": _ARN + "events:" + _REGIONAL + "rule/{name}",
    }, "Name", 64),
    "AWS::ECR::Repository": Shape("{name}", {
        "Arn": _ARN + "ecr:" + _REGIONAL + "repository/{name}",
        "RepositoryUri": "{account}.dkr.ecr.{region}.{urlsuffix}/{name}",
    }, "RepositoryName", 256),
    "AWS::SSM::Parameter": Shape("{name}", {"Type": "{x12}", "Value": "{x4096}"},
                                 "Name", 2048),
    "AWS::S3::Bucket": Shape("{name}", {
        "Arn": _ARN + "s3:::{name}",
        "DomainName": "{name}.s3.{urlsuffix}",
        "RegionalDomainName": "{name}.s3.{region}.{urlsuffix}",
    }, "BucketName", 63),
    "AWS::GuardDuty::Detector": Shape("{x32}", {"Id": "{x32}"}),
    # Amazon EC2 / VPC ids: prefix + 17 hex characters.
    "AWS::EC2::VPC": Shape("vpc-{x17}", {
        "VpcId": "vpc-{x17}", "CidrBlock": "255.255.255.255/32",
        "DefaultSecurityGroup": "sg-{x17}", "DefaultNetworkAcl": "acl-{x17}",
    }),
    "AWS::EC2::Subnet": Shape("subnet-{x17}", {
        "SubnetId": "subnet-{x17}", "AvailabilityZone": "{region}{x1}",
        "AvailabilityZoneId": "{x12}", "VpcId": "vpc-{x17}", "CidrBlock": "255.255.255.255/32",
    }),
    "AWS::EC2::SecurityGroup": Shape("sg-{x17}", {"GroupId": "sg-{x17}", "VpcId": "vpc-{x17}"}),
    "AWS::EC2::LaunchTemplate": Shape("lt-{x17}", {
        "LaunchTemplateId": "lt-{x17}", "LatestVersionNumber": "{x10}",
        "DefaultVersionNumber": "{x10}",
    }),
    "AWS::EC2::EIP": Shape("255.255.255.255", {
        "AllocationId": "eipalloc-{x17}", "PublicIp": "255.255.255.255",
    }),
    "AWS::EC2::NatGateway": Shape("nat-{x17}", {"NatGatewayId": "nat-{x17}"}),
    "AWS::EC2::InternetGateway": Shape("igw-{x17}", {"InternetGatewayId": "igw-{x17}"}),
    "AWS::EC2::RouteTable": Shape("rtb-{x17}", {"RouteTableId": "rtb-{x17}"}),
    "AWS::EC2::VPCEndpoint": Shape("vpce-{x17}", {"Id": "vpce-{x17}"}),
    "AWS::EC2::FlowLog": Shape("fl-{x17}", {"Id": "fl-{x17}"}),
    "AWS::EC2::PrefixList": Shape("pl-{x17}", {
        "PrefixListId": "pl-{x17}", "Arn": _ARN + "ec2:" + _REGIONAL + "prefix-list/pl-{x17}",
    }),
}
