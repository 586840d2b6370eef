"""The node capacity model (eks_blueprint/config/capacity.py) and the config rule built on it:
instance figures, allocatable, DaemonSet and pinned-pod totals, and the shipped files."""

from __future__ import annotations

import copy
import dataclasses
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml

from eks_blueprint.addons.versions import ADDON_VERSIONS
from eks_blueprint.config import EnvironmentConfig, load_config, load_configs
from eks_blueprint.config.capacity import (
    DAEMONSETS,
    DAEMONSETS_READ_AT,
    KARPENTER_REPLICAS,
    CapacityCheckSkipped,
    Resources,
    Toleration,
    UnknownInstanceType,
    WindowsNotModelled,
    Workload,
    allocatable,
    cpu_millicores,
    daemonsets,
    group_capacity,
    groups_to_check,
    instance_capacity,
    kube_reserved,
    lands_on,
    memory_mebibytes,
    workloads,
)
from eks_blueprint.config.compute import TaintConfig
from stacks.app_builder import CONFIG_DIR, config_paths

from .test_config import problems, write

PROD: dict[str, Any] = yaml.safe_load((CONFIG_DIR / "prod.yaml").read_text())
DEV: dict[str, Any] = yaml.safe_load((CONFIG_DIR / "dev.yaml").read_text())
EXAMPLES = CONFIG_DIR / "examples"
AUTOSCALER: dict[str, Any] = yaml.safe_load((EXAMPLES / "cluster-autoscaler.yaml").read_text())
ACCELERATED: dict[str, Any] = yaml.safe_load((EXAMPLES / "accelerated.yaml").read_text())


def prod(**group: Any) -> dict[str, Any]:
    """prod.yaml with its system node group changed."""
    data = copy.deepcopy(PROD)
    data["compute"]["node_groups"][0].update(group)
    return data


def model(config: EnvironmentConfig, index: int = 0) -> Any:
    group = config.compute.node_groups[index]
    return group_capacity(
        group, config.compute, config.addons, config.security, storage=config.storage
    )


# --- instance figures and allocatable ----------------------------------------------------------


@pytest.mark.parametrize(
    ("instance_type", "cpu_m", "memory_mi"),
    [
        ("m7g.large", 2000, 8192),
        ("m7g.xlarge", 4000, 16384),
        ("c6g.medium", 1000, 2048),
        ("c7gn.4xlarge", 16000, 32768),
        ("r7iz.2xlarge", 8000, 65536),
        ("m5.12xlarge", 48000, 196608),
        ("m7i-flex.large", 2000, 8192),
        ("t4g.medium", 2000, 4096),
        ("t3.2xlarge", 8000, 32768),
    ],
)
def test_instance_capacity_from_the_name(instance_type: str, cpu_m: int, memory_mi: int) -> None:
    assert instance_capacity(instance_type) == Resources(cpu_m, memory_mi)


@pytest.mark.parametrize(
    "instance_type", ["m7g.metal", "x2gd.large", "g5.xlarge", "m4.large", "t2.micro", "t4g.4xlarge"]
)
def test_unknown_instance_types_are_not_guessed(instance_type: str) -> None:
    with pytest.raises(UnknownInstanceType, match=instance_type):
        instance_capacity(instance_type)


@pytest.mark.parametrize(
    ("vcpus", "cpu_m"), [(1, 60), (2, 70), (3, 75), (4, 80), (8, 90), (16, 110), (48, 190)]
)
def test_kube_reserved_cpu_follows_the_eks_ami_formula(vcpus: int, cpu_m: int) -> None:
    assert kube_reserved(vcpus, 110).cpu_m == cpu_m


def test_kube_reserved_memory_grows_with_max_pods() -> None:
    assert kube_reserved(2, 110).memory_mi == 11 * 110 + 255 == 1465
    assert kube_reserved(2, 29).memory_mi == 574


