"""Offline evaluation of the Kyverno CEL policies (`policies.py`), for tests and the build gate.

It evaluates the policies' CEL with cel-python (`celpy`, 0.5.0; from the `[tools]` extra) the
way Kyverno 1.19 does at admission, for the features the policies use:

* matching: `matchConstraints.resourceRules` (group, version, resource, operation),
  `namespaceSelector` (matchLabels and matchExpressions In/NotIn/Exists/DoesNotExist; a
  namespace always carries `kubernetes.io/metadata.name`), then `matchConditions`;
* Kyverno's pod-controller autogen for ValidatingPolicies: a policy that matches exactly
  `pods` also checks the pod templates of the controllers in `autogen.podControllers`
  (default: all), with `object.spec`/`object.metadata` rewritten to the template's as Kyverno
  does (kyverno v1.19.0 pkg/cel/autogen: CanAutoGen in support.go, the replacements in
  data.go and replacement.go);
* `variables` (lazily, like Kyverno), `validations` (`message` / `messageExpression`),
  `validationActions`;
* MutatingPolicy JSONPatch mutations (RFC 6902 add/remove/replace/test), with reinvocation
  until nothing changes;
* the CEL the policies need beyond cel-python's standard library: `resource.List`
  (Kyverno's resource library, answered from `cluster`), `JSONPatch{...}`, `namespaceObject`
  and `request`.

Anything else (an unknown function, a patch type other than JSONPatch, autogen of a JSONPatch
mutation) raises `EvaluationError`: an expression the evaluator cannot run never passes.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, Final, Literal

import celpy
from celpy import celtypes
from celpy.adapter import json_to_cel
from celpy.celparser import CELParseError
from celpy.evaluation import CELEvalError

#: kind -> (API group, resource) for the kinds the policies and our manifests use.
RESOURCES: Final[dict[str, tuple[str, str]]] = {
    "Pod": ("", "pods"),
    "Service": ("", "services"),
    "ConfigMap": ("", "configmaps"),
    "Secret": ("", "secrets"),
    "ServiceAccount": ("", "serviceaccounts"),
    "Namespace": ("", "namespaces"),
    "Deployment": ("apps", "deployments"),
    "StatefulSet": ("apps", "statefulsets"),
    "DaemonSet": ("apps", "daemonsets"),
    "ReplicaSet": ("apps", "replicasets"),
    "Job": ("batch", "jobs"),
    "CronJob": ("batch", "cronjobs"),
    "PodDisruptionBudget": ("policy", "poddisruptionbudgets"),
}
#: Kyverno's autogen controllers (pkg/cel/autogen/data.go ConfigsMap): resource -> kind.
AUTOGEN_KINDS: Final[dict[str, str]] = {
    "daemonsets": "DaemonSet",
    "deployments": "Deployment",
    "replicasets": "ReplicaSet",
    "statefulsets": "StatefulSet",
    "jobs": "Job",
    "cronjobs": "CronJob",
}
NAMESPACE_NAME_LABEL: Final = "kubernetes.io/metadata.name"

Operation = Literal["CREATE", "UPDATE", "DELETE", "CONNECT"]


class EvaluationError(Exception):
    """A policy the evaluator cannot evaluate faithfully (unknown function, CEL error...)."""


@dataclass(frozen=True)
class Violation:
    """One failed validation of one policy."""

    policy: str
    action: str
    """`Deny` (refused at admission) or `Audit` (reported)."""
    message: str
    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}: {self.policy} [{self.action}] {self.message}"


def resource_of(obj: Mapping[str, Any]) -> tuple[str, str, str]:
    """(group, version, resource) of an object, from its apiVersion and kind."""
    api_version = str(obj.get("apiVersion", ""))
    group, _, version = api_version.rpartition("/")
    kind = str(obj.get("kind", ""))
    known = RESOURCES.get(kind)
    resource = known[1] if known else kind.lower() + "s"
    return group, version, resource


def _rule_matches(rule: Mapping[str, Any], gvr: tuple[str, str, str], operation: str) -> bool:
    group, version, resource = gvr

    def has(field: str, value: str) -> bool:
        values = rule.get(field, [])
        return "*" in values or value in values

    return (
        has("apiGroups", group)
        and has("apiVersions", version)
        and has("resources", resource)
        and has("operations", operation)
    )


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """A Kubernetes label selector against labels (None or {} selects everything)."""
    if not selector:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values") or []
        if operator == "In":
            ok = key in labels and labels[key] in values
        elif operator == "NotIn":
            ok = not (key in labels and labels[key] in values)
        elif operator == "Exists":
            ok = key in labels
        elif operator == "DoesNotExist":
            ok = key not in labels
        else:
            raise EvaluationError(f"unknown selector operator {operator!r}")
        if not ok:
            return False
    return True


# --- CEL environment ---------------------------------------------------------------------


class _ResourceLibrary(celtypes.MapType):
    """The `resource` variable: a marker the `List` member function checks."""


def _to_python(value: Any) -> Any:
    """A CEL value back to JSON-compatible Python."""
    if isinstance(value, celtypes.BoolType):
        return bool(value)
    if isinstance(value, (celtypes.IntType, celtypes.UintType)):
        return int(value)
    if isinstance(value, celtypes.DoubleType):
        return float(value)
    if isinstance(value, celtypes.StringType):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _to_python(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_python(v) for v in value]
    if value is None:
        return None
    raise EvaluationError(f"unsupported CEL value {value!r}")


def _json_patch(fields: Any) -> celtypes.MapType:
    """`JSONPatch{op, path, value}`: kept as a map with a marker key."""
    if not isinstance(fields, celtypes.MapType):
        raise EvaluationError(f"JSONPatch{{}} needs fields, got {fields!r}")
    allowed = {"op", "path", "value", "from"}
    unknown = {str(k) for k in fields} - allowed
    if unknown:
        raise EvaluationError(f"JSONPatch has unknown fields {sorted(unknown)}")
    result = celtypes.MapType(dict(fields))
    result[celtypes.StringType("__jsonpatch__")] = celtypes.BoolType(True)
    return result


class _LazyVariables(celtypes.MapType):
    """`variables`: each evaluated on first use, as Kyverno does."""

    def __init__(self, compute: Callable[[str], Any], names: Sequence[str]) -> None:
        super().__init__({})
        self._compute = compute
        self._names = list(names)

    def __getitem__(self, key: Any) -> Any:
        name = str(key)
        if name not in self._names:
            raise KeyError(name)
        if not super().__contains__(key):
            super().__setitem__(celtypes.StringType(name), self._compute(name))
        return super().__getitem__(celtypes.StringType(name))

    def __contains__(self, key: object) -> bool:
        return str(key) in self._names


@dataclass
class _Context:
    namespace: str | None
    namespace_labels: dict[str, str]
    cluster: Sequence[Mapping[str, Any]]
    operation: str


@lru_cache(maxsize=4096)
def _compile(expression: str) -> celpy.Expression[Any]:
    """`expression`'s CEL syntax tree, parsed once per process (the 4096 latest texts).

    Every object and policy variant evaluates the same few hundred expressions, and parsing
    them (lark's LALR parser, in Python) cost as much as evaluating them. The tree depends on
    the text alone (every `celpy.Environment` parses with the same grammar and tree class),
    and celpy's interpreting runner only reads it. A text that does not parse raises
    `CELParseError` on every call (lru_cache keeps no exception).
    """
    return _parser().compile(expression)


@cache
def _parser() -> celpy.Environment:
    """The environment `_compile` parses with (made on first use, as `_Evaluator`'s are)."""
    return celpy.Environment()


class _Evaluator:
    """Compiles and runs one policy's expressions for one object."""

    def __init__(self, context: _Context) -> None:
        self.context = context
        self.env = celpy.Environment()
        self.functions: dict[str, Callable[..., Any]] = {"List": self._list}

    def _list(self, marker: Any, api_version: Any, resource: Any, namespace: Any) -> Any:
        if not isinstance(marker, _ResourceLibrary):
            raise EvaluationError("List() is only Kyverno's resource.List")
        items = [
            obj
            for obj in self.context.cluster
            if str(obj.get("apiVersion")) == str(api_version)
            and resource_of(obj)[2] == str(resource)
            and (
                str(namespace) == ""
                or (obj.get("metadata") or {}).get("namespace") == str(namespace)
            )
        ]
        return json_to_cel({"items": copy.deepcopy(items)})

    def activation(
        self, obj: Mapping[str, Any], variables: Sequence[Mapping[str, str]]
    ) -> dict[str, Any]:
        ns = self.context.namespace
        namespace_object = (
            None
            if ns is None
            else {"metadata": {"name": ns, "labels": dict(self.context.namespace_labels)}}
        )
        base: dict[str, Any] = {
            "object": json_to_cel(dict(obj)),
            "oldObject": None,
            "namespaceObject": json_to_cel(namespace_object),
            "request": json_to_cel({"operation": self.context.operation, "namespace": ns or ""}),
            "resource": _ResourceLibrary({}),
            "JSONPatch": _json_patch,
        }
        expressions = {v["name"]: v["expression"] for v in variables}

        def compute(name: str) -> Any:
            return self.run(expressions[name], base)

        base["variables"] = _LazyVariables(compute, list(expressions))
        return base

    def run(self, expression: str, activation: Mapping[str, Any]) -> Any:
        try:
            program = self.env.program(_compile(expression), functions=self.functions)
            result = program.evaluate(dict(activation))
        except CELParseError as error:
            raise EvaluationError(f"cannot parse {expression!r}: {error}") from error
        except CELEvalError as error:
            raise EvaluationError(f"cannot evaluate {expression!r}: {error}") from error
        if isinstance(result, CELEvalError):
            raise EvaluationError(f"cannot evaluate {expression!r}: {result}")
        return result


# --- Autogen --------------------------------------------------------------------------------


def can_autogen(match: Mapping[str, Any] | None) -> bool:
    """Kyverno's CanAutoGen (pkg/cel/autogen/support.go): one rule, core v1 `pods` only."""
    if not match:
        return False
    selector = match.get("objectSelector") or {}
    if selector.get("matchLabels") or selector.get("matchExpressions"):
        return False
    if match.get("excludeResourceRules"):
        return False
    rules = match.get("resourceRules") or []
    if len(rules) != 1:
        return False
    rule = rules[0]
    return (
        not rule.get("resourceNames")
        and rule.get("apiGroups") == [""]
        and rule.get("apiVersions") == ["v1"]
        and rule.get("resources") == ["pods"]
    )


def _autogen_controllers(spec: Mapping[str, Any]) -> list[str]:
    controllers = ((spec.get("autogen") or {}).get("podControllers") or {}).get("controllers")
    return list(AUTOGEN_KINDS) if controllers is None else list(controllers)


def _rewrite(text: str, prefix: str) -> str:
    """Kyverno's replacement of `object.spec`/`object.metadata` (and oldObject) by the
    template's, leaving `...metadata.namespace` alone (pkg/cel/autogen/replacement.go)."""
    for root in ("object", "oldObject"):
        for field in ("spec", "metadata"):
            source = f"{root}.{field}"
            target = f"{root}.{prefix}{field}"
            text = re.sub(re.escape(source) + r"(?!\.namespace)", target, text)
    return text


def _autogen_spec(spec: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """The spec Kyverno generates for a pod controller: every string rewritten."""
    prefix = "spec.jobTemplate.spec.template." if kind == "CronJob" else "spec.template."
    rewritten: dict[str, Any] = json.loads(_rewrite(json.dumps(spec), prefix))
    # The generated policy's match constraints are its own; keep the original selector.
    rewritten["matchConstraints"] = spec["matchConstraints"]
    return rewritten


# --- Evaluation -----------------------------------------------------------------------------


def _namespace_of(obj: Mapping[str, Any], namespace: str | None) -> str | None:
    if namespace is not None:
        return namespace
    found = (obj.get("metadata") or {}).get("namespace")
    return str(found) if found else None


def _effective_spec(
    policy: Mapping[str, Any], obj: Mapping[str, Any], context: _Context
) -> dict[str, Any] | None:
    """The policy spec that applies to `obj` (autogen rewritten), or None if none does."""
    spec = policy["spec"]
    match = spec.get("matchConstraints") or {}
    if context.namespace is not None and not selector_matches(
        match.get("namespaceSelector"), context.namespace_labels
    ):
        return None
    gvr = resource_of(obj)
    if any(_rule_matches(r, gvr, context.operation) for r in match.get("resourceRules") or []):
        return dict(spec)
    if not can_autogen(match):
        return None
    if gvr[2] not in _autogen_controllers(spec) or AUTOGEN_KINDS.get(gvr[2]) != obj.get("kind"):
        return None
    operations = match["resourceRules"][0].get("operations", [])
    if context.operation not in operations and "*" not in operations:
        return None
    if policy.get("kind") == "MutatingPolicy":
        for mutation in spec.get("mutations") or []:
            if mutation.get("patchType") != "ApplyConfiguration":
                raise EvaluationError(
                    f"{policy['metadata']['name']}: Kyverno's autogen does not rewrite "
                    "JSONPatch paths; switch autogen off (controllers: [])"
                )
        raise EvaluationError("ApplyConfiguration mutations are not supported")
    return _autogen_spec(spec, str(obj.get("kind")))


def _conditions_hold(
    spec: Mapping[str, Any], runner: _Evaluator, activation: Mapping[str, Any]
) -> bool:
    for condition in spec.get("matchConditions") or []:
        result = runner.run(condition["expression"], activation)
        if not isinstance(result, celtypes.BoolType):
            raise EvaluationError(f"matchCondition {condition['name']} is not a bool")
        if not result:
            return False
    return True


def _applying(
    policy: Mapping[str, Any], kind: str, obj: Mapping[str, Any], context: _Context
) -> tuple[dict[str, Any], _Evaluator, dict[str, Any]] | None:
    """(spec, runner, activation) when `policy` is a `kind` whose match constraints and
    matchConditions select `obj`; None otherwise."""
    if policy.get("kind") != kind:
        return None
    spec = _effective_spec(policy, obj, context)
    if spec is None:
        return None
    runner = _Evaluator(context)
    activation = runner.activation(obj, spec.get("variables") or [])
    if not _conditions_hold(spec, runner, activation):
        return None
    return spec, runner, activation


def _context(
    obj: Mapping[str, Any],
    namespace_labels: Mapping[str, str] | None,
    cluster: Iterable[Mapping[str, Any]],
    operation: str,
    namespace: str | None,
) -> _Context:
    ns = _namespace_of(obj, namespace)
    labels = dict(namespace_labels or {})
    if ns is not None:
        labels[NAMESPACE_NAME_LABEL] = ns
    return _Context(
        namespace=ns,
        namespace_labels=labels,
        cluster=list(cluster),
        operation=operation,
    )


def evaluate(
    policies: Iterable[Mapping[str, Any]],
    obj: Mapping[str, Any],
    *,
    namespace_labels: Mapping[str, str] | None = None,
    cluster: Iterable[Mapping[str, Any]] = (),
    operation: Operation = "CREATE",
    namespace: str | None = None,
) -> list[Violation]:
    """The violations of `obj` against the ValidatingPolicies among `policies`.

    `namespace` defaults to the object's `metadata.namespace` (None: cluster-scoped, and
    namespace selectors are not consulted, as in Kubernetes); `namespace_labels` are that
    namespace's labels (its name label is added); `cluster` holds the objects
    `resource.List` sees. MutatingPolicies are skipped: call `mutate` first.
    """
    context = _context(obj, namespace_labels, cluster, operation, namespace)
    found: list[Violation] = []
    meta = obj.get("metadata") or {}
    for policy in policies:
        applying = _applying(policy, "ValidatingPolicy", obj, context)
        if applying is None:
            continue
        spec, runner, activation = applying
        actions = list(spec.get("validationActions") or [])
        if not actions:
            raise EvaluationError(f"{policy['metadata']['name']}: no validationActions")
        for validation in spec.get("validations") or []:
            result = runner.run(validation["expression"], activation)
            if not isinstance(result, celtypes.BoolType):
                raise EvaluationError(
                    f"{policy['metadata']['name']}: validation is not a bool: {result!r}"
                )
            if result:
                continue
            message = validation.get("message", "")
            if "messageExpression" in validation:
                message = str(runner.run(validation["messageExpression"], activation))
            for action in actions:
                found.append(
                    Violation(
                        policy=str(policy["metadata"]["name"]),
                        action=str(action),
                        message=str(message),
                        kind=str(obj.get("kind", "")),
                        name=str(meta.get("name", "")),
                    )
                )
    return found


# --- Mutation --------------------------------------------------------------------------------


def _pointer(path: str) -> list[str]:
    if not path.startswith("/"):
        raise EvaluationError(f"JSON pointer {path!r} must start with /")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def apply_patch(document: Any, patches: Sequence[Mapping[str, Any]]) -> Any:
    """RFC 6902 add/remove/replace/test on a copy of `document` (errors raise)."""
    result = copy.deepcopy(document)
    for patch in patches:
        op, tokens = patch["op"], _pointer(patch["path"])
        parent: Any = result
        for token in tokens[:-1]:
            try:
                parent = parent[int(token)] if isinstance(parent, list) else parent[token]
            except (KeyError, IndexError, ValueError) as error:
                raise EvaluationError(f"path {patch['path']} does not exist") from error
        last = tokens[-1]
        key: int | str
        if isinstance(parent, list):
            key = len(parent) if last == "-" else int(last)
            exists = 0 <= key < len(parent)
            if op == "add" and key > len(parent):
                raise EvaluationError(f"index out of range in {patch['path']}")
        elif isinstance(parent, dict):
            key, exists = last, last in parent
        else:
            raise EvaluationError(f"path {patch['path']} goes through a scalar")
        if op in ("replace", "remove", "test") and not exists:
            raise EvaluationError(f"path {patch['path']} does not exist")
        if op == "add" and isinstance(parent, list):
            parent.insert(int(key), copy.deepcopy(patch["value"]))
        elif op in ("add", "replace"):
            parent[key] = copy.deepcopy(patch["value"])
        elif op == "remove":
            del parent[key]
        elif op == "test":
            if parent[key] != patch["value"]:
                raise EvaluationError(f"test failed at {patch['path']}")
        else:
            raise EvaluationError(f"unsupported JSON Patch op {op!r}")
    return result


def _mutate_once(
    policies: Sequence[Mapping[str, Any]], obj: dict[str, Any], context: _Context
) -> dict[str, Any]:
    for policy in policies:
        applying = _applying(policy, "MutatingPolicy", obj, context)
        if applying is None:
            continue
        spec, runner, _ = applying
        for mutation in spec.get("mutations") or []:
            if mutation.get("patchType") != "JSONPatch":
                raise EvaluationError(f"unsupported patchType {mutation.get('patchType')!r}")
            activation = runner.activation(obj, spec.get("variables") or [])
            result = runner.run(mutation["jsonPatch"]["expression"], activation)
            patches = _to_python(result)
            if not isinstance(patches, list) or not all(
                isinstance(p, dict) and p.pop("__jsonpatch__", False) for p in patches
            ):
                raise EvaluationError(f"{policy['metadata']['name']}: not a list of JSONPatch")
            obj = apply_patch(obj, patches)
    return obj


def mutate(
    policies: Iterable[Mapping[str, Any]],
    obj: Mapping[str, Any],
    *,
    namespace_labels: Mapping[str, str] | None = None,
    cluster: Iterable[Mapping[str, Any]] = (),
    operation: Operation = "CREATE",
    namespace: str | None = None,
) -> dict[str, Any]:
    """`obj` after the MutatingPolicies among `policies`, applied in order and reinvoked
    until the object stops changing (a policy that never settles raises)."""
    listed = list(policies)
    context = _context(obj, namespace_labels, cluster, operation, namespace)
    current = copy.deepcopy(dict(obj))
    for _ in range(3):
        following = _mutate_once(listed, current, context)
        if following == current:
            return current
        current = following
    raise EvaluationError("the mutations do not converge (not idempotent)")
