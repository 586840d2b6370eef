"""Reading a template's Kubernetes layers in tests: which layer holds an item, what the
layer resource depends on, and whether one item is applied before another.

Built on :func:`eks_blueprint.template.kubernetes.layer_items` (the one reader of layer
items); this only adds the graph questions tests ask: an item is applied after another when
it is in the same layer and names it in its ``After`` list (directly or through items it
follows), or when its layer resource waits for the other's layer (``DependsOn``, directly
or through the layers in between). :func:`dependency_graph` and :func:`find_cycle` check a
whole template for the cycles CloudFormation refuses (``DependsOn``, ``Ref``, ``GetAtt``,
``Sub``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from eks_blueprint.template.kubernetes import LAYER_TYPE, LayerItem, layer_items

#: Logical id -> resource, as in a template's ``Resources``.
Resources = Mapping[str, Mapping[str, Any]]

#: The layers in the order CloudFormation applies them.
LAYERS = ("foundation", "capacity", "platform", "workloads")


def resources_in(template: Mapping[str, Any]) -> Resources:
    """`template`'s ``Resources`` (or `template` itself when it already is them)."""
    found = template.get("Resources")
    return found if isinstance(found, Mapping) else template


def depends_on(resource: Mapping[str, Any]) -> list[str]:
    """A resource's ``DependsOn`` as a list."""
    value = resource.get("DependsOn", [])
    return [value] if isinstance(value, str) else list(value)


def layer_resources(template: Mapping[str, Any]) -> dict[str, str]:
    """Layer name (``foundation``...) -> logical id of its resource."""
    found: dict[str, str] = {}
    for logical_id, resource in resources_in(template).items():
        if resource.get("Type") == LAYER_TYPE:
            layer = str(resource["Properties"]["Layer"])
            assert layer not in found, f"two {layer} layers: {found[layer]}, {logical_id}"
            found[layer] = logical_id
    return found


def items(template: Mapping[str, Any], type: str | None = None) -> dict[str, LayerItem]:
    """Item id -> item, for every item of every layer (each id once)."""
    found: dict[str, LayerItem] = {}
    for item in layer_items(resources_in(template), type=type):
        assert item.id not in found, f"item {item.id} twice"
        found[item.id] = item
    return found


def item(template: Mapping[str, Any], item_id: str) -> LayerItem:
    """The item `item_id` (fails the test when there is none)."""
    found = items(template)
    assert item_id in found, f"no item {item_id}; items: {sorted(found)}"
    return found[item_id]


def items_under(template: Mapping[str, Any], prefix: str) -> dict[str, LayerItem]:
    """The items whose id is `prefix` or starts with ``prefix/``."""
    return {
        k: v for k, v in items(template).items() if k == prefix or k.startswith(prefix + "/")
    }


def layer_depends_on(template: Mapping[str, Any], item_id: str) -> list[str]:
    """``DependsOn`` of the layer resource that holds item `item_id`."""
    return depends_on(resources_in(template)[item(template, item_id).logical_id])


def waits_for(template: Mapping[str, Any], logical_id: str, other: str) -> bool:
    """Whether resource `logical_id` is created after resource `other`: `other` is in its
    ``DependsOn``, directly or through what that depends on."""
    resources = resources_in(template)
    seen: set[str] = set()
    todo = [logical_id]
    while todo:
        current = todo.pop()
        for dependency in depends_on(resources.get(current, {})):
            if dependency == other:
                return True
            if dependency not in seen:
                seen.add(dependency)
                todo.append(dependency)
    return False


def follows(template: Mapping[str, Any], later: str, earlier: str) -> bool:
    """Whether item `later` is applied after item `earlier`: same layer and `earlier` in its
    ``After`` (directly or through the items it follows), or its layer waits for
    `earlier`'s layer."""
    found = items(template)
    first, second = found[earlier], found[later]
    if first.logical_id != second.logical_id:
        return waits_for(template, second.logical_id, first.logical_id)
    seen: set[str] = set()
    todo = list(second.after)
    while todo:
        current = todo.pop()
        if current == earlier:
            return True
        if current not in seen and current in found:
            seen.add(current)
            todo.extend(found[current].after)
    return False


def manifest_text(template: Mapping[str, Any], item_id: str) -> str:
    """The ``Manifest`` of manifest item `item_id` as JSON text (for substring checks on
    references such as ``{"Ref": ...}`` inside an ``Fn::Join``)."""
    import json

    found = item(template, item_id)
    assert found.type == "manifest", found
    return json.dumps(found.properties["Manifest"])


# -- the dependency graph, for cycle checks ---------------------------------------------------

_SUB_NAME = re.compile(r"\$\{(?!!)([^}.]+)(?:\.[^}]*)?\}")


def references(value: Any) -> set[str]:
    """The logical ids (and pseudo parameters) `value` refers to: ``Ref``, ``Fn::GetAtt`` and
    the ``${Name}`` / ``${Name.Attr}`` of ``Fn::Sub`` (but not its own variables)."""
    found: set[str] = set()
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) else str(inner).split(".")[0]
                if isinstance(target, str):
                    found.add(target)
                else:
                    found |= references(target)
            elif key == "Fn::Sub":
                text, variables = (inner, {}) if isinstance(inner, str) else (inner[0], inner[1])
                found |= {n for n in _SUB_NAME.findall(text) if n not in variables}
                found |= references(variables)
            else:
                found |= references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= references(inner)
    return found


def dependency_graph(template: Mapping[str, Any]) -> dict[str, set[str]]:
    """Logical id -> the resources of the template it waits for: its ``DependsOn`` and the
    resources its ``Properties`` refer to (what CloudFormation orders creation by)."""
    resources = resources_in(template)
    graph: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        edges = set(depends_on(resource)) | references(resource.get("Properties", {}))
        graph[logical_id] = {e for e in edges if e in resources}
    return graph


def find_cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    """A cycle of `graph` as ``[a, b, ..., a]`` (each waits for the next), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if state.get(start):
            continue
        path = [start]
        iterators = [iter(sorted(graph.get(start, ())))]
        state[start] = 1
        while iterators:
            following = next(iterators[-1], None)
            if following is None:
                state[path.pop()] = 2
                iterators.pop()
                continue
            if state.get(following) == 1:
                return [*path[path.index(following) :], following]
            if not state.get(following):
                state[following] = 1
                path.append(following)
                iterators.append(iter(sorted(graph.get(following, ()))))
    return None
