"""Render CloudFormation values at the longest they can be at deploy time.

:meth:`TemplateView.render` answers "what does this string say", with a placeholder for
deploy-time parts. The deployability rules (:mod:`eks_blueprint.nag.limits`) need "how long can
it get": a ``Ref`` to an ``AWS::EKS::Cluster`` is its name, up to 100 characters; a
``Fn::GetAtt [Queue, Arn]`` is ``arn:<partition>:sqs:<region>:<account>:<queue name>``. This
module renders every intrinsic at its longest and records each assumption, so that a finding
can say what it counted.

The rendering is a concrete worst-case text, not just a number: ``AWS::Region`` becomes
``us-isof-south-1`` and ``AWS::Partition`` ``aws-us-gov``, so that ``Fn::Split`` /
``Fn::Select`` (how CDK cuts the issuer out of an OIDC provider ARN) work on it like
CloudFormation would. Characters whose content is unknown (a generated name, an id) are
:data:`FILLER`; character-set checks treat them as valid (see :func:`known`).

How long things can be is one documented table, :data:`SHAPES` (types) and
:data:`PSEUDO_PARAMETERS`. What it does not know (an unknown type or attribute, a parameter
without constraints, an import from a template not loaded) counts :data:`UNKNOWN_LENGTH`
characters, and the note says so.

Pure Python: no ``aws_cdk``.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..template import PLACEHOLDER, ResourceRef, TemplateView

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

_TOKEN = re.compile(r"\{([^{}]+)\}")
_SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")
_DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:[^}]*\}\}")


def known(text: str) -> str:
    """``text`` with unknown characters replaced by a letter valid in every name charset,
    for character-set checks (length checks use ``text`` itself)."""
    return text.replace(FILLER, "a")


def visible(text: str, limit: int = 60) -> str:
    """``text`` for a message: unknown runs shown as ``<N chars>``, cut after ``limit``."""
    shown = re.sub(f"{FILLER}+", lambda m: f"<{len(m.group(0))} chars>", text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


class Longest:
    """Renders values of a template at their longest and records what it assumed.

    One instance per measurement: :attr:`notes` collects the assumptions (``AWS::Region`` at
    15 characters, ``Ref Cluster`` at 100...) for the finding's message.
    """

    def __init__(self, view: TemplateView, unknown_length: int = UNKNOWN_LENGTH) -> None:
        """``unknown_length``: how long a value that cannot be bounded counts (the rules
        re-measure with 1 to tell a certain failure from one caused by such values)."""
        self.view = view
        self.unknown_length = unknown_length
        self.notes: Counter[str] = Counter()
        #: How many values could not be bounded and counted :data:`UNKNOWN_LENGTH`: a limit
        #: exceeded only because of them is "unresolved", not a failure.
        self.unknowns = 0
        self._active: set[tuple[int, str]] = set()

    # ------------------------------------------------------------------ public API

    def text(self, value: Any, view: TemplateView | None = None) -> str | None:
        """The longest text a string-valued expression can have; None when it is not a string
        at all (a list or a map)."""
        view = view or self.view
        if isinstance(value, str):
            return self._literal(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        if not isinstance(value, Mapping) or len(value) != 1:
            return None
        (fn, arg), = value.items()
        if fn == "Ref" and isinstance(arg, str):
            return self._ref(view, arg)
        if fn == "Fn::GetAtt":
            return self._getatt(view, arg)
        if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
            separator, parts = arg
            items = self.strings(parts, view)
            if isinstance(separator, str) and items is not None:
                return separator.join(items)
            return self._unknown(f"Fn::Join {_short(value)}")
        if fn == "Fn::Sub":
            return self._sub(view, arg)
        if fn == "Fn::Select" and isinstance(arg, list) and len(arg) == 2:
            return self._select(view, arg[0], arg[1])
        if fn == "Fn::If" and isinstance(arg, list) and len(arg) == 3:
            options = [self.text(arg[1], view), self.text(arg[2], view)]
            texts = [t for t in options if t is not None]
            return max(texts, key=len) if texts else None
        if fn == "Fn::FindInMap" and isinstance(arg, list) and len(arg) >= 3:
            return self._find_in_map(view, arg)
        if fn == "Fn::Base64":
            inner = self.text(arg, view) or ""
            return FILLER * (4 * math.ceil(len(inner) / 3))
        if fn in ("Fn::ImportValue", "Fn::GetStackOutput"):
            return self._import(view, value)
        if fn == "Fn::ToJsonString":
            return json.dumps(self.document(arg, view), separators=(",", ":"),
                              ensure_ascii=False)
        if fn == "Fn::Length":
            return FILLER * 10
        if fn == "Fn::GetAZs":
            return None
        return None

    def strings(self, value: Any, view: TemplateView | None = None) -> list[str] | None:
        """The longest items of a list-valued expression (a literal list, ``Fn::Split``,
        ``Fn::GetAZs``, ``Fn::If`` of lists...); None when it is not a list."""
        view = view or self.view
        if isinstance(value, list):
            out: list[str] = []
            for item in value:
                if _is_no_value(item):
                    continue
                nested = self.strings(item, view) if _is_list_function(item) else None
                if nested is not None:
                    out.extend(nested)
                    continue
                text = self.text(item, view)
                out.append(text if text is not None else self._unknown(_short(item)))
            return out
        if isinstance(value, Mapping) and len(value) == 1:
            (fn, arg), = value.items()
            if fn == "Fn::Split" and isinstance(arg, list) and len(arg) == 2:
                source = self.text(arg[1], view)
                if isinstance(arg[0], str) and arg[0] and source is not None:
                    return source.split(arg[0])
            if fn == "Fn::GetAZs":
                self.notes["Fn::GetAZs as zones of 16 characters"] += 1
                return [PSEUDO_PARAMETERS["AWS::Region"] + "a"] * 6
            if fn == "Fn::If" and isinstance(arg, list) and len(arg) == 3:
                options = [self.strings(arg[1], view), self.strings(arg[2], view)]
                lists = [o for o in options if o is not None]
                return max(lists, key=lambda items: sum(map(len, items))) if lists else None
            if fn == "Ref" and isinstance(arg, str):
                parameter = _parameter(view, arg)
                if parameter is not None and str(parameter.get("Type", "")).startswith(
                        ("List<", "CommaDelimitedList")):
                    return [self._parameter_text(arg, parameter)]
        return None

    def document(self, value: Any, view: TemplateView | None = None) -> Any:
        """A JSON structure (a policy document, a manifest) with every intrinsic rendered at
        its longest; ``AWS::NoValue`` entries are dropped, ``Custom::AWSCDKCfnJson`` values
        are parsed back to the JSON they hold."""
        view = view or self.view
        if isinstance(value, list):
            return [self.document(v, view) for v in value if not _is_no_value(v)]
        if isinstance(value, Mapping):
            if len(value) == 1:
                (fn, arg), = value.items()
                if fn == "Fn::GetAtt":
                    held = self._cfn_json(view, value)
                    if held is not None:
                        return held
                if fn == "Fn::If" and isinstance(arg, list) and len(arg) == 3:
                    branches = [self.document(b, view) for b in arg[1:] if not _is_no_value(b)]
                    return max(branches, key=lambda b: len(json.dumps(b, default=str)),
                               default=None)
                if fn.startswith("Fn::") or fn == "Ref":
                    listed = self.strings(value, view) if _is_list_function(value) else None
                    if listed is not None:
                        return listed
                    text = self.text(value, view)
                    return text if text is not None else self._unknown(_short(value))
            return {str(self.document(k, view)) if not isinstance(k, str) else k:
                    self.document(v, view)
                    for k, v in value.items() if not _is_no_value(v)}
        if isinstance(value, str):
            return self._literal(value)
        return value

    def summary(self, limit: int = 4) -> str:
        """The assumptions, for a finding: ``AWS::Region as 15 (×3); Ref Cluster ...``."""
        if not self.notes:
            return ""
        items = [f"{note} (×{count})" if count > 1 else note
                 for note, count in self.notes.most_common()]
        more = len(items) - limit
        shown = "; ".join(items[:limit])
        return shown + (f"; and {more} more" if more > 0 else "")

    # ------------------------------------------------------------------ helpers

    def _literal(self, text: str) -> str:
        if "{{resolve:" in text:
            def dynamic(match: re.Match[str]) -> str:
                return self._unknown(f"dynamic reference {visible(match.group(0), 40)}")
            return _DYNAMIC_REFERENCE.sub(dynamic, text)
        return text

    def _unknown(self, what: str) -> str:
        self.unknowns += 1
        self.notes[f"{what} as {self.unknown_length} (unknown)"] += 1
        return FILLER * self.unknown_length

    def _ref(self, view: TemplateView, name: str) -> str:
        if name in PSEUDO_PARAMETERS:
            if name == "AWS::StackName" and view.stack_name:
                return view.stack_name
            value = PSEUDO_PARAMETERS[name]
            self.notes[f"{name} as {len(value)}"] += 1
            return value
        if name == "AWS::NotificationARNs" or name == "AWS::NoValue":
            return ""
        resource = view.get(name)
        if resource is not None:
            return self._resource_value(resource, None)
        parameter = _parameter(view, name)
        if parameter is not None:
            return self._parameter_text(name, parameter)
        return self._unknown(f"Ref {name} (not in {view.name})")

    def _parameter_text(self, name: str, parameter: Mapping[str, Any]) -> str:
        allowed = parameter.get("AllowedValues")
        if isinstance(allowed, list) and allowed:
            longest = max((str(a) for a in allowed), key=len)
            self.notes[f"parameter {name} as its longest allowed value ({len(longest)})"] += 1
            return longest
        max_length = parameter.get("MaxLength")
        if isinstance(max_length, int | str) and str(max_length).isdigit():
            self.notes[f"parameter {name} at its MaxLength {max_length}"] += 1
            return FILLER * int(max_length)
        return self._unknown(f"parameter {name}")

    def _getatt(self, view: TemplateView, arg: Any) -> str:
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
            logical_id, attribute = arg[0], arg[1]
        elif isinstance(arg, str) and "." in arg:
            logical_id, attribute = arg.split(".", 1)
        else:
            return self._unknown(f"Fn::GetAtt {_short(arg)}")
        if not isinstance(attribute, str):
            return self._unknown(f"Fn::GetAtt {logical_id} with a computed attribute")
        resource = view.get(logical_id)
        if resource is None:
            return self._unknown(f"Fn::GetAtt {logical_id}.{attribute} (not in {view.name})")
        if resource.type == "Custom::AWSCDKCfnJson" and attribute == "Value":
            held = self._cfn_json(view, {"Fn::GetAtt": [logical_id, attribute]})
            if held is not None:
                return json.dumps(held, separators=(",", ":"), ensure_ascii=False)
        return self._resource_value(resource, attribute)

    def _resource_value(self, resource: ResourceRef, attribute: str | None) -> str:
        """The longest Ref (attribute None) or attribute value of a resource."""
        what = (f"Ref {resource.logical_id}" if attribute is None
                else f"Fn::GetAtt {resource.logical_id}.{attribute}")
        shape = SHAPES.get(resource.type)
        fmt = None if shape is None else (shape.ref if attribute is None
                                          else shape.attrs.get(attribute))
        if shape is None or fmt is None:
            return self._unknown(f"{what} ({resource.type})")
        key = (id(resource.view), resource.logical_id)
        if key in self._active:  # a name built from itself: count the limit
            return FILLER * (shape.name_max or self.unknown_length)
        self._active.add(key)
        try:
            text = self._format(resource, shape, fmt)
        finally:
            self._active.discard(key)
        if FILLER in text or any(p in fmt for p in ("{partition}", "{region}", "{account}",
                                                    "{urlsuffix}")):
            self.notes[f"{what} ({resource.type}) as {len(text)}"] += 1
        return text

    def _format(self, resource: ResourceRef, shape: Shape, fmt: str) -> str:
        def token(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in ("partition", "region", "account", "urlsuffix"):
                return PSEUDO_PARAMETERS[{"partition": "AWS::Partition", "region": "AWS::Region",
                                          "account": "AWS::AccountId",
                                          "urlsuffix": "AWS::URLSuffix"}[name]]
            if name == "name":
                return self._name(resource, shape)
            if name == "path":
                raw = resource.properties.get("Path")
                path = self.text(raw, resource.view) if raw is not None else "/"
                return path if path is not None else self._unknown("Path")
            if name.startswith("x") and name[1:].isdigit():
                return FILLER * int(name[1:])
            if name.startswith("prop:"):
                _, prop, default = name.split(":")
                raw = resource.properties.get(prop)
                if raw is None:
                    return FILLER * int(default)
                text = self.text(raw, resource.view)
                return text if text is not None else FILLER * int(default)
            return match.group(0)
        return _TOKEN.sub(token, fmt)

    def _name(self, resource: ResourceRef, shape: Shape) -> str:
        """The resource's name: its name property at its longest, else the longest name
        CloudFormation would generate (``<stack>-<logical id>-<random>``, cut to the limit)."""
        raw = resource.properties.get(shape.name_property) if shape.name_property else None
        if raw is not None:
            text = self.text(raw, resource.view)
            if text is not None:
                if shape.name_property == "Url":  # OIDC provider: the URL without scheme
                    text = re.sub(r"^https://", "", text)
                return text
        stack = resource.view.stack_name
        stack_length = len(stack) if stack else 128
        generated = stack_length + 1 + len(resource.logical_id) + 1 + GENERATED_SUFFIX
        return FILLER * min(shape.name_max or self.unknown_length, generated)

    def _sub(self, view: TemplateView, arg: Any) -> str | None:
        if isinstance(arg, str):
            template, variables = arg, {}
        elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) \
                and isinstance(arg[1], Mapping):
            template, variables = arg[0], dict(arg[1])
        else:
            return None

        def variable(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            if name in variables:
                text = self.text(variables[name], view)
                return text if text is not None else self._unknown(f"Fn::Sub ${{{name}}}")
            if "." in name and view.get(name.split(".", 1)[0]) is not None:
                return self._getatt(view, name)
            return self._ref(view, name)

        rendered = _SUB_VAR.sub(variable, template)
        return self._literal(rendered.replace("${!", "${"))

    def _select(self, view: TemplateView, index: Any, source: Any) -> str | None:
        items = self.strings(source, view)
        if items is None:
            return self._unknown(f"Fn::Select from {_short(source)}")
        position = index if isinstance(index, int) else (
            int(index) if isinstance(index, str) and index.isdigit() else None)
        if position is not None and 0 <= position < len(items):
            return items[position]
        return max(items, key=len) if items else ""

    def _find_in_map(self, view: TemplateView, arg: list[Any]) -> str | None:
        """The mapped value; where a key is computed at deploy time, the longest candidate."""
        mappings = view.template.get("Mappings")
        candidates: list[Any] = [mappings.get(arg[0])] if isinstance(mappings, Mapping) \
            and isinstance(arg[0], str) else []
        for key in arg[1:3]:
            found: list[Any] = []
            for level in candidates:
                if not isinstance(level, Mapping):
                    continue
                if isinstance(key, str):
                    found.extend([level[key]] if key in level else [])
                else:
                    found.extend(level.values())
            candidates = found
        texts = [t for t in (self.text(c, view) for c in candidates) if t is not None]
        if not texts:
            return self._unknown(f"Fn::FindInMap {_short(arg)}")
        return max(texts, key=len)

    def _import(self, view: TemplateView, value: Mapping[str, Any]) -> str:
        (fn, arg), = value.items()
        if fn == "Fn::ImportValue":
            name = view.render(arg)
            hit = view.exports.exports.get(name) if name and PLACEHOLDER not in name else None
            label = f"Fn::ImportValue {name}"
        else:
            stack = arg.get("StackName") if isinstance(arg, Mapping) else None
            output = arg.get("OutputName") if isinstance(arg, Mapping) else None
            hit = view.exports.stack_outputs.get((str(stack), str(output)))
            label = f"Fn::GetStackOutput {stack}.{output}"
        if hit is None:
            return self._unknown(f"{label} (exporting template not loaded)")
        producer, produced = hit
        text = self.text(produced, producer)
        return text if text is not None else self._unknown(label)

    def _cfn_json(self, view: TemplateView, value: Mapping[str, Any]) -> Any | None:
        """The JSON a ``Custom::AWSCDKCfnJson`` resource holds, rendered at its longest."""
        arg = value.get("Fn::GetAtt")
        target = arg[0] if isinstance(arg, list) and arg else (
            arg.split(".", 1)[0] if isinstance(arg, str) else None)
        resource = view.get(target) if isinstance(target, str) else None
        if resource is None or resource.type != "Custom::AWSCDKCfnJson":
            return None
        text = self.text(resource.properties.get("Value"), view)
        if text is None:
            return None
        try:
            return json.loads(text)
        except ValueError:
            return None


def _is_no_value(value: Any) -> bool:
    return isinstance(value, Mapping) and value == {"Ref": "AWS::NoValue"}


def _is_list_function(value: Any) -> bool:
    return isinstance(value, Mapping) and len(value) == 1 and next(iter(value)) in (
        "Fn::Split", "Fn::GetAZs", "Fn::If", "Ref", "Fn::Cidr")


def _parameter(view: TemplateView, name: str) -> Mapping[str, Any] | None:
    parameters = view.template.get("Parameters")
    found = parameters.get(name) if isinstance(parameters, Mapping) else None
    return found if isinstance(found, Mapping) else None


def _short(value: Any) -> str:
    text = json.dumps(value, default=str, separators=(",", ":"))
    return text if len(text) <= 60 else text[:59] + "…"


def policy_size(document: Any) -> int:
    """The size IAM counts for a rendered policy document: its JSON without whitespace (IAM
    does not count white space; IAM and AWS STS quotas,
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return sum(1 for ch in document if not ch.isspace())
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    return sum(1 for ch in text if not ch.isspace())
