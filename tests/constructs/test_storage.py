"""EfsStorage and FsxLustreStorage as a library user builds them: what each resource says
(encryption, backups, TLS-only policy, mount targets, security groups admitting the nodes'
group only, Lustre ports), the drivers' add-ons with their own Pod Identity roles ordered
after capacity, the manifests against the Kubernetes schema, the compliance packs, and a
PropError for every bad prop."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import kubernetes_validate
import pytest
from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template

from eks_blueprint import (
    EfsStorage,
    EfsStorageProps,
    EfsTenantAccessPoint,
    FsxLustreStorage,
    FsxLustreStorageProps,
    Network,
    NetworkProps,
    availability_zones_context_key,
)
from eks_blueprint.addons.versions import ADDON_VERSIONS
from eks_blueprint.compliance import add_compliance_packs
from eks_blueprint.storage import rules
from eks_blueprint.storage.efs import efs_manifests
from eks_blueprint.storage.fsx import fsx_storage_class
from eks_blueprint.wiring import register_capacity
from tests.conftest import resources_of

from .clusters import ENV, KUBECTL_TOKEN, ZONES, refused

CLUSTER_SG = "sg-0cluster000000000"
MANIFEST = "Custom::AWSCDK-EKS-KubernetesResource"


def platform(
    *, packs: bool = False, outdir: str | None = None, kubectl: bool = True, sg: bool = True
) -> tuple[cdk.App, cdk.Stack, ec2.IVpc, eks.ICluster]:
    """A stack with a three-zone VPC and an imported cluster (its security group, and an
    imported kubectl provider: no Lambda), plus one capacity construct registered."""
    context = {availability_zones_context_key(str(ENV.account), str(ENV.region)): list(ZONES)}
    app = cdk.App(outdir=outdir, context=context) if outdir else cdk.App(context=context)
    if packs:
        add_compliance_packs(app)
    stack = cdk.Stack(app, "Platform", env=ENV)
    # The library's VPC: it passes the packs itself (flow logs, private subnets).
    vpc = Network(stack, "Network", props=NetworkProps(availability_zones=list(ZONES))).vpc
    provider = (
        eks.KubectlProvider.from_kubectl_provider_attributes(
            stack, "Kubectl", service_token=KUBECTL_TOKEN
        )
        if kubectl
        else None
    )
    cluster = eks.Cluster.from_cluster_attributes(
        stack,
        "Cluster",
        cluster_name="platform",
        vpc=vpc,
        kubectl_provider=provider,
        cluster_security_group_id=CLUSTER_SG if sg else None,
    )
    register_capacity(cluster, ec2.CfnEIP(stack, "Capacity"))
    return app, stack, vpc, cluster


def efs(**overrides: Any) -> tuple[cdk.Stack, EfsStorage]:
    _, stack, vpc, cluster = platform(**overrides.pop("platform", {}))
    settings: dict[str, Any] = {
        "cluster": cluster,
        "kubernetes_version": "1.34",
        "vpc": vpc,
        **overrides,
    }
    return stack, EfsStorage(stack, "Efs", props=EfsStorageProps(**settings))


def fsx(**overrides: Any) -> tuple[cdk.Stack, FsxLustreStorage]:
    _, stack, vpc, cluster = platform(**overrides.pop("platform", {}))
    settings: dict[str, Any] = {
        "cluster": cluster,
        "kubernetes_version": "1.34",
        "vpc": vpc,
        **overrides,
    }
    return stack, FsxLustreStorage(stack, "Fsx", props=FsxLustreStorageProps(**settings))


def keys_of(template: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The KMS keys under construct `prefix` (the Network has its flow-log key)."""
    return {
        k: v for k, v in resources_of(template, "AWS::KMS::Key").items() if k.startswith(prefix)
    }


def template_of(stack: cdk.Stack) -> dict[str, Any]:
    return dict(Template.from_stack(stack).to_json())


def only(template: dict[str, Any], type_: str) -> dict[str, Any]:
    (found,) = resources_of(template, type_).values()
    return found


def manifest_text(template: dict[str, Any]) -> str:
    """The manifest with tokens rendered as `${...}`."""
    raw = only(template, MANIFEST)["Properties"]["Manifest"]
    if isinstance(raw, dict):
        raw = "".join(
            p if isinstance(p, str) else "${" + json.dumps(p, sort_keys=True) + "}"
            for p in raw["Fn::Join"][1]
        )
    return str(raw)


