"""GPU and Windows capacity in the configuration: the AMI types, their default taints, GPU
NodePools, and the rules a file must keep (every rule with a failing file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eks_blueprint.config import AMI_TYPES, load_config
from eks_blueprint.config.compute import NodeGroupConfig, NodePoolConfig, ami_architecture
from eks_blueprint.instance_types import (
    accelerator_of,
    ami_mismatch,
    gpu_of,
    needs_nvidia_device_plugin,
)
from stacks.app_builder import CONFIG_DIR
from stacks.translate.compute import nvidia_device_plugin_needed

from .test_compute_config import group, karpenter, pool, with_compute
from .test_config import problems, write

EXAMPLE = CONFIG_DIR / "examples" / "accelerated.yaml"
GPU = group(name="gpu", instance_types=["g6.xlarge"], ami_type="al2023_x86_64_nvidia")
WINDOWS = group(name="win", instance_types=["m6i.large"], ami_type="windows_core_2022")


def test_every_config_ami_type_is_an_eks_ami_type() -> None:
    # the CloudFormation schema's AWS::EKS::Nodegroup AmiType enum (cfn-lint's copy)
    import json
    from importlib import resources

    schemas = resources.files("cfnlint") / "data" / "schemas" / "resources"
    nodegroup = next(
        json.loads(p.read_text())
        for p in schemas.iterdir()
        if p.name.endswith(".json") and '"AWS::EKS::Nodegroup"' in p.read_text()
    )
    assert set(AMI_TYPES.values()) <= set(nodegroup["properties"]["AmiType"]["enum"])
    assert ami_architecture("al2023_arm64_nvidia") == "arm64"
    assert ami_architecture("windows_core_2022") == "x86_64"


def test_gpu_facts() -> None:
    gpu = gpu_of("g6.12xlarge")
    assert gpu is not None and (gpu.manufacturer, gpu.name, gpu.count) == ("nvidia", "l4", 4)
    assert gpu_of("m7g.large") is None
    assert [accelerator_of(t) for t in ("g5g.xlarge", "trn1n.32xlarge", "g4ad.xlarge", "m7i.large")] == [
        "nvidia", "neuron", "other", None,
    ]  # fmt: skip
    assert needs_nvidia_device_plugin("AL2023_x86_64_NVIDIA")
    assert not needs_nvidia_device_plugin("BOTTLEROCKET_x86_64_NVIDIA")
    assert ami_mismatch(["inf2.xlarge"], "BOTTLEROCKET_x86_64") is None  # the EKS table
    assert ami_mismatch(["inf2.xlarge"], "AL2023_x86_64_STANDARD") is not None


def test_gpu_and_windows_groups_get_their_taint_unless_given() -> None:
    gpu = NodeGroupConfig.model_validate(GPU)
    assert [(t.key, t.value, t.effect) for t in gpu.taints] == [
        ("nvidia.com/gpu", "true", "NoSchedule")
    ]
    assert gpu.needs_nvidia_device_plugin
    windows = NodeGroupConfig.model_validate(WINDOWS)
    assert [(t.key, t.value, t.effect) for t in windows.taints] == [("os", "windows", "NoSchedule")]
    assert windows.windows and not windows.needs_nvidia_device_plugin
    own = NodeGroupConfig.model_validate(
        {**GPU, "taints": [{"key": "nvidia.com/gpu", "effect": "PreferNoSchedule"}]}
    )
    assert [(t.key, t.effect) for t in own.taints] == [("nvidia.com/gpu", "PreferNoSchedule")]
    plain = NodeGroupConfig.model_validate(group())
    assert plain.taints == [] and not plain.windows


def test_gpu_pool_defaults() -> None:
    gpu = NodePoolConfig.model_validate({"name": "gpu", "accelerator": "nvidia"})
    assert gpu.instance_categories == ["g", "p"]
    assert [(t.key, t.value) for t in gpu.taints] == [("nvidia.com/gpu", "true")]
    assert NodePoolConfig.model_validate({"name": "general"}).taints == []


def test_the_example_loads_and_needs_the_device_plugin() -> None:
    config = load_config(EXAMPLE)
    assert [g.name for g in config.compute.node_groups if g.windows] == ["windows"]
    assert nvidia_device_plugin_needed(config)


def test_device_plugin_only_where_the_ami_lacks_it(tmp_path: Path) -> None:
    bottlerocket = group(
        name="gpu", instance_types=["g6.xlarge"], ami_type="bottlerocket_x86_64_nvidia"
    )
    config = load_config(write(tmp_path, with_compute(node_groups=[group(), bottlerocket])))
    assert not nvidia_device_plugin_needed(config)
    classes = [{"name": "br", "ami_alias": "bottlerocket@v1.50.0"}]
    config = load_config(
        write(
            tmp_path,
            with_compute(
                node_groups=[group()],
                karpenter=karpenter(
                    node_classes=classes,
                    node_pools=[pool(name="gpu", node_class="br", accelerator="nvidia")],
                ),
            ),
        )
    )
    assert not nvidia_device_plugin_needed(config)
    config = load_config(
        write(
            tmp_path,
            with_compute(
                node_groups=[group()],
                karpenter=karpenter(node_pools=[pool(name="gpu", accelerator="nvidia")]),
            ),
        )
    )
    assert nvidia_device_plugin_needed(config)


NG = "compute.node_groups"


@pytest.mark.parametrize(
    ("data", "field", "fragment"),
    [
        # GPU AMI on general types, GPU types on a general AMI, the wrong GPU vendor
        (with_compute(node_groups=[group(), group(name="gpu", instance_types=["m7i.large"], ami_type="al2023_x86_64_nvidia")]), f"{NG}[1].instance_types[0]", "is for NVIDIA GPU types"),
        (with_compute(node_groups=[group(), group(name="gpu", instance_types=["g6.xlarge"])]), f"{NG}[1].instance_types[0]", "need an accelerated AMI type with their drivers"),
        (with_compute(node_groups=[group(), group(name="gpu", instance_types=["g6.xlarge"], ami_type="bottlerocket_x86_64")]), f"{NG}[1].instance_types[0]", "need an accelerated AMI type with their drivers"),
        (with_compute(node_groups=[group(), group(name="gpu", instance_types=["g4ad.xlarge"], ami_type="al2023_x86_64_nvidia")]), f"{NG}[1].instance_types[0]", "g4ad.xlarge: AL2023_x86_64_NVIDIA is for NVIDIA"),
        (with_compute(node_groups=[group(), group(name="gpu", instance_types=["g5g.xlarge"], ami_type="al2023_x86_64_nvidia")]), f"{NG}[1].instance_types[0]", "is x86_64"),
        # Windows: GPU types, small disks, Graviton, no Linux capacity, Karpenter's host
        (with_compute(node_groups=[group(), group(name="win", instance_types=["g5.xlarge"], ami_type="windows_core_2022")]), f"{NG}[1].instance_types[0]", "Windows AMI types have no GPU"),
        (with_compute(node_groups=[group(), {**WINDOWS, "disk_size_gib": 30}]), f"{NG}[1].disk_size_gib", "at least 50 GiB"),
        (with_compute(node_groups=[group(), group(name="win", ami_type="windows_full_2022")]), f"{NG}[1].instance_types[0]", "is x86_64"),
        (with_compute(node_groups=[WINDOWS]), f"{NG}[0].ami_type", "no Linux capacity for CoreDNS"),
        (with_compute(node_groups=[group(), WINDOWS], karpenter=karpenter(controller_node_group="win")), "compute.karpenter.controller_node_group", "win is a Windows node group"),
        (with_compute(node_groups=[group(), group(name="win", ami_type="windows_2019")]), f"{NG}[1].ami_type", "unknown AMI type"),
        # GPU pools
        (with_compute(node_groups=[group()], karpenter=karpenter(node_pools=[pool(accelerator="nvidia", instance_categories=["c", "m"])])), "compute.karpenter.node_pools[0].instance_categories", "categories g and p only"),
        (with_compute(node_groups=[group()], karpenter=karpenter(node_pools=[pool(accelerator="amd")])), "compute.karpenter.node_pools[0].accelerator", "Input should be 'nvidia'"),
    ],
)  # fmt: skip
def test_invalid_accelerated_config_is_reported(
    tmp_path: Path, data: Any, field: str, fragment: str
) -> None:
    found = problems(tmp_path, data)
    prefix = f"{tmp_path / 'env.yaml'}: {field}:"
    assert any(p.startswith(prefix) and fragment in p for p in found), found


def test_windows_with_custom_networking_is_refused(tmp_path: Path) -> None:
    data = with_compute(node_groups=[group(), WINDOWS])
    data["network"]["pod_subnets"] = {"cidr": "100.64.0.0/16"}
    found = problems(tmp_path, data)
    prefix = f"{tmp_path / 'env.yaml'}: compute.node_groups[1].ami_type:"
    assert any(p.startswith(prefix) and "custom networking" in p for p in found), found


def test_windows_next_to_fargate_coredns_or_a_linux_group_is_accepted(tmp_path: Path) -> None:
    fargate = with_compute(node_groups=[WINDOWS], fargate={"coredns": True})
    fargate["addons"]["coredns"] = {"compute_type": "fargate"}
    assert load_config(write(tmp_path, fargate)).compute.fargate is not None
    linux = load_config(write(tmp_path, with_compute(node_groups=[group(), WINDOWS])))
    assert linux.addons.vpc_cni is not None
