"""Access groups bound by RBAC: `access[].group_role`, the GroupBindings manifest of
ClusterAccess, its place after the tenant namespaces, and the construct's validation."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import aws_cdk.aws_eks_v2 as eks
import kubernetes_validate
import pytest
from aws_cdk.assertions import Match, Template

from eks_blueprint import kubectl_layer_for
from eks_blueprint.access import (
    BINDING_LABELS,
    TENANT_ROLES,
    AccessGrant,
    ClusterAccess,
    ClusterAccessProps,
    group_bindings,
)
from eks_blueprint.config import EnvironmentConfig, load_config
from eks_blueprint.ids import pascal_id
from tests.conftest import ENVIRONMENTS, TEST_ENV, SynthResult, resources_of
from tests.unit import layers
from tests.unit.test_addons import MANIFEST, manifests
from tests.unit.test_config import DEV, write

TEAM = "arn:aws:iam::111111111111:role/Team"
RBAC = "rbac.authorization.k8s.io"


def group(name: str) -> dict[str, str]:
    return {"kind": "Group", "apiGroup": RBAC, "name": name}


def role_ref(role: str) -> dict[str, str]:
    return {"apiGroup": RBAC, "kind": "ClusterRole", "name": role}


# --- the manifests (pure) -------------------------------------------------------------------


def test_bindings_per_namespace_and_role_and_one_cluster_wide_view() -> None:
    docs = group_bindings(
        [
            AccessGrant(principal_arn="arn:aws:iam::1:role/A", kubernetes_groups=("devs", "ops"),
                        namespaces=("b", "a"), group_role="edit"),
            AccessGrant(principal_arn="arn:aws:iam::1:role/B", kubernetes_groups=("leads",),
                        namespaces=("a",), group_role="edit"),
            AccessGrant(principal_arn="arn:aws:iam::1:role/C", kubernetes_groups=("auditors",),
                        group_role="view"),
            AccessGrant(principal_arn="arn:aws:iam::1:role/D", kubernetes_groups=("theirs",),
                        namespaces=("a",), group_role="external"),
            AccessGrant(principal_arn="arn:aws:iam::1:role/E", kubernetes_groups=("legacy",)),
            AccessGrant(principal_arn="arn:aws:iam::1:role/F", policy_name="AmazonEKSViewPolicy"),
        ]
    )
    assert [(d["kind"], d["metadata"].get("namespace"), d["metadata"]["name"]) for d in docs] == [
        ("RoleBinding", "a", "eks-blueprint-access-edit"),
        ("RoleBinding", "b", "eks-blueprint-access-edit"),
        ("ClusterRoleBinding", None, "eks-blueprint-access-view"),
    ]
    a, b, view = docs
    # Every group bound to that role in that namespace, in one binding, sorted.
    assert a["subjects"] == [group("devs"), group("leads"), group("ops")]
    assert b["subjects"] == [group("devs"), group("ops")]
    assert a["roleRef"] == b["roleRef"] == role_ref("edit")
    assert view["roleRef"] == role_ref("view") and view["subjects"] == [group("auditors")]
    # external and no group_role: nothing; no environment name anywhere.
    assert "theirs" not in json.dumps(docs) and "legacy" not in json.dumps(docs)
    for doc in docs:
        assert doc["metadata"]["labels"] == BINDING_LABELS
        kubernetes_validate.validate(doc, "1.34.0", strict=True)


def test_no_groups_to_bind_means_no_manifest() -> None:
    assert group_bindings([AccessGrant(principal_arn=TEAM, kubernetes_groups=("g",),
                                       group_role="external")]) == []


# --- the shipped environments ---------------------------------------------------------------


def _all_bindings(synth: SynthResult, env: str) -> list[dict[str, Any]]:
    return [
        d for d in manifests(synth.template(env, "cluster"))
        if d["kind"] in ("RoleBinding", "ClusterRoleBinding")
    ]


def _bindings(synth: SynthResult, env: str) -> list[dict[str, Any]]:
    """The bindings ClusterAccess makes (labelled BINDING_LABELS); other constructs bind
    their own service accounts (e.g. governance: Kyverno reads the verifier's TLS secret)."""
    return [
        d for d in _all_bindings(synth, env)
        if d["metadata"].get("labels", {}).items() >= BINDING_LABELS.items()
    ]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_bound_group_gets_its_binding_in_each_namespace(
    synth: SynthResult, configs: dict[str, EnvironmentConfig], env: str
) -> None:
    bindings = _bindings(synth, env)
    expected = {
        (namespace, entry.group_role, g)
        for entry in configs[env].access
        if entry.binds_groups
        for namespace in entry.namespaces
        for g in entry.kubernetes_groups
    }
    found = {
        (b["metadata"]["namespace"], b["roleRef"]["name"], s["name"])
        for b in bindings
        for s in b["subjects"]
    }
    assert found == expected
    for binding in bindings:
        assert binding["kind"] == "RoleBinding"  # no shipped file binds cluster-wide
        assert binding["metadata"]["name"] == f"eks-blueprint-access-{binding['roleRef']['name']}"
        # The tenant roles are the namespace's Roles (made by TenantNamespaces), not ClusterRoles.
        role = binding["roleRef"]["name"]
        assert binding["roleRef"]["kind"] == ("Role" if role in TENANT_ROLES else "ClusterRole")
        assert all(s["kind"] == "Group" and s["apiGroup"] == RBAC for s in binding["subjects"])
    # Every other binding in the cluster stack binds service accounts, never an access group.
    groups = {g for entry in configs[env].access for g in entry.kubernetes_groups}
    others = [b for b in _all_bindings(synth, env) if b not in bindings]
    assert all(s["kind"] != "Group" and s["name"] not in groups
               for b in others for s in b["subjects"]), others


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_bound_tenant_roles_exist_in_their_namespaces(
    synth: SynthResult, env: str
) -> None:
    # A RoleBinding to a missing Role grants nothing: TenantNamespaces makes every Role bound.
    roles = {
        (d["metadata"]["namespace"], d["metadata"]["name"])
        for d in manifests(synth.template(env, "cluster")) if d["kind"] == "Role"
    }
    bound = {
        (b["metadata"]["namespace"], b["roleRef"]["name"])
        for b in _bindings(synth, env) if b["roleRef"]["kind"] == "Role"
    }
    assert bound and bound <= roles


def test_shipped_group_roles(configs: dict[str, EnvironmentConfig]) -> None:
    # Every file's groups are bound by the platform, to the tenant's own Roles: the team
    # administers its workloads in dev and staging and only reads in prod (its changes
    # arrive through the pipeline), with no EKS access policy there.
    roles = {env: [(e.group_role, tuple(e.kubernetes_groups)) for e in c.access]
             for env, c in configs.items()}
    assert roles == {
        "dev": [("tenant-admin", ("payments-developers",))],
        "staging": [("tenant-admin", ("payments-developers",))],
        "prod": [("tenant-viewer", ("payments-developers",))],
    }
    assert all(entry.binds_groups for c in configs.values() for entry in c.access)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_bindings_are_one_manifest_applied_after_the_tenant_namespaces(
    synth: SynthResult, configs: dict[str, EnvironmentConfig], env: str
) -> None:
    template = synth.template(env, "cluster")
    manifests_ = layers.items(template, type="manifest")
    (item_id,) = [k for k in manifests_ if k.startswith("Access/")]
    assert item_id == "Access/GroupBindings"  # stable: no environment in the path
    bindings = manifests_[item_id]
    # One item per tenant (namespace and its Roles), plus the tiers' PriorityClasses, all in
    # the bindings' layer (foundation), which applies the bindings after them.
    tenants = {
        k for k in manifests_
        for t in configs[env].tenants if k == f"Tenants/{pascal_id(t.name)}"
    }
    assert len(tenants) == len(configs[env].tenants)
    assert {manifests_[k].logical_id for k in tenants} == {bindings.logical_id}
    assert bindings.layer == "foundation"
    assert tenants <= set(bindings.after)
    assert "eks-blueprint-access-" in layers.manifest_text(template, item_id)
    # Its layer owns the bindings (removed from the config, they are deleted from the
    # cluster); the other layers name them among what they must leave alone.
    owned = {
        f"object:{RBAC}/{b['kind']}/{b['metadata'].get('namespace') or ''}/{b['metadata']['name']}"
        for b in _bindings(synth, env)
    }
    assert owned
    for logical_id in layers.layer_resources(template).values():
        elsewhere = set(template["Resources"][logical_id]["Properties"]["Elsewhere"])
        if logical_id == bindings.logical_id:
            assert not owned & elsewhere
        else:
            assert owned <= elsewhere, logical_id


def test_prod_binds_the_team_read_only_without_an_access_policy(
    synth: SynthResult, configs: dict[str, EnvironmentConfig]
) -> None:
    # prod: the team reads its namespace (Role tenant-viewer) and nothing else; no EKS access
    # policy, so the RoleBinding is all the team holds.
    (binding,) = _bindings(synth, "prod")
    assert binding["metadata"]["namespace"] == "payments"
    assert binding["roleRef"] == {"apiGroup": RBAC, "kind": "Role", "name": "tenant-viewer"}
    assert binding["subjects"] == [group("payments-developers")]
    (entry,) = [
        r["Properties"]
        for r in resources_of(synth.template("prod", "cluster"), "AWS::EKS::AccessEntry").values()
        if r["Properties"]["PrincipalArn"] == configs["prod"].access[0].principal
    ]
    assert "AccessPolicies" not in entry


def test_the_access_entry_still_carries_the_groups(
    synth: SynthResult, configs: dict[str, EnvironmentConfig]
) -> None:
    for env in ENVIRONMENTS:
        entries = [
            r["Properties"] for r in resources_of(synth.template(env, "cluster"), "AWS::EKS::AccessEntry").values()
            if r["Properties"]["PrincipalArn"] == configs[env].access[0].principal
        ]
        (entry,) = entries
        assert entry["KubernetesGroups"] == ["payments-developers"]


# --- config: what is accepted -------------------------------------------------------------


@pytest.mark.parametrize(
    "entry",
    [
        {"kubernetes_groups": ["auditors"], "group_role": "view"},  # a ClusterRoleBinding
        {"kubernetes_groups": ["g"], "group_role": "external"},
        {"policy": "view", "kubernetes_groups": ["g"], "group_role": "external",
         "namespaces": ["elsewhere"]},  # external: any namespace, the user's RBAC binds
        {"namespaces": ["payments"], "kubernetes_groups": ["g"], "group_role": "view"},
    ],
)
def test_valid_group_roles_load(tmp_path: Path, entry: dict[str, Any]) -> None:
    data = copy.deepcopy(DEV)
    data["access"] = [{"principal": TEAM, **entry}]
    (loaded,) = load_config(write(tmp_path, data)).access
    assert loaded.group_role == entry["group_role"]


# --- the construct ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small() -> dict[str, Any]:
    """A cluster with a kubectl provider and ClusterAccess binding view cluster-wide."""
    app = cdk.App()
    stack = cdk.Stack(app, "Access", env=TEST_ENV)
    cluster = eks.Cluster(
        stack, "C", version=eks.KubernetesVersion.V1_34,
        default_capacity_type=eks.DefaultCapacityType.NODEGROUP, default_capacity=0,
        kubectl_provider_options=eks.KubectlProviderOptions(
            kubectl_layer=kubectl_layer_for(stack, "1.34")),
    )
    access = ClusterAccess(stack, "Access", props=ClusterAccessProps(
        cluster=cluster,  # type: ignore[arg-type]
        grants=(AccessGrant(principal_arn=TEAM, kubernetes_groups=("auditors",), group_role="view"),),
    ))
    assert access.group_bindings is not None
    return {"template": Template.from_stack(stack), "access": access}


def test_cluster_wide_view_is_a_cluster_role_binding(small: dict[str, Any]) -> None:
    template: Template = small["template"]
    (resource,) = template.find_resources(MANIFEST).values()
    (doc,) = json.loads(resource["Properties"]["Manifest"])
    labels = doc["metadata"].pop("labels")
    assert labels.items() >= BINDING_LABELS.items()  # plus CDK's prune label
    assert doc == {
        "apiVersion": f"{RBAC}/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": "eks-blueprint-access-view"},
        "roleRef": role_ref("view"), "subjects": [group("auditors")],
    }
    kubernetes_validate.validate({**doc, "metadata": {**doc["metadata"], "labels": labels}},
                                 "1.34.0", strict=True)
    template.has_resource_properties("AWS::EKS::AccessEntry", {
        "PrincipalArn": TEAM, "KubernetesGroups": ["auditors"], "AccessPolicies": Match.absent()})
    assert small["access"].group_bindings.node.id == "GroupBindings"


