"""The cluster's Kyverno policies, as pure functions of a `PolicySet` (cdk-free).

`policy_manifests(policies)` returns the policy objects, in a fixed order, as CEL-based
Kyverno policies of `policies.kyverno.io/v1` (Kyverno 1.19, chart 3.9.0):

* `ValidatingPolicy`: the Pod Security Standards (baseline refused everywhere; restricted
  refused in the tenant namespaces that ask for it and audited everywhere else) and the
  project's workload rules (requests and limits, no `:latest`, allowed registries, readiness
  probes, a PodDisruptionBudget for replicated Deployments, no NodePort for tenants, no
  toleration of another tenant's dedicated nodes);
* `MutatingPolicy`: per tenant, its pods' cost label, dedicated-node toleration and required
  node affinity, and its priority class on pod controllers.

Decisions, so that the policies and the offline evaluator (`evaluate.py`) agree:

* Every policy selects namespaces with `kubernetes.io/metadata.name NotIn
  excluded_namespaces` (the API server sets that label on every namespace).
* Pod validations match `pods` only, with Kyverno's pod-controller autogen pinned to
  Deployment, StatefulSet, DaemonSet, Job and CronJob, so a bad Deployment is refused when
  it is applied, not when its ReplicaSet later fails to create pods. Kyverno autogen
  rewrites `object.spec` to `object.spec.template.spec` (CronJob: `object.spec.jobTemplate.
  spec.template.spec`) and `object.metadata` likewise, except `object.metadata.namespace`
  (kyverno v1.19.0 pkg/cel/autogen/data.go, replacement.go, support.go), so every pod
  expression here reads the pod through `object.spec` / `object.metadata` only.
* Mutations use JSONPatch, whose paths Kyverno's MutatingPolicy autogen does NOT rewrite (it
  rewrites ApplyConfiguration only: pkg/cel/policies/mpol/autogen/autogen.go), so the pod
  mutation has autogen switched off (`controllers: []`) and mutates pods themselves. The
  priority class instead is set on the pod controllers' templates: a webhook that sets
  `priorityClassName` on a Pod comes after the Priority admission plugin has resolved the
  pod's priority, which then no longer follows the class (kyverno/policies issues 530, 661).
* Images: a container image matches an allowed prefix P when it starts with P and either P
  ends with `/` or the next character is `/`, `:` or `@`. An image whose first path segment
  is not a registry host (no `.` or `:` in it and not `localhost`) is Docker Hub and is
  normalised first: `nginx:1.27` -> `docker.io/library/nginx:1.27`, `bitnami/redis` ->
  `docker.io/bitnami/redis`. `docker.io/nginx` (explicit host, no `library/`) is NOT
  rewritten: list `docker.io/library/nginx` and write images the same way.
* `:latest`: the tag after the last `/` is `latest`, or the image has neither a tag nor a
  digest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final, Literal

from .spec import COST_LABEL, DEDICATED_TAINT_EFFECT, TENANT_LABEL, Action, PolicySet, TenantRules

API_VERSION: Final = "policies.kyverno.io/v1"
#: The label the API server puts on every namespace, with its name.
NAMESPACE_NAME_LABEL: Final = "kubernetes.io/metadata.name"
#: Pod controllers whose templates Kyverno's autogen checks with the pod policies
#: (names from kyverno v1.19.0 pkg/cel/autogen/data.go ConfigsMap). ReplicaSets are left out:
#: Deployments own them, and their pods are checked as pods anyway.
AUTOGEN_CONTROLLERS: Final = ("cronjobs", "daemonsets", "deployments", "jobs", "statefulsets")

TITLE: Final = "policies.kyverno.io/title"
DESCRIPTION: Final = "policies.kyverno.io/description"

Kind = Literal["ValidatingPolicy", "MutatingPolicy"]


@dataclass(frozen=True)
class PolicyInfo:
    """One row of the README's policy table."""

    name: str
    """The policy's name; `<tenant>` stands for each tenant's name."""
    title: str
    kind: Kind
    scope: str
    """Where it applies and how (refused or audited)."""


