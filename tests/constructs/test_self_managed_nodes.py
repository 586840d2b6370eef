"""SelfManagedNodeGroups as a library user builds it: explicit props, no configuration file.
The launch template, the bootstrap user data (parsed back as YAML and TOML), the AMI from
SSM or a custom id, the access entry, the rolling update, the tags, the compliance packs, and
a PropError for every bad prop."""

from __future__ import annotations

import email
import email.message
import json
import tomllib
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
import yaml
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk.assertions import Template

from eks_blueprint.addons.addons import Addons, AddonsProps
from eks_blueprint.compliance import add_compliance_packs
from eks_blueprint.compute.self_managed import (
    ROLLING_UPDATE_SUSPENDED_PROCESSES,
    SelfManagedNodeGroups,
    SelfManagedNodeGroupSpec,
    SelfManagedNodeGroupsProps,
    al2023_user_data,
    bottlerocket_user_data,
)
from eks_blueprint.compute.taints import Taint
from eks_blueprint.config.self_managed import (
    cluster_dns_ip,
    eks_default_service_cidr,
    optimized_ami_parameter,
)
from eks_blueprint.preflight.amis import ami_parameter
from eks_blueprint.wiring import capacity_of
from tests.conftest import resources_of

from .clusters import KUBECTL_TOKEN, refused
from .scaffold import defined_cluster, stack, vpc

ENDPOINT = "https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com"
CA = "Q0VSVElGSUNBVEU="
CLUSTER_SG = "sg-0123456789abcdef0"
CIDR = "172.20.0.0/16"
X86 = ("m7i.large", "m6i.large")
ARM = ("m7g.large",)
ASG = "AWS::AutoScaling::AutoScalingGroup"
LT = "AWS::EC2::LaunchTemplate"
PATH = "Platform/Nodes"


def imported(scope: cdk.Stack, **attributes: Any) -> eks.ICluster:
    """An imported cluster with what self-managed nodes need (less what `attributes` drop)."""
    settings: dict[str, Any] = {
        "cluster_name": "platform",
        "vpc": vpc(scope),
        "cluster_endpoint": ENDPOINT,
        "cluster_certificate_authority_data": CA,
        "cluster_security_group_id": CLUSTER_SG,
        **attributes,
    }
    return eks.Cluster.from_cluster_attributes(
        scope, "Cluster", **{k: val for k, val in settings.items() if val is not None}
    )


def props(
    cluster: eks.ICluster | eks.Cluster, *groups: SelfManagedNodeGroupSpec, **changes: Any
) -> SelfManagedNodeGroupsProps:
    settings: dict[str, Any] = {
        "cluster": cluster,
        "cluster_name": "platform",
        "kubernetes_version": "1.34",
        "service_ipv4_cidr": CIDR,
        "groups": groups,
        **changes,
    }
    return SelfManagedNodeGroupsProps(**settings)


def build(
    *groups: SelfManagedNodeGroupSpec, **changes: Any
) -> tuple[cdk.Stack, SelfManagedNodeGroups]:
    scope = stack()
    nodes = SelfManagedNodeGroups(scope, "Nodes", props=props(imported(scope), *groups, **changes))
    return scope, nodes


def template_json(scope: cdk.Stack) -> dict[str, Any]:
    return dict(Template.from_stack(scope).to_json())


def only(template: dict[str, Any], type_: str) -> dict[str, Any]:
    (found,) = resources_of(template, type_).values()
    return dict(found)


def user_data_text(template: dict[str, Any], launch_template: dict[str, Any]) -> str:
    """The user data as the instance would read it, the tokens of the imported cluster
    being literals already (a Fn::Join of strings only)."""
    encoded = launch_template["Properties"]["LaunchTemplateData"]["UserData"]["Fn::Base64"]
    if isinstance(encoded, str):
        return encoded
    separator, parts = encoded["Fn::Join"]
    assert all(isinstance(p, str) for p in parts), parts
    return str(separator.join(parts))


