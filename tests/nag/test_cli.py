"""The command line: templates and cloud assemblies in, findings table/JSON and exit codes out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from eks_blueprint.nag.cli import main

from .cases import compliant_template, subnet
from .conftest import SynthesizedApp

REPO = Path(__file__).resolve().parents[2]

NON_COMPLIANT_YAML = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Cluster:
    Type: AWS::EKS::Cluster
    Properties:
      RoleArn: !GetAtt ClusterRole.Arn
      ResourcesVpcConfig:
        SubnetIds: [!Ref Private]
  ClusterRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Action: sts:AssumeRole
            Principal: {Service: eks.amazonaws.com}
  Private:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: vpc-0a
      CidrBlock: 10.0.0.0/24
      MapPublicIpOnLaunch: true
  Nodes:
    Type: AWS::EKS::Nodegroup
    Properties:
      ClusterName: !Ref Cluster
      NodeRole: !Sub "arn:${AWS::Partition}:iam::111111111111:role/nodes"
      Subnets: [!Ref Private]
      AmiType: AL2023_x86_64_STANDARD
"""


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_yaml_short_form_template_with_errors_exits_1(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cluster.yaml"
    path.write_text(NON_COMPLIANT_YAML)
    code, out, _ = _run(capsys, str(path))
    assert code == 1
    assert "EKSBP6" in out and "cluster.yaml/Cluster" in out
    assert "EKSBP14" in out and "Private" in out  # !Ref to the subnet was followed
    assert "error(s)" in out.splitlines()[-1]


def test_yaml_without_cfn_lint_names_the_extra(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a library install without the tools extra (no cfn-lint)
    for name in [m for m in sys.modules if m == "cfnlint" or m.startswith("cfnlint.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "cfnlint", None)
    path = tmp_path / "cluster.yaml"
    path.write_text(NON_COMPLIANT_YAML)
    # THEN a YAML template is refused with the install command, not a traceback
    code, _, err = _run(capsys, str(path))
    assert code == 2
    assert "pip install 'eks-blueprint[tools]'" in err


def test_json_template_and_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = compliant_template()
    template["Resources"]["Cluster"]["Properties"]["AccessConfig"][
        "BootstrapClusterCreatorAdminPermissions"] = True
    path = tmp_path / "t.json"
    path.write_text(json.dumps(template))
    code, out, _ = _run(capsys, "--format", "json", str(path))
    assert code == 1
    report = json.loads(out)
    assert [(f["rule"], f["resource"], f["level"]) for f in report["findings"]] == [
        ("EKSBP5", "Cluster", "error")]
    assert report["summary"] == {"templates": 1, "errors": 1, "warnings": 0}


def test_compliant_template_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(compliant_template()))
    code, out, _ = _run(capsys, str(path))
    assert code == 0
    assert out.strip() == "0 error(s), 0 warning(s) in 1 template(s)"


def test_warnings_alone_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = compliant_template()
    template["Resources"]["Cluster"]["Properties"].pop("DeletionProtection")  # EKSBP7: warning
    path = tmp_path / "warn.json"
    path.write_text(json.dumps(template))
    code, out, _ = _run(capsys, str(path))
    assert code == 0
    assert "EKSBP7" in out and "warning" in out


@pytest.mark.parametrize(("name", "content", "message"), [
    ("missing.json", None, "no such file or directory"),
    ("bad.json", '{"Resources": ', "invalid JSON"),
    ("bad.yaml", "Resources: [\n", "invalid YAML"),
    ("list.json", "[1, 2]", "not a CloudFormation template"),
    ("notes.txt", "hello world\n", "not a CloudFormation template"),
])
def test_unreadable_input_exits_2_with_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        name: str, content: str | None, message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    code, out, err = _run(capsys, str(path))
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1 and message in err and "Traceback" not in err


def test_directory_without_manifest_exits_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, str(tmp_path))
    assert code == 2 and "no manifest.json" in err


def test_hand_written_assembly_with_nested_stage(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN cdk.out with a stage assembly holding one stack template
    stage = tmp_path / "assembly-Prod"
    stage.mkdir()
    (stage / "ProdEks.template.json").write_text(json.dumps(compliant_template()))
    (stage / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": {
        "ProdEks": {"type": "aws:cloudformation:stack", "displayName": "Prod/Eks",
                    "properties": {"templateFile": "ProdEks.template.json"}}}}))
    (tmp_path / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": {
        "assembly-Prod": {"type": "cdk:cloud-assembly",
                          "properties": {"directoryName": "assembly-Prod"}},
        "Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}}}}))
    # WHEN / THEN the nested stack is found and checked
    code, out, _ = _run(capsys, "--format", "json", str(tmp_path))
    assert code == 0
    assert json.loads(out)["summary"]["templates"] == 1


def test_synthesized_cloud_assembly(
        synthesized: SynthesizedApp, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--format", "json", str(synthesized.outdir))
    assert code == 1
    findings = {(f["stack"], f["resource"], f["rule"], f["status"])
                for f in json.loads(out)["findings"]}
    assert ("Compute", "Cluster", "EKSBP6", "non-compliant") in findings
    assert ("Compute", "Ng", "EKSBP14", "non-compliant") in findings  # via Fn::ImportValue
    assert not any(rule == "EKSBP7" for _, _, rule, _ in findings)  # property override seen


def test_module_entry_point_runs_without_aws_cdk(tmp_path: Path) -> None:
    # `python -m eks_blueprint.nag` must not import aws_cdk/jsii (fast start, no Node.js)
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(compliant_template()))
    probe = ("import runpy, sys; sys.argv = ['eks-blueprint-nag', sys.argv[1]]\n"
             "try:\n    runpy.run_module('eks_blueprint.nag', run_name='__main__')\n"
             "except SystemExit as e:\n"
             "    assert not {'aws_cdk', 'jsii', 'cdk_nag'} & set(sys.modules), 'cdk imported'\n"
             "    raise\n")
    result = subprocess.run([sys.executable, "-c", probe, str(path)], cwd=REPO,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "0 error(s)" in result.stdout


@pytest.mark.parametrize(("public", "status"), [(True, "non-compliant"), (False, None)])
def test_fn_get_stack_output_is_followed_across_stacks(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], public: bool, status: str | None
) -> None:
    # GIVEN a network stack exporting a subnet as an output, and a node group in another
    # stack referencing it with Fn::GetStackOutput (what aws-cdk-lib 2.275 renders)
    network = {"Resources": {"Sub": subnet(public=public)},
               "Outputs": {"SubOut": {"Value": {"Ref": "Sub"}}}}
    compute = {"Resources": {"Ng": {"Type": "AWS::EKS::Nodegroup", "Properties": {
        "ClusterName": "c", "NodeRole": "arn:aws:iam::111111111111:role/n",
        "AmiType": "AL2023_x86_64_STANDARD",
        "Subnets": [{"Fn::GetStackOutput": {"StackName": "env-network", "Region": "eu-west-1",
                                            "OutputName": "SubOut"}}]}}}}
    (tmp_path / "Net.template.json").write_text(json.dumps(network))
    (tmp_path / "Compute.template.json").write_text(json.dumps(compute))
    (tmp_path / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": {
        name: {"type": "aws:cloudformation:stack",
               "properties": {"templateFile": f"{name}.template.json", "stackName": stack}}
        for name, stack in (("Net", "env-network"), ("Compute", "env-compute"))}}))
    # WHEN the assembly is checked
    _, out, _ = _run(capsys, "--format", "json", str(tmp_path))
    # THEN the subnet is resolved through the other stack's output, not reported unresolved
    rows = {(f["rule"], f["status"]) for f in json.loads(out)["findings"] if f["rule"] == "EKSBP14"}
    assert rows == ({("EKSBP14", status)} if status else set())


