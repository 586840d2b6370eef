"""Our own Kubernetes objects pass our own policies: a policy that would refuse (or, in an
audit environment, would refuse once enforced) a workload the stacks deploy fails the build.

Every object of every manifest of each synthesised environment (the manifest items of its
Kubernetes layers, read by eks_blueprint.template.manifest_objects) goes through the tenant mutations, then the validations, with its namespace's
labels as the manifests declare them and the environment's other objects as the cluster
`resource.List` sees. Helm charts are out of scope: their namespaces are excluded.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from eks_blueprint.config import EnvironmentConfig
from eks_blueprint.governance.environment import policy_set
from eks_blueprint.governance.evaluate import Violation, evaluate, mutate
from eks_blueprint.governance.policies import policy_manifests
from eks_blueprint.governance.spec import PolicySet
from eks_blueprint.template.kubernetes import KubeObject, manifest_objects
from tests.conftest import ENVIRONMENTS, SynthResult


def _objects(synth: SynthResult, env: str) -> list[KubeObject]:
    found: list[KubeObject] = []
    for kind, template in sorted(synth.templates[env].items()):
        found.extend(manifest_objects(template["Resources"], stack=kind))
    return found


def _namespace_labels(objects: list[KubeObject]) -> dict[str, dict[str, str]]:
    labels: dict[str, dict[str, str]] = {}
    for obj in objects:
        if obj.kind == "Namespace":
            labels[obj.name] = dict(obj.metadata.get("labels") or {})
    return labels


def _violations(objects: list[KubeObject], policies: PolicySet) -> list[tuple[str, Violation]]:
    manifests = policy_manifests(policies)
    labels = _namespace_labels(objects)
    cluster: list[dict[str, Any]] = [o.body for o in objects]
    found: list[tuple[str, Violation]] = []
    for obj in objects:
        namespace = obj.metadata.get("namespace")
        ns_labels = labels.get(namespace, {}) if isinstance(namespace, str) else None
        body = mutate(manifests, obj.body, namespace_labels=ns_labels, cluster=cluster)
        found.extend(
            (obj.describe(), v)
            for v in evaluate(manifests, body, namespace_labels=ns_labels, cluster=cluster)
        )
    return found


@pytest.fixture(scope="module")
def env_objects(synth: SynthResult) -> dict[str, list[KubeObject]]:
    return {env: _objects(synth, env) for env in ENVIRONMENTS}


def test_workloads_exist(env_objects: dict[str, list[KubeObject]]) -> None:
    """The gate has something to check: some environment deploys a pod controller (the
    demo workload) into a namespace the policies select."""
    controllers = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod"}
    found = [o for objects in env_objects.values() for o in objects if o.kind in controllers]
    assert found


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_own_manifests_are_not_refused(
    env: str,
    env_objects: dict[str, list[KubeObject]],
    configs: dict[str, EnvironmentConfig],
) -> None:
    """Nothing the stacks apply is refused by the environment's own policies, nor would be
    if its workload policies were enforced (what an audit environment promises production).
    `latest_tag` stays the file's choice: dev's demo runs the talk's `:latest` image on
    purpose, audited."""
    own = policy_set(configs[env])
    enforced = dataclasses.replace(own, action="enforce")
    refused = sorted(
        {
            f"{where}: {v.policy}: {v.message}"
            for policy_set in (own, enforced)
            for where, v in _violations(env_objects[env], policy_set)
            if v.action == "Deny"
        }
    )
    assert not refused, "\n".join(refused)
