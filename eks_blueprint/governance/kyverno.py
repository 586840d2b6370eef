"""Governance: Kyverno from a pinned chart, the cluster's policies, and verified signatures.

What it builds, in the cluster's workloads layer (or, on an eks.Cluster with aws_eks_v2's
kubectl provider, as that provider's resources):

* the Kyverno chart (kyverno/kyverno tag kyverno-chart-3.9.0, Kyverno v1.19.0) in namespace
  `kyverno`, every controller and hook Job on the capacity named by `node_selector` and
  `tolerations` (the chart's `global.nodeSelector`/`global.tolerations`, used by the
  deployments and the hooks alike);
* the admission controller with `replicas` pods spread over nodes (required) and zones
  (preferred), a PodDisruptionBudget from 2 replicas (minAvailable replicas - 1, so a drain
  never takes two of three), priority `system-cluster-critical` (a preempted webhook with failure
  policy Fail stops every matched write in the cluster), a memory limit and no CPU limit (a
  throttled webhook times out);
* the policies (`policies.policy_manifests`) in one pruned manifest after the chart, whose
  CRDs they need;
* with `image_verification`, the kyverno-notation-aws service (see `image_verification`)
  with its Pod Identity role, trust store, trust policy and Kyverno policy.

Failure policy and timeouts: each policy carries `PolicySet.failure_policy` and
`timeout_seconds` (1-30 s, Kubernetes' range); the signature check always 30 s. `Fail`
(production) refuses what Kyverno cannot judge in time: nothing unchecked gets in, which is
why production runs 3 replicas with a PDB on system capacity; `Ignore` admits it.

Excluded namespaces: `PolicySet.excluded_namespaces` (spec.SYSTEM_NAMESPACES by default,
each with its reason) are taken out of every Kyverno webhook by the namespace selector of
the chart's `config.webhooks` (v1.19 merges it into the webhooks of every policy type,
pkg/controllers/webhook/validating.go `resolveNamespaceSelector`) and out of the engine by
`config.resourceFiltersIncludeNamespaces`; `kyverno` itself by `excludeKyvernoNamespace`.
A wrong policy or a Kyverno outage can then never stop the add-ons that bring capacity or
Kyverno itself back.

Uninstall: deleting the chart runs its pre-delete hooks (templates/hooks): a Job scales the
controllers to zero, then a Job deletes Kyverno's webhook configurations; those also carry
an owner reference to the chart's ClusterRole named `*:webhook`
(`buildOwner`, pkg/controllers/webhook/controller.go), so the garbage collector removes them
with the release even if a hook fails. The chart depends on the capacity and the add-ons
known when it is created, so CloudFormation deletes it (and the policies before it) while
nodes still run the hooks; no webhook is left to block deletes of other objects.

Ordering: the chart's pods need nodes. Capacity and `Addons` registered on the cluster
before this construct (eks_blueprint.wiring) are dependencies of the charts; call
`add_compute_dependency` for capacity added later.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from aws_cdk import Duration, Stack, Token
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct, IConstruct

from ..addons.versions import GOVERNANCE_CHARTS
from ..identity import PodIdentityRole, PodIdentityRoleProps
from ..kubernetes import Applied, Layer, install_chart, patch_object
from ..kubernetes_objects import pruned_manifest, require_kubectl_provider
from ..validate_names import REGION, PropError, check_choice, check_prop, check_range
from ..wiring import addons_of, capacity_of
from .image_verification import (
    KYVERNO_NAMESPACE,
    VERIFIER_NAMESPACE,
    VERIFIER_PLUGIN_CONFIG_MAP,
    VERIFIER_REGION_KEY,
    VERIFIER_RELEASE,
    VERIFIER_SERVICE_ACCOUNT,
    verification_manifests,
    verifier_values,
)
from .policies import policy_manifests
from .spec import ACTIONS, ImageVerification, PolicySet

KYVERNO_REPOSITORY, KYVERNO_CHART_VERSION = GOVERNANCE_CHARTS["kyverno"]
VERIFIER_REPOSITORY, VERIFIER_CHART_VERSION = GOVERNANCE_CHARTS["kyverno-notation-aws"]
#: Namespaces the kyverno chart's default `config.resourceFilters` already skip.
_FILTERED_BY_DEFAULT: Final = frozenset({"kube-system", "kube-public", "kube-node-lease"})
_LABEL_KEY = re.compile(
    r"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
)
_LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?")
_TOLERATION_FIELDS: Final = ("key", "operator", "value", "effect")
_ECR_REPOSITORY = re.compile(r"\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com/[a-z0-9._/-]+")
_ECR_REPOSITORY_ARN = re.compile(r"arn:aws:ecr:[a-z0-9-]+:\d{12}:repository/[a-z0-9._/-]+")
_SIGNING_PROFILE_ARN = re.compile(
    r"arn:aws:signer:[a-z0-9-]+:\d{12}:/signing-profiles/[A-Za-z0-9_]{2,64}"
)


@dataclass(frozen=True, kw_only=True)
class GovernanceProps:
    """Kyverno and the policies of one cluster."""

    cluster: eks.ICluster
    """The cluster; charts and manifests are applied to it, so it must take them: a ControlPlane's
    Kubernetes layers (the default) or an eks.Cluster with aws_eks_v2's kubectl provider."""
    policies: PolicySet
    """What is enforced and audited, the failure policy, the webhook timeout and the
    excluded namespaces."""
    chart_version: str = KYVERNO_CHART_VERSION
    """The kyverno chart version. Default: the pin in addons/versions.py (3.9.0, Kyverno
    v1.19.0); the values below are read from that version's values.yaml."""
    replicas: int = 3
    """Admission controller replicas, 1 to 5; from 2 with a PodDisruptionBudget and two
    replicas of each of the other controllers. Default: 3."""
    node_selector: Mapping[str, str] = field(default_factory=dict)
    """Node labels every Kyverno (and verifier) pod requires, e.g. {"role": "system"}.
    Default: none (`kubernetes.io/os: linux`, which the chart always adds)."""
    tolerations: Sequence[Mapping[str, str]] = ()
    """Tolerations of those pods, each with key/operator/value/effect, e.g.
    {"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoSchedule"}.
    Default: none."""
    image_verification: ImageVerification | None = None
    """Signature verification of the environment's images. Default: none."""
    kubernetes_version: str | None = None
    """The cluster's version ("1.34"), for the Pod Identity agent of the verifier's role
    (as `PodIdentityRoleProps.kubernetes_version`). Default: the cluster's own; required
    for an imported cluster with `image_verification`."""


