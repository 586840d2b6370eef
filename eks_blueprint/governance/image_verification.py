"""Verified image signatures: AWS Signer (Notation) signatures checked at admission (cdk-free).

Why a separate service. Kyverno v1.19's own Notary verifier cannot check AWS Signer
signatures: both its verifiers (`pkg/image/verifiers/cpol/notary/notary.go` for
`kyverno.io/v1` policies and `pkg/image/verifiers/ivpol/notary/helpers.go` for
ImageValidatingPolicy, tag v1.19.0) build `notation-go`'s verifier with
`verifier.New(policy, trustStore, nil)`: no plugin manager, so a signature whose envelope
names a verification plugin (AWS Signer's `com.amazonaws.signer.notation.plugin`, which also
does revocation through `signer:GetRevocationStatus`) cannot be verified; and their trust
policy trusts `"*"` identities, so it could not be pinned to one signing profile anyway.
The nirmata/kyverno-notation-aws service (README, tag charts-v1.1.0) runs Notation WITH the
AWS Signer plugin and is called by a Kyverno policy: this module writes what it needs.

* `trust_store`: the AWS Signer Notation root CA of the commercial partition;
* `trust_policy`: the environment's repositories, trusting ONLY the signing profile, strict;
* `verification_policy`: the Kyverno ClusterPolicy that sends each Pod's images to the
  service and refuses (enforce) or reports (audit) an image without a valid signature;
* `caller_rbac`: lets Kyverno's admission controller read the service's TLS certificate
  (the CA bundle of the call), that one Secret only;
* `verifier_values`: the service chart's values.

Why a `kyverno.io/v1` ClusterPolicy and not a CEL ValidatingPolicy. v1.19's CEL `http`
library can call a service with a CA bundle (`http.Client(caBundle)`, see
`pkg/cel/compiler/http.go`), but the service's request contract is Kyverno's `images`
context variable (registry, path, name, tag of every container, as in the README and the
samples), which only `kyverno.io/v1` policies provide; rebuilding that parse of image
references in CEL would be a second, unverified implementation of it. The `kyverno.io/v1`
types are deprecated but served by v1.19 (chart values.yaml `crds.groups.kyverno`).

How `audit` reports. The service answers every failed verification (no signature, an
untrusted or revoked one, a repository out of scope) with HTTP 406 and the reason
(nirmata/kyverno-notation-verifier `HandleCheckImages`, verifier/client.go, commit 7ead86e,
the version chart v1.1 ships), never with a 200 saying `verified: false`. Kyverno turns a
failed service call into an `error` result of the rule (pkg/engine/apicall/executor.go), not
a `fail`. So: with `enforce` (failure policy Fail) an error blocks the request
(pkg/utils/engine/response.go `BlockRequest`), and the Pod is refused with the service's
message; with `audit` (failure policy Ignore) the Pod is admitted and the error is recorded:
an `error` result of policy `verify-image-signatures` in the namespace's `PolicyReport`
(`kubectl get policyreport -n <namespace> -o yaml`) and in `kyverno_policy_results_total`
(`rule_result="error"`). The rule's `deny` on `verified == false` only guards against a
future service version that answers 200 for a failure.

Known limits of chart v1.1 (templates/deployment.yaml): one replica, fixed resources and
no PodDisruptionBudget (not configurable); its container sets `AWS_REGION=us-west-2`, which
the AWS Signer plugin would use for revocation checks (aws/aws-signer-notation-plugin
internal/client/client.go) unless the plugin configuration names a region: `Governance`
patches `aws-region` into the chart's ConfigMap `notation-plugin-config`, which the verifier
passes to the plugin (VERIFIER_PLUGIN_CONFIG_MAP). ECR's region always comes from the
registry host.
"""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import Mapping, Sequence
from typing import Any, Final

from .spec import ImageVerification

