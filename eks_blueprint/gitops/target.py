"""Where a GitOps-delivered cluster's objects live: the repository tree Argo CD reads.

Plain data (no aws_cdk): the config, the delivery and the renderer share it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..validate_names import PropError

#: A Kubernetes object name (DNS-1123 label): the project, namespace and cluster Secret.
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
#: A repository path: relative, forward slashes, no `..`, no leading or trailing slash.
TREE_PATH = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")
#: What Argo CD clones: an https Git URL (CodeConnections URLs are https too) or ssh.
GIT_REPOSITORY = re.compile(r"^(https://[^\s]+|git@[^\s:]+:[^\s]+|ssh://[^\s]+)$")

#: Label on the cluster registration Secret: the ApplicationSets of the tree select the
#: cluster by it (the environment's name), so the tree never names an ARN.
CLUSTER_LABEL = "eks-blueprint.io/gitops"
#: Prefix of the annotations on that Secret that carry values only CloudFormation knows.
VALUE_ANNOTATION = "values.eks-blueprint.io/"


@dataclass(frozen=True)
class GitOpsTarget:
    """A GitOps delivery: the cluster's charts and manifests are rendered into `path` of
    `repository` (``make gitops``; committed) and Argo CD (the EKS capability) syncs them;
    only the bootstrap (the project, the cluster registration and the root Application) is
    applied through the cluster's one Kubernetes layer."""

    name: str
    """The environment's name: labels the cluster registration, names the tree."""
    repository: str
    """The Git repository Argo CD reads (https or ssh URL)."""
    path: str
    """The tree's directory in the repository, e.g. ``gitops/dev``."""
    revision: str = "main"
    """The branch, tag or commit Argo CD follows."""
    namespace: str = "argocd"
    """The Argo CD capability's namespace: Applications and ApplicationSets live there."""
    project: str = "platform"
    """The AppProject of the platform's Applications (and the cluster registration)."""
    cluster_secret: str = "in-cluster"
    """The name the cluster is registered under (Applications' ``destination.name``)."""

    def check(self, where: str) -> None:
        """Raise PropError naming `where` and the field for a value Argo CD would refuse."""
        if not DNS_LABEL.match(self.name):
            raise PropError(where, "gitops.name", self.name, "use a DNS label (a-z, 0-9, -)")
        if not GIT_REPOSITORY.match(self.repository):
            raise PropError(
                where, "gitops.repository", self.repository,
                "give the Git URL Argo CD clones: https://... or git@host:owner/repo.git",
            )
        if not TREE_PATH.match(self.path) or ".." in self.path.split("/"):
            raise PropError(
                where, "gitops.path", self.path,
                "give a relative directory in the repository, e.g. gitops/dev",
            )
        if not self.revision or any(c.isspace() for c in self.revision):
            raise PropError(where, "gitops.revision", self.revision, "give a branch, tag or SHA")
        for field in ("namespace", "project", "cluster_secret"):
            value = getattr(self, field)
            if not DNS_LABEL.match(value):
                raise PropError(
                    where, f"gitops.{field}", value, "use a DNS label (a-z, 0-9, -; ≤ 63)"
                )