@dataclass(frozen=True)
class Verifier:
    """The signature verification service and what it is made of."""

    chart: Applied
    role: PodIdentityRole
    manifest: Applied
    plugin_region: Applied
    """Sets the AWS Signer plugin's region in the service's plugin ConfigMap."""


class Governance(Construct):
    """Kyverno, the cluster's policies and verified image signatures (module docstring)."""

    def __init__(self, scope: Construct, id: str, *, props: GovernanceProps) -> None:
        super().__init__(scope, id)
        check_governance(self.node.path, props)
        self._props = props
        #: Constructs that must wait for nodes (see add_compute_dependency).
        self._needs_nodes: list[IConstruct] = []
        self.chart = install_chart(
            self,
            "Kyverno",
            props.cluster,
            layer=Layer.WORKLOADS,
            chart="kyverno",
            repository=KYVERNO_REPOSITORY,
            version=props.chart_version,
            release="kyverno",
            namespace=KYVERNO_NAMESPACE,
            create_namespace=True,
            values=kyverno_values(props),
            wait=True,
            # Three replicas, CRDs and the post-upgrade migration Job: more than the
            # default five minutes on a fresh node, and short enough that the policies and
            # the demo after it still start in the layer handler's 14 minutes (EKSDEP21).
            timeout=Duration.minutes(7),
        )
        self._needs_nodes.append(self.chart)
        self.policies = pruned_manifest(
            self,
            "Policies",
            props.cluster,
            policy_manifests(props.policies),
            layer=Layer.WORKLOADS,
            overwrite=True,
        )
        """The policies; after the chart (CRDs), deleted before it."""
        self.policies.node.add_dependency(self.chart)
        self.verifier: Verifier | None = (
            self._verifier(props.image_verification)
            if props.image_verification is not None
            else None
        )
        for hosts in capacity_of(props.cluster):
            self.add_compute_dependency(hosts)
        addons = addons_of(props.cluster)
        if addons is not None:
            # vpc-cni, CoreDNS, and the load balancer controller's Service webhook first.
            for item in self._needs_nodes:
                item.node.add_dependency(addons)

    def add_compute_dependency(self, nodes: IConstruct) -> None:
        """Install the charts after `nodes` (capacity created after this construct)."""
        for item in self._needs_nodes:
            item.node.add_dependency(nodes)

    def _verifier(self, verification: ImageVerification) -> Verifier:
        props = self._props
        role = PodIdentityRole(
            self,
            "VerifierRole",
            props=PodIdentityRoleProps(
                cluster=props.cluster,
                namespace=VERIFIER_NAMESPACE,
                service_account=VERIFIER_SERVICE_ACCOUNT,
                statements=verifier_statements(verification),
                exception_reason=VERIFIER_EXCEPTION_REASON,
                kubernetes_version=props.kubernetes_version,
            ),
        )
        chart = install_chart(
            self,
            "Verifier",
            props.cluster,
            layer=Layer.WORKLOADS,
            chart="kyverno-notation-aws",
            repository=VERIFIER_REPOSITORY,
            version=VERIFIER_CHART_VERSION,
            release=VERIFIER_RELEASE,
            namespace=VERIFIER_NAMESPACE,
            create_namespace=True,
            values=verifier_values(props.node_selector, props.tolerations),
            wait=True,
        )
        # Pod Identity injects credentials when a pod starts: the association first.
        chart.node.add_dependency(role.association)
        self._needs_nodes.append(chart)
        manifest = pruned_manifest(
            self,
            "Verification",
            props.cluster,
            verification_manifests(verification, props.policies.excluded_namespaces),
            layer=Layer.WORKLOADS,
            overwrite=True,
        )
        # The notation CRDs (verifier chart) and kyverno.io CRDs (Kyverno chart) first.
        manifest.node.add_dependency(chart, self.chart)
        # Revocation is checked with AWS Signer in the profile's region, not the chart's
        # fixed us-west-2 (image_verification module docstring).
        region = verification.region or Stack.of(self).region
        plugin_region = patch_object(
            self,
            "VerifierRegion",
            props.cluster,
            layer=Layer.WORKLOADS,
            resource_name=f"configmap/{VERIFIER_PLUGIN_CONFIG_MAP}",
            namespace=VERIFIER_NAMESPACE,
            apply_patch={"data": {VERIFIER_REGION_KEY: region}},
            # A strategic-merge null removes the key again (an empty map would change nothing).
            restore_patch={"data": {VERIFIER_REGION_KEY: None}},
        )
        plugin_region.node.add_dependency(chart)
        return Verifier(chart=chart, role=role, manifest=manifest, plugin_region=plugin_region)


