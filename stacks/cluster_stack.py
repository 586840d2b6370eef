"""ClusterStack: the EKS control plane, its compute and its add-ons.

The props come from `stacks.translate`; this module only creates the constructs, in an
order that keeps the shipped environments' construct ids and templates as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from eks_blueprint import (
    AckCapability,
    Addons,
    ArgoCdCapability,
    ClusterAccess,
    ClusterAutoscaler,
    ControlPlane,
    CustomNetworking,
    DemoWorkload,
    EfsStorage,
    FargateProfiles,
    FsxLustreStorage,
    Governance,
    Karpenter,
    KroCapability,
    ManagedNodeGroups,
    Network,
    NvidiaDevicePlugin,
    PodIdentityRole,
    PodSecurityGroups,
    PrometheusScraper,
    SelfManagedNodeGroups,
    ServiceAccountRole,
    ServiceAccountRoleProps,
    TenantLogGroups,
    TenantNamespaces,
)
from eks_blueprint.config import EnvironmentConfig
from eks_blueprint.identity import workload_id
from eks_blueprint.threat_detection import add_guardduty_agent

from .translate.addons import addons_props
from .translate.capabilities import ack_props, argocd_props, kro_props
from .translate.cluster import control_plane_props
from .translate.compute import (
    cluster_autoscaler_props,
    fargate_props,
    karpenter_placement,
    karpenter_props,
    node_groups_props,
    nvidia_device_plugin_props,
    self_managed_props,
)
from .translate.governance import governance_props
from .translate.network import custom_networking_props
from .translate.observability import prometheus_props, tenant_log_props
from .translate.pod_security_groups import pod_security_groups_props
from .translate.security import guardduty_agent
from .translate.storage import efs_props, fsx_lustre_props
from .translate.workloads import (
    access_props,
    aws_managed_policy_name,
    demo_props,
    load_balancer_cidrs,
    tenants_props,
    workload_role_props,
)


@dataclass(frozen=True)
class Capabilities:
    """The environment's EKS capabilities (`capabilities:`), under construct `Capabilities`;
    each None unless configured."""

    argocd: ArgoCdCapability | None = None
    ack: AckCapability | None = None
    kro: KroCapability | None = None


class ClusterStack(Stack):
    """The environment's EKS cluster, in the VPC of its NetworkStack."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: EnvironmentConfig,
        network: Network,
        signing_profile_arn: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        self.control_plane = ControlPlane(
            self, "ControlPlane", props=control_plane_props(config, network.vpc)
        )
        self.capabilities = self._capabilities(config, self.control_plane.icluster)
        # GitOps delivery: the Argo CD capability orders the bootstrap after itself.
        cluster = self.control_plane.cluster
        icluster = self.control_plane.icluster
        # Fluent Bit writes each tenant's logs to a group of its own, which it does not create.
        self.tenant_logs: TenantLogGroups | None = None
        if (logs := tenant_log_props(config, self.control_plane.log_key)) is not None:
            self.tenant_logs = TenantLogGroups(self, "TenantLogs", props=logs)
        self.addons = Addons(self, "Addons", props=addons_props(config, icluster, network.vpc))
        if self.tenant_logs is not None:
            self.addons.node.add_dependency(self.tenant_logs)
        # After the add-ons, so Karpenter shares their Pod Identity agent. Node groups, then
        # Fargate profiles, then Karpenter on one of them. Each registers as capacity of the
        # cluster, and the library orders it with the add-ons (eks_blueprint.wiring): nodes
        # wait for vpc-cni, kube-proxy and the Pod Identity agent; add-ons with pods wait
        # for the nodes.
        self.node_groups: ManagedNodeGroups | None = None
        self.fargate: FargateProfiles | None = None
        self.karpenter: Karpenter | None = None
        if (groups := node_groups_props(config, icluster, network.node_subnets)) is not None:
            self.node_groups = ManagedNodeGroups(self, "NodeGroups", props=groups)
        fargate = fargate_props(config, cluster, network.vpc, network.node_subnets)
        if fargate is not None:
            self.fargate = FargateProfiles(self, "Fargate", props=fargate)
        placement = karpenter_placement(config, self.node_groups, self.fargate)
        if placement is not None:
            self.karpenter = Karpenter(
                self, "Karpenter", props=karpenter_props(config, icluster, placement)
            )
        # Self-managed node groups (EC2 Auto Scaling groups), capacity like the managed ones:
        # they register with the cluster and wait for vpc-cni, kube-proxy and the agent.
        self.self_managed: SelfManagedNodeGroups | None = None
        if (self_managed := self_managed_props(config, icluster, network.node_subnets)) is not None:
            self.self_managed = SelfManagedNodeGroups(self, "SelfManagedNodes", props=self_managed)
        # The Cluster Autoscaler on one of the node groups (the config refuses it with
        # Karpenter or Auto Mode, or without node groups).
        self.cluster_autoscaler: ClusterAutoscaler | None = None
        scaler = cluster_autoscaler_props(config, icluster, self.node_groups)
        if scaler is not None:
            self.cluster_autoscaler = ClusterAutoscaler(self, "ClusterAutoscaler", props=scaler)
        # The NVIDIA device plugin for AL2023 NVIDIA nodes (Bottlerocket's have it built in).
        self.nvidia_device_plugin: NvidiaDevicePlugin | None = None
        if (plugin := nvidia_device_plugin_props(config, icluster)) is not None:
            self.nvidia_device_plugin = NvidiaDevicePlugin(self, "NvidiaDevicePlugin", props=plugin)
        # Custom networking: the ENIConfigs before any node launches (CustomNetworking orders
        # the capacity registered above, managed, self-managed and Karpenter, after them).
        self.custom_networking: CustomNetworking | None = None
        if (pods := custom_networking_props(config, icluster, network)) is not None:
            self.custom_networking = CustomNetworking(self, "CustomNetworking", props=pods)
        # After the compute: the CSI drivers' pods need nodes, and each storage construct
        # orders its add-on after the capacity registered so far (eks_blueprint.wiring).
        self.efs: EfsStorage | None = None
        self.fsx_lustre: FsxLustreStorage | None = None
        if (efs := efs_props(config, icluster, network.vpc, network.node_subnets)) is not None:
            self.efs = EfsStorage(self, "Efs", props=efs)
        fsx = fsx_lustre_props(config, icluster, network.vpc, network.node_subnets)
        if fsx is not None:
            self.fsx_lustre = FsxLustreStorage(self, "FsxLustre", props=fsx)
        # Security groups for pods: EC2 groups in the VPC, opened on the cluster security
        # group for DNS, and a SecurityGroupPolicy per entry in its tenant's namespace.
        self.pod_security_groups: PodSecurityGroups | None = None
        sgp = pod_security_groups_props(
            config, icluster, network.vpc, cluster.cluster_security_group_id
        )
        if sgp is not None:
            self.pod_security_groups = PodSecurityGroups(self, "PodSecurityGroups", props=sgp)
        # The policy layer before the workloads: their pods are checked (and tenant pods
        # labelled and placed) from the first rollout, and stack deletion removes them before
        # Kyverno, whose webhooks would otherwise wait on a controller that is gone.
        self.governance: Governance | None = None
        if (rules := governance_props(config, icluster, signing_profile_arn)) is not None:
            self.governance = Governance(self, "Governance", props=rules)
        self.demo: DemoWorkload | None = None
        if (demo := demo_props(config, icluster)) is not None:
            self.demo = DemoWorkload(self, "DemoWorkload", props=demo)
            # The Ingress and Service need the controller's webhooks running.
            if self.addons.load_balancer_controller is not None:
                self.demo.node.add_dependency(self.addons.load_balancer_controller)
            if self.governance is not None:
                self.demo.node.add_dependency(self.governance)
        self.access: ClusterAccess | None = None
        if (access := access_props(config, icluster)) is not None:
            self.access = ClusterAccess(self, "Access", props=access)
        # Before the tenants: each tenant gets the ServiceAccounts of its workload identities,
        # IRSA ones annotated with their role's ARN.
        self.workload_roles = self._workload_identities(config, icluster)
        irsa_arns = {
            label: role.role.role_arn
            for label, role in self.workload_roles.items()
            if isinstance(role, ServiceAccountRole)
        }
        self.tenants: TenantNamespaces | None = None
        tenants = tenants_props(config, icluster, load_balancer_cidrs(network), irsa_arns)
        if tenants is not None:
            self.tenants = TenantNamespaces(self, "Tenants", props=tenants)
        # The RoleBindings of access groups go into tenant namespaces: apply them after.
        if self.access is not None and self.access.group_bindings is not None and self.tenants:
            self.access.group_bindings.node.add_dependency(self.tenants)
        # A SecurityGroupPolicy lives in its tenant's namespace: the namespace exists first.
        if self.pod_security_groups is not None and self.tenants is not None:
            self.pod_security_groups.policies.node.add_dependency(self.tenants)
        # Tenant pods get their tier's PriorityClass by policy: the classes exist first.
        if self.governance is not None and self.tenants is not None:
            self.governance.policies.node.add_dependency(self.tenants)
        self.prometheus: PrometheusScraper | None = None
        if (scraper := prometheus_props(config, icluster, network.vpc)) is not None:
            self.prometheus = PrometheusScraper(self, "Prometheus", props=scraper)
        agent = guardduty_agent(config)
        if agent is not None:
            add_guardduty_agent(icluster, agent.version)
        self._outputs(config)

    def _capabilities(self, config: EnvironmentConfig, cluster: eks.ICluster) -> Capabilities:
        """Argo CD, ACK and kro as configured, each under `Capabilities` (created only when
        one is): right after the control plane, as they need nothing else of the stack."""
        argocd, ack, kro = (
            argocd_props(config, cluster), ack_props(config, cluster), kro_props(config, cluster)
        )
        if argocd is None and ack is None and kro is None:
            return Capabilities()
        scope = Construct(self, "Capabilities")
        return Capabilities(
            argocd=ArgoCdCapability(scope, "ArgoCd", props=argocd) if argocd else None,
            ack=AckCapability(scope, "Ack", props=ack) if ack else None,
            kro=KroCapability(scope, "Kro", props=kro) if kro else None,
        )

    def _workload_identities(
        self, config: EnvironmentConfig, cluster: eks.ICluster
    ) -> dict[str, ServiceAccountRole | PodIdentityRole]:
        """One role per `workload_identities` entry, its id from namespace and service
        account, under `WorkloadIdentities`."""
        holder_scope = Construct(self, "WorkloadIdentities")
        roles: dict[str, ServiceAccountRole | PodIdentityRole] = {}
        for entry in config.workload_identities:
            holder = Construct(holder_scope, workload_id(entry.namespace, entry.service_account))
            managed = _managed_policies(holder, entry.managed_policy_arns)
            props = workload_role_props(config, entry, cluster, managed)
            roles[entry.label] = (
                ServiceAccountRole(holder, "Irsa", props=props)
                if isinstance(props, ServiceAccountRoleProps)
                else PodIdentityRole(holder, "PodIdentity", props=props)
            )
        return roles

    def _outputs(self, config: EnvironmentConfig) -> None:
        """What operators and application teams need after `cdk deploy`: how to reach the
        cluster, and the role ARN to annotate each IRSA service account with (Pod Identity
        needs no annotation: its association is in this stack)."""
        name = config.cluster.name
        CfnOutput(self, "ClusterName", value=name, description="EKS cluster name")
        CfnOutput(
            self,
            "UpdateKubeconfigCommand",
            value=f"aws eks update-kubeconfig --name {name} --region {config.region}",
            description="Run as one of cluster.admins or an access entry's principal",
        )
        for entry in config.workload_identities:
            role = self.workload_roles[entry.label]
            if isinstance(role, ServiceAccountRole):
                CfnOutput(
                    self,
                    f"IrsaRoleArn{workload_id(entry.namespace, entry.service_account)}",
                    value=role.role.role_arn,
                    description=f"Annotate ServiceAccount {entry.label} with "
                    "eks.amazonaws.com/role-arn set to this ARN",
                )


def _managed_policies(scope: Construct, arns: Sequence[str]) -> list[iam.IManagedPolicy]:
    """The policy objects of `arns`, in order: AWS-managed by name, customer-managed imported
    into `scope` (`Managed<index>`, which renders nothing)."""
    policies: list[iam.IManagedPolicy] = []
    for index, arn in enumerate(arns):
        name = aws_managed_policy_name(arn)
        policies.append(
            iam.ManagedPolicy.from_aws_managed_policy_name(name)
            if name is not None
            else iam.ManagedPolicy.from_managed_policy_arn(scope, f"Managed{index}", arn)
        )
    return policies
