"""`compute.cluster_autoscaler`: defaults, the facts of eks_blueprint/compute/autoscaling.py,
the translation into ClusterAutoscalerProps, and one refusal per rule naming the file, the
field and the fix."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from eks_blueprint.addons.versions import SUPPORTED_KUBERNETES_VERSIONS
from eks_blueprint.compute import autoscaling as a
from eks_blueprint.config import ConfigError, load_config
from eks_blueprint.config.autoscaling import ClusterAutoscalerConfig
from tests.unit.test_config import write

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config" / "examples" / "cluster-autoscaler.yaml"
BASE: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def changed(**changes: Any) -> dict[str, Any]:
    """A copy of the example with `compute` keys replaced (None deletes one)."""
    data = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is None:
            data["compute"].pop(key, None)
        else:
            data["compute"][key] = value
    return data


def problems(tmp_path: Path, data: dict[str, Any]) -> str:
    path = write(tmp_path, data)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    lines = caught.value.problems
    assert all(line.startswith(str(path)) for line in lines), lines
    return "\n".join(lines)


def test_defaults_are_the_library_defaults() -> None:
    section = ClusterAutoscalerConfig()
    assert (section.replicas, section.expander, section.cpu, section.memory) == (
        a.DEFAULT_REPLICAS,
        a.DEFAULT_EXPANDER,
        a.DEFAULT_CPU,
        a.DEFAULT_MEMORY,
    )
    assert section.node_group is None and section.balance_similar_node_groups
    assert not section.skip_nodes_with_system_pods and not section.skip_nodes_with_local_storage
    assert (section.scale_down_utilization_threshold, section.scale_down_unneeded_time) == (
        0.5,
        "10m",
    )


def test_every_supported_kubernetes_version_has_an_image_of_its_own_minor() -> None:
    assert set(a.CLUSTER_AUTOSCALER_IMAGES) == set(SUPPORTED_KUBERNETES_VERSIONS)
    for minor, tag in a.CLUSTER_AUTOSCALER_IMAGES.items():
        assert a.check_image_tag(tag, minor) == tag
        assert tag.startswith(f"v{minor}.")


def test_the_example_loads_and_translates(tmp_path: Path) -> None:
    from stacks.translate.cluster import kubectl_users

    config = load_config(EXAMPLE)
    scaler = config.compute.cluster_autoscaler
    assert scaler is not None and scaler.node_group == "system"
    assert config.compute.karpenter is None
    assert config.addons.vertical_pod_autoscaler.enabled
    assert config.addons.vertical_pod_autoscaler.mode == "recommend"
    assert any(u.startswith("compute.cluster_autoscaler") for u in kubectl_users(config))


@pytest.mark.parametrize(
    ("changes", "fragments"),
    [
        (
            {
                "karpenter": {
                    "controller_on": "node_group",
                    "controller_node_group": "system",
                    "controller_resources": {"cpu": "500m", "memory": "512Mi"},
                }
            },
            ["compute.cluster_autoscaler", "Karpenter and the Cluster Autoscaler would both"],
        ),
        (
            {"node_groups": [], "auto_mode": {}},
            ["compute.cluster_autoscaler", "EKS Auto Mode scales its own nodes"],
        ),
        (
            {"node_groups": []},
            ["compute.cluster_autoscaler", "compute.node_groups is empty"],
        ),
        (
            {"cluster_autoscaler": {"node_group": "gpu"}},
            ["compute.cluster_autoscaler.node_group", "'gpu' is not in compute.node_groups"],
        ),
        (
            {
                "node_groups": [
                    {
                        "name": "fixed",
                        "instance_types": ["m7g.large"],
                        "size": {"min": 2, "desired": 2, "max": 2},
                    }
                ],
                "cluster_autoscaler": {},
            },
            ["compute.cluster_autoscaler", "nothing to scale"],
        ),
        (
            {
                "node_groups": [
                    {
                        "name": "mixed",
                        "instance_types": ["m7g.large", "m7g.xlarge"],
                        # min 2: with min 1 the capacity check refuses the autoscaler's host
                        # (no node left while one is replaced) before this rule is reached
                        "size": {"min": 2, "desired": 2, "max": 5},
                    }
                ],
                "cluster_autoscaler": {},
            },
            ["compute.node_groups[0].instance_types", "m7g.xlarge differ in vCPUs or memory"],
        ),
        (
            {"cluster_autoscaler": {"replicas": 0}},
            ["compute.cluster_autoscaler.replicas", "use 1 to 5"],
        ),
        ({"cluster_autoscaler": {"replicas": 9}}, ["compute.cluster_autoscaler.replicas"]),
        ({"cluster_autoscaler": {"expander": "price"}}, ["compute.cluster_autoscaler.expander"]),
        (
            {"cluster_autoscaler": {"scale_down_utilization_threshold": 0}},
            ["compute.cluster_autoscaler.scale_down_utilization_threshold"],
        ),
        (
            {"cluster_autoscaler": {"scale_down_utilization_threshold": 1.5}},
            ["compute.cluster_autoscaler.scale_down_utilization_threshold"],
        ),
        (
            {"cluster_autoscaler": {"scale_down_unneeded_time": "ten minutes"}},
            ["compute.cluster_autoscaler.scale_down_unneeded_time", "a duration like 10m"],
        ),
        ({"cluster_autoscaler": {"cpu": "lots"}}, ["compute.cluster_autoscaler.cpu"]),
        ({"cluster_autoscaler": {"memory": "600m"}}, ["compute.cluster_autoscaler.memory"]),
        ({"cluster_autoscaler": {"node_group": "Sys"}}, ["compute.cluster_autoscaler.node_group"]),
        ({"cluster_autoscaler": {"scale_down": True}}, ["compute.cluster_autoscaler.scale_down"]),
    ],
)
def test_refusals_name_the_field_and_the_fix(
    tmp_path: Path, changes: dict[str, Any], fragments: list[str]
) -> None:
    text = problems(tmp_path, changed(**changes))
    for fragment in fragments:
        assert fragment in text, text


def test_fargate_capacity_alone_has_nothing_to_scale(tmp_path: Path) -> None:
    """CoreDNS on Fargate, workloads on Fargate: still refused, for lack of node groups."""
    data = changed(node_groups=[], fargate={"coredns": True})
    data["addons"]["coredns"] = {"compute_type": "fargate"}
    assert "compute.node_groups is empty" in problems(tmp_path, data)


def test_image_rules() -> None:
    with pytest.raises(ValueError, match="minor must match"):
        a.check_image_tag("v1.33.6", "1.34")
    with pytest.raises(ValueError, match=re.escape("vX.Y.Z")):
        a.check_image_tag("1.34.5", "1.34")
    with pytest.raises(
        ValueError, match=re.escape("no Cluster Autoscaler image is pinned for Kubernetes '1.31'")
    ):
        a.image_tag("1.31")
    assert a.owner_tag("shop") == "k8s.io/cluster-autoscaler/shop"
