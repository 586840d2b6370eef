"""`governance:`: the environment's defaults, what each field accepts, and one refusal per
rule naming the file, the field and the fix (through the loader, as a user sees them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eks_blueprint.config import EnvironmentConfig
from eks_blueprint.governance.environment import policy_set, verifies_images
from tests.unit.test_config import DEV, as_production, mutate, problems


def test_defaults_follow_the_environment() -> None:
    dev = EnvironmentConfig.model_validate(DEV)
    prod = EnvironmentConfig.model_validate(
        as_production(mutate(workloads={}, security__registries=DEV["security"]["registries"][:1]))
    )
    for config, action, replicas, failure in ((dev, "audit", 1, "Ignore"),
                                              (prod, "enforce", 3, "Fail")):  # fmt: skip
        governance = config.governance
        production = config.is_production
        assert governance.enabled
        assert governance.resolved_action(production) == action
        assert governance.resolved_latest_tag(production) == action
        assert governance.resolved_replicas(production) == replicas
        assert governance.resolved_failure_policy(production) == failure
        assert governance.resolved_image_verification(production, True) == action
        assert governance.resolved_image_verification(production, False) == "off"
        policies = policy_set(config)
        assert (policies.action, policies.failure_policy) == (action, failure)


def test_allowed_registries_are_the_own_repositories_then_the_list() -> None:
    config = EnvironmentConfig.model_validate(DEV)
    own = [f"111111111111.dkr.ecr.eu-west-1.amazonaws.com/{r['name']}"
           for r in DEV["security"]["registries"]]  # fmt: skip
    assert list(config.allowed_registries()) == [*own, "public.ecr.aws/y7c9e1d2/joozero-repo"]
    assert config.registry_allowed("public.ecr.aws/y7c9e1d2/joozero-repo:1.0")
    assert config.registry_allowed(f"{own[0]}@sha256:{'a' * 64}")
    # A prefix ends at a path, tag or digest boundary.
    assert not config.registry_allowed("public.ecr.aws/y7c9e1d2/joozero-repo-evil:1")
    assert not config.registry_allowed("docker.io/library/nginx:1.27")


def test_verification_needs_registries_and_is_off_without_them() -> None:
    config = EnvironmentConfig.model_validate(mutate(security__registries=[], workloads={}))
    assert not verifies_images(config)
    assert verifies_images(EnvironmentConfig.model_validate(DEV))


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        (
            {"governance__allowed_registries": ["nginx"]},
            "governance.allowed_registries[0]: 'nginx' is not an image prefix; give a registry "
            "host",
        ),
        (
            {"governance__allowed_registries": ["https://quay.io/x/"]},
            "governance.allowed_registries[0]",
        ),
        (
            {"governance__allowed_registries": ["quay.io/x/", "quay.io/x/"]},
            "governance.allowed_registries[1]: quay.io/x/ is listed more than once",
        ),
        ({"governance__replicas": 0}, "governance.replicas"),
        ({"governance__replicas": 6}, "governance.replicas"),
        ({"governance__webhook_timeout_seconds": 31}, "governance.webhook_timeout_seconds"),
        ({"governance__failure_policy": "Never"}, "governance.failure_policy"),
        ({"governance__action": "block"}, "governance.action"),
        ({"governance__image_verification": "maybe"}, "governance.image_verification"),
        ({"governance__kyverno": True}, "governance.kyverno"),
        (
            {"cluster__version": "1.32"},
            "governance.enabled: the pinned Kyverno (v1.19.0) supports Kubernetes 1.33 to 1.35 "
            "(kyverno.io compatibility matrix), not cluster.version 1.32",
        ),
        (
            {"security__registries": [], "workloads": {},
             "governance__image_verification": "enforce"},
            "governance.image_verification: is enforce, but security.registries is empty",
        ),
        (
            {"governance__allowed_registries": []},
            "governance.allowed_registries: workloads.demo.image "
            "'public.ecr.aws/y7c9e1d2/joozero-repo:latest' is from no allowed registry",
        ),
    ],
)
def test_each_rule_refuses_naming_file_field_and_fix(
    tmp_path: Path, changes: dict[str, Any], fragment: str
) -> None:
    found = problems(tmp_path, mutate(**changes))
    assert any(fragment in p for p in found), found


def test_governance_off_lifts_its_rules(tmp_path: Path) -> None:
    # An older cluster, no allowed registry for the demo: fine without governance.
    data = mutate(cluster__version="1.33", governance={"enabled": False})
    assert EnvironmentConfig.model_validate(data).governance.enabled is False


def test_tenant_logs_stated_without_the_cloudwatch_add_on_are_refused(tmp_path: Path) -> None:
    tenant = {"name": "payments", "quota": {"cpu": "8", "memory": "16Gi"},
              "telemetry": {"logs": True}}  # fmt: skip
    found = problems(tmp_path, mutate(tenants=[tenant]))
    assert any(
        "tenants[0].telemetry.logs: the tenant's logs are shipped by the Fluent Bit of the "
        "amazon-cloudwatch-observability add-on" in p
        for p in found
    ), found
