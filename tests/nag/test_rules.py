"""Each rule as a pure function over hand-made CloudFormation (no aws_cdk, milliseconds)."""

from __future__ import annotations

import pytest

from eks_blueprint.nag import RULES, Level, Rule, StackRule, Status, TemplateView, evaluate
from eks_blueprint.nag.engine import evaluate_resource, evaluate_stack, rule_table
from eks_blueprint.template import ExportIndex

from .cases import CASES, Case, compliant_template, node_stack, nodegroup
from .deploy_cases import DEPLOY_CASES, STACK_CASES, StackCase

RULE_BY_ID = {rule.id: rule for rule in rule_table()}


@pytest.mark.parametrize("case", CASES + DEPLOY_CASES, ids=lambda c: f"{c.rule}-{c.name}")
def test_rule_verdict(case: Case) -> None:
    # GIVEN a small template WHEN the rule runs on its target THEN it reaches the expected verdict
    view = TemplateView(case.template, "T")
    res = view.get(case.target)
    assert res is not None
    [(_, verdict)] = evaluate_resource(res, [RULE_BY_ID[case.rule]])
    assert verdict.status == Status(case.expect), verdict.message
    if verdict.is_finding:
        assert verdict.message


@pytest.mark.parametrize("case", STACK_CASES, ids=lambda c: f"{c.rule}-{c.name}")
def test_stack_rule_verdict(case: StackCase) -> None:
    # GIVEN a whole template WHEN the stack rule runs THEN it reaches the expected verdict
    [(_, verdict)] = evaluate_stack(TemplateView(case.template, "T"), [RULE_BY_ID[case.rule]])
    assert verdict.status == Status(case.expect), verdict.message
    if verdict.is_finding:
        assert verdict.message


def test_every_rule_has_a_compliant_and_a_non_compliant_case() -> None:
    for rule in rule_table():
        cases: list[Case] | list[StackCase] = (
            STACK_CASES if isinstance(rule, StackRule) else CASES + DEPLOY_CASES)
        outcomes = {c.expect for c in cases if c.rule == rule.id}
        assert {"compliant", "non-compliant"} <= outcomes, rule.id


def test_rule_table_is_well_formed() -> None:
    ids = [rule.id for rule in RULES]
    assert ids == [f"EKSBP{n}" for n in range(1, len(RULES) + 1)]
    deploy = [rule.id for rule in rule_table()[len(RULES):]]
    assert deploy == [f"EKSDEP{n}" for n in range(1, len(deploy) + 1)]
    for rule in rule_table():
        assert rule.info and rule.explanation and "Fix" in rule.explanation, rule.id
        assert rule.level in (Level.ERROR, Level.WARNING)
        assert isinstance(rule, Rule | StackRule)


def test_compliant_template_has_no_findings() -> None:
    assert evaluate(TemplateView(compliant_template(), "T")) == []


def test_unresolved_verdicts_are_warnings_even_for_error_rules() -> None:
    template = {"Resources": node_stack(nodegroup(Subnets=[{"Fn::ImportValue": "x"}]))}
    [finding] = [f for f in evaluate(TemplateView(template, "T")) if f.rule_id == "EKSBP14"]
    assert RULE_BY_ID["EKSBP14"].level is Level.ERROR
    assert finding.level is Level.WARNING
    assert finding.status is Status.UNRESOLVED
    assert "cannot resolve Fn::ImportValue 'x'" in finding.message


def test_import_value_is_followed_to_the_exporting_template() -> None:
    # GIVEN a network template exporting a public subnet and a compute template importing it
    exports = ExportIndex()
    network = TemplateView(
        {"Resources": {"Pub": node_stack(public=True)["Private"]},
         "Outputs": {"PubId": {"Value": {"Ref": "Pub"}, "Export": {"Name": "net-pub"}}}},
        "Network", exports)
    compute = TemplateView(
        {"Resources": node_stack(nodegroup(Subnets=[{"Fn::ImportValue": "net-pub"}]))},
        "Compute", exports)
    exports.add(network)
    # WHEN the subnet rule runs THEN it sees the exported subnet maps public IPs
    [finding] = [f for f in evaluate(compute) if f.rule_id == "EKSBP14"]
    assert finding.status is Status.NON_COMPLIANT
    assert "Pub" in finding.message


def test_findings_name_what_is_missing() -> None:
    template = {"Resources": {"C": {"Type": "AWS::EKS::Cluster", "Properties": {
        "Logging": {"ClusterLogging": {"EnabledTypes": [{"Type": "api"}, {"Type": "audit"}]}}}}}}
    messages = {f.rule_id: f.message for f in evaluate(TemplateView(template, "T"))}
    assert messages["EKSBP1"] == ("control-plane log types not enabled: authenticator, "
                                  "controllerManager, scheduler")
    assert "PublicAccessCidrs not set" in messages["EKSBP6"]
    assert "defaults to true" in messages["EKSBP5"]


def test_rule_counts_come_from_the_table() -> None:
    from eks_blueprint.nag import rule_counts

    counts = rule_counts()
    assert counts == {"EKSBP": len(RULES), "EKSDEP": len(rule_table()) - len(RULES)}
    assert counts["EKSBP"] >= 25


def test_catalog_refuses_a_duplicate_or_foreign_id() -> None:
    from eks_blueprint.nag.catalog import Catalog
    from eks_blueprint.nag.model import Verdict

    catalog = Catalog("EKSBP")

    @catalog.rule("EKSBP1", Level.ERROR, "AWS::EKS::Cluster", "info", "Fix: x")
    def first(res: object) -> Verdict:
        return Verdict.ok()

    with pytest.raises(ValueError, match="declared twice"):
        @catalog.rule("EKSBP1", Level.ERROR, "AWS::EKS::Cluster", "info", "Fix: x")
        def second(res: object) -> Verdict:
            return Verdict.ok()
    with pytest.raises(ValueError, match="does not belong"):
        catalog.stack("EKSDEP1", "info", "Fix: x")(first)
    assert len(catalog) == 1 and catalog.ids() == ["EKSBP1"]
