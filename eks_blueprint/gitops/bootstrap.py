"""The bootstrap of a GitOps delivery: what CloudFormation still applies, once.

One manifest item in the cluster's only layer, after the Argo CD capability (which installs
the Application, ApplicationSet and AppProject kinds) and the access policy that lets
Argo CD deploy:

- the AppProject of the platform's Applications: the tree's repository and the charts'
  repositories as sources, this cluster as the destination, Applications only from the
  capability's namespace (the EKS capability requires ``sourceNamespaces``);
- the cluster registration Secret (``server``: the cluster's ARN, as the capability requires;
  ``kubernetes.default.svc`` is not supported), labelled with the environment so the tree's
  ApplicationSets select it, and annotated with every value only CloudFormation knows
  (:mod:`eks_blueprint.gitops.render`);
- the root Application, which syncs the tree's ApplicationSets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_cdk import Lazy, Token

from .render import APPLICATION_SETS, RETRY, render
from .target import CLUSTER_LABEL, GitOpsTarget

if TYPE_CHECKING:
    from ..kubernetes.delivery import Applied, KubernetesDelivery


def root_application_name(target: GitOpsTarget) -> str:
    """The root Application's name: ``<environment>-root``."""
    return f"{target.name}-root"


def bootstrap_objects(delivery: KubernetesDelivery, target: GitOpsTarget) -> list[dict[str, Any]]:
    """The three objects (module docstring); what depends on the rendered tree (annotations,
    chart repositories) is produced when the template is written."""
    from ..kubernetes.delivery import _Produce

    cluster_arn = delivery.cluster.cluster_arn

    def annotations() -> dict[str, Any]:
        # Each value is CloudFormation's expression (Ref, GetAtt, Join): as a token, so
        # that the template resolves it inside the manifest's JSON text.
        # The construct's own token where known (Rendered.tokens): another stack's value
        # becomes an import.
        rendered = render(delivery)
        values = rendered.values
        return {
            key: Token.as_string(rendered.tokens.get(key, values[key])) for key in sorted(values)
        }

    def source_repositories() -> list[str]:
        return [target.repository, *render(delivery).chart_repositories]

    return [
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AppProject",
            "metadata": {"name": target.project, "namespace": target.namespace},
            "spec": {
                "description": f"The {target.name} platform, rendered by eks_blueprint",
                "sourceRepos": Lazy.list(_Produce(source_repositories)),
                "sourceNamespaces": [target.namespace],
                "destinations": [
                    {"name": target.cluster_secret, "namespace": "*"},
                    {"server": cluster_arn, "namespace": "*"},
                ],
                "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": target.cluster_secret,
                "namespace": target.namespace,
                "labels": {
                    "argocd.argoproj.io/secret-type": "cluster",
                    CLUSTER_LABEL: target.name,
                },
                "annotations": Lazy.any(_Produce(annotations)),
            },
            "type": "Opaque",
            "stringData": {
                "name": target.cluster_secret,
                "server": cluster_arn,
                "project": target.project,
            },
        },
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": root_application_name(target), "namespace": target.namespace},
            "spec": {
                "project": target.project,
                "source": {
                    "repoURL": target.repository,
                    "targetRevision": target.revision,
                    "path": f"{target.path}/{APPLICATION_SETS}",
                },
                "destination": {"name": target.cluster_secret, "namespace": target.namespace},
                "syncPolicy": {
                    "automated": {"prune": True, "selfHeal": True},
                    "retry": RETRY,
                },
            },
        },
    ]


def add_bootstrap(delivery: KubernetesDelivery, target: GitOpsTarget) -> Applied:
    """The bootstrap item (construct ``GitOps`` of the delivery), in its one layer."""
    from ..kubernetes.delivery import Layer, apply_manifest

    return apply_manifest(
        delivery,
        "GitOps",
        delivery.cluster,
        bootstrap_objects(delivery, target),
        layer=Layer.FOUNDATION,
        overwrite=True,
        _bootstrap=True,
    )
