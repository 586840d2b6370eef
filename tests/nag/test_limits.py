"""The deployability rules' measurements: the longest-length renderer, quotas, stack tags and
counts across the stacks of one assembly (pure Python, no aws_cdk)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eks_blueprint.nag import Quotas, Status, TemplateView, evaluate
from eks_blueprint.nag.engine import evaluate_resource, rule_table
from eks_blueprint.nag.lengths import FILLER, UNKNOWN_LENGTH, Longest, known, policy_size, visible
from eks_blueprint.nag.limits import deployability_rules
from eks_blueprint.nag.model import STACK_TYPE
from eks_blueprint.template import ExportIndex

from .cases import cluster
from .deploy_cases import (
    document,
    iam_role,
    managed_policy,
    queue,
    security_group,
    sg_ingress,
    tag_list,
    trust_of,
)

OIDC_ARN_JOIN = {"Fn::Select": [1, {"Fn::Split": [":oidc-provider/", {"Ref": "Oidc"}]}]}


def _verdict(resources: dict[str, Any], target: str, rule: str, *, quotas: Quotas | None = None,
             **view_args: Any) -> Any:
    view = TemplateView({"Resources": resources}, "T", **view_args)
    table = rule_table(quotas) if quotas else rule_table()
    res = view.get(target)
    assert res is not None
    [(_, verdict)] = evaluate_resource(res, [r for r in table if r.id == rule])
    return verdict


# --------------------------------------------------------------------------- the renderer


@pytest.mark.parametrize(("value", "expected"), [
    ({"Ref": "AWS::Region"}, "us-isof-south-1"),
    ({"Ref": "AWS::Partition"}, "aws-us-gov"),
    ({"Ref": "AWS::URLSuffix"}, "amazonaws.com.cn"),
    ({"Ref": "AWS::AccountId"}, "123456789012"),
    ({"Fn::Join": ["-", ["a", {"Ref": "AWS::Region"}]]}, "a-us-isof-south-1"),
    ({"Fn::Sub": "arn:${AWS::Partition}:s3:::${!Literal}"}, "arn:aws-us-gov:s3:::${Literal}"),
    ({"Fn::Sub": ["${X}-y", {"X": "abc"}]}, "abc-y"),
    ({"Fn::If": ["C", "short", "much-longer"]}, "much-longer"),
    ({"Fn::Select": [1, {"Fn::Split": [",", "a,bb,c"]}]}, "bb"),
])
def test_pseudo_parameters_and_functions_render_at_their_longest(value: Any,
                                                                 expected: str) -> None:
    assert Longest(TemplateView({"Resources": {}})).text(value) == expected


def test_resource_references_use_the_documented_shapes() -> None:
    view = TemplateView({"Resources": {
        "C": cluster(Name="shop"),
        "Unnamed": {"Type": "AWS::EKS::Cluster", "Properties": {}},
        "R": iam_role(RoleName="nodes", Path="/eks/"),
        "Q": queue(QueueName="jobs"),
    }}, "T")
    longest = Longest(view)
    assert longest.text({"Ref": "C"}) == "shop"
    # a generated name: <stack 128>-<logical id>-<13 random>, cut to the 100 of EKS
    assert longest.text({"Ref": "Unnamed"}) == FILLER * 100
    assert longest.text({"Fn::GetAtt": ["R", "Arn"]}) == \
        "arn:aws-us-gov:iam::123456789012:role/eks/nodes"
    assert longest.text({"Fn::GetAtt": "Q.Arn"}) == \
        "arn:aws-us-gov:sqs:us-isof-south-1:123456789012:jobs"
    assert "Ref Unnamed (AWS::EKS::Cluster) as 100" in longest.summary()


def test_generated_names_are_bounded_by_the_known_stack_name() -> None:
    resources = {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {}}}
    unknown = Longest(TemplateView({"Resources": resources}, "T")).text({"Ref": "Fn"})
    known_stack = Longest(TemplateView({"Resources": resources}, "T", stack_name="app")) \
        .text({"Ref": "Fn"})
    assert unknown is not None and known_stack is not None
    assert len(unknown) == 64  # Lambda's limit
    assert len(known_stack) == len("app") + 1 + len("Fn") + 1 + 14


def test_oidc_issuer_is_cut_out_of_the_provider_arn_like_cloudformation_would() -> None:
    view = TemplateView({"Resources": {
        "C": cluster(),
        "Oidc": {"Type": "AWS::IAM::OIDCProvider", "Properties": {
            "Url": {"Fn::GetAtt": ["C", "OpenIdConnectIssuerUrl"]}}},
    }}, "T")
    issuer = Longest(view).text({"Fn::Join": ["", [OIDC_ARN_JOIN, ":sub"]]})
    assert issuer == "oidc.eks.us-isof-south-1.amazonaws.com.cn/id/" + FILLER * 32 + ":sub"


def test_imports_are_followed_to_the_exporting_template() -> None:
    exports = ExportIndex()
    network = TemplateView({"Resources": {"Q": queue(QueueName="q" * 80)},
                            "Outputs": {"O": {"Value": {"Ref": "Q"},
                                              "Export": {"Name": "queue-url"}}}}, "Net", exports)
    exports.add(network)
    consumer = TemplateView({"Resources": {}}, "App", exports)
    longest = Longest(consumer)
    url = longest.text({"Fn::ImportValue": "queue-url"})
    assert url == "https://sqs.us-isof-south-1.amazonaws.com.cn/123456789012/" + "q" * 80
    assert longest.unknowns == 0
    missing = Longest(consumer)
    assert missing.text({"Fn::ImportValue": "nope"}) == FILLER * UNKNOWN_LENGTH
    assert missing.unknowns == 1 and "exporting template not loaded" in missing.summary()


def test_unknown_types_parameters_and_dynamic_references_count_the_stated_default() -> None:
    view = TemplateView({
        "Parameters": {"Env": {"Type": "String", "AllowedValues": ["dev", "production"]},
                       "Free": {"Type": "String"}, "Capped": {"Type": "String",
                                                              "MaxLength": 12}},
        "Resources": {"X": {"Type": "AWS::Foo::Bar", "Properties": {}}},
    }, "T")
    longest = Longest(view)
    assert longest.text({"Ref": "Env"}) == "production"
    assert longest.text({"Ref": "Capped"}) == FILLER * 12
    assert longest.unknowns == 0
    assert longest.text({"Ref": "X"}) == FILLER * UNKNOWN_LENGTH
    assert longest.text({"Ref": "Free"}) == FILLER * UNKNOWN_LENGTH
    assert longest.text("{{resolve:ssm:/a/b}}") == FILLER * UNKNOWN_LENGTH
    assert longest.unknowns == 3
    assert "(AWS::Foo::Bar) as 256 (unknown)" in longest.summary(limit=10)


def test_documents_drop_no_value_and_read_cfn_json() -> None:
    view = TemplateView({"Resources": {"Cond": {"Type": "Custom::AWSCDKCfnJson", "Properties": {
        "Value": {"Fn::Join": ["", ['{"', {"Ref": "AWS::Region"}, ':sub":"x"}']]}}}}}, "T")
    rendered = Longest(view).document({
        "Condition": {"StringEquals": {"Fn::GetAtt": ["Cond", "Value"]}},
        "Sid": {"Ref": "AWS::NoValue"},
        "Resource": [{"Ref": "AWS::NoValue"}, "a"],
    })
    assert rendered == {"Condition": {"StringEquals": {"us-isof-south-1:sub": "x"}},
                        "Resource": ["a"]}


def test_policy_size_ignores_white_space_like_iam() -> None:
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*",
                                                   "Resource": "*"}]}
    compact = len(json.dumps(doc, separators=(",", ":")))
    assert policy_size(doc) == compact
    assert policy_size(json.dumps(doc, indent=4)) == compact


def test_known_and_visible_helpers() -> None:
    assert known("a" + FILLER * 3) == "aaaa"
    assert visible("x" + FILLER * 100 + "y") == "x<100 chars>y"


# --------------------------------------------------------------------------- quotas


def test_a_raised_quota_is_honoured() -> None:
    resources = {"R": {"Type": "AWS::IAM::Role",
                       "Properties": {"AssumeRolePolicyDocument": trust_of(60)}}}
    assert _verdict(resources, "R", "EKSDEP3").status is Status.NON_COMPLIANT
    raised = Quotas(trust_policy_length=4096)
    assert _verdict(resources, "R", "EKSDEP3", quotas=raised).status is Status.COMPLIANT
    view = TemplateView({"Resources": resources}, "T")
    assert not [f for f in evaluate(view, quotas=raised) if f.rule_id == "EKSDEP3"]
    assert deployability_rules(raised) is deployability_rules(Quotas(trust_policy_length=4096))


@pytest.mark.parametrize(("overrides", "expected"), [
    (["trust-policy-length=4096"], Quotas(trust_policy_length=4096)),
    (["managed-policies-per-role=20", "nodes-per-node-group=1000"],
     Quotas(managed_policies_per_role=20, nodes_per_node_group=1000)),
    ([], Quotas()),
])
def test_quota_overrides_parse(overrides: list[str], expected: Quotas) -> None:
    assert Quotas().with_overrides(overrides) == expected


@pytest.mark.parametrize(("entry", "message"), [
    ("trust-policy-length", "NAME=NUMBER"),
    ("trust_policy_length=5", "unknown quota"),
    ("trust-policy-length=big", "not a whole number"),
    ("trust-policy-length=0", "at least 1"),
])
def test_bad_quota_overrides_say_what_is_wrong(entry: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Quotas().with_overrides([entry])


def test_every_adjustable_quota_has_a_documented_default() -> None:
    import dataclasses
    import inspect

    from eks_blueprint.nag import quotas

    source = inspect.getsource(quotas.Quotas)
    for field in dataclasses.fields(Quotas):
        assert isinstance(field.default, int) and field.default > 0
        # each default sits under a comment naming its AWS page
        before = source.split(f"    {field.name}:")[0].rsplit("\n\n", 1)[-1]
        assert "quotas" in before.lower(), field.name


# --------------------------------------------------------------------------- context


def test_stack_tags_count_towards_the_fifty() -> None:
    stack_tags = {f"stack{i}": "v" for i in range(45)}
    resources = {"Q": queue(Tags=tag_list(6))}
    verdict = _verdict(resources, "Q", "EKSDEP10", stack_tags=stack_tags)
    assert verdict.status is Status.NON_COMPLIANT
    assert "51 tags, 45 of them from the stack" in verdict.message
    # the same keys on the resource and the stack are one tag
    same = {f"key{i}": "stack" for i in range(6)}
    assert _verdict(resources, "Q", "EKSDEP10", stack_tags={**same, **dict(
        list(stack_tags.items())[:44])}).status is Status.COMPLIANT


def test_computed_tags_are_unresolved_not_guessed() -> None:
    verdict = _verdict({"Q": queue(Tags={"Fn::If": ["C", [], []]})}, "Q", "EKSDEP10")
    assert verdict.status is Status.UNRESOLVED


def test_security_group_rules_in_another_stack_count() -> None:
    # GIVEN a network stack exporting a group with 50 rules and an app stack adding 11
    exports = ExportIndex()
    network = TemplateView({
        "Resources": {"G": security_group([{"IpProtocol": "tcp", "FromPort": p, "ToPort": p,
                                            "CidrIp": "10.0.0.0/8"} for p in range(50)])},
        "Outputs": {"Gid": {"Value": {"Fn::GetAtt": ["G", "GroupId"]},
                            "Export": {"Name": "net-sg"}}}}, "Net", exports)
    app_rules = {f"In{i}": sg_ingress("G", 5000 + i) for i in range(11)}
    for rule in app_rules.values():
        rule["Properties"]["GroupId"] = {"Fn::ImportValue": "net-sg"}
    app = TemplateView({"Resources": app_rules}, "App", exports)
    exports.add(network)
    exports.add(app)
    # WHEN the group is checked THEN the imported rules count
    [finding] = [f for f in evaluate(network) if f.rule_id == "EKSDEP11"]
    assert "61 inbound IPv4 rules" in finding.message


def test_policies_attached_from_another_stack_count_towards_the_role() -> None:
    exports = ExportIndex()
    owner = TemplateView({"Resources": {"R": iam_role(RoleName="shared",
                                                      ManagedPolicyArns=[
                                                          f"arn:aws:iam::aws:policy/P{i}"
                                                          for i in range(10)])}}, "Owner",
                         exports)
    other = TemplateView({"Resources": {"P": managed_policy(document(100),
                                                            roles=["shared"])}}, "Other",
                         exports)
    exports.add(owner)
    exports.add(other)
    [finding] = [f for f in evaluate(owner) if f.rule_id == "EKSDEP4"]
    assert finding.message.startswith("11 managed policies")


def test_stack_findings_come_first_and_name_no_resource() -> None:
    template = {"Resources": {f"W{i}": {"Type": "AWS::CloudFormation::WaitConditionHandle"}
                              for i in range(501)}}
    findings = evaluate(TemplateView(template, "Big"))
    assert [(f.rule_id, f.logical_id, f.resource_type) for f in findings] == [
        ("EKSDEP7", "", STACK_TYPE)]


def test_template_size_uses_the_size_on_disk_when_known() -> None:
    view = TemplateView({"Resources": {}}, "T", size=2 * 1024 * 1024)
    [finding] = evaluate(view)
    assert finding.rule_id == "EKSDEP6" and "2,097,152 bytes (as written)" in finding.message


def test_limit_exceeded_only_by_unbounded_values_is_unresolved() -> None:
    resources = {"R": iam_role(RoleName={"Fn::Join": ["-", [{"Fn::ImportValue": "team"},
                                                            "nodes"]]})}
    verdict = _verdict(resources, "R", "EKSDEP5")
    assert verdict.status is Status.UNRESOLVED
    assert "could not be bounded" in verdict.message


def test_limit_exceeded_even_with_unbounded_values_at_one_character_fails() -> None:
    # 1 unknown character + "-" + 70 = 72 > 64 whatever the import holds
    resources = {"R": iam_role(RoleName={"Fn::Join": ["-", [{"Fn::ImportValue": "team"},
                                                            "r" * 70]]})}
    verdict = _verdict(resources, "R", "EKSDEP5")
    assert verdict.status is Status.NON_COMPLIANT
    assert "RoleName is 327 characters at the longest" in verdict.message


# --------------------------------------------------------------------------- cited numbers


def test_template_size_is_cloudformations_decimal_megabyte() -> None:
    # "Template may not exceed 1000000 bytes in size.": 1,000,000, not 1,048,576
    assert evaluate(TemplateView({"Resources": {}}, "T", size=1_000_000)) == []
    [finding] = evaluate(TemplateView({"Resources": {}}, "T", size=1_000_001))
    assert finding.rule_id == "EKSDEP6"
    assert "1 over CloudFormation's limit of 1,000,000 bytes" in finding.message
    assert "Template may not exceed 1000000 bytes in size." in finding.message


@pytest.mark.parametrize(("kind", "adjustable"), [
    ("AWS::IAM::Role", True), ("AWS::IAM::User", True), ("AWS::IAM::Group", False)])
def test_managed_policy_count_says_which_limit_can_be_raised(kind: str, adjustable: bool) -> None:
    resources = {"I": {"Type": kind, "Properties": {
        "ManagedPolicyArns": [f"arn:aws:iam::aws:policy/P{i}" for i in range(11)]}}}
    verdict = _verdict(resources, "I", "EKSDEP4")
    assert verdict.status is Status.NON_COMPLIANT
    assert ("adjustable: raise it in Service Quotas" in verdict.message) is adjustable
    assert ("--quota" in verdict.message) is adjustable
    if not adjustable:
        assert "IAM's limit of 10 per group (not adjustable)" in verdict.message


def test_inline_policy_names_use_the_iam_name_charset() -> None:
    # printable ASCII that IAM's PolicyName pattern [\w+=,.@-]+ refuses
    for name in ("a:b", "a#b", "a!b", "a%b", "a'b"):
        resources = {"R": iam_role(Policies=[{"PolicyName": name,
                                              "PolicyDocument": document(100)}])}
        verdict = _verdict(resources, "R", "EKSDEP5")
        assert verdict.status is Status.NON_COMPLIANT, name
        assert "Policies[0].PolicyName" in verdict.message


def test_fargate_wildcards_are_allowed_only_in_fargate_selectors() -> None:
    profile = {"Type": "AWS::EKS::FargateProfile", "Properties": {
        "ClusterName": "demo", "PodExecutionRoleArn": "arn:aws:iam::111111111111:role/fp",
        "Selectors": [{"Namespace": "team-?*", "Labels": [{"Key": "tier*", "Value": "*"}]}]}}
    assert _verdict({"Fp": profile}, "Fp", "EKSDEP15").status is Status.COMPLIANT
    # a wildcard does not excuse what stays invalid around it
    profile["Properties"]["Selectors"] = [{"Namespace": "-*"}]
    verdict = _verdict({"Fp": profile}, "Fp", "EKSDEP15")
    assert verdict.status is Status.NON_COMPLIANT and "'-*'" in verdict.message


def test_iam_unique_ids_count_at_the_documented_128() -> None:
    view = TemplateView({"Resources": {"R": iam_role(),
                                       "P": managed_policy(document(100))}}, "T")
    longest = Longest(view)
    assert longest.text({"Fn::GetAtt": ["R", "RoleId"]}) == FILLER * 128
    assert longest.text({"Fn::GetAtt": ["P", "PolicyId"]}) == FILLER * 128


def test_pseudo_parameters_are_the_longest_of_the_sdk_partitions() -> None:
    """The longest region, partition and URL suffix in botocore's partitions.json."""
    import botocore

    from eks_blueprint.nag.lengths import PSEUDO_PARAMETERS

    path = Path(botocore.__file__).parent / "data" / "partitions.json"
    partitions = json.loads(path.read_text())["partitions"]
    regions = [r for p in partitions for r in p["regions"] if not r.endswith("-global")]
    assert len(PSEUDO_PARAMETERS["AWS::Region"]) == max(len(r) for r in regions)
    assert PSEUDO_PARAMETERS["AWS::Region"] in regions
    assert len(PSEUDO_PARAMETERS["AWS::Partition"]) == max(len(p["id"]) for p in partitions)
    assert len(PSEUDO_PARAMETERS["AWS::URLSuffix"]) == max(
        len(p["outputs"]["dnsSuffix"]) for p in partitions)