def node_config(text: str) -> dict[str, Any]:
    """The nodeadm NodeConfig inside the MIME multi-part user data."""
    message = email.message_from_string(text)
    assert message.is_multipart()
    parts = message.get_payload()
    assert isinstance(parts, list) and len(parts) == 1
    part = parts[0]
    assert isinstance(part, email.message.Message)
    assert part.get_content_type() == "application/node.eks.aws"
    return dict(yaml.safe_load(str(part.get_payload())))


# -- what a group is made of ----------------------------------------------------------------


def test_defaults_harden_the_template_and_read_the_ami_from_ssm_at_deploy() -> None:
    scope, nodes = build(SelfManagedNodeGroupSpec(name="hardened", instance_types=X86))
    template = template_json(scope)
    # THEN the AMI is a CloudFormation parameter reading EKS's public SSM parameter (no lookup)
    parameters = [
        p
        for p in template["Parameters"].values()
        if p["Type"] == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"
    ]
    assert [p["Default"] for p in parameters] == [
        "/aws/service/eks/optimized-ami/1.34/amazon-linux-2023/x86_64/standard/recommended/image_id"
    ]
    data = only(template, LT)["Properties"]["LaunchTemplateData"]
    assert "Ref" in data["ImageId"]
    # AND IMDSv2 only with hop limit 1, no key pair, the cluster security group
    assert data["MetadataOptions"] == {
        "HttpEndpoint": "enabled",
        "HttpTokens": "required",
        "HttpPutResponseHopLimit": 1,
    }
    assert "KeyName" not in data and "NetworkInterfaces" not in data
    assert data["SecurityGroupIds"] == [CLUSTER_SG]
    assert data["Monitoring"] == {"Enabled": False}
    # AND one encrypted 50 GiB gp3 root volume
    assert data["BlockDeviceMappings"] == [
        {
            "DeviceName": "/dev/xvda",
            "Ebs": {
                "DeleteOnTermination": True,
                "Encrypted": True,
                "VolumeSize": 50,
                "VolumeType": "gp3",
            },
        }
    ]
    assert nodes.max_pods == {"hardened": 110}


def test_al2023_user_data_is_a_complete_nodeadm_node_config() -> None:
    spec = SelfManagedNodeGroupSpec(
        name="hardened",
        instance_types=X86,
        labels={"role": "apps"},
        taints=[Taint("example.com/dedicated", "NoSchedule", "apps"), Taint("spot", "NoExecute")],
    )
    scope, _ = build(spec)
    template = template_json(scope)
    config = node_config(user_data_text(template, only(template, LT)))
    assert config["apiVersion"] == "node.eks.aws/v1alpha1" and config["kind"] == "NodeConfig"
    assert config["spec"]["cluster"] == {
        "name": "platform",
        "apiServerEndpoint": ENDPOINT,
        "certificateAuthority": CA,
        "cidr": CIDR,
    }
    kubelet = config["spec"]["kubelet"]
    # m6i.large holds 110 pods with prefixes; nodeadm's reservation for 110: 11 x 110 + 255
    assert kubelet["config"] == {"maxPods": 110, "kubeReserved": {"memory": "1465Mi"}}
    assert kubelet["flags"] == [
        "--node-labels=eks-blueprint/node-group=hardened,role=apps",
        "--register-with-taints=example.com/dedicated=apps:NoSchedule,spot:NoExecute",
    ]


