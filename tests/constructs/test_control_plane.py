"""ControlPlane as a library user builds it: explicit props, growth methods, its own
acknowledgements, and a clear error for every bad prop."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from eks_blueprint import (
    ControlPlane,
    ControlPlaneProps,
    Network,
    NetworkProps,
    NodeGroupSpec,
    availability_zones_context_key,
)
from eks_blueprint.addons.versions import SUPPORTED_KUBERNETES_VERSIONS
from eks_blueprint.compliance import add_compliance_packs
from eks_blueprint.kubectl import kubectl_layer_for
from tests.conftest import TEST_ENV, resources_of

ZONES = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
ADMIN = "arn:aws:iam::123456789012:role/PlatformAdmin"


def new_stack(packs: bool = False) -> tuple[cdk.App, cdk.Stack, Network]:
    key = availability_zones_context_key(str(TEST_ENV.account), str(TEST_ENV.region))
    app = cdk.App(context={key: ZONES})
    if packs:
        add_compliance_packs(app)
    stack = cdk.Stack(app, "Team", env=TEST_ENV)
    network = Network(stack, "Net", props=NetworkProps(availability_zones=ZONES))
    return app, stack, network


def control_plane(stack: cdk.Stack, network: Network, id: str = "Eks", **kw: Any) -> ControlPlane:
    settings: dict[str, Any] = {"cluster_name": "team", "version": "1.34", "vpc": network.vpc}
    settings.update(kw)
    return ControlPlane(stack, id, props=ControlPlaneProps(**settings))


@pytest.fixture(scope="module")
def grown() -> dict[str, Any]:
    """A cluster grown only through ControlPlane's methods, under an id of the user's choice,
    synthesised with the three compliance packs enforcing (any error fails synth)."""
    app, stack, network = new_stack(packs=True)
    cp = control_plane(stack, network, id="Platform")
    admin = cp.grant_cluster_admin(ADMIN)
    group = cp.add_node_group(
        NodeGroupSpec(name="system", instance_types=["m7g.large", "m6g.large"])
    )
    karpenter = cp.add_karpenter()
    app.synth()
    return {
        "template": Template.from_stack(stack),
        "json": Template.from_stack(stack).to_json(),
        "cp": cp,
        "admin": admin,
        "group": group,
        "karpenter": karpenter,
    }


def test_growth_methods_return_their_children(grown: dict[str, Any]) -> None:
    import aws_cdk.aws_eks_v2 as eks

    from eks_blueprint import Karpenter

    assert isinstance(grown["admin"], eks.AccessEntry)
    assert isinstance(grown["group"], eks.Nodegroup)
    assert isinstance(grown["karpenter"], Karpenter)
    assert grown["cp"].karpenter is grown["karpenter"]


def test_kubectl_provider_acknowledged_wherever_the_cluster_sits(grown: dict[str, Any]) -> None:
    # GIVEN a ControlPlane with id "Platform" (the acknowledgements name logical ids that
    # depend on it) THEN synth with the packs succeeded (the fixture) AND the Kubernetes
    # layers' handler exists under the control plane, instead of aws_eks_v2's kubectl provider
    functions = resources_of(grown["json"], "AWS::Lambda::Function")
    assert grown["cp"].kubernetes is not None
    assert grown["cp"].kubernetes.node.path == "Team/Platform/Kubernetes"
    assert any(
        logical_id.startswith("PlatformKubernetesProviderHandler") for logical_id in functions
    )
    assert not any("KubectlProvider" in logical_id for logical_id in functions)


def test_capacity_brings_node_readiness_addons(grown: dict[str, Any]) -> None:
    # The node role has no CNI permissions: vpc-cni must come with its own role.
    template: Template = grown["template"]
    for name in ("vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent"):
        template.has_resource_properties("AWS::EKS::Addon", {"AddonName": name})
    addons = resources_of(grown["json"], "AWS::EKS::Addon")
    cni = next(a for a in addons.values() if a["Properties"]["AddonName"] == "vpc-cni")
    props = cni["Properties"]
    assert props.get("ServiceAccountRoleArn") or props.get("PodIdentityAssociations")


def test_node_groups_wait_for_node_readiness_addons(grown: dict[str, Any]) -> None:
    groups = resources_of(grown["json"], "AWS::EKS::Nodegroup")
    addons = resources_of(grown["json"], "AWS::EKS::Addon")
    cni = next(k for k, a in addons.items() if a["Properties"]["AddonName"] == "vpc-cni")
    for group in groups.values():
        assert cni in group.get("DependsOn", [])


def test_admin_access_entry(grown: dict[str, Any]) -> None:
    entries = resources_of(grown["json"], "AWS::EKS::AccessEntry")
    admin = [e for e in entries.values() if e["Properties"]["PrincipalArn"] == ADMIN]
    assert len(admin) == 1
    assert "AmazonEKSClusterAdminPolicy" in json.dumps(admin[0]["Properties"]["AccessPolicies"])

def test_no_kubectl_provider_means_no_lambda() -> None:
    _, stack, network = new_stack()
    cp = control_plane(stack, network, kubectl_provider=False)
    assert cp.cluster.kubectl_provider is None
    assert cp.kubernetes is None
    assert not resources_of(Template.from_stack(stack).to_json(), "AWS::Lambda::Function")
    with pytest.raises(ValueError, match=r"Team/Eks: Karpenter .*kubectl_provider=True"):
        cp.add_karpenter()


def test_explicit_addons_replace_core_addons() -> None:
    _, stack, network = new_stack()
    cp = control_plane(stack, network, kubectl_provider=False)
    addons = cp.add_addons(
        load_balancer_controller=False,
        ebs_csi_driver=False,
        metrics_server=False,
        cloudwatch_observability=False,
        cni_metrics_helper=False,
    )
    cp.add_node_group(NodeGroupSpec(name="system", instance_types=["m7g.large", "m6g.large"]))
    assert cp.node.try_find_child("CoreAddons") is None
    assert addons.node.path == "Team/Eks/Addons"
    with pytest.raises(ValueError, match=r"Team/Eks: add_addons: the cluster already has add-ons"):
        cp.add_addons()


def test_core_addons_can_be_turned_off() -> None:
    _, stack, network = new_stack()
    cp = control_plane(stack, network, kubectl_provider=False, core_addons=False)
    cp.add_node_group(NodeGroupSpec(name="system", instance_types=["m7g.large", "m6g.large"]))
    assert not resources_of(Template.from_stack(stack).to_json(), "AWS::EKS::Addon")


def test_karpenter_needs_somewhere_to_run() -> None:
    _, stack, network = new_stack()
    cp = control_plane(stack, network)
    with pytest.raises(ValueError, match=r"Team/Eks: add_karpenter: .*add_node_group"):
        cp.add_karpenter()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"version": "1.20"}, r"Team/Eks: ControlPlaneProps.version = '1.20': use one of"),
        ({"cluster_name": "bad name"}, r"ControlPlaneProps.cluster_name = 'bad name'"),
        ({"cluster_name": "x" * 101}, r"ControlPlaneProps.cluster_name"),
        ({"admin_principal_arns": ["PlatformAdmin"]}, r"admin_principal_arns = 'PlatformAdmin'"),
        (
            {"admin_principal_arns": ADMIN},
            r"admin_principal_arns = .*use a list of str, e\.g\. \['arn:",
        ),
        (
            {"security_groups_for_pods": "yes"},
            r"security_groups_for_pods = 'yes': expected bool, got str",
        ),
        ({"viewer_principal_arns": ["arn:aws:iam::1:role/x"]}, r"viewer_principal_arns"),
        ({"open_endpoint_reason": " "}, r"open_endpoint_reason"),
    ],
)
def test_bad_props_are_refused_with_the_construct_and_prop(
    settings: dict[str, Any], message: str
) -> None:
    _, stack, network = new_stack()
    with pytest.raises(ValueError, match=message):
        control_plane(stack, network, **settings)


def test_grant_access_refuses_unknown_policy_and_bad_arn() -> None:
    _, stack, network = new_stack()
    cp = control_plane(stack, network, kubectl_provider=False)
    with pytest.raises(ValueError, match=r"Team/Eks: grant_access policy_name = 'Admin'"):
        cp.grant_access(ADMIN, "Admin")
    with pytest.raises(ValueError, match=r"grant_access principal_arn = 'admin'"):
        cp.grant_cluster_admin("admin")


def test_missing_layer_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    real_import_module = importlib.import_module

    def import_module(name: str, package: str | None = None) -> Any:
        if name.startswith("aws_cdk.lambda_layer_kubectl"):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real_import_module(name, package)

    monkeypatch.setattr(importlib, "import_module", import_module)
    _, stack, _ = new_stack()
    with pytest.raises(ImportError, match=r'pip install "eks-blueprint\[kubectl-v34\]"'):
        kubectl_layer_for(stack, "1.34")


def test_every_supported_version_has_its_layer_installed() -> None:
    _, stack, _ = new_stack()
    for version in SUPPORTED_KUBERNETES_VERSIONS:
        kubectl_layer_for(
            cdk.Stack(
                stack.node.scope,
                f"L{version.replace('.', '')}",  # type: ignore[arg-type]
                env=TEST_ENV,
            ),
            version,
        )


def test_two_clusters_of_one_version_share_the_stack_layer() -> None:
    _, stack, network = new_stack()
    control_plane(stack, network, id="A", cluster_name="a")
    control_plane(stack, network, id="B", cluster_name="b")
    control_plane(stack, network, id="C", cluster_name="c", version="1.35")
    layers = resources_of(Template.from_stack(stack).to_json(), "AWS::Lambda::LayerVersion")
    assert len([k for k in layers if k.startswith("KubectlLayer") and "V1" not in k]) == 1
    assert any(k.startswith("KubectlLayerV135") for k in layers)


def test_fargate_only_cluster_runs_coredns_on_fargate() -> None:
    from eks_blueprint import FargateProfileSpec, FargateSelectorSpec

    _, stack, network = new_stack()
    cp = control_plane(stack, network, kubectl_provider=False)
    cp.add_fargate_profile(
        FargateProfileSpec(name="batch", selectors=[FargateSelectorSpec(namespace="batch")])
    )
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::EKS::FargateProfile",
        {"Selectors": Match.array_with([Match.object_like({"Namespace": "kube-system"})])},
    )
    coredns = next(
        a for a in resources_of(template.to_json(), "AWS::EKS::Addon").values()
        if a["Properties"]["AddonName"] == "coredns"
    )
    assert "Fargate" in coredns["Properties"]["ConfigurationValues"]


def test_a_layer_without_the_provider_is_refused() -> None:
    _, stack, network = new_stack()
    layer = kubectl_layer_for(stack, "1.34")
    with pytest.raises(ValueError, match=r"Team/Eks: ControlPlaneProps.kubectl_layer = .*only used "
                                         r"with kubectl_provider=True"):
        control_plane(stack, network, kubectl_provider=False, kubectl_layer=layer)
