"""What a plan reads: one environment's config and the stacks it synthesised to.

A plan is a pure function of :class:`PlanInputs`. :func:`load_inputs` builds them from a
config directory and a cloud assembly (``cdk.out``), and refuses, with the command that
fixes it, an assembly that has no stage for the environment or that was synthesised from a
different version of the file (cluster name or Kubernetes version differ).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import ConfigError, EnvironmentConfig, load_config
from ..template import Assembly, AssemblyError, StackTemplate, load_assembly


class PlanInputError(Exception):
    """The config or the assembly cannot be planned; the message says which file and the fix."""


@dataclass(frozen=True)
class PlanInputs:
    """One environment: its validated config and the stacks of its stage in the assembly."""

    env: str
    config: EnvironmentConfig
    config_path: Path
    stacks: tuple[StackTemplate, ...]
    """Every stack of the environment's stage, nested CloudFormation stacks included."""
    assembly_path: Path

    def resources(self, *types: str) -> Iterator[tuple[StackTemplate, str, dict[str, Any]]]:
        """(stack, logical id, resource) of every resource of one of `types` (all if none)."""
        for stack in self.stacks:
            for logical_id, resource in stack.resources.items():
                if not types or resource.get("Type") in types:
                    yield stack, logical_id, resource

    def properties(self, *types: str) -> Iterator[tuple[StackTemplate, str, dict[str, Any]]]:
        """(stack, logical id, Properties) of every resource of one of `types`."""
        for stack, logical_id, resource in self.resources(*types):
            yield stack, logical_id, resource.get("Properties") or {}


def stage_stacks(stacks: Any, env: str) -> tuple[StackTemplate, ...]:
    """The stacks whose CDK Stage is `env` (``dev``, or ``<pipeline>/dev`` in the pipeline
    app), in the assembly's order."""
    return tuple(s for s in stacks if s.stage == env or s.stage.endswith(f"/{env}"))


def load_inputs(
    env: str, config_dir: str | Path = "config", assembly: str | Path | Assembly = "cdk.out"
) -> PlanInputs:
    """Load `config_dir/<env>.yaml` and the stage `env` of `assembly` (a cdk.out directory,
    or an assembly already loaded, as the review has both of its own).

    Raises PlanInputError naming the file and the fix: no such file, an invalid config (every
    problem listed), no assembly or no stage for `env` (synthesise it first), or an assembly
    older than the config.
    """
    config_path = Path(config_dir) / f"{env}.yaml"
    if not config_path.is_file():
        known = sorted(p.stem for p in Path(config_dir).glob("*.yaml") if p.stem != "pipeline")
        hint = f"; environments there: {', '.join(known)}" if known else ""
        raise PlanInputError(f"{config_path}: no such environment file{hint}")
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        raise PlanInputError("\n".join(exc.problems)) from None
    synth_hint = f"run `make synth ENV={env}` (or `bin/cdk synth --no-lookups -c env={env}`)"
    if isinstance(assembly, Assembly):
        loaded = assembly
    else:
        try:
            loaded = load_assembly(assembly)
        except AssemblyError as exc:
            raise PlanInputError(f"{exc}; {synth_hint}") from None
    stacks = stage_stacks(loaded.stacks.values(), env)
    if not stacks:
        raise PlanInputError(
            f"{loaded.path}: the assembly has no stage {env!r}; {synth_hint} first"
        )
    inputs = PlanInputs(
        env=env,
        config=config,
        config_path=config_path,
        stacks=stacks,
        assembly_path=loaded.path,
    )
    _check_fresh(inputs, synth_hint)
    return inputs


def _check_fresh(inputs: PlanInputs, synth_hint: str) -> None:
    """Refuse an assembly synthesised from another version of the config: a plan of a stale
    template would answer for infrastructure nobody is about to deploy."""
    clusters = [p for _, _, p in inputs.properties("AWS::EKS::Cluster")]
    if not clusters:
        raise PlanInputError(
            f"{inputs.assembly_path}: stage {inputs.env!r} has no AWS::EKS::Cluster; {synth_hint}"
        )
    cluster = clusters[0]
    want = {"Name": inputs.config.cluster.name, "Version": inputs.config.cluster.version}
    for key, value in want.items():
        found = cluster.get(key)
        if isinstance(found, str) and found != value:
            raise PlanInputError(
                f"{inputs.assembly_path}: stage {inputs.env!r} was synthesised with cluster "
                f"{key} {found!r} but {inputs.config_path} says {value!r}; the assembly is "
                f"older than the config: {synth_hint}"
            )
