"""FargateProfiles as a library user builds it: explicit props, no configuration file."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aws_cdk import Stack, Token
from aws_cdk import aws_eks_v2 as eks
from aws_cdk.assertions import Match, Template

from eks_blueprint.compute.fargate import (
    FargateProfiles,
    FargateProfileSpec,
    FargateProfilesProps,
    FargateSelectorSpec,
)
from eks_blueprint.wiring import capacity_of

from .scaffold import defined_cluster, stack, vpc

BATCH = FargateProfileSpec(name="batch", selectors=[FargateSelectorSpec(namespace="batch")])


def profiles(**changes: Any) -> tuple[Stack, FargateProfiles]:
    scope = stack()
    cluster = defined_cluster(scope, kubectl=False)
    fields: dict[str, Any] = {"cluster": cluster, "cluster_name": "platform", "vpc": vpc(scope)}
    construct = FargateProfiles(
        scope, "Fargate", props=FargateProfilesProps(**{**fields, **changes})
    )
    return scope, construct


def test_profiles_share_a_scoped_role_and_are_created_one_at_a_time() -> None:
    # GIVEN the CoreDNS profile from props
    scope, fargate = profiles(coredns=True)
    # WHEN a workload profile is added afterwards
    batch = fargate.add_profile(
        FargateProfileSpec(
            name="batch-jobs",
            selectors=[FargateSelectorSpec(namespace="batch", labels={"tier": "jobs"})],
        )
    )
    # THEN it is returned, id from its name, after the first profile
    assert isinstance(batch, eks.FargateProfile) and batch.node.id == "BatchJobs"
    assert fargate.profiles["coredns"] in batch.node.dependencies
    assert fargate in capacity_of(fargate._props.cluster)
    template = Template.from_stack(scope)
    template.resource_count_is("AWS::EKS::FargateProfile", 2)
    template.has_resource_properties(
        "AWS::EKS::FargateProfile",
        {"Selectors": [{"Namespace": "batch", "Labels": [{"Key": "tier", "Value": "jobs"}]}]},
    )
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": Match.object_like(
                {
                    "Statement": [
                        Match.object_like(
                            {
                                "Principal": {"Service": "eks-fargate-pods.amazonaws.com"},
                                "Condition": {
                                    "ArnLike": {
                                        "aws:SourceArn": Match.any_value(),
                                    }
                                },
                            }
                        )
                    ]
                }
            )
        },
    )


def test_karpenter_profile_gives_a_fargate_placement() -> None:
    _, fargate = profiles(karpenter_namespace="karpenter")
    placement = fargate.karpenter_placement()
    assert placement.on_fargate and placement.depends_on == [fargate.profiles["karpenter"]]
    _, without = profiles(profiles=[BATCH])
    with pytest.raises(ValueError, match=r"Platform/Fargate: karpenter_placement: no `karpenter`"):
        without.karpenter_placement()


def test_a_container_without_profiles_fails_synth() -> None:
    scope, _ = profiles()
    with pytest.raises(Exception, match="Platform/Fargate: FargateProfiles has no profile"):
        Template.from_stack(scope)


PROP = "Platform/Fargate: FargateProfilesProps.profiles[0]"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"profiles": [FargateProfileSpec(name="Batch", selectors=BATCH.selectors)]}, f"{PROP}.name: 'Batch'; use 1-63 lower-case"),
        ({"profiles": [FargateProfileSpec(name="batch", selectors=[])]}, f"{PROP}.selectors: 0; a Fargate profile has 1 to 5 selectors"),
        ({"profiles": [FargateProfileSpec(name="batch", selectors=[FargateSelectorSpec(namespace="a")] * 6)]}, f"{PROP}.selectors: 6;"),
        ({"profiles": [FargateProfileSpec(name="batch", selectors=[FargateSelectorSpec(namespace="Bad_NS")])]}, f"{PROP}.selectors[0].namespace: 'Bad_NS'"),
        ({"profiles": [FargateProfileSpec(name="coredns", selectors=BATCH.selectors)], "coredns": True}, "Platform/Fargate: FargateProfilesProps.profiles name (coredns and karpenter are the built-in profiles' names): 'coredns'; is used more than once"),
        ({"profiles": [BATCH], "cluster_name": Token.as_string({"Ref": "Name"})}, "Platform/Fargate: FargateProfilesProps.cluster_name: '${Token"),
    ],
)  # fmt: skip
def test_bad_props_name_the_construct_the_prop_and_the_value(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        profiles(**changes)


def test_add_profile_refuses_a_taken_name() -> None:
    _, fargate = profiles(profiles=[BATCH])
    with pytest.raises(
        ValueError,
        match=re.escape("Platform/Fargate: add_profile(FargateProfileSpec 'batch').name: 'batch'"),
    ):
        fargate.add_profile(BATCH)
