"""`delivery:`: kubectl by default and in every shipped environment; GitOps mode loads with
what it needs, and each rule refuses naming the file, the field and the fix (through the
loader, as a user sees them)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from eks_blueprint.config import EnvironmentConfig, load_config, load_configs
from stacks.app_builder import CONFIG_DIR, config_paths
from stacks.translate.cluster import gitops_target, needs_kubectl
from tests.unit.test_config import DEV, problems, write

REPOSITORY = "https://github.com/example/platform.git"
ARGOCD = {"identity_center_instance_arn": "arn:aws:sso:::instance/ssoins-0123456789abcdef"}


def gitops(base: dict[str, Any] = DEV, **delivery: Any) -> dict[str, Any]:
    """`base` (default dev.yaml) in GitOps mode with what the mode needs: the Argo CD
    capability and no image verification; `delivery` set over the mode and repository."""
    data = copy.deepcopy(base)
    data.setdefault("capabilities", {})["argocd"] = ARGOCD
    data.setdefault("governance", {})["image_verification"] = "off"
    data["delivery"] = {"mode": "gitops", "repository": REPOSITORY, **delivery}
    return data


def without(data: dict[str, Any], dotted: str) -> dict[str, Any]:
    """A copy of `data` without the key at `dotted` (``a.b``)."""
    data = copy.deepcopy(data)
    *parents, leaf = dotted.split(".")
    node = data
    for part in parents:
        node = node[part]
    del node[leaf]
    return data


def test_every_shipped_environment_delivers_with_kubectl() -> None:
    configs = load_configs(config_paths(None, None))
    assert [c.name for c in configs] == ["dev", "prod", "staging"]
    for config in configs:
        assert config.delivery.mode == "kubectl", config.name
        assert not config.delivery.gitops
        assert gitops_target(config) is None


def test_kubectl_is_the_default() -> None:
    assert "delivery" not in DEV
    config = EnvironmentConfig.model_validate(DEV)
    assert config.delivery.mode == "kubectl"
    assert (config.delivery.repository, config.delivery.path) == (None, None)


def test_gitops_mode_loads_with_what_it_needs(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, gitops(revision="v1.2.0", project="shop")))
    assert config.delivery.gitops
    assert config.delivery.tree_path("dev") == "gitops/dev"
    assert needs_kubectl(config)  # the bootstrap is applied by the Kubernetes layer
    target = gitops_target(config)
    assert target is not None
    assert (target.name, target.repository, target.path, target.revision, target.project) == (
        "dev",
        REPOSITORY,
        "gitops/dev",
        "v1.2.0",
        "shop",
    )
    assert target.namespace == "argocd"
    target.check("here")  # what the config accepts, the construct accepts
    custom = load_config(write(tmp_path, gitops(path="platform/trees/dev-1"), "custom.yaml"))
    assert custom.delivery.tree_path("dev") == "platform/trees/dev-1"


def test_the_gitops_example_is_in_gitops_mode() -> None:
    config = load_config(CONFIG_DIR / "examples" / "gitops.yaml")
    assert config.delivery.gitops
    assert config.capabilities.argocd is not None
    assert config.compute.node_groups
    target = gitops_target(config)
    assert target is not None and target.path == f"gitops/{config.name}"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # each field's own rule
        (
            gitops(repository="github.com/example/platform"),
            "delivery.repository: give the Git URL Argo CD clones: https://host/owner/repo.git "
            "or git@host:owner/repo.git (got 'github.com/example/platform')",
        ),
        (
            gitops(repository="https://github.com/example/my platform.git"),
            "delivery.repository: give the Git URL Argo CD clones",
        ),
        (
            gitops(path="../elsewhere"),
            "delivery.path: give a relative directory in the repository, e.g. gitops/dev "
            "(got '../elsewhere')",
        ),
        (gitops(path="/gitops/dev"), "delivery.path: give a relative directory"),
        (gitops(path="gitops/dev/"), "delivery.path: give a relative directory"),
        (
            gitops(revision="main branch"),
            "delivery.revision: give a branch, tag or commit without spaces (got 'main branch')",
        ),
        (gitops(revision=""), "delivery.revision: give a branch, tag or commit without spaces"),
        (
            gitops(project="Platform"),
            "delivery.project: use a DNS label: a-z, 0-9 and -, at most 63 characters "
            "(got 'Platform')",
        ),
        (gitops(project="p" * 64), "delivery.project: use a DNS label"),
        (gitops(mode="flux"), "delivery.mode: Input should be 'kubectl' or 'gitops'"),
        (gitops(revison="v1"), "delivery.revison: unknown field; did you mean 'revision'?"),
        # the mode's fields
        (
            without(gitops(), "delivery.repository"),
            "delivery.repository: mode gitops needs the Git repository Argo CD reads: set "
            "delivery.repository",
        ),
        (
            {**DEV, "delivery": {"repository": REPOSITORY}},
            "delivery.repository: only used with mode: gitops; remove it or set delivery.mode: "
            "gitops",
        ),
        (
            {**DEV, "delivery": {"mode": "kubectl", "path": "gitops/dev"}},
            "delivery.path: only used with mode: gitops; remove it or set delivery.mode: gitops",
        ),
        # what the mode needs from the rest of the environment (check_delivery)
        (
            without(gitops(), "capabilities.argocd"),
            "delivery.mode: gitops needs Argo CD to sync the tree: add capabilities.argocd, or "
            "use mode kubectl",
        ),
        (
            without(gitops(), "governance.image_verification"),
            "governance.image_verification: image verification patches the verifier chart's "
            "ConfigMap, which GitOps delivery cannot share between two Applications: set "
            "governance.image_verification: off, or use delivery.mode: kubectl",
        ),
        (
            gitops(yaml.safe_load((CONFIG_DIR / "examples" / "automode.yaml").read_text())),
            "delivery.mode: gitops needs at least one managed node group (compute.node_groups)",
        ),
    ],
)
def test_each_rule_refuses_naming_file_field_and_fix(
    tmp_path: Path, data: dict[str, Any], expected: str
) -> None:
    found = problems(tmp_path, data)
    prefix = f"{tmp_path / 'env.yaml'}: "
    assert any(p.startswith(prefix + expected) for p in found), found
