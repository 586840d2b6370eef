"""One model of synthesized CloudFormation, shared by the nag rules, the review and verify.

* :mod:`~eks_blueprint.template.assembly`: read a cloud assembly (``manifest.json``, the
  nested assemblies of stages, nested CloudFormation stacks, the templates, cdk-nag's
  validation reports): :func:`load_assembly`, :func:`views_of`.
* :mod:`~eks_blueprint.template.view`: a read-only :class:`TemplateView` of one template
  that follows ``Ref`` / ``Fn::GetAtt`` / ``Fn::ImportValue`` / ``Fn::GetStackOutput`` and
  renders ``Fn::Join`` / ``Fn::Sub`` strings.
* :mod:`~eks_blueprint.template.values`: flattening lists, CloudFormation booleans and
  integers, intrinsic detection, references, a readable form for people.
* :mod:`~eks_blueprint.template.kubernetes`: the Kubernetes objects of the kubectl
  provider's manifests (:func:`manifest_objects`, :class:`KubeObject`) and its Helm releases
  (:func:`helm_releases`), read one way for the plans and the review.
* :mod:`~eks_blueprint.template.facts`: :class:`ClusterFacts`, one set of cluster
  predicates built from a template or from DescribeCluster.

**What cannot be resolved offline** is never guessed. A string with deploy-time parts
(``Ref`` of a resource or parameter, ``Fn::GetAtt``, ``Fn::If``, ``Fn::Select``,
``Fn::ImportValue``...) renders with :data:`PLACEHOLDER` in their place; a reference that
cannot be followed answers :class:`Unresolved` with the reason; :class:`ClusterFacts` lists
deploy-time properties in ``computed`` and its predicates answer None for them. Callers turn
that into "unresolved" (nag), a conservative flag (review) or a skipped check, never into a
pass. :func:`display` is the one exception, for people: it shows references by name.

Pure Python: nothing here imports ``aws_cdk``.
"""

from __future__ import annotations

from .assembly import (
    Artifact,
    Assembly,
    AssemblyError,
    StackTemplate,
    load_assembly,
    views_of,
)
from .facts import OPEN_CIDRS, ClusterFacts
from .kubernetes import (
    HELM_TYPE,
    LAYER_TYPE,
    MANIFEST_TYPE,
    HelmRelease,
    KubeObject,
    LayerItem,
    UnreadableManifest,
    applied_by,
    helm_releases,
    layer_items,
    manifest_objects,
)
from .values import (
    PLACEHOLDER,
    as_bool,
    as_int,
    as_list,
    dig,
    display,
    getatt_target,
    intrinsic,
    literal,
    parse_json_text,
    references,
    render_text,
)
from .view import (
    ExportIndex,
    ResourceRef,
    TemplateView,
    Unresolved,
    load_view,
    stack_name_for,
    stack_properties_for,
    stack_tags_for,
)

__all__ = [
    "HELM_TYPE",
    "LAYER_TYPE",
    "MANIFEST_TYPE",
    "OPEN_CIDRS",
    "PLACEHOLDER",
    "Artifact",
    "Assembly",
    "AssemblyError",
    "ClusterFacts",
    "ExportIndex",
    "HelmRelease",
    "KubeObject",
    "LayerItem",
    "ResourceRef",
    "StackTemplate",
    "TemplateView",
    "UnreadableManifest",
    "Unresolved",
    "applied_by",
    "as_bool",
    "as_int",
    "as_list",
    "dig",
    "display",
    "getatt_target",
    "helm_releases",
    "intrinsic",
    "layer_items",
    "literal",
    "load_assembly",
    "load_view",
    "manifest_objects",
    "parse_json_text",
    "references",
    "render_text",
    "stack_name_for",
    "stack_properties_for",
    "stack_tags_for",
    "views_of",
]
