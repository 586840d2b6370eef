"""EKS best-practice rules on managed add-ons (EKSBP18-EKSBP19): pinned versions, and a role
of its own for the vpc-cni add-on.
"""

from __future__ import annotations

from ...template import ResourceRef, as_list, dig
from ..catalog import BEST_PRACTICE
from ..common import ADDON
from ..model import Level as L
from ..model import Verdict


@BEST_PRACTICE.rule(
    "EKSBP18", L.WARNING, ADDON,
    "The EKS add-on does not pin AddonVersion.",
    "Without a version the add-on gets whatever EKS defaults to at creation, and the "
    "template does not show upgrades. Fix: set AddonVersion.")
def addon_version_pinned(res: ResourceRef) -> Verdict:
    """EKSBP18: managed add-ons pin ``AddonVersion``."""
    if res.properties.get("AddonVersion"):
        return Verdict.ok()
    name = res.view.render(res.properties.get("AddonName"))
    return Verdict.fail(f"add-on {name} has no AddonVersion: EKS installs its default version")


@BEST_PRACTICE.rule(
    "EKSBP19", L.ERROR, ADDON,
    "The vpc-cni add-on has no role of its own.",
    "The CNI then uses the node role, so AmazonEKS_CNI_Policy must stay on every node. "
    "Fix: ServiceAccountRoleArn (IRSA) or PodIdentityAssociations for aws-node.")
def vpc_cni_own_role(res: ResourceRef) -> Verdict:
    """EKSBP19: the ``vpc-cni`` add-on has a role of its own (IRSA or Pod Identity)."""
    if res.view.render(res.properties.get("AddonName")) != "vpc-cni":
        return Verdict.na("not the vpc-cni add-on")
    if res.properties.get("ServiceAccountRoleArn"):
        return Verdict.ok("IRSA role")
    associations = as_list(res.properties.get("PodIdentityAssociations"))
    if any(dig(a, "RoleArn") for a in associations):
        return Verdict.ok("Pod Identity association")
    return Verdict.fail("vpc-cni has no ServiceAccountRoleArn or PodIdentityAssociations: it "
                        "runs with the node role")