def test_allocatable_of_m7g_large_and_xlarge() -> None:
    # 2000m - 70m; 8192Mi - 1465Mi kube-reserved - 100Mi eviction
    assert allocatable("m7g.large", 110) == Resources(1930, 6627)
    # 4000m - 80m; 16384Mi - 1465Mi - 100Mi
    assert allocatable("m7g.xlarge", 110) == Resources(3920, 14819)


@pytest.mark.parametrize(
    ("quantity", "cpu_m"),
    [
        ("1", 1000),
        ("500m", 500),
        ("1.5", 1500),
        ("250m", 250),
        (".5", 500),
        ("1.1", 1100),
        ("1e0", 1000),
        ("1500e-3", 1500),
    ],
)
def test_cpu_quantities(quantity: str, cpu_m: int) -> None:
    assert cpu_millicores(quantity) == cpu_m


@pytest.mark.parametrize(
    ("quantity", "memory_mi"),
    [("1Gi", 1024), ("512Mi", 512), ("1G", 954), ("1048576", 1), (".5Gi", 512), ("1e9", 954)],
)
def test_memory_quantities(quantity: str, memory_mi: int) -> None:
    assert memory_mebibytes(quantity) == memory_mi


# --- the tables -------------------------------------------------------------------------------


def test_daemonset_numbers_were_read_for_the_pinned_versions() -> None:
    """A new pin in versions.py fails here until its requests are re-read and the version
    in DAEMONSETS_READ_AT is moved along."""
    pinned = {
        addon: {versions[addon][0] for versions in ADDON_VERSIONS.values()}
        for addon in DAEMONSETS_READ_AT
    }
    stale = {a: v for a, v in DAEMONSETS_READ_AT.items() if v not in pinned[a]}  # type: ignore[index]
    assert not stale, f"re-read the requests of {stale}; pinned now: {pinned}"
    assert set(DAEMONSETS) == {*DAEMONSETS_READ_AT, "aws-guardduty-agent"}


def test_karpenter_replicas_match_the_construct() -> None:
    from eks_blueprint.compute.karpenter import KarpenterProps

    default = {f.name: f.default for f in dataclasses.fields(KarpenterProps)}["replicas"]
    assert default == KARPENTER_REPLICAS


