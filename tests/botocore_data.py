"""One botocore data cache for every session a test makes, so each JSON model is parsed once.

botocore parses its JSON data (endpoints, partitions, each service's model) once per
`Loader`, and every new session has a new loader: the moto-backed tests make sessions per
test, the code they test makes its own, and moto's EKS mock makes one on every
CreateCluster and CreateNodegroup (to list the partitions), so the same megabytes of JSON
were parsed thousands of times, a fifth of those tests' time.

`shared_botocore_data` gives every loader made for the same AWS_DATA_PATH the same cache:
what one loader would cache for all its calls (the data files do not change during a run).
Each loader keeps its own search paths. Only botocore's speed changes, not what a session
answers: the cache holds exactly what the first loader parsed for the same call.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import botocore.loaders
import botocore.session
import pytest

#: AWS_DATA_PATH (None: unset) -> the cache its loaders share.
_CACHES: dict[str | None, dict[Any, Any]] = {}


def _create_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
    """botocore's `create_loader`, with the cache shared by every loader of the same path."""
    loader = botocore.loaders.create_loader(search_path_string)
    loader._cache = _CACHES.setdefault(search_path_string, {})  # type: ignore[attr-defined]
    return loader


@contextmanager
def shared_botocore_data() -> Iterator[None]:
    """Sessions made inside share their loaders' data cache (see the module's docstring)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", _create_loader)
        yield