def ingress_rules(template: dict[str, Any]) -> list[dict[str, Any]]:
    found = [
        r["Properties"] for r in resources_of(template, "AWS::EC2::SecurityGroupIngress").values()
    ]
    for group in resources_of(template, "AWS::EC2::SecurityGroup").values():
        found += group["Properties"].get("SecurityGroupIngress", [])
    return found


@pytest.fixture(scope="module")
def efs_default() -> dict[str, Any]:
    stack, storage = efs(
        tenant_access_points=[EfsTenantAccessPoint(namespace="payments", posix_id=20001)]
    )
    return {"json": template_of(stack), "storage": storage}


@pytest.fixture(scope="module")
def fsx_default() -> dict[str, Any]:
    stack, storage = fsx()
    return {"json": template_of(stack), "storage": storage}


# -- EFS ------------------------------------------------------------------------------------


def test_efs_is_encrypted_with_its_own_key_backed_up_and_retained(
    efs_default: dict[str, Any],
) -> None:
    template = efs_default["json"]
    ((fs_id, fs),) = resources_of(template, "AWS::EFS::FileSystem").items()
    props = fs["Properties"]
    assert props["Encrypted"] is True
    (key_id,) = keys_of(template, "Efs")
    assert props["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert resources_of(template, "AWS::KMS::Key")[key_id]["Properties"]["EnableKeyRotation"]
    assert props["BackupPolicy"] == {"Status": "ENABLED"}
    assert props["PerformanceMode"] == "generalPurpose"
    assert props["ThroughputMode"] == "elastic"
    assert "LifecyclePolicies" not in props
    assert fs["DeletionPolicy"] == "Retain"
    assert resources_of(template, "AWS::KMS::Key")[key_id]["DeletionPolicy"] == "Retain"
    (point,) = resources_of(template, "AWS::EFS::AccessPoint").values()
    assert point["DeletionPolicy"] == "Retain"
    assert fs_id


def test_efs_policy_refuses_plain_nfs_and_root(efs_default: dict[str, Any]) -> None:
    props = only(efs_default["json"], "AWS::EFS::FileSystem")["Properties"]
    statements = {s.get("Sid"): s for s in props["FileSystemPolicy"]["Statement"]}
    deny = statements["DenyWithoutTls"]
    assert (deny["Effect"], deny["Action"]) == ("Deny", "*")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    allow = statements["MountThroughMountTargets"]
    assert sorted(allow["Action"]) == [
        "elasticfilesystem:ClientMount",
        "elasticfilesystem:ClientWrite",
    ]
    assert allow["Condition"] == {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}}
    assert len(statements) == 2  # nothing grants ClientRootAccess


def test_one_mount_target_per_private_subnet_admitting_nfs_from_the_nodes_only(
    efs_default: dict[str, Any],
) -> None:
    template = efs_default["json"]
    targets = resources_of(template, "AWS::EFS::MountTarget").values()
    subnets = {json.dumps(t["Properties"]["SubnetId"]) for t in targets}
    assert len(subnets) == 3 and all("PrivateSubnet" in s for s in subnets)
    (group,) = resources_of(template, "AWS::EC2::SecurityGroup").values()
    # No outbound rule: CDK's placeholder that disallows all traffic.
    assert group["Properties"]["SecurityGroupEgress"][0]["CidrIp"] == "255.255.255.255/32"
    (rule,) = ingress_rules(template)
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 2049, 2049)
    assert rule["SourceSecurityGroupId"] == CLUSTER_SG
    assert "CidrIp" not in rule


