"""Every policy, evaluated offline (evaluate.py, cel-python): a passing and a failing
manifest each, the pod-controller autogen, enforce vs audit, the excluded namespaces, and the
tenant mutations."""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import pytest

from eks_blueprint.governance.evaluate import (
    EvaluationError,
    Violation,
    apply_patch,
    evaluate,
    mutate,
)
from eks_blueprint.governance.policies import (
    POLICY_NAMES,
    POLICY_TABLE,
    image_allowed,
    policy_manifests,
    registry_starts,
)
from eks_blueprint.governance.spec import COST_LABEL, TENANT_LABEL, PolicySet, TenantRules

ECR = "333333333333.dkr.ecr.eu-west-1.amazonaws.com/shop/api"
POLICIES = PolicySet(
    allowed_registries=(ECR, "public.ecr.aws/nginx/", "docker.io/library/redis"),
    tenants=(
        TenantRules(
            name="payments",
            dedicated=True,
            priority_class="tenant-silver",
            allowed_priority_classes=("tenant-bronze",),
        ),
        TenantRules(name="batch", pod_security="baseline"),
    ),
)
MANIFESTS = policy_manifests(POLICIES)
TENANT_NS = {TENANT_LABEL: "payments"}


def container(**overrides: Any) -> dict[str, Any]:
    """A container that passes every policy, restricted included."""
    base: dict[str, Any] = {
        "name": "app",
        "image": f"{ECR}:1.2.3",
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"memory": "128Mi"},
        },
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }
    base.update(overrides)
    return base


def pod(namespace: str = "payments", **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"containers": [container()]}
    body.update(spec)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": namespace, "labels": {"app": "a"}},
        "spec": body,
    }


def deployment(namespace: str = "shop", replicas: int = 1, **spec: Any) -> dict[str, Any]:
    template = pod(namespace, **spec)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "a"}},
            "template": {"metadata": {"labels": {"app": "a"}}, "spec": template["spec"]},
        },
    }


def cronjob(namespace: str = "shop", **spec: Any) -> dict[str, Any]:
    template = pod(namespace, **spec)
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "c", "namespace": namespace},
        "spec": {
            "schedule": "* * * * *",
            "jobTemplate": {"spec": {"template": {"spec": template["spec"]}}},
        },
    }


def pdb(namespace: str = "shop", selector: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "b", "namespace": namespace},
        "spec": {"maxUnavailable": 1, "selector": selector or {"matchLabels": {"app": "a"}}},
    }


def violations(
    obj: dict[str, Any],
    labels: dict[str, str] | None = None,
    manifests: list[dict[str, Any]] | None = None,
    cluster: list[dict[str, Any]] | None = None,
) -> list[Violation]:
    return evaluate(manifests or MANIFESTS, obj, namespace_labels=labels, cluster=cluster or [])


def failed(obj: dict[str, Any], labels: dict[str, str] | None = None, **kw: Any) -> set[str]:
    return {v.policy for v in violations(obj, labels, **kw)}


# --- The manifests ------------------------------------------------------------------------


def test_every_policy_is_listed_and_described() -> None:
    names = [m["metadata"]["name"] for m in MANIFESTS]
    assert names == [
        "pod-security-baseline",
        "pod-security-restricted",
        "pod-security-restricted-audit",
        "require-requests-limits",
        "disallow-latest-tag",
        "allowed-registries",
        "require-readiness-probe",
        "require-pdb",
        "tenant-no-nodeport",
        "restrict-tenant-tolerations",
        "restrict-tenant-priority-class",
        "tenant-batch-pods",
        "tenant-payments-pods",
        "tenant-payments-priority-class",
    ]
    fixed = {n for n in names if not n.startswith("tenant-") or n == "tenant-no-nodeport"}
    assert fixed <= set(POLICY_NAMES)
    assert len(POLICY_TABLE) == len(POLICY_NAMES)
    for manifest in MANIFESTS:
        annotations = manifest["metadata"]["annotations"]
        assert annotations["policies.kyverno.io/title"]
        assert annotations["policies.kyverno.io/description"].endswith(".")
        assert manifest["apiVersion"] == "policies.kyverno.io/v1"
        assert manifest["spec"]["failurePolicy"] == "Fail"
        assert manifest["spec"]["webhookConfiguration"] == {"timeoutSeconds": 10}
    assert policy_manifests(POLICIES) == MANIFESTS  # deterministic


