"""Which environment files to synthesise, and the context `python app.py` needs.

Pure Python (no aws_cdk import), so that app.py can validate every selected file before
jsii starts: an invalid file costs a fraction of a second and creates nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from eks_blueprint.config import ConfigError
from eks_blueprint.config.pipeline import NOT_ENVIRONMENTS, environment_names

PROJECT_DIR = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_DIR / "config"
#: `-c env=<name>` names a file in config/: an environment name, never a path.
ENV_ARGUMENT = re.compile(r"[a-z][a-z0-9-]{0,19}")


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError([f"{path}: cannot read {what}: {str(exc).splitlines()[0]}"]) from None


def file_context(project_dir: Path = PROJECT_DIR) -> dict[str, Any]:
    """Context from cdk.json and cdk.context.json, as the CDK CLI would pass it.

    `python app.py` (tests, benchmarks) is not run through the CLI, so without this it
    would lose the feature flags and synthesise different templates than `cdk synth`.
    """
    context: dict[str, Any] = {}
    for name in ("cdk.json", "cdk.context.json"):
        path = project_dir / name
        if path.exists():
            data = _read_json(path, "the CDK settings")
            is_settings = name == "cdk.json" and isinstance(data, dict)
            found = data.get("context", {}) if is_settings else data
            if not isinstance(found, dict):
                raise ConfigError([f"{path}: the CDK context is not a JSON object"])
            context.update(found)
    return context


def cli_context(environ: Mapping[str, str]) -> dict[str, Any]:
    """Context the CDK CLI passes to the app (`-c key=value`), read without creating an App.

    The CLI sets CDK_CONTEXT_JSON, or names a file in CONTEXT_OVERFLOW_LOCATION_ENV when the
    context is large. Reading it directly lets app.py validate the configs before any App
    exists: an App created under the CLI creates cdk.out and synthesises at exit.
    """
    context: dict[str, Any] = {}
    overflow = environ.get("CONTEXT_OVERFLOW_LOCATION_ENV")
    if overflow and Path(overflow).exists():
        found = _read_json(Path(overflow), "the CDK context")
        context.update(found if isinstance(found, dict) else {})
    if environ.get("CDK_CONTEXT_JSON"):
        try:
            found = json.loads(environ["CDK_CONTEXT_JSON"])
        except ValueError:
            problem = "CDK_CONTEXT_JSON: not JSON; pass context as -c key=value"
            raise ConfigError([problem]) from None
        context.update(found if isinstance(found, dict) else {})
    return context


def selected(context: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The `env` and `config` context values, which must be text when given."""
    values: list[str | None] = []
    for key in ("env", "config"):
        value = context.get(key)
        if value is not None and not isinstance(value, str):
            raise ConfigError([f"-c {key}=...: expected text, got {json.dumps(value)[:60]}"])
        values.append(value or None)
    return values[0], values[1]


def selected_pipeline(context: Mapping[str, Any]) -> Path | None:
    """The `-c pipeline=<file>` context value, which must be text when given, and is given
    alone: the pipeline's waves name the environments, so `-c env`/`-c config` cannot also
    choose them."""
    value = context.get("pipeline")
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ConfigError([f"-c pipeline=...: expected text, got {json.dumps(value)[:60]}"])
    env, config = selected(context)
    if env or config:
        given = " and ".join(f"-c {k}" for k, v in (("env", env), ("config", config)) if v)
        raise ConfigError(
            [
                f"-c pipeline={value[:60]} with {given}: the pipeline file's waves choose the "
                f"environments; give -c pipeline alone (or {given} without it, to synthesise "
                "environments without the pipeline)"
            ]
        )
    return Path(value)


def pipeline_file_argument(path: Path, project_dir: Path = PROJECT_DIR) -> str:
    """How the pipeline's synth step names the file: relative to the repository root, since
    the step runs in a checkout of the repository. A file outside it cannot be found there."""
    try:
        return path.resolve().relative_to(project_dir.resolve()).as_posix()
    except ValueError:
        raise ConfigError(
            [
                f"-c pipeline={str(path)[:60]}: the file is outside the repository "
                f"({project_dir}); the pipeline's synth step reads it from the repository: "
                "keep it there, e.g. config/pipeline.yaml"
            ]
        ) from None


def config_paths(env: str | None, config: str | None, config_dir: Path = CONFIG_DIR) -> list[Path]:
    """`-c env=<name>` -> config/<name>.yaml; `-c config=<path>` -> that file; else every
    environment file of config/ (config/pipeline.yaml, the pipeline's file, is not one)."""
    if env and config:
        raise ConfigError(["give either -c env=<name> or -c config=<path>, not both"])
    if config:
        return [Path(config)]
    if env:
        path = config_dir / f"{env}.yaml"
        if not ENV_ARGUMENT.fullmatch(env) or env in NOT_ENVIRONMENTS or not path.exists():
            known = ", ".join(environment_names(config_dir)) or "none"
            shown = env if ENV_ARGUMENT.fullmatch(env) else repr(env)[:60]
            if env in NOT_ENVIRONMENTS and path.exists():
                problem = (
                    f"{path} is the pipeline's file, not an environment; synthesise the "
                    f"pipeline with -c pipeline={config_dir.name}/{path.name}"
                )
            else:
                problem = f"no file {path}"
            raise ConfigError([f"-c env={shown}: {problem}; environments: {known}"])
        return [path]
    paths = [config_dir / f"{name}.yaml" for name in environment_names(config_dir)]
    if not paths:
        raise ConfigError([f"{config_dir}: no environment files (*.yaml)"])
    return paths
