"""Addons: the EKS managed add-ons and pinned Helm charts of one cluster, in a safe order.

Ordering is explicit in the construct graph. DaemonSets that make nodes Ready (vpc-cni,
kube-proxy, eks-pod-identity-agent) are in `before_compute`: node groups must depend on
them. Everything that schedules pods (CoreDNS, EBS CSI, metrics-server, Container Insights,
charts) depends on the compute passed to `add_compute_dependency`, so CloudFormation never
waits on an add-on whose pods have nowhere to run.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct, IConstruct

from ..compliance import acknowledge, acknowledge_wildcard_resources
from ..encryption import new_key
from ..validate_names import PropError, check_prop
from ..wiring import addons_of, register_addons
from .catalog import CATALOG, AddonSpec, addon, default_on
from .iam_policies import external_dns_policy, load_balancer_controller_policies
from .pod_identity import ensure_pod_identity_agent, pod_identity_role
from .validate import (
    COREDNS_REPLICAS_RANGE,
    LOAD_BALANCER_CONTROLLER_REPLICAS_RANGE,
    check_addon_name,
    check_addon_version,
    check_coredns_autoscaling,
    check_count,
    check_domain,
    check_hosted_zone_id,
    check_toleration,
)
from .versions import CHARTS, AddonName, check_kubernetes_version, resolve_addon_version

#: The default StorageClass: gp3, encrypted with the volume key, bound where the pod lands.
STORAGE_CLASS_NAME = "gp3-encrypted"
LBC_SERVICE_ACCOUNT = addon("load_balancer_controller").service_account
EXTERNAL_DNS_SERVICE_ACCOUNT = addon("external_dns").service_account


@dataclass(frozen=True, kw_only=True)
class AddonsProps:
    """Which add-ons a cluster gets and how they are configured. Defaults are secure.

    The switches and their defaults come from the add-on table
    (eks_blueprint/addons/catalog.py). vpc-cni, kube-proxy, CoreDNS and the Pod Identity
    agent are always installed. `AddonsProps.node_readiness(...)` gives only those.
    """

    cluster: eks.ICluster
    """The cluster. Charts and manifests (EBS CSI's StorageClass, the Load Balancer
    Controller, external-dns, cert-manager) need its kubectl provider."""
    kubernetes_version: str
    """The cluster's Kubernetes version, e.g. "1.34": selects the pinned add-on versions."""
    vpc: ec2.IVpc
    """The cluster's VPC (the controller gets its id: IMDS hop limit 1 hides it from pods)."""
    versions: Mapping[AddonName, str] = field(default_factory=dict)
    """Explicit add-on versions; each must be listed in versions.py. Default: the pins."""
    vpc_cni_pod_eni: bool = False
    """ENABLE_POD_ENI (security groups for pods). Default: off."""
    coredns_replicas: int = 2
    """CoreDNS replicas without autoscaling, 1 to 100. Default: 2."""
    coredns_autoscaling: tuple[int, int] | None = None
    """(min, max) replicas for the add-on's autoscaler, each 2 to 1000, min <= max.
    Default: none (fixed replicas)."""
    coredns_tolerations: Sequence[Mapping[str, str]] = ()
    """Tolerations for CoreDNS pods. Default: the add-on's own."""
    coredns_on_fargate: bool = False
    """Run CoreDNS on Fargate (computeType: Fargate). Default: EC2 nodes."""
    ebs_csi_driver: bool = default_on("ebs_csi_driver")
    """EBS CSI driver and the default encrypted gp3 StorageClass. Default: on."""
    volume_key: kms.IKey | None = None
    """Key for EBS volumes of the StorageClass (only with ebs_csi_driver). Default: a new
    rotating key."""
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    """What happens to the new volume key when the stack is deleted. Default: retain."""
    metrics_server: bool = default_on("metrics_server")
    """metrics-server community add-on. Default: on."""
    cloudwatch_observability: bool = default_on("cloudwatch_observability")
    """Container Insights (amazon-cloudwatch-observability). Default: on."""
    snapshot_controller: bool = default_on("snapshot_controller")
    """CSI snapshot controller. Default: off."""
    load_balancer_controller: bool = default_on("load_balancer_controller")
    """AWS Load Balancer Controller chart. Default: on."""
    load_balancer_controller_replicas: int = 2
    """Controller replicas, 1 to 10. Default: 2."""
    external_dns_zone: tuple[str, str] | None = None
    """(hosted zone id, domain) that external-dns may change. Default: no external-dns."""
    cert_manager: bool = default_on("cert_manager")
    """cert-manager chart with its CRDs. Default: off."""

    @classmethod
    def node_readiness(
        cls, *, cluster: eks.ICluster, kubernetes_version: str, vpc: ec2.IVpc, **overrides: Any
    ) -> Self:
        """Only what nodes need to become Ready and to resolve DNS: the Pod Identity agent,
        vpc-cni with its own role, kube-proxy and CoreDNS. Every switchable add-on of the
        table is off (no EBS CSI, metrics-server, Container Insights or charts), so nothing
        needs the kubectl provider. `overrides` sets any other field (e.g. coredns_replicas,
        or a switch turned back on)."""
        off: dict[str, Any] = {}
        defaults = {f.name: f.default for f in dataclasses.fields(cls)}
        for spec in CATALOG:
            if spec.switchable:
                # A bool switch is off at False; an optional setting (external_dns_zone) at None.
                off[spec.prop] = None if defaults[spec.prop] is None else False
        return cls(
            cluster=cluster,
            kubernetes_version=kubernetes_version,
            vpc=vpc,
            **{**off, **overrides},
        )

    def installs(self, spec: AddonSpec) -> bool:
        """Whether these props install the add-on `spec` of the table."""
        if not spec.switchable:
            return True
        return bool(getattr(self, spec.prop))


