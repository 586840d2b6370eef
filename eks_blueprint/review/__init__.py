"""Change safety: review what a change to the app does, from two synthesised assemblies.

Teams review `cdk synth` output in pull requests, but a raw template diff hides what matters
most: that a one-line config change destroys and re-creates a production cluster. This
package compares BASE and HEAD cloud assemblies offline (pure JSON, no aws_cdk, no AWS
account) and reports, per stage and stack, resources added, removed and modified, which
properties changed and whether CloudFormation will replace the resource (from the
`createOnlyProperties` of the registry schemas cfn-lint ships), stateful resources at risk,
security-relevant changes, Kubernetes manifest and Helm changes, and cdk-nag summaries;
given both sides' GitOps trees, the Argo CD Applications added, removed and changed
(:mod:`.gitops`).

    python -m eks_blueprint.review BASE HEAD [--output FILE] [--fail-on-replace]
        [--base-gitops DIR --head-gitops DIR]
"""

from ..template import Assembly, AssemblyError, StackTemplate, load_assembly
from .cli import main
from .diff import compare
from .gitops import compare_trees
from .model import (
    STATEFUL_TYPES,
    ApplicationChange,
    GitOpsDiff,
    KubernetesChange,
    PropertyChange,
    Report,
    ResourceChange,
    SecurityChange,
    StackDiff,
    StatefulRisk,
)
from .render import render_markdown

__all__ = [
    "STATEFUL_TYPES",
    "ApplicationChange",
    "Assembly",
    "AssemblyError",
    "GitOpsDiff",
    "KubernetesChange",
    "PropertyChange",
    "Report",
    "ResourceChange",
    "SecurityChange",
    "StackDiff",
    "StackTemplate",
    "StatefulRisk",
    "compare",
    "compare_trees",
    "load_assembly",
    "main",
    "render_markdown",
]
