"""Compute in the synthesised environments: node groups, launch templates, Karpenter (IAM,
interruption queue, Helm values, NodePools, EC2NodeClasses), Fargate, and (in one extra
app) Auto Mode and construct-level variants."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks

from eks_blueprint import Network, NetworkProps
from eks_blueprint.compliance import acknowledge
from eks_blueprint.compute.auto_mode import validate_node_pools
from eks_blueprint.compute.managed_node_groups import (
    ManagedNodeGroups,
    ManagedNodeGroupsProps,
    NodeGroupSpec,
)
from eks_blueprint.config import load_config
from eks_blueprint.template.kubernetes import (
    LAYER_TYPE,
    LayerItem,
    UnreadableManifest,
    manifest_objects,
)
from stacks.app_builder import CONFIG_DIR, build_app

from ..conftest import SynthResult, only, render_join, resources_of
from . import layers

ENVS = ("dev", "staging", "prod")
NODE_GROUP_ENVS = ("dev", "prod")


def cluster(synth: SynthResult, env: str) -> dict[str, Any]:
    return synth.template(env, "cluster")


def render(value: Any) -> str:
    """A CloudFormation string value as text, intrinsics replaced by `<Ref|GetAtt|ImportValue
    name>`."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return sep.join(render(p) for p in parts)
    if "Ref" in value:
        return f"<Ref {value['Ref']}>"
    if "Fn::GetAtt" in value:
        return f"<GetAtt {'.'.join(value['Fn::GetAtt'])}>"
    if "Fn::ImportValue" in value:  # the security stack's signing profile ARN (governance)
        return f"<ImportValue {value['Fn::ImportValue']}>"
    raise AssertionError(f"unexpected intrinsic {value}")


