"""The logical ids of stateful resources are pinned: a changed id replaces a live resource.

If this test fails, a refactoring renamed a construct. Do not update the ids here unless the
replacement is intended: keep the old id with `override_logical_id`, or plan a migration
(README, "When a rename of a stateful resource is intended").
"""

from __future__ import annotations

import pytest

from eks_blueprint.review.model import STATEFUL_TYPES
from eks_blueprint.template.kubernetes import layer_items
from tests.conftest import ENVIRONMENTS, SynthResult, resources_of

PINNED: dict[str, dict[str, str]] = {
    "cluster": {
        "ControlPlaneCluster8AFA2E51": "AWS::EKS::Cluster",
        "ControlPlaneSecretsKey72FED211": "AWS::KMS::Key",
        "ControlPlaneLogKey6B346203": "AWS::KMS::Key",
        "ControlPlaneLogGroup8A392AC5": "AWS::Logs::LogGroup",
        "AddonsVolumeKey3522A4A2": "AWS::KMS::Key",
        "KarpenterInterruptionQueue5E4495D7": "AWS::SQS::Queue",
        # The logs of the function that applies the Kubernetes layers, and of its framework.
        "ControlPlaneKubernetesProviderHandlerLogs9C6C7619": "AWS::Logs::LogGroup",
        "ControlPlaneKubernetesProviderFrameworkLogsD003AD57": "AWS::Logs::LogGroup",
        # The Kubernetes layers: a new id replaces a layer. CloudFormation creates the new one,
        # then deletes the old one, whose handler removes every object of that layer that no
        # other layer names: the objects the new layer has just applied.
        "ControlPlaneKubernetesFoundationF946FF7F": "Custom::EksBlueprint-KubernetesLayer",
        "ControlPlaneKubernetesCapacity265740C0": "Custom::EksBlueprint-KubernetesLayer",
        "ControlPlaneKubernetesPlatformF450F0F7": "Custom::EksBlueprint-KubernetesLayer",
        "ControlPlaneKubernetesWorkloadsA60EDAB9": "Custom::EksBlueprint-KubernetesLayer",
    },
    "network": {
        "NetworkVpc7FB7348F": "AWS::EC2::VPC",
        "NetworkFlowLogKeyF785E5F9": "AWS::KMS::Key",
        "NetworkFlowLogGroup4F8CEEEF": "AWS::Logs::LogGroup",
        "NetworkVpcPublicSubnet1Subnet36933139": "AWS::EC2::Subnet",
        "NetworkVpcPublicSubnet2SubnetC427CCE0": "AWS::EC2::Subnet",
        "NetworkVpcPublicSubnet3Subnet4BBF7F47": "AWS::EC2::Subnet",
        "NetworkVpcPrivateSubnet1Subnet6DD86AE6": "AWS::EC2::Subnet",
        "NetworkVpcPrivateSubnet2Subnet1BDBE877": "AWS::EC2::Subnet",
        "NetworkVpcPrivateSubnet3Subnet8ABFAF5C": "AWS::EC2::Subnet",
    },
    "security": {
        "RegistryKey1053ED4C": "AWS::KMS::Key",
        "RegistryShopApi6B889243": "AWS::ECR::Repository",
        # Every shipped environment verifies image signatures (governance): a new profile
        # would no longer verify the images signed with this one.
        "SigningProfile2139A0F9": "AWS::Signer::SigningProfile",
    },
}

