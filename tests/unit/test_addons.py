"""Add-ons and the demo workload in the synthesised environments, plus ordering with compute."""

from __future__ import annotations

import json
from typing import Any

import kubernetes_validate
import pytest

from eks_blueprint.addons.versions import ADDON_VERSIONS
from eks_blueprint.config import SUPPORTED_KUBERNETES_VERSIONS
from eks_blueprint.template.kubernetes import MANIFEST_TYPE, UnreadableManifest, manifest_objects
from tests.conftest import ENVIRONMENTS, resources_of
from tests.unit import layers

#: aws_eks_v2's manifest resource: what a bare eks.Cluster with its kubectl provider gets.
MANIFEST = MANIFEST_TYPE


def addon(template: dict[str, Any], name: str) -> dict[str, Any]:
    found = [r["Properties"] for r in resources_of(template, "AWS::EKS::Addon").values()
             if r["Properties"]["AddonName"] == name]
    assert len(found) == 1, name
    return found[0]


def resolve(value: Any, template: dict[str, Any]) -> Any:
    """Replace CloudFormation intrinsics with placeholder strings, for schema validation."""
    if isinstance(value, dict):
        if "Fn::Join" in value:
            sep, parts = value["Fn::Join"]
            return sep.join(str(resolve(p, template)) for p in parts)
        if "Ref" in value or "Fn::GetAtt" in value:
            return "resolved-token"
        return {k: resolve(v, template) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, template) for v in value]
    return value