#: Every policy `policy_manifests` can return, in its order (README "Governance").
POLICY_TABLE: Final[tuple[PolicyInfo, ...]] = (
    PolicyInfo(
        "pod-security-baseline",
        "Pod Security Standards: baseline",
        "ValidatingPolicy",
        "all namespaces but the excluded ones; always refused",
    ),
    PolicyInfo(
        "pod-security-restricted",
        "Pod Security Standards: restricted",
        "ValidatingPolicy",
        "tenant namespaces whose pod_security is restricted; always refused (as their Pod "
        "Security Admission label)",
    ),
    PolicyInfo(
        "pod-security-restricted-audit",
        "Pod Security Standards: restricted (audit)",
        "ValidatingPolicy",
        "every other namespace but the excluded ones; always audited",
    ),
    PolicyInfo(
        "require-requests-limits",
        "Require resource requests and memory limits",
        "ValidatingPolicy",
        "all namespaces but the excluded ones; `action`",
    ),
    PolicyInfo(
        "disallow-latest-tag",
        "Disallow :latest and untagged images",
        "ValidatingPolicy",
        "all namespaces but the excluded ones; `latest_tag`",
    ),
    PolicyInfo(
        "allowed-registries",
        "Allowed image registries",
        "ValidatingPolicy",
        "all namespaces but the excluded ones, when prefixes are given; `action`",
    ),
    PolicyInfo(
        "require-readiness-probe",
        "Require readiness probes on Deployments",
        "ValidatingPolicy",
        "all namespaces but the excluded ones; `action`",
    ),
    PolicyInfo(
        "require-pdb",
        "Require a PodDisruptionBudget for replicated Deployments",
        "ValidatingPolicy",
        "all namespaces but the excluded ones; `action`",
    ),
    PolicyInfo(
        "tenant-no-nodeport",
        "No NodePort Services in tenant namespaces",
        "ValidatingPolicy",
        "tenant namespaces; `action`",
    ),
    PolicyInfo(
        "restrict-tenant-tolerations",
        "Pods may not tolerate another tenant's dedicated nodes",
        "ValidatingPolicy",
        "all namespaces but the excluded ones, when a tenant is dedicated; `action`",
    ),
    PolicyInfo(
        "restrict-tenant-priority-class",
        "Tenant pods name only their tier's priority class or a lower one",
        "ValidatingPolicy",
        "tenant namespaces with a tier; `action`",
    ),
    PolicyInfo(
        "tenant-<tenant>-pods",
        "Tenant pod label, toleration and node affinity",
        "MutatingPolicy",
        "the tenant's namespace (pods, on create)",
    ),
    PolicyInfo(
        "tenant-<tenant>-priority-class",
        "Tenant priority class",
        "MutatingPolicy",
        "the tenant's namespace (pod controllers), when the tenant names a class",
    ),
)
#: The names of the fixed policies (the per-tenant ones have `<tenant>` in theirs).
POLICY_NAMES: Final[tuple[str, ...]] = tuple(row.name for row in POLICY_TABLE)
#: name -> title of the fixed policies: each ValidatingPolicy's title annotation is its row's.
_TITLES: Final[dict[str, str]] = {row.name: row.title for row in POLICY_TABLE}

# --- Facts the Pod Security checks are made of ------------------------------------------
# Source: Kubernetes docs "Pod Security Standards" (kubernetes.io/docs/concepts/security/
# pod-security-standards/) and k8s.io/pod-security-admission policy/check_*.go.

#: Baseline "Capabilities": what `capabilities.add` may hold.
BASELINE_CAPABILITIES: Final = (
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
)
#: Baseline "Sysctls": the safe set (as of Kubernetes 1.29+; kyverno v1.19.0
#: charts/kyverno-policies/templates/baseline/restrict-sysctls.cel.yaml lists the same ten).
SAFE_SYSCTLS: Final = (
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ping_group_range",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_syncookies",
)
#: Baseline "SELinux": allowed `seLinuxOptions.type` values (besides undefined / "").
SELINUX_TYPES: Final = ("container_t", "container_init_t", "container_kvm_t", "container_engine_t")
#: Restricted "Volume Types": the inline volume sources allowed (pod-security-admission
#: policy/check_restrictedVolumes.go, restrictedVolumes_1_0; `image` volumes are not in it).
RESTRICTED_VOLUMES: Final = (
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
)
APPARMOR_ANNOTATION_PREFIX: Final = "container.apparmor.security.beta.kubernetes.io/"


def _cel_list(values: tuple[str, ...] | list[str]) -> str:
    """A CEL list literal of strings (JSON string syntax is valid CEL)."""
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def _cel_str(value: str) -> str:
    return json.dumps(value)


def _has_true(path: str) -> str:
    """CEL: the optional boolean at `path` is set and true (`path` is `a.b.c`)."""
    parent, _, _ = path.rpartition(".")
    return f"({_has_chain(path)} && {path})" if parent else path


def _has_chain(path: str) -> str:
    """CEL: every field of `path` after its root is present, e.g. has(a.b) && has(a.b.c)."""
    parts = path.split(".")
    return " && ".join(f"has({'.'.join(parts[: i + 1])})" for i in range(1, len(parts)))


def _unset_or(path: str, condition: str) -> str:
    """CEL: `path` is absent (at any level) or `condition` holds."""
    return f"(!({_has_chain(path)}) || {condition})"


# --- Shared pieces ------------------------------------------------------------------------

#: All containers of the pod, with init and ephemeral containers.
_ALL_CONTAINERS = (
    "(has(object.spec.initContainers) ? object.spec.initContainers : []) + "
    "object.spec.containers + "
    "(has(object.spec.ephemeralContainers) ? object.spec.ephemeralContainers : [])"
)
#: Containers that can hold resources (ephemeral containers may not set them).
_RESOURCED_CONTAINERS = (
    "(has(object.spec.initContainers) ? object.spec.initContainers : []) + object.spec.containers"
)
_WINDOWS = "(has(object.spec.os) && has(object.spec.os.name) && object.spec.os.name == 'windows')"


def _actions(action: Action) -> list[str]:
    return ["Deny"] if action == "enforce" else ["Audit"]


def _namespace_selector(
    policies: PolicySet, *extra: dict[str, Any]
) -> dict[str, list[dict[str, Any]]]:
    expressions: list[dict[str, Any]] = []
    if policies.excluded_namespaces:
        expressions.append(
            {
                "key": NAMESPACE_NAME_LABEL,
                "operator": "NotIn",
                "values": sorted(policies.excluded_namespaces),
            }
        )
    expressions.extend(extra)
    return {"matchExpressions": expressions}


