"""addons:/workloads: config rules: each rejects bad input naming the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.unit.test_config import mutate, problems

PROD_LIKE = {"name": "prod"}


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (mutate(addons__vpc_cni={"version": "v9.9.9-eksbuild.1"}), "addons.vpc_cni.version: with cluster.version 1.34"),
        (mutate(addons__coredns={"version": "v1.11.4-eksbuild.2"}), "coredns v1.11.4-eksbuild.2 is not listed for Kubernetes 1.34"),
        (mutate(addons__coredns={"autoscaling": {"enabled": True, "min_replicas": 5, "max_replicas": 2}}), "min_replicas (5) > max_replicas (2)"),
        # The coredns add-on schema sets minimum 2 on both: EKS would refuse the add-on.
        (mutate(addons__coredns={"autoscaling": {"enabled": True, "min_replicas": 1, "max_replicas": 4}}), "addons.coredns.autoscaling.min_replicas"),
        (mutate(addons__coredns={"tolerations": [{"key": "x", "value": "y"}]}), "operator: Equal"),
        (mutate(addons__external_dns={"enabled": True}), "needs hosted_zone_id and domain"),
        (mutate(addons__external_dns={"hosted_zone_id": "bad"}), "hosted zone id"),
        (mutate(addons__load_balancer_controller={"enabled": False}), "workloads.demo.enabled needs addons.load_balancer_controller.enabled"),
        (mutate(workloads__demo={"enabled": True, "certificate_arn": "arn:aws:iam::1:role/x"}), "ACM certificate ARN"),
        (mutate(workloads__demo={"enabled": True, "replicas": 5, "max_replicas": 2}), "replicas (5) > max_replicas (2)"),
        (mutate(name="prod", workloads__demo={"enabled": True, "image": "repo/app:latest"}), "prod refuses"),
        (mutate(name="prod", workloads__demo={"enabled": True, "image": "repo/app"}), "prod refuses"),
    ],
)
def test_invalid_addons_and_workloads_are_refused(tmp_path: Path, data: dict[str, Any], fragment: str) -> None:
    assert any(fragment in p for p in problems(tmp_path, data)), problems(tmp_path, data)


def test_prod_accepts_a_pinned_tag_or_digest(tmp_path: Path) -> None:
    from eks_blueprint.config import load_config
    from tests.unit.test_config import as_production, write

    # The image's registry is allowed (governance refuses a demo the allowed-registries
    # policy would refuse), so only the tag rule decides.
    repository = "registry.example.com/repo/app"
    for image in (f"{repository}:1.2.3", f"{repository}@sha256:" + "a" * 64):
        data = as_production(
            mutate(
                workloads__demo={"enabled": True, "image": image},
                governance__allowed_registries=[repository],
            )
        )
        assert load_config(write(tmp_path, data)).workloads.demo.image == image
