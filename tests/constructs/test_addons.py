"""Addons as a library user builds it: explicit props, the node-readiness preset, ordering
with capacity through the cluster's registry, and a clear error for every bad prop."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Match, Template

from eks_blueprint.addons import Addons, AddonsProps
from eks_blueprint.addons.catalog import CATALOG
from eks_blueprint.addons.versions import ADDON_VERSIONS
from eks_blueprint.template.kubernetes import LAYER_TYPE
from eks_blueprint.wiring import register_capacity

from .clusters import built, pod_identity_trust, refused, stack_with_vpc

READINESS = {"eks-pod-identity-agent", "vpc-cni", "kube-proxy", "coredns"}


def addon_names(template: Template) -> set[str]:
    return {
        r["Properties"]["AddonName"] for r in template.find_resources("AWS::EKS::Addon").values()
    }


def logical_id(template: Template, addon: str) -> str:
    (found,) = [
        k
        for k, r in template.find_resources("AWS::EKS::Addon").items()
        if r["Properties"]["AddonName"] == addon
    ]
    return found


# -- the node-readiness preset ------------------------------------------------------------


@pytest.fixture(scope="module")
def readiness() -> dict[str, Any]:
    stack, vpc = stack_with_vpc()
    cluster = built(stack, vpc=vpc)
    # Capacity created BEFORE the add-ons: the registry orders it when Addons registers.
    early = ec2.CfnEIP(stack, "EarlyCapacity")
    register_capacity(cluster, early)
    addons = Addons(
        stack,
        "Addons",
        props=AddonsProps.node_readiness(
            cluster=cluster, kubernetes_version="1.34", vpc=vpc, coredns_replicas=3
        ),
    )
    late = ec2.CfnEIP(stack, "LateCapacity")
    register_capacity(cluster, late)
    addons.add_compute_dependency(late)  # by hand too, as the app does: no duplicates
    return {"template": Template.from_stack(stack), "addons": addons, "stack": stack}


def test_node_readiness_creates_exactly_what_nodes_need(readiness: dict[str, Any]) -> None:
    template: Template = readiness["template"]
    assert addon_names(template) == READINESS
    template.resource_count_is("AWS::Lambda::Function", 0)
    template.resource_count_is("Custom::AWSCDK-EKS-HelmChart", 0)
    template.resource_count_is("Custom::AWSCDK-EKS-KubernetesResource", 0)
    template.resource_count_is(LAYER_TYPE, 0)
    template.has_resource_properties(
        "AWS::EKS::Addon",
        {
            "AddonName": "vpc-cni",
            "AddonVersion": ADDON_VERSIONS["1.34"]["vpc-cni"][0],
            "ResolveConflicts": "OVERWRITE",
            "PreserveOnDelete": True,
            "PodIdentityAssociations": [
                {
                    "ServiceAccount": "aws-node",
                    "RoleArn": {"Fn::GetAtt": [Match.any_value(), "Arn"]},
                }
            ],
        },
    )
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": pod_identity_trust(),
            "ManagedPolicyArns": [
                {
                    "Fn::Join": [
                        "",
                        Match.array_with([Match.string_like_regexp("AmazonEKS_CNI_Policy")]),
                    ]
                }
            ],
        },
    )
    template.has_resource_properties(
        "AWS::EKS::Addon",
        {"AddonName": "coredns", "ConfigurationValues": json.dumps({"replicaCount": 3})},
    )


def test_capacity_before_and_after_is_ordered_once(readiness: dict[str, Any]) -> None:
    resources = readiness["template"].to_json()["Resources"]
    readiness_ids = {logical_id(readiness["template"], n) for n in ("vpc-cni", "kube-proxy")}
    agent = logical_id(readiness["template"], "eks-pod-identity-agent")
    coredns = resources[logical_id(readiness["template"], "coredns")]
    for capacity in ("EarlyCapacity", "LateCapacity"):
        depends = resources[capacity]["DependsOn"]
        assert readiness_ids | {agent} <= set(depends)
        assert len(depends) == len(set(depends))
        assert capacity in coredns["DependsOn"]
    assert len(coredns["DependsOn"]) == len(set(coredns["DependsOn"]))


def test_node_readiness_overrides_turn_switches_back_on() -> None:
    stack, vpc = stack_with_vpc()
    props = AddonsProps.node_readiness(
        cluster=built(stack, vpc=vpc), kubernetes_version="1.34", vpc=vpc, metrics_server=True
    )
    switches = {s.prop: getattr(props, s.prop) for s in CATALOG if s.switchable}
    assert switches == {
        s.prop: (
            True if s.prop == "metrics_server" else None if s.prop == "external_dns_zone" else False
        )
        for s in CATALOG
        if s.switchable
    }


# -- every add-on, on a cluster with a kubectl provider ------------------------------------


@pytest.fixture(scope="module")
def full() -> Template:
    stack, vpc = stack_with_vpc()
    cluster = built(stack, vpc=vpc, kubectl=True)
    Addons(
        stack,
        "Addons",
        props=AddonsProps(
            cluster=cluster,
            kubernetes_version="1.34",
            vpc=vpc,
            versions={"coredns": ADDON_VERSIONS["1.34"]["coredns"][0]},
            coredns_autoscaling=(2, 6),
            coredns_tolerations=({"key": "CriticalAddonsOnly", "operator": "Exists"},),
            snapshot_controller=True,
            external_dns_zone=("Z0123456789ABCDEFGHIJ", "shop.example.com"),
            cert_manager=True,
            load_balancer_controller_replicas=3,
            vertical_pod_autoscaler=True,
        ),
    )
    return Template.from_stack(stack)


def test_every_managed_addon_when_switched_on(full: Template) -> None:
    assert addon_names(full) == {s.name for s in CATALOG if s.kind == "managed"}
    full.has_resource_properties(
        "AWS::EKS::Addon",
        {
            "AddonName": "coredns",
            "ConfigurationValues": json.dumps(
                {
                    "autoScaling": {"enabled": True, "maxReplicas": 6, "minReplicas": 2},
                    "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}],
                },
                sort_keys=True,
            ),
        },
    )
    full.has_resource_properties(
        "AWS::EKS::Addon",
        {
            "AddonName": "aws-ebs-csi-driver",
            "PodIdentityAssociations": [
                Match.object_like({"ServiceAccount": "ebs-csi-controller-sa"})
            ],
        },
    )


def test_charts_and_their_identities(full: Template) -> None:
    charts = {
        r["Properties"]["Chart"]: r["Properties"]
        for r in full.find_resources("Custom::AWSCDK-EKS-HelmChart").values()
    }
    assert set(charts) == {s.name for s in CATALOG if s.kind == "chart"}
    values = charts["aws-load-balancer-controller"]["Values"]["Fn::Join"][1]
    assert any('"replicaCount":3,' in part for part in values if isinstance(part, str))
    full.has_resource_properties(
        "AWS::EKS::PodIdentityAssociation",
        {"Namespace": "external-dns", "ServiceAccount": "external-dns"},
    )
    full.has_resource_properties(
        "AWS::EKS::PodIdentityAssociation",
        {"Namespace": "kube-system", "ServiceAccount": "aws-load-balancer-controller"},
    )
    # VPA calls no AWS API: its chart (in kube-system) gets no identity.
    assert charts["vpa"]["Namespace"] == "kube-system"
    associations = full.find_resources("AWS::EKS::PodIdentityAssociation").values()
    assert not any("vpa" in a["Properties"]["ServiceAccount"] for a in associations)
    (storage_class,) = full.find_resources("Custom::AWSCDK-EKS-KubernetesResource").values()
    assert '\\"name\\":\\"gp3-encrypted\\"' in json.dumps(storage_class["Properties"]["Manifest"])


# -- refusals -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scaffold() -> tuple[cdk.Stack, eks.Cluster, ec2.Vpc]:
    stack, vpc = stack_with_vpc("Refusals")
    return stack, built(stack, vpc=vpc), vpc


BAD: list[tuple[dict[str, Any], str, str]] = [
    ({"kubernetes_version": "1.19"}, "AddonsProps.kubernetes_version", "is not supported"),
    ({"versions": {"coredns2": "v1"}}, "AddonsProps.versions", "not an EKS add-on"),
    (
        {"versions": {"aws-efs-csi-driver": "v3.3.0-eksbuild.1"}},
        "AddonsProps.versions",
        "installed by the storage constructs, not by Addons",
    ),
    (
        {"versions": {"coredns": "v0.0.1-eksbuild.1"}},
        "AddonsProps.versions['coredns']",
        "coredns v0.0.1-eksbuild.1 is not listed for Kubernetes 1.34; use one of",
    ),
    ({"coredns_replicas": 0}, "AddonsProps.coredns_replicas", "from 1 to 100"),
    ({"coredns_autoscaling": (1, 4)}, "AddonsProps.coredns_autoscaling", "min 1 is out of range"),
    ({"coredns_autoscaling": (5, 2)}, "AddonsProps.coredns_autoscaling", "min (5) > max (2)"),
    ({"coredns_autoscaling": (2,)}, "AddonsProps.coredns_autoscaling", "not a pair"),
    (
        {"coredns_tolerations": ({"key": "x", "operator": "Exists", "value": "y"},)},
        "AddonsProps.coredns_tolerations[0]",
        "operator is 'Exists'",
    ),
    (
        {"coredns_tolerations": ({"key": "x", "effect": "NoRun"},)},
        "AddonsProps.coredns_tolerations[0]",
        "effect 'NoRun'",
    ),
    (
        {"load_balancer_controller_replicas": 11},
        "AddonsProps.load_balancer_controller_replicas",
        "from 1 to 10",
    ),
    (
        {"external_dns_zone": ("/hostedzone/Z123", "shop.example.com")},
        "AddonsProps.external_dns_zone[0]",
        "not a Route 53 hosted zone id",
    ),
    (
        {"external_dns_zone": ("Z0123456789", "Shop.Example")},
        "AddonsProps.external_dns_zone[1]",
        "not a lower-case DNS domain",
    ),
    (
        {"external_dns_zone": ("Z0123456789",)},
        "AddonsProps.external_dns_zone",
        "not a pair",
    ),
]


@pytest.mark.parametrize(
    ("index", "overrides", "prop", "problem"), [(i, *b) for i, b in enumerate(BAD)]
)
def test_bad_props_are_refused_naming_path_prop_value_and_fix(
    scaffold: tuple[cdk.Stack, eks.Cluster, ec2.Vpc],
    index: int,
    overrides: dict[str, Any],
    prop: str,
    problem: str,
) -> None:
    stack, cluster, vpc = scaffold
    settings: dict[str, Any] = {
        "cluster": cluster,
        "kubernetes_version": "1.34",
        "vpc": vpc,
        "ebs_csi_driver": False,
        "load_balancer_controller": False,
    }
    settings.update(overrides)
    where = f"Refusals/Bad{index}"
    assert problem in refused(
        where, prop, Addons, stack, f"Bad{index}", props=AddonsProps(**settings)
    )
    assert not stack.node.find_child(f"Bad{index}").node.children  # refused before building


def test_volume_key_without_the_driver_is_refused(
    scaffold: tuple[cdk.Stack, eks.Cluster, ec2.Vpc],
) -> None:
    stack, cluster, vpc = scaffold
    key = kms.Key(stack, "Key")
    props = AddonsProps.node_readiness(
        cluster=cluster, kubernetes_version="1.34", vpc=vpc, volume_key=key
    )
    refused("Refusals/KeyOnly", "AddonsProps.ebs_csi_driver", Addons, stack, "KeyOnly", props=props)


def test_charts_without_a_kubectl_provider_are_refused(
    scaffold: tuple[cdk.Stack, eks.Cluster, ec2.Vpc],
) -> None:
    stack, cluster, vpc = scaffold
    props = AddonsProps(cluster=cluster, kubernetes_version="1.34", vpc=vpc)
    where = ("Refusals/NoKubectl", "AddonsProps.ebs_csi_driver")
    message = refused(*where, Addons, stack, "NoKubectl", props=props)
    assert "has no kubectl provider" in message
    assert "load_balancer_controller" in message


def test_a_second_addons_for_one_cluster_is_refused() -> None:
    stack, vpc = stack_with_vpc("Twice")
    cluster = built(stack, vpc=vpc)
    props = AddonsProps.node_readiness(cluster=cluster, kubernetes_version="1.34", vpc=vpc)
    Addons(stack, "First", props=props)
    with pytest.raises(
        ValueError, match=r"^Twice/Second: the cluster already has its add-ons at Twice/First"
    ):
        Addons(stack, "Second", props=props)


def test_addons_on_an_imported_cluster() -> None:
    stack, vpc = stack_with_vpc("Imported")
    cluster = eks.Cluster.from_cluster_attributes(
        stack, "Cluster", cluster_name="platform", vpc=vpc
    )
    Addons(
        stack,
        "Addons",
        props=AddonsProps.node_readiness(cluster=cluster, kubernetes_version="1.34", vpc=vpc),
    )
    assert addon_names(Template.from_stack(stack)) == READINESS
