"""One botocore data cache for every session a test makes, so each JSON model is parsed once,
and one client class per service model.

botocore parses its JSON data (endpoints, partitions, each service's model) once per
`Loader`, and every new session has a new loader: the moto-backed tests make sessions per
test, the code they test makes its own, and moto's EKS mock makes one on every
CreateCluster and CreateNodegroup (to list the partitions), so the same megabytes of JSON
were parsed thousands of times, a fifth of those tests' time.

`shared_botocore_data` gives every loader made for the same AWS_DATA_PATH the same cache:
what one loader would cache for all its calls (the data files do not change during a run).
Each loader keeps its own search paths. Only botocore's speed changes, not what a session
answers: the cache holds exactly what the first loader parsed for the same call.

Each client then builds its class from the service model: a method per operation (a few
hundred for EC2), then the `creating-client-class` handlers (botocore's and boto3's, the same
for every session). With the model data shared, the class for the same data is the same
too, so it is built once (`_client_class`): it was a sixth of those tests' time again.
Likewise each client's endpoint provider, which parses the service's endpoint rule set
(`_endpoint_provider`): it only maps parameters to endpoints.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import botocore.client
import botocore.loaders
import botocore.regions
import botocore.session
import pytest

#: AWS_DATA_PATH (None: unset) -> the cache its loaders share.
_CACHES: dict[str | None, dict[Any, Any]] = {}


def _create_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
    """botocore's `create_loader`, with the cache shared by every loader of the same path."""
    loader = botocore.loaders.create_loader(search_path_string)
    loader._cache = _CACHES.setdefault(search_path_string, {})  # type: ignore[attr-defined]
    return loader


#: (service name, id of the shared model data) -> the client class built from it.
_CLASSES: dict[tuple[str, int], type] = {}
_build_class = botocore.client.ClientCreator._create_client_class


def _client_class(creator: botocore.client.ClientCreator, service_name: str,
                  service_model: Any) -> type:
    """botocore's client class for `service_model`, built once per shared model data (a
    model whose data is not shared, e.g. from a loader made before the patch, is not kept)."""
    description = service_model._service_description
    if not any(description is cached for cached in _shared_models()):
        return _build_class(creator, service_name, service_model)  # type: ignore[no-any-return]
    key = (service_name, id(description))
    if key not in _CLASSES:
        _CLASSES[key] = _build_class(creator, service_name, service_model)
    return _CLASSES[key]


def _shared_models() -> Iterator[Any]:
    """Every parsed data file the shared caches hold (`load_data_with_path` keeps a
    (data, path) pair)."""
    for cache in _CACHES.values():
        for value in cache.values():
            yield value[0] if isinstance(value, tuple) else value


#: (id of the shared rule set, of the shared partitions, excluded parameters) -> provider.
_PROVIDERS: dict[tuple[int, int, frozenset[str]], Any] = {}
_new_provider = botocore.regions.EndpointProvider


def _endpoint_provider(ruleset_data: Any, partition_data: Any,
                       excluded_params: Any = None) -> Any:
    """botocore's endpoint provider for the rule set, made once per shared data (as
    `_client_class`); its answers depend on nothing else."""
    shared = list(_shared_models())
    if not (any(ruleset_data is d for d in shared) and any(partition_data is d for d in shared)):
        return _new_provider(ruleset_data, partition_data, excluded_params)
    key = (id(ruleset_data), id(partition_data), frozenset(excluded_params or ()))
    if key not in _PROVIDERS:
        _PROVIDERS[key] = _new_provider(ruleset_data, partition_data, excluded_params)
    return _PROVIDERS[key]


@contextmanager
def shared_botocore_data() -> Iterator[None]:
    """Sessions made inside share their loaders' data cache and their client classes (see
    the module's docstring)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", _create_loader)
        patch.setattr(botocore.client.ClientCreator, "_create_client_class", _client_class)
        patch.setattr(botocore.regions, "EndpointProvider", _endpoint_provider)
        yield
