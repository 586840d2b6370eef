"""`python -m eks_blueprint.governance check --env NAME FILE...` (also `eks-blueprint-policy`).

Runs Kubernetes manifests through the policies the environment's cluster enforces, offline
and before they are applied: the same `PolicySet` the stacks deploy
(`governance.environment.policy_set`), the same Kyverno policy objects
(`governance.policies`), evaluated by `governance.evaluate` the way Kyverno admits them:
mutations first (tenant label, priority class, dedicated-node toleration and affinity),
then validations.

Each object is checked in its namespace as the cluster would see it: a tenant's namespace
carries the tenant label; the PodDisruptionBudgets among the files are what the PDB policy's
`resource.List` finds. Objects without a namespace are checked as in `default`, as
`kubectl apply` would place them.

Exit codes: 0 nothing refused (audit findings are printed); 1 at least one object would be
refused (Deny); 2 bad input (unknown environment, invalid config, unreadable manifest), with
the file and the fix named.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from ..checkrun import TOOLS_INSTALL
from ..config import ConfigError, EnvironmentConfig, load_config
from .environment import policy_set
from .policies import policy_manifests
from .spec import TENANT_LABEL

EXIT_CLEAR = 0
EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2


class PolicyInputError(Exception):
    """Input the check cannot use; the message names the file and the fix."""


@dataclass(frozen=True)
class Finding:
    """One policy result for one object of a manifest file."""

    file: str
    kind: str
    namespace: str
    name: str
    policy: str
    action: str
    message: str


def load_manifests(paths: Sequence[Path]) -> list[tuple[str, dict[str, Any]]]:
    """Every Kubernetes object of the YAML or JSON files, with the file it came from; a
    `kind: List` is unpacked. PolicyInputError names the file that cannot be read."""
    objects: list[tuple[str, dict[str, Any]]] = []
    for path in paths:
        try:
            documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except OSError as exc:
            raise PolicyInputError(f"{path}: cannot read it ({exc.strerror})") from None
        except yaml.YAMLError as exc:
            raise PolicyInputError(f"{path}: not valid YAML ({exc}); fix the file") from None
        for index, document in enumerate(documents):
            if document is None:
                continue
            items = document.get("items") if isinstance(document, dict) else None
            for obj in items if document.get("kind") == "List" and items else [document]:
                if not isinstance(obj, dict) or not obj.get("kind") or not obj.get("apiVersion"):
                    raise PolicyInputError(
                        f"{path}: document {index + 1} is not a Kubernetes object (it needs "
                        "apiVersion and kind)"
                    )
                objects.append((str(path), obj))
    return objects


def check(
    config: EnvironmentConfig, objects: Sequence[tuple[str, dict[str, Any]]]
) -> list[Finding]:
    """The policy results of `objects` in the environment of `config` (Deny and Audit).
    PolicyInputError when cel-python (the `[tools]` extra) is not installed."""
    try:
        from . import evaluate as ev  # cel-python: imported only when a check runs
    except ImportError as missing:
        raise PolicyInputError(
            f"the policy check needs cel-python ({missing.name} is not installed); "
            f"{TOOLS_INSTALL}"
        ) from None

    manifests = policy_manifests(policy_set(config))
    tenants = {t.name for t in config.tenants}
    cluster = [obj for _, obj in objects if obj.get("kind") == "PodDisruptionBudget"]
    findings: list[Finding] = []
    for file, obj in objects:
        cluster_scoped = obj.get("kind") in ("Namespace", "ClusterRole", "PriorityClass")
        namespace = None if cluster_scoped else (obj.get("metadata") or {}).get(
            "namespace", "default"
        )
        labels = {TENANT_LABEL: namespace} if namespace in tenants else {}
        mutated = ev.mutate(manifests, obj, namespace_labels=labels, namespace=namespace)
        for violation in ev.evaluate(
            manifests, mutated, namespace_labels=labels, cluster=cluster, namespace=namespace
        ):
            findings.append(
                Finding(
                    file=file,
                    kind=violation.kind,
                    namespace=namespace or "",
                    name=violation.name,
                    policy=violation.policy,
                    action=violation.action,
                    message=violation.message,
                )
            )
    return findings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m eks_blueprint.governance",
        description="Offline policy check: manifests against the Kyverno policies of one "
        "environment. Exit 0 nothing refused, 1 refused, 2 bad input.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{check}")
    p = sub.add_parser("check", help="check manifest files against an environment's policies")
    p.add_argument("--env", required=True, help="environment name: <config-dir>/<env>.yaml")
    p.add_argument("--config-dir", type=Path, default=Path("config"), help="default: config")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("files", nargs="+", type=Path, help="YAML or JSON manifest files")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit code."""
    args = _parser().parse_args(argv)
    config_path = args.config_dir / f"{args.env}.yaml"
    try:
        if not config_path.is_file():
            raise PolicyInputError(
                f"{config_path}: no such environment file; pass --env with the name of a file "
                f"in {args.config_dir}/ (or --config-dir)"
            )
        try:
            config = load_config(config_path)
        except ConfigError as exc:
            raise PolicyInputError("\n".join(exc.problems)) from None
        if not config.governance.enabled:
            raise PolicyInputError(
                f"{config_path}: governance.enabled is false, so the cluster enforces no "
                "policies; nothing to check against"
            )
        findings = check(config, load_manifests(args.files))
    except PolicyInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    refused = [f for f in findings if f.action == "Deny"]
    if args.format == "json":
        print(json.dumps([asdict(f) for f in findings], indent=2))
    else:
        for f in findings:
            verdict = "REFUSED" if f.action == "Deny" else "audit"
            where = f"{f.namespace}/" if f.namespace else ""
            print(f"{verdict}: {f.file}: {f.kind} {where}{f.name}: {f.policy}: {f.message}")
        print(
            f"{len(refused)} refused, {len(findings) - len(refused)} audit findings "
            f"({args.env} policies)"
        )
    return EXIT_REFUSED if refused else EXIT_CLEAR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