def test_bottlerocket_gets_toml_settings_and_its_data_volume() -> None:
    spec = SelfManagedNodeGroupSpec(
        name="rocket",
        instance_types=ARM,
        ami_family="bottlerocket",
        labels={"role": "batch"},
        taints=[Taint("example.com/dedicated", "NoSchedule", "batch")],
        disk_size_gib=80,
        max_pods=58,
    )
    scope, _ = build(spec)
    template = template_json(scope)
    (parameter,) = [
        p["Default"] for p in template["Parameters"].values() if "Image::Id" in p["Type"]
    ]
    assert parameter == "/aws/service/bottlerocket/aws-k8s-1.34/arm64/latest/image_id"
    launch_template = only(template, LT)
    data = launch_template["Properties"]["LaunchTemplateData"]
    assert [
        (m["DeviceName"], m["Ebs"]["VolumeSize"], m["Ebs"]["Encrypted"])
        for m in data["BlockDeviceMappings"]
    ] == [("/dev/xvda", 4, True), ("/dev/xvdb", 80, True)]
    settings = tomllib.loads(user_data_text(template, launch_template))["settings"]["kubernetes"]
    assert settings == {
        "cluster-name": "platform",
        "api-server": ENDPOINT,
        "cluster-certificate": CA,
        "cluster-dns-ip": "172.20.0.10",
        "max-pods": 58,
        "node-labels": {"eks-blueprint/node-group": "rocket", "role": "batch"},
        "node-taints": {"example.com/dedicated": ["batch:NoSchedule"]},
    }


def test_a_custom_ami_is_used_as_is_and_a_release_pins_the_ssm_path() -> None:
    scope, _ = build(
        SelfManagedNodeGroupSpec(
            name="golden", instance_types=ARM, ami_id="ami-0123456789abcdef0", architecture="arm64"
        ),
        SelfManagedNodeGroupSpec(name="pinned", instance_types=X86, ami_release="v20251112"),
    )
    template = template_json(scope)
    images = [
        t["Properties"]["LaunchTemplateData"]["ImageId"]
        for t in resources_of(template, LT).values()
    ]
    assert "ami-0123456789abcdef0" in images
    defaults = [p["Default"] for p in template["Parameters"].values() if "Image::Id" in p["Type"]]
    assert defaults == [
        "/aws/service/eks/optimized-ami/1.34/amazon-linux-2023/x86_64/standard/"
        "amazon-eks-node-al2023-x86_64-standard-1.34-v20251112/image_id"
    ]


@pytest.mark.parametrize(
    ("family", "release"),
    [
        ("al2023", None),
        ("al2023", "v20251112"),
        ("bottlerocket", None),
        ("bottlerocket", "1.50.0"),
        ("bottlerocket", "v1.50.0"),
    ],
)
@pytest.mark.parametrize("arch", ["x86_64", "arm64"])
def test_ssm_paths_are_the_ones_preflight_checks(
    family: str, release: str | None, arch: str
) -> None:
    alias = f"{family}@{release or 'latest'}"
    assert optimized_ami_parameter(family, "1.34", arch, release) == ami_parameter(
        alias, "1.34", arch
    )


def test_the_group_rolls_on_template_changes_and_carries_discovery_tags() -> None:
    spec = SelfManagedNodeGroupSpec(
        name="hardened",
        instance_types=X86,
        min_size=3,
        desired_size=6,
        max_size=9,
        max_unavailable_percentage=33,
    )
    scope, nodes = build(spec, rolling_update_pause_minutes=7)
    template = template_json(scope)
    group = only(template, ASG)
    properties = group["Properties"]
    # THEN the sizes, the three private subnets, the template's latest version
    assert (properties["MinSize"], properties["DesiredCapacity"], properties["MaxSize"]) == (
        "3",
        "6",
        "9",
    )
    assert len(properties["VPCZoneIdentifier"]) == 3
    mixed = properties["MixedInstancesPolicy"]
    assert [o["InstanceType"] for o in mixed["LaunchTemplate"]["Overrides"]] == list(X86)
    assert mixed["InstancesDistribution"]["OnDemandPercentageAboveBaseCapacity"] == 100
    assert mixed["LaunchTemplate"]["LaunchTemplateSpecification"]["Version"] == {
        "Fn::GetAtt": [next(iter(resources_of(template, LT))), "LatestVersionNumber"]
    }
    assert "AutoScalingGroupName" not in properties  # a replacement can be created first
    # AND a rolling update: 2 of 6 at a time (33 %), 4 stay in service, 7 minutes apart
    assert group["UpdatePolicy"] == {
        "AutoScalingRollingUpdate": {
            "MaxBatchSize": 2,
            "MinInstancesInService": 4,
            "PauseTime": "PT7M",
            "SuspendProcesses": list(ROLLING_UPDATE_SUSPENDED_PROCESSES),
            "WaitOnResourceSignals": False,
        },
        "AutoScalingScheduledAction": {"IgnoreUnmodifiedGroupSizeProperties": True},
    }
    # AND Cluster Autoscaler discovery tags on the group, the cluster tag on the instances
    tags = {t["Key"]: (t["Value"], t["PropagateAtLaunch"]) for t in properties["Tags"]}
    assert tags["k8s.io/cluster-autoscaler/enabled"] == ("true", False)
    assert tags["k8s.io/cluster-autoscaler/platform"] == ("owned", False)
    assert tags["kubernetes.io/cluster/platform"] == ("owned", True)
    # AND the nodes' role joins through an EC2_LINUX access entry created before the group
    entry_id, entry = next(iter(resources_of(template, "AWS::EKS::AccessEntry").items()))
    assert entry["Properties"]["Type"] == "EC2_LINUX"
    assert entry_id in group["DependsOn"]
    profile = only(template, "AWS::IAM::InstanceProfile")
    assert profile["Properties"]["Roles"] == [
        {"Ref": next(iter(resources_of(template, "AWS::IAM::Role")))}
    ]
    assert nodes.access_entry is not None


