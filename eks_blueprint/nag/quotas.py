"""Service quotas an AWS account can raise, as settings of the deployability rules (EKSDEP*).

Fixed limits (a managed policy's 6,144 characters, CloudFormation's 500 resources...) are
constants next to the rules in :mod:`eks_blueprint.nag.limits`. The quotas below are only the
*default* an account starts with: an account that had one raised says so, once, with
``Quotas(trust_policy_length=4096)`` (the cdk-nag pack's ``quotas=``) or
``--quota trust-policy-length=4096`` (the command line). Each field cites its AWS page.

Pure Python (no ``aws_cdk``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

IAM_QUOTAS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"
VPC_QUOTAS = "https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html"
EKS_QUOTAS = "https://docs.aws.amazon.com/general/latest/gr/eks.html"


@dataclass(frozen=True)
class Quotas:
    """Adjustable service quotas, at their AWS defaults. Override the ones your account raised.

    Field names are the command line's ``--quota`` keys with ``_`` for ``-``.
    """

    #: IAM "Role trust policy length": 2,048 characters, adjustable (IAM and AWS STS quotas,
    #: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
    trust_policy_length: int = 2048
    #: IAM "Managed policies attached to an IAM role": 10, adjustable (IAM and AWS STS quotas).
    managed_policies_per_role: int = 10
    #: IAM "Managed policies attached to an IAM user": 10, adjustable (IAM and AWS STS quotas).
    managed_policies_per_user: int = 10
    #: IAM "Managed policies attached to an IAM group": 10, not adjustable (IAM and AWS STS
    #: quotas); a field like the others so that the three identity kinds read alike.
    managed_policies_per_group: int = 10
    #: Amazon VPC "Inbound or outbound rules per security group": 60 inbound, enforced
    #: separately for IPv4 and IPv6 rules, adjustable (Amazon VPC quotas,
    #: https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html).
    security_group_inbound_rules: int = 60
    #: The same quota for outbound rules: 60 (Amazon VPC quotas).
    security_group_outbound_rules: int = 60
    #: Amazon EKS "Fargate profiles per cluster": 10, adjustable (Amazon EKS endpoints and
    #: quotas, AWS General Reference: https://docs.aws.amazon.com/general/latest/gr/eks.html).
    fargate_profiles_per_cluster: int = 10
    #: Amazon EKS "Selectors per Fargate profile": 5, adjustable (Amazon EKS endpoints and quotas).
    selectors_per_fargate_profile: int = 5
    #: Amazon EKS "Label pairs per Fargate profile selector": 5 (Amazon EKS endpoints and quotas).
    labels_per_fargate_selector: int = 5
    #: Amazon EKS "Managed node groups per cluster": 30, adjustable (Amazon EKS endpoints and
    #: quotas).
    node_groups_per_cluster: int = 30
    #: Amazon EKS "Nodes per managed node group": 450, adjustable (Amazon EKS endpoints and quotas).
    nodes_per_node_group: int = 450

    @classmethod
    def keys(cls) -> list[str]:
        """The command line's names of the quotas (``trust-policy-length``...)."""
        return [f.name.replace("_", "-") for f in dataclasses.fields(cls)]

    def with_overrides(self, overrides: Iterable[str]) -> Quotas:
        """A copy with ``key=value`` overrides (command-line spelling) applied.

        Raises ValueError naming the bad entry and what is allowed, so the command line can
        print it as one line.
        """
        changes: dict[str, int] = {}
        for entry in overrides:
            key, sep, raw = entry.partition("=")
            key = key.strip()
            if not sep:
                raise ValueError(f"--quota {entry!r}: write it as NAME=NUMBER, e.g. "
                                 "trust-policy-length=4096")
            if key not in self.keys():
                raise ValueError(f"--quota {entry!r}: unknown quota {key!r}; known quotas: "
                                 f"{', '.join(self.keys())}")
            try:
                value = int(raw.strip())
            except ValueError:
                raise ValueError(f"--quota {entry!r}: {raw.strip()!r} is not a whole number") \
                    from None
            if value < 1:
                raise ValueError(f"--quota {entry!r}: a quota is at least 1")
            changes[key.replace("-", "_")] = value
        return dataclasses.replace(self, **changes)


#: The quotas of an account that raised none.
DEFAULT_QUOTAS = Quotas()