# --------------------------------------------------------------------------- deployability


def _waits(count: int) -> dict[str, dict[str, str]]:
    return {f"W{i}": {"Type": "AWS::CloudFormation::WaitConditionHandle"} for i in range(count)}


def test_stack_level_finding_names_the_stack_only(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a template with 501 resources (CloudFormation allows 500 per stack)
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"Resources": _waits(501)}))
    # WHEN checked, as a table and as JSON
    code, out, _ = _run(capsys, str(path))
    # THEN the finding is about the stack, not a resource, and fails the run
    assert code == 1
    [row] = [line for line in out.splitlines() if line.startswith("EKSDEP7")]
    assert row.split()[:3] == ["EKSDEP7", "error", "big.json"]
    assert "501 resources" in row
    _, out, _ = _run(capsys, "--format", "json", str(path))
    [finding] = json.loads(out)["findings"]
    assert (finding["rule"], finding["stack"], finding["resource"], finding["type"]) == (
        "EKSDEP7", "big.json", "", "AWS::CloudFormation::Stack")


def test_template_size_is_measured_as_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a template that is small as data but over 1 MB on disk (CloudFormation reads bytes)
    path = tmp_path / "padded.json"
    path.write_text(json.dumps(compliant_template()) + " " * (1024 * 1024))
    code, out, _ = _run(capsys, str(path))
    assert code == 1
    assert "EKSDEP6" in out and "(as written)" in out


