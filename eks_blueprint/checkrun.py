"""What the read-only AWS check commands (`verify`, `preflight`) share.

Both load one environment file, open a boto3 session in its region, make sure the
credentials belong to the file's account, run a list of checks that each add rows to a
report, and print the report as a table or as JSON. This module holds that frame, so the
two commands behave the same way: the same exit codes, the same one-line errors for a bad
configuration or unusable credentials, the same table. It never imports aws_cdk.

Exit codes: 0 every check passed; 1 a check failed; 2 usage, configuration or credential
error (one line on stderr per problem, no traceback).

Credentials AWS does not accept (expired, unknown, badly signed: AUTH_ERRORS) stop the run
with exit code 2. Credentials that are valid but may not make one call (AccessDenied...:
ACCESS_DENIED_ERRORS) are not a credential error: the check that needed the call fails with
a row naming the missing permission (`missing permission servicequotas:GetServiceQuota`), or
uses its documented fallback and says so, and the other checks still run.

boto3 is an optional dependency (the `tools` extra): this module imports it only when a
command opens a session, so `import eks_blueprint.verify` works without it, and a command run
without it stops with exit code 2 and one line naming `pip install 'eks-blueprint[tools]'`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn, TypeVar, cast

from .config import ConfigError, EnvironmentConfig, load_config

if TYPE_CHECKING:
    import boto3
    from botocore.exceptions import BotoCoreError as BotoCoreError
    from botocore.exceptions import ClientError as ClientError
    from botocore.exceptions import NoCredentialsError as NoCredentialsError
    from botocore.exceptions import NoRegionError as NoRegionError
    from botocore.exceptions import ProfileNotFound as ProfileNotFound
else:
    try:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            NoCredentialsError,
            NoRegionError,
            ProfileNotFound,
        )
    except ImportError:  # no tools extra: run_command stops before any AWS call

        class ClientError(Exception):
            """Stands in for botocore's exceptions, which nothing raises without botocore."""

        BotoCoreError = NoCredentialsError = NoRegionError = ProfileNotFound = ClientError

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_USAGE = 2
#: Error codes of authentication failures: "these credentials cannot be used" (unknown,
#: expired or badly signed), not "this check failed". They stop the run (CredentialError).
AUTH_ERRORS = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "AuthFailure",
        "SignatureDoesNotMatch",
        "InvalidSignatureException",
    }
)
#: Error codes of authorisation failures: the credentials are valid but lack the permission
#: for this one call (IAM says AccessDenied, most JSON services AccessDeniedException, EC2
#: UnauthorizedOperation). They stay ClientError: the check that made the call fails, naming
#: the permission (missing_permission), and the run goes on.
ACCESS_DENIED_ERRORS = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})
#: What installs boto3, which the commands need and the constructs do not.
TOOLS_INSTALL = "pip install 'eks-blueprint[tools]'"
#: The key under which clients made by naming_actions note the IAM action a refused call
#: needed, in the error of the response (botocore's ClientError.response).
ACTION_KEY = "IamAction"
#: The action an authorisation error's message names ("... is not authorized to perform:
#: ec2:DescribeVpcs ...", as IAM, EC2, STS and most services word it).
_ACTION_IN_MESSAGE = re.compile(r"perform: ([A-Za-z0-9-]+:[A-Za-z0-9]+)")
Status = Literal["PASS", "FAIL", "SKIP"]


@dataclass(frozen=True)
class CheckResult:
    """One row of the report."""

    check: str
    expected: str
    actual: str
    status: Status


class CredentialError(Exception):
    """The AWS credentials or region cannot be used; the message is one line."""


class ToolsMissing(ImportError):
    """boto3 is not installed: the eks-blueprint[tools] extra is missing."""


def require_boto3() -> None:
    """Raise ToolsMissing, naming the install command, when boto3 cannot be imported."""
    try:
        import boto3  # noqa: F401
    except ImportError:
        raise ToolsMissing(
            f"boto3 is not installed; the AWS checks need the tools extra: {TOOLS_INSTALL}"
        ) from None