#: Present where an environment's config asks for them, with these ids wherever they are.
OPTIONAL: dict[str, dict[str, str]] = {
    "cluster": {
        "NodeGroupsSystemB3D9563D": "AWS::EKS::Nodegroup",
        "FargateBatchF9189470": "AWS::EKS::FargateProfile",
        "FargateCoredns74240D43": "AWS::EKS::FargateProfile",
        "FargateKarpenterC3551B42": "AWS::EKS::FargateProfile",
        # tenants with isolation: fargate (profile tenant-<name>)
        "FargateTenantBatch0612FF77": "AWS::EKS::FargateProfile",
        # /aws/containerinsights/<cluster>/tenants/<name>, with addons.cloudwatch_observability
        "TenantLogsPayments885CB9B9": "AWS::Logs::LogGroup",
        "TenantLogsBatch8BFC1E77": "AWS::Logs::LogGroup",
        # storage.efs: the file system, its key and one access point per listed tenant
        "EfsKey35F03706": "AWS::KMS::Key",
        "EfsFileSystem339D9BB5": "AWS::EFS::FileSystem",
        "EfsAccessPointPaymentsA95A6765": "AWS::EFS::AccessPoint",
        # storage.fsx_lustre: the key of the (PERSISTENT) file systems the driver creates;
        # the file systems themselves are the driver's, not CloudFormation's
        "FsxLustreKeyDBDFFFAF": "AWS::KMS::Key",
    },
    "security": {
        "RegistryDemoWebBF3250F3": "AWS::ECR::Repository",
    },
    "delivery": {
        "DemoWebKeyFD089E49": "AWS::KMS::Key",
        "DemoWebBuildLogsF61FA5F7": "AWS::Logs::LogGroup",
        "DemoWebDeployLogs37666536": "AWS::Logs::LogGroup",
    },
    "network": {
        "NetworkVpcIsolatedSubnet1Subnet0400477E": "AWS::EC2::Subnet",
        "NetworkVpcIsolatedSubnet2SubnetF65B365A": "AWS::EC2::Subnet",
        "NetworkVpcIsolatedSubnet3Subnet8C12D961": "AWS::EC2::Subnet",
        "NetworkVpcInternalLoadBalancerSubnet1Subnet6E6CE58F": "AWS::EC2::Subnet",
        "NetworkVpcInternalLoadBalancerSubnet2SubnetD375FAA9": "AWS::EC2::Subnet",
        "NetworkVpcInternalLoadBalancerSubnet3Subnet276CB01D": "AWS::EC2::Subnet",
        # network.pod_subnets (custom networking): the secondary CIDR and its subnets
        "NetworkPodCidrBlockB5F6C982": "AWS::EC2::VPCCidrBlock",
        "NetworkPodsSubnet1FB3B2744": "AWS::EC2::Subnet",
        "NetworkPodsSubnet23D646D3D": "AWS::EC2::Subnet",
        "NetworkPodsSubnet3D9680FFB": "AWS::EC2::Subnet",
    },
}

#: network.pod_subnets (staging).
POD_NETWORK = {
    "NetworkPodCidrBlockB5F6C982",
    "NetworkPodsSubnet1FB3B2744",
    "NetworkPodsSubnet23D646D3D",
    "NetworkPodsSubnet3D9680FFB",
}

#: network.internal_load_balancer_subnet_mask (staging, prod): appended after the other groups.
INTERNAL_LB_SUBNETS = {
    "NetworkVpcInternalLoadBalancerSubnet1Subnet6E6CE58F",
    "NetworkVpcInternalLoadBalancerSubnet2SubnetD375FAA9",
    "NetworkVpcInternalLoadBalancerSubnet3Subnet276CB01D",
}

EXPECTED_OPTIONAL: dict[str, set[str]] = {
    # dev builds the demo's image: its repository and its image pipeline's key and logs.
    # dev and prod have storage.efs (prod with an access point for payments), staging
    # storage.fsx_lustre and custom networking.
    "dev": {"NodeGroupsSystemB3D9563D", "RegistryDemoWebBF3250F3", "DemoWebKeyFD089E49",
            "DemoWebBuildLogsF61FA5F7", "DemoWebDeployLogs37666536",
            "EfsKey35F03706", "EfsFileSystem339D9BB5"},
    # batch runs on its tenant Fargate profile, where the add-on's Fluent Bit does not run, so
    # only payments gets a log group (dev has the CloudWatch add-on off: no tenant logs there).
    "staging": {"FargateTenantBatch0612FF77", "FargateCoredns74240D43", "FargateKarpenterC3551B42",
                "TenantLogsPayments885CB9B9", *INTERNAL_LB_SUBNETS,
                "FsxLustreKeyDBDFFFAF", *POD_NETWORK},
    "prod": {
        "NodeGroupsSystemB3D9563D",
        "TenantLogsPayments885CB9B9",
        "NetworkVpcIsolatedSubnet1Subnet0400477E",
        "NetworkVpcIsolatedSubnet2SubnetF65B365A",
        "NetworkVpcIsolatedSubnet3Subnet8C12D961",
        *INTERNAL_LB_SUBNETS,
        "EfsKey35F03706",
        "EfsFileSystem339D9BB5",
        "EfsAccessPointPaymentsA95A6765",
    },
}