def _rule(group: str, resources: list[str], operations: list[str]) -> dict[str, Any]:
    return {
        "apiGroups": [group],
        "apiVersions": ["v1"],
        "operations": operations,
        "resources": resources,
    }


_POD_RULE = _rule("", ["pods"], ["CREATE", "UPDATE"])


def _metadata(name: str, title: str, description: str) -> dict[str, Any]:
    return {"name": name, "annotations": {TITLE: title, DESCRIPTION: description}}


def _validating(
    policies: PolicySet,
    *,
    name: str,
    description: str,
    actions: list[str],
    rules: list[dict[str, Any]],
    selector: dict[str, Any],
    validations: list[dict[str, str]],
    variables: list[dict[str, str]] | None = None,
    pod_autogen: bool = False,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "validationActions": actions,
        "failurePolicy": policies.failure_policy,
        "webhookConfiguration": {"timeoutSeconds": policies.timeout_seconds},
        "matchConstraints": {"resourceRules": rules, "namespaceSelector": selector},
    }
    if pod_autogen:
        spec["autogen"] = {"podControllers": {"controllers": list(AUTOGEN_CONTROLLERS)}}
        # A pod being deleted is only updated to drop its finalizers: never refuse that, or a
        # pod admitted before a policy existed could not finish terminating (with failure
        # policy Fail). Autogen rewrites object.metadata to the template's, which has no
        # deletionTimestamp, so controllers are always checked.
        spec["matchConditions"] = [
            {"name": "not-terminating", "expression": "!has(object.metadata.deletionTimestamp)"}
        ]
    if variables:
        spec["variables"] = variables
    spec["validations"] = validations
    return {
        "apiVersion": API_VERSION,
        "kind": "ValidatingPolicy",
        "metadata": _metadata(name, _TITLES[name], description),
        "spec": spec,
    }


def _each_container(condition: str) -> str:
    """CEL: `condition` (over `c`) holds for every container of the pod."""
    return f"variables.containers.all(c, {condition})"


# --- Pod Security Standards -----------------------------------------------------------------


def _baseline_validations() -> list[dict[str, str]]:
    """The baseline profile: one validation per control, in the docs' order."""
    sc = "c.securityContext"
    pod_sc = "object.spec.securityContext"
    return [
        {
            "expression": _unset_or(
                f"{pod_sc}.windowsOptions.hostProcess", f"!{pod_sc}.windowsOptions.hostProcess"
            )
            + " && "
            + _each_container(
                _unset_or(f"{sc}.windowsOptions.hostProcess", f"!{sc}.windowsOptions.hostProcess")
            ),
            "message": "Windows HostProcess containers are not allowed "
            "(securityContext.windowsOptions.hostProcess must be unset or false).",
        },
        {
            "expression": " && ".join(
                f"!{_has_true(f'object.spec.{f}')}" for f in ("hostNetwork", "hostPID", "hostIPC")
            ),
            "message": "Host namespaces are not allowed "
            "(spec.hostNetwork, hostPID and hostIPC must be unset or false).",
        },
        {
            "expression": _each_container(_unset_or(f"{sc}.privileged", f"!{sc}.privileged")),
            "message": "Privileged containers are not allowed "
            "(securityContext.privileged must be unset or false).",
        },
        {
            "expression": _each_container(
                _unset_or(
                    f"{sc}.capabilities.add",
                    f"{sc}.capabilities.add.all(cap, cap in {_cel_list(BASELINE_CAPABILITIES)})",
                )
            ),
            "message": "Capabilities beyond the baseline set may not be added "
            f"(allowed: {', '.join(BASELINE_CAPABILITIES)}).",
        },
        {
            "expression": _unset_or(
                "object.spec.volumes", "object.spec.volumes.all(v, !has(v.hostPath))"
            ),
            "message": "hostPath volumes are not allowed.",
        },
        {
            "expression": _each_container(
                "!has(c.ports) || c.ports.all(p, !has(p.hostPort) || p.hostPort == 0)"
            ),
            "message": "Host ports are not allowed (ports[*].hostPort must be unset or 0).",
        },
        {
            "expression": _unset_or(
                f"{pod_sc}.appArmorProfile",
                f"{pod_sc}.appArmorProfile.type in ['RuntimeDefault', 'Localhost']",
            )
            + " && "
            + _each_container(
                _unset_or(
                    f"{sc}.appArmorProfile",
                    f"{sc}.appArmorProfile.type in ['RuntimeDefault', 'Localhost']",
                )
            )
            + " && "
            + _unset_or(
                "object.metadata.annotations",
                "object.metadata.annotations.all(k, "
                f"!k.startsWith({_cel_str(APPARMOR_ANNOTATION_PREFIX)}) || "
                "object.metadata.annotations[k] == 'runtime/default' || "
                "object.metadata.annotations[k].startsWith('localhost/'))",
            ),
            "message": "AppArmor may not be disabled or overridden: the profile must be "
            "RuntimeDefault or Localhost (annotations: runtime/default or localhost/*).",
        },
        {
            "expression": " && ".join(
                [
                    _unset_or(
                        f"{pod_sc}.seLinuxOptions",
                        _selinux_ok(f"{pod_sc}.seLinuxOptions"),
                    ),
                    _each_container(
                        _unset_or(f"{sc}.seLinuxOptions", _selinux_ok(f"{sc}.seLinuxOptions"))
                    ),
                ]
            ),
            "message": "SELinux options may not set a user or role, and the type must be one of "
            f"{', '.join(SELINUX_TYPES)}.",
        },
        {
            "expression": _each_container(
                _unset_or(f"{sc}.procMount", f"{sc}.procMount == 'Default'")
            ),
            "message": "The /proc mount type must be Default (securityContext.procMount).",
        },
        {
            "expression": _unset_or(
                f"{pod_sc}.seccompProfile", f"{pod_sc}.seccompProfile.type != 'Unconfined'"
            )
            + " && "
            + _each_container(
                _unset_or(f"{sc}.seccompProfile", f"{sc}.seccompProfile.type != 'Unconfined'")
            ),
            "message": "The seccomp profile may not be Unconfined.",
        },
        {
            "expression": _unset_or(
                f"{pod_sc}.sysctls",
                f"{pod_sc}.sysctls.all(s, s.name in {_cel_list(SAFE_SYSCTLS)})",
            ),
            "message": f"Only the safe sysctls are allowed ({', '.join(SAFE_SYSCTLS)}).",
        },
    ]