def test_model_does_not_load_aws_cdk() -> None:
    code = (
        "import sys, eks_blueprint.config.capacity, eks_blueprint.config; "
        "assert not [m for m in sys.modules if m.startswith(('aws_cdk', 'jsii'))]"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


# --- group totals -----------------------------------------------------------------------------


def test_prod_group_totals() -> None:
    config = load_config(CONFIG_DIR / "prod.yaml")
    system = model(config)
    # aws-node 50 + kube-proxy 100 + ebs-csi-node 30/120 + cloudwatch-agent 250/128
    # + fluent-bit 50/25 + aws-guardduty-agent 200/256 (+ eks-pod-identity-agent 0)
    assert system.daemonset_requests == Resources(680, 529)
    assert [(w.name, w.replicas) for w in system.workloads] == [
        ("karpenter", 2),
        ("coredns", 3),
        ("ebs-csi-controller", 2),
    ]  # metrics-server and the CloudWatch manager do not tolerate CriticalAddonsOnly
    # 2 x 1000m/1Gi + 3 x 100m/70Mi + 2 x 60m/240Mi
    assert system.pinned(2) == Resources(2420, 2738)
    assert system.free == Resources(3920 - 680, 14819 - 529)
    assert system.usable == Resources(2916, 12861)
    assert system.fits(2)


def test_dev_group_totals_count_everything_an_untainted_group_takes() -> None:
    config = load_config(CONFIG_DIR / "dev.yaml")
    system = model(config)
    assert system.instance_types == ("t4g.medium", "t4g.large") and system.max_pods == 110
    assert system.allocatable == Resources(1930, 2531)  # the t4g.medium
    # no Container Insights, GuardDuty; storage.efs adds efs-csi-node, which requests nothing
    assert {p.name for p in system.daemonsets} == {
        "aws-node",
        "kube-proxy",
        "eks-pod-identity-agent",
        "ebs-csi-node",
        "efs-csi-node",
    }
    assert system.daemonset_requests == Resources(180, 120)
    assert {w.name for w in system.workloads} == {
        "karpenter",
        "coredns",
        "ebs-csi-controller",
        "metrics-server",
    }  # no vpa-recommender: dev leaves VPA off (test_vpa_recommends_on_untainted_groups...)
    assert not config.addons.vertical_pod_autoscaler.enabled
    # one node left: the second Karpenter replica cannot join the first (hostname
    # anti-affinity), so it waits Pending and needs no room
    # dev's controller asks for 500m / 768Mi (config/dev.yaml), prod's for 1 CPU / 1Gi
    assert system.pinned(1) == Resources(500 + 200 + 120 + 200, 768 + 140 + 480 + 400)
    # ... which one t4g.medium holds: 1020m of 1575m, 1788 of 2169 MiB usable (the figures
    # in config/dev.yaml's comment), so dev's system group keeps size.min 2
    assert system.usable == Resources(1575, 2169) and system.fits(1)
    assert system.pinned(2) == Resources(1520, 2556)
    assert config.compute.node_groups[0].size.min == 2


def test_coredns_autoscaling_counts_its_maximum(tmp_path: Path) -> None:
    data = prod()
    data["addons"]["coredns"]["autoscaling"] = {"enabled": True, "max_replicas": 6}
    config = load_config(write(tmp_path, data))
    assert {w.name: w.replicas for w in model(config).workloads}["coredns"] == 6
    # on dev's small nodes, 10 replicas are too many with one of its 2 nodes away:
    # 500 + 10 x 100 + 120 + 200 = 1820m > 1575m; 768 + 10 x 70 + 480 + 400 = 2348 > 2169 MiB
    data = copy.deepcopy(DEV)
    data["addons"]["coredns"] = {"autoscaling": {"enabled": True, "max_replicas": 10}}
    (problem,) = problems(tmp_path, data)
    assert "coredns 10 x 100m CPU / 70Mi" in problem
    assert "= 1820m CPU / 2348Mi > 1 x 1575m CPU / 2169Mi" in problem
    assert "(short 245m CPU, 179Mi memory)" in problem
    assert "instance_types [t4g.xlarge] instead of [t4g.medium, t4g.large]" in problem
    assert "size.min (and desired) of 3, so 2 nodes remain" in problem


def test_groups_checked() -> None:
    prod_config, staging = (load_config(CONFIG_DIR / f"{n}.yaml") for n in ("prod", "staging"))
    assert groups_to_check(prod_config.compute, prod_config.addons) == [0]
    assert groups_to_check(staging.compute, staging.addons) == []  # Karpenter, CoreDNS on Fargate
    # a second tainted group whose taint CoreDNS does not tolerate is not the rule's business
    data = prod()
    data["compute"]["node_groups"].append(
        {
            **PROD["compute"]["node_groups"][0],
            "name": "gpu",
            "taints": [{"key": "nvidia.com/gpu", "effect": "NoSchedule"}],
        }
    )
    config = EnvironmentConfig.model_validate(data)
    assert groups_to_check(config.compute, config.addons) == [0]


# --- the config rule --------------------------------------------------------------------------


def test_shipped_environments_pass_without_skipping() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", CapacityCheckSkipped)
        assert [c.name for c in load_configs(config_paths(None, None))] == [
            "dev",
            "prod",
            "staging",
        ]
    assert load_config(CONFIG_DIR / "prod.yaml").compute.node_groups[0].instance_types == [
        "m7g.xlarge"
    ]


def test_prod_on_m7g_large_is_refused_with_the_arithmetic(tmp_path: Path) -> None:
    (problem,) = problems(tmp_path, prod(instance_types=["m7g.large"]))
    for fragment in (
        "compute.node_groups[0].instance_types: node group system with size.min 3",
        "do not fit on 2 node(s)",
        "m7g.large 2000m CPU / 8192Mi - kube-reserved 70m CPU / 1465Mi (110 max pods) "
        "- eviction 100Mi = 1930m CPU / 6627Mi",
        "DaemonSets 680m CPU / 529Mi (aws-node 50m CPU / 0Mi, kube-proxy 100m CPU / 0Mi",
        "aws-guardduty-agent 200m CPU / 256Mi",
        "free 1250m CPU / 6098Mi, usable with 10% headroom 1125m CPU / 5488Mi",
        "karpenter 2 x 1000m CPU / 1024Mi + coredns 3 x 100m CPU / 70Mi",
        "= 2420m CPU / 2738Mi > 2 x 1125m CPU / 5488Mi = 2250m CPU / 10976Mi",
        "(short 170m CPU)",
        "Fix: compute.node_groups[0].instance_types with m7g.xlarge instead of m7g.large",
        "compute.node_groups[0].size.min (and desired) of 4",
    ):
        assert fragment in problem, (fragment, problem)


def test_a_controller_pod_larger_than_a_node_is_refused(tmp_path: Path) -> None:
    data = prod()
    data["compute"]["karpenter"]["controller_resources"] = {"cpu": "3", "memory": "1Gi"}
    (problem,) = problems(tmp_path, data)
    assert (
        "compute.node_groups[0].instance_types: node group system: one pod of karpenter "
        "3000m CPU / 1024Mi does not fit on a node next to the DaemonSets" in problem
    )
    assert "usable with 10% headroom 2916m CPU / 12861Mi" in problem
    assert "m7g.2xlarge instead of m7g.xlarge" in problem
    assert "size.min" not in problem  # more nodes do not make one node larger


def test_a_single_node_karpenter_host_is_refused(tmp_path: Path) -> None:
    data = copy.deepcopy(DEV)
    data["compute"]["node_groups"][0]["size"] = {"min": 1, "desired": 1, "max": 3}
    (problem,) = problems(tmp_path, data)
    assert "do not fit on 0 node(s)" in problem
    # with no node left, the Karpenter replica cannot count and the rest is short
    assert "= 520m CPU / 1020Mi > 0 x 1575m CPU / 2169Mi" in problem
    # one node holds dev's pods (test_dev_group_totals...): one must remain
    assert "size.min (and desired) of 2, so 1 nodes remain" in problem


def test_untainted_groups_without_karpenter_are_not_checked(tmp_path: Path) -> None:
    data = copy.deepcopy(DEV)
    data["compute"]["node_groups"][0]["instance_types"] = ["t4g.nano"]
    data["compute"]["karpenter"]["controller_on"] = "fargate"
    del data["compute"]["karpenter"]["controller_node_group"]
    data["compute"]["fargate"] = {"karpenter_controller": True}
    assert load_config(write(tmp_path, data)).compute.node_groups[0].instance_types == ["t4g.nano"]


def test_unknown_instance_types_skip_the_check_with_a_warning(tmp_path: Path) -> None:
    data = prod(instance_types=["m7g.metal"])
    with pytest.warns(CapacityCheckSkipped, match=r"node_groups\[0\].*m7g.metal"):
        config = load_config(write(tmp_path, data))
    assert config.compute.node_groups[0].instance_types == ["m7g.metal"]


# --- pods of storage, VPA, the Cluster Autoscaler; Windows groups -------------------------------


def test_storage_adds_its_csi_node_pods_and_the_fsx_controller(tmp_path: Path) -> None:
    data = prod()
    data["storage"]["fsx_lustre"] = {}  # prod has storage.efs already
    config = load_config(write(tmp_path, data))
    system = model(config)
    names = [p.name for p in system.daemonsets]
    assert "efs-csi-node" in names and "fsx-csi-node" in names  # both tolerate every taint
    # prod's 680m/529Mi + fsx-csi-node 3 x 10m and 40 + 32 + 32 Mi; efs-csi-node: none
    assert system.daemonset_requests == Resources(710, 633)
    # the FSx controller tolerates CriticalAddonsOnly, so it joins prod's tainted group;
    # the EFS controller requests nothing and is not modelled
    assert [(w.name, w.replicas) for w in system.workloads][-1] == ("fsx-csi-controller", 2)
    assert system.pinned(2) == Resources(2420 + 2 * 40, 2738 + 2 * 136)
    assert system.fits(2)
    # without `storage` (the cost plan's call) the storage pods are not counted
    assert not {"efs-csi-node", "fsx-csi-node"} & {
        p.name for p in daemonsets(config.addons, config.security)
    }
    assert "fsx-csi-controller" not in {w.name for w in workloads(config.compute, config.addons)}


def test_fsx_controller_lands_only_where_it_tolerates(tmp_path: Path) -> None:
    data = prod()
    data["storage"]["fsx_lustre"] = {}
    config = load_config(write(tmp_path, data))
    (controller,) = [
        w
        for w in workloads(config.compute, config.addons, config.storage)
        if w.name == "fsx-csi-controller"
    ]
    system = config.compute.node_groups[0]
    assert lands_on(controller, system)  # CriticalAddonsOnly
    for effect, lands in (("NoSchedule", False), ("NoExecute", True), ("PreferNoSchedule", True)):
        tainted = system.model_copy(
            update={"taints": [TaintConfig(key="example.com/dedicated", effect=effect)]}
        )
        assert lands_on(controller, tainted) is lands, effect


def test_vpa_recommends_on_untainted_groups_and_auto_adds_two_pods(tmp_path: Path) -> None:
    # dev with VPA on needs a third system node (below), so the variant has one
    data = copy.deepcopy(DEV)
    data["compute"]["node_groups"][0]["size"] = {"min": 3, "desired": 3, "max": 3}
    data["addons"]["vertical_pod_autoscaler"] = {"enabled": True, "mode": "auto"}
    system = model(load_config(write(tmp_path, data)))
    vpa = {w.name: (w.replicas, w.requests) for w in system.workloads if w.name.startswith("vpa")}
    assert vpa == {
        "vpa-recommender": (1, Resources(50, 500)),
        "vpa-updater": (1, Resources(50, 500)),
        "vpa-admission-controller": (1, Resources(50, 200)),
    }
    # dev's 1520m / 2556Mi for two nodes + recommender 50/500 + updater 50/500 + admission 50/200
    assert system.pinned(2) == Resources(1520 + 150, 2556 + 1200) and system.fits(2)
    assert not system.fits(1)  # 3756Mi on two nodes; one alone would be short
    # prod's group is tainted CriticalAddonsOnly, which VPA (tolerations []) does not tolerate
    config = load_config(CONFIG_DIR / "prod.yaml")
    assert config.addons.vertical_pod_autoscaler.enabled
    assert not [w for w in model(config).workloads if w.name.startswith("vpa")]
    # the recommender is what keeps VPA out of dev (config/dev.yaml): dev's two t4g.medium
    # nodes hold dev as shipped, and recommendation mode alone makes one node too small:
    # 1788 + 500 = 2288Mi > 2169Mi usable
    data = copy.deepcopy(DEV)
    assert data["compute"]["node_groups"][0]["size"] == {"min": 2, "desired": 2, "max": 3}
    assert load_config(write(tmp_path, data)).compute.node_groups[0].size.min == 2
    data["addons"]["vertical_pod_autoscaler"] = {"enabled": True}
    (problem,) = problems(tmp_path, data)
    assert "vpa-recommender 1 x 50m CPU / 500Mi = 1070m CPU / 2288Mi" in problem
    assert "(short 119Mi memory)" in problem
    assert "size.min (and desired) of 3, so 2 nodes remain" in problem


def test_cluster_autoscaler_host_is_checked(tmp_path: Path) -> None:
    config = load_config(EXAMPLES / "cluster-autoscaler.yaml")
    assert groups_to_check(config.compute, config.addons) == [0]
    assert [
        (w.name, w.replicas, w.requests, w.one_per_node)
        for w in model(config).workloads
        if w.name == "cluster-autoscaler"
    ] == [("cluster-autoscaler", 2, Resources(100, 600), False)]  # no anti-affinity
    assert not [w for w in model(config, 1).workloads if w.name == "cluster-autoscaler"]
    # on the untainted workers group, which the rule checks only as the autoscaler's host:
    # the example's size.min 1 leaves no node while its one node is replaced
    data = copy.deepcopy(AUTOSCALER)
    data["compute"]["cluster_autoscaler"]["node_group"] = "workers"
    data["compute"]["cluster_autoscaler"].update(cpu="250m", memory="1Gi")
    (problem,) = problems(tmp_path, data)
    assert "node group workers with size.min 1: its pods do not fit on 0 node(s)" in problem
    assert "cluster-autoscaler 2 x 250m CPU / 1024Mi + vpa-recommender" in problem
    assert "compute.node_groups[1].size.min (and desired) of 2" in problem
    data["compute"]["node_groups"][1]["size"] = {"min": 2, "desired": 2, "max": 10}
    config = load_config(write(tmp_path, data))
    assert groups_to_check(config.compute, config.addons) == [0, 1]
    workers = {w.name: w for w in model(config, 1).workloads}
    assert workers["cluster-autoscaler"].requests == Resources(250, 1024)
    assert "vpa-recommender" in workers and "metrics-server" in workers
    # default host: the first group
    del data["compute"]["cluster_autoscaler"]["node_group"]
    config = load_config(write(tmp_path, data))
    assert [w.node_group for w in model(config).workloads if w.name == "cluster-autoscaler"] == [
        "system"
    ]


def test_windows_groups_are_neither_hosts_nor_modelled(tmp_path: Path) -> None:
    config = load_config(EXAMPLES / "accelerated.yaml")
    system, gpu, windows = config.compute.node_groups
    assert windows.windows and groups_to_check(config.compute, config.addons) == [0]
    with pytest.raises(WindowsNotModelled, match="windows"):
        group_capacity(windows, config.compute, config.addons, config.security)
    anywhere = Workload("anywhere", Resources(1, 1), 1, (Toleration(),))
    assert lands_on(anywhere, gpu) and lands_on(anywhere, system)
    assert not lands_on(anywhere, windows)  # every platform pod is a Linux pod
    # CoreDNS tolerating the Windows taint does not make the group one to check
    data = copy.deepcopy(ACCELERATED)
    data.setdefault("addons", {}).setdefault("coredns", {})["tolerations"] = [{"key": "os"}]
    config = load_config(write(tmp_path, data))
    assert groups_to_check(config.compute, config.addons) == [0]


def test_a_windows_cluster_autoscaler_host_is_refused(tmp_path: Path) -> None:
    data = copy.deepcopy(AUTOSCALER)
    win = {
        "name": "win",
        "instance_types": ["m6i.large", "m5.large"],
        "ami_type": "windows_core_2022",
        "size": {"min": 1, "desired": 1, "max": 2},
    }
    data["compute"]["node_groups"].insert(0, win)
    del data["compute"]["cluster_autoscaler"]["node_group"]
    (problem,) = problems(tmp_path, data)
    assert (
        "compute.cluster_autoscaler: the default host, the first node group win, is a Windows "
        "node group, and the Cluster Autoscaler runs on Linux only; set "
        "compute.cluster_autoscaler.node_group to a Linux group (system, workers)" in problem
    )
    data["compute"]["cluster_autoscaler"]["node_group"] = "win"
    (problem,) = problems(tmp_path, data)
    assert "compute.cluster_autoscaler.node_group: win is a Windows node group" in problem


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_examples_pass_without_skipping(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", CapacityCheckSkipped)
        load_config(path)
