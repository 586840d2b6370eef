"""Read a synthesised cloud assembly (a cdk.out directory) as plain JSON.

An assembly's `manifest.json` lists artifacts: `aws:cloudformation:stack` (a template file)
and `cdk:cloud-assembly` (a nested assembly, one per CDK Stage, in `assembly-<stage>/`).
Nested CloudFormation stacks (`AWS::CloudFormation::Stack` resources) point at their own
template files in the same directory. cdk-nag 3 (a policy-validation plugin) writes
`validation-report.json` next to the manifest.

The review, the nag command line and preflight read assemblies through :func:`load_assembly`;
:func:`views_of` turns its stacks into :class:`~eks_blueprint.template.view.TemplateView`
objects that follow references between them. Nothing here imports aws_cdk.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .view import ExportIndex, TemplateView

STACK_ARTIFACT = "aws:cloudformation:stack"
NESTED_ASSEMBLY_ARTIFACT = "cdk:cloud-assembly"
NESTED_STACK_TYPE = "AWS::CloudFormation::Stack"
VALIDATION_REPORT = "validation-report.json"
_HASH = re.compile(r"[0-9a-f]{64}")


class AssemblyError(Exception):
    """The directory is not a readable cloud assembly; the message is one line for the user."""


@dataclass
class StackTemplate:
    """One deployed stack (or nested stack) and its template."""

    stage: str
    """Path of the CDK Stage the stack belongs to, e.g. `dev`; empty for top-level stacks."""
    name: str
    """CloudFormation stack name; for a nested stack `<parent>/<logical id of the nested stack>`."""
    region: str | None
    """The stack's region, when the assembly names one (used to pick registry schemas)."""
    template: dict[str, Any]
    """The template JSON."""
    display_name: str = ""
    """The artifact's display name in the manifest (``<stage>/<stack id>``), else its id; for
    a nested stack the same as :attr:`name`."""
    template_path: Path | None = None
    """The template file, when read from disk."""
    tags: dict[str, str] = field(default_factory=dict)
    """Stack-level tags from the manifest (CloudFormation propagates them to resources)."""
    nested: bool = False
    """True for the template of an ``AWS::CloudFormation::Stack`` resource."""
    termination_protection: bool | None = None
    """The stack's termination protection, from the manifest's
    ``properties.terminationProtection`` (it is a stack setting, not part of the template);
    None when the manifest does not say (nested stacks, hand-made assemblies)."""

    @property
    def key(self) -> tuple[str, str]:
        """How a stack is matched between BASE and HEAD."""
        return (self.stage, self.name)

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        """Logical id -> resource definition."""
        resources: dict[str, dict[str, Any]] = self.template.get("Resources") or {}
        return resources


@dataclass(frozen=True)
class Artifact:
    """One artifact of a manifest, whatever its type (stacks, asset manifests, nested
    assemblies): what preflight reads (``requiresBootstrapStackVersion``...)."""

    id: str
    type: str
    environment: str | None
    """``aws://<account>/<region>`` as the manifest writes it, or None."""
    properties: dict[str, Any]
    directory: Path


@dataclass
class Assembly:
    """Every stack of an assembly, nested assemblies and nested stacks included."""

    path: Path
    stacks: dict[tuple[str, str], StackTemplate] = field(default_factory=dict)
    validation_reports: list[dict[str, Any]] = field(default_factory=list)
    artifacts: list[Artifact] = field(default_factory=list)
    """Every artifact of every manifest read, in manifest order."""

    def top_level_stacks(self) -> list[StackTemplate]:
        """The stacks the manifests list (nested CloudFormation stacks left out)."""
        return [s for s in self.stacks.values() if not s.nested]


def load_assembly(path: str | Path) -> Assembly:
    """Load the assembly in `path` (stages' nested assemblies and nested CloudFormation stacks
    included); raise AssemblyError with a one-line reason if it is not one."""
    root = Path(path)
    if not root.exists():
        raise AssemblyError(f"{root}: no such directory")
    if not root.is_dir():
        raise AssemblyError(f"{root}: not a directory (expected a synthesised cdk.out)")
    if not (root / "manifest.json").is_file():
        raise AssemblyError(
            f"{root}: not a cloud assembly (no manifest.json); run 'cdk synth' into it first"
        )
    assembly = Assembly(path=root)
    _load_dir(assembly, root, stage="", seen=set())
    return assembly


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AssemblyError(f"{path}: file listed in the assembly is missing") from None
    except (OSError, ValueError) as exc:
        raise AssemblyError(f"{path}: cannot read JSON ({exc})") from None


