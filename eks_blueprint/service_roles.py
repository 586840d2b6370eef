"""Account preconditions that a stack can create: the EC2 Spot service-linked role.

Spot instances need `AWSServiceRoleForEC2Spot` in the account. EC2 creates it on first use
only when the caller may call iam:CreateServiceLinkedRole for spot.amazonaws.com. A Spot
managed node group launches through EC2 Auto Scaling, whose own service-linked role may
(AutoScalingServiceRolePolicy); Karpenter calls CreateFleet with its controller role, which
this project's least-privilege policy (like Karpenter's reference policy) does not let
create roles, so in a fresh account its Spot launches fail with
ServiceLinkedRoleCreationNotPermitted (Karpenter troubleshooting guide). The role is one per
account (IAM is global): exactly one stack in the account creates it, every other
environment declares that it exists, and `eks-blueprint-preflight` checks which case holds
(CloudFormation fails to create a service-linked role that already exists).
"""

from __future__ import annotations

from aws_cdk import CfnDeletionPolicy
from aws_cdk import aws_iam as iam
from constructs import Construct

#: The service a Spot service-linked role is for, and the role IAM names after it.
SPOT_SERVICE = "spot.amazonaws.com"
SPOT_ROLE_NAME = "AWSServiceRoleForEC2Spot"


class SpotServiceLinkedRole(Construct):
    """`AWSServiceRoleForEC2Spot`, created once per account and always retained.

    Retained on delete: other environments of the account may run Spot capacity through it,
    and IAM refuses to delete it while Spot requests use it. Create it in exactly one stack
    per account; where it already exists, do not use this construct (creation would fail).
    """

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        self.role = iam.CfnServiceLinkedRole(
            self,
            "Role",
            aws_service_name=SPOT_SERVICE,
            description="Lets EC2 launch and manage Spot Instances for this account",
        )
        self.role.cfn_options.deletion_policy = CfnDeletionPolicy.RETAIN
        self.role.cfn_options.update_replace_policy = CfnDeletionPolicy.RETAIN
