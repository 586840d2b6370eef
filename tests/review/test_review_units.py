"""Pure-JSON tests of the review rules: tiny hand-written assemblies, no synth (milliseconds)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eks_blueprint.review import Report, compare, load_assembly, render_markdown
from eks_blueprint.review.values import leaf_changes, mask_assets

HASH_A = "a" * 64
HASH_B = "b" * 64


def write_assembly(root: Path, resources: dict[str, Any], *, nested: dict[str, Any] | None = None,
                   report: dict[str, Any] | None = None) -> Path:
    """An assembly with one stack `app` in eu-west-1 (and optionally a nested stack `Child`)."""
    root.mkdir(parents=True, exist_ok=True)
    template = {"Resources": dict(resources)}
    if nested is not None:
        (root / "child.nested.template.json").write_text(json.dumps({"Resources": nested}))
        template["Resources"]["Child"] = {
            "Type": "AWS::CloudFormation::Stack",
            "Properties": {"TemplateURL": {"Fn::Join": ["", ["https://s3/", f"{HASH_A}.json"]]}},
        }
        (root / "app.assets.json").write_text(json.dumps({"files": {HASH_A: {
            "source": {"path": "child.nested.template.json", "packaging": "file"}}}}))
    (root / "app.template.json").write_text(json.dumps(template))
    (root / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": {"app": {
        "type": "aws:cloudformation:stack", "environment": "aws://123456789012/eu-west-1",
        "properties": {"templateFile": "app.template.json", "stackName": "app"}}}}))
    if report is not None:
        (root / "validation-report.json").write_text(json.dumps(report))
    return root


def run(tmp_path: Path, before: dict[str, Any], after: dict[str, Any], **kw: Any) -> tuple[Report, str]:
    base = write_assembly(tmp_path / "base", before, nested=kw.get("nested_before"), report=kw.get("report_before"))
    head = write_assembly(tmp_path / "head", after, nested=kw.get("nested_after"), report=kw.get("report_after"))
    report = compare(load_assembly(base), load_assembly(head))
    return report, render_markdown(report)


def res(type_: str, **props: Any) -> dict[str, Any]:
    return {"Type": type_, "Properties": props}


def cluster(**overrides: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "Name": "c", "RoleArn": "arn:aws:iam::1:role/r", "Version": "1.34",
        "ResourcesVpcConfig": {"SubnetIds": ["s1"], "EndpointPublicAccess": False, "EndpointPrivateAccess": True},
        "KubernetesNetworkConfig": {"IpFamily": "ipv4", "ElasticLoadBalancing": {"Enabled": False}},
        "Logging": {"ClusterLogging": {"EnabledTypes": [{"Type": t} for t in
                    ("api", "audit", "authenticator", "controllerManager", "scheduler")]}},
        "EncryptionConfig": [{"Provider": {"KeyArn": "k1"}, "Resources": ["secrets"]}],
    }
    props.update(overrides)
    return res("AWS::EKS::Cluster", **props)


# --- replacement rules ------------------------------------------------------------------

def test_nested_create_only_path_replaces_but_its_sibling_does_not(tmp_path: Path) -> None:
    report, _ = run(tmp_path, {"C": cluster()}, {"C": cluster(KubernetesNetworkConfig={
        "IpFamily": "ipv6", "ElasticLoadBalancing": {"Enabled": True}})})
    (change,) = report.stacks[0].changes
    assert change.replacement == "replace"
    assert change.reasons == ["KubernetesNetworkConfig.IpFamily is create-only"]
    verdicts = {p.path: p.replacement for p in change.properties}
    assert verdicts == {"KubernetesNetworkConfig.IpFamily": "replace",
                        "KubernetesNetworkConfig.ElasticLoadBalancing.Enabled": "none"}


def test_public_cidrs_change_is_in_place_and_reported_with_its_nested_path(tmp_path: Path) -> None:
    vpc_before = {"SubnetIds": ["s1"], "EndpointPublicAccess": True, "PublicAccessCidrs": ["203.0.113.0/24"]}
    vpc_after = {**vpc_before, "PublicAccessCidrs": ["0.0.0.0/0"]}
    report, text = run(tmp_path, {"C": cluster(ResourcesVpcConfig=vpc_before)},
                       {"C": cluster(ResourcesVpcConfig=vpc_after)})
    (change,) = report.stacks[0].changes
    assert change.replacement == "none"
    assert "`ResourcesVpcConfig.PublicAccessCidrs`: `[203.0.113.0/24]` → `[0.0.0.0/0]`" in text
    assert [(f.message, f.flagged) for f in report.security] == [
        ("public endpoint CIDRs added `0.0.0.0/0`", True),
        ("public endpoint CIDRs removed `203.0.113.0/24`", False),
    ]


def test_cluster_logging_and_protection_changes_are_security_findings(tmp_path: Path) -> None:
    before = cluster(DeletionProtection=True)
    after = cluster(Logging={"ClusterLogging": {"EnabledTypes": [{"Type": "api"}]}}, DeletionProtection=False)
    report, _ = run(tmp_path, {"C": before}, {"C": after})
    messages = {f.message for f in report.security if f.flagged}
    assert "deletion protection turned off" in messages
    assert any(m.startswith("control-plane log types turned off") and "audit" in m for m in messages)


def test_type_change_is_replacement(tmp_path: Path) -> None:
    report, text = run(tmp_path, {"Q": res("AWS::SQS::Queue")}, {"Q": res("AWS::SNS::Topic")})
    (change,) = report.stacks[0].changes
    assert change.replacement == "replace" and change.old_type == "AWS::SQS::Queue"
    assert [(r.risk, r.resource_type) for r in report.risks] == [("replaced", "AWS::SQS::Queue")]
    assert "AWS::SQS::Queue → AWS::SNS::Topic" in text


def test_conditional_create_only_is_may_replace(tmp_path: Path) -> None:
    subnet = {"VpcId": "v", "CidrBlock": "10.0.0.0/24"}
    report, text = run(tmp_path, {"S": res("AWS::EC2::Subnet", **subnet)},
                       {"S": res("AWS::EC2::Subnet", **subnet, Ipv6CidrBlock="2001:db8::/64")})
    (change,) = report.stacks[0].changes
    assert change.replacement == "may-replace"
    assert [r.risk for r in report.blocking_risks] == ["may be replaced"]
    assert "*(conditionally create-only)*" in text


def test_changed_logical_id_is_delete_plus_create_with_a_hint(tmp_path: Path) -> None:
    report, text = run(tmp_path, {"KeyOld": res("AWS::KMS::Key")}, {"KeyNew": res("AWS::KMS::Key")})
    actions = {(c.logical_id, c.action) for c in report.stacks[0].changes}
    assert actions == {("KeyOld", "remove"), ("KeyNew", "add")}
    assert [(r.logical_id, r.risk) for r in report.risks] == [("KeyOld", "deleted")]
    assert "override_logical_id" in text


def test_replacement_cascades_through_create_only_references(tmp_path: Path) -> None:
    role = {"AssumeRolePolicyDocument": {"Statement": []}}
    before = {"R": res("AWS::IAM::Role", **role, RoleName="a"),
              "F": res("AWS::EKS::FargateProfile", ClusterName="c", PodExecutionRoleArn={"Fn::GetAtt": ["R", "Arn"]},
                       Selectors=[{"Namespace": "x"}])}
    after = {**before, "R": res("AWS::IAM::Role", **role, RoleName="b")}
    report, _ = run(tmp_path, before, after)
    profile = next(c for c in report.stacks[0].changes if c.logical_id == "F")
    assert profile.replacement == "replace"
    assert profile.reasons == ["PodExecutionRoleArn refers to R, which is replaced"]
    assert ("F", "replaced") in {(r.logical_id, r.risk) for r in report.risks}


def test_deletion_policy_change_is_reported(tmp_path: Path) -> None:
    report, text = run(tmp_path, {"K": {**res("AWS::KMS::Key"), "DeletionPolicy": "Retain"}},
                       {"K": {**res("AWS::KMS::Key"), "DeletionPolicy": "Delete"}})
    (change,) = report.stacks[0].changes
    assert change.replacement == "none"
    assert "deleting the stack or resource will now destroy it" in text


def test_replaced_resource_retained_by_update_replace_policy_says_so(tmp_path: Path) -> None:
    def group(name: str) -> dict[str, Any]:
        return {**res("AWS::Logs::LogGroup", LogGroupName=name), "UpdateReplacePolicy": "Retain"}

    report, _ = run(tmp_path, {"L": group("a")}, {"L": group("b")})
    (risk,) = report.risks
    assert risk.risk == "replaced" and "old one is retained" in risk.detail


# --- assets, nested stacks, stacks ----------------------------------------------------------

def test_asset_hashes_are_masked() -> None:
    assert mask_assets({"S3Key": f"{HASH_A}.zip"}) == mask_assets({"S3Key": f"{HASH_B}.zip"})
    assert mask_assets({"S3Key": "short.zip"}) == {"S3Key": "short.zip"}


def test_nested_stack_found_through_the_asset_manifest(tmp_path: Path) -> None:
    role = res("AWS::IAM::Role", AssumeRolePolicyDocument={"Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}}]})
    widened = res("AWS::IAM::Role", AssumeRolePolicyDocument={"Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}},
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}}]})
    report, _ = run(tmp_path, {}, {}, nested_before={"Role": role}, nested_after={"Role": widened})
    names = [s.name for s in report.stacks if s.has_changes]
    assert names == ["app/Child"]
    assert [(f.message, f.flagged) for f in report.security] == [
        ("trust policy widened: new principals `AWS:arn:aws:iam::999999999999:root`", True)]


def test_removed_trust_condition_and_star_principal_are_flagged(tmp_path: Path) -> None:
    cond = {"StringEquals": {"oidc:sub": "system:serviceaccount:ns:sa"}}
    before = res("AWS::IAM::Role", AssumeRolePolicyDocument={"Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity", "Principal": {"Federated": "oidc"}, "Condition": cond}]})
    after = res("AWS::IAM::Role", AssumeRolePolicyDocument={"Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity", "Principal": {"Federated": "oidc"}},
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": "*"}]})
    report, _ = run(tmp_path, {"R": before}, {"R": after})
    messages = [f.message for f in report.security if f.flagged]
    assert "trust policy lets ANY principal (`*`) assume the role" in messages
    assert any(m.startswith("trust policy conditions removed") and "oidc:sub" in m for m in messages)


def test_new_policy_resource_with_joined_wildcard_arn(tmp_path: Path) -> None:
    arn = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::bucket/*"]]}
    policy = res("AWS::IAM::ManagedPolicy", PolicyDocument={"Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": arn}]})
    report, _ = run(tmp_path, {}, {"P": policy})
    assert [(f.message, f.flagged) for f in report.security] == [
        ("new wildcard resources `arn:${AWS::Partition}:s3:::bucket/*`", True),
        ("new actions `s3:GetObject`", False),
    ]


def test_standalone_ingress_resource_open_to_ipv6_world(tmp_path: Path) -> None:
    rule = res("AWS::EC2::SecurityGroupIngress", GroupId="sg", IpProtocol="-1", CidrIpv6="::/0")
    report, _ = run(tmp_path, {}, {"I": rule})
    assert [f.message for f in report.security] == ["new ingress from the internet: `::/0 on all ports`"]


# --- Kubernetes manifests and Helm ------------------------------------------------------------

def manifest(*objects: dict[str, Any], token: bool = False) -> dict[str, Any]:
    text = json.dumps(list(objects))
    value: Any = text
    if token:  # as CDK writes a manifest containing a role ARN token
        head, _, tail = text.partition("ROLE_ARN")
        value = {"Fn::Join": ["", [head, {"Fn::GetAtt": ["Role", "Arn"]}, tail]]}
    return res("Custom::AWSCDK-EKS-KubernetesResource", ServiceToken="t", Manifest=value, ClusterName="c")


def obj(kind: str, name: str, ns: str | None = "apps", **spec: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if ns:
        meta["namespace"] = ns
    return {"apiVersion": "v1", "kind": kind, "metadata": meta, "spec": spec}


def test_manifest_changes_by_kind_namespace_and_name(tmp_path: Path) -> None:
    before = {"M": manifest(obj("Deployment", "web", replicas=2), obj("Namespace", "apps", ns=None))}
    after = {"M": manifest(obj("Deployment", "web", replicas=3), obj("Service", "web"))}
    report, text = run(tmp_path, before, after)
    k8s = {(k.what, k.action) for k in report.stacks[0].kubernetes}
    assert k8s == {("Deployment apps/web", "modify"), ("Namespace apps", "remove"), ("Service apps/web", "add")}
    assert "`spec.replicas`: 2 → 3" in text


def test_manifest_with_tokens_is_parsed_best_effort(tmp_path: Path) -> None:
    sa = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "sa", "namespace": "kube-system",
          "annotations": {"eks.amazonaws.com/role-arn": "ROLE_ARN"}}}
    sa2 = json.loads(json.dumps(sa).replace("kube-system", "apps"))
    report, _ = run(tmp_path, {"M": manifest(sa, token=True)}, {"M": manifest(sa2, token=True)})
    k8s = {(k.what, k.action) for k in report.stacks[0].kubernetes}
    assert k8s == {("ServiceAccount kube-system/sa", "remove"), ("ServiceAccount apps/sa", "add")}


def test_helm_chart_version_and_values(tmp_path: Path) -> None:
    def chart(version: str, replicas: int) -> dict[str, Any]:
        return res("Custom::AWSCDK-EKS-HelmChart", ServiceToken="t", ClusterName="c", Chart="karpenter",
                   Release="karpenter", Namespace="karpenter", Version=version,
                   Values=json.dumps({"replicas": replicas}))

    report, text = run(tmp_path, {"H": chart("1.8.0", 2)}, {"H": chart("1.8.1", 2)})
    (k,) = report.stacks[0].kubernetes
    assert k.what == "helm release karpenter/karpenter" and k.action == "modify"
    assert "`Version`: 1.8.0 → 1.8.1" in text
    report, text = run(tmp_path / "2", {"H": chart("1.8.1", 2)}, {"H": chart("1.8.1", 3)})
    assert "`Values.replicas`: 2 → 3" in text


# --- cdk-nag and leaf diffs ----------------------------------------------------------------

def test_nag_summary_counts_open_and_acknowledged(tmp_path: Path) -> None:
    def nag(open_: int) -> dict[str, Any]:
        violation = {"ruleName": "AwsSolutions-IAM5", "severity": "error", "violatingConstructs": [{}]}
        return {"pluginReports": [{"pluginName": "AwsSolutions", "violations": [violation] * open_,
                                   "suppressedViolations": [violation]}]}

    _, text = run(tmp_path, {}, {}, report_before=nag(0), report_after=nag(2))
    assert "| AwsSolutions | error | 0 → 2 | 1 → 1 |" in text
    assert "**No infrastructure changes.**" in text


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ({"Tags": [{"Key": "a", "Value": "1"}]}, {"Tags": [{"Key": "a", "Value": "2"}]}, ["Tags[a]"]),
        ({"A": {"B": 1, "C": 2}}, {"A": {"B": 1, "C": 3}}, ["A.C"]),
        ({"L": [1, 2]}, {"L": [2, 1]}, ["L"]),
        ({"L": [{"x": 1}]}, {"L": [{"x": 1}, {"y": 2}]}, ["L[+]"]),
        ({"R": {"Ref": "a"}}, {"R": {"Ref": "b"}}, ["R"]),
    ],
)
def test_leaf_paths(old: Any, new: Any, expected: list[str]) -> None:
    assert [path for path, _, _ in leaf_changes(old, new)] == expected


def test_removed_namespace_is_a_stateful_risk(tmp_path: Path) -> None:
    tenant = manifest(obj("Namespace", "payments", ns=None), obj("ResourceQuota", "quota", ns="payments"))
    report, text = run(tmp_path, {"Tenant": tenant, "Other": manifest(obj("Service", "web"))},
                       {"Other": manifest(obj("Service", "web"))})
    assert [(r.logical_id, r.resource_type, r.risk) for r in report.blocking_risks] == [
        ("Tenant", "Kubernetes Namespace", "deleted")]
    assert "[!CAUTION]" in text and "Namespace payments" in text
    # A namespace that stays (modified or unchanged) is no risk.
    report, _ = run(tmp_path / "again", {"Tenant": tenant}, {"Tenant": manifest(obj("Namespace", "payments", ns=None))})
    assert not report.blocking_risks


def _template(tokens: str = "required", hops: int = 1, encrypted: bool = True) -> dict[str, Any]:
    return res("AWS::EC2::LaunchTemplate", LaunchTemplateData={
        "MetadataOptions": {"HttpTokens": tokens, "HttpPutResponseHopLimit": hops},
        "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": encrypted, "VolumeType": "gp3"}}]})


@pytest.mark.parametrize(
    ("before", "after", "message"),
    [
        ({"LT": _template()}, {"LT": _template(tokens="optional")}, "IMDSv2 not required on nodes (HttpTokens optional)"),
        ({"LT": _template()}, {"LT": _template(hops=2)}, "IMDS hop limit raised to 2: pods can reach the node's role"),
        ({"LT": _template()}, {"LT": _template(encrypted=False)}, "unencrypted node volumes: `/dev/xvda`"),
        ({}, {"LT": _template(tokens="optional")}, "IMDSv2 not required on nodes (HttpTokens optional)"),
        ({"NG": res("AWS::EKS::Nodegroup", ClusterName="c")},
         {"NG": res("AWS::EKS::Nodegroup", ClusterName="c", RemoteAccess={"Ec2SshKey": "k"})},
         "SSH access to nodes (RemoteAccess) turned on"),
        ({"R": res("AWS::ECR::Repository", ImageTagMutability="IMMUTABLE", ImageScanningConfiguration={"ScanOnPush": True})},
         {"R": res("AWS::ECR::Repository", ImageTagMutability="MUTABLE", ImageScanningConfiguration={"ScanOnPush": True})},
         "image tags are MUTABLE: a tag can be moved to another image"),
        ({"R": res("AWS::ECR::Repository", ImageTagMutability="IMMUTABLE", ImageScanningConfiguration={"ScanOnPush": True})},
         {"R": res("AWS::ECR::Repository", ImageTagMutability="IMMUTABLE")},
         "scan on push turned off"),
    ],
    ids=["tokens", "hops", "encryption", "new-template", "ssh", "mutable", "scan"],
)
def test_node_and_registry_opt_outs_are_flagged(
    tmp_path: Path, before: dict[str, Any], after: dict[str, Any], message: str
) -> None:
    report, _ = run(tmp_path, before, after)
    assert [(f.message, f.flagged) for f in report.security] == [(message, True)]


def test_secure_node_and_registry_changes_are_not_flagged(tmp_path: Path) -> None:
    repo = res("AWS::ECR::Repository", ImageTagMutability="IMMUTABLE", ImageScanningConfiguration={"ScanOnPush": True})
    report, _ = run(tmp_path, {"LT": _template(hops=2)}, {"LT": _template(hops=1), "R": repo})
    assert report.security == []


def test_weakened_pod_security_is_flagged(tmp_path: Path) -> None:
    def namespace(level: str | None) -> dict[str, Any]:
        labels = {"pod-security.kubernetes.io/enforce": level} if level else {}
        return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "payments", "labels": labels}}

    report, _ = run(tmp_path, {"M": manifest(namespace("restricted"))}, {"M": manifest(namespace("baseline"))})
    assert [(f.message, f.flagged) for f in report.security] == [
        ("namespace `payments` enforces Pod Security `baseline` (was `restricted`)", True)]
    report, _ = run(tmp_path / "new", {}, {"M": manifest(namespace(None))})
    assert [f.message for f in report.security] == ["namespace `payments` enforces Pod Security `privileged`"]
    report, _ = run(tmp_path / "ok", {"M": manifest(namespace("baseline"))}, {"M": manifest(namespace("restricted"))})
    assert report.security == []


def test_new_cluster_is_judged_by_the_shared_cluster_facts() -> None:
    # GIVEN a new cluster with the endpoint left at EKS's default, two log types and a
    # string "false" for deletion protection (CloudFormation accepts both spellings)
    from eks_blueprint.review.security import security_findings

    cluster = {"Type": "AWS::EKS::Cluster", "Properties": {
        "ResourcesVpcConfig": {"SubnetIds": ["subnet-1"]},
        "Logging": {"ClusterLogging": {"EnabledTypes": [{"Type": "api"}, {"Type": "audit"}]}},
        "EncryptionConfig": [{"Resources": ["configmaps"], "Provider": {"KeyArn": "arn:k"}}],
    }}
    found = dict(security_findings("AWS::EKS::Cluster", None, cluster))
    # THEN the public default is flagged, the missing types listed and secrets not encrypted
    assert found["public API endpoint open to `0.0.0.0/0`"] is True
    assert found["control-plane log types off: `authenticator`, `controllerManager`, "
                 "`scheduler`"] is True
    assert found["Kubernetes secrets are not envelope-encrypted with KMS"] is True