def new_session(profile: str | None, region: str | None) -> boto3.Session:
    """A boto3 session, importing boto3 only now (ToolsMissing when it is not installed)."""
    require_boto3()
    import boto3

    return boto3.Session(profile_name=profile, region_name=region)


def row(check: str, expected: Any, actual: Any, ok: bool) -> CheckResult:
    """A PASS or FAIL row; expected and actual become cells (see `text`)."""
    return CheckResult(check, text(expected), text(actual), _ok(ok))


def skip_row(check: str, why: str) -> CheckResult:
    """A SKIP row: nothing to compare, which is never reported as a PASS."""
    return CheckResult(check, "-", why, "SKIP")


@dataclass
class Run:
    """The rows of one run, in report order."""

    results: list[CheckResult] = field(default_factory=list)

    def add(self, check: str, expected: Any, actual: Any, ok: bool) -> None:
        self.results.append(row(check, expected, actual, ok))

    def skip(self, check: str, why: str) -> None:
        """A SKIP row: nothing to compare, which is never reported as a PASS."""
        self.results.append(skip_row(check, why))


def _ok(ok: bool) -> Status:
    return "PASS" if ok else "FAIL"


def text(value: Any) -> str:
    """A cell of the report: sequences joined with commas, `(none)` when empty."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def error_message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", ""))


def guard(call: Callable[[], Any]) -> Any:
    """Run one API call; an authentication failure (AUTH_ERRORS) becomes CredentialError, so
    that it stops the run with exit code 2 instead of failing every later check the same way.
    Every other error, a missing permission included, stays ClientError for the check."""
    try:
        return call()
    except ClientError as exc:
        if error_code(exc) in AUTH_ERRORS:
            raise CredentialError(
                f"AWS refused the credentials ({error_code(exc)}): {error_message(exc)}"
            ) from None
        raise


def denied(exc: ClientError) -> bool:
    """True when the error says the credentials lack the permission for the call."""
    return error_code(exc) in ACCESS_DENIED_ERRORS


def missing_permission(exc: ClientError) -> str:
    """The IAM action a refused call needed: the one AWS's message names, else the one the
    client noted (naming_actions), else the operation's name."""
    error = cast(Mapping[str, Any], exc.response.get("Error") or {})
    named = _ACTION_IN_MESSAGE.search(str(error.get("Message") or ""))
    if named:
        return named.group(1)
    return str(error.get(ACTION_KEY) or exc.operation_name)


def failure(exc: ClientError) -> str:
    """A failed call as a report cell: `missing permission <action>` for an authorisation
    error, else `error: <code>: <message>`."""
    if denied(exc):
        return f"missing permission {missing_permission(exc)}"
    return f"error: {error_code(exc)}: {error_message(exc)}"


def _note_action(parsed: Any, model: Any, **_: Any) -> None:
    """botocore after-call handler: on an authorisation error, note the IAM action of the
    call (service prefix: the service's signing name, e.g. `servicequotas`)."""
    error = parsed.get("Error") if isinstance(parsed, dict) else None
    if isinstance(error, dict) and error.get("Code") in ACCESS_DENIED_ERRORS:
        error.setdefault(ACTION_KEY, f"{model.service_model.signing_name}:{model.name}")


Client = TypeVar("Client")


def naming_actions(client: Client) -> Client:
    """`client` (a boto3 client), whose authorisation errors note the IAM action the call
    needed, for missing_permission. The handler is on this client only, not the session."""
    cast(Any, client).meta.events.register("after-call", _note_action)
    return client


def not_found(exc: ClientError) -> bool:
    """True when the error says the thing asked for does not exist."""
    return error_code(exc) in (
        "ResourceNotFoundException",
        "NotFoundException",
        "NoSuchEntity",
        "ParameterNotFound",
        "404",
    )


