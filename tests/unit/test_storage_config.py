"""`storage:`: defaults, the shipped environments, the pure rules of eks_blueprint/storage/
rules.py, one refusal per rule naming the file, the field and the fix, and the translation
into the constructs' props."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eks_blueprint.addons.versions import (
    ADDON_NAMES,
    ADDON_VERSIONS,
    STORAGE_ADDONS,
    SUPPORTED_KUBERNETES_VERSIONS,
)
from eks_blueprint.config import load_config
from eks_blueprint.config.storage import StorageConfig
from eks_blueprint.storage import rules
from tests.unit.test_config import mutate, problems, write

ROOT = Path(__file__).resolve().parents[2]


def test_off_by_default_and_present_means_on(tmp_path: Path) -> None:
    assert StorageConfig() == StorageConfig(efs=None, fsx_lustre=None)
    assert not StorageConfig().needs_kubectl
    config = load_config(write(tmp_path, mutate(storage={"efs": {}, "fsx_lustre": {}})))
    efs, fsx = config.storage.efs, config.storage.fsx_lustre
    assert efs is not None and fsx is not None
    assert (efs.throughput_mode, efs.storage_class_name, efs.directory_perms) == (
        "elastic",
        "efs",
        "700",
    )
    assert (fsx.deployment_type, fsx.file_system_type_version, fsx.storage_class_name) == (
        "PERSISTENT_2",
        "2.15",
        "fsx-lustre",
    )
    assert config.storage.needs_kubectl


def test_shipped_environments_use_what_the_issue_asks_for() -> None:
    prod = load_config(ROOT / "config/prod.yaml").storage
    dev = load_config(ROOT / "config/dev.yaml").storage
    staging = load_config(ROOT / "config/staging.yaml").storage
    assert prod.efs is not None and prod.fsx_lustre is None
    assert [(p.tenant, p.posix_id) for p in prod.efs.access_points] == [("payments", 20001)]
    assert dev.efs is not None and dev.fsx_lustre is None
    assert staging.efs is None and staging.fsx_lustre is not None


def test_the_storage_add_ons_are_pinned_for_every_version_but_not_in_the_catalog() -> None:
    from eks_blueprint.addons.catalog import CATALOG

    assert set(STORAGE_ADDONS) <= set(ADDON_NAMES)
    assert not {s.name for s in CATALOG} & set(STORAGE_ADDONS)
    for k8s in SUPPORTED_KUBERNETES_VERSIONS:
        for addon in STORAGE_ADDONS:
            assert ADDON_VERSIONS[k8s][addon], (k8s, addon)


def test_reserved_storage_classes_include_the_ebs_class() -> None:
    from eks_blueprint.addons.addons import STORAGE_CLASS_NAME

    assert STORAGE_CLASS_NAME in rules.RESERVED_STORAGE_CLASSES


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("SCRATCH_1", None, "2.15", None), "unknown deployment type"),
        (("PERSISTENT_2", None, "2.14", None), "unknown Lustre version"),
        (("SCRATCH_2", 125, "2.15", None), "has no per-unit throughput"),
        (("PERSISTENT_2", 200, "2.15", None), "125, 250, 500, 1000"),
        (("PERSISTENT_1", 125, "2.12", None), "50, 100, 200"),
        (("PERSISTENT_2", None, "2.10", None), "2.12 or 2.15"),
        (("PERSISTENT_2", None, "2.15", 36), "0 to 35"),
        (("SCRATCH_2", None, "2.15", 7), "not backed up"),
    ],
)
def test_lustre_rule_refuses(args: tuple[Any, ...], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        rules.check_lustre(*args)


def test_lustre_rule_accepts_the_documented_combinations() -> None:
    rules.check_lustre("SCRATCH_2", None, "2.10", 0)
    rules.check_lustre("PERSISTENT_1", 200, "2.10", 35)
    for tier in (125, 250, 500, 1000):
        rules.check_lustre("PERSISTENT_2", tier, "2.15", 7)


@pytest.mark.parametrize(
    ("storage", "fragment"),
    [
        ({"efs": {"throughput_mode": "provisioned"}}, "storage.efs.throughput_mode"),
        ({"efs": {"transition_to_ia_days": 45}}, "storage.efs.transition_to_ia_days: EFS moves"),
        ({"efs": {"directory_perms": "777x"}}, "storage.efs.directory_perms: not octal"),
        ({"efs": {"directory_perms": "500"}}, "the owner needs rwx"),
        ({"efs": {"storage_class_name": "EFS"}}, "storage.efs.storage_class_name"),
        ({"efs": {"storage_class_name": "gp3-encrypted"}}, "the cluster already has"),
        (
            {"efs": {"access_points": [{"tenant": "payments", "posix_id": 0}]}},
            "storage.efs.access_points[0].posix_id: a POSIX id",
        ),
        (
            {"efs": {"access_points": [{"tenant": "nobody", "posix_id": 2000}]}},
            "storage.efs.access_points[0].tenant: 'nobody' is not a tenant",
        ),
        (
            {
                "efs": {
                    "access_points": [
                        {"tenant": "payments", "posix_id": 2000},
                        {"tenant": "payments", "posix_id": 2001},
                    ]
                }
            },
            "storage.efs.access_points[1].tenant: tenant 'payments' already has",
        ),
        (
            {
                "efs": {
                    "access_points": [
                        {"tenant": "payments", "posix_id": 2000},
                        {"tenant": "orders", "posix_id": 2000},
                    ]
                }
            },
            "storage.efs.access_points[1].posix_id: 2000 is the posix_id",
        ),
        ({"efs": {"version": "v9.9.9-eksbuild.1"}}, "storage.efs.version: with cluster.version"),
        (
            {"fsx_lustre": {"deployment_type": "SCRATCH_2", "per_unit_storage_throughput": 125}},
            "storage.fsx_lustre.per_unit_storage_throughput",
        ),
        (
            {"fsx_lustre": {"per_unit_storage_throughput": 100}},
            "storage.fsx_lustre.per_unit_storage_throughput: PERSISTENT_2 SSD offers",
        ),
        (
            {"fsx_lustre": {"file_system_type_version": "2.10"}},
            "storage.fsx_lustre.file_system_type_version",
        ),
        (
            {"fsx_lustre": {"deployment_type": "SCRATCH_2", "backup_retention_days": 7}},
            "storage.fsx_lustre.backup_retention_days",
        ),
        # An unquoted 2.10 is YAML's number 2.1: the fix is the quotes, not another version.
        (
            {"fsx_lustre": {"file_system_type_version": 2.1}},
            "storage.fsx_lustre.file_system_type_version: Input should be '2.10', '2.12' or "
            "'2.15' (got 2.1); YAML read an unquoted number: put the value in quotes",
        ),
        ({"fsx_lustre": {"deployment_type": "HDD"}}, "storage.fsx_lustre.deployment_type"),
        ({"fsx_lustre": {"version": "latest"}}, "storage.fsx_lustre.version"),
        (
            {"efs": {}, "fsx_lustre": {"storage_class_name": "efs"}},
            "storage.fsx_lustre.storage_class_name: 'efs' is the EFS StorageClass",
        ),
        ({"nfs": {}}, "storage.nfs"),
    ],
)
def test_bad_settings_are_refused_naming_file_field_and_fix(
    tmp_path: Path, storage: dict[str, Any], fragment: str
) -> None:
    data = mutate(storage=storage)
    data["tenants"] = [*data["tenants"], {**data["tenants"][0], "name": "orders"}]
    found = problems(tmp_path, data)
    assert any(fragment in p for p in found), found


@pytest.mark.parametrize("kind", ["efs", "fsx_lustre"])
def test_storage_without_ec2_nodes_is_refused(kind: str) -> None:
    from eks_blueprint.config import ComputeConfig, FargateConfig
    from eks_blueprint.config.base import FieldError
    from eks_blueprint.config.storage import check_storage

    storage = StorageConfig.model_validate({kind: {}})
    fargate_only = ComputeConfig(fargate=FargateConfig(coredns=True))
    with pytest.raises(FieldError, match=rf"^storage\.{kind}: .*add EC2 capacity"):
        check_storage(storage, [], fargate_only, "1.34")
    check_storage(storage, [], ComputeConfig.model_validate({"auto_mode": {}}), "1.34")
    # Self-managed groups are EC2 nodes too: storage on them alone is accepted.
    own = ComputeConfig.model_validate(
        {"self_managed_node_groups": [{"name": "own", "instance_types": ["m7i.large"]}]}
    )
    check_storage(storage, [], own, "1.34")


def test_the_translation_passes_every_setting_to_the_props(tmp_path: Path) -> None:
    import aws_cdk as cdk
    from aws_cdk import RemovalPolicy
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_eks_v2 as eks

    from stacks.translate.cluster import kubectl_users
    from stacks.translate.storage import efs_props, fsx_lustre_props

    data = mutate(
        storage={
            "efs": {
                "throughput_mode": "bursting",
                "transition_to_ia_days": 90,
                "storage_class_name": "shared",
                "directory_perms": "750",
                "access_points": [{"tenant": "payments", "posix_id": 3000}],
            },
            "fsx_lustre": {
                "deployment_type": "PERSISTENT_1",
                "per_unit_storage_throughput": 200,
                "file_system_type_version": "2.12",
                "backup_retention_days": 3,
                "storage_class_name": "scratch",
            },
        }
    )
    config = load_config(write(tmp_path, data))
    stack = cdk.Stack(
        cdk.App(), "T", env=cdk.Environment(account="111111111111", region="eu-west-1")
    )
    vpc = ec2.Vpc.from_vpc_attributes(
        stack, "Vpc", vpc_id="vpc-1", availability_zones=["eu-west-1a"]
    )
    cluster = eks.Cluster.from_cluster_attributes(stack, "C", cluster_name="dev")
    subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
    efs = efs_props(config, cluster, vpc, subnets)
    fsx = fsx_lustre_props(config, cluster, vpc, subnets)
    assert efs is not None and fsx is not None
    assert (efs.throughput_mode, efs.transition_to_ia_days, efs.storage_class_name) == (
        "bursting",
        90,
        "shared",
    )
    assert efs.directory_perms == "750"
    assert [(p.namespace, p.posix_id) for p in efs.tenant_access_points] == [("payments", 3000)]
    assert efs.removal_policy == RemovalPolicy.DESTROY  # dev: retain_stateful_resources false
    assert efs.kubernetes_version == config.cluster.version
    assert (fsx.deployment_type, fsx.per_unit_storage_throughput) == ("PERSISTENT_1", 200)
    assert (fsx.file_system_type_version, fsx.backup_retention_days) == ("2.12", 3)
    assert fsx.storage_class_name == "scratch" and fsx.removal_policy == RemovalPolicy.DESTROY
    assert any(u.startswith("storage:") for u in kubectl_users(config))
    bare = load_config(write(tmp_path, mutate(storage={})))
    assert efs_props(bare, cluster, vpc, subnets) is None
    assert fsx_lustre_props(bare, cluster, vpc, subnets) is None
    assert not any(u.startswith("storage:") for u in kubectl_users(bare))