def test_one_instance_type_uses_the_launch_template_directly() -> None:
    scope, _ = build(SelfManagedNodeGroupSpec(name="one", instance_types=("m7i.large",)))
    template = template_json(scope)
    properties = only(template, ASG)["Properties"]
    assert "MixedInstancesPolicy" not in properties
    assert properties["LaunchTemplate"]["LaunchTemplateId"] == {
        "Ref": next(iter(resources_of(template, LT)))
    }
    assert only(template, LT)["Properties"]["LaunchTemplateData"]["InstanceType"] == "m7i.large"


def test_max_pods_are_left_to_the_ami_without_prefix_delegation() -> None:
    scope, nodes = build(
        SelfManagedNodeGroupSpec(name="plain", instance_types=X86), prefix_delegation=False
    )
    template = template_json(scope)
    assert nodes.max_pods == {"plain": None}
    assert "maxPods" not in user_data_text(template, only(template, LT))


def test_a_notification_topic_gets_every_launch_and_termination() -> None:
    topic = "arn:aws:sns:eu-west-1:111111111111:nodes"
    scope, _ = build(
        SelfManagedNodeGroupSpec(name="hardened", instance_types=X86), notification_topic_arn=topic
    )
    (config,) = only(template_json(scope), ASG)["Properties"]["NotificationConfigurations"]
    assert config["TopicARN"] == topic
    assert len(config["NotificationTypes"]) == 4


def test_an_existing_role_can_skip_the_access_entry() -> None:
    scope = stack()
    from aws_cdk import aws_iam as iam

    role = iam.Role.from_role_arn(scope, "Role", "arn:aws:iam::111111111111:role/nodes")
    SelfManagedNodeGroups(
        scope,
        "Nodes",
        props=props(
            imported(scope),
            SelfManagedNodeGroupSpec(name="a", instance_types=X86),
            node_role=role,
            access_entry=False,
        ),
    )
    template = template_json(scope)
    assert not resources_of(template, "AWS::EKS::AccessEntry")
    assert not resources_of(template, "AWS::IAM::Role")