#: Why the verifier's role has `*` resources (the cdk-nag acknowledgement's reason).
VERIFIER_EXCEPTION_REASON: Final = (
    "ecr:GetAuthorizationToken and signer:GetRevocationStatus take no resource ARN (the AWS "
    "Signer samples grant GetRevocationStatus on *); image reads are limited to the "
    "environment's repositories."
)


def verifier_statements(verification: ImageVerification) -> list[iam.PolicyStatement]:
    """What the verification service does in AWS: read images, their referrers and
    signatures in the environment's repositories only; get an ECR token (account-wide, no
    resource ARN); ask AWS Signer whether a signature was revoked (strict verification).

    Repository actions: the pull and list actions of AmazonEC2ContainerRegistryReadOnly
    (the README recommends that policy) without its policy and scan-finding reads. Which
    of them ECR's OCI referrers API authorizes was not confirmed offline, so all of them.
    """
    return [
        iam.PolicyStatement(
            sid="ReadSignedImages",
            actions=[
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:DescribeImages",
                "ecr:GetDownloadUrlForLayer",
                "ecr:ListImages",
            ],
            resources=sorted(verification.repository_arns),
        ),
        iam.PolicyStatement(
            sid="RegistryToken", actions=["ecr:GetAuthorizationToken"], resources=["*"]
        ),
        iam.PolicyStatement(
            sid="SignatureRevocation", actions=["signer:GetRevocationStatus"], resources=["*"]
        ),
    ]


