"""The Kubernetes objects Karpenter reads, built from the specs: pure functions, spec in,
manifest out (the Karpenter construct applies them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from ...instance_types import NVIDIA_DEVICE_PLUGIN_LABEL
from ..managed_node_groups import block_devices
from ..max_pods import prefix_pool_requirements
from .specs import NodeClassSpec, NodePoolSpec

#: The requirement that keeps a GPU pool to NVIDIA GPU instances (a well-known label
#: Karpenter derives from the instance type: karpenter.k8s.aws/instance-gpu-manufacturer).
NVIDIA_GPU_REQUIREMENT: dict[str, Any] = {
    "key": "karpenter.k8s.aws/instance-gpu-manufacturer",
    "operator": "In",
    "values": ["nvidia"],
}


def ami_family(ami_alias: str) -> Literal["al2023", "bottlerocket"]:
    """The AMI family of an EC2NodeClass alias (`bottlerocket@...` or `al2023@...`)."""
    return "bottlerocket" if ami_alias.startswith("bottlerocket") else "al2023"


def node_class_manifest(
    spec: NodeClassSpec,
    *,
    role_name: str,
    cluster_name: str,
    max_pods: int | None,
    instance_tags: Mapping[str, str],
) -> dict[str, Any]:
    """An EC2NodeClass: the node role, the AMI alias, subnets by the discovery tag, the
    cluster security group, the kubelet's maxPods (`max_pods`; None: Karpenter's ENI-based
    default, for a CNI without prefix delegation), IMDSv2 with hop limit 1 and encrypted gp3
    volumes."""
    return {
        "apiVersion": "karpenter.k8s.aws/v1",
        "kind": "EC2NodeClass",
        "metadata": {"name": spec.name},
        "spec": {
            "role": role_name,
            "amiSelectorTerms": [{"alias": spec.ami_alias}],
            "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": cluster_name}}],
            "securityGroupSelectorTerms": [{"tags": {"aws:eks:cluster-name": cluster_name}}],
            **({"kubelet": {"maxPods": max_pods}} if max_pods is not None else {}),
            "metadataOptions": {
                "httpEndpoint": "enabled",
                "httpProtocolIPv6": "disabled",
                "httpPutResponseHopLimit": 1,
                "httpTokens": "required",
            },
            "blockDeviceMappings": [
                {
                    "deviceName": device,
                    "ebs": {
                        "volumeSize": f"{size}Gi",
                        "volumeType": "gp3",
                        "encrypted": True,
                        "deleteOnTermination": True,
                    },
                }
                for device, size in block_devices(ami_family(spec.ami_alias), spec.volume_size_gib)
            ],
            "tags": dict(instance_tags),
        },
    }


def node_pool_manifest(
    spec: NodePoolSpec, *, prefix_delegation: bool, nvidia_device_plugin: bool = False
) -> dict[str, Any]:
    """A NodePool. With prefix delegation the EC2NodeClass sets maxPods (at least 110), so
    the pool keeps to instances with the addresses for them (prefixes exist on Nitro only;
    small sizes and g4ad have too few ENIs). A GPU pool (`accelerator`) keeps to NVIDIA GPU
    instances and carries the GPU taint; `nvidia_device_plugin` (its class's AMI lacks the
    plugin: al2023) labels its nodes for the plugin's DaemonSet."""
    req = spec.requirements
    requirements: list[dict[str, Any]] = [
        {"key": "kubernetes.io/arch", "operator": "In", "values": list(req.architectures)},
        {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": list(req.capacity_types)},
        {
            "key": "karpenter.k8s.aws/instance-category",
            "operator": "In",
            "values": list(req.instance_categories),
        },
        {
            "key": "karpenter.k8s.aws/instance-generation",
            "operator": "Gt",
            "values": [str(req.min_instance_generation - 1)],
        },
    ]
    if prefix_delegation:
        requirements += prefix_pool_requirements()
    if spec.accelerator == "nvidia":
        requirements.append(dict(NVIDIA_GPU_REQUIREMENT, values=["nvidia"]))
    if req.min_vcpus is not None:
        requirements.append(
            {
                "key": "karpenter.k8s.aws/instance-cpu",
                "operator": "Gt",
                "values": [str(req.min_vcpus - 1)],
            }
        )
    if req.zones:
        requirements.append(
            {"key": "topology.kubernetes.io/zone", "operator": "In", "values": list(req.zones)}
        )
    template_spec: dict[str, Any] = {
        "nodeClassRef": {
            "group": "karpenter.k8s.aws",
            "kind": "EC2NodeClass",
            "name": spec.node_class,
        },
        "requirements": requirements,
        "expireAfter": spec.disruption.expire_after,
    }
    taints = spec.resolved_taints()
    if taints:
        template_spec["taints"] = [t.to_manifest() for t in taints]
    template: dict[str, Any] = {"spec": template_spec}
    labels = dict(spec.labels)
    if nvidia_device_plugin and spec.accelerator == "nvidia":
        labels[NVIDIA_DEVICE_PLUGIN_LABEL] = "true"
    if labels:
        template["metadata"] = {"labels": labels}
    disruption: dict[str, Any] = {
        "consolidationPolicy": spec.disruption.consolidation_policy,
        "consolidateAfter": spec.disruption.consolidate_after,
    }
    if spec.disruption.budgets:
        disruption["budgets"] = [b.to_manifest() for b in spec.disruption.budgets]
    pool_spec: dict[str, Any] = {
        "template": template,
        "limits": {"cpu": str(spec.limits.cpu), "memory": spec.limits.memory},
        "disruption": disruption,
    }
    if spec.weight is not None:
        pool_spec["weight"] = spec.weight
    return {
        "apiVersion": "karpenter.sh/v1",
        "kind": "NodePool",
        "metadata": {"name": spec.name},
        "spec": pool_spec,
    }
