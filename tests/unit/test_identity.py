"""Workload identity and cluster access, on the synthesised environments and on small
construct variants: every trust condition, both access scopes, no aws-auth, no Lambda."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam

from eks_blueprint.access import AccessGrant, ClusterAccess, ClusterAccessProps
from eks_blueprint.identity import (
    PodIdentityRole,
    PodIdentityRoleProps,
    ServiceAccountRole,
    ServiceAccountRoleProps,
    irsa_trust_policy,
)
from tests.conftest import ENVIRONMENTS, SynthResult, only, render_join, resources_of

#: What CDK would add for IRSA by default: the OIDC provider custom resource and CfnJson.
LAMBDA_BACKED_IRSA_TYPES = {"Custom::AWSCDKOpenIdConnectProvider", "Custom::AWSCDKCfnJson"}
IRSA_ROLE = "WorkloadIdentitiesMonitoringMetricsExporterIrsaRole"
POD_ROLE = "WorkloadIdentitiesPaymentsApiPodIdentityRole"


def by_prefix(template: dict[str, Any], prefix: str) -> tuple[str, dict[str, Any]]:
    found = [(k, v) for k, v in template["Resources"].items() if k.startswith(prefix)]
    assert len(found) == 1, f"expected one resource named {prefix}*, found {found}"
    return found[0]


# --- IRSA -----------------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_oidc_provider_is_native_and_trusts_sts_audience(synth: SynthResult, env: str) -> None:
    # GIVEN an environment with an IRSA workload THEN its OIDC provider is the native
    # AWS::IAM::OIDCProvider for the cluster's issuer, not the Lambda-backed custom resource
    template = synth.template(env, "cluster")
    provider = only(template, "AWS::IAM::OIDCProvider")["Properties"]
    assert provider["ClientIdList"] == ["sts.amazonaws.com"]
    assert provider["Url"] == {
        "Fn::GetAtt": [by_prefix(template, "ControlPlaneCluster8")[0], "OpenIdConnectIssuerUrl"]
    }
    types = {v["Type"] for v in template["Resources"].values()}
    assert not types & LAMBDA_BACKED_IRSA_TYPES


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_irsa_role_trusts_exactly_one_service_account(synth: SynthResult, env: str) -> None:
    # GIVEN the monitoring/metrics-exporter IRSA role
    template = synth.template(env, "cluster")
    provider_id = next(iter(resources_of(template, "AWS::IAM::OIDCProvider")))
    _, role = by_prefix(template, IRSA_ROLE)
    # WHEN its trust policy string is parsed with the deploy-time values as placeholders
    text, tokens = render_join(role["Properties"]["AssumeRolePolicyDocument"])
    document = json.loads(text)
    # THEN the provider is the cluster's and the issuer is derived from it
    assert tokens == [
        {"Ref": provider_id},
        {"Fn::Select": [1, {"Fn::Split": [":oidc-provider/", {"Ref": provider_id}]}]},
    ]
    # AND one statement: web identity from that provider, StringEquals on sub AND aud only
    (statement,) = document["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Federated": "<0>"}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {
        "StringEquals": {
            "<1>:sub": "system:serviceaccount:monitoring:metrics-exporter",
            "<1>:aud": "sts.amazonaws.com",
        }
    }


@pytest.mark.parametrize(
    ("namespace", "service_account"), [("a", "b"), ("kube-system", "external-dns")]
)
def test_irsa_trust_policy_never_trusts_the_whole_cluster(
    namespace: str, service_account: str
) -> None:
    # GIVEN plain strings for the provider and issuer WHEN the policy is built
    app = App()
    stack = Stack(app, "T")
    doc = json.loads(
        stack.resolve(
            irsa_trust_policy(
                provider_arn="arn:aws:iam::1:oidc-provider/x",
                issuer="x",
                namespace=namespace,
                service_account=service_account,
            )
        )
    )
    # THEN no StringLike and no wildcard, with both sub and aud present
    text = json.dumps(doc)
    assert "StringLike" not in text and "*" not in text
    assert set(doc["Statement"][0]["Condition"]["StringEquals"]) == {"x:sub", "x:aud"}


# --- Pod Identity ---------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_pod_identity_role_trust_and_association(synth: SynthResult, env: str) -> None:
    template = synth.template(env, "cluster")
    role_id, role = by_prefix(template, POD_ROLE)
    cluster_id, _ = by_prefix(template, "ControlPlaneCluster8")
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    # THEN only EKS Pod Identity, with both actions, pinned by its session tags
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert sorted(statement["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    assert statement["Condition"] == {
        "StringEquals": {
            "aws:RequestTag/eks-cluster-name": {"Ref": cluster_id},
            "aws:RequestTag/kubernetes-namespace": "payments",
            "aws:RequestTag/kubernetes-service-account": "api",
        }
    }
    _, association = by_prefix(template, "WorkloadIdentitiesPaymentsApiPodIdentityAssociation")
    assert association["Properties"]["Namespace"] == "payments"
    assert association["Properties"]["ServiceAccount"] == "api"
    assert association["Properties"]["RoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    # AND the agent add-on exists, and the association waits for it
    agents = {
        k: v
        for k, v in resources_of(template, "AWS::EKS::Addon").items()
        if v["Properties"]["AddonName"] == "eks-pod-identity-agent"
    }
    assert len(agents) == 1
    assert next(iter(agents)) in association["DependsOn"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_workload_permissions_are_a_managed_policy_as_configured(
    synth: SynthResult, env: str, configs: dict[str, Any]
) -> None:
    template = synth.template(env, "cluster")
    role_id, _ = by_prefix(template, POD_ROLE)
    _, policy = by_prefix(template, "WorkloadIdentitiesPaymentsApiPodIdentityPolicy")
    entry = configs[env].workload_identities[0]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert sorted(statement["Action"]) == sorted(entry.policy_statements[0].actions)
    assert statement["Resource"] == entry.policy_statements[0].resources[0]
    assert policy["Properties"]["Roles"] == [{"Ref": role_id}]
    # no inline policies on workload roles (NIST IAMNoInlinePolicy)
    for inline in resources_of(template, "AWS::IAM::Policy").values():
        assert {"Ref": role_id} not in inline["Properties"].get("Roles", [])


def test_wildcard_acknowledgement_names_the_resource_and_uses_the_config_reason(
    synth: SynthResult, configs: dict[str, Any]
) -> None:
    report = json.loads((synth.outdir / "validation-report.json").read_text())
    suppressed = [
        v
        for plugin in report["pluginReports"]
        for v in plugin.get("suppressedViolations", [])
        if any("WorkloadIdentities" in c["constructPath"] for c in v["violatingConstructs"])
    ]
    ids = {v["acknowledgedId"] for v in suppressed}
    assert ids == {"AwsSolutions::AwsSolutions-IAM5[Resource::*]"}
    reasons = {v["reason"] for v in suppressed}
    assert reasons == {configs["prod"].workload_identities[1].exception_reason}


# --- Access ---------------------------------------------------------------------------


def _entries(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Access entries of principals named in config (plain ARNs), by principal ARN."""
    return {
        v["Properties"]["PrincipalArn"]: v["Properties"]
        for v in resources_of(template, "AWS::EKS::AccessEntry").values()
        if isinstance(v["Properties"]["PrincipalArn"], str)
    }


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_access_entries_cover_cluster_and_namespace_scope(
    synth: SynthResult, env: str, configs: dict[str, Any]
) -> None:
    config = configs[env]
    entries = _entries(synth.template(env, "cluster"))
    policy = "arn:{}:eks::aws:cluster-access-policy/"

    def arn_of(props: dict[str, Any]) -> str:
        (association,) = props["AccessPolicies"]
        return str(association["PolicyArn"]["Fn::Join"][1][-1])

    # cluster scope: the admins/viewers shorthand
    for principal, name in [
        (config.cluster.admins[0], "AmazonEKSClusterAdminPolicy"),
        (config.cluster.viewers[0], "AmazonEKSViewPolicy"),
    ]:
        props = entries[principal]
        assert props["AccessPolicies"][0]["AccessScope"] == {"Type": "cluster"}
        assert arn_of(props).endswith(policy.split("{}")[1] + name)
    # namespace scope with Kubernetes groups, from `access:`. Every shipped team is scoped
    # by the tenant Roles its groups are bound to (group_role tenant-admin/tenant-viewer,
    # RoleBindings in payments: tests/unit/test_access_rbac.py), not by an EKS access
    # policy, so its entry carries only the groups. A namespace-scoped access policy from
    # `access[].policy`: tests/app/test_translate_workloads.py (config -> props) and
    # tests/constructs/test_cluster_access.py (props -> AccessScope namespace).
    entry = config.access[0]
    team = entries[entry.principal]
    assert entry.policy is None and entry.binds_groups and entry.namespaces == ["payments"]
    assert "AccessPolicies" not in team
    assert team["KubernetesGroups"] == ["payments-developers"]
    assert team["Type"] == "STANDARD"
    assert len(entries) == 3


