"""The cdk-nag 3.x pack path: real Cfn* constructs, one App, one ``validate_scope``.

Every case of :mod:`cases` becomes a stack whose resources are real L1 constructs (loaded with
``CfnInclude``, which instantiates ``aws_eks.CfnCluster``, ``aws_ec2.CfnLaunchTemplate``...).
Further stacks build raw L1s by hand, a plain ``aws_eks_v2.Cluster`` and acknowledgements.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks as eks_v1
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import cloudformation_include as cfn_inc

from eks_blueprint.nag import PACK_NAME, EksBestPracticesChecks, Quotas
from tests.conftest import Job, for_fixture, start

from .cases import CASES, Case
from .deploy_cases import DEPLOY_CASES, HEAVY, trust_of

#: The deployability cases loaded as real constructs (the heavy ones stay pure-only).
PACK_DEPLOY_CASES = [c for c in DEPLOY_CASES if c.name not in HEAVY]

ENV = cdk.Environment(account="111111111111", region="eu-west-1")
Violations = dict[str, set[str]]  # rule name -> violating construct paths


def _stack_name(index: int) -> str:
    return f"Case{index}"


def _deploy_stack_name(index: int) -> str:
    return f"Dep{index}"


def _outputs_stack(app: cdk.App) -> None:
    """A stack with 201 outputs: the stack-level finding lands on its first resource."""
    stack = cdk.Stack(app, "Outputs", env=ENV)
    cdk.CfnWaitConditionHandle(stack, "First")
    cdk.CfnWaitConditionHandle(stack, "Second")
    for i in range(201):
        cdk.CfnOutput(stack, f"O{i}", value="x")


def _trust_stack(app: cdk.App) -> None:
    """A role whose trust policy is 3,225 characters: over the default quota of 2,048."""
    stack = cdk.Stack(app, "Trust", env=ENV)
    iam.CfnRole(stack, "Wide", assume_role_policy_document=trust_of(60))


def _raw_l1_stack(app: cdk.App) -> None:
    """Typed L1 constructs written by hand: one bad and one good cluster / node group."""
    stack = cdk.Stack(app, "Raw", env=ENV)
    vpc_config = eks_v1.CfnCluster.ResourcesVpcConfigProperty(subnet_ids=["subnet-0a"])
    eks_v1.CfnCluster(stack, "Open", role_arn="arn:aws:iam::111111111111:role/c",
                      resources_vpc_config=vpc_config)
    eks_v1.CfnCluster(
        stack, "Closed", name="closed", role_arn="arn:aws:iam::111111111111:role/c",
        resources_vpc_config=eks_v1.CfnCluster.ResourcesVpcConfigProperty(
            subnet_ids=["subnet-0a"], endpoint_public_access=False, endpoint_private_access=True),
        access_config=eks_v1.CfnCluster.AccessConfigProperty(
            authentication_mode="API", bootstrap_cluster_creator_admin_permissions=False),
        logging=eks_v1.CfnCluster.LoggingProperty(
            cluster_logging=eks_v1.CfnCluster.ClusterLoggingProperty(enabled_types=[
                eks_v1.CfnCluster.LoggingTypeConfigProperty(type=t) for t in
                ("api", "audit", "authenticator", "controllerManager", "scheduler")])),
        encryption_config=[eks_v1.CfnCluster.EncryptionConfigProperty(
            resources=["secrets"],
            provider=eks_v1.CfnCluster.ProviderProperty(key_arn="arn:aws:kms:eu-west-1:1:key/k"))],
        deletion_protection=True)
    lt = ec2.CfnLaunchTemplate(stack, "Lt", launch_template_data=ec2.CfnLaunchTemplate.
                               LaunchTemplateDataProperty(
                                   metadata_options=ec2.CfnLaunchTemplate.MetadataOptionsProperty(
                                       http_tokens="optional", http_put_response_hop_limit=2)))
    node_role = iam.CfnRole(stack, "NodeRole", assume_role_policy_document={
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "ec2.amazonaws.com"}}]},
        managed_policy_arns=[f"arn:{cdk.Aws.PARTITION}:iam::aws:policy/AmazonEKS_CNI_Policy"])
    public = ec2.CfnSubnet(stack, "Public", vpc_id="vpc-0a", cidr_block="10.0.0.0/24",
                           map_public_ip_on_launch=True)
    eks_v1.CfnNodegroup(
        stack, "Ng", cluster_name="closed", node_role=node_role.attr_arn,
        subnets=[public.ref], ami_type="AL2_x86_64",
        launch_template=eks_v1.CfnNodegroup.LaunchTemplateSpecificationProperty(id=lt.ref),
        remote_access=eks_v1.CfnNodegroup.RemoteAccessProperty(ec2_ssh_key="ops"))


def _v2_default_stack(app: cdk.App) -> None:
    """A plain aws_eks_v2 cluster with library defaults."""
    stack = cdk.Stack(app, "V2", env=ENV)
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    eks.Cluster(stack, "Cluster", version=eks.KubernetesVersion.V1_33, vpc=vpc,
                default_capacity_type=eks.DefaultCapacityType.NODEGROUP, default_capacity=1)


def _ack_stack(app: cdk.App) -> None:
    """Two identical open clusters; one acknowledges EKSBP6 on the resource, one does not."""
    stack = cdk.Stack(app, "Ack", env=ENV)
    for name in ("Acked", "NotAcked"):
        cluster = eks_v1.CfnCluster(
            stack, name, role_arn="arn:aws:iam::111111111111:role/c",
            resources_vpc_config=eks_v1.CfnCluster.ResourcesVpcConfigProperty(
                subnet_ids=["subnet-0a"]))
        if name == "Acked":
            cdk.Validations.of(cluster).acknowledge(
                cdk.Acknowledgment(id=f"{PACK_NAME}-EKSBP6",
                                   reason="test: public endpoint reviewed"))
    # an unresolved verdict is acknowledged by its own granular id
    ng = eks_v1.CfnNodegroup(stack, "ImportedSubnets", cluster_name="c",
                             node_role="arn:aws:iam::111111111111:role/n",
                             subnets=[cdk.Fn.import_value("net-private-a")])
    cdk.Validations.of(ng).acknowledge(cdk.Acknowledgment(
        id=f"{PACK_NAME}-EKSBP14[unresolved]", reason="test: subnets live in the network stack"))


@dataclass(frozen=True)
class Resource:
    construct_path: str


@dataclass(frozen=True)
class Violation:
    """What the tests read of a `cdk.PolicyValidationPluginReport`'s violation."""

    rule_name: str
    description: str
    violating_resources: list[Resource]


