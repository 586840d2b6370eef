"""Weakening changes are security-relevant even when nothing is replaced.

GIVEN a BASE and a HEAD assembly (tiny hand-written ones, plus one pair made from the
session's real synth), WHEN the review compares them, THEN a change that leaves the
environment less protected (shorter log retention, rotation or encryption off, protection
off, a wider endpoint, a lower Pod Security level, a NetworkPolicy gone, Spot allowed) is
flagged with what weakened, from what to what, and where; a strengthening change is not.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from eks_blueprint.review import Report, compare, load_assembly, render_markdown
from eks_blueprint.review.weakening import capacity_types
from eks_blueprint.template import LAYER_TYPE

from ..conftest import SynthResult

KUBE = "Custom::AWSCDK-EKS-KubernetesResource"


# --- building assemblies ------------------------------------------------------------------


def write_assembly(
    root: Path, resources: dict[str, Any], *, protection: bool | None = None
) -> Path:
    """One stack `app` in eu-west-1, its manifest saying `terminationProtection` if given."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "app.template.json").write_text(json.dumps({"Resources": resources}))
    props: dict[str, Any] = {"templateFile": "app.template.json", "stackName": "app"}
    if protection is not None:
        props["terminationProtection"] = protection
    artifact = {
        "type": "aws:cloudformation:stack",
        "environment": "aws://123456789012/eu-west-1",
        "properties": props,
    }
    (root / "manifest.json").write_text(
        json.dumps({"version": "55.0.0", "artifacts": {"app": artifact}})
    )
    return root


def review(
    tmp_path: Path,
    before: dict[str, Any],
    after: dict[str, Any],
    protection: tuple[bool | None, bool | None] = (None, None),
) -> Report:
    base = write_assembly(tmp_path / "base", before, protection=protection[0])
    head = write_assembly(tmp_path / "head", after, protection=protection[1])
    return compare(load_assembly(base), load_assembly(head))


def flagged(report: Report) -> list[tuple[str, str]]:
    """(logical id, message) of every flagged finding."""
    return [(f.logical_id, f.message) for f in report.security if f.flagged]


def res(type_: str, **props: Any) -> dict[str, Any]:
    return {"Type": type_, "Properties": props}


def log_group(**props: Any) -> dict[str, Any]:
    return res("AWS::Logs::LogGroup", LogGroupName="/aws/eks/shop/cluster", **props)


def cluster(**overrides: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "Name": "c",
        "RoleArn": "arn:aws:iam::1:role/r",
        "ResourcesVpcConfig": {
            "SubnetIds": ["s1"],
            "EndpointPublicAccess": False,
            "EndpointPrivateAccess": True,
        },
        "Logging": {
            "ClusterLogging": {
                "EnabledTypes": [
                    {"Type": t}
                    for t in ("api", "audit", "authenticator", "controllerManager", "scheduler")
                ]
            }
        },
        "EncryptionConfig": [{"Provider": {"KeyArn": "arn:k1"}, "Resources": ["secrets"]}],
        "DeletionProtection": True,
    }
    props.update(overrides)
    return res("AWS::EKS::Cluster", **props)


def manifest(*objects: dict[str, Any], token: bool = False) -> dict[str, Any]:
    text = json.dumps(list(objects))
    value: Any = text
    if token:  # as CDK writes a manifest holding a token (here: a role ARN)
        head, _, tail = text.partition("ROLE_ARN")
        value = {"Fn::Join": ["", [head, {"Fn::GetAtt": ["Role", "Arn"]}, tail]]}
    return res(KUBE, ServiceToken="t", ClusterName="c", Manifest=value)


def namespace(name: str, level: str | None, **annotations: str) -> dict[str, Any]:
    labels = {"pod-security.kubernetes.io/enforce": level} if level else {}
    meta: dict[str, Any] = {"name": name, "labels": labels}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def policy(name: str, ns: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"podSelector": {}, **spec},
    }


DENY_ALL = {"policyTypes": ["Ingress", "Egress"]}


def node_pool(name: str, *capacity: str | None) -> dict[str, Any]:
    requirements: list[dict[str, Any]] = [
        {"key": "kubernetes.io/arch", "operator": "In", "values": ["arm64"]}
    ]
    if capacity != (None,):
        requirements.append(
            {"key": "karpenter.sh/capacity-type", "operator": "In", "values": list(capacity)}
        )
    return {
        "apiVersion": "karpenter.sh/v1",
        "kind": "NodePool",
        "metadata": {"name": name},
        "spec": {"template": {"spec": {"requirements": requirements}}},
    }


