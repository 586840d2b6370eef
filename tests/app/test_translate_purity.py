"""The translators are pure: no scope argument, nothing created, one module per section."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from typing import Any

import stacks.translate
from eks_blueprint.config import EnvironmentConfig
from stacks.translate import cluster


def _functions() -> list[tuple[str, Callable[..., Any]]]:
    found: list[tuple[str, Callable[..., Any]]] = []
    for module_info in pkgutil.iter_modules(stacks.translate.__path__):
        module = importlib.import_module(f"stacks.translate.{module_info.name}")
        for name, value in vars(module).items():
            if inspect.isfunction(value) and value.__module__ == module.__name__:
                found.append((f"{module_info.name}.{name}", value))
    return found


#: Each translator module and the sections of an environment file it reads. A feature inside
#: a section (self-managed node groups, the Cluster Autoscaler, custom networking) goes in that
#: section's module, not a module of its own.
MODULE_SECTIONS: dict[str, tuple[str, ...]] = {
    "network": ("network",),
    "cluster": ("cluster",),
    "compute": ("compute",),
    "addons": ("addons",),
    "workloads": ("tenants", "workload_identities", "access", "workloads"),
    "security": ("security",),
    "lifecycle": ("lifecycle", "tags"),
    "delivery": ("delivery", "security"),  # also security.registries[].build
    "pipeline": (),  # config/pipeline.yaml, not an environment file
    "governance": ("governance",),
    "observability": ("observability", "tenants"),  # also tenants[].telemetry
    "storage": ("storage",),
    "pod_security_groups": ("pod_security_groups",),
    "capabilities": ("capabilities",),
}


def test_the_modules_are_the_config_sections() -> None:
    names = {m.name for m in pkgutil.iter_modules(stacks.translate.__path__)}
    assert names == set(MODULE_SECTIONS)
    sections = set(EnvironmentConfig.model_fields)
    for module, read in MODULE_SECTIONS.items():
        assert set(read) <= sections, module
        # A module named after a section is that section's translator.
        assert module not in sections or module in read, module


def test_no_translator_takes_a_scope() -> None:
    functions = _functions()
    assert len(functions) > 15
    for name, function in functions:
        parameters = inspect.signature(function).parameters
        assert "scope" not in parameters, name
        assert "id" not in parameters, name


def test_no_translator_module_imports_a_construct_base() -> None:
    # Creating a construct needs a scope; none of these modules can name one either.
    for module_info in pkgutil.iter_modules(stacks.translate.__path__):
        source = inspect.getsource(importlib.import_module(f"stacks.translate.{module_info.name}"))
        assert "from constructs import" not in source, module_info.name
        assert "Stack(" not in source and "App(" not in source, module_info.name


def test_kubectl_is_decided_in_one_place() -> None:
    # The stacks and the other translators ask `cluster.needs_kubectl` (through the props);
    # no other module of the app decides it.
    import stacks

    for module_info in pkgutil.walk_packages(stacks.__path__, "stacks."):
        if module_info.name == "stacks.translate.cluster":
            continue
        source = inspect.getsource(importlib.import_module(module_info.name))
        assert "needs_kubectl" not in source, module_info.name
    assert "needs_kubectl" in inspect.getsource(cluster)
