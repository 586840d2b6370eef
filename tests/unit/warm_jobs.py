"""Jobs for tests/unit/test_warm_worker.py, in a module of their own: a job's module is
imported by the worker, and this one imports nothing heavy."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def prints_and_writes(out: Path, word: str) -> None:
    print(f"said {word}")
    os.write(2, b"to the descriptor\n")  # as Node.js writes: below sys.stderr
    (out / "word.txt").write_text(word)


def raises(out: Path) -> None:
    raise ValueError("the job broke")


def exits(out: Path) -> int:
    sys.exit(3)


def returns_two(out: Path) -> int:
    return 2


def sleeps(out: Path) -> None:
    time.sleep(30)


def reads_stdin(out: Path) -> None:
    print(f"read {sys.stdin.read()!r}")
