"""`delivery:`: how the cluster's in-cluster objects (Helm charts and manifests) get there."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import field_validator, model_validator

from ..gitops.target import DNS_LABEL, GIT_REPOSITORY, TREE_PATH
from .base import FieldError, StrictModel

if TYPE_CHECKING:
    from .environment import EnvironmentConfig



class DeliveryConfig(StrictModel):
    """How Helm charts and manifests reach the cluster.

    `kubectl` (the default): CloudFormation applies them through the cluster's Kubernetes
    layers (at most four custom resources). `gitops`: they are rendered into `path` of
    `repository` (`make gitops`, committed), and the EKS Argo CD capability
    (`capabilities.argocd`) syncs them continuously; CloudFormation applies only the
    bootstrap (one custom resource): the project, the cluster registration and the root
    Application.
    """

    mode: Literal["kubectl", "gitops"] = "kubectl"
    """`kubectl` or `gitops`. Default: kubectl."""
    repository: str | None = None
    """GitOps: the Git URL Argo CD clones (https://..., git@host:owner/repo.git); this
    repository. Required with `mode: gitops`. Private repositories need Argo CD repository
    credentials (docs/gitops.md)."""
    revision: str = "main"
    """GitOps: the branch, tag or commit Argo CD follows. Default: main."""
    path: str | None = None
    """GitOps: the tree's directory in the repository. Default: `gitops/<name>`."""
    project: str = "platform"
    """GitOps: the Argo CD AppProject of the platform's Applications. Default: platform."""

    @field_validator("repository")
    @classmethod
    def _repository(cls, value: str | None) -> str | None:
        if value is not None and not GIT_REPOSITORY.match(value):
            raise ValueError(
                "give the Git URL Argo CD clones: https://host/owner/repo.git or "
                "git@host:owner/repo.git"
            )
        return value

    @field_validator("path")
    @classmethod
    def _path(cls, value: str | None) -> str | None:
        if value is not None and (not TREE_PATH.match(value) or ".." in value.split("/")):
            raise ValueError("give a relative directory in the repository, e.g. gitops/dev")
        return value

    @field_validator("revision")
    @classmethod
    def _revision(cls, value: str) -> str:
        if not value or any(c.isspace() for c in value):
            raise ValueError("give a branch, tag or commit without spaces")
        return value

    @field_validator("project")
    @classmethod
    def _project(cls, value: str) -> str:
        if not DNS_LABEL.match(value):
            raise ValueError("use a DNS label: a-z, 0-9 and -, at most 63 characters")
        return value

    @model_validator(mode="after")
    def _gitops_fields(self) -> DeliveryConfig:
        if self.mode == "gitops" and self.repository is None:
            raise FieldError(
                "repository",
                "mode gitops needs the Git repository Argo CD reads: set delivery.repository",
            )
        if self.mode == "kubectl":
            set_fields = [
                name for name in ("repository", "path") if getattr(self, name) is not None
            ]
            if set_fields:
                raise FieldError(
                    set_fields[0],
                    "only used with mode: gitops; remove it or set delivery.mode: gitops",
                )
        return self

    @property
    def gitops(self) -> bool:
        """Whether the objects are delivered through Argo CD."""
        return self.mode == "gitops"

    def tree_path(self, environment: str) -> str:
        """The tree's directory: `path`, or `gitops/<environment>`."""
        return self.path or f"gitops/{environment}"


def check_delivery(config: EnvironmentConfig) -> None:
    """GitOps mode's needs, each a FieldError with the fix: the Argo CD capability that syncs
    the tree, managed node groups (CloudFormation's add-ons and Argo CD's first Applications
    need nodes before Argo CD syncs Karpenter), and no image verification (its region is a
    patch of a chart's ConfigMap, which two Applications cannot share)."""
    if not config.delivery.gitops:
        return
    if config.capabilities.argocd is None:
        raise FieldError(
            "delivery.mode",
            "gitops needs Argo CD to sync the tree: add capabilities.argocd, or use mode "
            "kubectl",
        )
    if not config.compute.node_groups:
        raise FieldError(
            "delivery.mode",
            "gitops needs at least one managed node group (compute.node_groups): the add-ons "
            "and Argo CD's first Applications (Karpenter among them) need nodes before Argo "
            "CD can sync anything else",
        )
    from ..governance.environment import verifies_images

    if verifies_images(config):
        raise FieldError(
            "governance.image_verification",
            "image verification patches the verifier chart's ConfigMap, which GitOps "
            "delivery cannot share between two Applications: set governance."
            "image_verification: off, or use delivery.mode: kubectl",
        )


__all__ = ["DeliveryConfig", "check_delivery"]