def test_optional_policies_are_left_out() -> None:
    names = {m["metadata"]["name"] for m in policy_manifests(PolicySet())}
    assert names == {
        "pod-security-baseline",
        "pod-security-restricted-audit",
        "require-requests-limits",
        "disallow-latest-tag",
        "require-readiness-probe",
        "require-pdb",
    }


def test_actions_follow_the_policy_set() -> None:
    audit = policy_manifests(dataclasses.replace(POLICIES, action="audit", latest_tag="enforce"))
    actions = {m["metadata"]["name"]: m["spec"].get("validationActions") for m in audit}
    assert actions["pod-security-baseline"] == ["Deny"]  # always
    assert actions["pod-security-restricted-audit"] == ["Audit"]  # always
    assert actions["pod-security-restricted"] == ["Deny"]  # as the namespace's PSA label
    assert actions["require-pdb"] == ["Audit"]
    assert actions["disallow-latest-tag"] == ["Deny"]
    enforce = {m["metadata"]["name"]: m["spec"].get("validationActions") for m in MANIFESTS}
    assert enforce["pod-security-restricted"] == ["Deny"]
    assert enforce["require-pdb"] == ["Deny"]


def test_audit_reports_instead_of_refusing() -> None:
    manifests = policy_manifests(dataclasses.replace(POLICIES, action="audit"))
    bad = pod("shop", containers=[container(resources={})])
    found = violations(bad, manifests=manifests)
    assert [(v.policy, v.action) for v in found] == [("require-requests-limits", "Audit")]
    assert [(v.policy, v.action) for v in violations(bad)] == [("require-requests-limits", "Deny")]


def test_excluded_namespaces_are_not_matched() -> None:
    bad = pod("kube-system", hostNetwork=True, containers=[{"name": "x", "image": "nginx"}])
    assert violations(bad) == []
    assert violations(deployment("karpenter", replicas=3)) == []
    assert "pod-security-baseline" in failed(dict(bad, metadata={"name": "p", "namespace": "x"}))


def test_failure_policy_and_timeout_are_passed_on() -> None:
    manifests = policy_manifests(
        dataclasses.replace(POLICIES, failure_policy="Ignore", timeout_seconds=25)
    )
    assert {m["spec"]["failurePolicy"] for m in manifests} == {"Ignore"}
    assert {m["spec"]["webhookConfiguration"]["timeoutSeconds"] for m in manifests} == {25}


# --- Pod Security Standards ---------------------------------------------------------------


def test_a_restricted_pod_passes_everything() -> None:
    assert violations(pod(), TENANT_NS) == []
    assert violations(pod("shop")) == []


BASELINE_BREAKS: dict[str, dict[str, Any]] = {
    "hostNetwork": {"hostNetwork": True},
    "hostPID": {"hostPID": True},
    "hostIPC": {"hostIPC": True},
    "hostPath": {"volumes": [{"name": "h", "hostPath": {"path": "/"}}]},
    "sysctl": {"securityContext": {"sysctls": [{"name": "kernel.msgmax", "value": "1"}]}},
    "pod seccomp": {"securityContext": {"seccompProfile": {"type": "Unconfined"}}},
    "pod selinux": {"securityContext": {"seLinuxOptions": {"type": "spc_t"}}},
    "pod hostProcess": {"securityContext": {"windowsOptions": {"hostProcess": True}}},
    "pod apparmor": {"securityContext": {"appArmorProfile": {"type": "Unconfined"}}},
}
CONTAINER_BREAKS: dict[str, dict[str, Any]] = {
    "privileged": {"privileged": True},
    "capability": {"capabilities": {"drop": ["ALL"], "add": ["SYS_ADMIN"]}},
    "procMount": {"procMount": "Unmasked"},
    "seccomp": {"seccompProfile": {"type": "Unconfined"}},
    "selinux user": {"seLinuxOptions": {"user": "root"}},
    "apparmor": {"appArmorProfile": {"type": "Unconfined"}},
    "hostProcess": {"windowsOptions": {"hostProcess": True}},
}


@pytest.mark.parametrize("spec", BASELINE_BREAKS.values(), ids=BASELINE_BREAKS.keys())
def test_baseline_refuses_pod_fields(spec: dict[str, Any]) -> None:
    body = pod("shop")
    for key, value in spec.items():
        if key == "securityContext":
            body["spec"]["securityContext"] = value
        else:
            body["spec"][key] = value
    found = violations(body)
    assert ("pod-security-baseline", "Deny") in {(v.policy, v.action) for v in found}