# --------------------------------------------------------------------- Kubernetes layers


def test_layer_request_size_names_the_layer_its_size_and_the_fix() -> None:
    from .deploy_cases import sized_layer

    # GIVEN a layer whose properties are 150,000 bytes as compact JSON
    resource = sized_layer(2 * 150_000 + 4096)
    # WHEN the size rules check it THEN the error says which layer, how big, and what to do
    verdict = _verdict({"PlatformLayer": resource}, "PlatformLayer", "EKSDEP19")
    assert verdict.status is Status.NON_COMPLIANT
    for part in ("layer platform (PlatformLayer)", "150,000 bytes each",
                 "largest request is 304,096 bytes", "over the 262,144-byte", "Apps/Big (",
                 "split the layer", "move items to another layer", "make values smaller"):
        assert part in verdict.message, part
    # a smaller one passes the error and is warned about from 75 %
    warned = {"PlatformLayer": sized_layer(200_000)}
    assert _verdict(warned, "PlatformLayer", "EKSDEP19").status is Status.COMPLIANT
    warning = _verdict(warned, "PlatformLayer", "EKSDEP20")
    assert warning.status is Status.NON_COMPLIANT
    assert "200,000 bytes, above 196,608 bytes, 75 % of the 262,144-byte" in warning.message
    levels = {r.id: str(r.level) for r in rule_table() if r.id in ("EKSDEP19", "EKSDEP20")}
    assert levels == {"EKSDEP19": "error", "EKSDEP20": "warning"}


def test_layer_names_are_checked_per_item() -> None:
    from .deploy_cases import chart_item, layer, manifest_item, namespace

    resources = {"L": layer(manifest_item("Tenants/Ok", [namespace("ok")]),
                            manifest_item("Tenants/Long", [namespace("n" * 64)]),
                            chart_item("Karpenter/Chart", "r" * 54))}
    verdict = _verdict(resources, "L", "EKSDEP16")
    assert verdict.status is Status.NON_COMPLIANT
    assert "item Tenants/Long: Namespace" in verdict.message
    assert "item Karpenter/Chart: Helm release" in verdict.message
    assert "Tenants/Ok" not in verdict.message