def _selinux_ok(options: str) -> str:
    return (
        f"(!has({options}.type) || {options}.type in {_cel_list(('', *SELINUX_TYPES))}) && "
        f"(!has({options}.user) || {options}.user == '') && "
        f"(!has({options}.role) || {options}.role == '')"
    )


def _restricted_validations() -> list[dict[str, str]]:
    """The restricted profile's controls beyond baseline (baseline is always enforced too)."""
    sc = "c.securityContext"
    pod_sc = "object.spec.securityContext"
    volume_ok = " || ".join(f"has(v.{kind})" for kind in RESTRICTED_VOLUMES)
    pod_non_root = _has_true(f"{pod_sc}.runAsNonRoot")
    pod_seccomp_ok = (
        f"({_has_chain(f'{pod_sc}.seccompProfile.type')} && "
        f"{pod_sc}.seccompProfile.type in ['RuntimeDefault', 'Localhost'])"
    )
    return [
        {
            "expression": _unset_or(
                "object.spec.volumes", f"object.spec.volumes.all(v, {volume_ok})"
            ),
            "message": "Only these volume types are allowed: "
            + ", ".join(RESTRICTED_VOLUMES)
            + ".",
        },
        {
            "expression": f"{_WINDOWS} || "
            + _each_container(
                f"{_has_chain(f'{sc}.allowPrivilegeEscalation')} && "
                f"{sc}.allowPrivilegeEscalation == false"
            ),
            "message": "Every container must set securityContext.allowPrivilegeEscalation "
            "to false.",
        },
        {
            "expression": _unset_or(f"{pod_sc}.runAsNonRoot", f"{pod_sc}.runAsNonRoot")
            + " && "
            + _each_container(
                f"{_has_chain(f'{sc}.runAsNonRoot')} ? {sc}.runAsNonRoot : {pod_non_root}"
            ),
            "message": "Pods must run as non-root: set securityContext.runAsNonRoot to true on "
            "the pod (and not false on a container) or on every container.",
        },
        {
            "expression": _unset_or(f"{pod_sc}.runAsUser", f"{pod_sc}.runAsUser != 0")
            + " && "
            + _each_container(_unset_or(f"{sc}.runAsUser", f"{sc}.runAsUser != 0")),
            "message": "runAsUser may not be 0 (root).",
        },
        {
            "expression": f"{_WINDOWS} || ("
            + _unset_or(
                f"{pod_sc}.seccompProfile",
                f"{pod_sc}.seccompProfile.type in ['RuntimeDefault', 'Localhost']",
            )
            + " && "
            + _each_container(
                f"{_has_chain(f'{sc}.seccompProfile.type')} ? "
                f"{sc}.seccompProfile.type in ['RuntimeDefault', 'Localhost'] : {pod_seccomp_ok}"
            )
            + ")",
            "message": "The seccomp profile must be RuntimeDefault or Localhost, on the pod or "
            "on every container.",
        },
        {
            "expression": f"{_WINDOWS} || "
            + _each_container(
                f"{_has_chain(f'{sc}.capabilities.drop')} && "
                f"{sc}.capabilities.drop.exists(cap, cap == 'ALL') && "
                + _unset_or(
                    f"{sc}.capabilities.add",
                    f"{sc}.capabilities.add.all(cap, cap == 'NET_BIND_SERVICE')",
                )
            ),
            "message": "Containers must drop ALL capabilities and may add back only "
            "NET_BIND_SERVICE.",
        },
    ]


_CONTAINERS_VARIABLE = {"name": "containers", "expression": _ALL_CONTAINERS}