@pytest.mark.parametrize("context", CONTAINER_BREAKS.values(), ids=CONTAINER_BREAKS.keys())
@pytest.mark.parametrize("where", ["containers", "initContainers", "ephemeralContainers"])
def test_baseline_refuses_container_fields(context: dict[str, Any], where: str) -> None:
    sc = dict(container()["securityContext"], **context)
    extra = container(name="extra", securityContext=sc)
    body = pod("shop")
    body["spec"][where] = [*body["spec"].get(where, []), extra]
    assert "pod-security-baseline" in failed(body)


def test_baseline_allows_its_safe_values() -> None:
    body = pod(
        "shop",
        securityContext={
            "sysctls": [{"name": "net.ipv4.tcp_syncookies", "value": "1"}],
            "seLinuxOptions": {"type": "container_t", "level": "s0:c1"},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        containers=[
            container(ports=[{"containerPort": 80, "hostPort": 0}]),
        ],
    )
    body["metadata"]["annotations"] = {
        "container.apparmor.security.beta.kubernetes.io/app": "runtime/default"
    }
    assert "pod-security-baseline" not in failed(body)
    body["metadata"]["annotations"]["container.apparmor.security.beta.kubernetes.io/app"] = (
        "unconfined"
    )
    assert "pod-security-baseline" in failed(body)


def test_host_ports_are_refused() -> None:
    body = pod("shop", containers=[container(ports=[{"containerPort": 80, "hostPort": 80}])])
    assert "pod-security-baseline" in failed(body)


RESTRICTED_BREAKS: dict[str, dict[str, Any]] = {
    "privilege escalation": {"allowPrivilegeEscalation": True},
    "root user": {"runAsUser": 0},
    "runAsNonRoot false": {"runAsNonRoot": False},
    "no drop ALL": {"capabilities": {"drop": ["NET_RAW"]}},
    "adds a baseline capability": {"capabilities": {"drop": ["ALL"], "add": ["CHOWN"]}},
    "no seccomp": {"seccompProfile": None},
}


@pytest.mark.parametrize("change", RESTRICTED_BREAKS.values(), ids=RESTRICTED_BREAKS.keys())
def test_restricted_is_refused_for_tenants_and_audited_elsewhere(change: dict[str, Any]) -> None:
    sc = {k: v for k, v in {**container()["securityContext"], **change}.items() if v is not None}
    tenant_pod = pod(initContainers=[container(name="init", securityContext=sc)])
    assert ("pod-security-restricted", "Deny") in {
        (v.policy, v.action) for v in violations(tenant_pod, TENANT_NS)
    }
    other = pod("shop", initContainers=[container(name="init", securityContext=sc)])
    assert {(v.policy, v.action) for v in violations(other)} == {
        ("pod-security-restricted-audit", "Audit")
    }
    # A baseline tenant is audited, not refused.
    baseline = pod("batch", initContainers=[container(name="init", securityContext=sc)])
    assert {(v.policy, v.action) for v in violations(baseline, {TENANT_LABEL: "batch"})} == {
        ("pod-security-restricted-audit", "Audit")
    }


def test_restricted_takes_pod_level_settings() -> None:
    bare = container(
        securityContext={"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
    )
    body = pod(
        securityContext={"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        containers=[bare],
    )
    assert violations(body, TENANT_NS) == []
    body["spec"]["volumes"] = [{"name": "n", "nfs": {"server": "s", "path": "/"}}]
    assert "pod-security-restricted" in failed(body, TENANT_NS)
    windows = pod(
        os={"name": "windows"},
        securityContext={"runAsNonRoot": True},
        containers=[container(securityContext={})],
    )
    assert violations(windows, TENANT_NS) == []


# --- Workload policies ----------------------------------------------------------------------


def test_requests_and_limits() -> None:
    no_limit = container(resources={"requests": {"cpu": "1", "memory": "1Gi"}})
    assert "require-requests-limits" in failed(pod("shop", containers=[no_limit]))
    init = container(name="init", resources={"limits": {"memory": "1Gi"}})
    assert "require-requests-limits" in failed(pod("shop", initContainers=[init]))
    assert "require-requests-limits" not in failed(pod("shop"))


@pytest.mark.parametrize(
    ("image", "refused"),
    [
        (f"{ECR}:latest", True),
        (ECR, True),
        ("redis", True),
        ("localhost:5000/shop/api", True),
        (f"{ECR}:1.2.3", False),
        (f"{ECR}@sha256:{'a' * 64}", False),
        ("localhost:5000/shop/api:2", False),
        (f"{ECR}:latest@sha256:{'a' * 64}", True),
    ],
)
def test_latest_tag(image: str, refused: bool) -> None:
    assert ("disallow-latest-tag" in failed(pod("shop", containers=[container(image=image)]))) is (
        refused
    )


@pytest.mark.parametrize(
    ("image", "allowed"),
    [
        (f"{ECR}:1", True),
        (f"{ECR}/worker:1", True),
        (f"{ECR}@sha256:{'a' * 64}", True),
        (f"{ECR}-evil:1", False),
        ("public.ecr.aws/nginx/nginx:1.27", True),
        ("public.ecr.aws/other/nginx:1.27", False),
        ("redis:7", True),  # docker.io/library/redis
        ("docker.io/library/redis:7", True),
        ("redis-evil:7", False),
        ("bitnami/redis:7", False),  # docker.io/bitnami/redis
        ("nginx:1.27", False),
    ],
)
def test_allowed_registries(image: str, allowed: bool) -> None:
    body = pod("shop", containers=[container(image=image)])
    assert ("allowed-registries" not in failed(body)) is allowed
    # The Python twin the config uses (EnvironmentConfig.registry_allowed) agrees with the CEL.
    assert image_allowed(image, POLICIES.allowed_registries) is allowed


def test_registry_prefixes_end_at_a_boundary() -> None:
    assert registry_starts(("a.io/x", "b.io/")) == ["a.io/x/", "a.io/x:", "a.io/x@", "b.io/"]


def test_readiness_probe() -> None:
    assert "require-readiness-probe" not in failed(deployment())
    bare = {k: v for k, v in container().items() if k != "readinessProbe"}
    assert "require-readiness-probe" in failed(deployment(containers=[bare]))
    # Pods are not Deployments: the probe rule is about rollouts.
    assert "require-readiness-probe" not in failed(pod("shop", containers=[bare]))


def test_pdb_for_replicated_deployments() -> None:
    assert "require-pdb" not in failed(deployment(replicas=1))
    assert "require-pdb" in failed(deployment(replicas=3))
    assert "require-pdb" not in failed(deployment(replicas=3), cluster=[pdb()])
    assert "require-pdb" in failed(deployment(replicas=3), cluster=[pdb("elsewhere")])
    other = pdb(selector={"matchLabels": {"app": "b"}})
    assert "require-pdb" in failed(deployment(replicas=3), cluster=[other])
    expressions = pdb(
        selector={
            "matchExpressions": [
                {"key": "app", "operator": "In", "values": ["a", "b"]},
                {"key": "tier", "operator": "DoesNotExist"},
            ]
        }
    )
    assert "require-pdb" not in failed(deployment(replicas=3), cluster=[expressions])
    not_in = pdb(
        selector={"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["a"]}]}
    )
    assert "require-pdb" in failed(deployment(replicas=3), cluster=[not_in])


def test_tenants_may_not_create_node_ports() -> None:
    service: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s", "namespace": "payments"},
        "spec": {"type": "NodePort", "ports": [{"port": 80}]},
    }
    assert "tenant-no-nodeport" in failed(service, TENANT_NS)
    assert "tenant-no-nodeport" not in failed(
        service | {"metadata": {"name": "s", "namespace": "shop"}}
    )
    cluster_ip = copy.deepcopy(service)
    cluster_ip["spec"]["type"] = "ClusterIP"
    assert failed(cluster_ip, TENANT_NS) == set()


# --- Autogen ------------------------------------------------------------------------------


def test_pod_policies_check_deployments_and_cronjobs() -> None:
    bad: dict[str, Any] = {
        "hostPID": True,
        "containers": [container(image="redis:latest", resources={})],
    }
    for controller in (deployment("shop", **bad), cronjob("shop", **bad)):
        assert {
            "pod-security-baseline",
            "require-requests-limits",
            "disallow-latest-tag",
        } <= failed(controller)
        assert (
            violations(
                deployment("shop") if controller["kind"] == "Deployment" else cronjob("shop")
            )
            == []
        )


def test_autogen_keeps_the_object_namespace() -> None:
    # Kyverno leaves `object.metadata.namespace` unrewritten: the PDB lookup of a pod
    # policy would still see the controller's namespace (checked through the rewrite).
    from eks_blueprint.governance.evaluate import _rewrite

    assert _rewrite("object.metadata.namespace", "spec.template.") == "object.metadata.namespace"
    assert _rewrite("object.metadata.labels", "spec.template.") == (
        "object.spec.template.metadata.labels"
    )


# --- Tenants ------------------------------------------------------------------------------


def test_tenant_mutations() -> None:
    mutated = mutate(MANIFESTS, pod(), namespace_labels=TENANT_NS)
    assert mutated["metadata"]["labels"] == {"app": "a", COST_LABEL: "payments"}
    assert mutated["spec"]["tolerations"] == [
        {"key": TENANT_LABEL, "operator": "Equal", "value": "payments", "effect": "NoSchedule"}
    ]
    assert mutated["spec"]["affinity"] == {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchExpressions": [
                            {"key": TENANT_LABEL, "operator": "In", "values": ["payments"]}
                        ]
                    }
                ]
            }
        }
    }
    assert violations(mutated, TENANT_NS) == []
    # Idempotent: mutating again changes nothing.
    assert mutate(MANIFESTS, mutated, namespace_labels=TENANT_NS) == mutated