#: Namespace and Helm release of the service (the chart's names follow the release:
#: `_helpers/_names.tpl`: fullname = release when it contains the chart name).
VERIFIER_NAMESPACE: Final = "kyverno-notation-aws"
VERIFIER_RELEASE: Final = "kyverno-notation-aws"
#: The service account the chart creates: `serviceAccount.name`, default the chart name.
VERIFIER_SERVICE_ACCOUNT: Final = "kyverno-notation-aws"
#: The Service: `<fullname>-svc` (`kyverno-notation-aws.serviceName`), port 443 -> 9443.
VERIFIER_SERVICE: Final = "kyverno-notation-aws-svc"
#: The TLS pair the service writes for itself (kyverno/pkg/tls naming,
#: `<service>.<namespace>.svc.tls-pair`, as in the README's sample policy); its
#: `tls.crt` is the CA bundle of the call.
VERIFIER_TLS_SECRET: Final = f"{VERIFIER_SERVICE}.{VERIFIER_NAMESPACE}.svc.tls-pair"
VERIFIER_URL: Final = f"https://{VERIFIER_SERVICE}.{VERIFIER_NAMESPACE}.svc/checkimages"
#: The chart sets `DEFAULT_TRUST_POLICY=aws-signer-trust-policy` (templates/deployment.yaml);
#: the policy also names it in each request.
TRUST_POLICY_NAME: Final = "aws-signer-trust-policy"
#: The trust store name AWS Signer's documentation uses for the commercial partition.
TRUST_STORE_NAME: Final = "aws-signer-ts"
#: Kyverno's namespace and the controllers the service accepts calls from: its default
#: The ConfigMap of Notation plugin settings the service passes to the AWS Signer plugin
#: (chart templates/configmap.yaml; `--pluginConfigMap` in main.go, tag charts-v1.1.0), and
#: the key that names the Signer region (aws-signer-notation-plugin `aws-region`).
VERIFIER_PLUGIN_CONFIG_MAP: Final = "notation-plugin-config"
VERIFIER_REGION_KEY: Final = "aws-region"
#: `--allowedUsers` (main.go, tag charts-v1.1.0), the service accounts of the kyverno chart
#: 3.9.0 installed as release `kyverno` in namespace `kyverno`.
KYVERNO_NAMESPACE: Final = "kyverno"
KYVERNO_ADMISSION_CONTROLLER: Final = "kyverno-admission-controller"
#: The Kyverno policy's name and its webhook timeout (the Kubernetes maximum: the service
#: reads the signature from ECR and asks AWS Signer about revocation, both over the network).
POLICY_NAME: Final = "verify-image-signatures"
RULE_NAME: Final = "check-signature"
WEBHOOK_TIMEOUT_SECONDS: Final = 30

#: "AWS Signer Code Signing Root CA G1", the root of AWS Signer's Notation signatures in the
#: commercial partition (valid 2022-10-27 to 2122-10-27). Public certificate, from the
#: TrustStore sample `aws-signer-ts` of nirmata/kyverno-notation-aws (configs/samples/
#: truststore.yaml, tag charts-v1.1.0), which names its download location
#: https://d2hvyiie56hcat.cloudfront.net/aws-signer-notation-root.cert (also the URL of
#: aws/aws-signer-notation-plugin examples/verify/main.go). GovCloud has another root.
AWS_SIGNER_ROOT_CA: Final = """\
-----BEGIN CERTIFICATE-----
MIICWTCCAd6gAwIBAgIRAMq5Lmt4rqnUdi8qM4eIGbYwCgYIKoZIzj0EAwMwbDEL
MAkGA1UEBhMCVVMxDDAKBgNVBAoMA0FXUzEVMBMGA1UECwwMQ3J5cHRvZ3JhcGh5
MQswCQYDVQQIDAJXQTErMCkGA1UEAwwiQVdTIFNpZ25lciBDb2RlIFNpZ25pbmcg
Um9vdCBDQSBHMTAgFw0yMjEwMjcyMTMzMjJaGA8yMTIyMTAyNzIyMzMyMlowbDEL
MAkGA1UEBhMCVVMxDDAKBgNVBAoMA0FXUzEVMBMGA1UECwwMQ3J5cHRvZ3JhcGh5
MQswCQYDVQQIDAJXQTErMCkGA1UEAwwiQVdTIFNpZ25lciBDb2RlIFNpZ25pbmcg
Um9vdCBDQSBHMTB2MBAGByqGSM49AgEGBSuBBAAiA2IABM9+dM9WXbVyNOIP08oN
IQW8DKKdBxP5nYNegFPLfGP0f7+0jweP8LUv1vlFZqVDep5ONus9IxwtIYBJLd36
5Q3Z44Xnm4PY/wSI5xRvB/m+/B2PHc7Smh0P5s3Dt25oVKNCMEAwDwYDVR0TAQH/
BAUwAwEB/zAdBgNVHQ4EFgQUONhd3abPX87l4YWKxjysv28QwAYwDgYDVR0PAQH/
BAQDAgGGMAoGCCqGSM49BAMDA2kAMGYCMQCd32GnYU2qFCtKjZiveGfs+gCBlPi2
Hw0zU52LXIFC2GlcvwcekbiM6w0Azlr9qvMCMQDl4+Os0yd+fVlYMuovvxh8xpjQ
NPJ9zRGyYa7+GNs64ty/Z6bzPHOKbGo4In3KKJo=
-----END CERTIFICATE-----
"""
#: SHA-256 of the certificate's DER encoding, computed here with
#: `openssl x509 -noout -fingerprint -sha256` (tests recompute it): compare it with the
#: certificate AWS Signer publishes before trusting a changed constant.
AWS_SIGNER_ROOT_CA_SHA256: Final = (
    "90:A8:7D:05:43:C3:F0:94:DB:FF:95:89:B6:64:9A:FF:"
    "E2:F3:D6:E0:F3:08:79:9B:E2:25:84:61:C6:86:47:3F"
)