# --- log retention ----------------------------------------------------------------------------


def test_shortened_log_retention_is_flagged_with_old_and_new_days(tmp_path: Path) -> None:
    report = review(
        tmp_path, {"L": log_group(RetentionInDays=14)}, {"L": log_group(RetentionInDays=1)}
    )
    assert report.risks == [] and report.stacks[0].changes[0].replacement == "none"
    assert flagged(report) == [
        ("L", "log group `/aws/eks/shop/cluster`: log retention shortened from 14 days to 1 day")
    ]
    # Setting a retention where logs never expired shortens it too.
    report = review(tmp_path / "set", {"L": log_group()}, {"L": log_group(RetentionInDays=30)})
    assert flagged(report) == [
        (
            "L",
            "log group `/aws/eks/shop/cluster`: log retention shortened from never expire "
            "to 30 days",
        )
    ]
    # A deploy-time retention cannot be judged offline: flagged, saying so.
    report = review(
        tmp_path / "ref",
        {"L": log_group(RetentionInDays=14)},
        {"L": log_group(RetentionInDays={"Ref": "Days"})},
    )
    assert [m for _, m in flagged(report)] == [
        "log group `/aws/eks/shop/cluster`: log retention 14 days → `${Days}` (computed at "
        "deploy time): cannot tell offline whether it is shorter"
    ]


def test_removed_log_group_counts_deleted_flagged_and_retained_noticed(tmp_path: Path) -> None:
    report = review(
        tmp_path,
        {"L": log_group(RetentionInDays=365), "Other": log_group()},
        {"Other": log_group()},
    )
    assert flagged(report) == [
        (
            "L",
            "log group `/aws/eks/shop/cluster` removed with DeletionPolicy Delete: "
            "CloudFormation deletes it and its logs (retention: 365 days)",
        )
    ]
    retained = {**log_group(RetentionInDays=365), "DeletionPolicy": "Retain"}
    report = review(tmp_path / "kept", {"L": retained}, {})
    assert flagged(report) == []
    (notice,) = report.security
    assert not notice.flagged and "retained (DeletionPolicy Retain)" in notice.message


# --- control-plane log types ------------------------------------------------------------------


def test_removed_control_plane_log_type_is_flagged_with_what_stays_on(tmp_path: Path) -> None:
    fewer = {"ClusterLogging": {"EnabledTypes": [{"Type": "api"}, {"Type": "audit"}]}}
    report = review(tmp_path, {"C": cluster()}, {"C": cluster(Logging=fewer)})
    assert flagged(report) == [
        (
            "C",
            "control-plane log types turned off: `authenticator`, `controllerManager`, "
            "`scheduler` (still on: `api`, `audit`)",
        )
    ]
    # Logging removed altogether: every type is off.
    report = review(tmp_path / "none", {"C": cluster()}, {"C": cluster(Logging=None)})
    assert [m for _, m in flagged(report)] == [
        "control-plane log types turned off: `api`, `audit`, `authenticator`, "
        "`controllerManager`, `scheduler` (still on: none)"
    ]


# --- encryption and key rotation --------------------------------------------------------------


def key(**props: Any) -> dict[str, Any]:
    return res("AWS::KMS::Key", KeyPolicy={}, **props)


