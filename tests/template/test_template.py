"""The shared template model: values, rendering, assemblies and cluster facts (no aws_cdk)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from eks_blueprint.baseline import CONTROL_PLANE_LOG_TYPES
from eks_blueprint.template import (
    PLACEHOLDER,
    AssemblyError,
    ClusterFacts,
    ExportIndex,
    ResourceRef,
    TemplateView,
    Unresolved,
    as_bool,
    as_int,
    as_list,
    display,
    literal,
    load_assembly,
    references,
    render_text,
    views_of,
)


def test_importing_the_template_model_does_not_load_aws_cdk() -> None:
    # GIVEN a fresh interpreter WHEN the template model, nag's CLI and the review are imported
    code = ("import sys, eks_blueprint.template, eks_blueprint.nag.cli, eks_blueprint.review; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('aws_cdk', 'jsii')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    # THEN neither aws_cdk nor jsii is loaded
    assert result.stdout.strip() == "[]"


def test_flattening_and_scalars() -> None:
    assert as_list(None) == [] and as_list("a") == ["a"] and as_list(["a"]) == ["a"]
    assert as_bool("TRUE") is True and as_bool(False) is False and as_bool({"Ref": "P"}) is None
    assert as_int("12") == 12 and as_int(True) is None and as_int("x") is None


def test_rendering_policy_for_deploy_time_values() -> None:
    join = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/X"]]}
    # Deploy-time parts become the placeholder; literal() refuses them
    assert render_text(join) == f"arn:{PLACEHOLDER}:iam::aws:policy/X"
    assert literal(join) is None and literal("plain") == "plain"
    for fn in ("Fn::If", "Fn::Select", "Fn::ImportValue", "Fn::GetAtt"):
        assert render_text({fn: ["a", "b"]}) == PLACEHOLDER
    assert render_text({"Fn::Sub": "${AWS::Region}-x"}) == "${AWS::Region}-x"
    assert render_text(["a"]) is None
    # For people, references stay visible by name
    assert display(join) == "arn:${AWS::Partition}:iam::aws:policy/X"
    assert display({"Fn::GetAtt": ["Role", "Arn"]}) == "${Role.Arn}"
    assert display({"Fn::If": ["C", 1, 2]}) == "Fn::If([C, 1, 2])"


def test_references_through_ref_getatt_and_sub() -> None:
    value = {"A": {"Ref": "One"}, "B": [{"Fn::GetAtt": "Two.Arn"}, {"Fn::Sub": "${Three.Id}"}]}
    assert references(value) == {"One", "Two", "Three"}


def test_view_follows_imports_between_templates_and_reports_what_it_cannot() -> None:
    exports = ExportIndex()
    producer = TemplateView({"Resources": {"Role": {"Type": "AWS::IAM::Role"}},
                             "Outputs": {"O": {"Value": {"Fn::GetAtt": ["Role", "Arn"]},
                                               "Export": {"Name": "role-arn"}}}}, "P", exports)
    exports.add(producer)
    consumer = TemplateView({"Resources": {}, "Parameters": {"P": {}}}, "C", exports)
    found = consumer.deref({"Fn::ImportValue": "role-arn"})
    assert isinstance(found, ResourceRef) and found.logical_id == "Role"
    missing = consumer.deref({"Fn::ImportValue": "nope"})
    assert isinstance(missing, Unresolved) and "nope" in missing.reason
    parameter = consumer.deref({"Ref": "P"})
    assert isinstance(parameter, Unresolved) and "parameter" in parameter.reason


def _write_assembly(root: Path) -> None:
    """A cdk.out with one stage (nested assembly) holding two stacks, one with tags."""
    stage = root / "assembly-dev"
    stage.mkdir(parents=True)
    (root / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": {
        "assembly-dev": {"type": "cdk:cloud-assembly",
                         "properties": {"directoryName": "assembly-dev", "displayName": "dev"}}}}))
    (stage / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": {
        "devNet": {"type": "aws:cloudformation:stack", "environment": "aws://1/eu-west-1",
                   "displayName": "dev/Net",
                   "properties": {"templateFile": "net.json", "stackName": "dev-net",
                                  "tags": {"team": "platform"},
                                  "requiresBootstrapStackVersion": 6}},
        "devApp": {"type": "aws:cloudformation:stack", "environment": "aws://1/eu-west-1",
                   "displayName": "dev/App",
                   "properties": {"templateFile": "app.json", "stackName": "dev-app"}}}}))
    (stage / "net.json").write_text(json.dumps({
        "Resources": {"Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {}}},
        "Outputs": {"S": {"Value": {"Ref": "Subnet"}, "Export": {"Name": "subnet"}}}}))
    (stage / "app.json").write_text(json.dumps({"Resources": {"Ng": {
        "Type": "AWS::EKS::Nodegroup",
        "Properties": {"Subnets": [{"Fn::ImportValue": "subnet"}]}}}}))


def test_load_assembly_reads_stages_and_views_follow_references(tmp_path: Path) -> None:
    _write_assembly(tmp_path)
    assembly = load_assembly(tmp_path)
    assert sorted(assembly.stacks) == [("dev", "dev-app"), ("dev", "dev-net")]
    assert any(a.properties.get("requiresBootstrapStackVersion") == 6 for a in assembly.artifacts)
    views = views_of(assembly.top_level_stacks())
    by_name = {v.name: v for v in views}
    assert by_name["dev/Net"].stack_name == "dev-net"
    assert dict(by_name["dev/Net"].stack_tags) == {"team": "platform"}
    assert by_name["dev/Net"].size and by_name["dev/Net"].size > 0
    subnet = by_name["dev/App"].deref({"Fn::ImportValue": "subnet"})
    assert isinstance(subnet, ResourceRef) and subnet.logical_id == "Subnet"


def test_load_assembly_refuses_what_is_not_one(tmp_path: Path) -> None:
    with pytest.raises(AssemblyError, match=r"no manifest\.json"):
        load_assembly(tmp_path)
    with pytest.raises(AssemblyError, match="no such directory"):
        load_assembly(tmp_path / "missing")


# --------------------------------------------------------------------------- cluster facts


def _cluster(**props: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ResourcesVpcConfig": {"EndpointPublicAccess": True,
                               "PublicAccessCidrs": ["203.0.113.0/24"]},
        "Logging": {"ClusterLogging": {"EnabledTypes": [{"Type": t}
                                                        for t in CONTROL_PLANE_LOG_TYPES]}},
        "EncryptionConfig": [{"Resources": ["secrets"], "Provider": {"KeyArn": "arn:key"}}],
        "AccessConfig": {"AuthenticationMode": "API"},
        "DeletionProtection": True,
    }
    base.update(props)
    return base


def _describe(public: bool, cidrs: list[str], types: list[str]) -> dict[str, Any]:
    return {"name": "demo",
            "resourcesVpcConfig": {"endpointPublicAccess": public,
                                   "endpointPrivateAccess": True, "publicAccessCidrs": cidrs},
            "logging": {"clusterLogging": [{"types": types, "enabled": True}]},
            "encryptionConfig": [{"resources": ["secrets"], "provider": {"keyArn": "arn:key"}}],
            "accessConfig": {"authenticationMode": "API"},
            "upgradePolicy": {"supportType": "STANDARD"}}


@pytest.mark.parametrize(("vpc", "describe", "expected"), [
    ({"EndpointPublicAccess": False}, (False, ["0.0.0.0/0"]), False),
    ({"EndpointPublicAccess": True}, (True, ["0.0.0.0/0"]), True),
    ({"EndpointPublicAccess": True, "PublicAccessCidrs": ["::/0"]}, (True, ["::/0"]), True),
    ({"EndpointPublicAccess": True, "PublicAccessCidrs": ["203.0.113.0/24"]},
     (True, ["203.0.113.0/24"]), False),
    ({}, (True, ["0.0.0.0/0"]), True),  # not set: EKS's default is a public endpoint
])
def test_one_public_endpoint_predicate_judges_template_and_live_cluster(
        vpc: dict[str, Any], describe: tuple[bool, list[str]], expected: bool) -> None:
    # GIVEN the same endpoint as a template would declare it and as DescribeCluster reports it
    template = ClusterFacts.from_template(_cluster(ResourcesVpcConfig=vpc))
    live = ClusterFacts.from_describe(_describe(*describe, list(CONTROL_PLANE_LOG_TYPES)))
    # THEN one predicate gives one answer
    assert template.public_endpoint_open() is expected
    assert live.public_endpoint_open() is expected


def test_deploy_time_values_are_unknown_not_guessed() -> None:
    facts = ClusterFacts.from_template(_cluster(
        ResourcesVpcConfig={"EndpointPublicAccess": {"Fn::If": ["C", True, False]}},
        Logging={"ClusterLogging": {"EnabledTypes": {"Ref": "Types"}}},
        AccessConfig={"AuthenticationMode": {"Ref": "Mode"}},
        DeletionProtection={"Ref": "Protect"}))
    assert facts.public_endpoint_open() is None
    assert facts.missing_log_types() is None
    assert facts.allows_access_entries() is None
    assert facts.deletion_protected() is None
    cidrs = ClusterFacts.from_template(_cluster(ResourcesVpcConfig={
        "EndpointPublicAccess": True, "PublicAccessCidrs": [{"Ref": "Cidr"}]}))
    assert cidrs.public_endpoint_open() is None


def test_log_types_encryption_and_access_from_both_sides() -> None:
    template = ClusterFacts.from_template(_cluster(
        Logging={"ClusterLogging": {"EnabledTypes": [{"Type": "api"}]}}, EncryptionConfig=None,
        AccessConfig={}, DeletionProtection=None))
    live = ClusterFacts.from_describe({**_describe(True, ["10.0.0.0/8"], ["api"]),
                                       "encryptionConfig": [], "accessConfig": {}})
    for facts in (template, live):
        assert facts.missing_log_types() == CONTROL_PLANE_LOG_TYPES[1:]
        assert facts.secrets_encrypted() is False
        assert facts.effective_authentication_mode() == "CONFIG_MAP"
        assert facts.allows_access_entries() is False
        assert facts.deletion_protected() is False
    assert live.support_type == "STANDARD"
    full = ClusterFacts.from_template(_cluster())
    assert full.missing_log_types() == () and full.secrets_encrypted() is True
    assert ClusterFacts.from_template({"ComputeConfig": {"Enabled": True}}).auto_mode
