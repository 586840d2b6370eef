"""The review report as data: what `compare` finds and `render_markdown` prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ..template import LAYER_TYPE

Replacement = Literal["none", "replace", "may-replace", "unknown"]
"""`replace`: CloudFormation creates a new resource and deletes the old one. `may-replace`:
a conditionally create-only property changed. `unknown`: no schema for the type."""

Risk = Literal["replaced", "may be replaced", "deleted", "orphaned (retained)"]

#: Resources whose loss loses data, access or running workloads.
STATEFUL_TYPES: frozenset[str] = frozenset(
    {
        "AWS::EKS::Cluster",
        "AWS::EKS::Nodegroup",
        "AWS::EKS::FargateProfile",
        "AWS::KMS::Key",
        "AWS::Logs::LogGroup",
        "AWS::EC2::VPC",
        "AWS::EC2::Subnet",
        "AWS::ECR::Repository",
        "AWS::SQS::Queue",
        # A new profile does not trust what the old one signed: every image is re-signed.
        "AWS::Signer::SigningProfile",
        # The metrics a managed Prometheus workspace holds.
        "AWS::APS::Workspace",
        # Shared file storage: a replaced file system is a new, empty one.
        "AWS::EFS::FileSystem",
        "AWS::EFS::AccessPoint",
        "AWS::FSx::FileSystem",
        # A secondary CIDR holds the pod subnets of custom networking (and an IPv6 block the
        # addresses of every pod): removing it takes their addresses away.
        "AWS::EC2::VPCCidrBlock",
        # Self-managed nodes run workloads just as a managed node group does.
        "AWS::AutoScaling::AutoScalingGroup",
        # A Kubernetes layer's Delete removes every object its items applied (namespaces
        # with their workloads and volume claims), and a new logical id is a new layer that
        # re-applies them before the old one's Delete.
        LAYER_TYPE,
    }
)

#: Kubernetes kinds whose deletion loses data: a namespace takes everything in it, a
#: claim or volume its storage (with the usual ``Delete`` reclaim policy).
STATEFUL_KINDS: frozenset[str] = frozenset(
    {"Namespace", "PersistentVolumeClaim", "PersistentVolume"}
)

#: What deleting an object of a :data:`STATEFUL_KINDS` kind loses, for a risk's detail.
KIND_LOSS: dict[str, str] = {
    "Namespace": "Kubernetes deletes it with every workload, secret and volume claim in it",
    "PersistentVolumeClaim": (
        "Kubernetes deletes the claim, and with a Delete reclaim policy (the default of "
        "dynamically provisioned volumes) its volume and data"
    ),
    "PersistentVolume": (
        "Kubernetes deletes the volume object, and with a Delete reclaim policy the storage "
        "behind it"
    ),
}

#: DeletionPolicy values that leave the resource in the account when CloudFormation drops it.
RETAIN_POLICIES: frozenset[str] = frozenset({"Retain", "RetainExceptOnCreate"})

#: Risks that make `--fail-on-replace` fail. An orphaned (retained) resource is not lost.
BLOCKING_RISKS: frozenset[str] = frozenset({"replaced", "may be replaced", "deleted"})


@dataclass(frozen=True)
class PropertyChange:
    """One changed leaf of a resource's properties (or of its DeletionPolicy etc.)."""

    path: str
    """Dotted path, e.g. `ResourcesVpcConfig.PublicAccessCidrs` or `Tags[owner]`."""
    old: Any
    new: Any
    replacement: Replacement = "none"
    """Whether this path is create-only for the resource type."""


@dataclass
class ResourceChange:
    """A resource added, removed or modified in one stack."""

    logical_id: str
    action: Literal["add", "remove", "modify"]
    resource_type: str
    old_type: str | None = None
    properties: list[PropertyChange] = field(default_factory=list)
    replacement: Replacement = "none"
    reasons: list[str] = field(default_factory=list)
    """Why the resource is (or may be) replaced."""
    notes: list[str] = field(default_factory=list)
    deletion_policy: str | None = None
    """DeletionPolicy of the resource as it is deployed now (BASE), if any."""
    update_replace_policy: str | None = None
    item: str = ""
    """For one item of a Kubernetes layer: its id (the construct path below the stack);
    :attr:`logical_id` is then ``<layer's logical id>[<item id>]``, which is not in the
    template's ``Resources``."""

    @property
    def stateful(self) -> bool:
        return self.resource_type in STATEFUL_TYPES or (self.old_type or "") in STATEFUL_TYPES