def test_one_mount_target_per_zone_when_the_vpc_has_two_private_subnet_groups() -> None:
    """EFS allows one mount target per AZ (MountTargetConflict otherwise); aws_efs applies
    one_per_az only to its default selection, so a VPC of one's own with two private subnet
    groups must still get one mount target per zone."""
    context = {availability_zones_context_key(str(ENV.account), str(ENV.region)): list(ZONES)}
    stack = cdk.Stack(cdk.App(context=context), "Platform", env=ENV)
    private = ec2.SubnetType.PRIVATE_WITH_EGRESS
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        availability_zones=list(ZONES),
        subnet_configuration=[
            ec2.SubnetConfiguration(name="Public", subnet_type=ec2.SubnetType.PUBLIC),
            ec2.SubnetConfiguration(name="Nodes", subnet_type=private),
            ec2.SubnetConfiguration(name="Apps", subnet_type=private),
        ],
    )
    cluster = eks.Cluster.from_cluster_attributes(
        stack,
        "Cluster",
        cluster_name="platform",
        vpc=vpc,
        kubectl_provider=eks.KubectlProvider.from_kubectl_provider_attributes(
            stack, "Kubectl", service_token=KUBECTL_TOKEN
        ),
        cluster_security_group_id=CLUSTER_SG,
    )
    EfsStorage(
        stack,
        "Efs",
        props=EfsStorageProps(cluster=cluster, kubernetes_version="1.34", vpc=vpc),
    )
    targets = resources_of(template_of(stack), "AWS::EFS::MountTarget")
    assert len(targets) == len(ZONES)


def test_efs_driver_add_on_has_its_own_role_and_waits_for_capacity(
    efs_default: dict[str, Any],
) -> None:
    template = efs_default["json"]
    addon = (
        only(template, "AWS::EKS::Addon")
        if False
        else next(
            a
            for a in resources_of(template, "AWS::EKS::Addon").values()
            if a["Properties"]["AddonName"] == "aws-efs-csi-driver"
        )
    )
    props = addon["Properties"]
    assert props["AddonVersion"] == ADDON_VERSIONS["1.34"]["aws-efs-csi-driver"][0]
    (association,) = props["PodIdentityAssociations"]
    assert association["ServiceAccount"] == "efs-csi-controller-sa"
    role_id = association["RoleArn"]["Fn::GetAtt"][0]
    role = resources_of(template, "AWS::IAM::Role")[role_id]["Properties"]
    assert "pods.eks.amazonaws.com" in json.dumps(role["AssumeRolePolicyDocument"])
    assert "service-role/AmazonEFSCSIDriverPolicy" in json.dumps(role["ManagedPolicyArns"])
    depends = addon["DependsOn"]
    assert any(d.startswith("Capacity") for d in depends)
    assert any(d.startswith("PodIdentityAgent") for d in depends)
    assert any("MountTarget" in d for d in depends)


def test_efs_manifest_has_the_class_and_the_tenant_volume(efs_default: dict[str, Any]) -> None:
    text = manifest_text(efs_default["json"])
    assert '"provisioningMode":"efs-ap"' in text
    assert '"name":"efs-payments"' in text
    assert '"claimRef":{"namespace":"payments","name":"shared-files"}' in text
    assert '"reclaimPolicy":"Retain"' in text


def test_efs_manifests_pass_the_kubernetes_schema() -> None:
    documents = efs_manifests(
        file_system_id="fs-0123456789abcdef0",
        storage_class_name="efs",
        directory_perms="700",
        reclaim_policy="Delete",
        access_points={"payments": "fsap-0123456789abcdef0", "orders": "fsap-0fedcba987654321"},
    )
    assert [d["kind"] for d in documents] == [
        "StorageClass",
        "PersistentVolume",
        "PersistentVolume",
    ]
    for document in documents:
        kubernetes_validate.validate(document, "1.34.0", strict=True)
    volume = documents[1]["spec"]
    assert volume["csi"]["volumeHandle"] == "fs-0123456789abcdef0::fsap-0123456789abcdef0"
    assert volume["storageClassName"] == "" and volume["accessModes"] == ["ReadWriteMany"]
    with pytest.raises(ValueError, match="Retain or Delete"):
        efs_manifests(
            file_system_id="fs-1",
            storage_class_name="efs",
            directory_perms="700",
            reclaim_policy="Recycle",
            access_points={},
        )


def test_efs_destroy_and_lifecycle_settings_reach_the_template() -> None:
    stack, _ = efs(
        removal_policy=RemovalPolicy.DESTROY, transition_to_ia_days=30, throughput_mode="bursting"
    )
    template = template_of(stack)
    fs = only(template, "AWS::EFS::FileSystem")
    assert fs["DeletionPolicy"] == "Delete"
    assert fs["Properties"]["ThroughputMode"] == "bursting"
    assert fs["Properties"]["LifecyclePolicies"] == [{"TransitionToIA": "AFTER_30_DAYS"}]
    assert '"reclaimPolicy":"Delete"' in manifest_text(template)