def test_add_group_registers_capacity_and_places_controllers() -> None:
    _, nodes = build()
    group = nodes.add_group(
        SelfManagedNodeGroupSpec(
            name="system-x",
            instance_types=X86,
            taints=[Taint("CriticalAddonsOnly", "NoSchedule", "true")],
        )
    )
    assert group.node.id == "SystemX"
    assert nodes.node.try_find_child("SystemXLaunchTemplate") is not None
    assert nodes in capacity_of(nodes._props.cluster)
    placement = nodes.placement_for("system-x")
    assert placement.node_selector == {"eks-blueprint/node-group": "system-x"}
    assert placement.toleration_values()[0]["key"] == "CriticalAddonsOnly"
    with pytest.raises(ValueError, match="no self-managed group 'other'"):
        nodes.placement_for("other")
    with pytest.raises(ValueError, match=r"add_group\(SelfManagedNodeGroupSpec 'system-x'\)\.name"):
        nodes.add_group(SelfManagedNodeGroupSpec(name="system-x", instance_types=X86))


def test_a_container_without_groups_fails_synth() -> None:
    scope, _ = build()
    with pytest.raises(Exception, match="Platform/Nodes: SelfManagedNodeGroups has no group"):
        Template.from_stack(scope)


def test_the_service_cidr_of_a_defined_cluster_is_read_or_required() -> None:
    # GIVEN a cluster of this app that sets its service CIDR
    scope = stack()
    cluster = defined_cluster(scope, kubectl=False)
    cfn = cluster.node.default_child
    assert isinstance(cfn, eks.CfnCluster)
    cfn.kubernetes_network_config = eks.CfnCluster.KubernetesNetworkConfigProperty(
        service_ipv4_cidr="10.200.0.0/16"
    )
    nodes = SelfManagedNodeGroups(
        scope,
        "Nodes",
        props=props(
            cluster, SelfManagedNodeGroupSpec(name="a", instance_types=X86), service_ipv4_cidr=None
        ),
    )
    # THEN the literal is used, and nothing is looked up
    assert nodes.service_ipv4_cidr == "10.200.0.0/16"
    assert not resources_of(template_json(scope), "Custom::EksServiceIpv4Cidr")
    # AND an imported cluster without the prop is refused (a guess could break cluster DNS)
    other = stack()
    refused(
        PATH,
        "SelfManagedNodeGroupsProps.service_ipv4_cidr",
        SelfManagedNodeGroups,
        other,
        "Nodes",
        props=props(imported(other), service_ipv4_cidr=None),
    )


def rendered(value: Any, attributes: dict[tuple[str, str], str]) -> str:
    """A user data part as CloudFormation renders it: each Fn::GetAtt replaced by its value
    in `attributes` ((logical id, attribute) -> value), Fn::Join, Fn::Split and Fn::Select
    evaluated; any other token fails the test."""
    if isinstance(value, str):
        return value
    ((fn, arg),) = value.items()
    if fn == "Fn::GetAtt":
        return attributes[(arg[0], arg[1])]
    if fn == "Fn::Join":
        return str(arg[0]).join(rendered(part, attributes) for part in arg[1])
    if fn == "Fn::Select":
        index, (split_fn, (separator, source)) = arg[0], next(iter(arg[1].items()))
        assert split_fn == "Fn::Split"
        return rendered(source, attributes).split(str(separator))[int(index)]
    raise AssertionError(f"unexpected token {value}")