def test_shorthand_access_entries_keep_their_logical_ids(synth: SynthResult) -> None:
    resources = synth.template("prod", "cluster")["Resources"]
    assert resources["ControlPlaneClusterRolePlatformAdmin7CC3EF88"]["Type"] == (
        "AWS::EKS::AccessEntry"
    )
    assert resources["ControlPlaneClusterRoleReadOnly11C7BA6D"]["Type"] == "AWS::EKS::AccessEntry"


def test_no_aws_auth_anywhere(synth: SynthResult) -> None:
    for env, stacks in synth.templates.items():
        for kind, template in stacks.items():
            assert "aws-auth" not in json.dumps(template), f"{env} {kind}"


# --- construct variants ---------------------------------------------------------------


@pytest.fixture(scope="module")
def variants() -> dict[str, Any]:
    """One extra App with small stacks, one per variant, on an imported cluster."""
    app = App()
    out: dict[str, Any] = {}

    def cluster_in(stack: Stack) -> eks.ICluster:
        return eks.Cluster.from_cluster_attributes(stack, "Cluster", cluster_name="c")

    two = Stack(app, "TwoPodRoles")
    cluster = cluster_in(two)
    for name in ("a", "b"):
        PodIdentityRole(
            two,
            name.upper(),
            props=PodIdentityRoleProps(
                cluster=cluster,
                namespace=name,
                service_account=name,
                statements=(
                    iam.PolicyStatement(
                        actions=["sqs:SendMessage"],
                        resources=["arn:aws:sqs:eu-west-1:111111111111:q"],
                    ),
                ),
                kubernetes_version="1.34",
                agent_version="v1.3.7-eksbuild.2",
            ),
        )
    errors: dict[str, str] = {}
    bad = Stack(app, "Bad")
    bad_cluster = cluster_in(bad)
    provider = iam.OpenIdConnectProvider.from_open_id_connect_provider_arn(
        bad,
        "Provider",
        "arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/X",
    )
    cases = {
        "no_kubectl": lambda: ServiceAccountRole(
            bad,
            "NoKubectl",
            props=ServiceAccountRoleProps(
                cluster=bad_cluster,
                oidc_provider=provider,
                namespace="a",
                service_account="a",
                statements=(
                    iam.PolicyStatement(
                        actions=["sqs:SendMessage"], resources=["arn:aws:sqs:eu-west-1:111111111111:q"]
                    ),
                ),
                create_service_account=True,
            ),
        ),
        "wildcard_without_reason": lambda: ServiceAccountRole(
            bad,
            "Wildcard",
            props=ServiceAccountRoleProps(
                cluster=bad_cluster,
                oidc_provider=provider,
                namespace="b",
                service_account="b",
                statements=(iam.PolicyStatement(actions=["s3:*"], resources=["*"]),),
            ),
        ),
        "no_permissions": lambda: PodIdentityRole(
            bad,
            "Empty",
            props=PodIdentityRoleProps(
                cluster=bad_cluster, kubernetes_version="1.34", namespace="c", service_account="c"
            ),
        ),
        "admin_in_namespace": lambda: ClusterAccess(
            bad,
            "Access1",
            props=ClusterAccessProps(
                cluster=bad_cluster,
                grants=(
                    AccessGrant(
                        principal_arn="arn:aws:iam::111111111111:role/X",
                        policy_name="AmazonEKSClusterAdminPolicy",
                        namespaces=("a",),
                    ),
                ),
            ),
        ),
        "unknown_policy": lambda: ClusterAccess(
            bad,
            "Access2",
            props=ClusterAccessProps(
                cluster=bad_cluster,
                grants=(
                    AccessGrant(
                        principal_arn="arn:aws:iam::111111111111:role/X", policy_name="Root"
                    ),
                ),
            ),
        ),
    }
    for name, build in cases.items():
        with pytest.raises(ValueError) as caught:
            build()
        errors[name] = str(caught.value)
    out["errors"] = errors
    irsa = Stack(app, "Irsa")
    irsa_role = ServiceAccountRole(
        irsa,
        "Role",
        props=ServiceAccountRoleProps(
            cluster=cluster_in(irsa),
            oidc_provider=iam.OpenIdConnectProvider.from_open_id_connect_provider_arn(
                irsa, "P", "arn:aws:iam::111111111111:oidc-provider/oidc.example/id/X"
            ),
            namespace="ns",
            service_account="sa",
            managed_policies=(iam.ManagedPolicy.from_aws_managed_policy_name("ReadOnlyAccess"),),
            aws_managed_policy_names=("ReadOnlyAccess",),
            exception_reason="a reviewed reason that is long enough",
        ),
    )
    out["manifest"] = irsa.resolve(irsa_role.service_account_manifest)
    assembly = app.synth()
    out["two"] = assembly.get_stack_by_name("TwoPodRoles").template
    out["irsa"] = assembly.get_stack_by_name("Irsa").template
    return out