def test_tenant_label_overrides_a_claimed_tenant() -> None:
    body = pod()
    body["metadata"]["labels"][COST_LABEL] = "someone-else"
    mutated = mutate(MANIFESTS, body, namespace_labels=TENANT_NS)
    assert mutated["metadata"]["labels"][COST_LABEL] == "payments"


def test_affinity_is_added_to_every_existing_term() -> None:
    terms = [
        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]},
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n"]}]},
    ]
    body = pod(
        affinity={
            "podAntiAffinity": {},
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}
            },
        }
    )
    mutated = mutate(MANIFESTS, body, namespace_labels=TENANT_NS)
    affinity = mutated["spec"]["affinity"]
    assert affinity["podAntiAffinity"] == {}
    got = affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    requirement = {"key": TENANT_LABEL, "operator": "In", "values": ["payments"]}
    assert [t["matchExpressions"][-1] for t in got["nodeSelectorTerms"]] == [requirement] * 2
    assert got["nodeSelectorTerms"][0]["matchExpressions"][0]["key"] == "zone"
    assert got["nodeSelectorTerms"][1]["matchFields"] == terms[1]["matchFields"]


def test_shared_tenant_gets_only_the_label() -> None:
    body = pod("batch")
    mutated = mutate(MANIFESTS, body, namespace_labels={TENANT_LABEL: "batch"})
    assert mutated["metadata"]["labels"][COST_LABEL] == "batch"
    assert "tolerations" not in mutated["spec"] and "affinity" not in mutated["spec"]
    # Outside tenant namespaces nothing changes.
    assert mutate(MANIFESTS, pod("shop")) == pod("shop")


