"""Image signature verification manifests: trust store, trust policy, Kyverno policy, RBAC.

The ClusterPolicy is validated against Kyverno's CRD schema (npm @kubernetes-models/kyverno),
the notation CRs against the CRDs of nirmata/kyverno-notation-aws charts-v1.1.0 read from the
local mirror (skipped where the mirror is absent).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # cfn-lint requires it
import pytest
import yaml

from eks_blueprint.governance.image_verification import (
    AWS_SIGNER_ROOT_CA,
    AWS_SIGNER_ROOT_CA_SHA256,
    KYVERNO_ADMISSION_CONTROLLER,
    TRUST_POLICY_NAME,
    VERIFIER_NAMESPACE,
    VERIFIER_TLS_SECRET,
    VERIFIER_URL,
    caller_rbac,
    certificate_sha256,
    image_patterns,
    trust_policy,
    trust_store,
    verification_manifests,
    verification_policy,
    verifier_values,
)
from eks_blueprint.governance.spec import SYSTEM_NAMESPACES, ImageVerification
from tests.governance.test_policy_schema import _validate

ROOT = Path(__file__).resolve().parents[2]
NIRMATA = Path("/work/.mirror/nirmata+kyverno-notation-aws/repo")
CRDS = "charts-v1.1.0:charts/kyverno-notation-aws/templates/crds/"
REPO = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/shop/api"
OTHER = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/shop/web"
PROFILE = "arn:aws:signer:eu-west-1:222222222222:/signing-profiles/platform"


def _verification(action: Any = "enforce") -> ImageVerification:
    return ImageVerification(
        action=action,
        repositories=(OTHER, REPO),
        repository_arns=(
            "arn:aws:ecr:eu-west-1:111111111111:repository/shop/web",
            "arn:aws:ecr:eu-west-1:111111111111:repository/shop/api",
        ),
        signing_profile_arn=PROFILE,
    )


def test_the_root_certificate_has_the_recorded_fingerprint() -> None:
    assert certificate_sha256(AWS_SIGNER_ROOT_CA) == AWS_SIGNER_ROOT_CA_SHA256
    store = trust_store()
    assert store["spec"]["type"] == "signingAuthority"
    assert certificate_sha256(store["spec"]["caBundle"] + "\n") == AWS_SIGNER_ROOT_CA_SHA256


def test_the_trust_policy_scopes_the_repositories_and_trusts_only_the_profile() -> None:
    (policy,) = trust_policy(_verification())["spec"]["trustPolicies"]
    assert policy["registryScopes"] == [REPO, OTHER]
    assert policy["trustedIdentities"] == [PROFILE]
    assert policy["signatureVerification"] == {"level": "strict"}
    assert policy["trustStores"] == ["signingAuthority:aws-signer-ts"]
    assert "*" not in policy["registryScopes"]


def test_image_patterns_never_admit_a_longer_repository_name() -> None:
    assert image_patterns([REPO]) == [REPO, f"{REPO}:*", f"{REPO}@*"]
    assert not any(p.endswith(REPO + "*") for p in image_patterns([REPO]))


@pytest.mark.parametrize(
    ("action", "mode", "failure"), [("enforce", "Enforce", "Fail"), ("audit", "Audit", "Ignore")]
)
def test_enforce_refuses_and_audit_admits(action: str, mode: str, failure: str) -> None:
    spec = verification_policy(_verification(action), tuple(SYSTEM_NAMESPACES))["spec"]
    assert spec["validationFailureAction"] == mode
    assert spec["failurePolicy"] == failure
    assert spec["webhookTimeoutSeconds"] == 30
    assert spec["background"] is False


def test_the_policy_calls_the_service_for_images_of_the_repositories_only() -> None:
    excluded = ("kube-system", VERIFIER_NAMESPACE)
    (rule,) = verification_policy(_verification(), excluded)["spec"]["rules"]
    assert rule["exclude"]["any"][0]["resources"]["namespaces"] == sorted(excluded)
    (condition,) = rule["preconditions"]["any"]
    assert condition["operator"] == "AnyIn"
    assert condition["value"] == image_patterns([REPO, OTHER])
    call = rule["context"][1]["apiCall"]
    assert call["service"] == {"url": VERIFIER_URL, "caBundle": "{{ verifiercert }}"}
    data = {item["key"]: item["value"] for item in call["data"]}
    assert data["trustPolicy"] == TRUST_POLICY_NAME
    assert data["imageReferences"] == condition["value"]
    assert VERIFIER_TLS_SECRET in rule["context"][0]["apiCall"]["urlPath"]
    assert rule["validate"]["deny"]["conditions"]["any"][0]["value"] is False


def test_kyverno_may_read_only_the_services_certificate() -> None:
    role, binding = caller_rbac()
    assert role["rules"] == [
        {
            "apiGroups": [""],
            "resources": ["secrets"],
            "resourceNames": [VERIFIER_TLS_SECRET],
            "verbs": ["get"],
        }
    ]
    assert binding["subjects"][0]["name"] == KYVERNO_ADMISSION_CONTROLLER
    assert role["metadata"]["namespace"] == VERIFIER_NAMESPACE


def test_manifests_come_in_apply_order_and_values_place_the_service() -> None:
    kinds = [m["kind"] for m in verification_manifests(_verification(), ("kube-system",))]
    assert kinds == ["TrustStore", "TrustPolicy", "Role", "RoleBinding", "ClusterPolicy"]
    toleration = {"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoSchedule"}
    values = verifier_values({"role": "system"}, [toleration])
    assert values["nodeSelector"] == {"role": "system"}
    assert values["tolerations"] == [toleration]
    assert values["deployment"]["imagePullSecrets"] == {}


def _validate_with_npm(kind: str, obj: dict[str, Any]) -> str:
    """'ok', or the schema errors of `obj` (a `kind`) from scripts/validate_kyverno.mjs."""
    assert obj["kind"] == kind
    done = _validate([obj])
    return "ok" if done.returncode == 0 else done.stdout.strip()


@pytest.mark.parametrize("action", ["enforce", "audit"])
def test_the_cluster_policy_matches_kyvernos_schema(action: str) -> None:
    policy = verification_policy(_verification(action), tuple(SYSTEM_NAMESPACES))
    assert _validate_with_npm("ClusterPolicy", policy) == "ok"


def test_the_schema_check_catches_a_bad_policy() -> None:
    policy = verification_policy(_verification(), ("kube-system",))
    policy["spec"]["validationFailureAction"] = "Refuse"
    assert _validate_with_npm("ClusterPolicy", policy) != "ok"


def _crd_schema(file: str) -> dict[str, Any]:
    if not NIRMATA.exists():
        pytest.skip("the nirmata/kyverno-notation-aws mirror is not on this machine")
    text = subprocess.run(
        ["git", "-C", str(NIRMATA), "show", CRDS + file],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    body = "\n".join(line for line in text.splitlines() if not line.startswith("{{"))
    crd = yaml.safe_load(body)
    schema: dict[str, Any] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return _closed(schema)


def _closed(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with unknown fields refused (the API server would prune them silently)."""
    if "properties" in schema and "additionalProperties" not in schema:
        schema = {**schema, "additionalProperties": False}
        schema["properties"] = {
            k: v if k == "metadata" else _closed(v) for k, v in schema["properties"].items()
        }
    if "items" in schema:
        schema = {**schema, "items": _closed(schema["items"])}
    return schema


@pytest.mark.parametrize(
    ("file", "build"),
    [
        ("notation.nirmata.io_truststores.yaml", lambda: trust_store()),
        ("notation.nirmata.io_trustpolicies.yaml", lambda: trust_policy(_verification())),
    ],
)
def test_notation_objects_match_their_crds(file: str, build: Any) -> None:
    schema = _crd_schema(file)
    jsonschema.validate(build(), schema)
    broken = build()
    broken["spec"]["unknownField"] = True
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)
