"""`eks-blueprint-preflight --env NAME`: can this account and region take the environment?

Run before the first `cdk deploy`. Read-only boto3 calls (STS, EC2, SSM, CloudFormation, EKS,
IAM, GuardDuty, Service Quotas, Inspector) check what would otherwise fail half-way through a
deployment: the account, the availability zones, the CDK bootstrap version the synthesised
assembly needs, every pinned add-on version, the EC2 Spot service-linked role, the GuardDuty
detector, every IAM principal the file names, the pinned AMI releases, and the service
quotas the environment uses up; with self-managed node groups, that Amazon Inspector scans
the account's EC2 instances (inspector2:BatchGetAccountStatus). It never imports aws_cdk and
never changes anything.

The checks are the data in CHECKS (checks.py), one small function each, run in that order;
each adds one or more rows to the report. The AMI and quota checks have their own modules
(amis.py, quotas.py); assembly.py reads `cdk.out`, context.py holds one run's clients and
shared reads, cli.py the command. Output, options and exit codes are those of `verify`
(eks_blueprint.checkrun): 0 every check passed; 1 a check failed; 2 usage, configuration
or credential error (one line on stderr, no traceback). A read the role may not make is not
a credential error: its check fails naming the missing permission, or uses its fallback and
says so (a quota's documented default, the bootstrap stack's output), and the run goes on.
Without boto3 (the `tools` extra) the command stops with exit code 2 and one line naming
`pip install 'eks-blueprint[tools]'`.
"""

from __future__ import annotations

from .amis import SSM_ARCH, SSM_BATCH, ami_parameter, check_amis, planned_amis
from .assembly import BOOTSTRAP_VERSION_PARAMETER, Assembly, AssemblyError, read_assembly
from .checks import (
    CHECKS,
    PRINCIPAL_ARN,
    SPOT_ROLE,
    TOOLKIT_STACK,
    Check,
    check_account,
    check_addon_versions,
    check_availability_zones,
    check_bootstrap,
    check_guardduty,
    check_principals,
    check_spot_role,
    configured_principals,
    run_checks,
)
from .cli import PROG, main
from .context import STACK_KINDS, Context
from .quotas import QUOTAS, Quota, check_quotas, quota_value

__all__ = [
    "BOOTSTRAP_VERSION_PARAMETER",
    "CHECKS",
    "PRINCIPAL_ARN",
    "PROG",
    "QUOTAS",
    "SPOT_ROLE",
    "SSM_ARCH",
    "SSM_BATCH",
    "STACK_KINDS",
    "TOOLKIT_STACK",
    "Assembly",
    "AssemblyError",
    "Check",
    "Context",
    "Quota",
    "ami_parameter",
    "check_account",
    "check_addon_versions",
    "check_amis",
    "check_availability_zones",
    "check_bootstrap",
    "check_guardduty",
    "check_principals",
    "check_quotas",
    "check_spot_role",
    "configured_principals",
    "main",
    "planned_amis",
    "quota_value",
    "read_assembly",
    "run_checks",
]