def kyverno_values(props: GovernanceProps) -> dict[str, Any]:
    """The kyverno chart's values (values.yaml at kyverno-chart-3.9.0) for `props`."""
    excluded = sorted(set(props.policies.excluded_namespaces) - {KYVERNO_NAMESPACE})
    ha = props.replicas > 1
    others = 2 if ha else 1

    def sized(cpu: str, memory: str, limit: str) -> dict[str, Any]:
        return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": limit}}

    def spread(component: str) -> list[dict[str, Any]]:
        selector = {
            "matchLabels": {
                "app.kubernetes.io/component": component,
                "app.kubernetes.io/instance": "kyverno",
            }
        }
        return [
            {
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": selector,
                "matchLabelKeys": ["pod-template-hash"],
            },
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": selector,
                "matchLabelKeys": ["pod-template-hash"],
            },
        ]

    def controller(component: str, replicas: int, resources: dict[str, Any]) -> dict[str, Any]:
        return {
            "replicas": replicas,
            "resources": resources,
            "topologySpreadConstraints": spread(component),
            # Leader-elected controllers: a PDB of minAvailable 1 keeps one for failover.
            "podDisruptionBudget": {"enabled": replicas > 1},
        }

    values: dict[str, Any] = {
        "global": {
            "nodeSelector": dict(props.node_selector),
            "tolerations": [dict(t) for t in props.tolerations],
            "priorityClassName": "system-cluster-critical",
        },
        # The CRDs (kyverno.io, policies.kyverno.io, reports, wgpolicyk8s.io) come with the
        # chart and are upgraded with it; the post-upgrade migration Job stays on.
        "crds": {"install": True, "migration": {"enabled": True}},
        "config": {
            "excludeKyvernoNamespace": True,
            "webhooks": {
                "namespaceSelector": {
                    "matchExpressions": [
                        {
                            "key": "kubernetes.io/metadata.name",
                            "operator": "NotIn",
                            "values": excluded,
                        }
                    ]
                }
            },
            "resourceFiltersIncludeNamespaces": [
                n for n in excluded if n not in _FILTERED_BY_DEFAULT
            ],
            # Kyverno must not rewrite image references of unqualified images to docker.io:
            # the allowed-registries policy judges what the user wrote.
            "enableDefaultRegistryMutation": False,
        },
        "features": {
            "policyReports": {"enabled": True},
            "admissionReports": {"enabled": True},
            "backgroundScan": {"enabled": True, "backgroundScanInterval": "1h"},
            # Node and CSR requests never wait on Kyverno: a cluster restarting with no
            # Kyverno pod can still register the nodes that would run it.
            "excludeBootstrapResources": {"enabled": True},
            "forceFailurePolicyIgnore": {"enabled": False},
            "policyExceptions": {"enabled": False},
            "logging": {"format": "json"},
        },
        "admissionController": {
            "replicas": props.replicas,
            "podDisruptionBudget": {
                "enabled": ha,
                # One pod down at a time (3 -> 2 stay). As minAvailable, not maxUnavailable:
                # the chart refuses both set, and CDK drops a null that would unset its
                # default minAvailable 1 (values with None never reach Helm).
                "minAvailable": max(1, props.replicas - 1),
                # A crash-looping pod must not block node drains.
                "unhealthyPodEvictionPolicy": "AlwaysAllow",
            },
            "topologySpreadConstraints": spread("admission-controller"),
            "container": {"resources": sized("200m", "256Mi", "768Mi")},
        },
        "backgroundController": controller(
            "background-controller", others, sized("100m", "128Mi", "256Mi")
        ),
        "reportsController": controller(
            "reports-controller", others, sized("100m", "128Mi", "512Mi")
        ),
        "cleanupController": controller(
            "cleanup-controller", others, sized("50m", "64Mi", "128Mi")
        ),
        # The pre-delete hooks that remove the webhooks (module docstring).
        "webhooksCleanup": {"enabled": True},
    }
    if props.image_verification is not None:
        # Kyverno 1.19 sends apiCall requests a token of audience kyverno-svc.kyverno.io
        # (values.yaml `apiCallToken`, pkg/engine/apicall/httpclient.go); the verifier
        # (kyverno-notation-verifier, used by chart v1.1) reviews it with a TokenReview
        # that names no audience, i.e. the API server's, and would refuse it. Without an
        # audience the token is an API-server token of Kyverno's service account: policies
        # must only call in-cluster services (ours call only the verifier). "" and not
        # None: the template renders `audience` only when set (`with`), and CDK drops None.
        values["apiCallToken"] = {"audience": ""}
    return values