def _pod_security(policies: PolicySet) -> list[dict[str, Any]]:
    restricted = sorted(t.name for t in policies.tenants if t.pod_security == "restricted")
    found = [
        _validating(
            policies,
            name="pod-security-baseline",
            description="Refuses pods (and pod controllers) that break the baseline Pod "
            "Security Standard, which blocks known privilege escalations to the node.",
            actions=["Deny"],
            rules=[_POD_RULE],
            selector=_namespace_selector(policies),
            variables=[_CONTAINERS_VARIABLE],
            validations=_baseline_validations(),
            pod_autogen=True,
        )
    ]
    if restricted:
        found.append(
            _validating(
                policies,
                name="pod-security-restricted",
                description="Holds tenant pods to the restricted Pod Security Standard, the "
                "hardening best practice for workloads that share nodes with other tenants.",
                # Always refused, as the namespace's own Pod Security Admission label
                # (enforce=restricted) already does: the two agree in every environment.
                actions=["Deny"],
                rules=[_POD_RULE],
                selector=_namespace_selector(
                    policies, {"key": TENANT_LABEL, "operator": "In", "values": restricted}
                ),
                variables=[_CONTAINERS_VARIABLE],
                validations=_restricted_validations(),
                pod_autogen=True,
            )
        )
    elsewhere = (
        [{"key": TENANT_LABEL, "operator": "NotIn", "values": restricted}] if restricted else []
    )
    found.append(
        _validating(
            policies,
            name="pod-security-restricted-audit",
            description="Reports, without refusing, pods outside the restricted tenant "
            "namespaces that break the restricted Pod Security Standard, to show the way to it.",
            actions=["Audit"],
            rules=[_POD_RULE],
            selector=_namespace_selector(policies, *elsewhere),
            variables=[_CONTAINERS_VARIABLE],
            validations=_restricted_validations(),
            pod_autogen=True,
        )
    )
    return found


# --- The project's workload policies --------------------------------------------------------


def _requests_limits(policies: PolicySet) -> dict[str, Any]:
    def has_resource(kind: str, name: str) -> str:
        return (
            f"has(c.resources) && has(c.resources.{kind}) && {_cel_str(name)} in c.resources.{kind}"
        )

    return _validating(
        policies,
        name="require-requests-limits",
        description="Requires CPU and memory requests and a memory limit on every container, "
        "so the scheduler and Karpenter size nodes right and one pod cannot exhaust a "
        "node's memory (no CPU limit is required: it throttles without protecting others).",
        actions=_actions(policies.action),
        rules=[_POD_RULE],
        selector=_namespace_selector(policies),
        variables=[{"name": "containers", "expression": _RESOURCED_CONTAINERS}],
        validations=[
            {
                "expression": _each_container(
                    " && ".join(
                        [
                            has_resource("requests", "cpu"),
                            has_resource("requests", "memory"),
                            has_resource("limits", "memory"),
                        ]
                    )
                ),
                "message": "Every container and init container must set resources.requests.cpu, "
                "resources.requests.memory and resources.limits.memory.",
            }
        ],
        pod_autogen=True,
    )


def _latest_tag(policies: PolicySet) -> dict[str, Any]:
    return _validating(
        policies,
        name="disallow-latest-tag",
        description="Refuses images tagged latest or with neither tag nor digest, because "
        "they change under the same name and make rollouts and rollbacks unrepeatable.",
        actions=_actions(policies.latest_tag),
        rules=[_POD_RULE],
        selector=_namespace_selector(policies),
        variables=[_CONTAINERS_VARIABLE],
        validations=[
            {
                # The last path segment (after the last `/`) carries the tag; a digest
                # follows `@`. A registry port (`host:5000/x`) is not in the last segment.
                "expression": _each_container(
                    "!c.image.matches('^(.*/)?[^/:@]+:latest(@.*)?$') && "
                    "(c.image.contains('@') || c.image.matches('^(.*/)?[^/]+:[^/]+$'))"
                ),
                "message": "Images must name a tag other than latest, or a digest.",
            }
        ],
        pod_autogen=True,
    )


def registry_starts(prefixes: tuple[str, ...]) -> list[str]:
    """The strings an allowed image must start with, for each prefix of `prefixes`.

    A prefix ending in `/` is used as is; any other must be followed by `/`, `:` or `@`, so
    `shop/api` admits `shop/api:1` and `shop/api/worker` but not `shop/api-evil`.
    """
    starts: list[str] = []
    for prefix in sorted(set(prefixes)):
        if prefix.endswith("/"):
            starts.append(prefix)
        else:
            starts.extend(prefix + end for end in ("/", ":", "@"))
    return starts


def normalised_image(image: str) -> str:
    """`image` with Docker Hub's implicit host and `library/` made explicit, as the policy's
    CEL does (_NORMALISED_IMAGE): `nginx:1` -> `docker.io/library/nginx:1`."""
    first, _, _ = image.partition("/")
    if "/" in image and (("." in first or ":" in first) or first == "localhost"):
        return image
    return f"docker.io/{image}" if "/" in image else f"docker.io/library/{image}"


def image_allowed(image: str, prefixes: tuple[str, ...]) -> bool:
    """Whether the allowed-registries policy admits `image` for `prefixes` (the Python twin
    of its CEL; tests/governance/test_policies.py holds the two to the same answers)."""
    normalised = normalised_image(image)
    return any(normalised.startswith(start) for start in registry_starts(prefixes))


#: CEL: the container's image with Docker Hub's implicit host and `library/` made explicit.
_NORMALISED_IMAGE = (
    "c.image.matches('^([^/]*[.:][^/]*|localhost)/') ? c.image : "
    "(c.image.contains('/') ? 'docker.io/' + c.image : 'docker.io/library/' + c.image)"
)


