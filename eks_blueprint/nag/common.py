"""What both rule families (best practice and deployability) need: CloudFormation type
names, the templates checked together, which cluster a ``ClusterName`` means, and the
managed policies of a role. Pure Python: no ``aws_cdk``.
"""

from __future__ import annotations

from typing import Any

from ..template import PLACEHOLDER, ResourceRef, TemplateView, as_list

CLUSTER = "AWS::EKS::Cluster"
NODEGROUP = "AWS::EKS::Nodegroup"
FARGATE_PROFILE = "AWS::EKS::FargateProfile"
ACCESS_ENTRY = "AWS::EKS::AccessEntry"
POD_IDENTITY_ASSOCIATION = "AWS::EKS::PodIdentityAssociation"
LAUNCH_TEMPLATE = "AWS::EC2::LaunchTemplate"
SUBNET = "AWS::EC2::Subnet"
ROLE = "AWS::IAM::Role"
ADDON = "AWS::EKS::Addon"
DETECTOR = "AWS::GuardDuty::Detector"
ECR_REPOSITORY = "AWS::ECR::Repository"
REGISTRY_SCANNING = "AWS::ECR::RegistryScanningConfiguration"
QUEUE = "AWS::SQS::Queue"
EVENT_RULE = "AWS::Events::Rule"
LOG_GROUP = "AWS::Logs::LogGroup"
OIDC_PROVIDERS = ("AWS::IAM::OIDCProvider", "Custom::AWSCDKOpenIdConnectProvider")


def assembly_views(view: TemplateView) -> list[TemplateView]:
    """Every template checked with ``view`` (one cloud assembly), ``view`` first."""
    return [view, *(v for v in view.exports.views if v is not view)]


def cluster_key(view: TemplateView, raw: Any) -> tuple[str, ...] | None:
    """Which cluster ``ClusterName`` means: the cluster resource it references, or its name."""
    found = view.deref(raw)
    if isinstance(found, ResourceRef) and found.type == CLUSTER:
        name = found.view.render(found.properties.get("Name"))
        if name and PLACEHOLDER not in name:
            return ("name", name)
        return ("resource", str(id(found.view)), found.logical_id)
    text = view.render(raw)
    return ("name", text) if text and PLACEHOLDER not in text else None


def managed_policy_names(role: ResourceRef) -> list[str]:
    """The names (last ARN segment) of the managed policies a role's template attaches."""
    names = []
    for arn in as_list(role.properties.get("ManagedPolicyArns")):
        text = role.view.render(arn)
        if text is not None:
            names.append(text.rsplit("/", 1)[-1])
    return names