@dataclass(frozen=True)
class StatefulRisk:
    """A stateful resource that this change replaces, deletes or orphans."""

    stage: str
    stack: str
    logical_id: str
    resource_type: str
    risk: Risk
    detail: str


@dataclass(frozen=True)
class SecurityChange:
    """A security-relevant change between BASE and HEAD (not a rule verdict: those are
    :class:`eks_blueprint.nag.Finding`)."""

    stage: str
    stack: str
    logical_id: str
    resource_type: str
    message: str
    flagged: bool
    """True for a widening (wildcard, open ingress, public endpoint...), False for a notice."""


@dataclass(frozen=True)
class KubernetesChange:
    """A Kubernetes object (manifest) or Helm release added, removed or modified."""

    logical_id: str
    what: str
    """`Deployment kube-system/coredns` or `helm release kube-system/karpenter`."""
    action: Literal["add", "remove", "modify"]
    details: tuple[str, ...] = ()


@dataclass
class StackDiff:
    """Everything that changes in one stack."""

    stage: str
    name: str
    status: Literal["added", "removed", "modified", "unchanged"]
    changes: list[ResourceChange] = field(default_factory=list)
    asset_changes: list[str] = field(default_factory=list)
    """Logical ids whose only change is an asset hash (new code or template, same settings)."""
    other_changes: list[str] = field(default_factory=list)
    """Outputs, parameters, conditions..., one line each."""
    kubernetes: list[KubernetesChange] = field(default_factory=list)
    deleted_with_resource: list[tuple[str, str, str]] = field(default_factory=list)
    """(logical id, object, kind) of objects a removed aws_eks_v2 manifest resource deletes
    although the stack still applies them elsewhere (its Delete runs last)."""

    @property
    def has_changes(self) -> bool:
        return self.status in ("added", "removed") or bool(
            self.changes or self.other_changes or self.kubernetes
        )


@dataclass(frozen=True)
class ApplicationChange:
    """An Argo CD Application of a GitOps tree (one ``applicationsets/<name>.yaml``)
    added, removed or modified (:mod:`eks_blueprint.review.gitops`)."""

    name: str
    """The Application's name (the ApplicationSet file's name)."""
    action: Literal["add", "remove", "modify"]
    kind: str
    """``chart`` (a Helm chart from its repository), ``manifest`` (a local chart of the
    tree holding objects) or ``application`` (anything else)."""
    item: str = ""
    """The item it renders (its ``eks-blueprint.io/item`` annotation: the construct path)."""
    layer: str = ""
    details: tuple[str, ...] = ()
    """What changed, one line each: source fields, values, objects added, removed, moved."""


@dataclass
class GitOpsDiff:
    """Everything that changes in one GitOps tree (e.g. ``gitops/dev``)."""

    tree: str
    status: Literal["added", "removed", "modified", "unchanged"]
    applications: list[ApplicationChange] = field(default_factory=list)
    other_changes: list[str] = field(default_factory=list)
    """Files of the tree that belong to no Application, added, removed or changed."""

    @property
    def has_changes(self) -> bool:
        return bool(self.applications or self.other_changes)


@dataclass(frozen=True)
class NagCount:
    """Findings of one pack at one severity: open (failing) and acknowledged."""

    open: int = 0
    acknowledged: int = 0


@dataclass
class Report:
    """The whole review of HEAD against BASE."""

    base: str
    head: str
    stacks: list[StackDiff]
    risks: list[StatefulRisk]
    security: list[SecurityChange]
    nag_base: dict[tuple[str, str], NagCount] | None
    nag_head: dict[tuple[str, str], NagCount] | None
    schemas_available: bool = True
    gitops: list[GitOpsDiff] = field(default_factory=list)
    """The GitOps trees of BASE and HEAD compared, tree by tree (when the review was given
    them): what Argo CD will sync differently."""

    @property
    def has_changes(self) -> bool:
        return any(s.has_changes for s in self.stacks) or any(
            g.has_changes for g in self.gitops
        )

    @property
    def asset_changes(self) -> list[tuple[StackDiff, str]]:
        return [(s, lid) for s in self.stacks for lid in s.asset_changes]

    @property
    def blocking_risks(self) -> list[StatefulRisk]:
        """Stateful resources replaced (or maybe replaced) or deleted: `--fail-on-replace`."""
        return [r for r in self.risks if r.risk in BLOCKING_RISKS]