def _registries(policies: PolicySet) -> dict[str, Any]:
    return _validating(
        policies,
        name="allowed-registries",
        description="Admits only images from the environment's ECR repositories and the "
        "configured allow-list, so every image running comes from a reviewed source.",
        actions=_actions(policies.action),
        rules=[_POD_RULE],
        selector=_namespace_selector(policies),
        variables=[
            _CONTAINERS_VARIABLE,
            {
                "name": "allowed",
                "expression": _cel_list(registry_starts(policies.allowed_registries)),
            },
        ],
        validations=[
            {
                "expression": _each_container(
                    f"variables.allowed.exists(p, ({_NORMALISED_IMAGE}).startsWith(p))"
                ),
                "message": "Images must come from an allowed registry: "
                + ", ".join(sorted(set(policies.allowed_registries)))
                + " (Docker Hub images without a host count as docker.io/library/...).",
            }
        ],
        pod_autogen=True,
    )


_DEPLOYMENT_RULE = _rule("apps", ["deployments"], ["CREATE", "UPDATE"])


def _readiness(policies: PolicySet) -> dict[str, Any]:
    return _validating(
        policies,
        name="require-readiness-probe",
        description="Requires a readiness probe on every container of a Deployment, so a "
        "rollout and the load balancer send traffic only to pods that are ready.",
        actions=_actions(policies.action),
        rules=[_DEPLOYMENT_RULE],
        selector=_namespace_selector(policies),
        validations=[
            {
                "expression": "object.spec.template.spec.containers.all(c, has(c.readinessProbe))",
                "message": "Every container of a Deployment needs a readinessProbe.",
            }
        ],
    )


#: CEL: the label selector `s` selects the pod labels `variables.labels` (policy/v1: an empty
#: selector selects every pod of the namespace).
_SELECTS = (
    "(!has(s.matchLabels) || s.matchLabels.all(k, k in variables.labels && "
    "variables.labels[k] == s.matchLabels[k])) && "
    "(!has(s.matchExpressions) || s.matchExpressions.all(e, "
    "e.operator == 'In' ? (e.key in variables.labels && variables.labels[e.key] in e.values) : "
    "e.operator == 'NotIn' ? !(e.key in variables.labels && variables.labels[e.key] in e.values) : "
    "e.operator == 'Exists' ? e.key in variables.labels : !(e.key in variables.labels)))"
)


def _pdb(policies: PolicySet) -> dict[str, Any]:
    return _validating(
        policies,
        name="require-pdb",
        description="Requires a PodDisruptionBudget selecting the pods of every Deployment "
        "with more than one replica, so node drains (upgrades, Karpenter consolidation) "
        "keep it serving.",
        actions=_actions(policies.action),
        rules=[_DEPLOYMENT_RULE],
        selector=_namespace_selector(policies),
        variables=[
            {
                "name": "labels",
                "expression": "has(object.spec.template.metadata.labels) ? "
                "object.spec.template.metadata.labels : {}",
            },
            {
                # Kyverno's resource library (kyverno.io docs "CEL Libraries"):
                # resource.List(apiVersion, resource, namespace).items.
                "name": "pdbs",
                "expression": 'resource.List("policy/v1", "poddisruptionbudgets", '
                "object.metadata.namespace).items",
            },
        ],
        validations=[
            {
                "expression": "!has(object.spec.replicas) || object.spec.replicas <= 1 || "
                "variables.pdbs.exists(b, has(b.spec.selector) && "
                f"[b.spec.selector].all(s, {_SELECTS}))",
                "message": "A Deployment with more than one replica needs a "
                "PodDisruptionBudget in its namespace that selects its pods; create the "
                "PodDisruptionBudget first.",
            }
        ],
    )


def _tenant_selector(policies: PolicySet, names: list[str]) -> dict[str, Any]:
    return _namespace_selector(policies, {"key": TENANT_LABEL, "operator": "In", "values": names})


def _no_nodeport(policies: PolicySet, tenants: list[str]) -> dict[str, Any]:
    return _validating(
        policies,
        name="tenant-no-nodeport",
        description="Refuses NodePort Services in tenant namespaces: a node port opens on "
        "every node, including other tenants' dedicated nodes.",
        actions=_actions(policies.action),
        rules=[_rule("", ["services"], ["CREATE", "UPDATE"])],
        selector=_tenant_selector(policies, tenants),
        validations=[
            {
                "expression": "!has(object.spec.type) || object.spec.type != 'NodePort'",
                "message": "Tenants may not create NodePort Services; use ClusterIP behind an "
                "Ingress or a LoadBalancer Service.",
            }
        ],
    )