@pytest.mark.parametrize("cidr", ["172.20.0.0/16", "10.100.0.0/16", "192.168.64.0/18"])
def test_a_defined_cluster_without_one_reads_the_service_cidr_at_deploy(cidr: str) -> None:
    # GIVEN a cluster of this stack created without a service CIDR (as the app's are), and
    # no service_ipv4_cidr prop: no guess from the VPC CIDR
    scope = stack()
    cluster = defined_cluster(scope, kubectl=False)
    nodes = SelfManagedNodeGroups(
        scope,
        "Nodes",
        props=props(
            cluster,
            SelfManagedNodeGroupSpec(name="al", instance_types=X86),
            SelfManagedNodeGroupSpec(name="rocket", instance_types=ARM, ami_family="bottlerocket"),
            service_ipv4_cidr=None,
        ),
    )
    assert cdk.Token.is_unresolved(nodes.service_ipv4_cidr)
    template = template_json(scope)
    # THEN one custom resource calls eks:DescribeCluster on this cluster, returning one field
    (lookup_id, lookup), *more = resources_of(template, "Custom::EksServiceIpv4Cidr").items()
    assert not more
    cluster_id = scope.get_logical_id(cluster.node.default_child)  # type: ignore[arg-type]
    for phase in ("Create", "Update"):
        separator, parts = lookup["Properties"][phase]["Fn::Join"]
        call = json.loads(separator.join(p if isinstance(p, str) else "CLUSTER" for p in parts))
        assert {p["Ref"] for p in parts if not isinstance(p, str)} == {cluster_id}
        assert (call["service"], call["action"], call["parameters"]) == (
            "EKS",
            "describeCluster",
            {"name": "CLUSTER"},
        )
        assert call["outputPaths"] == ["cluster.kubernetesNetworkConfig.serviceIpv4Cidr"]
    (policy,) = [
        r for k, r in resources_of(template, "AWS::IAM::Policy").items() if "ServiceCidr" in k
    ]
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Action": "eks:DescribeCluster",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [cluster_id, "Arn"]},
        }
    ]
    # AND the user data, rendered with what EKS returns, carries that CIDR and its .10
    attributes = {
        (lookup_id, "cluster.kubernetesNetworkConfig.serviceIpv4Cidr"): cidr,
        (cluster_id, "Endpoint"): ENDPOINT,
        (cluster_id, "CertificateAuthorityData"): CA,
    }
    texts = {
        k: rendered(r["Properties"]["LaunchTemplateData"]["UserData"]["Fn::Base64"], attributes)
        for k, r in resources_of(template, LT).items()
    }
    (al_text,) = [t for k, t in texts.items() if k.startswith("NodesAl")]
    (rocket_text,) = [t for k, t in texts.items() if k.startswith("NodesRocket")]
    assert node_config(al_text)["spec"]["cluster"]["cidr"] == cidr
    base = cidr.rsplit(".", 1)[0]
    settings = tomllib.loads(rocket_text)["settings"]["kubernetes"]
    assert settings["cluster-dns-ip"] == f"{base}.10" == cluster_dns_ip(cidr)
    assert (settings["api-server"], settings["cluster-certificate"]) == (ENDPOINT, CA)


def test_the_default_service_cidr_and_dns_address() -> None:
    assert eks_default_service_cidr(["10.10.0.0/16"]) == "172.20.0.0/16"
    assert eks_default_service_cidr(["192.168.0.0/16", "100.64.0.0/16"]) == "10.100.0.0/16"
    assert cluster_dns_ip("172.20.0.0/16") == "172.20.0.10"
    assert cluster_dns_ip("10.100.0.0/16") == "10.100.0.10"


def test_user_data_functions_quote_what_they_write() -> None:
    text = bottlerocket_user_data(
        cluster_name="platform",
        endpoint=ENDPOINT,
        certificate_authority=CA,
        dns_ip="10.100.0.10",
        labels={"example.com/team": "a.b"},
        taints=[Taint("k", "NoSchedule")],
    )
    settings = tomllib.loads(text)["settings"]["kubernetes"]
    assert settings["node-taints"] == {"k": [":NoSchedule"]}
    assert "max-pods" not in settings
    config = node_config(
        al2023_user_data(
            cluster_name="platform",
            endpoint=ENDPOINT,
            certificate_authority=CA,
            service_cidr="10.100.0.0/16",
            labels={"a": "b"},
        )
    )
    assert "config" not in config["spec"]["kubelet"]


# -- compliance -----------------------------------------------------------------------------


