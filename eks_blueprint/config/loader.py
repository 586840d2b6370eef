"""Load environment files: the only place that parses user input.

Every problem in a file is reported at once, one line each, naming the file, the field path,
the bad value and what is allowed, so a user fixes a file in one go and never sees a
traceback from pydantic, PyYAML or jsii.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .environment import EnvironmentConfig


class ConfigError(Exception):
    """One or more configuration files are invalid; `problems` holds one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def load_config(path: str | Path) -> EnvironmentConfig:
    """Parse and validate one environment file.

    Raises ConfigError naming every problem in the file.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read: {exc.strerror}"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([f"{path}: {where}not valid YAML: {problem}"]) from None
    if not isinstance(data, dict):
        raise ConfigError(
            [f"{path}: expected a mapping of fields (name:, account:, ...), got {_kind(data)}"]
        )
    # Round-trip through JSON so that strict validation treats YAML like JSON input
    # (lists for tuples, strings for literals) while still refusing "3" for 3.
    try:
        return EnvironmentConfig.model_validate_json(json.dumps(data, default=str))
    except ValidationError as exc:
        raise ConfigError(list(_describe(path, exc, data))) from None


def load_configs(paths: Iterable[str | Path]) -> list[EnvironmentConfig]:
    """Load several files, reporting the problems of all of them together."""
    configs: list[EnvironmentConfig] = []
    problems: list[str] = []
    for path in paths:
        try:
            configs.append(load_config(path))
        except ConfigError as exc:
            problems.extend(exc.problems)
    names: dict[str, int] = {}
    for config in configs:
        names[config.name] = names.get(config.name, 0) + 1
    problems.extend(
        f"environment name {name!r} is used by {count} files; each file needs its own name"
        for name, count in names.items()
        if count > 1
    )
    problems.extend(_account_wide_clashes(configs))
    if problems:
        raise ConfigError(problems)
    return configs


def _account_wide_clashes(configs: Sequence[EnvironmentConfig]) -> list[str]:
    """Account-level resources two environments in one account and region cannot share:
    GuardDuty allows one detector per account and region, ECR one repository per name."""
    problems: list[str] = []
    spot_creators: dict[str, list[str]] = {}
    for config in configs:
        if config.security.spot_service_linked_role == "create":
            spot_creators.setdefault(config.account, []).append(config.name)
    for account, names in spot_creators.items():
        if len(names) > 1:
            problems.append(
                f"security.spot_service_linked_role is 'create' in environments "
                f"{', '.join(names)}, which share account {account}; a service-linked role "
                "exists once per account (IAM is global): keep 'create' in one and set "
                "'existing' in the others"
            )
    by_place: dict[tuple[str, str], list[EnvironmentConfig]] = {}
    for config in configs:
        by_place.setdefault((config.account, config.region), []).append(config)
    for (account, region), group in by_place.items():
        creators = [c.name for c in group if c.security.guardduty.mode == "create"]
        if len(creators) > 1:
            problems.append(
                f"security.guardduty.mode is 'create' in environments {', '.join(creators)}, "
                f"which share account {account} and region {region}; GuardDuty allows one "
                "detector per account and region: keep 'create' in one and set 'existing' "
                "in the others"
            )
        scanners = [c.name for c in group if c.security.enhanced_scanning is not None]
        if len(scanners) > 1:
            problems.append(
                f"security.enhanced_scanning is set in environments {', '.join(scanners)}, "
                f"which share account {account} and region {region}; ECR has one registry "
                "scanning configuration per account and region: set it in one environment"
            )
        owners: dict[str, str] = {}
        for config in group:
            for registry in config.security.registries:
                if registry.name in owners:
                    problems.append(
                        f"security.registries: repository {registry.name!r} is in "
                        f"environments {owners[registry.name]} and {config.name}, which share "
                        f"account {account} and region {region}; define it in one of them"
                    )
                owners.setdefault(registry.name, config.name)
    return problems


def _describe(path: Path, exc: ValidationError, data: Any) -> Iterable[str]:
    for error in exc.errors(include_url=False):
        loc = _format_loc(error["loc"])
        kind = error["type"]
        value = error.get("input")
        where = f"{path}: {loc}" if loc else f"{path}"
        if kind == "extra_forbidden":
            allowed = _allowed_fields(error["loc"][:-1])
            hint = difflib.get_close_matches(str(error["loc"][-1]), allowed, n=1)
            suggestion = f"did you mean '{hint[0]}'? " if hint else ""
            yield (f"{where}: unknown field; {suggestion}allowed fields here: {', '.join(allowed)}")
        elif kind == "missing":
            yield f"{where}: required field is missing"
        elif kind == "string_type" and isinstance(value, (int, float)):
            yield (
                f"{where}: got the number {value!r}, expected text; put the value in quotes "
                "exactly as you mean it (YAML reads an unquoted 1.30 as 1.3)"
            )
        elif kind in ("int_type", "bool_type", "float_type") and isinstance(value, str):
            expected = {"int_type": "a whole number", "bool_type": "true or false"}.get(
                kind, "a number"
            )
            yield f"{where}: got the text {value!r}, expected {expected}; remove the quotes"
        else:
            message = error["msg"].removeprefix("Value error, ")
            shown = "" if isinstance(value, dict) else f" (got {_short(value)})"
            yield f"{where}: {message}{shown}"


def _format_loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith(("function-after", "literal", "json-or-python")):
            continue
        else:
            out += f".{part}" if out else part
    return out


def _allowed_fields(loc: tuple[int | str, ...]) -> list[str]:
    """The field names of the model at `loc`, for "did you mean" hints."""
    model: type[BaseModel] | None = EnvironmentConfig
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
    return "an empty file" if value is None else f"a {type(value).__name__}"


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
