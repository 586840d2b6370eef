"""`check_field_types`: a props dataclass's values against their annotations, each simple type
case, nested and indexed names, the types it skips, and bool-vs-int."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Protocol

import pytest

from eks_blueprint import validate_names as v


class Shape(Protocol):
    def area(self) -> float: ...


class Opaque:
    """A class the check knows nothing about (stands for jsii/aws_cdk classes)."""


@dataclass(frozen=True, kw_only=True)
class Rule:
    port: int
    protocol: Literal["tcp", "udp"] = "tcp"
    description: str | None = None


@dataclass(frozen=True, kw_only=True)
class Group:
    name: str
    rules: Sequence[Rule] = ()
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Props:
    flag: bool = False
    count: int = 1
    ratio: float = 0.5
    name: str = "a"
    optional: int | None = None
    mode: Literal["on", "off"] = "on"
    version: Literal["1.0", "2.5"] = "1.0"
    names: Sequence[str] = ()
    listed: list[int] = field(default_factory=list)
    tupled: tuple[str, ...] = ()
    pair: tuple[int, str] = (1, "a")
    mapping: Mapping[str, int] = field(default_factory=dict)
    plain_dict: dict[str, Any] = field(default_factory=dict)
    groups: Sequence[Group] = ()
    single: Group | None = None
    either: int | str = 0
    annotated: Annotated[int, "meta"] = 0
    # Skipped: not checked, whatever the value.
    opaque: Opaque | None = None
    mixed: str | Opaque = "a"
    shape: Shape | None = None
    callback: Callable[[int], int] | None = None
    anything: Any = None
    opaques: Sequence[Opaque] = ()
    unknown_generic: frozenset[int] = frozenset()


def refusal(**values: Any) -> v.PropError:
    with pytest.raises(v.PropError) as caught:
        v.check_field_types("Stack/Thing", Props(**values), "ThingProps")
    return caught.value


def test_defaults_and_good_values_pass() -> None:
    v.check_field_types("Stack/Thing", Props())
    v.check_field_types(
        "Stack/Thing",
        Props(
            flag=True, count=3, ratio=2, name="b", optional=4, mode="off", names=["x"],
            listed=[1, 2], tupled=("a", "b"), pair=(2, "b"), mapping={"k": 1},
            plain_dict={"k": [1]}, either="s", annotated=5,
            groups=[Group(name="g", rules=[Rule(port=1, protocol="udp")], labels={"a": "b"})],
            single=Group(name="s"),
        ),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("values", "prop", "fix"),
    [
        ({"flag": "yes"}, "ThingProps.flag", "expected bool, got str: use a bool, True or False"),
        ({"flag": 1}, "ThingProps.flag", "expected bool, got int"),
        ({"count": True}, "ThingProps.count", "a bool is not a number here"),
        ({"count": "2"}, "ThingProps.count", "expected int, got str: use an int, e.g. 2"),
        ({"count": 2.0}, "ThingProps.count", "use an int, e.g. 2"),
        ({"ratio": "0.7"}, "ThingProps.ratio", "expected float, got str: use a number, e.g. 0.7"),
        ({"ratio": False}, "ThingProps.ratio", "expected float, got bool"),
        ({"name": 5}, "ThingProps.name", "expected str, got int: use a str, e.g. '5'"),
        ({"optional": "3"}, "ThingProps.optional", "expected int | None, got str"),
        ({"mode": 1}, "ThingProps.mode", "expected 'on' | 'off', got int: use one of 'on', 'off'"),
        ({"mode": True}, "ThingProps.mode", "got bool"),
        ({"version": 2.5}, "ThingProps.version", "one of '1.0', '2.5' (as text ('2.5'))"),
        ({"names": "abc"}, "ThingProps.names", "e.g. ['abc'] (a str is not a list of str)"),
        ({"names": ["a", 1]}, "ThingProps.names[1]", "expected str, got int"),
        ({"listed": {1, 2}}, "ThingProps.listed", "expected list[int], got set"),
        ({"tupled": ("a", None)}, "ThingProps.tupled[1]", "expected str, got None"),
        ({"pair": (1,)}, "ThingProps.pair", "use a tuple of 2: (int, str)"),
        ({"pair": (1, 2)}, "ThingProps.pair[1]", "expected str, got int"),
        ({"mapping": [("k", 1)]}, "ThingProps.mapping", "use a dict of str to int"),
        ({"mapping": {"k": "1"}}, "ThingProps.mapping['k']", "expected int, got str"),
        ({"mapping": {1: 1}}, "ThingProps.mapping key 1", "expected str, got int"),
        ({"groups": [{"name": "g"}]}, "ThingProps.groups[0]", "use a Group(...), not a dict"),
        ({"groups": [[]]}, "ThingProps.groups[0]", "expected Group, got list: use a Group(...)"),
        ({"groups": Group(name="g")}, "ThingProps.groups", "expected Sequence[Group], got Group"),
        ({"groups": [Group(name=1)]}, "ThingProps.groups[0].name", "expected str, got int"),
        (
            {"groups": [Group(name="g"), Group(name="h", rules=[Rule(port="5432")])]},
            "ThingProps.groups[1].rules[0].port",
            "use an int, e.g. 5432",
        ),
        (
            {"groups": [Group(name="g", labels={"a": 1})]},
            "ThingProps.groups[0].labels['a']",
            "expected str, got int",
        ),
        ({"single": Group(name="s", rules=[{}])}, "ThingProps.single.rules[0]", "Rule(...)"),
        ({"single": "s"}, "ThingProps.single", "expected Group | None, got str"),
        ({"either": None}, "ThingProps.either", "expected int | str, got None"),
        ({"annotated": "1"}, "ThingProps.annotated", "expected int, got str"),
    ],
)
def test_refusals_name_the_field_the_value_and_the_fix(
    values: dict[str, Any], prop: str, fix: str
) -> None:
    error = refusal(**values)
    assert error.path == "Stack/Thing"
    assert error.prop == prop
    assert fix in str(error)
    assert str(error).startswith(f"Stack/Thing: {prop} = ")


def test_the_value_shown_is_the_bad_one() -> None:
    error = refusal(groups=[Group(name="g", rules=[Rule(port="80")])])
    assert error.value == "80"
    assert "ThingProps.groups[0].rules[0].port = '80'" in str(error)


def test_the_name_defaults_to_the_class_name() -> None:
    with pytest.raises(v.PropError, match=r"Props\.count = 'x'"):
        v.check_field_types("Stack/Thing", Props(count="x"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "values",
    [
        {"opaque": "not an Opaque"},
        {"mixed": 5},
        {"shape": 3},
        {"callback": "not callable"},
        {"anything": object()},
        {"opaques": ["x", 1]},
        {"unknown_generic": "abc"},
    ],
)
def test_unknown_types_are_never_refused(values: dict[str, Any]) -> None:
    v.check_field_types("Stack/Thing", Props(**values))


def test_a_literal_value_of_the_right_type_is_the_constructs_to_check() -> None:
    """Which values a Literal takes is checked by the construct, which says why (e.g. use a
    managed node group for Windows); the helper checks the type only."""
    v.check_field_types("Stack/Thing", Props(mode="maybe"))  # type: ignore[arg-type]


def test_bool_and_int_are_told_apart() -> None:
    assert refusal(flag=0).prop == "ThingProps.flag"
    assert refusal(count=False).prop == "ThingProps.count"
    assert refusal(optional=True).prop == "ThingProps.optional"
    v.check_field_types("Stack/Thing", Props(flag=False, count=0, ratio=1))


def test_unresolvable_annotations_are_skipped() -> None:
    @dataclass(frozen=True)
    class Later:
        known: int = 0
        missing: NotImportedAnywhere = None  # type: ignore[name-defined]  # noqa: F821

    v.check_field_types("S", Later(missing="anything"))
    with pytest.raises(v.PropError, match=r"Later\.known"):
        v.check_field_types("S", Later(known="1"))  # type: ignore[arg-type]


def test_cdk_tokens_pass() -> None:
    from aws_cdk import Token

    v.check_field_types(
        "Stack/Thing",
        Props(
            name=Token.as_string(Token.as_any("x")),
            count=Token.as_number(Token.as_any(3)),  # type: ignore[arg-type]
            ratio=Token.as_number(Token.as_any(0.5)),
            mode=Token.as_string(Token.as_any("on")),  # type: ignore[arg-type]
            names=Token.as_list(Token.as_any(["a"])),
        ),
    )
