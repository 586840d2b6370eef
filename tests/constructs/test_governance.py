"""Governance: the pinned Kyverno chart and its values, the policies after it, the signature
verifier with its Pod Identity role, the ordering with capacity, and every refusal."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Match, Template
from constructs import Construct

from eks_blueprint.addons.versions import GOVERNANCE_CHARTS
from eks_blueprint.governance.image_verification import (
    POLICY_NAME,
    VERIFIER_NAMESPACE,
    VERIFIER_SERVICE_ACCOUNT,
)
from eks_blueprint.governance.kyverno import Governance, GovernanceProps
from eks_blueprint.governance.spec import SYSTEM_NAMESPACES, ImageVerification, PolicySet
from eks_blueprint.wiring import register_capacity

from .clusters import imported, pod_identity_trust, refused, stack

CHART = "Custom::AWSCDK-EKS-HelmChart"
MANIFEST = "Custom::AWSCDK-EKS-KubernetesResource"
REPO = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/shop/api"
REPO_ARN = "arn:aws:ecr:eu-west-1:111111111111:repository/shop/api"
PROFILE = "arn:aws:signer:eu-west-1:111111111111:/signing-profiles/platform"
VERIFY = ImageVerification(
    action="enforce",
    repositories=(REPO,),
    repository_arns=(REPO_ARN,),
    signing_profile_arn=PROFILE,
)
SYSTEM = {"role": "system"}
CRITICAL = {"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoSchedule"}


def _props(scope: Stack, **changes: Any) -> GovernanceProps:
    base = GovernanceProps(
        cluster=imported(scope),
        policies=PolicySet(),
        node_selector=SYSTEM,
        tolerations=(CRITICAL,),
        image_verification=VERIFY,
        kubernetes_version="1.34",
    )
    return dataclasses.replace(base, **changes)


@pytest.fixture(scope="module")
def built() -> tuple[Template, Governance]:
    scope = stack()
    nodes = Construct(scope, "Nodes")
    register_capacity(imported_cluster := imported(scope), nodes)
    governance = Governance(scope, "Governance", props=_props_for(imported_cluster))
    return Template.from_stack(scope), governance


def _props_for(cluster: Any) -> GovernanceProps:
    return GovernanceProps(
        cluster=cluster,
        policies=PolicySet(),
        node_selector=SYSTEM,
        tolerations=(CRITICAL,),
        image_verification=VERIFY,
        kubernetes_version="1.34",
    )


def _charts(template: Template) -> dict[str, dict[str, Any]]:
    return {
        r["Properties"]["Chart"]: {**r, "id": k} for k, r in template.find_resources(CHART).items()
    }


def _values(template: Template, chart: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(_charts(template)[chart]["Properties"]["Values"])
    return found


def test_kyverno_comes_from_the_pinned_chart(built: tuple[Template, Governance]) -> None:
    template, _ = built
    repository, version = GOVERNANCE_CHARTS["kyverno"]
    props = _charts(template)["kyverno"]["Properties"]
    assert (props["Repository"], props["Version"], props["Namespace"]) == (
        repository,
        version,
        "kyverno",
    )
    assert props["CreateNamespace"] is True and props["Wait"] is True


def test_the_admission_controller_is_highly_available(built: tuple[Template, Governance]) -> None:
    values = _values(built[0], "kyverno")
    admission = values["admissionController"]
    assert admission["replicas"] == 3
    assert admission["podDisruptionBudget"] == {
        "enabled": True,
        "minAvailable": 2,
        "unhealthyPodEvictionPolicy": "AlwaysAllow",
    }
    keys = [c["topologyKey"] for c in admission["topologySpreadConstraints"]]
    assert keys == ["kubernetes.io/hostname", "topology.kubernetes.io/zone"]
    assert admission["container"]["resources"]["limits"] == {"memory": "768Mi"}
    assert values["backgroundController"]["replicas"] == 2


def test_every_kyverno_pod_runs_on_system_capacity(built: tuple[Template, Governance]) -> None:
    values = _values(built[0], "kyverno")
    assert values["global"]["nodeSelector"] == SYSTEM
    assert values["global"]["tolerations"] == [CRITICAL]
    assert values["global"]["priorityClassName"] == "system-cluster-critical"
    verifier = _values(built[0], "kyverno-notation-aws")
    assert verifier["nodeSelector"] == SYSTEM and verifier["tolerations"] == [CRITICAL]


def test_system_namespaces_are_out_of_every_webhook(built: tuple[Template, Governance]) -> None:
    config = _values(built[0], "kyverno")["config"]
    (expression,) = config["webhooks"]["namespaceSelector"]["matchExpressions"]
    assert expression["operator"] == "NotIn"
    assert expression["values"] == sorted(set(SYSTEM_NAMESPACES) - {"kyverno"})
    assert config["excludeKyvernoNamespace"] is True
    assert "kube-system" not in config["resourceFiltersIncludeNamespaces"]
    assert "karpenter" in config["resourceFiltersIncludeNamespaces"]


def test_the_api_call_token_keeps_the_api_server_audience_for_the_verifier(
    built: tuple[Template, Governance],
) -> None:
    assert _values(built[0], "kyverno")["apiCallToken"] == {"audience": ""}
    scope = stack()
    Governance(scope, "Governance", props=_props(scope, image_verification=None))
    assert "apiCallToken" not in _values(Template.from_stack(scope), "kyverno")


def test_policies_are_applied_after_the_chart(built: tuple[Template, Governance]) -> None:
    template, governance = built
    chart_id = _charts(template)["kyverno"]["id"]
    manifests = template.find_resources(MANIFEST)
    policies = next(r for k, r in manifests.items() if k.startswith("GovernancePolicies"))
    assert chart_id in policies["DependsOn"]
    assert policies["Properties"]["PruneLabel"]
    assert governance.policies is not None


def test_the_verification_waits_for_both_charts(built: tuple[Template, Governance]) -> None:
    template, _ = built
    charts = _charts(template)
    manifests = template.find_resources(MANIFEST)
    verification = next(r for k, r in manifests.items() if k.startswith("GovernanceVerification"))
    assert {charts["kyverno"]["id"], charts["kyverno-notation-aws"]["id"]} <= set(
        verification["DependsOn"]
    )
    assert POLICY_NAME in verification["Properties"]["Manifest"]
    verifier = charts["kyverno-notation-aws"]["Properties"]
    assert (
        verifier["Repository"].startswith("oci://") and verifier["Namespace"] == VERIFIER_NAMESPACE
    )


def test_charts_wait_for_capacity_registered_before(built: tuple[Template, Governance]) -> None:
    # "Nodes" is a plain construct without resources: CDK turns a dependency on it into
    # nothing; the construct-level dependency is what wiring records.
    _, governance = built
    nodes = governance.node.scope.node.find_child("Nodes")  # type: ignore[union-attr]
    assert nodes in governance.chart.node.dependencies
    assert governance.verifier is not None
    assert nodes in governance.verifier.chart.node.dependencies


def test_the_verifier_role_reads_only_the_repositories(built: tuple[Template, Governance]) -> None:
    template, governance = built
    assert governance.verifier is not None
    template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "PolicyDocument": {
                "Statement": [
                    {
                        "Sid": "ReadSignedImages",
                        "Effect": "Allow",
                        "Action": [
                            "ecr:BatchCheckLayerAvailability",
                            "ecr:BatchGetImage",
                            "ecr:DescribeImages",
                            "ecr:GetDownloadUrlForLayer",
                            "ecr:ListImages",
                        ],
                        "Resource": REPO_ARN,
                    },
                    {
                        "Sid": "RegistryToken",
                        "Effect": "Allow",
                        "Action": "ecr:GetAuthorizationToken",
                        "Resource": "*",
                    },
                    {
                        "Sid": "SignatureRevocation",
                        "Effect": "Allow",
                        "Action": "signer:GetRevocationStatus",
                        "Resource": "*",
                    },
                ],
                "Version": "2012-10-17",
            }
        },
    )
    template.has_resource_properties(
        "AWS::EKS::PodIdentityAssociation",
        {"Namespace": VERIFIER_NAMESPACE, "ServiceAccount": VERIFIER_SERVICE_ACCOUNT},
    )
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": pod_identity_trust(
                Condition={
                    "StringEquals": Match.object_like(
                        {"aws:RequestTag/kubernetes-namespace": VERIFIER_NAMESPACE}
                    )
                }
            )
        },
    )


def test_one_replica_has_no_disruption_budget() -> None:
    scope = stack()
    Governance(scope, "Governance", props=_props(scope, replicas=1, image_verification=None))
    values = _values(Template.from_stack(scope), "kyverno")
    assert values["admissionController"]["podDisruptionBudget"]["enabled"] is False
    assert values["cleanupController"]["replicas"] == 1
    assert len(Template.from_stack(scope).find_resources(CHART)) == 1


PATH = "Platform/Governance"


@pytest.mark.parametrize(
    ("changes", "prop", "fragment"),
    [
        ({"chart_version": " "}, "chart_version", "chart version"),
        ({"replicas": 0}, "replicas", "1 to 5"),
        ({"replicas": 6}, "replicas", "1 to 5"),
        ({"policies": PolicySet(failure_policy="Never")}, "policies.failure_policy", "not one of"),  # type: ignore[arg-type]
        ({"policies": PolicySet(timeout_seconds=0)}, "policies.timeout_seconds", "1 to 30"),
        ({"policies": PolicySet(timeout_seconds=31)}, "policies.timeout_seconds", "1 to 30"),
        ({"policies": PolicySet(action="block")}, "policies.action", "not one of"),  # type: ignore[arg-type]
        ({"node_selector": {"bad key!": "x"}}, "node_selector['bad key!']", "label"),
        ({"tolerations": ({"key": "a", "operator": "Maybe"},)}, "tolerations[0]", "Equal or"),
        ({"tolerations": ({"operator": "Exists", "value": "x"},)}, "tolerations[0]", "no value"),
        ({"tolerations": ({"key": "a", "colour": "x"},)}, "tolerations[0]", "unknown fields"),
        ({"tolerations": ({"value": "x"},)}, "tolerations[0]", "needs a key"),
        ({"tolerations": ({"key": "a", "effect": "Later"},)}, "tolerations[0]", "effect"),
        (
            {"image_verification": dataclasses.replace(VERIFY, action="block")},  # type: ignore[arg-type]
            "image_verification.action",
            "not one of",
        ),
        (
            {
                "image_verification": dataclasses.replace(
                    VERIFY, repositories=(), repository_arns=()
                )
            },
            "image_verification.repositories",
            "at least one",
        ),
        (
            {"image_verification": dataclasses.replace(VERIFY, repository_arns=())},
            "image_verification.repository_arns",
            "one ARN per repository",
        ),
        (
            {"image_verification": dataclasses.replace(VERIFY, repositories=(REPO + ":v1",))},
            "image_verification.repositories[0]",
            "not an ECR repository URI",
        ),
        (
            {"image_verification": dataclasses.replace(VERIFY, repository_arns=("arn:x",))},
            "image_verification.repository_arns[0]",
            "not an ECR repository ARN",
        ),
        (
            {
                "image_verification": dataclasses.replace(
                    VERIFY, signing_profile_arn=PROFILE + "/v1"
                )
            },
            "image_verification.signing_profile_arn",
            "signing profile ARN",
        ),
        (
            {"policies": PolicySet(excluded_namespaces=("kube-system",))},
            "policies.excluded_namespaces",
            VERIFIER_NAMESPACE,
        ),
        (
            {"image_verification": dataclasses.replace(VERIFY, region="Europe")},
            "image_verification.region",
            "not an AWS region",
        ),
    ],
)
def test_bad_props_are_refused(changes: dict[str, Any], prop: str, fragment: str) -> None:
    scope = stack()
    message = refused(
        PATH,
        f"GovernanceProps.{prop}",
        Governance,
        scope,
        "Governance",
        props=_props(scope, **changes),
    )
    assert fragment in message


def test_a_cluster_without_kubectl_is_refused() -> None:
    scope = stack()
    props = dataclasses.replace(_props(scope), cluster=imported_without_kubectl(scope))
    refused(PATH, "GovernanceProps.cluster", Governance, scope, "Governance", props=props)


def imported_without_kubectl(scope: Stack) -> Any:
    from aws_cdk import aws_eks_v2 as eks

    return eks.Cluster.from_cluster_attributes(scope, "Bare", cluster_name="bare")


def test_revocation_is_checked_in_the_profiles_region(built: tuple[Template, Governance]) -> None:
    """The chart fixes AWS_REGION=us-west-2; the plugin ConfigMap gets the stack's region,
    after the chart that creates the ConfigMap."""
    template, _ = built
    patches = template.find_resources("Custom::AWSCDK-EKS-KubernetesPatch")
    assert len(patches) == 1
    ((logical_id, patch),) = patches.items()
    props = patch["Properties"]
    assert props["ResourceName"] == "configmap/notation-plugin-config"
    assert props["ResourceNamespace"] == VERIFIER_NAMESPACE
    assert json.loads(props["ApplyPatchJson"]) == {"data": {"aws-region": "eu-west-1"}}
    assert props["PatchType"] == "strategic"
    verifier_chart = template.find_resources(CHART, {"Properties": {"Release": Match.any_value()}})
    (chart_id,) = [
        k for k, v in verifier_chart.items() if v["Properties"]["Chart"] == "kyverno-notation-aws"
    ]
    assert chart_id in patch["DependsOn"], logical_id


def test_the_verifier_chart_is_pinned_to_a_published_version() -> None:
    repository, version = GOVERNANCE_CHARTS["kyverno-notation-aws"]
    assert repository.startswith("oci://") and version == "1.1.0"