@pytest.mark.parametrize(
    ("before", "after", "message"),
    [
        (
            key(EnableKeyRotation=True),
            key(EnableKeyRotation=False),
            "key rotation turned off (EnableKeyRotation true → false)",
        ),
        (
            key(EnableKeyRotation="true"),
            key(),
            "key rotation turned off (EnableKeyRotation true → (not set: off))",
        ),
        (
            key(EnableKeyRotation=True),
            key(EnableKeyRotation=True, RotationPeriodInDays=730),
            "key rotation period lengthened from 365 to 730 days",
        ),
        (
            cluster(),
            cluster(EncryptionConfig=None),
            "secrets encryption removed (EncryptionConfig with KMS key `arn:k1` → none)",
        ),
        (
            log_group(KmsKeyId="arn:k1"),
            log_group(),
            "log group `/aws/eks/shop/cluster`: KMS encryption removed (KmsKeyId `arn:k1` → "
            "none): new events are no longer encrypted with the customer key",
        ),
        (
            res(
                "AWS::ECR::Repository",
                RepositoryName="app",
                ImageTagMutability="IMMUTABLE",
                ImageScanningConfiguration={"ScanOnPush": True},
                EncryptionConfiguration={"EncryptionType": "KMS"},
            ),
            res(
                "AWS::ECR::Repository",
                RepositoryName="app",
                ImageTagMutability="IMMUTABLE",
                ImageScanningConfiguration={"ScanOnPush": True},
            ),
            "repository `app`: image encryption weakened KMS → AES256",
        ),
        (
            res("AWS::SQS::Queue", SqsManagedSseEnabled=True),
            res("AWS::SQS::Queue"),
            "queue: message encryption weakened from SSE-SQS to no encryption requested",
        ),
        (
            res("AWS::SQS::Queue", KmsMasterKeyId="alias/q"),
            res("AWS::SQS::Queue", SqsManagedSseEnabled=True),
            "queue: message encryption weakened from SSE-KMS (key `alias/q`) to SSE-SQS",
        ),
        (
            res("AWS::SNS::Topic", TopicName="alerts", KmsMasterKeyId="alias/t"),
            res("AWS::SNS::Topic", TopicName="alerts"),
            "topic `alerts`: encryption removed (KmsMasterKeyId `alias/t` → none): SNS stores "
            "messages unencrypted",
        ),
        (
            res(
                "AWS::S3::Bucket",
                BucketEncryption={
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}
                    ]
                },
            ),
            res("AWS::S3::Bucket"),
            "bucket: default encryption aws:kms removed: S3 falls back to SSE-S3 (AES256)",
        ),
    ],
    ids=[
        "rotation-off",
        "rotation-removed",
        "rotation-period",
        "eks-secrets",
        "log-kms",
        "ecr",
        "sqs-managed",
        "sqs-kms",
        "sns",
        "s3",
    ],
)
def test_encryption_or_rotation_turned_off_is_flagged(
    tmp_path: Path, before: dict[str, Any], after: dict[str, Any], message: str
) -> None:
    report = review(tmp_path, {"R": before}, {"R": after})
    assert message in [m for _, m in flagged(report)]


@pytest.mark.parametrize("encrypted", [False, "false"])
def test_launch_template_volume_encryption_off_is_flagged(tmp_path: Path, encrypted: Any) -> None:
    def template(value: Any) -> dict[str, Any]:
        return res(
            "AWS::EC2::LaunchTemplate",
            LaunchTemplateData={
                "MetadataOptions": {"HttpTokens": "required"},
                "BlockDeviceMappings": [
                    {"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": value}},
                    {"DeviceName": "/dev/sdb", "VirtualName": "ephemeral0"},  # instance store
                ],
            },
        )

    report = review(tmp_path, {"LT": template(True)}, {"LT": template(encrypted)})
    # The string "false" counts as false (CloudFormation accepts both); the instance-store
    # mapping has no EBS volume to encrypt.
    assert flagged(report) == [("LT", "unencrypted node volumes: `/dev/xvda`")]


# --- deletion and termination protection ------------------------------------------------------


def test_cluster_deletion_protection_off_is_flagged(tmp_path: Path) -> None:
    report = review(tmp_path, {"C": cluster()}, {"C": cluster(DeletionProtection=False)})
    assert flagged(report) == [("C", "deletion protection turned off")]


def test_retain_to_delete_policies_are_flagged(tmp_path: Path) -> None:
    kept = {
        **key(EnableKeyRotation=True),
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
    }
    dropped = {**key(EnableKeyRotation=True), "DeletionPolicy": "Delete"}
    report = review(tmp_path, {"K": kept}, {"K": dropped})
    assert flagged(report) == [
        (
            "K",
            "DeletionPolicy Retain → Delete: deleting the stack or removing the resource now "
            "destroys it",
        ),
        (
            "K",
            "UpdateReplacePolicy Retain → Delete (not set): a replacement now deletes the old "
            "resource and its data",
        ),
    ]