def test_priority_class_on_controllers_when_unset() -> None:
    mutated = mutate(MANIFESTS, deployment("payments"), namespace_labels=TENANT_NS)
    assert mutated["spec"]["template"]["spec"]["priorityClassName"] == "tenant-silver"
    chosen = deployment("payments", priorityClassName="tenant-bronze")
    assert mutate(MANIFESTS, chosen, namespace_labels=TENANT_NS) == chosen
    cron = mutate(MANIFESTS, cronjob("payments"), namespace_labels=TENANT_NS)
    template = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert template["priorityClassName"] == "tenant-silver"
    # Pods are not given a class: their priority is resolved before webhooks run.
    assert "priorityClassName" not in mutate(MANIFESTS, pod(), namespace_labels=TENANT_NS)["spec"]


@pytest.mark.parametrize(
    ("toleration", "refused"),
    [
        (
            {"key": TENANT_LABEL, "operator": "Equal", "value": "other", "effect": "NoSchedule"},
            True,
        ),
        ({"key": TENANT_LABEL, "operator": "Exists"}, True),
        ({"operator": "Exists"}, True),
        ({"key": TENANT_LABEL, "operator": "Equal", "value": "payments"}, False),
        (
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
            False,
        ),
    ],
)
def test_cross_tenant_tolerations(toleration: dict[str, Any], refused: bool) -> None:
    body = pod(tolerations=[toleration])
    assert ("restrict-tenant-tolerations" in failed(body, TENANT_NS)) is refused
    # Outside tenant namespaces no toleration of the tenant key is allowed.
    if toleration.get("key") == TENANT_LABEL:
        assert "restrict-tenant-tolerations" in failed(pod("shop", tolerations=[toleration]))