def test_synth_passes_the_packs_with_narrow_acknowledgements(tmp_path: Path) -> None:
    # GIVEN the node-readiness add-ons (the CNI's own role: EKSBP25 on the access entry) and
    # a group of one type (the packs read its template) and one of two (they cannot)
    app = cdk.App(outdir=str(tmp_path))
    add_compliance_packs(app)
    scope = cdk.Stack(
        app, "Platform", env=cdk.Environment(account="111111111111", region="eu-west-1")
    )
    # An imported VPC: the packs judge the nodes, not a test VPC.
    network = ec2.Vpc.from_vpc_attributes(
        scope,
        "Vpc",
        vpc_id="vpc-0123456789abcdef0",
        availability_zones=["eu-west-1a", "eu-west-1b", "eu-west-1c"],
        private_subnet_ids=["subnet-0a", "subnet-0b", "subnet-0c"],
    )
    provider = eks.KubectlProvider.from_kubectl_provider_attributes(
        scope, "Kubectl", service_token=KUBECTL_TOKEN
    )
    cluster = eks.Cluster.from_cluster_attributes(
        scope,
        "Cluster",
        cluster_name="platform",
        vpc=network,
        kubectl_provider=provider,
        cluster_endpoint=ENDPOINT,
        cluster_certificate_authority_data=CA,
        cluster_security_group_id=CLUSTER_SG,
    )
    Addons(
        scope,
        "Addons",
        props=AddonsProps.node_readiness(cluster=cluster, kubernetes_version="1.34", vpc=network),
    )
    SelfManagedNodeGroups(
        scope,
        "Nodes",
        props=props(
            cluster,
            SelfManagedNodeGroupSpec(name="one", instance_types=("m7i.large",)),
            SelfManagedNodeGroupSpec(name="two", instance_types=X86),
        ),
    )
    # WHEN synthesised THEN no error (a finding without acknowledgement fails synth)
    app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    suppressed = {
        (s["acknowledgedId"], path["constructPath"])
        for plugin in report["pluginReports"]
        for s in plugin.get("suppressedViolations", [])
        for path in s.get("violatingConstructs", [])
    }
    ids = {i for i, _ in suppressed}
    assert "AwsSolutions::AwsSolutions-AS3" in ids
    # The template-reading rules are acknowledged on the mixed-instances group only.
    imds = "NIST.800.53.R5::NIST.800.53.R5-EC2IMDSv2Enabled"
    assert {p for i, p in suppressed if i == imds} <= {"Platform/Nodes/Two"}


# -- refusals -------------------------------------------------------------------------------


def group(**changes: Any) -> SelfManagedNodeGroupSpec:
    fields: dict[str, Any] = {"name": "hardened", "instance_types": X86, **changes}
    return SelfManagedNodeGroupSpec(**fields)


GROUP = "SelfManagedNodeGroupsProps.groups[0]"


