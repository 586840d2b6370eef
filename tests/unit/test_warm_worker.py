"""The background's warm worker (tests/warm_worker.py, tests/conftest.py `Job`): a job's
output, exit code and traceback come back as a process's would, and a job past its time
limit ends the worker rather than the session."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Job, _WarmWorker

HERE = "tests.unit.warm_jobs"


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_WarmWorker]:
    started = _WarmWorker(dict(os.environ), tmp_path_factory.mktemp("worker") / "log")
    yield started
    started.process.kill()
    started.process.wait()


def test_jobs_run_one_after_another_in_one_process(worker: _WarmWorker, tmp_path: Path) -> None:
    first = worker.run(Job(f"{HERE}:prints_and_writes", args=("one",)), tmp_path)
    assert (first.returncode, first.stdout) == (0, "said one\n")
    assert "to the descriptor" in first.stderr
    assert (tmp_path / "word.txt").read_text() == "one"
    # AND the next job's output is its own
    again = worker.run(Job(f"{HERE}:returns_two"), tmp_path)
    assert (again.returncode, again.stdout) == (2, "")
    assert worker.process.poll() is None


def test_an_exception_is_exit_code_1_with_its_traceback(
    worker: _WarmWorker, tmp_path: Path
) -> None:
    done = worker.run(Job(f"{HERE}:raises"), tmp_path)
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "ValueError: the job broke" in done.stderr
    assert worker.run(Job(f"{HERE}:exits"), tmp_path).returncode == 3  # still serving


def test_a_job_past_its_time_limit_ends_the_worker(tmp_path: Path) -> None:
    worker = _WarmWorker(dict(os.environ), tmp_path / "log")
    with pytest.raises(subprocess.TimeoutExpired):
        worker.run(Job(f"{HERE}:sleeps", timeout=0.2), tmp_path)
    assert worker.process.poll() is not None


def test_a_job_reads_an_empty_stdin(worker: _WarmWorker, tmp_path: Path) -> None:
    done = worker.run(Job(f"{HERE}:reads_stdin"), tmp_path)
    assert (done.returncode, done.stdout) == (0, "read ''\n")


def test_a_dead_worker_says_what_it_printed(tmp_path: Path) -> None:
    worker = _WarmWorker(dict(os.environ), tmp_path / "log")
    worker.process.stdin.write("not json\n")  # type: ignore[union-attr]
    worker.process.stdin.flush()  # type: ignore[union-attr]
    worker.process.wait(timeout=30)
    with pytest.raises(RuntimeError, match=r"(?s)the warm worker died running .*JSONDecodeError"):
        worker.run(Job(f"{HERE}:returns_two"), tmp_path)


def test_an_unknown_function_fails_the_job_not_the_worker(
    worker: _WarmWorker, tmp_path: Path
) -> None:
    done = worker.run(Job(f"{HERE}:no_such_job"), tmp_path)
    assert done.returncode == 1 and "AttributeError" in done.stderr