def _load_dir(assembly: Assembly, directory: Path, stage: str, seen: set[Path]) -> None:
    directory = directory.resolve()
    if directory in seen:
        return
    seen.add(directory)
    manifest = _read_json(directory / "manifest.json")
    if not isinstance(manifest, dict):
        raise AssemblyError(f"{directory / 'manifest.json'}: not a cloud assembly manifest")
    report = directory / VALIDATION_REPORT
    if report.is_file():
        data = _read_json(report)
        if isinstance(data, dict):
            assembly.validation_reports.append(data)
    artifacts = manifest.get("artifacts") or {}
    if not isinstance(artifacts, dict):
        raise AssemblyError(f"{directory / 'manifest.json'}: not a cloud assembly manifest")
    for artifact_id, artifact in artifacts.items():
        if not isinstance(artifact, dict):
            continue
        kind = artifact.get("type")
        props = artifact.get("properties") or {}
        environment = artifact.get("environment")
        assembly.artifacts.append(Artifact(
            str(artifact_id), str(kind), environment if isinstance(environment, str) else None,
            props if isinstance(props, dict) else {}, directory))
        if kind == NESTED_ASSEMBLY_ARTIFACT:
            name = props.get("displayName") or artifact_id.removeprefix("assembly-")
            child_stage = name if not stage or name.startswith(f"{stage}/") else f"{stage}/{name}"
            _load_dir(assembly, directory / props["directoryName"], child_stage, seen)
        elif kind == STACK_ARTIFACT:
            template_file = directory / props["templateFile"]
            template = _read_json(template_file)
            tags = props.get("tags")
            protection = props.get("terminationProtection")
            stack = StackTemplate(
                stage=stage,
                name=props.get("stackName") or artifact_id,
                region=_region(artifact.get("environment")),
                template=template if isinstance(template, dict) else {},
                display_name=str(artifact.get("displayName") or artifact_id),
                template_path=template_file,
                tags={str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {},
                termination_protection=protection if isinstance(protection, bool) else None,
            )
            _add_stack(assembly, stack, directory)


def _region(environment: str | None) -> str | None:
    # "aws://111111111111/eu-west-1"; CDK writes "unknown-region" for env-agnostic stacks.
    if not environment or not environment.startswith("aws://"):
        return None
    region = environment.rsplit("/", 1)[-1]
    return None if region.startswith("unknown") else region


def _add_stack(assembly: Assembly, stack: StackTemplate, directory: Path) -> None:
    assembly.stacks[stack.key] = stack
    for logical_id, resource in stack.resources.items():
        if resource.get("Type") != NESTED_STACK_TYPE:
            continue
        nested_file = _nested_template_file(resource, directory)
        if nested_file is None:
            continue
        template = _read_json(nested_file)
        name = f"{stack.name}/{logical_id}"
        _add_stack(
            assembly,
            StackTemplate(
                stage=stack.stage,
                name=name,
                region=stack.region,
                template=template if isinstance(template, dict) else {},
                display_name=name,
                template_path=nested_file,
                nested=True,
            ),
            directory,
        )


def _nested_template_file(resource: dict[str, Any], directory: Path) -> Path | None:
    """The template file of a nested stack: from CDK's asset metadata, else by the asset
    hash in its TemplateURL, else None (a nested stack that was not synthesised here)."""
    metadata = resource.get("Metadata") or {}
    asset_path = metadata.get("aws:asset:path")
    if isinstance(asset_path, str) and (directory / asset_path).is_file():
        return directory / asset_path
    hashes = _HASH.findall(json.dumps((resource.get("Properties") or {}).get("TemplateURL")))
    for assets_file in directory.glob("*.assets.json"):
        files = (_read_json(assets_file) or {}).get("files") or {}
        for asset_hash in hashes:
            source = (files.get(asset_hash) or {}).get("source") or {}
            candidate = directory / str(source.get("path", ""))
            if source.get("path") and candidate.is_file():
                return candidate
    return None


def views_of(stacks: list[StackTemplate], exports: ExportIndex | None = None,
             ) -> list[TemplateView]:
    """One :class:`TemplateView` per stack, named by its display name, sharing one export
    index so that references between them are followed; deployed stack name, stack tags
    and file size (when read from disk) come along."""
    index = exports if exports is not None else ExportIndex()
    views = []
    for stack in stacks:
        size: int | None = None
        if stack.template_path is not None:
            try:
                size = stack.template_path.stat().st_size
            except OSError:
                size = None
        view = TemplateView(stack.template, stack.display_name or stack.name, index,
                            stack_name=None if stack.nested else stack.name,
                            stack_tags=stack.tags, size=size)
        index.add(view, view.stack_name)
        views.append(view)
    return views
