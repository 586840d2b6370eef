"""The demo workload's platforms (node architecture) and ALB inbound CIDRs: config rules,
the manifests, the shipped environments and the construct's validation."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import aws_cdk.aws_eks_v2 as eks
import kubernetes_validate
import pytest
from aws_cdk.assertions import Template

from eks_blueprint.config import EnvironmentConfig, load_config
from eks_blueprint.config.workloads import DEMO_POD_LABELS
from eks_blueprint.workloads.demo import APP, DemoWorkload, DemoWorkloadProps, demo_manifests
from tests.conftest import TEST_ENV, SynthResult
from tests.unit.test_addons import MANIFEST, manifests
from tests.unit.test_config import DEV, problems, write
from tests.unit.test_tenancy import _stack

INBOUND = "alb.ingress.kubernetes.io/inbound-cidrs"
ARCH = "kubernetes.io/arch"


def dev(**demo: Any) -> dict[str, Any]:
    """dev.yaml with its demo section changed."""
    data = copy.deepcopy(DEV)
    data["workloads"]["demo"].update(demo)
    return {k: v for k, v in data.items()}


def with_compute(compute: dict[str, Any], **demo: Any) -> dict[str, Any]:
    data = dev(**demo)
    data["compute"] = compute
    return data


SYSTEM_ARM = {"name": "system", "instance_types": ["t4g.medium", "t4g.large"],
              "ami_type": "bottlerocket_arm64", "size": {"min": 2, "desired": 2, "max": 3}}
TAINT = [{"key": "CriticalAddonsOnly", "value": "true", "effect": "NoSchedule"}]


def karpenter(*pools: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "1.8.1", "controller_on": "node_group", "controller_node_group": "system",
        "node_classes": [{"name": "default", "ami_alias": "al2023@v20251112"}],
        "node_pools": [{"limits": {"cpu": 8, "memory": "32Gi"}, **p} for p in pools],
    }


# --- config: platforms ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (dev(platforms=[]), "workloads.demo.platforms: List should have at least 1 item"),
        (dev(platforms=["amd64", "amd64"]), "amd64 is listed more than once"),
        (dev(platforms=["x86_64"]), "workloads.demo.platforms[0]"),
        # dev without Karpenter's amd64: only the arm64 node group is left
        (with_compute({"node_groups": [SYSTEM_ARM]}),
         "[amd64]: no capacity in this environment runs amd64 pods that tolerate no taints, "
         "so the demo would stay Pending; capacity: node group system (arm64)"),
        # an amd64 pool that is tainted does not count: the demo tolerates nothing
        (with_compute({"node_groups": [SYSTEM_ARM], "karpenter": karpenter(
            {"name": "x86", "architectures": ["amd64"], "taints": TAINT})}),
         "Karpenter node pool x86 (amd64, tainted)"),
        (with_compute({"node_groups": [{**SYSTEM_ARM, "ami_type": "al2023_x86_64",
                                        "instance_types": ["m7i.large"], "taints": TAINT}]}),
         "capacity: node group system (amd64, tainted)"),
        # arm64-only image on amd64-only untainted capacity
        (with_compute({"node_groups": [{**SYSTEM_ARM, "taints": TAINT}], "karpenter": karpenter(
            {"name": "x86", "architectures": ["amd64"]})}, platforms=["arm64"]),
         "no capacity in this environment runs arm64 pods that tolerate no taints, so the demo "
         "would stay Pending; capacity: node group system (arm64, tainted); Karpenter node pool "
         "x86 (amd64)"),
        # Fargate runs amd64, but only pods its profiles select
        (with_compute({"fargate": {"profiles": [{"name": "batch", "selectors": [{"namespace": "batch"}]}]}}),
         "Fargate profile batch (does not select namespace demo)"),
        (with_compute({"fargate": {"profiles": [{"name": "web", "selectors": [
            {"namespace": "demo", "labels": {"tier": "web"}}]}]}}),
         "Fargate profile web (does not select namespace demo)"),
        (with_compute({"fargate": {"profiles": [{"name": "demo", "selectors": [{"namespace": "demo"}]}]}},
                      platforms=["arm64"]),
         "capacity: Fargate profile demo (amd64)"),
        (with_compute({}), "capacity: none (compute is empty)"),
        (with_compute({"auto_mode": {"node_pools": ["system"]}}, scheme="internal", inbound_cidrs=[]),
         "Auto Mode pool system (tainted)"),
    ],
)
def test_demo_platforms_need_capacity(tmp_path: Path, data: dict[str, Any], fragment: str) -> None:
    found = problems(tmp_path, data)
    assert any(fragment in p for p in found), found


@pytest.mark.parametrize(
    ("compute", "platforms"),
    [
        ({"node_groups": [SYSTEM_ARM]}, ["arm64"]),
        ({"node_groups": [SYSTEM_ARM]}, ["amd64", "arm64"]),
        ({"node_groups": [SYSTEM_ARM], "karpenter": karpenter({"name": "any"})}, ["amd64"]),
        ({"fargate": {"profiles": [{"name": "demo", "selectors": [
            {"namespace": "demo", "labels": {"app.kubernetes.io/name": APP}}]}]}}, ["amd64"]),
        ({"auto_mode": {}}, ["amd64"]),
    ],
)
def test_demo_platforms_with_capacity_load(
    tmp_path: Path, compute: dict[str, Any], platforms: list[str]
) -> None:
    data = with_compute(compute, platforms=platforms)
    if set(compute) == {"fargate"}:
        # dev's storage.efs needs EC2 nodes (dynamic EFS volumes; test_storage_config)
        data.pop("storage")
    if "auto_mode" in compute:  # Auto Mode brings its own load balancing
        data["workloads"]["demo"].update(scheme="internal", inbound_cidrs=[])
        data["addons"]["load_balancer_controller"] = {"enabled": True}
    assert load_config(write(tmp_path, data)).workloads.demo.platforms == platforms


# --- config: inbound CIDRs -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("demo", "fragment"),
    [
        ({"inbound_cidrs": []}, "scheme 'internet-facing' needs inbound_cidrs"),
        ({"inbound_cidrs": ["0.0.0.0/0"]},
         "0.0.0.0/0 opens the ALB to the whole internet; list your own CIDRs, or set "
         "allow_open_ingress: true"),
        ({"allow_open_ingress": True}, "allow_open_ingress is true but inbound_cidrs has no 0.0.0.0/0"),
        ({"inbound_cidrs": ["203.0.113.0/24", "203.0.113.0/24"]},
         "203.0.113.0/24 is listed more than once"),
        ({"inbound_cidrs": ["203.0.113.1/24"]}, "workloads.demo.inbound_cidrs[0]: not a valid IPv4 CIDR"),
        ({"allow_open_ingress": "yes"}, "workloads.demo.allow_open_ingress"),
    ],
)
def test_invalid_inbound_cidrs_are_refused(tmp_path: Path, demo: dict[str, Any], fragment: str) -> None:
    found = problems(tmp_path, dev(**demo))
    assert any(fragment in p for p in found), found


def test_open_ingress_is_an_explicit_choice(tmp_path: Path) -> None:
    data = dev(inbound_cidrs=["0.0.0.0/0"], allow_open_ingress=True)
    assert load_config(write(tmp_path, data)).workloads.demo.inbound_cidrs == ["0.0.0.0/0"]


# --- the shipped environments ----------------------------------------------------------------


def _demo(synth: SynthResult, env: str) -> dict[str, dict[str, Any]]:
    return {
        d["kind"]: d for d in manifests(synth.template(env, "cluster"))
        if d["metadata"].get("namespace") == "demo" or d["metadata"]["name"] == "demo"
    }


def test_dev_keeps_the_amd64_image_off_its_arm64_nodes(
    synth: SynthResult, configs: dict[str, EnvironmentConfig]
) -> None:
    assert configs["dev"].workloads.demo.platforms == ["amd64"]
    pod = _demo(synth, "dev")["Deployment"]["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {ARCH: "amd64"}
    assert "affinity" not in pod


@pytest.mark.parametrize(
    ("env", "cidrs"),
    [("dev", "203.0.113.0/24"),  # the office, as for dev's API endpoint
     # internal without a list: the VPC's CIDRs, the pods' of custom networking included
     ("staging", "10.20.0.0/16,100.64.0.0/16")],
)
def test_alb_inbound_cidrs(synth: SynthResult, env: str, cidrs: str) -> None:
    annotations = _demo(synth, env)["Ingress"]["metadata"]["annotations"]
    assert annotations[INBOUND] == cidrs
    assert "0.0.0.0/0" not in annotations[INBOUND]


# --- the manifests and the construct ---------------------------------------------------------


def _props(**changes: Any) -> DemoWorkloadProps:
    stack = cdk.Stack(cdk.App(), "Demo", env=TEST_ENV)
    cluster = eks.Cluster.from_cluster_attributes(stack, "C", cluster_name="c")
    base: dict[str, Any] = {"cluster": cluster, "image": "repo/app:1.0",
                            "scheme": "internal", "inbound_cidrs": ("10.0.0.0/16",)}
    return DemoWorkloadProps(**{**base, **changes})


@pytest.mark.parametrize(
    ("platforms", "placement"),
    [
        (("arm64",), {"nodeSelector": {ARCH: "arm64"}}),
        (("amd64", "arm64"), {"affinity": {"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": ARCH, "operator": "In", "values": ["amd64", "arm64"]}]}
            ]}}}}),
    ],
)
def test_platforms_become_node_placement(platforms: tuple[str, ...], placement: dict[str, Any]) -> None:
    docs = demo_manifests(_props(platforms=platforms, scheme="internet-facing",
                                 inbound_cidrs=("203.0.113.0/24", "198.51.100.0/24")))
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert {k: pod[k] for k in ("nodeSelector", "affinity") if k in pod} == placement
    ingress = next(d for d in docs if d["kind"] == "Ingress")
    assert ingress["metadata"]["annotations"][INBOUND] == "203.0.113.0/24,198.51.100.0/24"
    assert deployment["spec"]["template"]["metadata"]["labels"] == DEMO_POD_LABELS
    for doc in docs:
        kubernetes_validate.validate(doc, "1.34.0", strict=True)


def test_internal_without_cidrs_leaves_the_annotation_out() -> None:
    docs = demo_manifests(_props(inbound_cidrs=()))
    ingress = next(d for d in docs if d["kind"] == "Ingress")
    assert INBOUND not in ingress["metadata"]["annotations"]


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"scheme": "internet-facing", "inbound_cidrs": ()},
         "Bad/Demo: DemoWorkloadProps.inbound_cidrs = []: empty, so the internet-facing ALB"),
        ({"inbound_cidrs": ("0.0.0.0/0",)},
         "Bad/Demo: DemoWorkloadProps.inbound_cidrs = ['0.0.0.0/0']: has 0.0.0.0/0; set "
         "allow_open_ingress=True"),
        ({"inbound_cidrs": ("10.0.0.1/16",)}, "DemoWorkloadProps.inbound_cidrs[0] = '10.0.0.1/16': not a valid IPv4 CIDR"),
        ({"platforms": ()}, "Bad/Demo: DemoWorkloadProps.platforms = []: must list amd64 and/or arm64"),
        ({"platforms": ("arm64", "arm64")}, "DemoWorkloadProps.platforms = ['arm64', 'arm64']: arm64 "
         "is listed more than once"),
        ({"platforms": ("x86_64",)}, "DemoWorkloadProps.platforms[0] = 'x86_64': not one of amd64, arm64"),
    ],
)
def test_construct_refuses_bad_props(changes: dict[str, Any], fragment: str) -> None:
    props = _props(**changes)
    stack = cdk.Stack(cdk.App(), "Bad", env=TEST_ENV)
    with pytest.raises(ValueError) as caught:
        DemoWorkload(stack, "Demo", props=props)
    assert fragment in str(caught.value)


def test_construct_accepts_open_ingress_when_asked() -> None:
    stack, cluster = _stack(with_kubectl=True)
    props = dataclasses.replace(
        _props(scheme="internet-facing", inbound_cidrs=("0.0.0.0/0",), allow_open_ingress=True),
        cluster=cluster,
    )
    demo = DemoWorkload(stack, "Demo", props=props)
    (resource,) = Template.from_stack(stack).find_resources(MANIFEST).values()
    (ingress,) = [d for d in json.loads(resource["Properties"]["Manifest"]) if d["kind"] == "Ingress"]
    assert ingress["metadata"]["annotations"][INBOUND] == "0.0.0.0/0"
    assert demo.manifest.node.id == "Manifest"
