"""SpotServiceLinkedRole: the EC2 Spot service-linked role, retained on delete."""

from __future__ import annotations

from aws_cdk.assertions import Template

from eks_blueprint.service_roles import SPOT_SERVICE, SpotServiceLinkedRole

from .clusters import stack


def test_the_role_is_for_spot_and_always_retained() -> None:
    scope = stack()
    SpotServiceLinkedRole(scope, "Spot")
    template = Template.from_stack(scope)
    template.has_resource(
        "AWS::IAM::ServiceLinkedRole",
        {
            "Properties": {"AWSServiceName": SPOT_SERVICE},
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )
    assert SPOT_SERVICE == "spot.amazonaws.com"