def _check_props(path: str, props: AddonsProps) -> None:
    """Every AddonsProps check that needs no construct tree: a PropError naming `path`, the
    prop, the bad value and the fix."""
    check_prop(
        path, "AddonsProps.kubernetes_version", props.kubernetes_version, check_kubernetes_version
    )
    for addon_name, version in props.versions.items():
        prop = f"AddonsProps.versions[{addon_name!r}]"
        check_prop(path, "AddonsProps.versions", addon_name, check_addon_name)
        check_prop(path, prop, version, check_addon_version, props.kubernetes_version, addon_name)
    check_prop(
        path,
        "AddonsProps.coredns_replicas",
        props.coredns_replicas,
        check_count,
        *COREDNS_REPLICAS_RANGE,
    )
    if props.coredns_autoscaling is not None:
        check_prop(
            path,
            "AddonsProps.coredns_autoscaling",
            props.coredns_autoscaling,
            _check_pair,
            "(min, max), e.g. (2, 10), or None for fixed replicas",
        )
        check_prop(
            path,
            "AddonsProps.coredns_autoscaling",
            props.coredns_autoscaling,
            lambda pair: check_coredns_autoscaling(*pair, low_name="min", high_name="max"),
        )
    for index, toleration in enumerate(props.coredns_tolerations):
        check_prop(path, f"AddonsProps.coredns_tolerations[{index}]", toleration, check_toleration)
    check_prop(
        path,
        "AddonsProps.load_balancer_controller_replicas",
        props.load_balancer_controller_replicas,
        check_count,
        *LOAD_BALANCER_CONTROLLER_REPLICAS_RANGE,
    )
    if props.external_dns_zone is not None:
        check_prop(
            path,
            "AddonsProps.external_dns_zone",
            props.external_dns_zone,
            _check_pair,
            "(hosted zone id, domain), e.g. ('Z0123456789ABCDEFGHIJ', 'shop.example.com')",
        )
        zone_id, domain = props.external_dns_zone
        check_prop(path, "AddonsProps.external_dns_zone[0]", zone_id, check_hosted_zone_id)
        check_prop(path, "AddonsProps.external_dns_zone[1]", domain, check_domain)
    if props.volume_key is not None and not props.ebs_csi_driver:
        raise PropError(
            path,
            "AddonsProps.ebs_csi_driver",
            False,
            "volume_key is set but no StorageClass uses it without the EBS CSI driver; "
            "remove volume_key or set ebs_csi_driver=True",
        )


def _check_pair(value: object, shape: str) -> object:
    """A tuple (or list) of two items."""
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise ValueError(f"not a pair; pass {shape}")
    return value