def test_a_key_and_a_client_group_of_ones_own_are_used() -> None:
    _, stack, vpc, cluster = platform()
    key = kms.Key(stack, "MyKey", enable_key_rotation=True)
    nodes = ec2.SecurityGroup(stack, "Nodes", vpc=vpc)
    EfsStorage(
        stack,
        "Efs",
        props=EfsStorageProps(
            cluster=cluster,
            kubernetes_version="1.34",
            vpc=vpc,
            key=key,
            client_security_group=nodes,
        ),
    )
    template = template_of(stack)
    assert not keys_of(template, "Efs")
    (rule,) = [r for r in ingress_rules(template) if r.get("FromPort") == 2049]
    assert "Nodes" in json.dumps(rule["SourceSecurityGroupId"])


# -- FSx for Lustre ---------------------------------------------------------------------------


def test_no_file_system_in_cloudformation(fsx_default: dict[str, Any]) -> None:
    assert not resources_of(fsx_default["json"], "AWS::FSx::FileSystem")


def test_lustre_ports_between_file_systems_and_with_the_nodes(
    fsx_default: dict[str, Any],
) -> None:
    template = fsx_default["json"]
    (group_id,) = resources_of(template, "AWS::EC2::SecurityGroup")
    own = {"Fn::GetAtt": [group_id, "GroupId"]}
    rules_seen = {
        (
            json.dumps(r["GroupId"]),
            json.dumps(r["SourceSecurityGroupId"]),
            r["FromPort"],
            r["ToPort"],
        )
        for r in ingress_rules(template)
    }
    for low, high in ((988, 988), (1018, 1023)):
        assert (json.dumps(own), json.dumps(own), low, high) in rules_seen  # self-referencing
        assert (json.dumps(own), json.dumps(CLUSTER_SG), low, high) in rules_seen  # from nodes
        assert (json.dumps(CLUSTER_SG), json.dumps(own), low, high) in rules_seen  # to nodes
    assert all("CidrIp" not in r for r in ingress_rules(template))
    assert len(rules_seen) == 6


