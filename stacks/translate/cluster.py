"""Translate `cluster:` into ControlPlaneProps: the one place the control plane's props are
built, including Auto Mode (from `compute.auto_mode`) and whether the cluster gets its
kubectl provider (from every section that applies objects through kubectl)."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks

from eks_blueprint import AutoModeProps, ControlPlaneProps
from eks_blueprint.config import EnvironmentConfig

from .compute import nvidia_device_plugin_needed
from .delivery import gitops_target
from .lifecycle import removal_policy, retention


def kubectl_users(config: EnvironmentConfig) -> list[str]:
    """The config sections that apply Kubernetes objects through the cluster's kubectl
    provider (Helm charts and manifests), each with what it applies. Empty: the cluster
    needs no provider, so its stack has no Lambda function at all."""
    users: list[str] = []
    if config.addons.needs_kubectl:
        users.append("addons: the charts and manifests of the enabled add-ons")
    if config.compute.karpenter is not None:
        users.append("compute.karpenter: the chart, NodePools and EC2NodeClasses")
    if config.workloads.demo.enabled:
        users.append("workloads.demo: its Deployment, Service and Ingress")
    if config.tenants:
        users.append("tenants: namespaces, quotas and network policies")
    if any(entry.binds_groups for entry in config.access):
        users.append("access: RoleBindings of kubernetes_groups")
    if config.governance.enabled:
        users.append("governance: the Kyverno charts and policies")
    if config.storage.needs_kubectl:
        users.append("storage: the EFS and FSx for Lustre StorageClasses and volumes")
    if config.network.pod_subnets is not None:
        users.append("network.pod_subnets: one ENIConfig per AZ (custom networking)")
    if config.pod_security_groups:
        users.append("pod_security_groups: the SecurityGroupPolicy objects")
    if nvidia_device_plugin_needed(config):
        users.append("compute: the NVIDIA device plugin chart (AL2023 NVIDIA nodes)")
    if config.compute.cluster_autoscaler is not None:
        users.append("compute.cluster_autoscaler: its Helm chart")
    if config.capabilities.needs_kubectl:
        users.append("capabilities: the access policy giving Argo CD or kro deploy rights")
    return users


def needs_kubectl(config: EnvironmentConfig) -> bool:
    """Whether the cluster needs its kubectl provider (see `kubectl_users`); GitOps delivery
    always does (for its bootstrap)."""
    return config.delivery.gitops or bool(kubectl_users(config))


def endpoint_access(config: EnvironmentConfig) -> eks.EndpointAccess:
    """Private, or public-and-private restricted to the configured CIDRs."""
    endpoint = config.cluster.endpoint
    if endpoint.access == "private":
        return eks.EndpointAccess.PRIVATE
    return eks.EndpointAccess.PUBLIC_AND_PRIVATE.only_from(*endpoint.public_cidrs)


def auto_mode_props(config: EnvironmentConfig) -> AutoModeProps | None:
    """EKS Auto Mode with the configured built-in node pools, or None (the default: the
    compute constructs add capacity)."""
    auto_mode = config.compute.auto_mode
    return None if auto_mode is None else AutoModeProps(node_pools=tuple(auto_mode.node_pools))


def control_plane_props(config: EnvironmentConfig, vpc: ec2.IVpc) -> ControlPlaneProps:
    """The control plane of an environment, in `vpc`."""
    cluster = config.cluster
    return ControlPlaneProps(
        cluster_name=cluster.name,
        version=cluster.version,
        vpc=vpc,
        endpoint_access=endpoint_access(config),
        log_retention=retention(cluster.logging.retention_days),
        removal_policy=removal_policy(config),
        deletion_protection=cluster.deletion_protection,
        upgrade_support_type="EXTENDED" if cluster.upgrade_policy == "extended" else "STANDARD",
        admin_principal_arns=tuple(cluster.admins),
        viewer_principal_arns=tuple(cluster.viewers),
        open_endpoint_reason=cluster.endpoint.open_public_endpoint_reason,
        auto_mode=auto_mode_props(config),
        kubectl_provider=needs_kubectl(config),
        gitops=gitops_target(config),
        ip_family=config.cluster.ip_family,
        security_groups_for_pods=config.addons.vpc_cni.pod_eni,
    )