@pytest.mark.parametrize("env", ENVIRONMENTS)
@pytest.mark.parametrize("kind", sorted(PINNED))
def test_stateful_logical_ids_are_pinned(synth: SynthResult, env: str, kind: str) -> None:
    resources = synth.template(env, kind)["Resources"]
    for logical_id, type_ in PINNED[kind].items():
        assert logical_id in resources, f"{env}/{kind}: stateful resource {logical_id} renamed"
        assert resources[logical_id]["Type"] == type_


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_stateful_resource_is_pinned(synth: SynthResult, env: str) -> None:
    optional_found: set[str] = set()
    for kind, template in synth.templates[env].items():
        for type_ in STATEFUL_TYPES:
            for logical_id in resources_of(template, type_):
                if logical_id in OPTIONAL.get(kind, {}):
                    assert OPTIONAL[kind][logical_id] == type_
                    optional_found.add(logical_id)
                    continue
                assert PINNED.get(kind, {}).get(logical_id) == type_, (
                    f"{env}/{kind}: new stateful resource {logical_id} ({type_}); pin its id here"
                )
    assert optional_found == EXPECTED_OPTIONAL[env]


#: Each environment's layer items by layer: their ids are construct paths, which is what a
#: reviewer reads in a diff ("which objects does this change touch"). A renamed construct
#: shows up here (the handler compares objects by identity, so a renamed item alone
#: deletes nothing, but the review would lose track of it).
_TENANTS = ["Tenants/PriorityClasses", "Tenants/Payments"]
_GOVERNANCE = [
    "Governance/Kyverno",
    "Governance/Policies",
    "Governance/Verifier",
    "Governance/Verification",
    "Governance/VerifierRegion",
]
_KARPENTER = ["Karpenter/CrdChart", "Karpenter/Chart", "Karpenter/NodeClassDefault"]
ITEMS: dict[str, dict[str, list[str]]] = {
    "dev": {
        "foundation": ["Access/GroupBindings", *_TENANTS],
        "capacity": [*_KARPENTER, "Karpenter/NodePoolSpot"],
        "platform": [
            "Addons/StorageClass",
            "Addons/LoadBalancerController",
            "Addons/CniMetricsHelper",
            "Efs/Manifest",
        ],
        "workloads": [*_GOVERNANCE, "DemoWorkload/Manifest"],
    },
    "staging": {
        "foundation": [
            "CustomNetworking/EniConfigs",
            "Access/GroupBindings",
            *_TENANTS,
            "Tenants/Batch",
        ],
        "capacity": [*_KARPENTER, "Karpenter/NodePoolGeneral"],
        "platform": [
            "Addons/StorageClass",
            "Addons/LoadBalancerController",
            "Addons/CniMetricsHelper",
            "Addons/VerticalPodAutoscaler",
            "FsxLustre/Manifest",
        ],
        "workloads": [*_GOVERNANCE, "DemoWorkload/Manifest"],
    },
    "prod": {
        "foundation": ["Access/GroupBindings", *_TENANTS],
        "capacity": [
            *_KARPENTER,
            "Karpenter/NodePoolOnDemand",
            "Karpenter/NodePoolSpot",
            "Karpenter/NodePoolTenantPayments",
        ],
        "platform": [
            "Addons/StorageClass",
            "Addons/LoadBalancerController",
            "Addons/CniMetricsHelper",
            "Addons/VerticalPodAutoscaler",
            "Efs/Manifest",
            "PodSecurityGroups/Policies",
        ],
        "workloads": _GOVERNANCE,
    },
}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_layer_item_ids_are_pinned(synth: SynthResult, env: str) -> None:
    found: dict[str, list[str]] = {}
    for item in layer_items(synth.template(env, "cluster")["Resources"]):
        found.setdefault(item.layer, []).append(item.id)
    assert {k: sorted(v) for k, v in found.items()} == {
        k: sorted(v) for k, v in ITEMS[env].items()
    }
