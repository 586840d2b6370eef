"""``eks-blueprint-nag`` (``python -m eks_blueprint.nag``): EKS rules over synthesized templates.

PATH is a cloud assembly directory (``cdk.out``, read by
:func:`eks_blueprint.template.load_assembly`: nested assemblies of stages included) or a
CloudFormation template file (JSON, or YAML with short-form tags such as ``!Ref``).
Templates of one assembly are checked together, so ``Fn::ImportValue`` between its stacks
is followed.

Both rule families run: best practice (``EKSBP*``) and deployability (``EKSDEP*``). Findings
about a whole stack (template size, resource count...) name the stack without a resource.
``--quota NAME=N`` tells the deployability rules about a service quota the account raised.

Exit codes: 0 no errors (warnings allowed), 1 at least one error, 2 unreadable input.
This module never imports ``aws_cdk``: it starts fast and needs no Node.js.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from ..template import (
    AssemblyError,
    ExportIndex,
    TemplateView,
    load_assembly,
    load_view,
    views_of,
)
from .engine import evaluate
from .model import Finding, Level
from .quotas import DEFAULT_QUOTAS, Quotas

PROG = "eks-blueprint-nag"


class InputError(Exception):
    """An input that cannot be read as a template or cloud assembly (exit code 2)."""


def _parse_template(path: Path) -> Mapping[str, Any]:
    """Read one template file, JSON or YAML (CloudFormation short-form tags allowed)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read {path}: {getattr(error, 'strerror', None) or error}") \
            from error
    document: Any
    if text.lstrip().startswith("{"):
        try:
            document = json.loads(text)
        except ValueError as error:
            raise InputError(f"{path}: invalid JSON: {error}") from error
    else:
        # cfn-lint's loader knows !Ref, !GetAtt, !Sub...; imported only when needed (slow).
        try:
            cfn_yaml = importlib.import_module("cfnlint.decode.cfn_yaml")
        except ModuleNotFoundError as error:
            raise InputError(
                f"{path}: reading YAML templates needs cfn-lint, in the tools extra: "
                "pip install 'eks-blueprint[tools]' (JSON templates and cloud assemblies "
                "need nothing more)"
            ) from error
        try:
            document = cfn_yaml.loads(text, str(path))
        except Exception as error:  # yaml.YAMLError and cfn-lint's CfnParseError
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
            raise InputError(f"{path}: invalid YAML: {first}") from error
    if not isinstance(document, Mapping) or not isinstance(document.get("Resources"), Mapping):
        raise InputError(f"{path}: not a CloudFormation template (no Resources section)")
    return document


def load(path: str) -> list[TemplateView]:
    """Views of every template behind ``path``, sharing one export index.

    Raises :class:`InputError` for a missing path, an unreadable file or directory, or a
    document that is not a CloudFormation template.
    """
    target = Path(path)
    exports = ExportIndex()
    if target.is_dir():
        try:
            assembly = load_assembly(target)
        except AssemblyError as error:
            raise InputError(str(error)) from error
        return views_of(assembly.top_level_stacks(), exports)
    if not target.exists():
        raise InputError(f"{path}: no such file or directory")
    return [load_view(target, _parse_template(target), target.name, exports)]


def _where(finding: Finding) -> str:
    """``stack/resource``, or the stack alone for findings about the whole template."""
    return f"{finding.stack}/{finding.logical_id}" if finding.logical_id else finding.stack


def _table(findings: Sequence[Finding], checked: int, out: TextIO) -> None:
    rows = [(f.rule_id, str(f.level), _where(f), f.message) for f in findings]
    header = ("RULE", "LEVEL", "STACK/RESOURCE", "FINDING")
    if rows:
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
        for row in [header, *rows]:
            out.write("  ".join(c.ljust(w) for c, w in zip(row[:3], widths, strict=True)))
            out.write(f"  {row[3]}\n")
    errors = sum(1 for f in findings if f.level is Level.ERROR)
    out.write(f"{errors} error(s), {len(findings) - errors} warning(s) in {checked} "
              f"template(s)\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 clean, 1 errors, 2 unreadable input)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Check synthesized CloudFormation templates against the EKS best-practice "
                    "rules (EKSBP1...) and the deployability rules (EKSDEP1...).",
        epilog="Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 unreadable input.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="a cloud assembly directory (cdk.out) or a template file "
                             "(JSON or YAML)")
    parser.add_argument("--format", choices=("table", "json"), default="table",
                        help="output format (default: table)")
    parser.add_argument("--quota", action="append", default=[], metavar="NAME=N",
                        help="a service quota the account raised, e.g. "
                             "trust-policy-length=4096 (repeatable; known: "
                             f"{', '.join(Quotas.keys())})")
    args = parser.parse_args(argv)
    try:
        quotas = DEFAULT_QUOTAS.with_overrides(args.quota)
    except ValueError as error:
        sys.stderr.write(f"{PROG}: error: {error}\n")
        return 2

    views: list[TemplateView] = []
    try:
        for path in args.paths:
            views.extend(load(path))
    except InputError as error:
        sys.stderr.write(f"{PROG}: error: {error}\n")
        return 2
    if not views:
        sys.stderr.write(f"{PROG}: error: no stack templates found in "
                         f"{', '.join(args.paths)}\n")
        return 2

    findings = [finding for view in views for finding in evaluate(view, quotas=quotas)]
    if args.format == "json":
        errors = sum(1 for f in findings if f.level is Level.ERROR)
        json.dump({"findings": [f.as_dict() for f in findings],
                   "summary": {"templates": len(views), "errors": errors,
                               "warnings": len(findings) - errors}},
                  sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _table(findings, len(views), sys.stdout)
    return 1 if any(f.level is Level.ERROR for f in findings) else 0


if __name__ == "__main__":
    sys.exit(main())
