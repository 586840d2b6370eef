"""ClusterStack: the EKS control plane, its compute and its add-ons."""

from __future__ import annotations

import dataclasses
from typing import Any, cast

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from eks_blueprint import ControlPlane, Network, kubectl_layer_for
from eks_blueprint.access import ClusterAccess
from eks_blueprint.addons.addons import Addons
from eks_blueprint.addons.kubectl_compliance import acknowledge_kubectl_provider
from eks_blueprint.config import EnvironmentConfig
from eks_blueprint.identity import ServiceAccountRole, workload_id
from eks_blueprint.tenancy import TenantNamespaces
from eks_blueprint.threat_detection import add_guardduty_agent
from eks_blueprint.workloads.demo import DemoWorkload

from .addon_props import addons_props, demo_props, tenants_props
from .compute_props import compose_compute, with_auto_mode
from .compute_props import needs_kubectl as compute_needs_kubectl
from .identity_props import access_props, add_workload_identities
from .props import control_plane_props


class ClusterStack(Stack):
    """The environment's EKS cluster, in the VPC of its NetworkStack."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: EnvironmentConfig,
        network: Network,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        props = with_auto_mode(control_plane_props(config, network.vpc), config)
        needs_kubectl = (
            config.addons.needs_kubectl
            or config.workloads.demo.enabled
            or bool(config.tenants)
            or compute_needs_kubectl(config)
            or any(entry.binds_groups for entry in config.access)  # RBAC bindings
        )
        if needs_kubectl:  # charts and manifests are applied by the kubectl provider
            props = dataclasses.replace(
                props, kubectl_layer=kubectl_layer_for(self, config.cluster.version)
            )
        self.control_plane = ControlPlane(self, "ControlPlane", props=props)
        cluster = self.control_plane.cluster
        # aws_eks_v2's Python stubs do not declare Cluster as an ICluster; it is one.
        icluster = cast(eks.ICluster, cluster)
        if needs_kubectl:
            acknowledge_kubectl_provider(cluster)
        self.addons = Addons(self, "Addons", props=addons_props(config, icluster, network.vpc))
        # After the add-ons, so Karpenter shares their Pod Identity agent.
        self.compute = compose_compute(self, config, self.control_plane, network)
        # Nodes wait for vpc-cni, kube-proxy and the Pod Identity agent; add-ons with pods
        # wait for the nodes.
        for hosts in self.compute.all():
            self.addons.add_compute_dependency(hosts)
        self.demo: DemoWorkload | None = None
        if config.workloads.demo.enabled:
            self.demo = DemoWorkload(self, "DemoWorkload", props=demo_props(config, icluster))
            # The Ingress and Service need the controller's webhooks running.
            if self.addons.load_balancer_controller is not None:
                self.demo.node.add_dependency(self.addons.load_balancer_controller)
        if config.access:
            self.access = ClusterAccess(self, "Access", props=access_props(config, icluster))
        self.tenants: TenantNamespaces | None = None
        if config.tenants:
            self.tenants = TenantNamespaces(
                self, "Tenants", props=tenants_props(config, icluster, network)
            )
        # The RoleBindings of access groups go into tenant namespaces: apply them after.
        if config.access and self.access.group_bindings is not None and self.tenants:
            self.access.group_bindings.node.add_dependency(self.tenants)
        self.workload_roles = add_workload_identities(
            Construct(self, "WorkloadIdentities"), config, icluster
        )
        guardduty = config.security.guardduty
        if guardduty.mode != "off" and guardduty.agent == "addon":
            add_guardduty_agent(icluster, guardduty.agent_version)
        self._outputs(config)

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
