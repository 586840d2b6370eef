"""Load environment files: the only place that parses user input.

Every problem in a file is reported at once, one line each, naming the file, the field path
(or the line, for YAML-level problems), the bad value (shortened) and what is allowed, so a
user fixes a file in one go and never sees a traceback from pydantic, PyYAML or jsii.

YAML is read by a stricter loader than `yaml.safe_load`: a key that occurs twice in one
mapping (YAML keeps the last silently), a key that is not text (`2024-01-01:`, `1:`, `on:`),
aliases (`*name`, which can nest a value in itself or multiply it) and merge keys (`<<:`)
are refused, each naming its line.
"""

from __future__ import annotations

import datetime
import difflib
import json
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .base import FieldError, clip, format_path, odd_characters, short
from .environment import EnvironmentConfig

#: Larger numbers are refused before they reach json or pydantic (no config field needs one).
MAX_NUMBER = 10**18
#: YAML nested deeper than this is refused (PyYAML would hit Python's recursion limit).
MAX_DEPTH = 64


class ConfigError(Exception):
    """One or more configuration files are invalid; `problems` holds one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


if TYPE_CHECKING:  # for the type checker, a mixin of what a loader has
    _LoaderBase = yaml.SafeLoader
else:
    _LoaderBase = object


class _Strict(_LoaderBase):
    """What the strict loaders add to YAML's composer and safe constructor: it records,
    rather than silently accepts, what a config never needs. Mixed into a loader class that
    supplies the parser's events (`check_event`...), `Composer` and `SafeConstructor`."""

    problems: list[tuple[int, str]]
    _depth: int
    last_mark: yaml.Mark | None

    def _start(self) -> None:
        self.problems = []
        self._depth = 0
        self.last_mark = None

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.get_event()  # type: ignore[no-untyped-call]
            self.problems.append(
                (
                    event.start_mark.line + 1,
                    f"alias *{clip(event.anchor, 40)}: aliases are not allowed in "
                    "environment files (they can nest a value in itself or repeat it "
                    "unseen); write the value out",
                )
            )
            return yaml.ScalarNode("tag:yaml.org,2002:null", "", event.start_mark, event.end_mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise yaml.MarkedYAMLError(
                    problem=f"nested more than {MAX_DEPTH} levels deep", problem_mark=mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        self.last_mark = node.start_mark
        return super().construct_object(node, deep=deep)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise yaml.constructor.ConstructorError(
                None, None, f"expected a mapping, found a {node.id}", node.start_mark
            )
        mapping: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problems.append(
                    (
                        line,
                        "merge keys (<<) are not allowed in environment files; write the "
                        "fields out",
                    )
                )
                continue
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str):
                source = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                shown = short(source, 40) if source is not None else f"a {_kind_of(key)}"
                self.problems.append(
                    (
                        line,
                        f"the key {shown} is read by YAML as {_kind_of(key)}, not as a "
                        "field name; quote it if you mean the text, or remove it",
                    )
                )
                continue
            if key in first_line:
                self.problems.append(
                    (
                        line,
                        f"key {short(key)} appears a second time in this mapping (first "
                        f"on line {first_line[key]}); YAML would silently keep only the last "
                        "value: remove one",
                    )
                )
                continue
            first_line[key] = line
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        try:
            return super().construct_yaml_int(node)
        except ValueError:  # more digits than Python converts
            self.problems.append(
                (node.start_mark.line + 1, "a number with thousands of digits; no field needs one")
            )
            return 0


class _StrictLoader(_Strict, yaml.SafeLoader):
    """SafeLoader that records, rather than silently accepts, what a config never needs:
    PyYAML's pure-Python reader, scanner and parser, whose messages the errors repeat."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._start()


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _StrictLoader.construct_yaml_int)

try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without libyaml: every file takes the pure-Python path
    _FastStrictLoader: type[Any] | None = None
else:

    class _FastStrictLoaderType(
        _Strict, yaml.composer.Composer, CParser, yaml.constructor.SafeConstructor,
        yaml.resolver.Resolver,
    ):
        """`_StrictLoader` with libyaml's C reader, scanner and parser for the events: the
        same Python composer, constructor, resolver and checks, several times faster. Used
        only where it gives what `_StrictLoader` gives (see `_parse_yaml`)."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            yaml.composer.Composer.__init__(self)
            self._start()

    _FastStrictLoaderType.add_constructor(
        "tag:yaml.org,2002:int", _FastStrictLoaderType.construct_yaml_int
    )
    _FastStrictLoader = _FastStrictLoaderType

#: Characters that send a file to the pure-Python path: those PyYAML's reader refuses (its
#: message is the one reported), and those on which libyaml and PyYAML read some documents
#: differently: tabs, carriage returns, NEL and U+FEFF (libyaml accepts a tab inside a flow
#: mapping and skips U+FEFF at the start of any line; PyYAML does neither), `?` (libyaml
#: takes `a?b` in a flow collection as text, PyYAML refuses it) and `!` (an empty scalar
#: tagged `!` is "" to libyaml's events, None to PyYAML's). Config files have none of them.
_FAST_UNSAFE = re.compile(
    "[^\n\x20-\x20\x22-\x3e\x40-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd"
    "\U00010000-\U0010ffff]"
)
#: And sequences on which they differ: `#` right after a block scalar's `|` or `>` (and its
#: indicators) is a comment to libyaml, an error to PyYAML.
_FAST_UNSAFE_AT = re.compile(r"[|>][-+0-9]*#")


def _parse_yaml_fast(text: str) -> tuple[bool, Any]:
    """(True, data) if libyaml's parser reads `text` cleanly; (False, None) to take the
    pure-Python path instead.

    Only a clean read is kept: a document the C path refuses, or in which it finds anything
    `_Strict` records, is read again by `_StrictLoader`, so every refusal (syntax errors,
    aliases, duplicate and non-text keys, merge keys, huge numbers, odd characters, depth)
    carries PyYAML's own message and line, exactly as before. Over the characters it takes
    (`_FAST_UNSAFE`), libyaml 0.2.5 and PyYAML 6 give the same events for a document both
    accept.
    """
    if _FastStrictLoader is None or _FAST_UNSAFE.search(text) or _FAST_UNSAFE_AT.search(text):
        return False, None
    loader = _FastStrictLoader(text)
    try:
        data = loader.get_single_data()
    except Exception:  # any failure: PyYAML's path reports it
        return False, None
    finally:
        loader.dispose()
    if loader.problems:
        return False, None
    return True, data


def _parse_yaml(path: Path, text: str) -> Any:
    """The YAML document as Python data; ConfigError for anything _StrictLoader refuses."""
    clean, data = _parse_yaml_fast(text)
    if clean:
        return data
    try:
        loader = _StrictLoader(text)
    except yaml.reader.ReaderError as exc:  # the reader checks every character first
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        raise ConfigError(
            [
                f"{path}: line {line}: not valid YAML: the character {_char(exc.character)} is "
                "not allowed in a YAML file; remove it"
            ]
        ) from None
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = "; ".join(p for p in (exc.context, exc.problem) if p) or "unreadable"
        raise ConfigError([_one_line(f"{path}: {where}not valid YAML: {problem}")]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([_one_line(f"{path}: not valid YAML: {exc}")]) from None
    except RecursionError:
        raise ConfigError([f"{path}: not valid YAML: nested too deeply"]) from None
    except (ValueError, TypeError, AttributeError, KeyError, OverflowError) as exc:
        # PyYAML's constructors do not all check their input (e.g. `!!timestamp x`)
        mark = loader.last_mark
        where = f"line {mark.line + 1}: " if mark else ""
        raise ConfigError(
            [_one_line(f"{path}: {where}not valid YAML: cannot read a value ({short(str(exc))})")]
        ) from None
    finally:
        loader.dispose()
    if loader.problems:
        raise ConfigError(
            [_one_line(f"{path}: line {n}: {problem}") for n, problem in sorted(loader.problems)]
        )
    return data


def _char(character: int | str) -> str:
    code = character if isinstance(character, int) else ord(character[:1] or "\0")
    return f"U+{code:04X}"


def load_config(path: str | Path) -> EnvironmentConfig:
    """Parse and validate one environment file.

    Raises ConfigError naming every problem in the file.
    """
    return _load_model(Path(path), EnvironmentConfig, "name:, account:, ...")


M = TypeVar("M", bound=BaseModel)


def _load_model(path: Path, root: type[M], fields: str, *, show_byte: bool = True) -> M:
    """The YAML file at `path` validated as `root`; ConfigError naming every problem in it.
    `fields` hints at the top-level fields when the file is not a mapping; `show_byte`
    names the first byte that is not UTF-8."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found"]) from None
    except UnicodeDecodeError as exc:
        line = exc.object.count(b"\n", 0, exc.start) + 1
        byte = f" (byte 0x{exc.object[exc.start]:02x})" if show_byte else ""
        raise ConfigError(
            [f"{path}: line {line}: not UTF-8 text{byte}; save the file as UTF-8"]
        ) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read: {exc.strerror}"]) from None
    data = _parse_yaml(path, text)
    if not isinstance(data, dict):
        raise ConfigError(
            [f"{path}: line 1: expected a mapping of fields ({fields}), got {_kind(data)}"]
        )
    problems: list[str] = []
    plain = _json_ready(data, (), problems)
    if problems:
        raise ConfigError([_one_line(f"{path}: {p}") for p in problems])
    # Round-trip through JSON so that strict validation treats YAML like JSON input
    # (lists for tuples, strings for literals) while still refusing "3" for 3.
    try:
        return root.model_validate_json(json.dumps(plain))
    except ValidationError as exc:
        lines = dict.fromkeys(_describe(path, exc, plain, root))  # unique, in order
        raise ConfigError(_shorten_values(list(lines), plain)) from None


def _json_ready(value: Any, loc: tuple[str | int, ...], problems: list[str]) -> Any:
    """`value` as JSON data; what JSON cannot carry (dates, binary, sets, huge or non-finite
    numbers) and text with control characters become problems at their field path."""
    where = format_path(loc) or "(top level)"
    if isinstance(value, dict):
        for key in value:
            odd = odd_characters(key)
            if odd:
                problems.append(
                    f"{format_path((*loc, key))}: the key contains control or invisible "
                    f"characters ({', '.join(odd)}); remove them"
                )
        return {k: _json_ready(v, (*loc, k), problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v, (*loc, i), problems) for i, v in enumerate(value)]
    if isinstance(value, str):
        odd = [c for c in odd_characters(value) if c not in ("U+000A", "U+0009")]
        if odd or any(0xD800 <= ord(c) <= 0xDFFF for c in value):
            found = ", ".join(odd) or "a lone surrogate"
            problems.append(
                f"{where}: contains control or invisible characters ({found}) "
                f"(got {short(value)}); remove them"
            )
        return value
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        if abs(value) > MAX_NUMBER:
            problems.append(f"{where}: the number is far larger than any field accepts")
            return None
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            problems.append(f"{where}: got {value}, expected a finite number")
            return None
        return value
    if isinstance(value, (datetime.date, datetime.datetime)):
        problems.append(
            f"{where}: got the date {value.isoformat()}, which YAML reads as a date, not as "
            "text; put it in quotes if you mean text"
        )
        return None
    problems.append(
        f"{where}: got a YAML {type(value).__name__} value, which no field accepts; use text, "
        "a number, true/false, a list or a mapping"
    )
    return None


def load_configs(paths: Iterable[str | Path]) -> list[EnvironmentConfig]:
    """Load several files, reporting the problems of all of them together."""
    loaded: list[tuple[Path, EnvironmentConfig]] = []
    problems: list[str] = []
    for path in paths:
        try:
            loaded.append((Path(path), load_config(path)))
        except ConfigError as exc:
            problems.extend(exc.problems)
    first: dict[str, Path] = {}
    for path, config in loaded:
        if config.name in first:
            problems.append(
                f"{path}: name: environment name {config.name!r} is also used by "
                f"{first[config.name]}; each file needs its own name"
            )
        first.setdefault(config.name, path)
    files = {config.name: path for path, config in reversed(loaded)}
    problems.extend(
        f"{', '.join(str(files[n]) for n in dict.fromkeys(names))}: {problem}"
        for names, problem in _account_wide_clashes([c for _, c in loaded])
    )
    if problems:
        raise ConfigError(problems)
    return [config for _, config in loaded]


def _account_wide_clashes(
    configs: Sequence[EnvironmentConfig],
) -> list[tuple[list[str], str]]:
    """Account-level resources two environments in one account and region cannot share:
    GuardDuty allows one detector per account and region, ECR one repository per name.
    Each problem comes with the environments it involves, so it can name their files."""
    problems: list[tuple[list[str], str]] = []
    spot_creators: dict[str, list[str]] = {}
    for config in configs:
        if config.security.spot_service_linked_role == "create":
            spot_creators.setdefault(config.account, []).append(config.name)
    for account, names in spot_creators.items():
        if len(names) > 1:
            problems.append(
                (
                    names,
                    f"security.spot_service_linked_role: 'create' in environments "
                    f"{', '.join(names)}, which share account {account}; a service-linked role "
                    "exists once per account (IAM is global): keep 'create' in one and set "
                    "'existing' in the others",
                )
            )
    by_place: dict[tuple[str, str], list[EnvironmentConfig]] = {}
    for config in configs:
        by_place.setdefault((config.account, config.region), []).append(config)
    for (account, region), group in by_place.items():
        creators = [c.name for c in group if c.security.guardduty.mode == "create"]
        if len(creators) > 1:
            problems.append(
                (
                    creators,
                    f"security.guardduty.mode: 'create' in environments {', '.join(creators)}, "
                    f"which share account {account} and region {region}; GuardDuty allows one "
                    "detector per account and region: keep 'create' in one and set 'existing' "
                    "in the others",
                )
            )
        scanners = [c.name for c in group if c.security.enhanced_scanning is not None]
        if len(scanners) > 1:
            problems.append(
                (
                    scanners,
                    f"security.enhanced_scanning: set in environments {', '.join(scanners)}, "
                    f"which share account {account} and region {region}; ECR has one registry "
                    "scanning configuration per account and region: set it in one environment",
                )
            )
        owners: dict[str, str] = {}
        for config in group:
            for registry in config.security.registries:
                if registry.name in owners:
                    problems.append(
                        (
                            [owners[registry.name], config.name],
                            f"security.registries: repository {registry.name!r} is in "
                            f"environments {owners[registry.name]} and {config.name}, which share "
                            f"account {account} and region {region}; define it in one of them",
                        )
                    )
                owners.setdefault(registry.name, config.name)
    return problems


#: What a type error expected, by pydantic error type.
_EXPECTED = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "float_type": "a number",
    "list_type": "a list",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping of fields",
    "model_attributes_type": "a mapping of fields",
}


def _describe(
    path: Path, exc: ValidationError, data: Any, root: type[BaseModel] = EnvironmentConfig
) -> Iterable[str]:
    """One line per error of `exc`; an unknown field lists the fields of `root`'s model at
    its place."""
    for error in exc.errors(include_url=False):
        raw_loc = _clean_loc(error["loc"])
        cause = (error.get("ctx") or {}).get("error")
        message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if isinstance(cause, FieldError):  # a model's rule about one of its fields
            raw_loc = (*raw_loc, *cause.field)
            message = cause.message
        is_key = len(raw_loc) >= 2 and raw_loc[-1] == "[key]"
        key = raw_loc[-2] if is_key else None
        if is_key:  # a dict key is refused: name the mapping, then the key
            raw_loc = raw_loc[:-2]
        where = f"{path}: {format_path(raw_loc) or '(top level)'}"
        kind = error["type"]
        value = _value_at(data, raw_loc) if isinstance(cause, FieldError) else error.get("input")
        if is_key:
            yield _one_line(f"{where}: the key {short(key)}: {message}")
        elif kind == "extra_forbidden":
            allowed = _allowed_fields(raw_loc[:-1], root)
            hint = difflib.get_close_matches(str(raw_loc[-1])[:100], allowed, n=1)
            suggestion = f"did you mean '{hint[0]}'? " if hint else ""
            yield f"{where}: unknown field; {suggestion}allowed fields here: {', '.join(allowed)}"
        elif kind == "missing":
            yield f"{where}: required field is missing; add it"
        elif kind in _EXPECTED:
            yield f"{where}: got {_what(value)}, expected {_EXPECTED[kind]}{_hint(kind, value)}"
        else:
            shown = (
                ""
                if isinstance(value, (dict, list)) or value is _ABSENT
                else f" (got {_yaml_text(value)})"
            )
            yield _one_line(f"{where}: {message}{shown}{_literal_hint(kind, value)}")


def _yaml_text(value: Any) -> str:
    """A scalar as the user wrote it in YAML: true/false/null, not Python's True/None."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return short(value)


def _literal_hint(kind: str, value: Any) -> str:
    """A choice of texts given an unquoted number (`file_system_type_version: 2.10`, which
    YAML reads as 2.1): the fix is the quotes, not another value."""
    if kind == "literal_error" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return (
            "; YAML read an unquoted number: put the value in quotes exactly as you mean it "
            '(e.g. "2.10"; YAML reads an unquoted 2.10 as 2.1)'
        )
    return ""


def _hint(kind: str, value: Any) -> str:
    if value is None:
        return "; the key is there but has no value: give one, or remove the key"
    if kind == "string_type" and isinstance(value, bool):
        return (
            f"; YAML reads an unquoted {'true' if value else 'false'} (also yes/no/on/off) as "
            "a boolean: put the value in quotes if you mean the text"
        )
    if kind == "string_type" and isinstance(value, (int, float)):
        return (
            "; put the value in quotes exactly as you mean it (YAML reads an unquoted 1.30 as 1.3)"
        )
    if isinstance(value, str) and kind in ("int_type", "bool_type", "float_type"):
        return "; remove the quotes"
    return ""


def _what(value: Any) -> str:
    """How a JSON value reads in a message: `true`, `the number 3`, `the text 'x'`, ..."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"the number {short(value)}"
    if isinstance(value, str):
        return f"the text {short(value)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "a value"


#: Union and validator wrappers pydantic puts into error locations; not field names.
_WRAPPERS = (
    "function-",
    "literal[",
    "json-or-python",
    "constrained-",
    "lax-",
    "strict-",
    "nullable[",
    "list[",
    "dict[",
    "union[",
    "tagged-union[",
)
_TYPE_TAGS = frozenset({"str", "int", "bool", "float", "list", "dict", "none"})


def _clean_loc(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    return tuple(
        part
        for part in loc
        if isinstance(part, int) or not (part.startswith(_WRAPPERS) or part in _TYPE_TAGS)
    )


_ABSENT = object()


def _value_at(data: Any, loc: Sequence[str | int]) -> Any:
    """The raw value at `loc` in the file's data, or _ABSENT."""
    node = data
    for part in loc:
        in_dict = isinstance(node, dict) and isinstance(part, str) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if not (in_dict or in_list):
            return _ABSENT
        node = node[part]
    return node


def _shorten_values(problems: list[str], data: Any) -> list[str]:
    """Cut long values and keys of the file to ~60 characters wherever a message repeats
    them: validators interpolate values, and no line should echo 10,000 characters."""
    long_texts: set[str] = set()

    def collect(value: Any) -> None:
        if isinstance(value, str) and len(value) > 60:
            long_texts.add(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                collect(key)
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    collect(data)
    out = []
    for problem in problems:
        for text in sorted(long_texts, key=len, reverse=True):
            if text[:30] in problem or repr(text)[:30] in problem:
                problem = problem.replace(repr(text), short(text)).replace(text, short(text))
        out.append(_one_line(problem))
    return out


def _one_line(text: str) -> str:
    """One printable line: newlines, control and bidirectional characters escaped."""
    return "".join(
        c if c == " " or c.isprintable() else c.encode("unicode_escape").decode("ascii")
        for c in text
    )


def _allowed_fields(
    loc: tuple[int | str, ...], root: type[BaseModel] = EnvironmentConfig
) -> list[str]:
    """The field names of the model at `loc` in `root`, for "did you mean" hints."""
    model: type[BaseModel] | None = root
    for part in loc:
        if model is None:
            break
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            model = None
            break
        model = _model_of(field.annotation)
    return sorted(model.model_fields) if model else []


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _kind(value: Any) -> str:
    return "an empty file" if value is None else f"a {_kind_of(value)}"


def _kind_of(value: Any) -> str:
    names = {
        bool: "true/false",
        int: "number",
        float: "number",
        type(None): "null",
        list: "list",
        dict: "mapping",
        str: "text",
        datetime.date: "date",
        datetime.datetime: "date and time",
        tuple: "list",
    }
    return names.get(type(value), type(value).__name__)
