"""Translate `storage:` into the props of the storage constructs: EfsStorage and
FsxLustreStorage, in the subnets of the nodes, retained as the environment's stateful
resources are (`lifecycle.retain_stateful_resources`)."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks

from eks_blueprint import (
    EfsStorageProps,
    EfsTenantAccessPoint,
    FsxLustreStorageProps,
)
from eks_blueprint.config import EnvironmentConfig

from .lifecycle import removal_policy


def efs_props(
    config: EnvironmentConfig, cluster: eks.ICluster, vpc: ec2.IVpc, subnets: ec2.SubnetSelection
) -> EfsStorageProps | None:
    """The EFS file system with mount targets in `subnets` (the nodes'); None without
    `storage.efs`."""
    efs = config.storage.efs
    if efs is None:
        return None
    return EfsStorageProps(
        cluster=cluster,
        kubernetes_version=config.cluster.version,
        vpc=vpc,
        subnets=subnets,
        removal_policy=removal_policy(config),
        throughput_mode=efs.throughput_mode,
        transition_to_ia_days=efs.transition_to_ia_days,
        storage_class_name=efs.storage_class_name,
        directory_perms=efs.directory_perms,
        tenant_access_points=tuple(
            EfsTenantAccessPoint(namespace=p.tenant, posix_id=p.posix_id) for p in efs.access_points
        ),
        addon_version=efs.version,
    )


def fsx_lustre_props(
    config: EnvironmentConfig, cluster: eks.ICluster, vpc: ec2.IVpc, subnets: ec2.SubnetSelection
) -> FsxLustreStorageProps | None:
    """The FSx for Lustre driver and StorageClass, file systems in the first of `subnets`
    (one AZ); None without `storage.fsx_lustre`."""
    fsx = config.storage.fsx_lustre
    if fsx is None:
        return None
    return FsxLustreStorageProps(
        cluster=cluster,
        kubernetes_version=config.cluster.version,
        vpc=vpc,
        subnets=subnets,
        removal_policy=removal_policy(config),
        deployment_type=fsx.deployment_type,
        per_unit_storage_throughput=fsx.per_unit_storage_throughput,
        file_system_type_version=fsx.file_system_type_version,
        backup_retention_days=fsx.backup_retention_days,
        storage_class_name=fsx.storage_class_name,
        addon_version=fsx.version,
    )
