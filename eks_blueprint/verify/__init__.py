"""`eks-blueprint-verify --env NAME`: does the deployed environment match its config?

Read-only boto3 calls (EKS, EC2, GuardDuty, STS) compare the live cluster with the
environment file and with the security baseline (`eks_blueprint/baseline.py`): cluster
status, version, all five log types, KMS secrets encryption, endpoint access and CIDRs,
authentication mode API; access entries and their access policies;
node groups' status, AMI type, capacity type, scaling bounds and IMDSv2 launch templates;
Fargate profiles; add-on versions; GuardDuty EKS audit-log and runtime monitoring; free IPs
in the subnets against the planned capacity. It never imports aws_cdk and never changes anything.

* :mod:`.expectations`: what the environment file expects (pure);
* :mod:`.facts`: the read-only clients and what the checks read from AWS;
* :mod:`.checks`: the table of checks, CHECKS, and run_checks;
* :mod:`.cli`: the command; the report and exit codes are eks_blueprint.checkrun's.

Exit codes: 0 every check passed; 1 a check failed; 2 usage, configuration or credential
error (one line on stderr, no traceback), boto3 not installed included (it comes with
`pip install 'eks-blueprint[tools]'`). A read the role may not make is not a credential
error: the row that needed it fails, naming the missing permission, and the run goes on.
"""

from __future__ import annotations

from ..baseline import NODE_GROUP_LABEL
from ..checkrun import (
    AUTH_ERRORS,
    EXIT_FAIL,
    EXIT_PASS,
    EXIT_USAGE,
    CheckResult,
    CredentialError,
    Status,
    account_matches,
    render_table,
)
from .checks import CHECKS, CONTROL_PLANE_FREE_IPS, Check, planned_ips_per_node, run_checks
from .cli import main
from .expectations import (
    COREDNS_LABELS,
    GUARDDUTY_AGENT_ADDON,
    KARPENTER_LABELS,
    AccessExpectation,
    Expectations,
    FargateProfileExpectation,
    NodeGroupExpectation,
    Selector,
    expectations_from_config,
    selector_key,
)
from .facts import Clients, Facts

#: The public names, including those of eks_blueprint.checkrun and eks_blueprint.baseline
#: that have always been importable from here.
__all__ = [
    "AUTH_ERRORS",
    "CHECKS",
    "CONTROL_PLANE_FREE_IPS",
    "COREDNS_LABELS",
    "EXIT_FAIL",
    "EXIT_PASS",
    "EXIT_USAGE",
    "GUARDDUTY_AGENT_ADDON",
    "KARPENTER_LABELS",
    "NODE_GROUP_LABEL",
    "AccessExpectation",
    "Check",
    "CheckResult",
    "Clients",
    "CredentialError",
    "Expectations",
    "Facts",
    "FargateProfileExpectation",
    "NodeGroupExpectation",
    "Selector",
    "Status",
    "account_matches",
    "expectations_from_config",
    "main",
    "planned_ips_per_node",
    "render_table",
    "run_checks",
    "selector_key",
]