def test_stack_termination_protection_is_read_from_the_manifest_and_compared(
    tmp_path: Path,
) -> None:
    resources = {"L": log_group(RetentionInDays=14)}
    base = load_assembly(write_assembly(tmp_path / "a", resources, protection=True))
    assert base.stacks[("", "app")].termination_protection is True
    assert (
        load_assembly(write_assembly(tmp_path / "b", resources))
        .stacks[("", "app")]
        .termination_protection
        is None
    )
    report = review(tmp_path / "off", resources, resources, protection=(True, False))
    assert [(f.logical_id, f.resource_type, f.message, f.flagged) for f in report.security] == [
        (
            "app",
            "AWS::CloudFormation::Stack",
            "stack termination protection turned off (terminationProtection true → false): "
            "`cdk destroy` or a stack deletion is no longer refused",
            True,
        ),
    ]
    assert (
        "⚠️ **flagged** app `app` (AWS::CloudFormation::Stack): stack termination protection"
        in render_markdown(report)
    )
    report = review(tmp_path / "unset", resources, resources, protection=(True, None))
    assert [m for _, m in flagged(report)] == [
        "stack termination protection turned off (terminationProtection true → (not set: off)): "
        "`cdk destroy` or a stack deletion is no longer refused"
    ]


# --- the endpoint -----------------------------------------------------------------------------


def test_endpoint_widening_is_flagged(tmp_path: Path) -> None:
    private = {"SubnetIds": ["s1"], "EndpointPublicAccess": False, "EndpointPrivateAccess": True}
    public = {**private, "EndpointPublicAccess": True, "PublicAccessCidrs": ["203.0.113.0/24"]}
    report = review(
        tmp_path,
        {"C": cluster(ResourcesVpcConfig=private)},
        {"C": cluster(ResourcesVpcConfig=public)},
    )
    assert flagged(report) == [("C", "public API endpoint turned ON, open to `203.0.113.0/24`")]
    wider = {**public, "PublicAccessCidrs": ["203.0.113.0/24", "198.51.100.0/24"]}
    report = review(
        tmp_path / "cidr",
        {"C": cluster(ResourcesVpcConfig=public)},
        {"C": cluster(ResourcesVpcConfig=wider)},
    )
    assert flagged(report) == [("C", "public endpoint CIDRs added `198.51.100.0/24`")]
    no_private = {**public, "EndpointPrivateAccess": False}
    report = review(
        tmp_path / "priv",
        {"C": cluster(ResourcesVpcConfig=public)},
        {"C": cluster(ResourcesVpcConfig=no_private)},
    )
    assert flagged(report) == [("C", "private endpoint access True -> False")]


# --- Pod Security -----------------------------------------------------------------------------


def test_lowered_pod_security_level_is_flagged_with_the_old_level(tmp_path: Path) -> None:
    report = review(
        tmp_path,
        {"M": manifest(namespace("payments", "restricted"))},
        {"M": manifest(namespace("payments", "baseline"))},
    )
    assert flagged(report) == [
        ("M", "namespace `payments` enforces Pod Security `baseline` (was `restricted`)")
    ]
    # Label removed: the admission default, privileged. The manifest holds a token (Fn::Join).
    report = review(
        tmp_path / "removed",
        {"M": manifest(namespace("payments", "baseline", role="ROLE_ARN"), token=True)},
        {"M": manifest(namespace("payments", None, role="ROLE_ARN"), token=True)},
    )
    assert flagged(report) == [
        (
            "M",
            "namespace `payments` enforces Pod Security `privileged` (was `baseline`; its "
            "`pod-security.kubernetes.io/enforce` label is removed)",
        )
    ]
    # Moving a namespace to another manifest resource changes nothing.
    report = review(
        tmp_path / "moved",
        {"M": manifest(namespace("payments", "baseline"))},
        {"N": manifest(namespace("payments", "baseline"))},
    )
    assert flagged(report) == []


# --- NetworkPolicies --------------------------------------------------------------------------


def test_removed_network_policy_is_flagged_even_when_its_resource_is_removed(
    tmp_path: Path,
) -> None:
    ns = namespace("payments", "restricted")
    before = {
        "Ns": manifest(ns),
        "Policies": manifest(policy("default-deny", "payments", **DENY_ALL)),
    }
    report = review(tmp_path, before, {"Ns": manifest(ns)})
    assert flagged(report) == [
        (
            "Policies",
            "NetworkPolicy `payments/default-deny` removed: its default deny of Ingress "
            "and Egress is gone",
        )
    ]
    # A policy removed with its namespace is part of the namespace's deletion (a stateful
    # risk), not a weakening.
    together = {"T": manifest(ns, policy("default-deny", "payments", **DENY_ALL))}
    report = review(tmp_path / "with-ns", together, {})
    assert flagged(report) == []
    assert [r.risk for r in report.risks] == ["deleted"]


