"""Kyverno compiles policy CEL with type checking and homogeneous aggregate literals
(kyverno v1.19.0 pkg/cel/compiler/env.go: cel.HomogeneousAggregateLiterals): a list or map
literal whose elements are of different literal kinds (a string next to a list) is refused
when the policy is applied, which the offline evaluator (cel-python, untyped) cannot see.
This test walks every expression of every policy and refuses such literals; values of mixed
kinds must be wrapped in dyn()."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from celpy.celparser import CELParser
from lark import Tree

from eks_blueprint.governance.policies import policy_manifests
from eks_blueprint.governance.spec import PolicySet, TenantRules

POLICIES = PolicySet(
    allowed_registries=("public.ecr.aws/nginx/",),
    tenants=(
        TenantRules(name="payments", dedicated=True, priority_class="tenant-gold",
                    allowed_priority_classes=("tenant-silver",)),
        TenantRules(name="batch", pod_security="baseline", priority_class="tenant-bronze"),
    ),
)  # fmt: skip


def expressions(node: Any) -> Iterator[str]:
    """Every CEL string of a policy object: values of keys `expression` and the patch
    expressions of MutatingPolicies."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "expression" and isinstance(value, str):
                yield value
            else:
                yield from expressions(value)
    elif isinstance(node, list):
        for item in node:
            yield from expressions(item)


def kind(expr: Tree) -> str:
    """The literal kind of an expression when it is a bare literal (string, int, list, map),
    else `other` (a call such as dyn(), a variable, an operator: type-checked elsewhere)."""
    node = expr
    while (
        isinstance(node, Tree)
        and len(node.children) == 1
        and node.data not in ("list_lit", "map_lit", "literal")
    ):
        node = node.children[0]
    if isinstance(node, Tree) and node.data in ("list_lit", "map_lit"):
        return node.data
    if isinstance(node, Tree) and node.data == "literal":
        token = str(node.children[0])
        return "string" if token[:1] in "'\"" or token[:2] in ("r'", 'r"') else "number"
    return "other"


def mixed_literals(tree: Tree) -> list[str]:
    found = []
    for node in tree.iter_subtrees():
        if node.data == "mapinits":
            values = node.children[1::2]
        elif node.data == "list_lit" and node.children and isinstance(node.children[0], Tree):
            values = node.children[0].children  # its exprlist (not a call's arguments)
        else:
            continue
        kinds = {kind(v) for v in values} - {"other"}
        if len(kinds) > 1:
            found.append(f"{node.data}: {sorted(kinds)}")
    return found


@pytest.mark.parametrize(
    "manifest", policy_manifests(POLICIES), ids=lambda m: m["metadata"]["name"]
)
def test_no_policy_literal_mixes_kinds(manifest: dict[str, Any]) -> None:
    parser = CELParser()
    for expression in expressions(manifest["spec"]):
        assert not mixed_literals(parser.parse(expression)), expression


def test_the_check_finds_a_mixed_map() -> None:
    parser = CELParser()
    assert mixed_literals(parser.parse("{'key': 'a', 'values': ['x']}"))
    assert not mixed_literals(parser.parse("{'key': dyn('a'), 'values': dyn(['x'])}"))
    assert mixed_literals(parser.parse("['a', ['b']]"))