def _trust_template(principals: int) -> dict[str, object]:
    return {"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"AWS": [f"arn:aws:iam::111111111111:role/caller-number-{i:04}"
                                  for i in range(principals)]}}]}}}}}


def test_quota_override_on_the_command_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a role whose trust policy (3,225 characters) is over the default quota of 2,048
    path = tmp_path / "trust.json"
    path.write_text(json.dumps(_trust_template(60)))
    code, out, _ = _run(capsys, str(path))
    assert code == 1 and "EKSDEP3" in out and "quota of 2,048" in out
    # WHEN the account raised it to 4,096 THEN the template passes
    code, out, _ = _run(capsys, "--quota", "trust-policy-length=4096", str(path))
    assert code == 0, out
    # ...but not when raised too little
    code, out, _ = _run(capsys, "--quota", "trust-policy-length=3000", str(path))
    assert code == 1 and "quota of 3,000" in out


@pytest.mark.parametrize(("quota", "message"), [
    ("trust-policy-length", "NAME=NUMBER"),
    ("no-such-quota=1", "unknown quota 'no-such-quota'; known quotas: trust-policy-length"),
    ("trust-policy-length=x", "not a whole number"),
])
def test_bad_quota_exits_2_with_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], quota: str, message: str) -> None:
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(compliant_template()))
    code, out, err = _run(capsys, "--quota", quota, str(path))
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and message in err


def test_stack_tags_from_the_manifest_count(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN an assembly whose stack carries 48 tags (CloudFormation propagates them) and a
    # queue with 3 tags of its own
    template = {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {
        "Tags": [{"Key": f"own{i}", "Value": "v"} for i in range(3)]}}}}
    (tmp_path / "App.template.json").write_text(json.dumps(template))
    (tmp_path / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": {
        "App": {"type": "aws:cloudformation:stack", "properties": {
            "templateFile": "App.template.json", "stackName": "app",
            "tags": {f"stack{i}": "v" for i in range(48)}}}}}))
    # WHEN checked THEN the queue has 51 tags
    code, out, _ = _run(capsys, "--format", "json", str(tmp_path))
    assert code == 1
    [finding] = [f for f in json.loads(out)["findings"] if f["rule"] == "EKSDEP10"]
    assert finding["resource"] == "Q"
    assert "51 tags, 48 of them from the stack" in finding["finding"]
