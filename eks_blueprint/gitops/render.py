"""Render a GitOps delivery's items into the repository tree Argo CD syncs.

Every item a construct applies to a GitOps-delivered cluster (``apply_manifest``,
``install_chart``) becomes one Argo CD Application, written as an ApplicationSet with a
cluster generator (``applicationsets/<name>.yaml``):

- a chart: Helm source from its repository (OCI charts in Argo CD's Helm form: registry
  path without ``oci://`` plus ``chart``), the pinned version, the values the construct
  built (``helm.valuesObject``);
- a manifest: a local chart in the tree (``manifests/<name>/``) whose ``values.yaml`` holds
  the objects, rendered back unchanged by a fixed template.

Values only CloudFormation knows (role ARNs, queue names, subnet ids: CDK tokens) cannot be
written into a committed file. Each becomes an annotation on the cluster registration
Secret, which the bootstrap applies with CloudFormation's values resolved; the
ApplicationSet reads it back by its key (``{{ index .metadata.annotations "..." }}``), and a
manifest's template substitutes it for its placeholder. The tree itself names no ARN, so it
changes only when the platform does.

The same function renders for ``make gitops`` (which writes the files), the staleness test
(which compares them) and the bootstrap (which needs the annotations), so they cannot drift.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml
from aws_cdk import Stack, Token

from .target import CLUSTER_LABEL, VALUE_ANNOTATION, GitOpsTarget

if TYPE_CHECKING:
    from ..kubernetes.delivery import Applied, KubernetesDelivery

#: Directory of the ApplicationSets (what the root Application syncs) and of the local
#: charts of manifests, below the target's path.
APPLICATION_SETS = "applicationsets"
MANIFESTS = "manifests"
#: Argo CD allows 150 Kubernetes objects per Application on the EKS capability.
MAX_OBJECTS_PER_APPLICATION = 150
#: Sync waves of the ApplicationSets, by layer: the root Application creates them in this
#: order (Argo CD retries an Application until what it needs exists).
WAVES = {"foundation": "0", "capacity": "1", "platform": "2", "workloads": "3"}
#: How a manifest's template puts a CloudFormation value back (``toJson``: quoted).
PLACEHOLDER = "__AWS_{key}__"
#: The fixed template of a manifest's local chart.
OBJECTS_TEMPLATE = """\
{{- /* Rendered by eks_blueprint: the objects of values.yaml, each CloudFormation value
     (a placeholder __AWS_<key>__) replaced by the one the ApplicationSet passes. */ -}}
{{- range .Values.objects }}
---
{{- $text := toYaml . }}
{{- range $key, $value := $.Values.aws }}
{{- $text = replace (printf "__AWS_%s__" $key) (toJson $value) $text }}
{{- end }}
{{ $text }}
{{- end }}
"""
#: Retry a failed sync without end (Argo CD: a negative limit), backing off to 5 minutes:
#: an Application whose CRDs or webhooks another Application brings syncs once they exist
#: (Argo CD does not retry a failed revision by itself).
RETRY = {"limit": -1, "backoff": {"duration": "30s", "factor": 2, "maxDuration": "5m"}}
#: Kinds whose deletion loses data: Argo CD never prunes or deletes them (an Application
#: removed, or an object moved to another Application, leaves them in place).
KEPT_KINDS = frozenset({"Namespace", "PersistentVolumeClaim", "PersistentVolume"})
KEEP_OPTIONS = "Prune=false,Delete=false"

_INTRINSIC = re.compile(r"^(Ref|Fn::[A-Za-z]+)$")
_KEY_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_NAME_CHARS = re.compile(r"[^a-z0-9-]+")


@dataclass
class Rendered:
    """The tree (path below the target's path -> text) and the values the bootstrap passes
    (annotation key -> the CloudFormation expression, resolved by CloudFormation)."""

    files: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    applications: dict[str, str] = field(default_factory=dict)
    """Application name -> the item id it renders."""
    chart_repositories: list[str] = field(default_factory=list)
    """The Helm repositories the Applications pull from (the AppProject allows them)."""
    tokens: dict[str, Any] = field(default_factory=dict)
    """Annotation key -> the value as the construct gave it (a token), where known: the
    bootstrap passes the token, so that a value of another stack (the VPC's id) becomes an
    import there; the resolved expression would name a resource that stack lacks."""


def application_name(item_id: str) -> str:
    """An item's Application name: its id in lowercase, ``/`` and other characters as
    ``-``; longer than 53 characters (Helm's release name limit): cut, with a hash."""
    name = _NAME_CHARS.sub("-", item_id.lower()).strip("-") or "item"
    if len(name) > 53:
        digest = hashlib.sha256(item_id.encode()).hexdigest()[:6]
        name = f"{name[:46].rstrip('-')}-{digest}"
    return name


def _is_intrinsic(value: Any) -> bool:
    return isinstance(value, Mapping) and len(value) == 1 and bool(
        _INTRINSIC.match(next(iter(value)))
    )


def value_key(intrinsic: Mapping[str, Any]) -> str:
    """The annotation name of a CloudFormation value: ``<LogicalId>`` for a Ref,
    ``<LogicalId>.<Attribute>`` for a GetAtt, else the first logical id it names and a hash;
    at most 63 characters (a Kubernetes annotation name)."""
    ((function, argument),) = intrinsic.items()
    if function == "Ref" and isinstance(argument, str):
        key = argument
    elif function == "Fn::GetAtt" and isinstance(argument, list):
        key = ".".join(str(a) for a in argument)
    else:
        text = json.dumps(intrinsic, sort_keys=True)
        names = re.findall(r'"Ref": "([A-Za-z0-9]+)"|"Fn::GetAtt": \["([A-Za-z0-9]+)"', text)
        first = next((a or b for a, b in names), "value")
        key = f"{first}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
    key = _KEY_CHARS.sub("-", key.replace("::", "-")).strip("-._") or "value"
    if len(key) > 63:
        digest = hashlib.sha256(key.encode()).hexdigest()[:8]
        key = f"{key[:54].rstrip('-._')}-{digest}"
    return key


class _Values:
    """Collects the CloudFormation values of the items and names each once; those the
    delivery knows at synth (``known``) are written as they are."""

    def __init__(self, rendered: Rendered, known: Mapping[str, str]) -> None:
        self._rendered = rendered
        self.known = known
        #: What each token of the items resolves to (JSON) -> the token (`_collect_tokens`).
        self.tokens: dict[str, Any] = {}

    def literal(self, intrinsic: Mapping[str, Any]) -> str | None:
        return self.known.get(json.dumps(intrinsic, sort_keys=True))

    def key(self, intrinsic: Mapping[str, Any]) -> str:
        key = value_key(intrinsic)
        annotation = VALUE_ANNOTATION + key
        known = self._rendered.values.get(annotation)
        if known is not None and known != intrinsic:  # two values, one name: add a hash
            key = value_key({"Fn::Hash": [json.dumps(intrinsic, sort_keys=True)]})
            annotation = VALUE_ANNOTATION + key
        self._rendered.values[annotation] = dict(intrinsic)
        token = self.tokens.get(json.dumps(intrinsic, sort_keys=True))
        if token is not None:
            self._rendered.tokens.setdefault(annotation, token)
        return key


def _collect_tokens(stack: Stack, value: Any, found: dict[str, Any]) -> None:
    """Each token among `value`'s leaves (unresolved) by the JSON of the expression it
    resolves to (see :attr:`Rendered.tokens`); a list token resolving to several
    expressions, or tokens inside a lazily produced value, are not found."""
    if isinstance(value, Mapping):
        for element in value.values():
            _collect_tokens(stack, element, found)
    elif isinstance(value, list | tuple) and not Token.is_unresolved(value):
        for element in value:
            _collect_tokens(stack, element, found)
    elif not isinstance(value, bool | type(None)) and Token.is_unresolved(value):
        resolved = stack.resolve(value)
        if _is_intrinsic(resolved):
            found.setdefault(json.dumps(resolved, sort_keys=True), value)


def _go_escape(text: str) -> str:
    """`text` as literal output of an ApplicationSet's Go template."""
    return text.replace("{{", '{{ "{{" }}') if "{{" in text else text


def _for_template(value: Any, values: _Values, used: set[str]) -> Any:
    """A resolved value for an ApplicationSet template: CloudFormation values read from the
    cluster's annotations, everything else literal."""
    if _is_intrinsic(value):
        literal = values.literal(value)
        if literal is not None:
            return _go_escape(literal)
        key = values.key(value)
        used.add(key)
        return f'{{{{ index .metadata.annotations "{VALUE_ANNOTATION}{key}" }}}}'
    if isinstance(value, Mapping):
        return {_go_escape(str(k)): _for_template(v, values, used) for k, v in value.items()}
    if isinstance(value, list):
        return [_for_template(v, values, used) for v in value]
    if isinstance(value, str):
        return _go_escape(value)
    return value


def _with_placeholders(value: Any, values: _Values, used: set[str]) -> Any:
    """A resolved value for a manifest's values.yaml: CloudFormation values as
    placeholders the chart's template replaces."""
    if _is_intrinsic(value):
        literal = values.literal(value)
        if literal is not None:
            return literal
        key = values.key(value)
        used.add(key)
        return PLACEHOLDER.format(key=key)
    if isinstance(value, Mapping):
        return {str(k): _with_placeholders(v, values, used) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_placeholders(v, values, used) for v in value]
    return value


def _kept(body: Any) -> Any:
    """`body` with Argo CD's sync options that keep it (KEPT_KINDS), else unchanged."""
    if not isinstance(body, dict) or body.get("kind") not in KEPT_KINDS:
        return body
    metadata = dict(body.get("metadata") or {})
    annotations = dict(metadata.get("annotations") or {})
    annotations.setdefault("argocd.argoproj.io/sync-options", KEEP_OPTIONS)
    metadata["annotations"] = annotations
    return {**body, "metadata": metadata}


#: Strings Go's YAML (sigs.k8s.io/yaml, which Argo CD and Helm read the tree with) takes for
#: a boolean or a number, written unquoted by PyYAML: YAML 1.1's y and n, and floats such
#: as 1e3 or 1.5e3 (PyYAML's YAML 1.1 wants a dot and an exponent sign).
_GO_NOT_A_STRING = re.compile(r"^([yYnN]|[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)$")


class _TreeDumper(yaml.SafeDumper):
    """Quotes the strings of :data:`_GO_NOT_A_STRING`, so they stay strings in Argo CD."""

    def represent_str(self, data: str) -> yaml.ScalarNode:
        if _GO_NOT_A_STRING.match(data):
            return self.represent_scalar("tag:yaml.org,2002:str", data, style="'")
        return super().represent_str(data)


_TreeDumper.add_representer(str, _TreeDumper.represent_str)


def dump(data: Any) -> str:
    """YAML as the tree holds it: block style, keys in the order built, no line wrapping,
    every string a string for Go's YAML too."""
    return str(
        yaml.dump(
            data, Dumper=_TreeDumper, sort_keys=False, default_flow_style=False, width=10_000
        )
    )


def _helm_repository(repository: str, chart: str) -> str:
    """Argo CD's repoURL for a chart: https repositories as they are; an OCI one as its
    registry path without the scheme (Argo CD's Helm form), without the chart's name."""
    if not repository.startswith("oci://"):
        return repository
    path = repository.removeprefix("oci://").rstrip("/")
    return path[: -len(chart) - 1] if path.endswith("/" + chart) else path


def _application_set(
    target: GitOpsTarget,
    item: Applied,
    name: str,
    after: list[str],
    source: dict[str, Any],
    sync_options: list[str],
    namespace: str | None,
) -> dict[str, Any]:
    annotations = {
        "eks-blueprint.io/item": item.item_id,
        "eks-blueprint.io/layer": item.layer.value,
    }
    if after:
        annotations["eks-blueprint.io/after"] = ", ".join(sorted(set(after)))
    destination: dict[str, Any] = {"name": "{{ .name }}"}
    if namespace:
        destination["namespace"] = namespace
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {
            "name": name,
            "namespace": target.namespace,
            "annotations": {"argocd.argoproj.io/sync-wave": WAVES[item.layer.value]},
        },
        "spec": {
            "goTemplate": True,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [
                {"clusters": {"selector": {"matchLabels": {CLUSTER_LABEL: target.name}}}}
            ],
            "template": {
                "metadata": {"name": name, "annotations": annotations},
                "spec": {
                    "project": target.project,
                    "source": source,
                    "destination": destination,
                    "syncPolicy": {
                        "automated": {"prune": True, "selfHeal": True},
                        "syncOptions": sync_options,
                        "retry": RETRY,
                    },
                },
            },
        },
    }


def render(delivery: KubernetesDelivery) -> Rendered:
    """The tree of `delivery` (a GitOps delivery); computed once per delivery."""
    cached: Rendered | None = getattr(delivery, "_gitops_rendered", None)
    if cached is not None:
        return cached
    target = delivery.gitops
    assert target is not None, "render() is for a GitOps delivery"
    stack = Stack.of(delivery)
    # What the items' constructs were made to depend on (node.add_dependency) orders them
    # too; synth collects it with an aspect, which `make gitops` (no synth) never runs.
    # Collecting it again at synth only records the same order once more.
    delivery._resolve_construct_dependencies()
    rendered = Rendered()
    values = _Values(rendered, delivery.known_values)
    for item in delivery.gitops_items:
        name = application_name(item.item_id)  # unique: KubernetesDelivery checked it
        rendered.applications[name] = item.item_id
        after = [application_name(a) for a in delivery.gitops_after.get(item.item_id, [])]
        _collect_tokens(stack, item.source, values.tokens)
        source = stack.resolve(dict(item.source))
        used: set[str] = set()
        if item.kind == "chart":
            repository = _helm_repository(source["repository"], source["chart"])
            if repository not in rendered.chart_repositories:
                rendered.chart_repositories.append(repository)
            helm: dict[str, Any] = {"releaseName": source["release"]}
            if source.get("values"):
                helm["valuesObject"] = _for_template(source["values"], values, used)
            if source.get("skip_crds"):
                helm["skipCrds"] = True
            app_source = {
                "repoURL": repository,
                "chart": source["chart"],
                "targetRevision": str(source["version"]),
                "helm": helm,
            }
            options = ["ServerSideApply=true"]
            if source.get("create_namespace"):
                options.insert(0, "CreateNamespace=true")
            document = _application_set(
                target, item, name, after, app_source, options, source["namespace"]
            )
        elif item.kind == "manifest":
            objects = [
                _kept(_with_placeholders(o, values, used)) for o in source["objects"]
            ]
            chart_dir = f"{MANIFESTS}/{name}"
            rendered.files[f"{chart_dir}/Chart.yaml"] = dump(
                {
                    "apiVersion": "v2",
                    "name": name,
                    "description": f"The Kubernetes objects of {item.item_id}, rendered by "
                    "eks_blueprint (make gitops); do not edit.",
                    "type": "application",
                    "version": "1.0.0",
                }
            )
            rendered.files[f"{chart_dir}/values.yaml"] = dump({"aws": {}, "objects": objects})
            rendered.files[f"{chart_dir}/templates/objects.yaml"] = OBJECTS_TEMPLATE
            helm = {"releaseName": name}
            if used:
                helm["valuesObject"] = {
                    "aws": {
                        key: f'{{{{ index .metadata.annotations "{VALUE_ANNOTATION}{key}" }}}}'
                        for key in sorted(used)
                    }
                }
            app_source = {
                "repoURL": target.repository,
                "targetRevision": target.revision,
                "path": f"{target.path}/{chart_dir}",
                "helm": helm,
            }
            document = _application_set(
                target,
                item,
                name,
                after,
                app_source,
                ["ServerSideApply=true", "SkipDryRunOnMissingResource=true"],
                None,
            )
        else:  # patches are refused when the item is made (delivery._item)
            raise ValueError(f"{item.node.path}: a {item.kind} cannot be rendered for Argo CD")
        rendered.files[f"{APPLICATION_SETS}/{name}.yaml"] = dump(document)
    delivery._gitops_rendered = rendered  # type: ignore[attr-defined]
    return rendered


def tree_of(delivery: KubernetesDelivery) -> dict[str, str]:
    """The files of `delivery`'s tree by their path in the repository."""
    target = delivery.gitops
    assert target is not None
    return {f"{target.path}/{path}": text for path, text in render(delivery).files.items()}
