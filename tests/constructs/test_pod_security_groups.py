"""PodSecurityGroups, ControlPlaneProps.security_groups_for_pods and the vpc-cni settings of
security groups for pods, as a library user builds them: the groups and their rules, the
SecurityGroupPolicy objects checked against the CRD's schema, the three compliance packs at
synth, and a clear error for every bad prop."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import jsonschema  # type: ignore[import-untyped]  # cfn-lint requires it
import pytest
from aws_cdk.assertions import Match, Template

from eks_blueprint import (
    Addons,
    AddonsProps,
    ControlPlane,
    ControlPlaneProps,
    Network,
    NetworkProps,
    PodSecurityGroups,
    PodSecurityGroupSpec,
    PodSecurityGroupsProps,
    PodTrafficRule,
    availability_zones_context_key,
)
from eks_blueprint.compliance import add_compliance_packs
from eks_blueprint.compute.auto_mode import AutoModeProps
from eks_blueprint.pod_security_groups import security_group_policy

from .clusters import ENV, ZONES, imported, refused, stack_with_vpc

CLUSTER_SG = "sg-0aaaaaaaaaaaaaaaa"
ICMP: Any = "icmp"  # not a protocol the rules accept

#: The SecurityGroupPolicy CRD's openAPIV3Schema, as far as these objects use it, written
#: from aws/amazon-vpc-resource-controller-k8s
#: config/crd/bases/vpcresources.k8s.aws_securitygrouppolicies.yaml (b8d425119bdb): spec
#: has podSelector and serviceAccountSelector (LabelSelectors: matchLabels a string map,
#: matchExpressions key/operator required) and securityGroups.groupIds (strings, minItems
#: 1). additionalProperties false is this test's own strictness: the API server prunes
#: unknown fields silently, which would hide a typo.
_SELECTOR = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}},
        "matchExpressions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["key", "operator"],
                "properties": {
                    "key": {"type": "string"},
                    "operator": {"type": "string"},
                    "values": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}
SGP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": "vpcresources.k8s.aws/v1beta1"},
        "kind": {"const": "SecurityGroupPolicy"},
        "metadata": {
            "type": "object",
            "required": ["name", "namespace"],
            "properties": {"name": {"type": "string"}, "namespace": {"type": "string"}},
        },
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "podSelector": _SELECTOR,
                "serviceAccountSelector": _SELECTOR,
                "securityGroups": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "groupIds": {
                            "type": "array",
                            "items": {"type": "string"},
                            "minItems": 1,
                        }
                    },
                },
            },
        },
    },
}

API = PodSecurityGroupSpec(
    name="api",
    namespace="payments",
    pod_labels={"app.kubernetes.io/name": "api"},
    egress=[
        PodTrafficRule(peer="10.40.0.0/24", port=5432, description="orders database"),
        PodTrafficRule(peer="2600:1f18::/40", port=8000, to_port=8100, protocol="udp"),
    ],
    ingress=[PodTrafficRule(peer="self", port=8080)],
    probe_ports=[8081],
    api_server=True,
)
TENANT = PodSecurityGroupSpec(name="everything", namespace="batch")
WORKERS = PodSecurityGroupSpec(
    name="workers",
    namespace="batch",
    service_account_labels={"role": "worker"},
    cluster_security_group=True,
    security_group_ids=["sg-0123456789abcdef0"],
)


def _build(*specs: PodSecurityGroupSpec) -> tuple[cdk.Stack, PodSecurityGroups]:
    scope, vpc = stack_with_vpc()
    cluster = imported(scope)
    groups = PodSecurityGroups(
        scope,
        "PodSgs",
        props=PodSecurityGroupsProps(
            cluster=cluster, vpc=vpc, cluster_security_group_id=CLUSTER_SG, specs=specs
        ),
    )
    return scope, groups


@pytest.fixture(scope="module")
def template() -> Template:
    scope, _ = _build(API, TENANT, WORKERS)
    return Template.from_stack(scope)


def _group_id(template: Template, name: str) -> str:
    (found,) = [
        k
        for k, r in template.find_resources("AWS::EC2::SecurityGroup").items()
        if r["Properties"]["GroupDescription"].endswith(f"/{name}")
    ]
    return found


def _manifest(template: Template) -> list[dict[str, Any]]:
    (resource,) = template.find_resources("Custom::AWSCDK-EKS-KubernetesResource").values()
    parts = resource["Properties"]["Manifest"]["Fn::Join"][1]
    # The security group ids are GetAtts: replace each by a stand-in id.
    text = "".join(p if isinstance(p, str) else '"sg-0bbbbbbbbbbbbbbbb' for p in parts)
    return list(json.loads(text.replace('""sg-0bbbbbbbbbbbbbbbb"', '"sg-0bbbbbbbbbbbbbbbb"')))


def test_each_group_reaches_dns_only_and_the_cluster_group_lets_it(template: Template) -> None:
    group = template.find_resources("AWS::EC2::SecurityGroup")[_group_id(template, "everything")]
    egress = group["Properties"]["SecurityGroupEgress"]
    assert sorted(
        (r["IpProtocol"], r["FromPort"], r["DestinationSecurityGroupId"]) for r in egress
    ) == [
        ("tcp", 53, CLUSTER_SG),
        ("udp", 53, CLUSTER_SG),
    ]
    for protocol in ("tcp", "udp"):
        template.has_resource_properties(
            "AWS::EC2::SecurityGroupIngress",
            {
                "GroupId": CLUSTER_SG,
                "IpProtocol": protocol,
                "FromPort": 53,
                "ToPort": 53,
                "SourceSecurityGroupId": {
                    "Fn::GetAtt": [_group_id(template, "everything"), "GroupId"]
                },
            },
        )


def test_declared_rules_probes_and_the_api_server(template: Template) -> None:
    api = _group_id(template, "api")
    egress = template.find_resources("AWS::EC2::SecurityGroup")[api]["Properties"][
        "SecurityGroupEgress"
    ]
    assert {"CidrIp": "10.40.0.0/24", "Description": "orders database", "FromPort": 5432,
            "IpProtocol": "tcp", "ToPort": 5432} in egress  # fmt: skip
    assert any(r.get("CidrIpv6") == "2600:1f18::/40" and r["ToPort"] == 8100 for r in egress)
    assert any(r.get("DestinationSecurityGroupId") == CLUSTER_SG and r["FromPort"] == 443
               for r in egress)  # fmt: skip
    template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {"GroupId": CLUSTER_SG, "FromPort": 443, "IpProtocol": "tcp",
         "SourceSecurityGroupId": {"Fn::GetAtt": [api, "GroupId"]}},
    )  # fmt: skip
    group = template.find_resources("AWS::EC2::SecurityGroup")[api]["Properties"]
    assert {"SourceSecurityGroupId": CLUSTER_SG, "FromPort": 8081, "ToPort": 8081,
            "IpProtocol": "tcp", "Description": "kubelet probes from the nodes"} in group[
        "SecurityGroupIngress"]  # fmt: skip
    template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {"GroupId": {"Fn::GetAtt": [api, "GroupId"]}, "FromPort": 8080,
         "SourceSecurityGroupId": {"Fn::GetAtt": [api, "GroupId"]}},
    )  # fmt: skip
    # No group has open egress: no 0.0.0.0/0 anywhere.
    for resource in template.find_resources("AWS::EC2::SecurityGroup").values():
        for rule in resource["Properties"].get("SecurityGroupEgress", []):
            assert rule.get("CidrIp") != "0.0.0.0/0"


def test_one_manifest_with_a_policy_per_spec_that_passes_the_crd_schema(
    template: Template,
) -> None:
    policies = _manifest(template)
    assert [(p["metadata"]["namespace"], p["metadata"]["name"]) for p in policies] == [
        ("payments", "api"),
        ("batch", "everything"),
        ("batch", "workers"),
    ]
    api, tenant, workers = (p["spec"] for p in policies)
    assert api["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "api"}}
    assert tenant == {
        "podSelector": {},  # the whole namespace
        "securityGroups": {"groupIds": ["sg-0bbbbbbbbbbbbbbbb"]},
    }
    assert workers["serviceAccountSelector"] == {"matchLabels": {"role": "worker"}}
    assert workers["securityGroups"]["groupIds"][1:] == ["sg-0123456789abcdef0", CLUSTER_SG]
    for policy in policies:
        policy["metadata"].pop("labels")
        jsonschema.validate(policy, SGP_SCHEMA)


def test_the_schema_check_catches_a_broken_policy() -> None:
    policy = security_group_policy(TENANT, [])
    with pytest.raises(jsonschema.ValidationError, match=r"should be non-empty|too short"):
        jsonschema.validate(policy, SGP_SCHEMA)
    typo = security_group_policy(TENANT, ["sg-0bbbbbbbbbbbbbbbb"])
    typo["spec"]["podSelectors"] = {}
    with pytest.raises(jsonschema.ValidationError, match="podSelectors"):
        jsonschema.validate(typo, SGP_SCHEMA)


def test_a_cluster_passes_the_three_packs_with_security_groups_for_pods() -> None:
    """ControlPlane with the managed policy, Addons with pod ENIs, PodSecurityGroups: the
    compliance packs enforce at synth (any unacknowledged error fails it)."""
    key = availability_zones_context_key(str(ENV.account), str(ENV.region))
    app = cdk.App(context={key: list(ZONES)})
    add_compliance_packs(app)
    stack = cdk.Stack(app, "Team", env=ENV)
    network = Network(stack, "Net", props=NetworkProps(availability_zones=list(ZONES)))
    cp = ControlPlane(
        stack,
        "Eks",
        props=ControlPlaneProps(
            cluster_name="team", version="1.34", vpc=network.vpc, security_groups_for_pods=True
        ),
    )
    Addons(
        stack,
        "Addons",
        props=AddonsProps.node_readiness(
            cluster=cp.icluster, kubernetes_version="1.34", vpc=network.vpc, vpc_cni_pod_eni=True
        ),
    )
    PodSecurityGroups(
        stack,
        "PodSgs",
        props=PodSecurityGroupsProps(
            cluster=cp.icluster,
            vpc=network.vpc,
            cluster_security_group_id=cp.cluster.cluster_security_group_id,
            specs=[API, TENANT],
        ),
    )
    app.synth()
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": Match.object_like(
                {"Statement": [Match.object_like({"Principal": {"Service": "eks.amazonaws.com"}})]}
            ),
            "ManagedPolicyArns": Match.array_with(
                [
                    {
                        "Fn::Join": [
                            "",
                            [
                                "arn:",
                                {"Ref": "AWS::Partition"},
                                ":iam::aws:policy/AmazonEKSVPCResourceController",
                            ],
                        ]
                    }
                ]
            ),
        },
    )
    (cni,) = [
        r
        for r in template.find_resources("AWS::EKS::Addon").values()
        if r["Properties"]["AddonName"] == "vpc-cni"
    ]
    values = json.loads(cni["Properties"]["ConfigurationValues"])
    assert values["env"]["ENABLE_POD_ENI"] == "true"
    assert values["env"]["POD_SECURITY_GROUP_ENFORCING_MODE"] == "standard"
    assert "init" not in values  # standard mode needs no early-demux change


def _cni_values(**props: Any) -> dict[str, Any]:
    scope, vpc = stack_with_vpc()
    cluster = imported(scope, kubectl=False)
    Addons(
        scope,
        "Addons",
        props=AddonsProps.node_readiness(
            cluster=cluster, kubernetes_version="1.34", vpc=vpc, **props
        ),
    )
    (cni,) = [
        r
        for r in Template.from_stack(scope).find_resources("AWS::EKS::Addon").values()
        if r["Properties"]["AddonName"] == "vpc-cni"
    ]
    values: dict[str, Any] = json.loads(cni["Properties"]["ConfigurationValues"])
    return values


def test_strict_mode_switches_tcp_early_demux_off() -> None:
    values = _cni_values(vpc_cni_pod_eni=True, vpc_cni_pod_security_group_enforcing_mode="strict")
    assert values["env"]["POD_SECURITY_GROUP_ENFORCING_MODE"] == "strict"
    assert values["init"] == {"env": {"DISABLE_TCP_EARLY_DEMUX": "true"}}
    without = _cni_values()
    assert "POD_SECURITY_GROUP_ENFORCING_MODE" not in without["env"]
    assert without["env"]["ENABLE_POD_ENI"] == "false"


# -- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prop", "specs"),
    [
        ("PodSecurityGroupsProps.specs", []),
        ("PodSecurityGroupsProps.specs[0].name", [PodSecurityGroupSpec(name="Api", namespace="a")]),
        (
            "PodSecurityGroupsProps.specs[0].namespace",
            [PodSecurityGroupSpec(name="api", namespace="Payments")],
        ),
        (
            "PodSecurityGroupsProps.specs[0].service_account_labels",
            [
                PodSecurityGroupSpec(
                    name="a", namespace="b", pod_labels={}, service_account_labels={}
                )
            ],
        ),
        (
            "PodSecurityGroupsProps.specs[0].pod_labels",
            [PodSecurityGroupSpec(name="a", namespace="b", pod_labels={"app": "no way"})],
        ),
        (
            "PodSecurityGroupsProps.specs[0].egress[0]",
            [
                PodSecurityGroupSpec(
                    name="a", namespace="b", egress=[PodTrafficRule(peer="0.0.0.0/0", port=443)]
                )
            ],
        ),
        (
            "PodSecurityGroupsProps.specs[0].ingress[0]",
            [
                PodSecurityGroupSpec(
                    name="a",
                    namespace="b",
                    ingress=[PodTrafficRule(peer="self", port=90, to_port=80)],
                )
            ],
        ),
        (
            "PodSecurityGroupsProps.specs[0].egress[0]",
            [
                PodSecurityGroupSpec(
                    name="a",
                    namespace="b",
                    egress=[PodTrafficRule(peer="self", port=80, protocol=ICMP)],
                )
            ],
        ),
        # Wrong Python types: a PropError naming the field, not a TypeError from deep inside.
        (
            "PodSecurityGroupsProps.specs[0].egress[0].port",
            [
                PodSecurityGroupSpec(
                    name="a", namespace="b", egress=[PodTrafficRule(peer="self", port="5432")]
                )
            ],
        ),
        (
            "PodSecurityGroupsProps.specs[0].ingress[0]",
            [PodSecurityGroupSpec(name="a", namespace="b", ingress=[{"peer": "self", "port": 80}])],
        ),
        (
            "PodSecurityGroupsProps.specs[0]",
            [{"name": "a", "namespace": "b"}],
        ),
        (
            "PodSecurityGroupsProps.specs[0].probe_ports[0]",
            [PodSecurityGroupSpec(name="a", namespace="b", probe_ports=[0])],
        ),
        (
            "PodSecurityGroupsProps.specs[0].security_group_ids[0]",
            [PodSecurityGroupSpec(name="a", namespace="b", security_group_ids=["sg-1"])],
        ),
        (
            "PodSecurityGroupsProps.specs[0].security_group_ids",
            [
                PodSecurityGroupSpec(
                    name="a",
                    namespace="b",
                    cluster_security_group=True,
                    security_group_ids=[f"sg-0{i}{'0' * 15}" for i in range(4)],
                )
            ],
        ),
        (
            "PodSecurityGroupsProps.specs[0].ingress",
            [PodSecurityGroupSpec(name="a", namespace="b", probe_ports=list(range(1, 62)))],
        ),
        (
            "PodSecurityGroupsProps.specs name",
            [
                PodSecurityGroupSpec(name="a", namespace="b"),
                PodSecurityGroupSpec(name="a", namespace="c"),
            ],
        ),
        # EC2 refuses a rule description outside a-zA-Z0-9 space ._-:/()#,@[]+=&;{}!$*
        # (EC2 API reference, IpRange Description) at deploy time.
        (
            "PodSecurityGroupsProps.specs[0].egress[0]",
            [
                PodSecurityGroupSpec(
                    name="a",
                    namespace="b",
                    egress=[
                        PodTrafficRule(peer="10.0.0.0/16", port=5432, description="orders' DB")
                    ],
                )
            ],
        ),
        # 20 x (DNS TCP, DNS UDP, API) + the cluster group's own rule: 61 inbound rules on
        # the cluster security group, over the default quota of 60.
        (
            "PodSecurityGroupsProps.specs",
            [PodSecurityGroupSpec(name=f"s{i}", namespace="b", api_server=True) for i in range(20)],
        ),
    ],
)
def test_bad_props_are_refused(prop: str, specs: list[PodSecurityGroupSpec]) -> None:
    refused("Platform/PodSgs", prop, _build, *specs)


def test_a_cluster_without_kubectl_is_refused() -> None:
    scope, vpc = stack_with_vpc()
    cluster = imported(scope, kubectl=False)
    refused(
        "Platform/PodSgs",
        "PodSecurityGroupsProps.cluster",
        PodSecurityGroups,
        scope,
        "PodSgs",
        props=PodSecurityGroupsProps(
            cluster=cluster, vpc=vpc, cluster_security_group_id=CLUSTER_SG, specs=[TENANT]
        ),
    )


def test_the_enforcing_mode_needs_pod_enis_and_a_known_value() -> None:
    prop = "AddonsProps.vpc_cni_pod_security_group_enforcing_mode"
    with pytest.raises(ValueError, match=f"{prop} = 'strict'.*vpc_cni_pod_eni is False"):
        _cni_values(vpc_cni_pod_security_group_enforcing_mode="strict")
    with pytest.raises(ValueError, match=f"{prop} = 'loose'.*'standard' or 'strict'"):
        _cni_values(vpc_cni_pod_eni=True, vpc_cni_pod_security_group_enforcing_mode="loose")


def test_security_groups_for_pods_are_refused_with_auto_mode() -> None:
    scope, vpc = stack_with_vpc()
    with pytest.raises(ValueError, match=r"ControlPlaneProps\.security_groups_for_pods = True"):
        ControlPlane(
            scope,
            "Eks",
            props=ControlPlaneProps(
                cluster_name="team",
                version="1.34",
                vpc=vpc,
                auto_mode=AutoModeProps(),
                security_groups_for_pods=True,
                kubectl_provider=False,
            ),
        )


def test_library_export() -> None:
    import eks_blueprint

    for name in ("PodSecurityGroups", "PodSecurityGroupSpec", "PodSecurityGroupsProps",
                 "PodTrafficRule"):  # fmt: skip
        assert getattr(eks_blueprint, name).__module__ == "eks_blueprint.pod_security_groups"