def certificate_sha256(pem: str) -> str:
    """The SHA-256 fingerprint of a PEM certificate's DER bytes, as `AB:CD:...`."""
    digest = hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def image_patterns(repositories: Sequence[str]) -> list[str]:
    """The image references of `repositories` as Kyverno wildcards: the bare repository
    (tag `latest` implied), `<repo>:<tag>` and `<repo>@<digest>`. Never `<repo>*`, which
    would also take `<repo>-other`."""
    return [p for repo in repositories for p in (repo, f"{repo}:*", f"{repo}@*")]


def trust_store() -> dict[str, Any]:
    """The TrustStore (cluster-scoped, notation.nirmata.io/v1alpha1) with the AWS Signer root
    CA: `signingAuthority`, the Notary Project store type for signing services."""
    return {
        "apiVersion": "notation.nirmata.io/v1alpha1",
        "kind": "TrustStore",
        "metadata": {"name": TRUST_STORE_NAME},
        "spec": {
            "trustStoreName": TRUST_STORE_NAME,
            "type": "signingAuthority",
            "caBundle": AWS_SIGNER_ROOT_CA.strip(),
        },
    }


def trust_policy(verification: ImageVerification) -> dict[str, Any]:
    """The TrustPolicy: signatures of images in the environment's repositories must chain
    to the AWS Signer root and come from the one signing profile; `strict` checks
    integrity, authenticity, expiry and revocation and enforces each."""
    return {
        "apiVersion": "notation.nirmata.io/v1alpha1",
        "kind": "TrustPolicy",
        "metadata": {"name": TRUST_POLICY_NAME},
        "spec": {
            "version": "1.0",
            "trustPolicyName": TRUST_POLICY_NAME,
            "trustPolicies": [
                {
                    "name": TRUST_POLICY_NAME,
                    # Notation registry scopes are exact repository URIs (no wildcard but "*").
                    "registryScopes": sorted(verification.repositories),
                    "signatureVerification": {"level": "strict"},
                    "trustStores": [f"signingAuthority:{TRUST_STORE_NAME}"],
                    "trustedIdentities": [verification.signing_profile_arn],
                }
            ],
        },
    }


