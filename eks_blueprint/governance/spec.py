"""What the cluster's policies are made from: one `PolicySet` per cluster (cdk-free).

The config translation (stacks/translate/governance.py) and library users build it; the
policy manifests (`policies.policy_manifests`), the offline evaluator and the `Governance`
construct all read it, so one value decides what is enforced and what is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

#: Enforce (refuse at admission) or audit (admit, report in PolicyReports and metrics).
Action = Literal["enforce", "audit"]
ACTIONS: Final[tuple[Action, ...]] = ("enforce", "audit")
#: What the API server does when Kyverno does not answer in time.
FailurePolicy = Literal["Fail", "Ignore"]

#: The label that marks a tenant namespace, with the tenant's name (as in tenancy.py).
TENANT_LABEL: Final = "eks-blueprint/tenant"
#: The cost-allocation label on every tenant namespace and pod: split cost allocation data
#: for EKS can import it as a cost allocation tag.
COST_LABEL: Final = "tenant"
#: Taint and node label of a tenant's dedicated capacity: key TENANT_LABEL, value the tenant.
DEDICATED_TAINT_EFFECT: Final = "NoSchedule"

#: Namespaces no policy matches, with the reason (README "Governance" lists them):
#: the control plane's and the add-ons', which must keep working when Kyverno is down or a
#: policy is wrong, and whose images and manifests come from pinned, reviewed charts.
SYSTEM_NAMESPACES: Final[dict[str, str]] = {
    "kube-system": "EKS add-ons and the control plane's own objects; they must start even "
    "when Kyverno is unavailable",
    "kube-public": "cluster-wide public data, no workloads",
    "kube-node-lease": "node heartbeats, no workloads",
    "kyverno": "Kyverno itself: its webhooks must never wait on themselves",
    "kyverno-notation-aws": "the signature verification service Kyverno calls",
    "karpenter": "the node autoscaler: capacity must come back even if a policy is wrong",
    "amazon-cloudwatch": "Container Insights and Application Signals agents (EKS add-on)",
    "cert-manager": "cert-manager (pinned chart); Kyverno's own certificates do not use it",
    "external-dns": "external-dns (pinned chart)",
    "amazon-guardduty": "GuardDuty's runtime agent (EKS add-on)",
}


def excluded_namespace_rows() -> list[str]:
    """docs/governance.md's table of the namespaces no policy matches, with the reason
    (generated from SYSTEM_NAMESPACES; tests/docs/test_docs_in_step.py compares them)."""
    rows = ["| namespace | why no policy matches it |", "|---|---|"]
    rows += [f"| `{name}` | {reason} |" for name, reason in SYSTEM_NAMESPACES.items()]
    return rows


@dataclass(frozen=True, kw_only=True)
class TenantRules:
    """What the policies do for one tenant namespace."""

    name: str
    """The tenant and its namespace."""
    pod_security: Literal["restricted", "baseline"] = "restricted"
    """The Pod Security Standard enforced there (restricted is audited where baseline)."""
    priority_class: str | None = None
    """PriorityClass its pods get when they name none; None: the cluster default."""
    allowed_priority_classes: tuple[str, ...] = ()
    """PriorityClasses its pods may name besides `priority_class`: the classes of lower
    tiers. Any other (a higher tier's, a platform class) is refused, so a tenant cannot buy
    itself precedence over other tenants."""
    dedicated: bool = False
    """Its pods get the toleration and required node affinity of its dedicated capacity
    (taint and label TENANT_LABEL=<name>)."""


@dataclass(frozen=True, kw_only=True)
class PolicySet:
    """The cluster's policies: which apply, enforced or audited, and their parameters."""

    action: Action = "enforce"
    """The project's workload policies (requests and limits, readiness probes, PDBs,
    allowed registries, no NodePort for tenants): enforce or audit."""
    latest_tag: Action = "enforce"
    """Images tagged `:latest` or untagged: refused (enforce, production) or audited."""
    allowed_registries: tuple[str, ...] = ()
    """Image reference prefixes accepted outside the system namespaces: the environment's
    ECR repositories and the config's allow-list, e.g.
    `333333333333.dkr.ecr.eu-west-1.amazonaws.com/shop/api` or `public.ecr.aws/nginx/`.
    A prefix matches the image's string from its start; end it with `/` or name a whole
    repository so `repo` does not also admit `repo-evil`. Empty: the policy is left out."""
    excluded_namespaces: tuple[str, ...] = tuple(SYSTEM_NAMESPACES)
    """Namespaces no policy matches."""
    tenants: tuple[TenantRules, ...] = ()
    """The tenant namespaces."""
    failure_policy: FailurePolicy = "Fail"
    """What the API server does when Kyverno does not answer (Fail refuses the request)."""
    timeout_seconds: int = 10
    """Webhook timeout of each policy, 1 to 30 seconds."""


@dataclass(frozen=True, kw_only=True)
class ImageVerification:
    """Signature verification of the environment's own images (AWS Signer, Notation)."""

    action: Action
    """enforce: an image of `repositories` without a valid signature is refused; audit:
    admitted, and the failure reported."""
    repositories: tuple[str, ...]
    """Repository URIs whose images must be signed
    (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`)."""
    repository_arns: tuple[str, ...]
    """Their ARNs, for the verifier's read-only ECR access."""
    signing_profile_arn: str
    """The AWS Signer profile whose signatures are trusted (no other profile's)."""
    region: str | None = None
    """The region of the signing profile, where revocation is checked (AWS Signer
    GetRevocationStatus). Default: the stack's region."""
