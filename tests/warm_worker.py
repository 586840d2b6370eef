"""A warm worker process for the test session's background jobs (:class:`tests.conftest.Job`).

    python -m tests.warm_worker

Most background work is a Python function that builds and synthesises a CDK app. Run in a
process of its own, each one pays for starting Python, importing aws_cdk's generated
modules, starting jsii's Node.js, warming V8 and, at exit, the interpreter's shutdown
collections: measured here, four such synths took 21.8 s of CPU in four processes and
11.4 s in one. So the session keeps one such process per background core, and runs the
jobs in it one after another.

The protocol, one JSON line each way: the request ``{"function": "module:name", "out":
directory, "args": [...]}`` calls ``name(Path(out), *args)`` (an int it returns is the exit
code) with the process's standard
output and error captured; the reply is ``{"returncode": 0 | 1 | exit code, "stdout": text,
"stderr": text}``, a raised exception's traceback in ``stderr``. The replies go to the
standard output the worker started with (no other output reaches it: between jobs, the
standard output is the standard error); the worker ends at the end of its input.

Jobs share the process, as the tests of one session share theirs: each builds its own apps
and writes only into its ``out`` directory (and changes neither the environment nor the
working directory). Node.js's output reaches the capture through jsii's reader thread: a
line it relays after its job has ended lands in the worker's log instead, or in the next
job's output.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any, TextIO


def run(request: dict[str, Any]) -> dict[str, Any]:
    """One job, its output and error captured at the file-descriptor level (jsii's Node.js
    writes through the same descriptors)."""
    module, _, name = request["function"].partition(":")
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        try:
            function = getattr(importlib.import_module(module), name)
            result = function(Path(request["out"]), *request.get("args", ()))
            code = result if isinstance(result, int) else 0  # an int is an exit code
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if exc.code is not None and not isinstance(exc.code, int):
                print(exc.code, file=sys.stderr)
        except BaseException:  # the test that waits on the job shows it
            traceback.print_exc()
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
        out.seek(0)
        err.seek(0)
        return {
            "returncode": code,
            "stdout": out.read().decode("utf-8", "replace"),
            "stderr": err.read().decode("utf-8", "replace"),
        }


def serve(requests: TextIO, replies: TextIO) -> None:
    for line in requests:
        replies.write(json.dumps(run(json.loads(line))) + "\n")
        replies.flush()


def main() -> int:
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    requests = os.fdopen(os.dup(0), encoding="utf-8")
    os.dup2(2, 1)  # output between jobs (late jsii messages) must not reach the replies
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)  # a job's processes read no requests: their stdin is empty, as a Command's
    os.close(null)
    from stacks.runtime import use_supported_node

    use_supported_node()  # before a job's import of aws_cdk starts Node.js
    serve(requests, replies)
    return 0


if __name__ == "__main__":
    sys.exit(main())