def verification_policy(
    verification: ImageVerification, excluded_namespaces: Sequence[str]
) -> dict[str, Any]:
    """The Kyverno ClusterPolicy that sends the images of every Pod created or updated
    outside `excluded_namespaces` to the service, when one of them comes from the
    environment's repositories.

    enforce: `Enforce` refuses an image without a valid signature of the profile, and
    failure policy `Fail` refuses it too when the service does not answer: nothing
    unverified from these repositories runs. audit: `Audit` admits and reports (see the
    module docstring), failure policy `Ignore`. Pod controllers are not checked
    (autogen off): their Pods are, which no workload kind can bypass.
    """
    enforce = verification.action == "enforce"
    patterns = image_patterns(sorted(verification.repositories))
    images = "{{ request.object.spec.[containers, initContainers, ephemeralContainers][].image }}"
    return {
        "apiVersion": "kyverno.io/v1",
        "kind": "ClusterPolicy",
        "metadata": {
            "name": POLICY_NAME,
            "annotations": {
                "policies.kyverno.io/title": "Verified image signatures (AWS Signer)",
                "policies.kyverno.io/description": "Images of the environment's ECR "
                "repositories must carry a valid Notation signature of the AWS Signer "
                "signing profile, checked by the kyverno-notation-aws service.",
                "pod-policies.kyverno.io/autogen-controllers": "none",
            },
        },
        "spec": {
            "validationFailureAction": "Enforce" if enforce else "Audit",
            "failurePolicy": "Fail" if enforce else "Ignore",
            "webhookTimeoutSeconds": WEBHOOK_TIMEOUT_SECONDS,
            # Admission only: a background scan would call ECR and Signer for every
            # running Pod each interval; admission reports already cover each new Pod.
            "background": False,
            "rules": [
                {
                    "name": RULE_NAME,
                    "match": {
                        "any": [
                            {
                                "resources": {
                                    "kinds": ["Pod"],
                                    "operations": ["CREATE", "UPDATE"],
                                }
                            }
                        ]
                    },
                    "exclude": {
                        "any": [{"resources": {"namespaces": sorted(excluded_namespaces)}}]
                    },
                    # Only Pods with an image of these repositories call the service.
                    "preconditions": {
                        "any": [{"key": images, "operator": "AnyIn", "value": patterns}]
                    },
                    "context": [
                        {
                            "name": "verifiercert",
                            "apiCall": {
                                "urlPath": f"/api/v1/namespaces/{VERIFIER_NAMESPACE}/"
                                f"secrets/{VERIFIER_TLS_SECRET}",
                                "jmesPath": 'base64_decode(data."tls.crt")',
                            },
                        },
                        {
                            "name": "verification",
                            "apiCall": {
                                "method": "POST",
                                "data": [
                                    {"key": "images", "value": "{{ images }}"},
                                    {"key": "imageReferences", "value": patterns},
                                    {"key": "trustPolicy", "value": TRUST_POLICY_NAME},
                                ],
                                "service": {
                                    "url": VERIFIER_URL,
                                    "caBundle": "{{ verifiercert }}",
                                },
                            },
                        },
                    ],
                    "validate": {
                        "message": "image signature check failed: {{ verification.message }}",
                        "deny": {
                            "conditions": {
                                "any": [
                                    {
                                        "key": "{{ verification.verified }}",
                                        "operator": "Equals",
                                        "value": False,
                                    }
                                ]
                            }
                        },
                    },
                }
            ],
        },
    }


def caller_rbac() -> list[dict[str, Any]]:
    """A Role and RoleBinding in the service's namespace: Kyverno's admission controller may
    `get` the service's TLS Secret (the policy's CA bundle), that Secret only. The kyverno
    chart grants its controllers no Secret access (admission-controller/clusterrole.yaml)."""
    name = "kyverno-reads-verifier-certificate"
    return [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": name, "namespace": VERIFIER_NAMESPACE},
            "rules": [
                {
                    "apiGroups": [""],
                    "resources": ["secrets"],
                    "resourceNames": [VERIFIER_TLS_SECRET],
                    "verbs": ["get"],
                }
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": name, "namespace": VERIFIER_NAMESPACE},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
            "subjects": [
                {
                    "kind": "ServiceAccount",
                    "name": KYVERNO_ADMISSION_CONTROLLER,
                    "namespace": KYVERNO_NAMESPACE,
                }
            ],
        },
    ]


def verification_manifests(
    verification: ImageVerification, excluded_namespaces: Sequence[str]
) -> list[dict[str, Any]]:
    """Everything applied after the service's chart, in apply order: trust store, trust
    policy, the caller's RBAC, the Kyverno policy."""
    return [
        trust_store(),
        trust_policy(verification),
        *caller_rbac(),
        verification_policy(verification, excluded_namespaces),
    ]


def verifier_values(
    node_selector: Mapping[str, str], tolerations: Sequence[Mapping[str, str]]
) -> dict[str, Any]:
    """The service chart's values (values.yaml, tag charts-v1.1.0): its CRDs, placement,
    and no registry secrets (ECR credentials come from Pod Identity)."""
    return {
        "crds": {"install": True},
        "serviceAccount": {"enabled": True, "name": VERIFIER_SERVICE_ACCOUNT},
        "nodeSelector": dict(node_selector),
        "tolerations": [dict(t) for t in tolerations],
        "deployment": {"allowInsecureRegistry": False, "imagePullSecrets": {}},
    }
