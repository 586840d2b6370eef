"""GitOps delivery: a cluster's charts and manifests rendered into a repository tree that
the EKS Argo CD capability syncs (:mod:`eks_blueprint.gitops.render`), with one bootstrap
item applied through the cluster's Kubernetes layer (:mod:`eks_blueprint.gitops.bootstrap`).

Turn it on with ``ControlPlaneProps(gitops=GitOpsTarget(...))`` (or ``KubernetesDelivery(...,
gitops=...)``), make the bootstrap need the Argo CD capability
(``eks_blueprint.kubernetes.needs(control_plane.kubernetes.bootstrap, argocd)``), and write
the tree with :func:`write_tree` (``make gitops`` in this repository).
"""

from __future__ import annotations

from .target import CLUSTER_LABEL, VALUE_ANNOTATION, GitOpsTarget

__all__ = ["CLUSTER_LABEL", "VALUE_ANNOTATION", "GitOpsTarget", "gitops_deliveries", "trees",
           "write_tree"]


def gitops_deliveries(scope: object) -> list[object]:
    """Every GitOps delivery in the app of `scope` (any construct), in creation order."""
    from ..kubernetes.delivery import _REGISTRY

    root = scope.node.root  # type: ignore[attr-defined]
    registry = getattr(root, _REGISTRY, None) or {}
    return [d for d in registry.values() if d.gitops is not None]


def trees(scope: object) -> dict[str, dict[str, str]]:
    """Tree directory (the target's path) -> its files (path in the repository -> text),
    for every GitOps delivery of the app of `scope`."""
    from .render import tree_of

    result: dict[str, dict[str, str]] = {}
    for delivery in gitops_deliveries(scope):
        path = delivery.gitops.path  # type: ignore[attr-defined]
        if path in result:
            raise ValueError(
                f"two GitOps deliveries write {path}: give each cluster its own gitops path"
            )
        result[path] = tree_of(delivery)  # type: ignore[arg-type]
    return result


def write_tree(root: object, files: dict[str, str], directory: str) -> list[str]:
    """Write `files` (paths relative to `root`, a pathlib.Path) and delete every other file
    under `directory`, so the tree is exactly what was rendered; returns the paths written."""
    from pathlib import Path

    base = Path(str(root))
    target = base / directory
    keep = {base / path for path in files}
    if target.exists():
        for existing in sorted(target.rglob("*"), reverse=True):
            if existing.is_file() and existing not in keep:
                existing.unlink()
            elif existing.is_dir() and not any(existing.iterdir()):
                existing.rmdir()
    for path, text in sorted(files.items()):
        out = base / path
        out.parent.mkdir(parents=True, exist_ok=True)
        if not out.exists() or out.read_text(encoding="utf-8") != text:
            out.write_text(text, encoding="utf-8")
    return sorted(files)