def test_fsx_role_may_only_touch_the_clusters_tagged_file_systems(
    fsx_default: dict[str, Any],
) -> None:
    template = fsx_default["json"]
    (policy,) = resources_of(template, "AWS::IAM::ManagedPolicy").values()
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    tag = rules.FSX_CLUSTER_TAG
    create = statements["CreateTaggedFileSystems"]
    assert sorted(create["Action"]) == ["fsx:CreateFileSystem", "fsx:TagResource"]
    assert create["Condition"] == {"StringEquals": {f"aws:RequestTag/{tag}": "platform"}}
    change = statements["ChangeOwnFileSystems"]
    assert sorted(change["Action"]) == ["fsx:DeleteFileSystem", "fsx:UpdateFileSystem"]
    assert change["Condition"] == {"StringEquals": {f"aws:ResourceTag/{tag}": "platform"}}
    assert statements["DescribeFileSystems"]["Resource"] == "*"
    linked = statements["FsxServiceLinkedRole"]
    assert linked["Condition"] == {"StringLike": {"iam:AWSServiceName": "fsx.amazonaws.com"}}
    (key_id,) = keys_of(template, "Fsx")
    grant = statements["GrantFileSystemKey"]
    assert grant["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert grant["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    assert "s3:" not in json.dumps(statements)


def test_fsx_driver_add_on_has_its_own_role_and_waits_for_capacity(
    fsx_default: dict[str, Any],
) -> None:
    template = fsx_default["json"]
    addon = next(
        a
        for a in resources_of(template, "AWS::EKS::Addon").values()
        if a["Properties"]["AddonName"] == "aws-fsx-csi-driver"
    )
    props = addon["Properties"]
    assert props["AddonVersion"] == ADDON_VERSIONS["1.34"]["aws-fsx-csi-driver"][0]
    (association,) = props["PodIdentityAssociations"]
    assert association["ServiceAccount"] == "fsx-csi-controller-sa"
    assert any(d.startswith("Capacity") for d in addon["DependsOn"])


def test_fsx_class_uses_the_first_private_subnet_and_the_key(fsx_default: dict[str, Any]) -> None:
    text = manifest_text(fsx_default["json"])
    storage: FsxLustreStorage = fsx_default["storage"]
    assert storage.subnet.availability_zone == ZONES[0]
    assert "PrivateSubnet1" in text and '"subnetId"' in text
    assert '"deploymentType":"PERSISTENT_2"' in text
    assert '"perUnitStorageThroughput":"125"' in text
    assert '"automaticBackupRetentionDays":"7"' in text
    assert '"kmsKeyId":"${' in text
    assert f'"extraTags":"{rules.FSX_CLUSTER_TAG}=platform"' in text


def test_scratch_has_no_key_no_throughput_and_no_backups() -> None:
    stack, storage = fsx(deployment_type="SCRATCH_2", removal_policy=RemovalPolicy.DESTROY)
    template = template_of(stack)
    assert storage.key is None and not keys_of(template, "Fsx")
    text = manifest_text(template)
    for absent in ("kmsKeyId", "perUnitStorageThroughput", "automaticBackupRetentionDays"):
        assert absent not in text
    assert '"reclaimPolicy":"Delete"' in text
    (policy,) = resources_of(template, "AWS::IAM::ManagedPolicy").values()
    assert "kms:" not in json.dumps(policy)


def test_scratch_with_zero_backup_days_asks_for_no_backup_settings() -> None:
    """SCRATCH_2 is never backed up: 0 days (accepted by the rules) must not turn on
    copyTagsToBackups in the CreateFileSystem request."""
    stack, _ = fsx(deployment_type="SCRATCH_2", backup_retention_days=0)
    assert "copyTagsToBackups" not in manifest_text(template_of(stack))
    stack, _ = fsx(deployment_type="PERSISTENT_2", backup_retention_days=7)
    assert '"copyTagsToBackups":"true"' in manifest_text(template_of(stack))


def test_fsx_storage_class_passes_the_kubernetes_schema() -> None:
    document = fsx_storage_class(
        name="fsx-lustre",
        subnet_id="subnet-0123456789abcdef0",
        security_group_id="sg-0123456789abcdef0",
        deployment_type="PERSISTENT_2",
        file_system_type_version="2.15",
        per_unit_storage_throughput=250,
        kms_key_id="arn:aws:kms:eu-west-1:123456789012:key/1234",
        backup_retention_days=7,
        cluster_name="platform",
        reclaim_policy="Retain",
    )
    kubernetes_validate.validate(document, "1.34.0", strict=True)
    assert all(isinstance(v, str) for v in document["parameters"].values())


# -- compliance -------------------------------------------------------------------------------


def test_both_pass_the_packs(tmp_path: Path) -> None:
    # A finding without an acknowledgement fails synth (ValidationFailed).
    app, stack, vpc, cluster = platform(packs=True, outdir=str(tmp_path))
    EfsStorage(
        stack, "Efs", props=EfsStorageProps(cluster=cluster, kubernetes_version="1.34", vpc=vpc)
    )
    FsxLustreStorage(
        stack,
        "Fsx",
        props=FsxLustreStorageProps(cluster=cluster, kubernetes_version="1.34", vpc=vpc),
    )
    app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    acknowledged = {
        s["acknowledgedId"]
        for plugin in report["pluginReports"]
        for s in plugin.get("suppressedViolations", [])
    }
    assert "NIST.800.53.R5::NIST.800.53.R5-EFSInBackupPlan" in acknowledged
    assert "AwsSolutions::AwsSolutions-IAM5[Resource::*]" in acknowledged


# -- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "prop", "problem"),
    [
        ({"kubernetes_version": "1.19"}, "kubernetes_version", "not supported"),
        ({"addon_version": "v0.0.1-eksbuild.1"}, "addon_version", "is not listed"),
        ({"throughput_mode": "provisioned"}, "throughput_mode", "use one of elastic, bursting"),
        ({"transition_to_ia_days": 45}, "transition_to_ia_days", "Infrequent Access only after"),
        ({"storage_class_name": "Efs"}, "storage_class_name", "not a StorageClass name"),
        ({"storage_class_name": "gp2"}, "storage_class_name", "already has"),
        ({"directory_perms": "0700"}, "directory_perms", "three digits"),
        ({"directory_perms": "600"}, "directory_perms", "owner needs rwx"),
        # Wrong Python types: a PropError with the fix, not a TypeError from deep inside.
        (
            {"directory_perms": 700},
            "directory_perms",
            "expected str, got int: use a str, e.g. '700'",
        ),
        ({"storage_class_name": None}, "storage_class_name", "expected str, got None: use a str"),
        ({"transition_to_ia_days": "30"}, "transition_to_ia_days", "use an int, e.g. 30 or None"),
        (
            {"tenant_access_points": [("payments", 20001)]},
            "tenant_access_points[0]",
            "expected EfsTenantAccessPoint, got tuple: use an EfsTenantAccessPoint(...)",
        ),
        (
            {"tenant_access_points": [EfsTenantAccessPoint(namespace="a", posix_id="20001")]},
            "tenant_access_points[0].posix_id",
            "expected int, got str: use an int, e.g. 20001",
        ),
        (
            {
                "tenant_access_points": [
                    EfsTenantAccessPoint(namespace="a", posix_id=1),
                    EfsTenantAccessPoint(namespace="a", posix_id=2),
                ]
            },
            "tenant_access_points",
            "listed more than once",
        ),
        (
            {
                "tenant_access_points": [
                    EfsTenantAccessPoint(namespace="a", posix_id=5),
                    EfsTenantAccessPoint(namespace="b", posix_id=5),
                ]
            },
            "tenant_access_points",
            "POSIX id 5 is given to more than one tenant",
        ),
        (
            {"tenant_access_points": [EfsTenantAccessPoint(namespace="a", posix_id=0)]},
            "tenant_access_points",
            "0 is root",
        ),
        (
            {"tenant_access_points": [EfsTenantAccessPoint(namespace="Bad_Ns", posix_id=7)]},
            "tenant_access_points",
            "not a Kubernetes name",
        ),
        ({"platform": {"kubectl": False}}, "cluster", "no kubectl provider"),
        ({"platform": {"sg": False}}, "client_security_group", "does not say its security group"),
    ],
)
def test_bad_efs_props_are_refused(overrides: dict[str, Any], prop: str, problem: str) -> None:
    message = refused("Platform/Efs", f"EfsStorageProps.{prop}", efs, **overrides)
    assert problem in message


