"""Translate the `addons:` and `workloads:` sections into construct props."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks

from eks_blueprint import Network
from eks_blueprint.addons.addons import AddonsProps
from eks_blueprint.addons.versions import AddonName
from eks_blueprint.config import EnvironmentConfig
from eks_blueprint.tenancy import TenantNamespacesProps, TenantSpec
from eks_blueprint.workloads.demo import DemoWorkloadProps

from .props import removal_policy


def addons_props(config: EnvironmentConfig, cluster: eks.ICluster, vpc: ec2.IVpc) -> AddonsProps:
    """Add-on settings of an environment."""
    addons = config.addons
    versions: dict[AddonName, str] = {
        name: version for name, version in addons.version_overrides().values()
    }
    dns = addons.coredns
    return AddonsProps(
        cluster=cluster,
        kubernetes_version=config.cluster.version,
        vpc=vpc,
        versions=versions,
        vpc_cni_pod_eni=addons.vpc_cni.pod_eni,
        coredns_replicas=dns.replicas,
        coredns_autoscaling=(dns.autoscaling.min_replicas, dns.autoscaling.max_replicas)
        if dns.autoscaling.enabled
        else None,
        coredns_tolerations=tuple(t.model_dump(exclude_none=True) for t in dns.tolerations),
        coredns_on_fargate=dns.compute_type == "fargate",
        ebs_csi_driver=addons.ebs_csi_driver.enabled,
        removal_policy=removal_policy(config),
        metrics_server=addons.metrics_server.enabled,
        cloudwatch_observability=addons.cloudwatch_observability.enabled,
        snapshot_controller=addons.snapshot_controller.enabled,
        load_balancer_controller=addons.load_balancer_controller.enabled,
        load_balancer_controller_replicas=addons.load_balancer_controller.replicas,
        external_dns_zone=(addons.external_dns.hosted_zone_id, addons.external_dns.domain)  # type: ignore[arg-type]
        if addons.external_dns.enabled
        else None,
        cert_manager=addons.cert_manager.enabled,
    )


def demo_props(config: EnvironmentConfig, cluster: eks.ICluster) -> DemoWorkloadProps:
    """The demo workload of an environment."""
    demo = config.workloads.demo
    return DemoWorkloadProps(
        cluster=cluster,
        image=demo.image,
        replicas=demo.replicas,
        max_replicas=demo.max_replicas,
        target_cpu_utilization=demo.target_cpu_utilization,
        scheme=demo.scheme,
        certificate_arn=demo.certificate_arn,
        platforms=tuple(demo.platforms),
        # An internal ALB without a list accepts the VPC's own clients only.
        inbound_cidrs=tuple(demo.inbound_cidrs)
        or ((config.network.cidr,) if demo.scheme == "internal" else ()),
        allow_open_ingress=demo.allow_open_ingress,
    )


def tenants_props(
    config: EnvironmentConfig, cluster: eks.ICluster, network: Network
) -> TenantNamespacesProps:
    """The tenant namespaces of an environment (its `tenants:` section)."""
    return TenantNamespacesProps(
        cluster=cluster,
        # Literal CIDRs: CDK plans the subnets at synth, so no cross-stack reference.
        # Internal load balancers: their own tier only (the private subnets hold every pod).
        load_balancer_cidrs={
            "internet-facing": [s.ipv4_cidr_block for s in network.vpc.public_subnets],
            "internal": network.subnet_cidrs(network.internal_load_balancer_subnets),
        },
        tenants=[
            TenantSpec(
                name=t.name,
                cpu=t.quota.cpu,
                memory=t.quota.memory,
                pods=t.quota.pods,
                storage=t.quota.storage,
                persistent_volume_claims=t.quota.persistent_volume_claims,
                load_balancers=t.quota.load_balancers,
                pod_security=t.pod_security,
                default_requests={
                    "cpu": t.container_defaults.cpu_request,
                    "memory": t.container_defaults.memory_request,
                },
                default_limits={
                    "cpu": t.container_defaults.cpu_limit,
                    "memory": t.container_defaults.memory_limit,
                },
                egress=t.egress,
                egress_cidrs=tuple(t.egress_cidrs),
                ingress_from=tuple(t.ingress_from),
            )
            for t in config.tenants
        ],
    )
