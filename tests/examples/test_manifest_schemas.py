"""Every Kubernetes object the stacks apply, in every environment and example, is valid.

Built-in kinds are validated strictly against the Kubernetes OpenAPI schema of the oldest
supported minor version that the package `kubernetes-validate` ships. Custom resources have
no schema there: each kind must be one whose schema check lives in a named test, so a new
CRD kind cannot slip in unchecked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # cfn-lint requires it
import kubernetes_validate
import pytest
from kubernetes_validate.utils import SchemaNotFoundError

from eks_blueprint.template.kubernetes import KubeObject, manifest_objects
from tests.conftest import SynthResult
from tests.constructs.test_custom_networking import ENI_CONFIG_SCHEMA
from tests.constructs.test_pod_security_groups import SGP_SCHEMA

#: The Kubernetes version the built-in kinds are validated against.
KUBERNETES = "1.34.0"

#: Custom resource kinds (apiVersion group, kind) -> the test that checks their schema.
CUSTOM_KINDS: dict[tuple[str, str], str] = {
    ("karpenter.sh", "NodePool"): "tests/constructs/test_karpenter.py",
    ("karpenter.k8s.aws", "EC2NodeClass"): "tests/constructs/test_karpenter.py",
    ("policies.kyverno.io", "ValidatingPolicy"): "tests/governance/test_policy_schema.py",
    ("policies.kyverno.io", "MutatingPolicy"): "tests/governance/test_policy_schema.py",
    ("kyverno.io", "ClusterPolicy"): "tests/governance/test_policy_schema.py",
    ("notation.nirmata.io", "TrustPolicy"): "tests/governance/test_image_verification.py",
    ("notation.nirmata.io", "TrustStore"): "tests/governance/test_image_verification.py",
    # VPC CNI custom networking (staging): the ENIConfig CRD's schema, ENI_CONFIG_SCHEMA
    ("crd.k8s.amazonaws.com", "ENIConfig"): "tests/constructs/test_custom_networking.py",
    # Security groups for pods (prod): the SecurityGroupPolicy CRD's schema, SGP_SCHEMA
    ("vpcresources.k8s.aws", "SecurityGroupPolicy"): "tests/constructs/test_pod_security_groups.py",
    # GitOps delivery's bootstrap (the GitOps example): Argo CD's CRD schemas
    ("argoproj.io", "AppProject"): "tests/gitops/test_tree.py",
    ("argoproj.io", "Application"): "tests/gitops/test_tree.py",
}

#: Custom kinds whose named test keeps their CRD's schema as JSON Schema: every applied
#: object of these kinds is also validated here against it, so the shipped objects are
#: checked, not only the named test's own.
CUSTOM_SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {
    ("crd.k8s.amazonaws.com", "ENIConfig"): ENI_CONFIG_SCHEMA,
    ("vpcresources.k8s.aws", "SecurityGroupPolicy"): SGP_SCHEMA,
}


def _objects(synth: SynthResult) -> Iterator[tuple[str, KubeObject]]:
    for env, stacks in sorted(synth.templates.items()):
        for kind, template in sorted(stacks.items()):
            for obj in manifest_objects(template["Resources"], stack=kind):
                yield env, obj


def _check(env: str, obj: KubeObject) -> str | None:
    api_version = str(obj.body.get("apiVersion", ""))
    group = api_version.split("/", 1)[0] if "/" in api_version else ""
    try:
        kubernetes_validate.validate(obj.body, KUBERNETES, strict=True)
    except kubernetes_validate.ValidationError as error:
        return f"{env}: {obj.describe()}: {error.message}"
    except SchemaNotFoundError:
        # Not a built-in kind: a custom resource, whose check must be a known one.
        if (group, obj.kind) in CUSTOM_KINDS:
            schema = CUSTOM_SCHEMAS.get((group, obj.kind))
            if schema is not None:
                try:
                    jsonschema.validate(obj.body, schema)
                except jsonschema.ValidationError as error:
                    return f"{env}: {obj.describe()}: {error.message}"
            return None
        return f"{env}: {obj.describe()}: custom kind {group}/{obj.kind} has no schema check"
    return None


@pytest.mark.parametrize("source", ["environments", "examples"])
def test_every_applied_object_is_valid(source: str, request: pytest.FixtureRequest) -> None:
    synth: SynthResult = request.getfixturevalue(
        "synth" if source == "environments" else "example_synth"
    )
    found = list(_objects(synth))
    if source == "environments":
        assert found, "no Kubernetes objects found"
    problems = [p for env, obj in found if (p := _check(env, obj)) is not None]
    assert not problems, "\n".join(problems)