def paginate(client: Any, operation: str, key: str, **params: Any) -> list[Any]:
    """Every item under `key` of a paginated call, through guard. `client` is Any because
    the typed clients' get_paginator only accepts each operation name as a Literal."""
    pages = client.get_paginator(operation).paginate(**params)
    return list(guard(lambda: [item for page in pages for item in page.get(key) or []]))


def render_table(results: Sequence[CheckResult]) -> str:
    """A plain-text table: check, expected, actual, result."""
    rows = [("CHECK", "EXPECTED", "ACTUAL", "RESULT")] + [
        (r.check, r.expected, r.actual, r.status) for r in results
    ]
    widths = [min(max(len(row[i]) for row in rows), 60) for i in range(3)]
    lines = [
        "  ".join(cell[:60].ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3]
        for row in rows
    ]
    failed = sum(r.status == "FAIL" for r in results)
    passed = sum(r.status == "PASS" for r in results)
    skipped = sum(r.status == "SKIP" for r in results)
    lines.append(f"\n{passed} passed, {failed} failed, {skipped} skipped")
    return "\n".join(lines) + "\n"


def account_matches(session: boto3.Session, cfg: EnvironmentConfig) -> Mapping[str, Any]:
    """The caller identity (STS), or CredentialError when it is not the file's account."""
    identity: Mapping[str, Any] = guard(lambda: session.client("sts").get_caller_identity())
    account = identity["Account"]
    if account != cfg.account:
        raise CredentialError(
            f"the credentials are for account {account}, but {cfg.name} is in {cfg.account}"
        )
    return identity


class UsageParser(argparse.ArgumentParser):
    """An argument parser whose usage errors exit with EXIT_USAGE."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def new_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """The options every check command takes: which environment, which AWS credentials,
    which output format."""
    parser = UsageParser(prog=prog, description=description)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--env", help="environment name: reads <config-dir>/<env>.yaml")
    which.add_argument("--config", type=Path, help="path of an environment file")
    parser.add_argument(
        "--config-dir",
        type=Path,
        default=Path("config"),
        help="where --env looks (default: ./config)",
    )
    parser.add_argument("--region", help="AWS region (default: the config's region)")
    parser.add_argument("--profile", help="AWS profile for boto3")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


#: Runs the checks of one command for an environment whose account is already confirmed:
#: (config, session, caller identity) -> rows.
Checks = Callable[[EnvironmentConfig, "boto3.Session", Mapping[str, Any]], list[CheckResult]]


def run_command(
    prog: str, args: argparse.Namespace, checks: Checks, session: boto3.Session | None
) -> int:
    """Load the file, open the session, confirm the account, run `checks`, print the
    report; return the exit code. `session` is for tests (default: a new one)."""
    if session is None:
        try:
            require_boto3()
        except ToolsMissing as exc:
            print(f"{prog}: {exc}", file=sys.stderr)
            return EXIT_USAGE
    path = args.config or args.config_dir / f"{args.env}.yaml"
    try:
        cfg = load_config(path)
    except ConfigError as exc:
        print("Invalid configuration:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_USAGE
    try:
        session = session or new_session(args.profile, args.region or cfg.region)
        if not session.region_name:
            raise NoRegionError()
        identity = account_matches(session, cfg)
        results = checks(cfg, session, identity)
    except (CredentialError, ProfileNotFound) as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except NoCredentialsError:
        print(
            f"{prog}: no AWS credentials found; set AWS_PROFILE (or --profile), "
            "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except NoRegionError:
        print(f"{prog}: no AWS region; pass --region", file=sys.stderr)
        return EXIT_USAGE
    except (BotoCoreError, ClientError) as exc:
        print(f"{prog}: AWS call failed: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(
            json.dumps({"environment": cfg.name, "results": [asdict(r) for r in results]}, indent=2)
        )
    else:
        sys.stdout.write(render_table(results))
    return EXIT_FAIL if any(r.status == "FAIL" for r in results) else EXIT_PASS