def manifests(template: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(kind, name) -> the Kubernetes object of every manifest (layer items included)."""
    unreadable: list[UnreadableManifest] = []
    found = {
        (o.kind, o.name): o.body
        for o in manifest_objects(template["Resources"], unreadable=unreadable, render=render)
    }
    assert not unreadable, unreadable
    return found


def charts(template: dict[str, Any]) -> dict[str, LayerItem]:
    """Item id -> chart item of the cluster's layers."""
    return layers.items(template, type="chart")


def karpenter_chart(template: dict[str, Any]) -> tuple[str, LayerItem]:
    """(item id, item) of the Karpenter Helm chart."""
    [found] = [(k, v) for k, v in charts(template).items() if v.properties["Chart"] == "karpenter"]
    return found


def chart_values(template: dict[str, Any]) -> dict[str, Any]:
    chart = karpenter_chart(template)[1].properties
    values: dict[str, Any] = json.loads(render(chart["Values"]))
    return values


def policy_names(role: dict[str, Any]) -> list[str]:
    return sorted(render(arn).rsplit("/", 1)[-1] for arn in role["Properties"]["ManagedPolicyArns"])


def role_by_description(template: dict[str, Any], fragment: str) -> dict[str, Any]:
    roles = [
        r
        for r in resources_of(template, "AWS::IAM::Role").values()
        if fragment in r["Properties"].get("Description", "")
    ]
    assert len(roles) == 1, fragment
    return roles[0]


# -- managed node groups ----------------------------------------------------------------


@pytest.mark.parametrize("env", NODE_GROUP_ENVS)
def test_node_groups_use_private_subnets_of_three_azs_and_a_launch_template(
    synth: SynthResult, env: str
) -> None:
    props = only(cluster(synth, env), "AWS::EKS::Nodegroup")["Properties"]
    outputs = [s["Fn::ImportValue"] for s in props["Subnets"]]
    assert len(outputs) == 3 and all("PrivateSubnet" in o for o in outputs)
    # The launch template sets the volume, so DiskSize must be absent; SSH goes through SSM.
    assert "DiskSize" not in props and "RemoteAccess" not in props
    assert "NodegroupName" not in props  # replacement must not collide on a physical name
    assert props["LaunchTemplate"]["Version"]["Fn::GetAtt"][1] == "LatestVersionNumber"
    assert props["NodeRepairConfig"] == {"Enabled": True}
    assert props["ForceUpdateEnabled"] is False  # PodDisruptionBudgets are respected
    assert props["UpdateConfig"] == {"MaxUnavailablePercentage": 33}


def test_prod_system_group_is_on_demand_tainted_and_three_wide(synth: SynthResult) -> None:
    props = only(cluster(synth, "prod"), "AWS::EKS::Nodegroup")["Properties"]
    assert props["CapacityType"] == "ON_DEMAND"
    assert props["AmiType"] == "BOTTLEROCKET_ARM_64"
    assert props["InstanceTypes"] == ["m7g.xlarge"]  # sized by the capacity rule
    assert props["ScalingConfig"] == {"MinSize": 3, "DesiredSize": 3, "MaxSize": 6}
    assert props["Taints"] == [
        {"Key": "CriticalAddonsOnly", "Value": "true", "Effect": "NO_SCHEDULE"}
    ]
    assert props["Labels"] == {"role": "system", "eks-blueprint/node-group": "system"}


@pytest.mark.parametrize(("env", "data_gib"), [("dev", 50), ("prod", 80)])
def test_launch_template_requires_imdsv2_and_encrypts_bottlerocket_volumes(
    synth: SynthResult, env: str, data_gib: int
) -> None:
    data = only(cluster(synth, env), "AWS::EC2::LaunchTemplate")["Properties"]["LaunchTemplateData"]
    assert data["MetadataOptions"] == {
        "HttpEndpoint": "enabled", "HttpTokens": "required", "HttpPutResponseHopLimit": 1
    }  # fmt: skip
    devices = {m["DeviceName"]: m["Ebs"] for m in data["BlockDeviceMappings"]}
    assert set(devices) == {"/dev/xvda", "/dev/xvdb"}  # Bottlerocket: OS + data volume
    assert devices["/dev/xvdb"]["VolumeSize"] == data_gib
    assert all(e["Encrypted"] and e["VolumeType"] == "gp3" for e in devices.values())
    assert "KeyName" not in data
    specs = {
        s["ResourceType"]: {t["Key"]: t["Value"] for t in s["Tags"]}
        for s in data["TagSpecifications"]
    }
    assert set(specs) == {"instance", "volume"}
    assert specs["instance"]["environment"] == env and specs["volume"]["cost-center"] == "4711"


@pytest.mark.parametrize("env", NODE_GROUP_ENVS)
def test_node_role_has_no_cni_policy(synth: SynthResult, env: str) -> None:
    template = cluster(synth, env)
    role_id = only(template, "AWS::EKS::Nodegroup")["Properties"]["NodeRole"]["Fn::GetAtt"][0]
    assert policy_names(template["Resources"][role_id]) == [
        "AmazonEC2ContainerRegistryPullOnly",
        "AmazonEKSWorkerNodePolicy",
        "AmazonSSMManagedInstanceCore",
    ]


# -- Karpenter: IAM, access, interruption handling --------------------------------------


@pytest.mark.parametrize("env", ("dev", "prod"))
def test_karpenter_controller_uses_pod_identity(synth: SynthResult, env: str) -> None:
    template = cluster(synth, env)
    [association] = [
        a
        for a in resources_of(template, "AWS::EKS::PodIdentityAssociation").values()
        if a["Properties"]["ServiceAccount"] == "karpenter"
    ]
    assert association["Properties"]["Namespace"] == "kube-system"
    assert association["Properties"]["ServiceAccount"] == "karpenter"
    role = template["Resources"][association["Properties"]["RoleArn"]["Fn::GetAtt"][0]]
    [statement] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert sorted(statement["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    [agent_id] = [
        k
        for k, v in resources_of(template, "AWS::EKS::Addon").items()
        if v["Properties"]["AddonName"] == "eks-pod-identity-agent"
    ]  # shared with the add-ons: one agent per cluster
    assert agent_id in association.get("DependsOn", [])


def test_karpenter_on_fargate_uses_irsa(synth: SynthResult) -> None:
    template = cluster(synth, "staging")
    assert not [
        a
        for a in resources_of(template, "AWS::EKS::PodIdentityAssociation").values()
        if a["Properties"]["ServiceAccount"] == "karpenter"
    ]
    role = role_by_description(template, "Karpenter controller")
    # The trust is a string (Fn::Join) so the deploy-time issuer can be a condition key
    # without CfnJson's Lambda; parse it with the intrinsics as placeholders.
    text, tokens = render_join(role["Properties"]["AssumeRolePolicyDocument"])
    [statement] = json.loads(text)["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {"Federated": "<0>"}
    assert tokens[0] == {"Ref": next(iter(resources_of(template, "AWS::IAM::OIDCProvider")))}
    assert statement["Condition"] == {
        "StringEquals": {
            "<1>:sub": "system:serviceaccount:kube-system:karpenter",
            "<1>:aud": "sts.amazonaws.com",
        }
    }
    annotations = chart_values(template)["serviceAccount"]["annotations"]
    assert annotations["eks.amazonaws.com/role-arn"].startswith("<GetAtt KarpenterControllerRole")


@pytest.mark.parametrize("env", ENVS)
def test_karpenter_node_role_has_an_ec2_linux_access_entry(synth: SynthResult, env: str) -> None:
    template = cluster(synth, env)
    role = role_by_description(template, "Nodes Karpenter launches")
    role_id = next(k for k, v in template["Resources"].items() if v is role)
    entries = [
        e["Properties"]
        for e in resources_of(template, "AWS::EKS::AccessEntry").values()
        if e["Properties"]["PrincipalArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    ]
    assert [e["Type"] for e in entries] == ["EC2_LINUX"]
    assert "AmazonEKS_CNI_Policy" not in policy_names(role)


def test_controller_policy_is_scoped_to_the_cluster(synth: SynthResult) -> None:
    template = cluster(synth, "prod")
    documents = [
        p["Properties"]["PolicyDocument"]
        for p in resources_of(template, "AWS::IAM::ManagedPolicy").values()
        if "Karpenter" in p["Properties"].get("Description", "")
    ]
    policy = {"Statement": [s for d in documents for s in d["Statement"]]}
    statements = {s["Sid"]: s for s in policy["Statement"]}
    owned = {"aws:ResourceTag/kubernetes.io/cluster/shop-prod": "owned"}
    assert statements["AllowScopedDeletion"]["Condition"]["StringEquals"] == owned
    assert statements["AllowScopedEC2InstanceActionsWithTags"]["Condition"]["StringEquals"] == {
        "aws:RequestTag/kubernetes.io/cluster/shop-prod": "owned",
        "aws:RequestTag/eks:eks-cluster-name": "shop-prod",
    }
    assert statements["AllowPassingInstanceRole"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"]}
    }
    assert (
        "aws:RequestedRegion" in statements["AllowRegionalReadActions"]["Condition"]["StringEquals"]
    )
    # ListInstanceProfiles takes no resource ARN (the finalizer lists by path prefix).
    assert statements["AllowUnscopedInstanceProfileListAction"]["Action"] == "iam:ListInstanceProfiles"
    assert statements["AllowUnscopedInstanceProfileListAction"]["Resource"] == "*"
    assert statements["AllowInstanceProfileReadActions"]["Action"] == "iam:GetInstanceProfile"
    # No statement grants a whole service.
    actions = [
        a
        for s in policy["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    assert not [a for a in actions if a.endswith(":*") or a == "*"]


@pytest.mark.parametrize("env", ENVS)
def test_interruption_queue_is_encrypted_short_lived_and_eventbridge_only(
    synth: SynthResult, env: str
) -> None:
    template = cluster(synth, env)
    queue = only(template, "AWS::SQS::Queue")["Properties"]
    assert queue["MessageRetentionPeriod"] == 300 and queue["SqsManagedSseEnabled"] is True
    statements = only(template, "AWS::SQS::QueuePolicy")["Properties"]["PolicyDocument"][
        "Statement"
    ]
    deny = [s for s in statements if s["Effect"] == "Deny"]
    allow = [s for s in statements if s["Effect"] == "Allow"]
    assert [s["Condition"] for s in deny] == [{"Bool": {"aws:SecureTransport": "false"}}]
    assert [(s["Principal"], s["Action"]) for s in allow] == [
        ({"Service": "events.amazonaws.com"}, "sqs:SendMessage")
    ]
    assert len(allow[0]["Condition"]["ArnEquals"]["aws:SourceArn"]) == 4


def test_eventbridge_sends_the_four_interruption_events_to_the_queue(synth: SynthResult) -> None:
    template = cluster(synth, "dev")
    queue_id = next(iter(resources_of(template, "AWS::SQS::Queue")))
    patterns = []
    for rule in resources_of(template, "AWS::Events::Rule").values():
        [target] = rule["Properties"]["Targets"]
        assert target["Arn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
        patterns.append(rule["Properties"]["EventPattern"])
    assert sorted((p["source"][0], p["detail-type"][0]) for p in patterns) == [
        ("aws.ec2", "EC2 Instance Rebalance Recommendation"),
        ("aws.ec2", "EC2 Instance State-change Notification"),
        ("aws.ec2", "EC2 Spot Instance Interruption Warning"),
        ("aws.health", "AWS Health Event"),
    ]
    health = next(p for p in patterns if p["source"] == ["aws.health"])
    assert health["detail"] == {"eventTypeCategory": ["scheduledChange"]}


@pytest.mark.parametrize(("env", "tagged"), [("dev", True), ("staging", True), ("prod", True)])
def test_private_subnets_carry_the_karpenter_discovery_tag(
    synth: SynthResult, env: str, tagged: bool
) -> None:
    name = f"shop-{env}"
    for subnet_id, subnet in resources_of(
        synth.template(env, "network"), "AWS::EC2::Subnet"
    ).items():
        tags = {t["Key"]: t["Value"] for t in subnet["Properties"]["Tags"]}
        expected = {name} if tagged and "Private" in subnet_id else {None}
        assert {tags.get("karpenter.sh/discovery")} == expected, subnet_id


# -- Karpenter: Helm chart and Kubernetes objects ---------------------------------------


@pytest.mark.parametrize("env", ENVS)
def test_chart_is_pinned_from_the_oci_registry_with_required_values(
    synth: SynthResult, env: str
) -> None:
    template = cluster(synth, env)
    chart_id, chart = karpenter_chart(template)
    assert (chart_id, chart.layer) == ("Karpenter/Chart", "capacity")
    assert chart.properties["Repository"] == "oci://public.ecr.aws/karpenter/karpenter"
    assert chart.properties["Version"] == "1.8.1"
    values = chart_values(template)
    assert values["settings"]["clusterName"].startswith("<Ref ControlPlaneCluster")
    assert values["settings"]["interruptionQueue"].startswith("<GetAtt KarpenterInterruptionQueue")
    assert values["settings"]["interruptionQueue"].endswith(".QueueName>")
    assert values["replicas"] == 2
    resources = values["controller"]["resources"]
    expected = {"cpu": "500m", "memory": "768Mi"} if env == "dev" else {"cpu": "1", "memory": "1Gi"}
    assert resources["requests"] == resources["limits"] == expected  # dev: config/dev.yaml


def test_chart_installs_after_its_host(synth: SynthResult) -> None:
    for env, host in (
        ("dev", "NodeGroupsSystem"),
        ("prod", "NodeGroupsSystem"),
        ("staging", "FargateKarpenter"),
    ):
        # The chart's layer waits for the node group or Fargate profile it runs on.
        chart_id, _ = karpenter_chart(cluster(synth, env))
        depends = layers.layer_depends_on(cluster(synth, env), chart_id)
        assert any(d.startswith(host) for d in depends), (env, depends)


@pytest.mark.parametrize("env", ENVS)
def test_crds_come_from_their_own_chart_and_the_controller_waits_for_its_policy(
    synth: SynthResult, env: str
) -> None:
    template = cluster(synth, env)
    chart_id, chart = karpenter_chart(template)
    [(crd_id, crd)] = [
        (k, v) for k, v in charts(template).items() if v.properties["Chart"] == "karpenter-crd"
    ]
    # Upgrades update the CRDs only when they are a chart's templates, not its crds/ dir.
    assert crd.properties["Repository"] == "oci://public.ecr.aws/karpenter/karpenter-crd"
    assert crd.properties["Version"] == chart.properties["Version"]
    assert chart.properties["SkipCrds"] == "true"
    # Same layer: the controller's chart is applied after the CRDs' chart.
    assert crd.logical_id == chart.logical_id
    assert crd_id in chart.after
    depends = set(layers.layer_depends_on(template, chart_id))
    policies = {k for k in resources_of(template, "AWS::IAM::ManagedPolicy") if k.startswith("KarpenterControllerPolicy")}
    assert len(policies) == 3
    assert policies <= depends  # on create they must exist; on delete outlive the finalizers


def test_prod_controller_is_pinned_to_the_tainted_system_group(synth: SynthResult) -> None:
    values = chart_values(cluster(synth, "prod"))
    assert values["nodeSelector"] == {"eks-blueprint/node-group": "system"}
    assert values["tolerations"] == [
        {"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
    ]


@pytest.mark.parametrize(
    ("env", "pools"),
    [
        ("dev", {"spot"}),
        ("staging", {"general"}),
        # + tenant-payments: prod's payments tenant has isolation: dedicated
        ("prod", {"on-demand", "spot", "tenant-payments"}),
    ],
)
def test_node_pools_and_node_classes_are_applied_after_the_chart(
    synth: SynthResult, env: str, pools: set[str]
) -> None:
    template = cluster(synth, env)
    found = manifests(template)
    assert {n for k, n in found if k == "NodePool"} == pools
    assert {n for k, n in found if k == "EC2NodeClass"} == {"default"}
    chart_id, chart = karpenter_chart(template)
    karpenter_objects = [
        item
        for k, item in layers.items(template, type="manifest").items()
        if k.startswith(("Karpenter/NodePool", "Karpenter/NodeClass"))
    ]
    assert len(karpenter_objects) == len(pools) + 1
    for item in karpenter_objects:
        # Same layer as the chart, applied after it (the CRDs and the webhook).
        assert item.logical_id == chart.logical_id
        assert chart_id in item.after, item.id


def test_prod_node_pools(synth: SynthResult) -> None:
    found = manifests(cluster(synth, "prod"))
    spot, on_demand = found[("NodePool", "spot")], found[("NodePool", "on-demand")]
    assert spot["apiVersion"] == "karpenter.sh/v1"
    requirements = {r["key"]: r for r in spot["spec"]["template"]["spec"]["requirements"]}
    assert requirements["karpenter.sh/capacity-type"]["values"] == ["spot"]
    assert requirements["kubernetes.io/arch"]["values"] == ["arm64", "amd64"]
    assert requirements["karpenter.k8s.aws/instance-category"]["values"] == ["c", "m", "r"]
    assert requirements["karpenter.k8s.aws/instance-generation"] == {
        "key": "karpenter.k8s.aws/instance-generation", "operator": "Gt", "values": ["4"]
    }  # fmt: skip
    assert spot["spec"]["limits"] == {"cpu": "400", "memory": "1600Gi"}
    assert spot["spec"]["weight"] == 50 and "weight" not in on_demand["spec"]
    assert spot["spec"]["disruption"] == {
        "consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "1m"
    }  # fmt: skip
    assert on_demand["spec"]["disruption"] == {
        "consolidationPolicy": "WhenEmpty",
        "consolidateAfter": "5m",
    }
    assert on_demand["spec"]["template"]["spec"]["expireAfter"] == "720h"
    assert spot["spec"]["template"]["spec"]["nodeClassRef"] == {
        "group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"
    }  # fmt: skip


@pytest.mark.parametrize(
    ("env", "alias", "devices"),
    [
        ("dev", "al2023@v20251112", {"/dev/xvda": "50Gi"}),
        ("staging", "bottlerocket@v1.50.0", {"/dev/xvda": "4Gi", "/dev/xvdb": "50Gi"}),
        ("prod", "al2023@v20251112", {"/dev/xvda": "100Gi"}),
    ],
)
def test_node_class(synth: SynthResult, env: str, alias: str, devices: dict[str, str]) -> None:
    node_class = manifests(cluster(synth, env))[("EC2NodeClass", "default")]
    spec = node_class["spec"]
    assert node_class["apiVersion"] == "karpenter.k8s.aws/v1"
    assert spec["amiSelectorTerms"] == [{"alias": alias}]
    assert spec["role"].startswith("<Ref KarpenterNodeRole")
    assert spec["subnetSelectorTerms"] == [{"tags": {"karpenter.sh/discovery": f"shop-{env}"}}]
    assert spec["securityGroupSelectorTerms"] == [{"tags": {"aws:eks:cluster-name": f"shop-{env}"}}]
    assert spec["metadataOptions"]["httpTokens"] == "required"
    assert spec["metadataOptions"]["httpPutResponseHopLimit"] == 1
    mapped = {m["deviceName"]: m["ebs"] for m in spec["blockDeviceMappings"]}
    assert {d: e["volumeSize"] for d, e in mapped.items()} == devices
    assert all(e["encrypted"] and e["volumeType"] == "gp3" for e in mapped.values())
    assert spec["tags"]["environment"] == env


# -- Fargate ------------------------------------------------------------------------------


def test_staging_fargate_profiles(synth: SynthResult) -> None:
    template = cluster(synth, "staging")
    profiles = resources_of(template, "AWS::EKS::FargateProfile")
    selectors = sorted(
        (s["Namespace"], tuple((label["Key"], label["Value"]) for label in s.get("Labels", [])))
        for p in profiles.values()
        for s in p["Properties"]["Selectors"]
    )
    assert selectors == [
        ("batch", ()),
        ("kube-system", (("app.kubernetes.io/name", "karpenter"),)),
        ("kube-system", (("k8s-app", "kube-dns"),)),
    ]
    for profile in profiles.values():
        outputs = [s["Fn::ImportValue"] for s in profile["Properties"]["Subnets"]]
        assert len(outputs) == 3 and all("PrivateSubnet" in o for o in outputs)


def test_pod_execution_role_trusts_only_this_clusters_profiles(synth: SynthResult) -> None:
    role = role_by_description(cluster(synth, "staging"), "Fargate pod execution role")
    [statement] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "eks-fargate-pods.amazonaws.com"}
    arn = render(statement["Condition"]["ArnLike"]["aws:SourceArn"])
    assert (
        arn == "arn:<Ref AWS::Partition>:eks:eu-west-1:222222222222:fargateprofile/shop-staging/*"
    )
    assert policy_names(role) == ["AmazonEKSFargatePodExecutionRolePolicy"]


# -- the Kubernetes layers' provider ---------------------------------------------------------------------


def test_prod_kubectl_handler_runs_in_private_subnets(synth: SynthResult) -> None:
    functions = resources_of(cluster(synth, "prod"), "AWS::Lambda::Function")
    assert functions
    for function in functions.values():
        subnets = function["Properties"]["VpcConfig"]["SubnetIds"]
        assert all("PrivateSubnet" in s["Fn::ImportValue"] for s in subnets)


@pytest.mark.parametrize(("env", "count"), [("dev", 1), ("prod", 1), ("staging", 1)])
def test_lambda_backed_custom_resource_providers(synth: SynthResult, env: str, count: int) -> None:
    """The Kubernetes layers' provider, and nothing else: IRSA is written without CfnJson,
    and no aws_eks_v2 kubectl custom resource is left."""
    template = cluster(synth, env)
    custom = [r for r in template["Resources"].values() if r["Type"].startswith("Custom::")]
    tokens = {json.dumps(r["Properties"]["ServiceToken"]) for r in custom}
    assert len(tokens) == count, tokens
    assert {r["Type"] for r in custom} == {LAYER_TYPE}
    # One resource per layer at most: Foundation, Capacity, Platform, Workloads.
    names = sorted(r["Properties"]["Layer"] for r in custom)
    assert len(names) == len(set(names)) <= 4, names
    assert set(names) <= {"foundation", "capacity", "platform", "workloads"}, names
    assert all("ControlPlaneKubernetesProviderFramework" in t for t in tokens), tokens


@pytest.mark.parametrize(
    "rule",
    [
        "AwsSolutions::AwsSolutions-SQS3",
        "AwsSolutions::AwsSolutions-L1",
        "AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:*:instance/*]",
        "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
        "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]",
        "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKSFargatePodExecutionRolePolicy]",
        "NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ",
        "NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency",
    ],
)
def test_compute_acknowledgements_are_applied(synth: SynthResult, rule: str) -> None:
    """Each acknowledgement matches a real finding (a mistyped id would suppress nothing)."""
    report = json.loads((synth.outdir / "validation-report.json").read_text())
    applied = {
        v.get("acknowledgedId")
        for plugin in report["pluginReports"]
        for v in plugin.get("suppressedViolations", [])
    }
    assert rule in applied


# -- an extra app: Auto Mode example and construct-level variants -----------------------


@pytest.fixture(scope="module")
def extra() -> dict[str, dict[str, Any]]:
    """The Auto Mode example as a full stage (nag enforced), plus a variants stack."""
    app = build_app([load_config(CONFIG_DIR / "examples" / "automode.yaml")])
    assert isinstance(app, App)
    variants = Stack(app, "Variants", env={"account": "111111111111", "region": "eu-west-1"})
    azs = ("eu-west-1a", "eu-west-1b", "eu-west-1c")
    vpc = Network(
        variants, "Network", props=NetworkProps(availability_zones=azs, nat_gateways="single")
    ).vpc
    imported = eks.Cluster.from_cluster_attributes(
        variants, "Cluster", cluster_name="variants", vpc=vpc
    )
    # The imported cluster's add-ons (vpc-cni with its role) live in another app.
    acknowledge(
        variants,
        "EksBestPractices::EksBestPractices-EKSBP25",
        "A node-group variant on an imported cluster whose vpc-cni add-on and role are managed "
        "where the cluster is; this stack only checks the group's own properties.",
    )
    ManagedNodeGroups(
        variants,
        "Groups",
        props=ManagedNodeGroupsProps(
            cluster=imported,
            groups=[
                NodeGroupSpec(
                    name="spot-x86",
                    instance_types=("m7i.large", "m6i.large"),
                    ami_type=eks.NodegroupAmiType.AL2023_X86_64_STANDARD,
                    capacity_type=eks.CapacityType.SPOT,
                    min_size=0, desired_size=1, max_size=5,
                    disk_size_gib=30,
                    imds_hop_limit=2,
                    max_pods=58,
                    node_auto_repair=False,
                )
            ],
        ),
    )  # fmt: skip
    assembly = app.synth(validate_on_synthesis=False)
    stage = assembly.get_nested_assembly("assembly-automode")
    templates = {s.stack_name.removeprefix("automode-eks-"): s.template for s in stage.stacks}
    templates["variants"] = assembly.get_stack_by_name("Variants").template
    return templates


def test_automode_example_synthesises_with_auto_mode_on(extra: dict[str, dict[str, Any]]) -> None:
    template = extra["cluster"]
    props = only(template, "AWS::EKS::Cluster")["Properties"]
    assert props["ComputeConfig"]["Enabled"] is True
    assert props["ComputeConfig"]["NodePools"] == ["general-purpose", "system"]
    role_id = props["ComputeConfig"]["NodeRoleArn"]["Fn::GetAtt"][0]
    assert policy_names(template["Resources"][role_id]) == [
        "AmazonEC2ContainerRegistryPullOnly",
        "AmazonEKSWorkerNodeMinimalPolicy",
    ]
    # Auto Mode needs neither node groups nor Karpenter, and so no kubectl provider.
    for type_ in (
        "AWS::EKS::Nodegroup",
        "Custom::AWSCDK-EKS-HelmChart",
        LAYER_TYPE,
        "AWS::Lambda::Function",
    ):
        assert not resources_of(template, type_), type_


def test_al2023_spot_variant(extra: dict[str, dict[str, Any]]) -> None:
    template = extra["variants"]
    props = only(template, "AWS::EKS::Nodegroup")["Properties"]
    assert props["CapacityType"] == "SPOT" and props["AmiType"] == "AL2023_x86_64_STANDARD"
    assert props.get("NodeRepairConfig") in (None, {"Enabled": False})  # off: omitted
    data = only(template, "AWS::EC2::LaunchTemplate")["Properties"]["LaunchTemplateData"]
    assert data["MetadataOptions"]["HttpPutResponseHopLimit"] == 2
    assert [(m["DeviceName"], m["Ebs"]["VolumeSize"]) for m in data["BlockDeviceMappings"]] == [
        ("/dev/xvda", 30)
    ]
    # An explicit max_pods goes into nodeadm's NodeConfig in the user data EKS merges.
    user_data = data["UserData"]["Fn::Base64"]
    assert "kind: NodeConfig" in user_data and "maxPods: 58" in user_data
    # ...with the kubeReserved memory of 58 pods (nodeadm's would follow its own ENI-based
    # max pods): 11 x 58 + 255 = 893 MiB.
    assert "kubeReserved:\n        memory: 893Mi\n" in user_data


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        (
            [NodeGroupSpec(name="a", instance_types=("m7g.large",), min_size=1, desired_size=1, max_size=1, imds_hop_limit=3)],
            r"S/G: ManagedNodeGroupsProps.groups\[0\].imds_hop_limit: 3; use 1",
        ),
        (
            [NodeGroupSpec(name="b", instance_types=("m7g.large",), min_size=1, desired_size=1, max_size=1, max_pods=737)],
            r"S/G: ManagedNodeGroupsProps.groups\[0\].max_pods: 737; use 1-250",
        ),
    ],
)  # fmt: skip
def test_construct_validation_names_the_prop(groups: list[NodeGroupSpec], message: str) -> None:
    stack = Stack(App(), "S")
    vpc = ec2.Vpc(stack, "Vpc")
    imported = eks.Cluster.from_cluster_attributes(stack, "C", cluster_name="c", vpc=vpc)
    with pytest.raises(ValueError, match=message):
        ManagedNodeGroups(stack, "G", props=ManagedNodeGroupsProps(cluster=imported, groups=groups))


def test_auto_mode_validation_names_the_prop() -> None:
    with pytest.raises(ValueError, match=r"AutoModeProps.node_pools \['gpu'\]"):
        validate_node_pools(["gpu"])
