"""What the moto-backed command tests (preflight, verify) share: fake credentials, botocore
stub answers, a `denying` block, and the command-line checks both commands must pass."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest

Main = Callable[[list[str]], int]


class Response:
    """The HTTP response a before-call handler answers with (botocore reads these two)."""

    def __init__(self, status_code: int) -> None:
        self.status_code = status_code
        self.headers: dict[str, str] = {}


def error(status: int, code: str, message: str) -> tuple[Response, dict[str, Any]]:
    """A before-call answer: an AWS error of `code`."""
    return Response(status), {"Error": {"Code": code, "Message": message}}


def set_fake_credentials(monkeypatch: pytest.MonkeyPatch, region: str) -> None:
    """moto's test credentials, no profile, and no public AMIs (moto loads ~1 s of them into
    every fresh EC2 backend; the tests need none)."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": region,
        "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def remove_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials anywhere botocore looks: environment, files, instance metadata."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@contextmanager
def denying(session: boto3.Session, *operations: str, code: str = "AccessDeniedException",
            message: str = "not authorized to perform this operation") -> Iterator[None]:
    """The credentials may not call `operations` ("eks.DescribeCluster"...): they answer `code`
    (HTTP 400 for EC2's UnauthorizedOperation, 403 otherwise) before any other handler, with
    a message that names no action by default (the command names it from the call)."""
    def refuse(**_: Any) -> tuple[Response, dict[str, Any]]:
        return error(403 if code != "UnauthorizedOperation" else 400, code, message)

    for operation in operations:
        session.events.register_first(f"before-call.{operation}", refuse)
    try:
        yield
    finally:
        for operation in operations:
            session.events.unregister(f"before-call.{operation}", refuse)


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    """The single line the command wrote to stderr."""
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def check_config_error_exit_2(main: Main, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An invalid configuration file: exit 2, naming the problem."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: Bad\n")
    assert main(["--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "Invalid configuration" in err and "account: required field is missing" in err


def check_env_not_found_and_usage_exit_2(main: Main, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """An environment without a file, no environment at all, or both --env and --config: exit 2."""
    assert main(["--env", "nope", "--config-dir", str(tmp_path)]) == 2
    assert "file not found" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["--env", "dev", "--config", "x.yaml"])
    assert exc.value.code == 2
