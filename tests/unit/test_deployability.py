"""Deploy blockers no schema catches, fixed in our own stacks.

The EKS pack's deployability rules measure every managed policy at synth, and
tests/nag/test_headroom.py at the longest names the config allows; these tests pin the fixes:
the CLI synthesises every environment with `--no-lookups`, the Load Balancer Controller and
Karpenter permissions are split by concern (so each policy stays under IAM's 6,144
characters) without losing a statement, and the cluster holds the network by strong
references.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.conftest import ENVIRONMENTS, SESSION_SYNTH, Finished, SynthResult, resources_of
from tests.pipeline_app import PipelineSynth


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_no_stage_needs_context_lookups(synth: SynthResult, env: str) -> None:
    # A `missing` entry makes the CLI run the app twice and `--no-lookups` fail.
    manifest = json.loads((synth.outdir / f"assembly-{env}" / "manifest.json").read_text())
    assert "missing" not in manifest, manifest.get("missing")


# The CDK CLI, offline, every environment: the session's synth (tests/conftest.py).
@pytest.mark.background(SESSION_SYNTH)
def test_cli_synthesises_every_environment_without_lookups(background: Finished) -> None:
    result, tmp_path = background.process, background.out
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(p.name for p in tmp_path.glob("assembly-*")) == [
        f"assembly-{env}" for env in sorted(ENVIRONMENTS)
    ]


def _without_cli_metadata(template: dict[str, Any]) -> dict[str, Any]:
    """`template` without what the CLI adds by default: the CDKMetadata resource (and its
    condition) and the aws:cdk:path and aws:asset:* metadata of each resource."""
    found = copy.deepcopy(template)
    found["Resources"].pop("CDKMetadata", None)
    conditions = found.get("Conditions", {})
    conditions.pop("CDKMetadataAvailable", None)
    if "Conditions" in found and not conditions:
        del found["Conditions"]
    for resource in found["Resources"].values():
        metadata = resource.get("Metadata", {})
        for key in [k for k in metadata if k == "aws:cdk:path" or k.startswith("aws:asset:")]:
            del metadata[key]
        if "Metadata" in resource and not metadata:
            del resource["Metadata"]
    return found


def test_the_sessions_cli_flags_change_only_metadata(
    pipeline_synth: PipelineSynth, synth: SynthResult
) -> None:
    # The session's synth adds IN_PROCESS_FLAGS (tests/conftest.py): its templates are the
    # users' (the pipeline app's stages, synthesised by the users' exact command) but for
    # the metadata those flags leave out.
    users = SynthResult.read(pipeline_synth.outdir, list(ENVIRONMENTS))
    assert users.templates.keys() == synth.templates.keys()
    for env, kinds in users.templates.items():
        assert kinds.keys() == synth.templates[env].keys()
        for kind, template in kinds.items():
            assert "CDKMetadata" in template["Resources"], (env, kind)
            assert _without_cli_metadata(template) == synth.template(env, kind), (env, kind)


def _policies(template: dict[str, Any], description: str) -> list[dict[str, Any]]:
    return [
        p["Properties"]
        for p in resources_of(template, "AWS::IAM::ManagedPolicy").values()
        if description in p["Properties"].get("Description", "")
    ]


@pytest.mark.parametrize(
    ("description", "count", "sids"),
    [
        (
            "AWS Load Balancer Controller",
            3,
            {"ServiceLinkedRole", "Describe", "WafShield", "CreateSecurityGroup",
             "TagNewSecurityGroup", "RetagOwnSecurityGroup", "SecurityGroupRules",
             "DeleteOwnSecurityGroup", "CreateLoadBalancer", "ListenersAndRules",
             "RetagOwnLoadBalancer", "TagListeners", "TagOnCreate", "ModifyOwnLoadBalancer",
             "Targets", "ListenerSettings", "ModifyOwnListenerAttributes"},
        ),
        (
            "Karpenter v1 controller",
            3,
            {"AllowScopedEC2InstanceAccessActions", "AllowScopedEC2LaunchTemplateAccessActions",
             "AllowScopedEC2InstanceActionsWithTags", "AllowScopedResourceCreationTagging",
             "AllowScopedResourceTagging", "AllowScopedDeletion", "AllowRegionalReadActions",
             "AllowSSMReadActions", "AllowPricingReadActions", "AllowInterruptionQueueActions",
             "AllowAPIServerEndpointDiscovery", "AllowPassingInstanceRole",
             "AllowScopedInstanceProfileCreationActions", "AllowScopedInstanceProfileTagActions",
             "AllowScopedInstanceProfileActions", "AllowInstanceProfileReadActions",
             "AllowUnscopedInstanceProfileListAction"},
        ),
    ],
)
def test_split_policies_together_grant_every_statement_once_to_one_role(
    synth: SynthResult, description: str, count: int, sids: set[str]
) -> None:
    template = synth.template("prod", "cluster")
    policies = _policies(template, description)
    assert len(policies) == count
    found = [s["Sid"] for p in policies for s in p["PolicyDocument"]["Statement"]]
    assert sorted(found) == sorted(sids)
    roles = {json.dumps(p.get("Roles")) for p in policies}
    if description.startswith("Karpenter"):
        assert len(roles) == 1 and "null" not in roles
    else:  # attached through the role's ManagedPolicyArns
        ids = {k for k, v in resources_of(template, "AWS::IAM::ManagedPolicy").items()
               if description in v["Properties"].get("Description", "")}
        holders = [r for r in resources_of(template, "AWS::IAM::Role").values()
                   if ids & {a.get("Ref") for a in r["Properties"].get("ManagedPolicyArns", [])
                             if isinstance(a, dict)}]
        assert len(holders) == 1
        arns = {a.get("Ref") for a in holders[0]["Properties"]["ManagedPolicyArns"] if isinstance(a, dict)}
        assert ids <= arns


def test_karpenter_may_launch_into_capacity_reservations(synth: SynthResult) -> None:
    statements = {
        s["Sid"]: s
        for p in _policies(synth.template("prod", "cluster"), "Karpenter v1 controller")
        for s in p["PolicyDocument"]["Statement"]
    }
    resources = json.dumps(statements["AllowScopedEC2InstanceActionsWithTags"]["Resource"])
    assert ":capacity-reservation/*" in resources
    # ... but, as in the reference policy, does not tag them.
    tagging = json.dumps(statements["AllowScopedResourceCreationTagging"]["Resource"])
    assert ":capacity-reservation/*" not in tagging


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_cluster_holds_the_network_by_strong_references(synth: SynthResult, env: str) -> None:
    # Exports imported by the cluster stack: CloudFormation refuses to delete the network
    # stack, or to change or remove a subnet or VPC output, while the cluster imports it.
    exports = {
        o["Export"]["Name"]
        for o in synth.template(env, "network").get("Outputs", {}).values()
        if "Export" in o
    }
    cluster = json.dumps(synth.template(env, "cluster"))
    assert "Fn::GetStackOutput" not in cluster
    imported = {e for e in exports if f'"Fn::ImportValue": "{e}"' in cluster}
    assert any("PrivateSubnet" in e for e in imported) and any("Vpc" in e for e in imported)
    assert imported == exports  # nothing exported that nobody holds on to


OPEN_REASON = "a throwaway sandbox reached from changing home networks, torn down nightly"


@pytest.fixture(scope="module")
def variant_report(configs: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """dev with two documented edge cases, synthesised with every gate: an open public
    endpoint opted into with a reason, and an admin whose role name is a viewer's in another
    account (they once collided as construct ids)."""
    from stacks.app_builder import build_app

    dev = configs["dev"]
    endpoint = dev.cluster.endpoint.model_copy(
        update={"public_cidrs": ["0.0.0.0/0"], "allow_open_public_endpoint": True,
                "open_public_endpoint_reason": OPEN_REASON}
    )
    cluster = dev.cluster.model_copy(update={
        "endpoint": endpoint,
        "admins": ["arn:aws:iam::111111111111:role/Developer"],
        "viewers": ["arn:aws:iam::222222222222:role/Developer"],
    })
    variant = dev.model_copy(update={"cluster": cluster})
    outdir = tmp_path_factory.mktemp("variant")
    build_app([variant], outdir=str(outdir)).synth()  # raises if a gate fails
    report: dict[str, Any] = json.loads((outdir / "validation-report.json").read_text())
    report["templates"] = {
        p.name: json.loads(p.read_text()) for p in outdir.glob("assembly-dev/*.template.json")
    }
    return report


def test_an_opted_in_open_endpoint_reaches_the_pack_as_an_acknowledgement(
    variant_report: dict[str, Any],
) -> None:
    reasons = [
        s["reason"]
        for plugin in variant_report["pluginReports"]
        for s in plugin.get("suppressedViolations", [])
        if s["acknowledgedId"] == "EksBestPractices::EksBestPractices-EKSBP6"
    ]
    assert reasons and all(OPEN_REASON in r for r in reasons)


def test_one_role_name_in_two_accounts_gets_two_access_entries(
    variant_report: dict[str, Any],
) -> None:
    cluster = next(t for n, t in variant_report["templates"].items() if "Cluster" in n)
    principals = sorted(
        r["Properties"]["PrincipalArn"]
        for r in cluster["Resources"].values()
        if r["Type"] == "AWS::EKS::AccessEntry" and isinstance(r["Properties"]["PrincipalArn"], str)
        and r["Properties"]["PrincipalArn"].endswith("role/Developer")
    )
    assert principals == [
        "arn:aws:iam::111111111111:role/Developer",
        "arn:aws:iam::222222222222:role/Developer",
    ]
