"""The synthesised cloud assembly preflight compares the account with (`cdk.out`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Where the modern bootstrap template stores its version, for the default qualifier
#: hnb659fds; an assembly names its own in `bootstrapStackVersionSsmParameter`.
BOOTSTRAP_VERSION_PARAMETER = "/cdk-bootstrap/hnb659fds/version"


class AssemblyError(Exception):
    """The synthesised assembly cannot be read; the message says what to do."""


@dataclass(frozen=True)
class Assembly:
    """What preflight needs from `cdk.out/assembly-<env>/manifest.json`."""

    path: Path
    stacks: tuple[str, ...]
    """CloudFormation stack names."""
    environments: frozenset[str]
    """The stacks' targets, `aws://<account>/<region>`."""
    required_bootstrap_version: int | None
    """The highest `requiresBootstrapStackVersion` of any artifact (None: none says)."""
    bootstrap_version_parameter: str
    """The SSM parameter holding the deployed bootstrap version."""


def read_assembly(cdk_out: Path, env: str, synth_hint: str) -> Assembly:
    """The environment's nested cloud assembly, as `cdk synth` writes it: artifacts of type
    aws:cloudformation:stack (and cdk:asset-manifest) carry `requiresBootstrapStackVersion`
    and `bootstrapStackVersionSsmParameter` in their properties."""
    path = cdk_out / f"assembly-{env}" / "manifest.json"
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise AssemblyError(f"no assembly at {path}; {synth_hint}") from None
    except (OSError, ValueError) as exc:
        raise AssemblyError(f"cannot read {path} ({exc}); {synth_hint}") from None
    try:
        return _assembly(path, manifest)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise AssemblyError(
            f"{path} is not a cloud assembly manifest ({exc}); {synth_hint}"
        ) from None


def _assembly(path: Path, manifest: Any) -> Assembly:
    artifacts: dict[str, Any] = manifest.get("artifacts") or {}
    stacks = [a for a in artifacts.values() if a.get("type") == "aws:cloudformation:stack"]
    if not stacks:
        raise ValueError("it holds no stacks")
    props = [a.get("properties") or {} for a in artifacts.values()]
    versions = [
        int(p["requiresBootstrapStackVersion"])
        for p in props
        if p.get("requiresBootstrapStackVersion") is not None
    ]
    parameters = [
        str(p["bootstrapStackVersionSsmParameter"])
        for p in props
        if p.get("bootstrapStackVersionSsmParameter")
    ]
    return Assembly(
        path=path,
        stacks=tuple(str((s.get("properties") or {}).get("stackName", "")) for s in stacks),
        environments=frozenset(str(s.get("environment", "")) for s in stacks),
        required_bootstrap_version=max(versions, default=None),
        bootstrap_version_parameter=parameters[0] if parameters else BOOTSTRAP_VERSION_PARAMETER,
    )