@dataclass(frozen=True)
class Report:
    violations: list[Violation]


def validate_cases(out: Path) -> None:
    """Build every stack in ONE app and validate it once; the report's violations into
    `out`/report.json (a background :class:`Job`, started with the session)."""
    app = cdk.App()
    for prefix, cases, name in (("case", CASES, _stack_name),
                                ("dep", PACK_DEPLOY_CASES, _deploy_stack_name)):
        for index, case in enumerate(cases):
            path = out / f"{prefix}-{case.name}.json"
            path.write_text(json.dumps(case.template))
            stack = cdk.Stack(app, name(index), env=ENV)
            cfn_inc.CfnInclude(stack, "Tpl", template_file=str(path))
    _raw_l1_stack(app)
    _v2_default_stack(app)
    _ack_stack(app)
    _outputs_stack(app)
    _trust_stack(app)
    report = EksBestPracticesChecks(app).validate_scope(app)
    (out / "report.json").write_text(json.dumps([
        {"rule_name": v.rule_name, "description": v.description,
         "paths": [str(r.construct_path) for r in v.violating_resources]}
        for v in report.violations
    ]))


VALIDATE = for_fixture("report", Job("tests.nag.test_pack:validate_cases"))


@pytest.fixture(scope="module")
def report() -> Report:
    """The report of :func:`validate_cases`."""
    done = start(VALIDATE).result()
    assert done.process.returncode == 0, done.process.stderr[-5000:]
    found = json.loads((done.out / "report.json").read_text())
    return Report([Violation(v["rule_name"], v["description"],
                             [Resource(p) for p in v["paths"]]) for v in found])


@pytest.fixture(scope="module")
def violations(report: Report) -> Violations:
    found: Violations = {}
    for violation in report.violations:
        found.setdefault(violation.rule_name, set()).update(
            str(r.construct_path) for r in violation.violating_resources)
    return found


def _reported(violations: Violations, rule: str, path: str) -> set[str]:
    """Which of the rule's ids (plain, [unresolved]) report the construct at ``path``."""
    return {name for name in (f"{PACK_NAME}-{rule}", f"{PACK_NAME}-{rule}[unresolved]")
            if path in violations.get(name, set())}


@pytest.mark.parametrize("index_case", list(enumerate(CASES)),
                         ids=lambda ic: f"{ic[1].rule}-{ic[1].name}")
def test_pack_reports_case(violations: Violations, index_case: tuple[int, Case]) -> None:
    index, case = index_case
    path = f"{_stack_name(index)}/Tpl/{case.target}"
    expected = {
        "non-compliant": {f"{PACK_NAME}-{case.rule}"},
        "unresolved": {f"{PACK_NAME}-{case.rule}[unresolved]"},
    }.get(case.expect, set())
    assert _reported(violations, case.rule, path) == expected