def _bad(grant: AccessGrant, kubectl: bool = True) -> str:
    stack = cdk.Stack(cdk.App(), "Bad", env=TEST_ENV)
    cluster = eks.Cluster(
        stack, "C", version=eks.KubernetesVersion.V1_34,
        default_capacity_type=eks.DefaultCapacityType.NODEGROUP, default_capacity=0,
        kubectl_provider_options=eks.KubectlProviderOptions(
            kubectl_layer=kubectl_layer_for(stack, "1.34")) if kubectl else None,
    )
    with pytest.raises(ValueError) as caught:
        ClusterAccess(stack, "Access", props=ClusterAccessProps(
            cluster=cluster, grants=(grant,)))  # type: ignore[arg-type]
    return str(caught.value)


@pytest.mark.parametrize(
    ("grant", "kubectl", "fragment"),
    [
        (AccessGrant(principal_arn=TEAM, kubernetes_groups=("g",), group_role="edit"), True,
         "Bad/Access: ClusterAccessProps.grants[0].group_role = 'edit': "
         "without namespaces this would be a ClusterRoleBinding"),
        (AccessGrant(principal_arn=TEAM, kubernetes_groups=("g",), group_role="admin"), True,
         "policy_name AmazonEKSAdminPolicy"),
        (AccessGrant(principal_arn=TEAM, policy_name="AmazonEKSViewPolicy", group_role="view"), True,
         "group_role = 'view': group_role is set but kubernetes_groups is empty"),
        (AccessGrant(principal_arn=TEAM, kubernetes_groups=("g",), group_role="owner"),  # type: ignore[arg-type]
         True, "grants[0].group_role = 'owner': not one of view, edit, admin, external"),
        (AccessGrant(principal_arn=TEAM, kubernetes_groups=("g",), namespaces=("Bad_NS",),
                     group_role="view"), True, "grants[0].namespaces[0] = 'Bad_NS': not a Kubernetes name"),
        (AccessGrant(principal_arn=TEAM, kubernetes_groups=("g",), group_role="view"), False,
         "Bad/Access: ClusterAccessProps.cluster = 'Bad/C': the grants bind Kubernetes groups"),
    ],
)
def test_construct_validation_names_the_construct_and_prop(
    grant: AccessGrant, kubectl: bool, fragment: str
) -> None:
    assert fragment in _bad(grant, kubectl)


def test_groups_without_a_role_need_no_kubectl_provider() -> None:
    stack = cdk.Stack(cdk.App(), "Plain", env=TEST_ENV)
    cluster = eks.Cluster.from_cluster_attributes(stack, "C", cluster_name="c")
    access = ClusterAccess(stack, "Access", props=ClusterAccessProps(
        cluster=cluster, grants=(AccessGrant(principal_arn=TEAM, kubernetes_groups=("g",),
                                             group_role="external"),)))
    assert access.group_bindings is None
    assert Template.from_stack(stack).find_resources(MANIFEST) == {}
