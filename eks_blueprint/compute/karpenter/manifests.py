"""The Kubernetes objects Karpenter reads, built from the specs: pure functions, spec in,
manifest out (the Karpenter construct applies them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from ..managed_node_groups import block_devices
from ..max_pods import prefix_pool_requirements
from .specs import NodeClassSpec, NodePoolSpec


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


def node_pool_manifest(spec: NodePoolSpec, *, prefix_delegation: bool) -> dict[str, Any]:
    """A NodePool. With prefix delegation the EC2NodeClass sets maxPods (at least 110), so
    the pool keeps to instances with the addresses for them (prefixes exist on Nitro only;
    small sizes and g4ad have too few ENIs)."""
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
    if spec.taints:
        template_spec["taints"] = [t.to_manifest() for t in spec.taints]
    template: dict[str, Any] = {"spec": template_spec}
    if spec.labels:
        template["metadata"] = {"labels": dict(spec.labels)}
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