def manifests(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Every object of every manifest (layer items and aws_eks_v2 resources), intrinsics
    replaced by placeholders; fails the test when a manifest cannot be read."""

    def render(value: Any) -> str | None:
        text = resolve(value, template)
        return text if isinstance(text, str) else None

    unreadable: list[UnreadableManifest] = []
    objects = manifest_objects(template["Resources"], unreadable=unreadable, render=render)
    assert not unreadable, unreadable
    return [o.body for o in objects]


def test_version_table_covers_every_supported_kubernetes_version() -> None:
    assert sorted(ADDON_VERSIONS) == sorted(SUPPORTED_KUBERNETES_VERSIONS)
    for table in ADDON_VERSIONS.values():
        assert all(v and all(x.startswith("v") and "eksbuild" in x for x in v) for v in table.values())


#: The vpc-cni `env` each shipped environment adds to prefix delegation (as config/<env>.yaml
#: asks): staging's pods take addresses from network.pod_subnets (custom networking by AZ),
#: prod turns on security groups for pods (addons.vpc_cni.pod_eni) in standard enforcing mode.
VPC_CNI_ENV = {
    "dev": {"ENABLE_POD_ENI": "false"},
    "staging": {
        "ENABLE_POD_ENI": "false",
        "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true",
        "ENI_CONFIG_LABEL_DEF": "topology.kubernetes.io/zone",
    },
    "prod": {"ENABLE_POD_ENI": "true", "POD_SECURITY_GROUP_ENFORCING_MODE": "standard"},
}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_vpc_cni_configuration_and_pod_identity(synth: Any, env: str) -> None:
    template = synth.template(env, "cluster")
    cni = addon(template, "vpc-cni")
    # Standard mode needs no init-container change (only strict turns early demux off).
    assert json.loads(cni["ConfigurationValues"]) == {
        "env": {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1", **VPC_CNI_ENV[env]},
        "enableNetworkPolicy": "true",
    }
    assert cni["ResolveConflicts"] == "OVERWRITE" and cni["PreserveOnDelete"] is True
    assert cni["AddonVersion"] == ADDON_VERSIONS["1.34"]["vpc-cni"][0]
    (association,) = cni["PodIdentityAssociations"]
    assert association["ServiceAccount"] == "aws-node"
    role = template["Resources"][association["RoleArn"]["Fn::GetAtt"][0]]
    assert "AmazonEKS_CNI_Policy" in json.dumps(role["Properties"]["ManagedPolicyArns"])


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_addon_role_trusts_pod_identity_only(synth: Any, env: str) -> None:
    template = synth.template(env, "cluster")
    roles = {k: r for k, r in resources_of(template, "AWS::IAM::Role").items() if k.startswith("Addons")}
    assert len(roles) >= 3
    for role in roles.values():
        (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
        assert sorted(statement["Action"]) == ["sts:AssumeRole", "sts:TagSession"]


def test_coredns_configuration_per_environment(synth: Any) -> None:
    config = {e: json.loads(addon(synth.template(e, "cluster"), "coredns")["ConfigurationValues"]) for e in ENVIRONMENTS}
    assert config["dev"] == {"replicaCount": 2}
    assert config["staging"] == {"autoScaling": {"enabled": True, "minReplicas": 2, "maxReplicas": 6}, "computeType": "Fargate"}
    assert config["prod"]["replicaCount"] == 3
    assert config["prod"]["tolerations"] == [{"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoSchedule"}]


@pytest.mark.parametrize(("env", "present", "absent"), [
    ("dev", {"snapshot-controller", "metrics-server"}, {"amazon-cloudwatch-observability"}),
    ("prod", {"amazon-cloudwatch-observability", "aws-ebs-csi-driver"}, {"snapshot-controller"}),
])
def test_switchable_addons(synth: Any, env: str, present: set[str], absent: set[str]) -> None:
    names = {r["Properties"]["AddonName"] for r in resources_of(synth.template(env, "cluster"), "AWS::EKS::Addon").values()}
    assert present <= names and not (absent & names)
    assert {"vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent"} <= names


def test_default_storage_class_is_encrypted_gp3(synth: Any) -> None:
    classes = {d["metadata"]["name"]: d for d in manifests(synth.template("prod", "cluster")) if d["kind"] == "StorageClass"}
    # prod's storage.efs adds the class `efs`; gp3-encrypted stays the one default.
    assert sorted(classes) == ["efs", "gp3-encrypted"]
    assert "annotations" not in classes["efs"]["metadata"]
    sc = classes["gp3-encrypted"]
    assert sc["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert sc["provisioner"] == "ebs.csi.aws.com"
    assert sc["parameters"]["type"] == "gp3" and sc["parameters"]["encrypted"] == "true"
    assert sc["volumeBindingMode"] == "WaitForFirstConsumer" and sc["allowVolumeExpansion"] is True


def test_load_balancer_controller_values(synth: Any) -> None:
    template = synth.template("prod", "cluster")
    (chart,) = [c for c in layers.items(template, type="chart").values() if c.properties["Chart"] == "aws-load-balancer-controller"]
    assert (chart.id, chart.layer) == ("Addons/LoadBalancerController", "platform")
    props = chart.properties
    assert (props["Chart"], props["Repository"]) == ("aws-load-balancer-controller", "https://aws.github.io/eks-charts")
    assert props["Version"] == "1.14.0"
    values = json.loads(resolve(props["Values"], template))
    assert values["region"] == "eu-west-1" and values["replicaCount"] == 2
    assert values["podDisruptionBudget"] == {"maxUnavailable": 1}
    assert values["enableServiceMutatorWebhook"] is True and values["ingressClassConfig"] == {"default": True}
    assert {"clusterName", "vpcId"} <= values.keys()
    policy = json.dumps(resources_of(template, "AWS::IAM::ManagedPolicy"))
    assert '"aws:RequestTag/elbv2.k8s.aws/cluster": {"Ref": "ControlPlaneCluster' in policy  # this cluster's name
    assert '"aws:ResourceTag/elbv2.k8s.aws/cluster": {"Ref": "ControlPlaneCluster' in policy
    lbc = [p for p in resources_of(template, "AWS::IAM::ManagedPolicy").values()
           if "Load Balancer Controller" in p["Properties"].get("Description", "")]
    statements = {s.get("Sid"): s for p in lbc for s in p["Properties"]["PolicyDocument"]["Statement"]}
    # ModifyListenerAttributes needs the listener to carry this cluster's tag (as upstream).
    own = statements["ModifyOwnListenerAttributes"]
    assert own["Action"] == "elasticloadbalancing:ModifyListenerAttributes"
    assert "aws:ResourceTag/elbv2.k8s.aws/cluster" in json.dumps(own["Condition"])
    assert "elasticloadbalancing:ModifyListenerAttributes" not in statements["ListenerSettings"]["Action"]
    # Its Service webhook fails closed: the chart waits for the add-ons that create Services.
    addons = {k for k, v in resources_of(template, "AWS::EKS::Addon").items()
              if v["Properties"]["AddonName"] in ("coredns", "metrics-server", "amazon-cloudwatch-observability")}
    assert addons and addons <= set(layers.layer_depends_on(template, chart.id))


def demo(synth: Any, env: str) -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for d in manifests(synth.template(env, "cluster")) if d["metadata"].get("name") in ("demo-nodejs-backend", "demo")}


def test_demo_workload_is_hardened_and_scales(synth: Any) -> None:
    objects = demo(synth, "dev")
    pod = objects["Deployment"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert objects["Deployment"]["spec"]["replicas"] == 3
    assert container["ports"][0]["containerPort"] == 3000
    # The image serves only /services/all: probes and the ALB health check must use it.
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/services/all"
    assert objects["Ingress"]["metadata"]["annotations"]["alb.ingress.kubernetes.io/healthcheck-path"] == "/services/all"
    assert {"requests", "limits"} == container["resources"].keys()
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert pod["topologySpreadConstraints"][0]["topologyKey"] == "topology.kubernetes.io/zone"
    assert objects["Namespace"]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert objects["PodDisruptionBudget"]["spec"]["maxUnavailable"] == 1
    hpa = objects["HorizontalPodAutoscaler"]
    assert hpa["apiVersion"] == "autoscaling/v2" and hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"


@pytest.mark.parametrize(("env", "scheme", "https"), [("dev", "internet-facing", False), ("staging", "internal", True)])
def test_demo_ingress_per_environment(synth: Any, env: str, scheme: str, https: bool) -> None:
    annotations = demo(synth, env)["Ingress"]["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/scheme"] == scheme
    assert annotations["alb.ingress.kubernetes.io/target-type"] == "ip"
    assert ("alb.ingress.kubernetes.io/certificate-arn" in annotations) is https
    assert ("443" in annotations["alb.ingress.kubernetes.io/listen-ports"]) is https


def test_prod_has_no_demo(synth: Any) -> None:
    assert demo(synth, "prod") == {}


#: API groups of custom resources, which kubernetes-validate has no schema for, and the test
#: that checks them against their CRDs instead.
CRD_GROUPS = {
    "karpenter.sh": "tests/unit/test_compute.py (NodePool)",
    "karpenter.k8s.aws": "tests/unit/test_compute.py (EC2NodeClass)",
    # Kyverno's CEL policies: @kubernetes-models/kyverno through scripts/validate_kyverno.mjs
    "policies.kyverno.io": "tests/governance/test_policy_schema.py (ValidatingPolicy, MutatingPolicy)",
    # the image verification ClusterPolicy: the same npm models
    "kyverno.io": "tests/governance/test_image_verification.py (ClusterPolicy)",
    # kyverno-notation-aws's CRDs (nirmata/kyverno-notation-aws charts-v1.1.0)
    "notation.nirmata.io": "tests/governance/test_image_verification.py (TrustStore, TrustPolicy)",
    # VPC CNI custom networking's CRD (aws/amazon-vpc-cni-k8s): ENI_CONFIG_SCHEMA there
    "crd.k8s.amazonaws.com": "tests/constructs/test_custom_networking.py (ENIConfig)",
    # security groups for pods' CRD (amazon-vpc-resource-controller-k8s): SGP_SCHEMA there
    "vpcresources.k8s.aws": "tests/constructs/test_pod_security_groups.py (SecurityGroupPolicy)",
}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_emitted_kubernetes_object_validates_against_its_cluster_version(synth: Any, configs: Any, env: str) -> None:
    version = configs[env].cluster.version  # kubernetes-validate bundles 1.25..1.37 schemas
    docs = manifests(synth.template(env, "cluster"))
    assert docs
    validated = 0
    for doc in docs:
        if doc["apiVersion"].split("/")[0] in CRD_GROUPS:
            continue  # custom resources: no bundled schema; CRD_GROUPS names their test
        kubernetes_validate.validate(doc, f"{version}.0", strict=True)
        validated += 1
    assert validated  # the built-in kinds (namespaces, quotas, RBAC, ...) are all checked
