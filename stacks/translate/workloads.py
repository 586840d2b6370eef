"""Translate what runs on the cluster and who reaches it: `tenants:`, `workload_identities:`,
`access:` and `workloads.demo:`.

Each `*_props` returns None when its section is empty, so the stack creates exactly the
constructs the file asks for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam

from eks_blueprint import (
    AccessGrant,
    ClusterAccessProps,
    DemoWorkloadProps,
    Network,
    PodIdentityRoleProps,
    ServiceAccountRoleProps,
    TenantNamespacesProps,
    TenantSpec,
)
from eks_blueprint.config import ACCESS_POLICIES, EnvironmentConfig, WorkloadIdentityConfig
from eks_blueprint.config.identity import AWS_MANAGED_POLICY
from eks_blueprint.config.tenancy import tenant_identities
from eks_blueprint.observability import tenant_namespace_annotations
from eks_blueprint.tenancy import (
    IRSA_ROLE_ANNOTATION,
    LoadBalancerScheme,
    PriorityTier,
    ServiceAccountSpec,
    priority_class_name,
)


def demo_props(config: EnvironmentConfig, cluster: eks.ICluster) -> DemoWorkloadProps | None:
    """The demo workload, or None when `workloads.demo.enabled` is false."""
    demo = config.workloads.demo
    if not demo.enabled:
        return None
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
        or (vpc_client_cidrs(config) if demo.scheme == "internal" else ()),
        allow_open_ingress=demo.allow_open_ingress,
    )


def vpc_client_cidrs(config: EnvironmentConfig) -> tuple[str, ...]:
    """The IPv4 ranges clients inside the VPC come from: `network.cidr` (nodes, and pods
    without custom networking) and, with custom networking, `network.pod_subnets.cidr`, the
    secondary CIDR the pods take their addresses from."""
    pods = config.network.pod_subnets
    return (config.network.cidr,) + ((pods.cidr,) if pods is not None else ())


def load_balancer_cidrs(network: Network) -> dict[LoadBalancerScheme, list[str]]:
    """Where load balancers of each scheme sit, for the tenants' network policies: the public
    subnets, and the internal load balancers' own tier (the private subnets hold every pod).
    Literal CIDRs: CDK plans the subnets at synth, so there is no cross-stack reference."""
    return {
        "internet-facing": [s.ipv4_cidr_block for s in network.vpc.public_subnets],
        "internal": network.subnet_cidrs(network.internal_load_balancer_subnets),
    }


def tenants_props(
    config: EnvironmentConfig,
    cluster: eks.ICluster,
    load_balancer_cidrs: Mapping[LoadBalancerScheme, Sequence[str]],
    irsa_role_arns: Mapping[str, str] | None = None,
) -> TenantNamespacesProps | None:
    """The tenant namespaces, or None when `tenants:` is empty. `irsa_role_arns` maps a
    workload identity's label (`namespace/service-account`) to its IRSA role's ARN, for the
    annotation of the ServiceAccount the tenant gets for it; ValueError when an IRSA
    identity in a tenant namespace has none."""
    if not config.tenants:
        return None
    arns = irsa_role_arns or {}
    insights = config.addons.cloudwatch_observability.enabled
    return TenantNamespacesProps(
        cluster=cluster,
        load_balancer_cidrs=load_balancer_cidrs,
        tiers=[
            PriorityTier(name=tier.name, value=tier.value, description=tier.description)
            for tier in config.tenant_tiers
        ],
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
                priority_class=priority_class_name(t.tier),
                dedicated=t.isolation == "dedicated",
                service_accounts=(
                    *(
                        ServiceAccountSpec(name=a.name, automount_token=a.automount_token)
                        for a in t.service_accounts
                    ),
                    *(
                        _identity_account(config, e, arns)
                        for e in tenant_identities(t, config.workload_identities)
                    ),
                ),
                namespace_annotations=tenant_namespace_annotations(
                    t.telemetry.traces if insights else None
                ),
                telemetry_egress=insights and t.telemetry.traces is not None,
            )
            for t in config.tenants
        ],
    )


def _identity_account(
    config: EnvironmentConfig, entry: WorkloadIdentityConfig, arns: Mapping[str, str]
) -> ServiceAccountSpec:
    """The tenant's ServiceAccount of a workload identity: an IRSA one annotated with its
    role's ARN, which must be in `arns` (without it the pods would get no AWS credentials,
    silently); a Pod Identity one plain (the association names it, not an annotation)."""
    if entry.mechanism != "irsa":
        return ServiceAccountSpec(name=entry.service_account)
    if entry.label not in arns:
        index = config.workload_identities.index(entry)
        raise ValueError(
            f"{config.name}: workload_identities[{index}] ({entry.label}) uses IRSA in a tenant "
            "namespace, but no role ARN was passed for it in irsa_role_arns; pass the ARN of "
            "its ServiceAccountRole"
        )
    return ServiceAccountSpec(
        name=entry.service_account, annotations={IRSA_ROLE_ANNOTATION: arns[entry.label]}
    )


def access_props(config: EnvironmentConfig, cluster: eks.ICluster) -> ClusterAccessProps | None:
    """The `access:` entries, or None when there are none (the `cluster.admins`/`viewers`
    shorthand is a control-plane prop)."""
    if not config.access:
        return None
    return ClusterAccessProps(
        cluster=cluster,
        grants=tuple(
            AccessGrant(
                principal_arn=entry.principal,
                policy_name=ACCESS_POLICIES[entry.policy] if entry.policy else None,
                namespaces=tuple(entry.namespaces),
                kubernetes_groups=tuple(entry.kubernetes_groups),
                group_role=entry.group_role,
            )
            for entry in config.access
        ),
    )


def aws_managed_policy_name(arn: str) -> str | None:
    """`arn:aws:iam::aws:policy/ReadOnlyAccess` -> `ReadOnlyAccess`; None for a
    customer-managed policy ARN."""
    return arn.rsplit("/", 1)[-1] if AWS_MANAGED_POLICY.match(arn) else None


def _statements(entry: WorkloadIdentityConfig) -> tuple[iam.PolicyStatement, ...]:
    return tuple(
        iam.PolicyStatement(
            effect=iam.Effect.ALLOW if s.effect == "Allow" else iam.Effect.DENY,
            actions=list(s.actions),
            resources=list(s.resources),
            conditions=dict(s.conditions) or None,
        )
        for s in entry.policy_statements
    )


def workload_role_props(
    config: EnvironmentConfig,
    entry: WorkloadIdentityConfig,
    cluster: eks.ICluster,
    managed_policies: Sequence[iam.IManagedPolicy],
) -> ServiceAccountRoleProps | PodIdentityRoleProps:
    """One `workload_identities` entry: an IRSA role or a Pod Identity role.

    `managed_policies` are the entry's `managed_policy_arns` as policy objects, in order; the
    stack imports them (a customer-managed policy is imported into a construct scope).
    """
    aws_managed = tuple(
        name
        for name in (aws_managed_policy_name(a) for a in entry.managed_policy_arns)
        if name is not None
    )
    # What both kinds of role take.
    role: dict[str, Any] = {
        "cluster": cluster,
        "namespace": entry.namespace,
        "service_account": entry.service_account,
        "managed_policies": tuple(managed_policies),
        "statements": _statements(entry),
        "exception_reason": entry.exception_reason,
        "aws_managed_policy_names": aws_managed,
    }
    if entry.mechanism == "irsa":
        return ServiceAccountRoleProps(**role)
    return PodIdentityRoleProps(kubernetes_version=config.cluster.version, **role)