class Addons(Construct):
    """The add-ons of one cluster. See the module docstring for the ordering contract.

    It registers itself with its cluster (eks_blueprint.wiring): node groups, Fargate
    profiles and Karpenter created before or after it are ordered with it, without
    `add_compute_dependency` calls by hand. A cluster has at most one `Addons`.
    """

    def __init__(self, scope: Construct, id: str, *, props: AddonsProps) -> None:
        super().__init__(scope, id)
        path = self.node.path
        _check_props(path, props)
        if addons_of(props.cluster) is not None:
            register_addons(props.cluster, self, path=path)  # raises: it names both paths
        kubectl = [s.prop for s in CATALOG if s.needs_kubectl and props.installs(s)]
        if kubectl and not _has_kubectl(props.cluster):
            raise PropError(
                path,
                f"AddonsProps.{kubectl[0]}",
                getattr(props, kubectl[0]),
                f"{', '.join(kubectl)} apply Kubernetes manifests or Helm charts, but cluster "
                f"{props.cluster.node.path} has no kubectl provider; give the cluster one "
                "(ControlPlaneProps.kubectl_provider=True), or switch them off "
                "(AddonsProps.node_readiness(...) installs only what needs none)",
            )
        self._props = props
        self.cluster = props.cluster
        #: Add-ons that nodes need to become Ready: compute must depend on these.
        self.before_compute: list[IConstruct] = []
        #: Add-ons and charts that schedule pods: these depend on compute.
        self.after_compute: list[IConstruct] = []
        self.roles: dict[str, iam.IRole] = {}
        self.volume_key: kms.IKey | None = None
        self.load_balancer_controller: eks.HelmChart | None = None

        self.pod_identity_agent = ensure_pod_identity_agent(
            props.cluster, props.kubernetes_version, props.versions.get("eks-pod-identity-agent")
        )
        self.before_compute.append(self.pod_identity_agent)
        builders: dict[str, Callable[[AddonSpec], object]] = {
            "vpc_cni": self._vpc_cni,
            "kube_proxy": lambda spec: self._addon(spec, preserve=True),
            "coredns": lambda spec: self._addon(
                spec, preserve=True, configuration=self._coredns_configuration()
            ),
            "ebs_csi_driver": self._ebs_csi_driver,
            "metrics_server": self._addon,
            "cloudwatch_observability": self._cloudwatch_observability,
            "snapshot_controller": self._addon,
            "load_balancer_controller": self._load_balancer_controller,
            "external_dns": self._external_dns,
            "cert_manager": lambda spec: self.after_compute.append(
                self._chart(spec, "cert-manager", {"crds": {"enabled": True}})
            ),
        }
        created: dict[str, object] = {}
        for spec in CATALOG:
            if spec.field != "pod_identity_agent" and props.installs(spec):
                created[spec.field] = builders[spec.field](spec)
        self.vpc_cni: eks.CfnAddon = created["vpc_cni"]  # type: ignore[assignment]
        self.kube_proxy: eks.CfnAddon = created["kube_proxy"]  # type: ignore[assignment]
        self.coredns: eks.CfnAddon = created["coredns"]  # type: ignore[assignment]
        # Last, with the lists complete: capacity added before this construct is ordered
        # with it now, capacity added later when it registers.
        register_addons(props.cluster, self, path=path)

    # -- ordering -----------------------------------------------------------------------

    def add_compute_dependency(self, nodes: IConstruct) -> None:
        """Order `nodes` (a node group, Fargate profile, Karpenter) with the add-ons.

        The nodes wait for vpc-cni, kube-proxy and the Pod Identity agent (or they never
        become Ready); every add-on and chart with pods waits for the nodes. Capacity that
        registers with the cluster (eks_blueprint.wiring) is ordered without this call;
        calling it again for the same nodes changes nothing.
        """
        for addon_ in self.before_compute:
            nodes.node.add_dependency(addon_)
        for item in self.after_compute:
            item.node.add_dependency(nodes)

    # -- managed add-ons ----------------------------------------------------------------

    def _addon(
        self,
        spec: AddonSpec,
        *,
        preserve: bool = False,
        configuration: Mapping[str, Any] | None = None,
        role: iam.IRole | None = None,
    ) -> eks.CfnAddon:
        """The managed add-on `spec`, in `before_compute` or `after_compute` as the table
        says; with `role`, bound to the table's service account through Pod Identity."""
        name: AddonName = spec.name  # type: ignore[assignment]
        addon_ = eks.CfnAddon(
            self,
            spec.construct_id,
            cluster_name=self.cluster.cluster_name,
            addon_name=name,
            addon_version=resolve_addon_version(
                self._props.kubernetes_version, name, self._props.versions.get(name)
            ),
            configuration_values=json.dumps(configuration, sort_keys=True)
            if configuration
            else None,
            # OVERWRITE: this project owns the add-ons' configuration completely. EKS
            # bootstraps self-managed vpc-cni, kube-proxy and CoreDNS; without OVERWRITE
            # the first create fails on their fields, and later drift could not be undone.
            resolve_conflicts="OVERWRITE",
            # vpc-cni, kube-proxy and CoreDNS stay on the cluster if the add-on is removed
            # from the stack, so running nodes keep pod networking and DNS. Others go.
            preserve_on_delete=preserve,
            pod_identity_associations=[
                eks.CfnAddon.PodIdentityAssociationProperty(
                    role_arn=role.role_arn, service_account=spec.service_account
                )
            ]
            if role is not None and spec.service_account is not None
            else None,
        )
        if role is not None:
            # The association only works once the agent runs on the nodes.
            addon_.node.add_dependency(self.pod_identity_agent)
            self.roles[spec.name] = role
        (self.before_compute if spec.before_compute else self.after_compute).append(addon_)
        return addon_

    def _vpc_cni(self, spec: AddonSpec) -> eks.CfnAddon:
        role = pod_identity_role(
            self,
            "VpcCniRole",
            description="vpc-cni (aws-node): manages ENIs and IPs, so the node role need not",
            managed_policies=["AmazonEKS_CNI_Policy"],
        )
        self._ack_managed_policy(role, "AmazonEKS_CNI_Policy", "the VPC CNI plugin")
        return self._addon(
            spec,
            preserve=True,
            role=role,
            configuration={
                "env": {
                    # /28 prefixes per ENI slot: many more pods per node, fewer EC2 calls.
                    "ENABLE_PREFIX_DELEGATION": "true",
                    "WARM_PREFIX_TARGET": "1",
                    "ENABLE_POD_ENI": "true" if self._props.vpc_cni_pod_eni else "false",
                },
                # Kubernetes NetworkPolicy enforced by the CNI's eBPF agent.
                "enableNetworkPolicy": "true",
            },
        )

    def _coredns_configuration(self) -> dict[str, Any]:
        props = self._props
        config: dict[str, Any] = {}
        if props.coredns_autoscaling:
            low, high = props.coredns_autoscaling
            config["autoScaling"] = {"enabled": True, "minReplicas": low, "maxReplicas": high}
        else:
            config["replicaCount"] = props.coredns_replicas
        if props.coredns_tolerations:
            config["tolerations"] = [dict(t) for t in props.coredns_tolerations]
        if props.coredns_on_fargate:
            config["computeType"] = "Fargate"
        return config

    def _ebs_csi_driver(self, spec: AddonSpec) -> eks.CfnAddon:
        props = self._props
        self.volume_key = props.volume_key or new_key(
            self,
            "VolumeKey",
            description="Encrypts EBS volumes of the default StorageClass",
            removal_policy=props.removal_policy,
        )
        role = pod_identity_role(
            self,
            "EbsCsiRole",
            description="aws-ebs-csi-driver controller: creates, attaches and deletes volumes",
            managed_policies=["service-role/AmazonEBSCSIDriverPolicy"],
        )
        self._ack_managed_policy(
            role, "service-role/AmazonEBSCSIDriverPolicy", "the EBS CSI driver"
        )
        # Encrypted volumes: EC2 uses the key through grants the driver creates. A managed
        # policy (not an inline one), with explicit actions, limited to the volume key.
        role.add_managed_policy(
            iam.ManagedPolicy(
                self,
                "EbsCsiKeyPolicy",
                description="EBS CSI driver: use the volume key for encrypted volumes",
                statements=[
                    iam.PolicyStatement(
                        actions=[
                            "kms:Encrypt",
                            "kms:Decrypt",
                            "kms:ReEncryptFrom",
                            "kms:ReEncryptTo",
                            "kms:GenerateDataKey",
                            "kms:GenerateDataKeyWithoutPlaintext",
                            "kms:DescribeKey",
                        ],
                        resources=[self.volume_key.key_arn],
                    ),
                    iam.PolicyStatement(
                        actions=["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                        resources=[self.volume_key.key_arn],
                        conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
                    ),
                ],
            )
        )
        addon_ = self._addon(spec, role=role)
        # EKS clusters created on 1.30 or later no longer mark gp2 as the default class,
        # and every supported version is newer, so gp2 needs no patch (and no extra
        # custom resource) to stop being the default.
        self.storage_class = eks.KubernetesManifest(
            self,
            "StorageClass",
            cluster=self.cluster,
            manifest=[storage_class_manifest(self.volume_key.key_arn)],
            overwrite=True,
        )
        self.storage_class.node.add_dependency(addon_)
        return addon_

    def _cloudwatch_observability(self, spec: AddonSpec) -> eks.CfnAddon:
        role = pod_identity_role(
            self,
            "CloudWatchRole",
            description="amazon-cloudwatch-observability: Container Insights metrics, logs, traces",
            managed_policies=["CloudWatchAgentServerPolicy", "AWSXrayWriteOnlyAccess"],
        )
        for name in ("CloudWatchAgentServerPolicy", "AWSXrayWriteOnlyAccess"):
            self._ack_managed_policy(role, name, "the CloudWatch agent of Container Insights")
        return self._addon(spec, role=role)

    # -- Helm charts --------------------------------------------------------------------

    def _chart(self, spec: AddonSpec, namespace: str, values: Mapping[str, Any]) -> eks.HelmChart:
        """The pinned Helm chart `spec` (release named after the chart) in `namespace`."""
        repository, version = CHARTS[spec.name]  # type: ignore[index]
        return eks.HelmChart(
            self,
            spec.construct_id,
            cluster=self.cluster,
            chart=spec.name,
            repository=repository,
            version=version,
            release=spec.name,
            namespace=namespace,
            create_namespace=True,
            values=dict(values),
            wait=True,
        )

    def _association(self, spec: AddonSpec, role: iam.IRole, namespace: str) -> IConstruct:
        """Binds `role` to the chart's service account (`<construct id>Identity`)."""
        association = eks.CfnPodIdentityAssociation(
            self,
            f"{spec.construct_id}Identity",
            cluster_name=self.cluster.cluster_name,
            namespace=namespace,
            service_account=str(spec.service_account),
            role_arn=role.role_arn,
        )
        association.node.add_dependency(self.pod_identity_agent)
        self.roles[spec.name] = role
        return association

    def _load_balancer_controller(self, spec: AddonSpec) -> eks.HelmChart:
        policies = load_balancer_controller_policies(
            self, f"{spec.construct_id}Policy", cluster_name=self.cluster.cluster_name
        )
        for policy in policies:
            _acknowledge_load_balancer_controller_wildcards(policy)
        role = pod_identity_role(
            self,
            f"{spec.construct_id}Role",
            description="AWS Load Balancer Controller: ALBs for Ingress, NLBs for Services",
        )
        for policy in policies:
            role.add_managed_policy(policy)
        association = self._association(spec, role, "kube-system")
        chart = self._chart(
            spec,
            "kube-system",
            load_balancer_controller_values(
                cluster_name=self.cluster.cluster_name,
                region=Stack.of(self).region,
                vpc_id=self._props.vpc.vpc_id,
                replicas=self._props.load_balancer_controller_replicas,
            ),
        )
        chart.node.add_dependency(association)
        # The chart's Service mutating webhook fails closed (failurePolicy Fail) on every
        # Service create: install it after the add-ons that create Services, so none of
        # them meets the webhook before the controller is ready.
        for addon_ in self.after_compute:
            chart.node.add_dependency(addon_)
        self.after_compute.append(chart)
        self.load_balancer_controller = chart
        return chart

    def _external_dns(self, spec: AddonSpec) -> eks.HelmChart:
        assert self._props.external_dns_zone is not None, "installed only with a zone"
        zone_id, domain = self._props.external_dns_zone
        policy = external_dns_policy(self, f"{spec.construct_id}Policy", hosted_zone_id=zone_id)
        acknowledge(
            policy,
            "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
            "route53:ListHostedZones and ListTagsForResources have no resource-level "
            "permissions; record changes are limited to the configured hosted zone.",
        )
        role = pod_identity_role(
            self, f"{spec.construct_id}Role", description=f"external-dns for {domain}"
        )
        role.add_managed_policy(policy)
        association = self._association(spec, role, "external-dns")
        chart = self._chart(
            spec,
            "external-dns",
            {
                "provider": {"name": "aws"},
                "env": [{"name": "AWS_DEFAULT_REGION", "value": Stack.of(self).region}],
                "domainFilters": [domain],
                "extraArgs": [f"--zone-id-filter={zone_id}"],
                "txtOwnerId": self.cluster.cluster_name,
                "policy": "upsert-only",
                "serviceAccount": {"create": True, "name": EXTERNAL_DNS_SERVICE_ACCOUNT},
            },
        )
        chart.node.add_dependency(association)
        self.after_compute.append(chart)
        return chart

    @staticmethod
    def _ack_managed_policy(role: iam.IRole, policy: str, user: str) -> None:
        acknowledge(
            role,
            f"AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{policy}]",
            f"{policy} is the AWS-managed policy EKS documents for {user}; AWS keeps it in "
            "step with the add-on, and the role is usable only by that add-on's service "
            "account (Pod Identity association).",
        )


def _load_balancer_controller_wildcard_reason(resource: str) -> str | None:
    """Why the Load Balancer Controller's policies hold `resource` (an IAM5 finding)."""
    if resource == "*":
        return (
            "Follows the controller's documented policy: Describe*/List*, CreateSecurityGroup "
            "and the WAF/Shield association calls have no resource-level permissions; "
            "CreateLoadBalancer/CreateTargetGroup are limited by the elbv2.k8s.aws/cluster "
            "request tag naming this cluster."
        )
    if ":elasticloadbalancing:" in resource or resource.endswith(":security-group/*"):
        return (
            "Load balancers, listeners, rules, target groups and security groups are "
            "created at run time with generated names; the ARN pattern is limited to this "
            "account and region, and changes to existing ones require the "
            "elbv2.k8s.aws/cluster tag to name this cluster (as the controller documents)."
        )
    return None


def _acknowledge_load_balancer_controller_wildcards(policy: iam.ManagedPolicy) -> None:
    acknowledge_wildcard_resources(
        policy, _load_balancer_controller_wildcard_reason, owner="Addons load balancer controller"
    )


def _has_kubectl(cluster: eks.ICluster) -> bool:
    """Whether `cluster` can apply manifests and charts: it has a kubectl provider, or (an
    imported cluster) the options to create one."""
    options = getattr(cluster, "kubectl_provider_options", None)  # not on eks.Cluster itself
    return cluster.kubectl_provider is not None or options is not None


def storage_class_manifest(key_arn: str) -> dict[str, Any]:
    """The default StorageClass: gp3, encrypted with `key_arn`, expandable."""
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {
            "name": STORAGE_CLASS_NAME,
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
        },
        "provisioner": "ebs.csi.aws.com",
        "parameters": {"type": "gp3", "encrypted": "true", "kmsKeyId": key_arn},
        # Create the volume in the AZ the pod is scheduled to, not a random one.
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
        "reclaimPolicy": "Delete",
    }


def load_balancer_controller_values(
    *, cluster_name: str, region: str, vpc_id: str, replicas: int
) -> dict[str, Any]:
    """Helm values of the AWS Load Balancer Controller chart."""
    return {
        "clusterName": cluster_name,
        # With IMDS hop limit 1, pods cannot read region and VPC from instance metadata.
        "region": region,
        "vpcId": vpc_id,
        "replicaCount": replicas,
        "podDisruptionBudget": {"maxUnavailable": 1},
        "serviceAccount": {"create": True, "name": LBC_SERVICE_ACCOUNT},
        # IngressClass "alb", the cluster default: Ingresses without a class get an ALB.
        "createIngressClassResource": True,
        "ingressClass": "alb",
        "ingressClassConfig": {"default": True},
        # Services of type LoadBalancer get an NLB from the controller, not the legacy
        # in-tree Classic Load Balancer.
        "enableServiceMutatorWebhook": True,
    }