@pytest.mark.parametrize(
    ("overrides", "prop", "problem"),
    [
        ({"kubernetes_version": "1.31"}, "kubernetes_version", "not supported"),
        ({"addon_version": "v1.0.0-eksbuild.1"}, "addon_version", "is not listed"),
        ({"deployment_type": "SCRATCH_1"}, "deployment_type", "unknown deployment type"),
        (
            {"deployment_type": "SCRATCH_2", "per_unit_storage_throughput": 125},
            "per_unit_storage_throughput",
            "no per-unit throughput",
        ),
        # Each rule names the prop to change, with that prop's value.
        (
            {"per_unit_storage_throughput": 300},
            "per_unit_storage_throughput",
            "125, 250, 500, 1000",
        ),
        (
            {"per_unit_storage_throughput": "125"},
            "per_unit_storage_throughput",
            "use an int, e.g. 125",
        ),
        ({"file_system_type_version": "2.10"}, "file_system_type_version", "2.12 or 2.15"),
        ({"file_system_type_version": 2.15}, "file_system_type_version", "as text ('2.15')"),
        ({"backup_retention_days": 90}, "backup_retention_days", "0 to 35"),
        ({"backup_retention_days": True}, "backup_retention_days", "a bool is not a number here"),
        (
            {"deployment_type": "SCRATCH_2", "backup_retention_days": 1},
            "backup_retention_days",
            "not backed up",
        ),
        ({"storage_class_name": "gp3-encrypted"}, "storage_class_name", "already has"),
        (
            {"subnets": ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)},
            "subnets",
            "selects no subnet",
        ),
        ({"platform": {"kubectl": False}}, "cluster", "no kubectl provider"),
        ({"platform": {"sg": False}}, "client_security_group", "does not say its security group"),
    ],
)
def test_bad_fsx_props_are_refused(overrides: dict[str, Any], prop: str, problem: str) -> None:
    message = refused("Platform/Fsx", f"FsxLustreStorageProps.{prop}", fsx, **overrides)
    assert problem in message


def test_a_key_with_scratch_is_refused() -> None:
    _, stack, vpc, cluster = platform()
    key = kms.Key(stack, "MyKey", enable_key_rotation=True)
    message = refused(
        "Platform/Fsx",
        "FsxLustreStorageProps.key",
        FsxLustreStorage,
        stack,
        "Fsx",
        props=FsxLustreStorageProps(
            cluster=cluster,
            kubernetes_version="1.34",
            vpc=vpc,
            deployment_type="SCRATCH_2",
            key=key,
        ),
    )
    assert "take no KMS key" in message