@pytest.mark.parametrize(("path", "rules"), [
    ("Raw/Open", ["EKSBP1", "EKSBP2", "EKSBP3", "EKSBP5", "EKSBP6", "EKSBP7"]),
    ("Raw/Ng", ["EKSBP9", "EKSBP10", "EKSBP11", "EKSBP12", "EKSBP14", "EKSBP15"]),
])
def test_raw_l1_findings(violations: Violations, path: str, rules: list[str]) -> None:
    for rule in rules:
        assert _reported(violations, rule, path) == {f"{PACK_NAME}-{rule}"}, rule


def test_raw_l1_compliant_cluster_only_misses_its_log_group(violations: Violations) -> None:
    reported = {name for name, paths in violations.items() if "Raw/Closed" in paths}
    assert reported == {f"{PACK_NAME}-EKSBP8"}


@pytest.mark.parametrize("rule", ["EKSBP1", "EKSBP2", "EKSBP5", "EKSBP6", "EKSBP7"])
def test_v2_cluster_defaults_are_reported(violations: Violations, rule: str) -> None:
    # cdk-nag's own EKS1/EKS2 never fire on aws_eks_v2; this pack does
    assert _reported(violations, rule, "V2/Cluster/Resource") == {f"{PACK_NAME}-{rule}"}


@pytest.mark.parametrize("rule", ["EKSBP10", "EKSBP11", "EKSBP12", "EKSBP15"])
def test_v2_default_nodegroup_is_reported(violations: Violations, rule: str) -> None:
    paths = violations.get(f"{PACK_NAME}-{rule}", set())
    assert any(p.startswith("V2/Cluster/") and "Nodegroup" in p for p in paths), rule


def test_acknowledgement_suppresses_only_the_acknowledged_resource(
        violations: Violations) -> None:
    paths = violations[f"{PACK_NAME}-EKSBP6"]
    assert "Ack/NotAcked" in paths
    assert "Ack/Acked" not in paths
    # other rules on the acknowledged resource still report
    assert "Ack/Acked" in violations[f"{PACK_NAME}-EKSBP1"]


def test_acknowledging_the_unresolved_id(violations: Violations) -> None:
    assert "Ack/ImportedSubnets" not in violations.get(f"{PACK_NAME}-EKSBP14[unresolved]", set())
    # ...while the other rules on that node group still report
    assert "Ack/ImportedSubnets" in violations[f"{PACK_NAME}-EKSBP10"]


def test_pack_mirrors_cdk_nag_constructor() -> None:
    pack = EksBestPracticesChecks(cdk.App(), verbose=True)
    assert pack.name == PACK_NAME
    assert f"{PACK_NAME}-EKSBP1" in pack.rule_ids
    assert f"{PACK_NAME}-EKSDEP1" in pack.rule_ids


@pytest.mark.parametrize("index_case", list(enumerate(PACK_DEPLOY_CASES)),
                         ids=lambda ic: f"{ic[1].rule}-{ic[1].name}")
def test_pack_reports_deployability_case(violations: Violations,
                                         index_case: tuple[int, Case]) -> None:
    index, case = index_case
    path = f"{_deploy_stack_name(index)}/Tpl/{case.target}"
    expected = {
        "non-compliant": {f"{PACK_NAME}-{case.rule}"},
        "unresolved": {f"{PACK_NAME}-{case.rule}[unresolved]"},
    }.get(case.expect, set())
    assert _reported(violations, case.rule, path) == expected


def test_stack_rule_lands_on_the_first_resource(violations: Violations) -> None:
    assert violations[f"{PACK_NAME}-EKSDEP8"] == {"Outputs/First"}


def test_descriptions_carry_what_was_measured(report: Report) -> None:
    # one violation per resource, its description ending with that resource's measurement
    descriptions = {(v.rule_name, str(r.construct_path)): v.description
                    for v in report.violations for r in v.violating_resources}
    assert all(len(v.violating_resources) == 1 for v in report.violations)
    assert descriptions[(f"{PACK_NAME}-EKSDEP8", "Outputs/First")].endswith(
        "\n  201 outputs in the template, 1 over CloudFormation's limit of 200 per stack: drop "
        "outputs nobody reads, or pass values by SSM parameters")
    assert "trust policy is 3,225 characters" in \
        descriptions[(f"{PACK_NAME}-EKSDEP3", "Trust/Wide")]
    # the best-practice rules get their specifics too
    assert "PublicAccessCidrs not set" in descriptions[(f"{PACK_NAME}-EKSBP6", "Raw/Open")]


def test_quotas_from_the_constructor() -> None:
    app = cdk.App()
    _trust_stack(app)
    default = EksBestPracticesChecks(app).validate_scope(app)
    assert f"{PACK_NAME}-EKSDEP3" in {v.rule_name for v in default.violations}
    raised = EksBestPracticesChecks(app, quotas=Quotas(trust_policy_length=4096))
    assert raised.quotas.trust_policy_length == 4096
    assert f"{PACK_NAME}-EKSDEP3" not in {
        v.rule_name for v in raised.validate_scope(app).violations}