@pytest.mark.parametrize(
    ("spec", "prop", "problem"),
    [
        (group(name="Hardened"), f"{GROUP}.name", "lower-case"),
        (group(instance_types=("m7i",)), f"{GROUP}.instance_types", "not an EC2 instance type"),
        (group(instance_types=()), f"{GROUP}.instance_types", "at least one"),
        (
            group(instance_types=("m7i.large", "m7i.large")),
            f"{GROUP}.instance_types",
            "more than once",
        ),
        (group(instance_types=("m7i.large", "m7g.large")), f"{GROUP}.instance_types", "mixes"),
        (group(architecture="arm64"), f"{GROUP}.instance_types", "the AMI is arm64"),
        (group(ami_id="ami-123"), f"{GROUP}.ami_id", "not an AMI id"),
        (group(ami_id="ami-0123456789abcdef0"), f"{GROUP}.architecture", "needs its architecture"),
        (
            group(ami_id="ami-0123456789abcdef0", architecture="x86_64", ami_release="v20251112"),
            f"{GROUP}.ami_release",
            "give one",
        ),
        (group(ami_release="1.50.0"), f"{GROUP}.ami_release", "not a al2023 release"),
        (
            group(ami_family="bottlerocket", ami_release="v20251112"),
            f"{GROUP}.ami_release",
            "not a bottlerocket release",
        ),
        (group(ami_family="windows"), f"{GROUP}.ami_family", "Windows"),
        (group(architecture="aarch64"), f"{GROUP}.architecture", "x86_64 or arm64"),
        (group(instance_types=("g5.xlarge",)), f"{GROUP}.instance_types", "accelerated AMI"),
        (group(min_size=3, desired_size=2), f"{GROUP}.min_size/desired_size/max_size", "min <="),
        (
            group(labels={"node-role.kubernetes.io/worker": ""}),
            f"{GROUP}.labels",
            "kubelet may not",
        ),
        (group(labels={"team": "a,b"}), f"{GROUP}.labels[team]", "not a Kubernetes label"),
        (group(labels={"bad key": "a"}), f"{GROUP}.labels[bad key]", "not a Kubernetes label"),
        (
            group(taints=[Taint("dedicated", "NoSchedule", "a:b")]),
            f"{GROUP}.taints",
            "not a Kubernetes taint",
        ),
        (group(disk_size_gib=10), f"{GROUP}.disk_size_gib", "20-16384"),
        (group(max_unavailable_percentage=0), f"{GROUP}.max_unavailable_percentage", "1-100"),
        (group(max_pods=300), f"{GROUP}.max_pods", "1-250"),
        # Wrong Python types: a PropError with the fix, not a TypeError from deep inside.
        (group(desired_size="2"), f"{GROUP}.desired_size", "expected int, got str: use an int"),
        (group(labels=["team=a"]), f"{GROUP}.labels", "expected Mapping[str, str], got list"),
        (
            group(taints=[{"key": "dedicated", "effect": "NoSchedule"}]),
            f"{GROUP}.taints[0]",
            "use a Taint(...), not a dict",
        ),
        (group(detailed_monitoring="yes"), f"{GROUP}.detailed_monitoring", "use a bool"),
    ],
)
def test_bad_specs_are_refused_naming_path_prop_and_fix(
    spec: SelfManagedNodeGroupSpec, prop: str, problem: str
) -> None:
    scope = stack()
    message = refused(
        PATH, prop, SelfManagedNodeGroups, scope, "Nodes", props=props(imported(scope), spec)
    )
    assert problem in message


@pytest.mark.parametrize(
    ("changes", "prop", "problem"),
    [
        (
            {"cluster_name": cdk.Aws.STACK_NAME},
            "SelfManagedNodeGroupsProps.cluster_name",
            "literal",
        ),
        (
            {"kubernetes_version": "1.20"},
            "SelfManagedNodeGroupsProps.kubernetes_version",
            "not supported",
        ),
        (
            {"service_ipv4_cidr": "172.20.0.0/33"},
            "SelfManagedNodeGroupsProps.service_ipv4_cidr",
            "",
        ),
        (
            {"rolling_update_pause_minutes": 0},
            "SelfManagedNodeGroupsProps.rolling_update_pause_minutes",
            "1-60",
        ),
        (
            {"notification_topic_arn": "nodes"},
            "SelfManagedNodeGroupsProps.notification_topic_arn",
            "not an SNS topic ARN",
        ),
        (
            {"groups": (group(), group())},
            "SelfManagedNodeGroupsProps.groups name",
            "more than once",
        ),
        (
            {"groups": [{"name": "hardened", "instance_types": X86}]},
            "SelfManagedNodeGroupsProps.groups[0]",
            "use a SelfManagedNodeGroupSpec(...), not a dict",
        ),
    ],
)
def test_bad_props_are_refused(changes: dict[str, Any], prop: str, problem: str) -> None:
    scope = stack()
    message = refused(
        PATH, prop, SelfManagedNodeGroups, scope, "Nodes", props=props(imported(scope), **changes)
    )
    assert problem in message


@pytest.mark.parametrize(
    "missing",
    ["cluster_endpoint", "cluster_certificate_authority_data", "cluster_security_group_id"],
)
def test_an_imported_cluster_without_what_nodes_need_is_refused(missing: str) -> None:
    scope = stack()
    message = refused(
        PATH,
        "SelfManagedNodeGroupsProps.cluster",
        SelfManagedNodeGroups,
        scope,
        "Nodes",
        props=props(imported(scope, **{missing: None})),
    )
    assert missing in message