def _tolerations(policies: PolicySet) -> dict[str, Any]:
    key = _cel_str(TENANT_LABEL)
    return _validating(
        policies,
        name="restrict-tenant-tolerations",
        description="Refuses pods that tolerate a dedicated tenant's taint other than their "
        "own tenant's, or every taint of the key, or every taint, so only a tenant's pods "
        "land on its dedicated nodes.",
        actions=_actions(policies.action),
        rules=[_POD_RULE],
        selector=_namespace_selector(policies),
        variables=[
            {
                # The namespace's tenant, or "" outside tenant namespaces.
                "name": "tenant",
                "expression": "has(namespaceObject.metadata.labels) "
                f"&& {key} in namespaceObject.metadata.labels ? "
                f"namespaceObject.metadata.labels[{key}] : ''",
            }
        ],
        validations=[
            {
                "expression": "!has(object.spec.tolerations) || object.spec.tolerations.all(t, "
                f"!(has(t.key) && t.key == {key} && ((has(t.operator) && t.operator == 'Exists') "
                "|| !has(t.value) || t.value != variables.tenant)) && "
                "!((!has(t.key) || t.key == '') && has(t.operator) && t.operator == 'Exists'))",
                "message": f"Pods may tolerate the {TENANT_LABEL} taint only with their own "
                "tenant's value (operator Equal), and may not tolerate every taint.",
            }
        ],
        pod_autogen=True,
    )


# --- Tenant mutations -------------------------------------------------------------------------


def _mutating(
    policies: PolicySet,
    *,
    name: str,
    title: str,
    description: str,
    rules: list[dict[str, Any]],
    selector: dict[str, Any],
    patches: list[str],
) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "MutatingPolicy",
        "metadata": _metadata(name, title, description),
        "spec": {
            "failurePolicy": policies.failure_policy,
            "webhookConfiguration": {"timeoutSeconds": policies.timeout_seconds},
            "matchConstraints": {"resourceRules": rules, "namespaceSelector": selector},
            # JSONPatch paths are not rewritten by Kyverno's autogen: no pod controllers.
            "autogen": {"podControllers": {"controllers": []}},
            "reinvocationPolicy": "IfNeeded",
            "mutations": [
                {"patchType": "JSONPatch", "jsonPatch": {"expression": expression}}
                for expression in patches
            ],
        },
    }


def _patch(op: str, path: str, value: str) -> str:
    return f"JSONPatch{{op: {_cel_str(op)}, path: {_cel_str(path)}, value: {value}}}"


def _tenant_pods(policies: PolicySet, tenant: TenantRules) -> dict[str, Any]:
    name = _cel_str(tenant.name)
    label = [
        # JSON Patch `add` on an existing member replaces it: the label always names the
        # namespace's tenant. COST_LABEL has no `/` or `~` to escape.
        f"has(object.metadata.labels) ? [{_patch('add', f'/metadata/labels/{COST_LABEL}', name)}] "
        f": [{_patch('add', '/metadata/labels', '{' + _cel_str(COST_LABEL) + ': ' + name + '}')}]"
    ]
    patches = label
    if tenant.dedicated:
        toleration = (
            f"{{'key': {_cel_str(TENANT_LABEL)}, 'operator': 'Equal', 'value': {name}, "
            f"'effect': {_cel_str(DEDICATED_TAINT_EFFECT)}}}"
        )
        has_toleration = (
            f"object.spec.tolerations.exists(t, has(t.key) && t.key == {_cel_str(TENANT_LABEL)} "
            f"&& has(t.value) && t.value == {name} && has(t.effect) && "
            f"t.effect == {_cel_str(DEDICATED_TAINT_EFFECT)})"
        )
        add_toleration = _patch("add", "/spec/tolerations", f"[{toleration}]")
        append_toleration = _patch("add", "/spec/tolerations/-", toleration)
        patches.append(
            f"!has(object.spec.tolerations) ? [{add_toleration}] "
            f": {has_toleration} ? [] : [{append_toleration}]"
        )
        key = _cel_str(TENANT_LABEL)
        # Each value wrapped in dyn(): Kyverno type-checks CEL with homogeneous aggregate
        # literals (pkg/cel/compiler/env.go, cel.HomogeneousAggregateLiterals), which refuses a
        # map literal whose values are a string and a list.
        requirement = f"{{'key': dyn({key}), 'operator': dyn('In'), 'values': dyn([{name}])}}"
        term = f"{{'matchExpressions': [{requirement}]}}"
        required = f"{{'nodeSelectorTerms': [{term}]}}"
        node_affinity = f"{{'requiredDuringSchedulingIgnoredDuringExecution': {required}}}"
        affinity = f"{{'nodeAffinity': {node_affinity}}}"
        required_path = (
            "object.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
        )
        terms = f"{required_path}.nodeSelectorTerms"
        has_requirement = (
            f"has(t.matchExpressions) && t.matchExpressions.exists(e, e.key == {key} && "
            f"e.operator == 'In' && e.values == [{name}])"
        )
        # Terms are ORed: the requirement is added to every term, keeping the others.
        merged = (
            f"{terms}.map(t, {{'matchExpressions': dyn((has(t.matchExpressions) ? "
            f"t.matchExpressions : []) + [{requirement}]), 'matchFields': "
            "dyn(has(t.matchFields) ? t.matchFields : [])})"
        )

        def pointer(path: str) -> str:
            return "/" + path.removeprefix("object.").replace(".", "/")

        patches.append(
            f"!has(object.spec.affinity) ? [{_patch('add', '/spec/affinity', affinity)}] : "
            "!has(object.spec.affinity.nodeAffinity) ? "
            f"[{_patch('add', '/spec/affinity/nodeAffinity', node_affinity)}] : "
            f"!has({required_path}) ? [{_patch('add', pointer(required_path), required)}] : "
            f"{terms}.all(t, {has_requirement}) ? [] : "
            f"[{_patch('replace', pointer(terms), merged)}]"
        )
    return _mutating(
        policies,
        name=f"tenant-{tenant.name}-pods",
        title=f"Tenant {tenant.name}: pod label"
        + (", toleration and node affinity" if tenant.dedicated else ""),
        description=f"Labels the pods of tenant {tenant.name} with {COST_LABEL}={tenant.name} "
        "for split cost allocation"
        + (
            ", and gives them the toleration and required node affinity of the tenant's "
            "dedicated nodes"
            if tenant.dedicated
            else ""
        )
        + ".",
        rules=[_rule("", ["pods"], ["CREATE"])],
        selector=_tenant_selector(policies, [tenant.name]),
        patches=patches,
    )


