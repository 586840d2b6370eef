"""Compliance gates: the cdk-nag packs every stage is checked against, and acknowledgements.

cdk-nag 3.x packs are policy-validation plugins: registered once on the app, they run at
synth and fail it (`ValidationFailed`, plus validation-report.json) on any unacknowledged
error. An acknowledgement sits next to the resource it is about, with a reason a reviewer
can check; `acknowledge` is the one way this project writes them.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from cdk_nag import AwsSolutionsChecks, NagPack, NIST80053R5Checks
from constructs import IConstruct


def compliance_packs(scope: IConstruct) -> list[NagPack]:
    """The packs this project gates on: AWS Solutions, NIST 800-53 rev 5, and this
    project's EKS best-practice pack (cdk-nag's own EKS rules never fire on aws_eks_v2)."""
    from .nag import EksBestPracticesChecks

    return [AwsSolutionsChecks(scope), NIST80053R5Checks(scope), EksBestPracticesChecks(scope)]


def add_compliance_packs(scope: IConstruct) -> None:
    """Register the packs on `scope` (the app, or a stage) so that synth enforces them."""
    Validations.of(scope).add_plugins(*compliance_packs(scope))


def acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one finding (rule id, granular ids included) on `construct` and below."""
    if len(reason) < 20:
        raise ValueError(f"acknowledgement of {rule_id} needs a reason a reviewer can check")
    Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=reason))
