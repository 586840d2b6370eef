"""The preflight check `identity-center`: the IAM Identity Center instance Argo CD signs users
in with exists, where the file says.

AWS::EKS::Capability ARGOCD fails to create (after CloudFormation has built the cluster) when
its Identity Center instance is not there or not visible to the account: sso-admin
ListInstances lists "the organization and account instances of IAM Identity Center that were
created in or visible to the account calling this API", so the row passes exactly when the
configured ARN is among them, in `capabilities.argocd.identity_center_region` (default: the
environment's region).
"""

from __future__ import annotations

from typing import Any

from ..checkrun import Run, naming_actions, paginate
from .context import Context

#: The row of the report.
ROW = "Identity Center instance"


def check_identity_center(run: Run, ctx: Context) -> None:
    """11. The Identity Center instance of `capabilities.argocd` exists and is visible to the
    account (sso-admin ListInstances in its region); SKIP without Argo CD."""
    argocd = ctx.cfg.capabilities.argocd
    if argocd is None:
        run.skip(ROW, "no capabilities.argocd")
        return
    region = argocd.identity_center_region or ctx.cfg.region
    client: Any = naming_actions(ctx.session.client("sso-admin", region_name=region))
    instances = paginate(client, "list_instances", "Instances")
    arns = [str(i.get("InstanceArn")) for i in instances]
    wanted = argocd.identity_center_instance_arn
    expected = f"{wanted} in {region}"
    if wanted in arns:
        run.add(ROW, expected, "found", True)
    elif arns:
        run.add(
            ROW, expected,
            f"not found; {region} has {', '.join(arns)}: set "
            "capabilities.argocd.identity_center_instance_arn (and identity_center_region)",
            False,
        )
    else:
        run.add(
            ROW, expected,
            f"no instance in {region} is visible to the account: enable IAM Identity Center "
            "(or set identity_center_region to the region of your organization's instance)",
            False,
        )