def _tenant_priority(
    policies: PolicySet, tenant: TenantRules, priority_class: str
) -> dict[str, Any]:
    value = _cel_str(priority_class)
    pod_path = "/spec/template/spec/priorityClassName"
    cron_path = "/spec/jobTemplate/spec/template/spec/priorityClassName"
    expression = (
        "object.kind == 'CronJob' ? "
        f"(has(object.spec.jobTemplate.spec.template.spec.priorityClassName) ? [] : "
        f"[{_patch('add', cron_path, value)}]) : "
        "(has(object.spec.template.spec.priorityClassName) ? [] : "
        f"[{_patch('add', pod_path, value)}])"
    )
    return _mutating(
        policies,
        name=f"tenant-{tenant.name}-priority-class",
        title=f"Tenant {tenant.name}: priority class",
        description=f"Gives the pod templates of tenant {tenant.name} the priority class "
        f"{priority_class} when they name none, on the controllers because a pod's priority "
        "is resolved before webhooks run.",
        rules=[
            _rule("apps", ["daemonsets", "deployments", "statefulsets"], ["CREATE", "UPDATE"]),
            # A Job's pod template cannot change after creation.
            _rule("batch", ["cronjobs", "jobs"], ["CREATE"]),
        ],
        selector=_tenant_selector(policies, [tenant.name]),
        patches=[expression],
    )


def _priority_classes(policies: PolicySet, tenants: list[TenantRules]) -> dict[str, Any]:
    key = _cel_str(TENANT_LABEL)
    allowed = {
        t.name: sorted({t.priority_class or "", *t.allowed_priority_classes} - {""})
        for t in tenants
    }
    table = (
        "{"
        + ", ".join(
            f"{_cel_str(name)}: [{', '.join(_cel_str(c) for c in classes)}]"
            for name, classes in sorted(allowed.items())
        )
        + "}"
    )
    return _validating(
        policies,
        name="restrict-tenant-priority-class",
        description="Refuses a tenant pod whose priorityClassName is neither its tier's class "
        "nor a lower tier's, so no tenant preempts others by naming a higher class.",
        actions=_actions(policies.action),
        rules=[_POD_RULE],
        selector=_tenant_selector(policies, sorted(allowed)),
        variables=[
            {
                "name": "allowed",
                "expression": f"{table}[namespaceObject.metadata.labels[{key}]]",
            }
        ],
        validations=[
            {
                "expression": "!has(object.spec.priorityClassName) || "
                "object.spec.priorityClassName == '' || "
                "object.spec.priorityClassName in variables.allowed",
                "message": "This tenant's pods may name only its tier's PriorityClass or a "
                "lower tier's; remove priorityClassName to get the tier's class.",
            }
        ],
        pod_autogen=True,
    )


def policy_manifests(policies: PolicySet) -> list[dict[str, Any]]:
    """The Kyverno policy objects for `policies`, in the order of `POLICY_TABLE`.

    Pure and deterministic: tenants are ordered by name, lists of names are sorted. Optional
    policies are left out when they would select nothing (no registries, no tenants, no
    dedicated tenant, no restricted tenant, no priority class).
    """
    tenants = sorted(policies.tenants, key=lambda t: t.name)
    found = _pod_security(policies)
    found.append(_requests_limits(policies))
    found.append(_latest_tag(policies))
    if policies.allowed_registries:
        found.append(_registries(policies))
    found.append(_readiness(policies))
    found.append(_pdb(policies))
    if tenants:
        found.append(_no_nodeport(policies, [t.name for t in tenants]))
    if any(t.dedicated for t in tenants):
        found.append(_tolerations(policies))
    if tiered := [t for t in tenants if t.priority_class is not None]:
        found.append(_priority_classes(policies, tiered))
    found.extend(_tenant_pods(policies, t) for t in tenants)
    found.extend(
        _tenant_priority(policies, t, t.priority_class)
        for t in tenants
        if t.priority_class is not None
    )
    return found


def doc_rows() -> list[str]:
    """docs/governance.md's policy table, as Markdown lines (header, rule, one row per
    policy), generated from POLICY_TABLE so the page cannot drift from the code
    (tests/docs/test_docs_in_step.py compares them)."""
    rows = ["| policy | kind | what | where, and its action |", "|---|---|---|---|"]
    rows += [f"| `{p.name}` | {p.kind} | {p.title} | {p.scope} |" for p in POLICY_TABLE]
    return rows
