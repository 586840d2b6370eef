"""Synthesised variants for the review tests, built ONCE per session in one process: a
background one, started when collection ends, beside the other tests (tests/conftest.py).

jsii starts once per process (~3 s); each App after that costs ~1-2 s. Two families:

* the real app (`build_app`) for config/dev.yaml and config variants: same config again,
  a renamed cluster, an extra tag;
* a small test stack with `eks_blueprint.ControlPlane`, a managed node group, a security
  group, a retained log group, a nested stack with an IAM role and a file asset, varied in
  one way per head: secrets key, instance types, in-place changes (+ open ingress, IAM
  wildcard, retained log group removed), asset content only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from stacks.runtime import use_supported_node

use_supported_node()

from aws_cdk import App, Environment, NestedStack, RemovalPolicy, Stack, Tags  # noqa: E402
from aws_cdk import aws_ec2 as ec2  # noqa: E402
from aws_cdk import aws_eks_v2 as eks  # noqa: E402
from aws_cdk import aws_iam as iam  # noqa: E402
from aws_cdk import aws_kms as kms  # noqa: E402
from aws_cdk import aws_logs as logs  # noqa: E402
from aws_cdk import aws_s3_assets as s3_assets  # noqa: E402
from aws_cdk import aws_ssm as ssm  # noqa: E402

from eks_blueprint import ControlPlane, ControlPlaneProps  # noqa: E402
from eks_blueprint.config import EnvironmentConfig, load_config  # noqa: E402
from stacks.app_builder import CONFIG_DIR, build_app, file_context  # noqa: E402
from tests.conftest import Job, for_fixture, start  # noqa: E402

ENV = Environment(account="123456789012", region="eu-west-1")
TEST_STACK = "review-test"


@dataclass(frozen=True, kw_only=True)
class Variant:
    """How the test stack differs from its base."""

    new_secrets_key: bool = False
    instance_types: tuple[str, ...] = ("m5.large",)
    sizes: tuple[int, int, int] = (1, 2, 3)
    open_ssh: bool = False
    iam_wildcard: bool = False
    retained_log_group: bool = True
    asset_text: str = "v1"
    tags: dict[str, str] = field(default_factory=dict)


class ReviewTestStack(Stack):
    """A cluster with one node group and the other resources the review looks at."""

    def __init__(self, scope: App, variant: Variant, asset_dir: Path) -> None:
        super().__init__(scope, "ReviewTest", env=ENV, stack_name=TEST_STACK)
        vpc = ec2.Vpc(
            self,
            "Vpc",
            availability_zones=["eu-west-1a", "eu-west-1b"],
            nat_gateways=1,
            restrict_default_security_group=False,
        )
        secrets_key = (
            kms.Key(self, "NewSecretsKey", enable_key_rotation=True)
            if variant.new_secrets_key
            else None
        )
        control_plane = ControlPlane(
            self,
            "ControlPlane",
            props=ControlPlaneProps(
                cluster_name="review-test",
                version=eks.KubernetesVersion.V1_34,
                vpc=vpc,
                secrets_key=secrets_key,
                removal_policy=RemovalPolicy.DESTROY,
            ),
        )
        min_size, desired, max_size = variant.sizes
        control_plane.cluster.add_nodegroup_capacity(
            "System",
            instance_types=[ec2.InstanceType(t) for t in variant.instance_types],
            min_size=min_size,
            desired_size=desired,
            max_size=max_size,
        )
        sg = ec2.SecurityGroup(self, "AppSg", vpc=vpc, description="app", allow_all_outbound=False)
        sg.add_ingress_rule(ec2.Peer.ipv4("10.0.0.0/8"), ec2.Port.tcp(443), "internal https")
        if variant.open_ssh:
            sg.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(22), "ssh from anywhere")
        if variant.retained_log_group:
            logs.LogGroup(self, "AuditLogs", removal_policy=RemovalPolicy.RETAIN)
        extras = NestedStack(self, "Extras")
        role = iam.Role(extras, "AppRole", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
        role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=["arn:aws:s3:::app-bucket/data.json"]))
        if variant.iam_wildcard:
            role.add_to_policy(iam.PolicyStatement(actions=["s3:*"], resources=["*"]))
        (asset_dir / "bundle.txt").write_text(variant.asset_text, encoding="utf-8")
        bundle = s3_assets.Asset(self, "Bundle", path=str(asset_dir))
        # Stands in for Lambda code: only the asset hash in the key changes with the content.
        ssm.StringParameter(self, "BundleKey", string_value=bundle.s3_object_key)
        for key, value in variant.tags.items():
            Tags.of(self).add(key, value)


@dataclass(frozen=True)
class Assemblies:
    """Output directories of every synthesised variant, by name."""

    dirs: dict[str, Path]

    def __getitem__(self, name: str) -> Path:
        return self.dirs[name]


def _synth_app(configs: list[EnvironmentConfig], outdir: Path) -> Path:
    build_app(configs, context=file_context(), outdir=str(outdir)).synth()
    return outdir


def _synth_test_stack(variant: Variant, outdir: Path, asset_dir: Path) -> Path:
    asset_dir.mkdir(parents=True, exist_ok=True)
    app = App(context=file_context(), outdir=str(outdir))
    ReviewTestStack(app, variant, asset_dir)
    app.synth()
    return outdir


def synthesise_all(root: Path) -> dict[str, Path]:
    """Every variant, synthesised into `root/<name>` (run by `SYNTH`, in its own process)."""
    dev = load_config(CONFIG_DIR / "dev.yaml")
    renamed = dev.model_copy(
        update={"cluster": dev.cluster.model_copy(update={"name": "shop-dev-2"})}
    )
    tagged = dev.model_copy(
        update={"tags": dev.tags.model_copy(update={"extra": {"team": "payments"}})}
    )
    builds: dict[str, Callable[[Path], Path]] = {
        "dev": lambda d: _synth_app([dev], d),
        "dev_again": lambda d: _synth_app([dev], d),
        "dev_renamed": lambda d: _synth_app([renamed], d),
        "dev_tagged": lambda d: _synth_app([tagged], d),
    }
    variants = {
        "base": Variant(),
        "secrets_key": Variant(new_secrets_key=True),
        "instance_types": Variant(instance_types=("m6i.large", "m5.large")),
        "in_place": Variant(sizes=(2, 3, 6), open_ssh=True, iam_wildcard=True,
                            retained_log_group=False, tags={"team": "payments"}),
        "asset_only": Variant(asset_text="v2"),
    }
    dirs = {name: build(root / name) for name, build in builds.items()}
    for name, variant in variants.items():
        dirs[name] = _synth_test_stack(variant, root / name, root / f"{name}-asset")
    (root / "variants.json").write_text(json.dumps(sorted(dirs)))
    return dirs


#: `synthesise_all` in the background, started when collection ends (tests/conftest.py).
SYNTH = for_fixture("assemblies", Job("tests.review.conftest:synthesise_all"))


@pytest.fixture(scope="session")
def assemblies() -> Assemblies:
    done = start(SYNTH).result()
    assert done.process.returncode == 0, done.process.stderr[-5000:]
    names = json.loads((done.out / "variants.json").read_text())
    return Assemblies({name: done.out / name for name in names})