# --- The evaluator itself -----------------------------------------------------------------


def test_unknown_functions_raise() -> None:
    policy = copy.deepcopy(MANIFESTS[0])
    policy["spec"]["validations"] = [
        {"expression": "object.spec.nope().size() > 0", "message": "m"}
    ]
    with pytest.raises(EvaluationError):
        evaluate([policy], pod("shop"))
    policy["spec"]["validations"] = [{"expression": "'a,b'.split(',').size() == 2", "message": "m"}]
    with pytest.raises(EvaluationError):
        evaluate([policy], pod("shop"))


def test_jsonpatch_autogen_is_refused() -> None:
    policy = copy.deepcopy(
        next(m for m in MANIFESTS if m["metadata"]["name"] == "tenant-payments-pods")
    )
    del policy["spec"]["autogen"]
    with pytest.raises(EvaluationError, match="autogen"):
        mutate([policy], deployment("payments"), namespace_labels=TENANT_NS)


def test_apply_patch_errors() -> None:
    with pytest.raises(EvaluationError):
        apply_patch({}, [{"op": "replace", "path": "/a", "value": 1}])
    with pytest.raises(EvaluationError):
        apply_patch({}, [{"op": "move", "path": "/a", "from": "/b"}])
    assert apply_patch({"a": [1]}, [{"op": "add", "path": "/a/-", "value": 2}]) == {"a": [1, 2]}


@pytest.mark.parametrize(
    ("priority_class", "refused"),
    [
        (None, False),  # the tier's class comes from the mutation on the controller
        ("tenant-silver", False),  # its own tier
        ("tenant-bronze", False),  # a lower tier
        ("tenant-gold", True),  # a higher tier
        ("system-cluster-critical", True),  # a platform class
    ],
)
def test_tenants_name_only_their_tier_or_lower(priority_class: str | None, refused: bool) -> None:
    spec = {"priorityClassName": priority_class} if priority_class else {}
    assert ("restrict-tenant-priority-class" in failed(pod(**spec), TENANT_NS)) is refused
    # Checked on controllers' templates too (autogen), where the mutation sets the class.
    template = deployment("payments", **spec)
    assert ("restrict-tenant-priority-class" in failed(template, TENANT_NS)) is refused


def test_tiers_of_an_environment_allow_only_lower_classes() -> None:
    from pathlib import Path

    from eks_blueprint.config.loader import load_config
    from eks_blueprint.governance.environment import policy_set

    config = load_config(Path("config/prod.yaml"))
    (payments,) = policy_set(config).tenants
    assert payments.priority_class == "tenant-gold"
    assert set(payments.allowed_priority_classes) == {"tenant-silver", "tenant-bronze"}


def test_a_terminating_pod_is_never_refused() -> None:
    """Dropping the finalizers of a pod admitted before the policies existed must not be
    refused, or the pod could never finish terminating."""
    bad = pod("shop", hostNetwork=True, containers=[container(image="nginx:latest")])
    assert "pod-security-baseline" in failed(bad)
    terminating = copy.deepcopy(bad)
    terminating["metadata"]["deletionTimestamp"] = "2026-11-30T08:00:00Z"
    found = evaluate(MANIFESTS, terminating, operation="UPDATE", cluster=[])
    assert found == []
    # Controllers are still checked (their template has no deletionTimestamp).
    assert failed(deployment("shop", hostNetwork=True))


def test_only_the_verifier_is_ever_called_from_a_policy() -> None:
    """Kyverno sends an API-server-valid token with every service call and CEL http call
    (apiCallToken.audience is the API server's, for the verifier): no policy may call
    anything else."""
    from eks_blueprint.governance.image_verification import VERIFIER_URL, verification_manifests
    from eks_blueprint.governance.spec import ImageVerification

    verification = ImageVerification(
        action="enforce",
        repositories=(ECR,),
        repository_arns=("arn:aws:ecr:eu-west-1:333333333333:repository/shop/api",),
        signing_profile_arn="arn:aws:signer:eu-west-1:333333333333:/signing-profiles/p",
    )
    text = json.dumps(MANIFESTS)
    assert "http." not in text and "apiCall" not in text
    urls: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "service" and isinstance(value, dict):
                    urls.append(value["url"])
                if key == "expression" and isinstance(value, str):
                    assert "http." not in value
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(verification_manifests(verification, POLICIES.excluded_namespaces))
    assert urls == [VERIFIER_URL]