def check_governance(path: str, props: GovernanceProps) -> None:
    """Refuse props Kubernetes, the chart or the verifier would refuse, naming the prop."""
    require_kubectl_provider(
        path, "GovernanceProps.cluster", props.cluster, "Governance installs Helm charts"
    )
    if not props.chart_version.strip():
        raise PropError(
            path,
            "GovernanceProps.chart_version",
            props.chart_version,
            f"give a kyverno chart version, e.g. {KYVERNO_CHART_VERSION!r}",
        )
    check_prop(path, "GovernanceProps.replicas", props.replicas, check_range, 1, 5)
    policies = props.policies
    check_prop(
        path,
        "GovernanceProps.policies.failure_policy",
        policies.failure_policy,
        check_choice,
        ("Fail", "Ignore"),
    )
    check_prop(
        path,
        "GovernanceProps.policies.timeout_seconds",
        policies.timeout_seconds,
        check_range,
        1,
        30,
    )
    for action_field in ("action", "latest_tag"):
        check_prop(
            path,
            f"GovernanceProps.policies.{action_field}",
            getattr(policies, action_field),
            check_choice,
            ACTIONS,
        )
    for key, value in props.node_selector.items():
        if not _LABEL_KEY.fullmatch(key) or not _LABEL_VALUE.fullmatch(value):
            raise PropError(
                path,
                f"GovernanceProps.node_selector[{key!r}]",
                value,
                "not a Kubernetes label key and value; e.g. {'role': 'system'}",
            )
    for index, toleration in enumerate(props.tolerations):
        _check_toleration(path, f"GovernanceProps.tolerations[{index}]", toleration)
    if props.image_verification is not None:
        _check_verification(path, props.image_verification, policies)


def _check_toleration(path: str, at: str, toleration: Mapping[str, str]) -> None:
    extra = sorted(set(toleration) - set(_TOLERATION_FIELDS))
    operator = toleration.get("operator", "Equal")
    effect = toleration.get("effect")
    problem = None
    if extra:
        problem = f"unknown fields {', '.join(extra)}; use {', '.join(_TOLERATION_FIELDS)}"
    elif operator not in ("Equal", "Exists"):
        problem = "operator must be Equal or Exists"
    elif operator == "Exists" and "value" in toleration:
        problem = "operator Exists takes no value"
    elif operator == "Equal" and "key" not in toleration:
        problem = "operator Equal needs a key (Exists without a key tolerates every taint)"
    elif effect is not None and effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
        problem = "effect must be NoSchedule, PreferNoSchedule or NoExecute"
    if problem is not None:
        raise PropError(path, at, dict(toleration), problem)


def _check_verification(path: str, verification: ImageVerification, policies: PolicySet) -> None:
    at = "GovernanceProps.image_verification"
    check_prop(path, f"{at}.action", verification.action, check_choice, ACTIONS)
    if not verification.repositories:
        raise PropError(
            path, f"{at}.repositories", (), "name at least one repository whose images are signed"
        )
    if len(verification.repository_arns) != len(verification.repositories):
        raise PropError(
            path,
            f"{at}.repository_arns",
            list(verification.repository_arns),
            f"give one ARN per repository ({len(verification.repositories)})",
        )
    shapes = [
        (f"{at}.repositories[{i}]", uri, _ECR_REPOSITORY,
         "not an ECR repository URI; e.g. "
         "111111111111.dkr.ecr.eu-west-1.amazonaws.com/shop/api (no tag)")
        for i, uri in enumerate(verification.repositories)
    ] + [
        (f"{at}.repository_arns[{i}]", arn, _ECR_REPOSITORY_ARN,
         "not an ECR repository ARN; e.g. arn:aws:ecr:eu-west-1:111111111111:repository/shop/api")
        for i, arn in enumerate(verification.repository_arns)
    ] + [
        (f"{at}.signing_profile_arn", verification.signing_profile_arn, _SIGNING_PROFILE_ARN,
         "not an AWS Signer signing profile ARN (without version); e.g. "
         "arn:aws:signer:eu-west-1:111111111111:/signing-profiles/platform"),
    ]  # fmt: skip
    for prop, value, shape, fix in shapes:
        # Tokens resolve at deploy time (e.g. the profile ARN from the security stack).
        if not Token.is_unresolved(value) and not shape.fullmatch(value):
            raise PropError(path, prop, value, fix)
    region = verification.region
    if region is not None and not Token.is_unresolved(region) and not REGION.fullmatch(region):
        raise PropError(
            path,
            f"{at}.region",
            region,
            "not an AWS region; give the signing profile's region, e.g. eu-west-1, or leave it "
            "unset for the stack's",
        )
    if VERIFIER_NAMESPACE not in policies.excluded_namespaces:
        raise PropError(
            path,
            "GovernanceProps.policies.excluded_namespaces",
            list(policies.excluded_namespaces),
            f"must include {VERIFIER_NAMESPACE!r} with image verification: the service's "
            "chart has one replica, no PDB and no probes the workload policies accept, so "
            "they would keep it from starting and no signed image could be admitted",
        )