def test_pod_identity_agent_is_added_once_with_the_given_version(variants: dict[str, Any]) -> None:
    addons = resources_of(variants["two"], "AWS::EKS::Addon")
    assert [a["Properties"]["AddonName"] for a in addons.values()] == ["eks-pod-identity-agent"]
    assert next(iter(addons.values()))["Properties"]["AddonVersion"] == "v1.3.7-eksbuild.2"
    assert len(resources_of(variants["two"], "AWS::EKS::PodIdentityAssociation")) == 2


@pytest.mark.parametrize(
    ("case", "fragment"),
    [
        ("no_kubectl", "create_service_account needs a cluster with a kubectl provider"),
        ("wildcard_without_reason", "exception_reason is required: the role uses Action::s3:*"),
        ("no_permissions", "managed_policies or statements"),
        ("admin_in_namespace", "AmazonEKSClusterAdminPolicy is cluster-scope only"),
        ("unknown_policy", "policy_name = 'Root': not one of"),
    ],
)
def test_construct_validation_names_the_prop(
    variants: dict[str, Any], case: str, fragment: str
) -> None:
    assert fragment in variants["errors"][case]


def test_service_account_manifest_carries_the_role_annotation(variants: dict[str, Any]) -> None:
    manifest = variants["manifest"]
    ((role_id, role),) = resources_of(variants["irsa"], "AWS::IAM::Role").items()
    assert manifest["kind"] == "ServiceAccount"
    assert manifest["metadata"]["name"] == "sa" and manifest["metadata"]["namespace"] == "ns"
    assert manifest["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": {"Fn::GetAtt": [role_id, "Arn"]}
    }
    assert role["Properties"]["ManagedPolicyArns"] == [
        {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/ReadOnlyAccess"]]}
    ]


@pytest.fixture(scope="module")
def nag_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A role with every kind of exception, checked by the real compliance packs."""
    from aws_cdk import Environment

    from tests.packs import add_packs

    outdir = tmp_path_factory.mktemp("nag")
    app = App(outdir=str(outdir))
    stack = Stack(app, "Nag", env=Environment(account="111111111111", region="eu-west-1"))
    ServiceAccountRole(
        stack,
        "Role",
        props=ServiceAccountRoleProps(
            cluster=eks.Cluster.from_cluster_attributes(stack, "Cluster", cluster_name="c"),
            oidc_provider=iam.OpenIdConnectProvider.from_open_id_connect_provider_arn(
                stack, "P", "arn:aws:iam::111111111111:oidc-provider/oidc.example/id/X"
            ),
            namespace="a",
            service_account="b",
            managed_policies=(iam.ManagedPolicy.from_aws_managed_policy_name("ReadOnlyAccess"),),
            aws_managed_policy_names=("ReadOnlyAccess",),
            statements=(iam.PolicyStatement(actions=["s3:*"], resources=["arn:aws:s3:::b/*"]),),
            exception_reason="the reviewed reason for these exceptions",
        ),
    )
    add_packs(app)
    app.synth()  # fails with ValidationFailed if an acknowledgement does not match
    report: dict[str, Any] = json.loads((outdir / "validation-report.json").read_text())
    return report


def test_exceptions_are_acknowledged_by_exact_id_with_the_given_reason(
    nag_report: dict[str, Any],
) -> None:
    suppressed = [
        v for plugin in nag_report["pluginReports"] for v in plugin.get("suppressedViolations", [])
    ]
    assert {v["acknowledgedId"] for v in suppressed} == {
        "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/ReadOnlyAccess]",
        "AwsSolutions::AwsSolutions-IAM5[Action::s3:*]",
        "AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:s3:::b/*]",
        "NIST.800.53.R5::NIST.800.53.R5-IAMPolicyNoStatementsWithFullAccess",
    }
    assert {v["reason"] for v in suppressed} == {"the reviewed reason for these exceptions"}
    assert all(not p["violations"] for p in nag_report["pluginReports"])
