"""What the GitOps tests share: Argo CD's side of a rendered tree, offline.

- :func:`validate`: scripts/validate_argocd.mjs (the Argo CD CRD schemas of npm
  @kubernetes-models/argo-cd) over Application, ApplicationSet and AppProject objects;
- :func:`generate`: the Application an ApplicationSet's cluster generator makes for one
  cluster, evaluating the only Go-template actions the renderer writes (and refusing any
  other, so an unescaped ``{{`` in a value fails the test instead of Argo CD's sync);
- :func:`unexpected_keys`: those models accept unknown fields, so each test pins the exact
  keys the renderer may write (:data:`APPLICATION_SET_KEYS` and the others).
"""

from __future__ import annotations

import copy
import re
import subprocess
from collections.abc import Mapping
from typing import Any

from tests.schema_scripts import ROOT, run_validator

SCRIPT = ROOT / "scripts" / "validate_argocd.mjs"

#: Every Go-template action the renderer writes into an ApplicationSet's template: a
#: literal ``{{`` (escaped), the cluster's name, one of its annotations.
_ACTION = re.compile(
    r'\{\{ (?:"(?P<literal>\{\{)"|\.(?P<field>name)'
    r'|index \.metadata\.annotations "(?P<annotation>[^"]+)") \}\}'
)


def validate(objects: list[dict[str, Any]]) -> subprocess.CompletedProcess[str]:
    """scripts/validate_argocd.mjs over `objects` (JSON on its stdin)."""
    return run_validator("validate_argocd.mjs", objects)


def go_render(text: str, name: str, annotations: Mapping[str, str]) -> str:
    """`text` as Argo CD's Go template (``missingkey=error``) renders it for a cluster
    registered as `name` with `annotations`; AssertionError for any other action, a stray
    ``{{`` or an annotation the cluster lacks."""
    out: list[str] = []
    position = 0
    while (start := text.find("{{", position)) >= 0:
        out.append(text[position:start])
        action = _ACTION.match(text, start)
        assert action is not None, f"not an action the renderer writes: {text[start:]!r}"
        if action["literal"]:
            out.append("{{")
        elif action["field"]:
            out.append(name)
        else:
            key = action["annotation"]
            assert key in annotations, f"missing annotation {key} (missingkey=error)"
            out.append(annotations[key])
        position = action.end()
    out.append(text[position:])
    return "".join(out)


def _render_all(value: Any, name: str, annotations: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return go_render(value, name, annotations)
    if isinstance(value, Mapping):
        return {
            go_render(str(k), name, annotations): _render_all(v, name, annotations)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_render_all(v, name, annotations) for v in value]
    return value


def generate(
    application_set: Mapping[str, Any], name: str, annotations: Mapping[str, str]
) -> dict[str, Any]:
    """The Application `application_set` generates for the cluster Secret `name` with
    `annotations` (its template rendered, in the ApplicationSet's namespace)."""
    template = _render_all(copy.deepcopy(application_set["spec"]["template"]), name, annotations)
    metadata = dict(template["metadata"])
    metadata["namespace"] = application_set["metadata"]["namespace"]
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": metadata,
        "spec": template["spec"],
    }


# -- the keys the renderer writes --------------------------------------------------------------

#: Path of a mapping (dotted, ``[]`` for a list's items) -> (keys it must have, keys it may
#: have). A mapping at a path not listed here fails, unless the path is free-form.
Keys = dict[str, tuple[frozenset[str], frozenset[str]]]


def _keys(required: str, optional: str = "") -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(required.split()), frozenset(optional.split())


_SYNC_POLICY: Keys = {
    "syncPolicy": _keys("automated retry", "syncOptions"),
    "syncPolicy.automated": _keys("prune selfHeal"),
    "syncPolicy.retry": _keys("limit backoff"),
    "syncPolicy.retry.backoff": _keys("duration factor maxDuration"),
}

#: An Application's spec as the renderer writes it (an ApplicationSet's template and the
#: bootstrap's root Application): a chart source, or a path in the tree (a local chart).
_APPLICATION_SPEC: Keys = {
    "": _keys("project source destination syncPolicy"),
    "source": _keys("repoURL targetRevision", "chart path helm"),
    "source.helm": _keys("releaseName", "valuesObject skipCrds"),
    "destination": _keys("name", "namespace"),
    **_SYNC_POLICY,
}


def _below(prefix: str, keys: Keys) -> Keys:
    return {(f"{prefix}.{path}" if path else prefix): value for path, value in keys.items()}


APPLICATION_SET_KEYS: Keys = {
    "": _keys("apiVersion kind metadata spec"),
    "metadata": _keys("name namespace annotations"),
    "spec": _keys("goTemplate goTemplateOptions generators template"),
    "spec.generators[]": _keys("clusters"),
    "spec.generators[].clusters": _keys("selector"),
    "spec.generators[].clusters.selector": _keys("matchLabels"),
    "spec.template": _keys("metadata spec"),
    "spec.template.metadata": _keys("name annotations"),
    **_below("spec.template.spec", _APPLICATION_SPEC),
}
APPLICATION_KEYS: Keys = {
    "": _keys("apiVersion kind metadata spec"),
    "metadata": _keys("name namespace", "annotations"),
    **_below("spec", _APPLICATION_SPEC),
}
APP_PROJECT_KEYS: Keys = {
    "": _keys("apiVersion kind metadata spec"),
    "metadata": _keys("name namespace"),
    "spec": _keys("description sourceRepos sourceNamespaces destinations clusterResourceWhitelist"),
    "spec.destinations[]": _keys("namespace", "name server"),
    "spec.clusterResourceWhitelist[]": _keys("group kind"),
}
#: Values the renderer does not choose the keys of: annotations, labels, Helm values.
FREE_FORM = ("annotations", "matchLabels", "valuesObject")


def unexpected_keys(document: Mapping[str, Any], keys: Keys, path: str = "") -> list[str]:
    """Each mapping of `document` whose keys are not what `keys` allows at its path."""
    problems: list[str] = []
    if path.rsplit(".", 1)[-1] in FREE_FORM:
        return problems
    if path not in keys:
        return [f"{path or '(top)'}: a mapping where the renderer writes none"]
    required, optional = keys[path]
    found = set(document)
    if missing := required - found:
        problems.append(f"{path or '(top)'}: missing {sorted(missing)}")
    if extra := found - required - optional:
        problems.append(f"{path or '(top)'}: unexpected {sorted(extra)}")
    for key, value in document.items():
        child = f"{path}.{key}" if path else str(key)
        if isinstance(value, Mapping):
            problems += unexpected_keys(value, keys, child)
        elif isinstance(value, list):
            for element in value:
                if isinstance(element, Mapping):
                    problems += unexpected_keys(element, keys, f"{child}[]")
    return problems