def test_default_deny_that_now_allows_all_is_flagged(tmp_path: Path) -> None:
    before = {"P": manifest(policy("default-deny", "payments", **DENY_ALL))}
    opened = {
        "P": manifest(
            policy("default-deny", "payments", policyTypes=["Ingress", "Egress"], ingress=[{}])
        )
    }
    report = review(tmp_path, before, opened)
    assert flagged(report) == [
        (
            "P",
            "NetworkPolicy `payments/default-deny` now allows Ingress from any source "
            "(Ingress denied all before)",
        )
    ]
    # Dropping a direction from policyTypes stops denying it.
    report = review(
        tmp_path / "types",
        before,
        {"P": manifest(policy("default-deny", "payments", policyTypes=["Ingress"]))},
    )
    assert [m for _, m in flagged(report)] == [
        "NetworkPolicy `payments/default-deny` no longer denies Egress (policyTypes "
        "['Ingress', 'Egress'] → ['Ingress'])"
    ]
    # A new policy that lets the internet in, next to the namespace's default deny.
    internet = policy(
        "allow-web", "payments", ingress=[{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]
    )
    report = review(
        tmp_path / "new",
        before,
        {"P": manifest(policy("default-deny", "payments", **DENY_ALL), internet)},
    )
    assert [m for _, m in flagged(report)] == [
        "new NetworkPolicy `payments/allow-web` allows Ingress from 0.0.0.0/0, past the "
        "namespace's default deny"
    ]


# --- Spot -------------------------------------------------------------------------------------


def test_spot_added_to_a_pool_that_had_none_is_flagged(tmp_path: Path) -> None:
    def group(capacity: str | None) -> dict[str, Any]:
        props: dict[str, Any] = {"ClusterName": "c", "NodeRole": "r", "Subnets": ["s"]}
        if capacity:
            props["CapacityType"] = capacity
        return res("AWS::EKS::Nodegroup", **props)

    report = review(tmp_path, {"NG": group(None)}, {"NG": group("SPOT")})
    assert flagged(report) == [
        (
            "NG",
            "node group capacity ON_DEMAND → SPOT: its nodes can be reclaimed with two "
            "minutes' notice (and the change replaces the node group)",
        )
    ]
    report = review(
        tmp_path / "karpenter",
        {"K": manifest(node_pool("general", "on-demand"))},
        {"K": manifest(node_pool("general", "on-demand", "spot"))},
    )
    assert flagged(report) == [
        (
            "K",
            "Karpenter NodePool `general` now allows Spot (karpenter.sh/capacity-type "
            "[on-demand] → [on-demand, spot]): its nodes can be reclaimed with two minutes' "
            "notice",
        )
    ]


def test_karpenter_capacity_types_follow_requirements_and_labels() -> None:
    assert capacity_types(node_pool("p", "on-demand")) == {"on-demand"}
    # No capacity-type requirement: Karpenter may choose any (aws/karpenter-provider-aws#5015).
    assert capacity_types(node_pool("p", None)) == {"on-demand", "spot", "reserved"}
    not_spot = node_pool("p", None)
    not_spot["spec"]["template"]["spec"]["requirements"].append(
        {"key": "karpenter.sh/capacity-type", "operator": "NotIn", "values": ["spot"]}
    )
    assert capacity_types(not_spot) == {"on-demand", "reserved"}
    labelled = node_pool("p", None)
    labelled["spec"]["template"]["metadata"] = {"labels": {"karpenter.sh/capacity-type": "spot"}}
    assert capacity_types(labelled) == {"spot"}


def test_requirement_removed_or_new_spot_pool(tmp_path: Path) -> None:
    # Removing the requirement lets Karpenter pick Spot.
    report = review(
        tmp_path,
        {"K": manifest(node_pool("general", "on-demand"))},
        {"K": manifest(node_pool("general", None))},
    )
    assert [m for _, m in flagged(report)] == [
        "Karpenter NodePool `general` now allows Spot (karpenter.sh/capacity-type [on-demand] → "
        "[on-demand, reserved, spot]): its nodes can be reclaimed with two minutes' notice"
    ]
    # A new Spot pool weakens no pool that existed.
    report = review(tmp_path / "new", {}, {"K": manifest(node_pool("batch", "spot"))})
    assert flagged(report) == []


# --- strengthening is not flagged -------------------------------------------------------------


def test_strengthening_changes_are_not_flagged(tmp_path: Path) -> None:
    before = {
        "L": log_group(RetentionInDays=14),
        "K": key(),
        "K2": key(EnableKeyRotation=True, RotationPeriodInDays=730),
        "Q": res("AWS::SQS::Queue", SqsManagedSseEnabled=True),
        "NG": res("AWS::EKS::Nodegroup", ClusterName="c", CapacityType="SPOT"),
        "M": manifest(
            namespace("payments", "baseline"),
            node_pool("general", "on-demand", "spot"),
            policy("default-deny", "payments", policyTypes=["Ingress"]),
        ),
        "C": cluster(
            DeletionProtection=False,
            Logging={"ClusterLogging": {"EnabledTypes": [{"Type": "api"}]}},
        ),
    }
    after = {
        "L": {**log_group(RetentionInDays=365, KmsKeyId="arn:k"), "DeletionPolicy": "Retain"},
        "K": key(EnableKeyRotation=True),
        "K2": key(EnableKeyRotation=True, RotationPeriodInDays=90),
        "Q": res("AWS::SQS::Queue", KmsMasterKeyId="alias/q"),
        "NG": res("AWS::EKS::Nodegroup", ClusterName="c", CapacityType="ON_DEMAND"),
        "M": manifest(
            namespace("payments", "restricted"),
            node_pool("general", "on-demand"),
            policy("default-deny", "payments", **DENY_ALL),
        ),
        "C": cluster(DeletionProtection=True),
    }
    report = review(tmp_path, before, after, protection=(False, True))
    assert len(report.stacks[0].changes) == len(before)
    assert flagged(report) == []
    # Retention removed means logs never expire: longer, not shorter.
    report = review(tmp_path / "forever", {"L": log_group(RetentionInDays=14)}, {"L": log_group()})
    assert flagged(report) == []


# --- end to end, on the real app --------------------------------------------------------------


def _copy_assembly(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("asset.*"))
    return target


def test_real_assembly_weakened_in_three_ways_is_flagged_in_markdown(
    synth: SynthResult, tmp_path: Path
) -> None:
    # GIVEN the session's synth and a copy of it with prod's control-plane log retention cut
    # to one day, a tenant's default-deny NetworkPolicy dropped and the network stack's
    # termination protection off
    head = _copy_assembly(synth.outdir, tmp_path / "head")
    stage = head / "assembly-prod"
    manifest_file = stage / "manifest.json"
    artifacts = json.loads(manifest_file.read_text())["artifacts"]
    stacks = {
        a["properties"]["stackName"]: a
        for a in artifacts.values()
        if a["type"] == "aws:cloudformation:stack"
    }
    cluster_file = stage / stacks["prod-eks-cluster"]["properties"]["templateFile"]
    template = json.loads(cluster_file.read_text())
    (group_id,) = [
        lid
        for lid, r in template["Resources"].items()
        if r["Type"] == "AWS::Logs::LogGroup"
        and r["Properties"].get("LogGroupName") == "/aws/eks/shop-prod/cluster"
    ]
    retention = template["Resources"][group_id]["Properties"]["RetentionInDays"]
    template["Resources"][group_id]["Properties"]["RetentionInDays"] = 1
    # The tenant's objects are a manifest item of a Kubernetes layer: the review names it
    # `<layer's logical id>[<item id>]`.
    tenant_id, item, objects = next(
        (f"{lid}[{item['Id']}]", item, json.loads(item["Manifest"]))
        for lid, r in template["Resources"].items()
        if r["Type"] == LAYER_TYPE
        for item in r["Properties"]["Items"]
        if item["Type"] == "manifest"
        and isinstance(item["Manifest"], str)
        and any(
            o.get("kind") == "NetworkPolicy" and o["metadata"]["name"] == "default-deny"
            for o in json.loads(item["Manifest"])
        )
    )
    tenant = next(o["metadata"]["namespace"] for o in objects if o.get("kind") == "NetworkPolicy")
    item["Manifest"] = json.dumps(
        [
            o
            for o in objects
            if not (o.get("kind") == "NetworkPolicy" and o["metadata"]["name"] == "default-deny")
        ]
    )
    cluster_file.write_text(json.dumps(template))
    data = json.loads(manifest_file.read_text())
    network = next(
        a
        for a in data["artifacts"].values()
        if a.get("properties", {}).get("stackName") == "prod-eks-network"
    )
    assert network["properties"]["terminationProtection"] is True
    network["properties"]["terminationProtection"] = False
    manifest_file.write_text(json.dumps(data))

    # WHEN the review compares the untouched synth with the copy
    report = compare(load_assembly(synth.outdir), load_assembly(head))
    text = render_markdown(report)

    # THEN exactly those three are flagged, and nothing is replaced
    assert report.blocking_risks == []
    assert sorted(
        (f.stack, f.logical_id, f.message) for f in report.security if f.flagged
    ) == sorted(
        [
            (
                "prod-eks-cluster",
                group_id,
                f"log group `/aws/eks/shop-prod/cluster`: log retention shortened from {retention} days "
                "to 1 day",
            ),
            (
                "prod-eks-cluster",
                tenant_id,
                f"NetworkPolicy `{tenant}/default-deny` removed: its default deny of Ingress and "
                "Egress is gone",
            ),
            (
                "prod-eks-network",
                "prod/Network",
                "stack termination protection turned off (terminationProtection true → false): "
                "`cdk destroy` or a stack deletion is no longer refused",
            ),
        ]
    )
    assert (
        f"- ⚠️ **flagged** prod/prod-eks-cluster `{group_id}` (AWS::Logs::LogGroup): log group "
        f"`/aws/eks/shop-prod/cluster`: log retention shortened from {retention} days to 1 day"
    ) in text
    assert text.index("### Security-relevant changes") < text.index("### Summary")


# --- Kyverno policies ------------------------------------------------------------------------


def kyverno_policy(name: str, actions: list[str], failure: str = "Fail") -> dict[str, Any]:
    return {
        "apiVersion": "policies.kyverno.io/v1",
        "kind": "ValidatingPolicy",
        "metadata": {"name": name},
        "spec": {"validationActions": actions, "failurePolicy": failure, "validations": []},
    }


def test_a_policy_that_stops_refusing_or_fails_open_is_flagged(tmp_path: Path) -> None:
    before = {"P": manifest(kyverno_policy("disallow-latest-tag", ["Deny"]))}
    audited = {"P": manifest(kyverno_policy("disallow-latest-tag", ["Audit"]))}
    assert flagged(review(tmp_path / "audit", before, audited)) == [
        ("P", "Kyverno ValidatingPolicy `disallow-latest-tag` now only audits (was refusing)")
    ]
    open_ = {"P": manifest(kyverno_policy("disallow-latest-tag", ["Deny"], "Ignore"))}
    (finding,) = flagged(review(tmp_path / "open", before, open_))
    assert finding[1].startswith(
        "Kyverno ValidatingPolicy `disallow-latest-tag` now fails open (failurePolicy Fail → "
        "Ignore)"
    )
    assert flagged(review(tmp_path / "removed", before, {})) == [
        ("P", "Kyverno ValidatingPolicy `disallow-latest-tag` removed: nothing checks what it "
         "checked")
    ]
    # Stricter is no weakening, nor is an audit-only policy that stays audit-only.
    assert flagged(review(tmp_path / "stricter", audited, before)) == []
    assert flagged(review(tmp_path / "same", audited, audited)) == []


def test_switching_the_workload_policies_to_audit_flags_each_of_them(tmp_path: Path) -> None:
    """The project's own policies: `governance.action` enforce -> audit flags each workload
    policy that stops refusing (Pod Security baseline is always refused; `:latest` has its
    own switch)."""
    from eks_blueprint.governance.policies import policy_manifests
    from eks_blueprint.governance.spec import PolicySet

    enforce = policy_manifests(PolicySet(action="enforce"))
    audit = policy_manifests(PolicySet(action="audit"))
    found = flagged(review(tmp_path, {"P": manifest(*enforce)}, {"P": manifest(*audit)}))
    names = sorted(message.split("`")[1] for _, message in found)
    assert names == [
        "require-pdb",
        "require-readiness-probe",
        "require-requests-limits",
    ]
