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

from aws_cdk import CfnMapping, RemovalPolicy, Stack, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct, IConstruct

from ..compliance import acknowledge, acknowledge_wildcard_resources
from ..encryption import new_key
from ..kubernetes import Applied, Layer, apply_manifest, can_deliver, install_chart, needs
from ..observability import application_signals_opt_in, merged, tenant_log_routing
from ..pod_networking import CUSTOM_NETWORKING_ENV, vpc_cni_ipv6_policy
from ..validate_names import PropError, check_prop, check_tenant_namespace, check_unique
from ..wiring import addons_of, register_addons
from . import cni_metrics
from .catalog import CATALOG, AddonSpec, addon, default_on
from .cni_metrics import (
    DEFAULT_FREE_ADDRESSES_ALARM_BELOW,
    check_alarm_topic_arn,
    check_free_addresses_threshold,
)
from .iam_policies import (
    cni_metrics_helper_policy,
    external_dns_policy,
    load_balancer_controller_policies,
)
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
from .vpa import NAMESPACE as VPA_NAMESPACE
from .vpa import check_vpa_mode, vpa_values

#: The default StorageClass: gp3, encrypted with the volume key, bound where the pod lands.
STORAGE_CLASS_NAME = "gp3-encrypted"
LBC_SERVICE_ACCOUNT = addon("load_balancer_controller").service_account
EXTERNAL_DNS_SERVICE_ACCOUNT = addon("external_dns").service_account
CNI_METRICS_SERVICE_ACCOUNT = addon("cni_metrics_helper").service_account


@dataclass(frozen=True, kw_only=True)
class AddonsProps:
    """Which add-ons a cluster gets and how they are configured. Defaults are secure.

    The switches and their defaults come from the add-on table
    (eks_blueprint/addons/catalog.py). vpc-cni, kube-proxy, CoreDNS and the Pod Identity
    agent are always installed. `AddonsProps.node_readiness(...)` gives only those.
    """

    cluster: eks.ICluster
    """The cluster. Charts and manifests (EBS CSI's StorageClass, the Load Balancer Controller,
    external-dns, cert-manager) are items of its platform layer, so they need a ControlPlane's
    Kubernetes layers (the default) or an eks.Cluster with aws_eks_v2's kubectl provider."""
    kubernetes_version: str
    """The cluster's Kubernetes version, e.g. "1.34": selects the pinned add-on versions."""
    vpc: ec2.IVpc
    """The cluster's VPC (the controller gets its id: IMDS hop limit 1 hides it from pods)."""
    versions: Mapping[AddonName, str] = field(default_factory=dict)
    """Explicit add-on versions; each must be listed in versions.py. Default: the pins."""
    vpc_cni_pod_eni: bool = False
    """ENABLE_POD_ENI (security groups for pods). Default: off."""
    vpc_cni_custom_networking: bool = False
    """VPC CNI custom networking by AZ (AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG, ENI_CONFIG_LABEL_DEF
    topology.kubernetes.io/zone): pods take addresses from the subnet of their node's AZ's
    ENIConfig (`eks_blueprint.pod_networking.CustomNetworking` applies them). Not with
    ip_family "ipv6". Default: off."""
    ip_family: str = "ipv4"
    """The cluster's IP family (`ControlPlaneProps.ip_family`), "ipv4" or "ipv6". "ipv6":
    the vpc-cni role also gets the CNI's IPv6-mode policy (AWS manages none;
    AmazonEKS_CNI_Policy covers IPv4 only). EKS configures the add-on's IPv6 mode from
    the cluster itself. Default: "ipv4"."""
    vpc_cni_pod_security_group_enforcing_mode: str | None = None
    """POD_SECURITY_GROUP_ENFORCING_MODE, "standard" or "strict", only with
    vpc_cni_pod_eni. standard: the node's
    and the pod's security groups both apply and NetworkPolicy (on here) still governs the
    pods, as the EKS best practices guide recommends with network policies; strict: only
    the pod's groups, no source NAT, and TCP early demux off for kubelet probes. Default:
    standard with vpc_cni_pod_eni, nothing without."""
    vpc_cni_windows_ipam: bool = False
    """Windows IPAM (`enableWindowsIpam` in the vpc-cni add-on's configuration, which sets
    `enable-windows-ipam: "true"` in the amazon-vpc-cni ConfigMap): the VPC resource
    controller then gives Windows pods their addresses. Needed for Windows nodes (EKS user
    guide, windows-support). Default: off."""
    vertical_pod_autoscaler: bool = default_on("vertical_pod_autoscaler")
    """The Vertical Pod Autoscaler chart (FairwindsOps `vpa`) in kube-system; needs
    metrics_server. Default: off."""
    vertical_pod_autoscaler_mode: str = "recommend"
    """`recommend`: only the recommender, so VPA never evicts or resizes a pod; `auto`: also
    the updater and the admission controller, which apply recommendations as each
    VerticalPodAutoscaler's updateMode says. Default: recommend."""
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
    tenant_log_namespaces: Sequence[str] = ()
    """Tenant namespaces whose container logs the add-on's Fluent Bit sends to
    /aws/containerinsights/<cluster>/tenants/<namespace> only (not to the `application`
    group), each once; the groups must exist first (eks_blueprint.observability.
    TenantLogGroups: order this construct after it). Only with cloudwatch_observability.
    Default: none (every namespace's logs go to the `application` group)."""
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
    cni_metrics_helper: bool = default_on("cni_metrics_helper")
    """cni-metrics-helper chart in kube-system: publishes the VPC CNI's address counts of the
    whole cluster to CloudWatch (namespace Kubernetes, dimension CLUSTER_ID = the cluster
    name; about 20 custom metrics), with a role of its own that may only call
    cloudwatch:PutMetricData in that namespace. Default: on."""
    cni_free_addresses_alarm_below: int | None = DEFAULT_FREE_ADDRESSES_ALARM_BELOW
    """A CloudWatch alarm when the addresses the VPC CNI holds on nodes but no pod uses
    (totalIPAddresses - assignIPAddresses, averaged over 5 minutes) stay below this many in
    2 of 3 periods; a whole number, at least 1. None: metrics without the alarm. Used only
    with cni_metrics_helper. Default: 16 (one /28 prefix; see
    eks_blueprint/addons/cni_metrics.py)."""
    cni_alarm_topic_arn: str | None = None
    """An SNS topic (arn:aws:sns:<region>:<account>:<name>) the alarm notifies on ALARM, OK
    and INSUFFICIENT_DATA (the helper stopped publishing). A topic encrypted with a customer
    managed key must let cloudwatch.amazonaws.com use the key. Default: none (the alarm
    only changes state)."""

    @classmethod
    def node_readiness(
        cls, *, cluster: eks.ICluster, kubernetes_version: str, vpc: ec2.IVpc, **overrides: Any
    ) -> Self:
        """Only what nodes need to become Ready and to resolve DNS: the Pod Identity agent,
        vpc-cni with its own role, kube-proxy and CoreDNS. Every switchable add-on of the
        table is off (no EBS CSI, metrics-server, Container Insights or charts), so nothing
        needs kubectl (a chart or manifest). `overrides` sets any other field (e.g.
        coredns_replicas, or a switch turned back on)."""
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
    _check_vpc_cni_props(path, props)
    _check_cni_metrics_props(path, props)
    _check_tenant_log_namespaces(path, props)
    if props.volume_key is not None and not props.ebs_csi_driver:
        raise PropError(
            path,
            "AddonsProps.ebs_csi_driver",
            False,
            "volume_key is set but no StorageClass uses it without the EBS CSI driver; "
            "remove volume_key or set ebs_csi_driver=True",
        )


def _check_vpc_cni_props(path: str, props: AddonsProps) -> None:
    """The IP family, custom networking and pod security group settings of vpc-cni."""
    if props.ip_family not in ("ipv4", "ipv6"):
        raise PropError(
            path,
            "AddonsProps.ip_family",
            props.ip_family,
            "use 'ipv4' (the default) or 'ipv6', as the cluster's ControlPlaneProps.ip_family",
        )
    if props.vpc_cni_custom_networking and props.ip_family == "ipv6":
        raise PropError(
            path,
            "AddonsProps.vpc_cni_custom_networking",
            True,
            "EKS does not support custom networking in an IPv6 cluster (whose pods "
            "take IPv6 addresses from the node subnets); turn it off",
        )
    mode = props.vpc_cni_pod_security_group_enforcing_mode
    if mode is not None:
        prop = "AddonsProps.vpc_cni_pod_security_group_enforcing_mode"
        if mode not in ("standard", "strict"):
            raise PropError(path, prop, mode, "use 'standard' or 'strict'")
        if not props.vpc_cni_pod_eni:
            raise PropError(
                path,
                prop,
                mode,
                "the mode applies to pods with security groups and vpc_cni_pod_eni is "
                "False; set vpc_cni_pod_eni=True or leave the mode None",
            )


def _check_cni_metrics_props(path: str, props: AddonsProps) -> None:
    """The alarm settings: a threshold of at least 1, a topic ARN, and a topic only where
    there is an alarm to send."""
    threshold = props.cni_free_addresses_alarm_below
    if threshold is not None:
        check_prop(
            path,
            "AddonsProps.cni_free_addresses_alarm_below",
            threshold,
            check_free_addresses_threshold,
        )
    topic = props.cni_alarm_topic_arn
    if topic is None:
        return
    check_prop(path, "AddonsProps.cni_alarm_topic_arn", topic, check_alarm_topic_arn)
    if not props.cni_metrics_helper or threshold is None:
        raise PropError(
            path,
            "AddonsProps.cni_alarm_topic_arn",
            topic,
            "there is no free-address alarm to notify ("
            + (
                "cni_metrics_helper is off"
                if not props.cni_metrics_helper
                else "cni_free_addresses_alarm_below is None"
            )
            + "); remove the topic, or turn the helper and its alarm on",
        )


def _check_tenant_log_namespaces(path: str, props: AddonsProps) -> None:
    """Tenant namespaces: valid, each once, and only where Fluent Bit runs."""
    namespaces = list(props.tenant_log_namespaces)
    if not namespaces:
        return
    for index, namespace in enumerate(namespaces):
        check_prop(
            path, f"AddonsProps.tenant_log_namespaces[{index}]", namespace, check_tenant_namespace
        )
    check_prop(path, "AddonsProps.tenant_log_namespaces", namespaces, check_unique)
    if not props.cloudwatch_observability:
        raise PropError(
            path,
            "AddonsProps.tenant_log_namespaces",
            namespaces,
            "tenant logs are routed by the cloudwatch-observability add-on's Fluent Bit, which "
            "is off; turn cloudwatch_observability on or remove tenant_log_namespaces",
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
        if kubectl and not can_deliver(props.cluster):
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
        #: Whether vpc-cni puts pods in ENIConfig subnets (custom networking): capacity added
        #: through ControlPlane's growth methods then counts one ENI fewer for max pods.
        self.custom_networking = props.vpc_cni_custom_networking
        #: Add-ons that nodes need to become Ready: compute must depend on these.
        self.before_compute: list[IConstruct] = []
        #: Add-ons and charts that schedule pods: these depend on compute.
        self.after_compute: list[IConstruct] = []
        self.roles: dict[str, iam.IRole] = {}
        self.volume_key: kms.IKey | None = None
        self.load_balancer_controller: Applied | None = None
        #: The free-address alarm (with cni_metrics_helper and a threshold), else None.
        self.free_addresses_alarm: cloudwatch.CfnAlarm | None = None

        # Checked before anything is built: a region without a recorded registry is refused.
        self._cni_registry_account = self._registry_account() if props.cni_metrics_helper else ""

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
            "cni_metrics_helper": self._cni_metrics_helper,
            "vertical_pod_autoscaler": self._vertical_pod_autoscaler,
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
            needs(item, nodes)

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
        configuration: dict[str, Any] = {
            "env": {
                # /28 prefixes per ENI slot: many more pods per node, fewer EC2 calls.
                "ENABLE_PREFIX_DELEGATION": "true",
                "WARM_PREFIX_TARGET": "1",
                "ENABLE_POD_ENI": "true" if self._props.vpc_cni_pod_eni else "false",
            },
            # Kubernetes NetworkPolicy enforced by the CNI's eBPF agent.
            "enableNetworkPolicy": "true",
        }
        if self._props.vpc_cni_custom_networking:
            configuration["env"].update(CUSTOM_NETWORKING_ENV)
        if self._props.ip_family == "ipv6":
            # No ENABLE_IPv6/ENABLE_IPv4 here: EKS configures the add-on's IP family from the
            # cluster's (AWS's IPv6 patterns set none), and the role needs the IPv6 actions.
            role.add_managed_policy(vpc_cni_ipv6_policy(self, "VpcCniIpv6Policy"))
        if self._props.vpc_cni_pod_eni:
            mode = self._props.vpc_cni_pod_security_group_enforcing_mode or "standard"
            configuration["env"]["POD_SECURITY_GROUP_ENFORCING_MODE"] = mode
            if mode == "strict":
                # Kubelet TCP probes reach pods on branch interfaces only with early demux
                # off; standard mode needs no change (EKS user guide,
                # security-groups-pods-deployment.adoc). The init container's env, as the
                # add-on's configuration schema names it (unconfirmed offline; the key of
                # the aws-vpc-cni chart's values, init.env).
                configuration["init"] = {"env": {"DISABLE_TCP_EARLY_DEMUX": "true"}}
        if self._props.vpc_cni_windows_ipam:
            # The add-on's configuration schema has `enableWindowsIpam` (a boolean string, as
            # `aws eks describe-addon-configuration --addon-name vpc-cni` prints it); the
            # chart writes it to the amazon-vpc-cni ConfigMap's enable-windows-ipam
            # (aws/amazon-vpc-cni-k8s charts/aws-vpc-cni/templates/configmap.yaml).
            configuration["enableWindowsIpam"] = "true"
        return self._addon(spec, preserve=True, role=role, configuration=configuration)

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
        # layer item) to stop being the default.
        self.storage_class = apply_manifest(
            self,
            "StorageClass",
            self.cluster,
            [storage_class_manifest(self.volume_key.key_arn)],
            layer=Layer.PLATFORM,
            overwrite=True,
        )
        self.storage_class.needs(addon_)
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
        # CloudWatchAgentServerPolicy lets Fluent Bit write to the tenant groups (its logs
        # actions, PutLogEvents among them, on "*"); their key policy, not this role, admits
        # CloudWatch Logs to their key.
        # Application Signals stays opt-in per namespace (observability module docstring).
        return self._addon(
            spec,
            role=role,
            configuration=merged(
                application_signals_opt_in(),
                tenant_log_routing(list(self._props.tenant_log_namespaces)),
            ),
        )

    # -- Helm charts --------------------------------------------------------------------

    def _chart(
        self,
        spec: AddonSpec,
        namespace: str,
        values: Mapping[str, Any],
        *,
        role: iam.IRole | None = None,
    ) -> Applied:
        """The pinned Helm chart `spec` (release named after the chart) in `namespace`, in
        the platform layer; with `role`, installed after `role` is bound to the chart's
        service account."""
        association = None if role is None else self._association(spec, role, namespace)
        repository, version = CHARTS[spec.name]  # type: ignore[index]
        chart = install_chart(
            self,
            spec.construct_id,
            self.cluster,
            layer=Layer.PLATFORM,
            chart=spec.name,
            repository=repository,
            version=version,
            release=spec.name,
            namespace=namespace,
            create_namespace=True,
            values=dict(values),
            wait=True,
        )
        if association is not None:
            chart.needs(association)
        return chart

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

    def _load_balancer_controller(self, spec: AddonSpec) -> Applied:
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
        chart = self._chart(
            spec,
            "kube-system",
            load_balancer_controller_values(
                cluster_name=self.cluster.cluster_name,
                region=Stack.of(self).region,
                vpc_id=self._props.vpc.vpc_id,
                replicas=self._props.load_balancer_controller_replicas,
            ),
            role=role,
        )
        # The chart's Service mutating webhook fails closed (failurePolicy Fail) on every
        # Service create: install it after the add-ons that create Services, so none of
        # them meets the webhook before the controller is ready.
        for addon_ in self.after_compute:
            chart.needs(addon_)
        self.after_compute.append(chart)
        self.load_balancer_controller = chart
        return chart

    def _external_dns(self, spec: AddonSpec) -> Applied:
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
            role=role,
        )
        self.after_compute.append(chart)
        return chart

    def _cni_metrics_helper(self, spec: AddonSpec) -> Applied:
        """The helper with its own publish-only role, and the free-address alarm."""
        policy = cni_metrics_helper_policy(
            self, f"{spec.construct_id}Policy", namespace=cni_metrics.NAMESPACE
        )
        acknowledge(
            policy,
            "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
            "cloudwatch:PutMetricData has no resource type, so IAM requires Resource *; the "
            f"cloudwatch:namespace condition limits it to the {cni_metrics.NAMESPACE} "
            "namespace the helper publishes to, and the policy grants nothing else.",
        )
        role = pod_identity_role(
            self,
            f"{spec.construct_id}Role",
            description="cni-metrics-helper: publishes VPC CNI address counts to CloudWatch",
        )
        role.add_managed_policy(policy)
        chart = self._chart(
            spec,
            "kube-system",
            cni_metrics_helper_values(
                cluster_name=self.cluster.cluster_name,
                region=Stack.of(self).region,
                registry_account=self._cni_registry_account,
            ),
            role=role,
        )
        self.after_compute.append(chart)
        threshold = self._props.cni_free_addresses_alarm_below
        if threshold is not None:
            self.free_addresses_alarm = free_addresses_alarm(
                self,
                f"{spec.construct_id}FreeAddressesAlarm",
                cluster_name=self.cluster.cluster_name,
                threshold=threshold,
                topic_arn=self._props.cni_alarm_topic_arn,
            )
        return chart

    def _registry_account(self) -> str:
        """The EKS image registry account of the stack's region: from the table at synth
        when the region is known (PropError if the table lacks it), else a CloudFormation
        mapping keyed by AWS::Region (an environment-agnostic stack)."""
        region = Stack.of(self).region
        if not Token.is_unresolved(region):
            try:
                return cni_metrics.registry_account(region)
            except ValueError as exc:
                raise PropError(
                    self.node.path, "AddonsProps.cni_metrics_helper", True, str(exc)
                ) from None
        mapping = CfnMapping(
            self,
            "EksImageRegistry",
            mapping={
                name: {"account": account}
                for name, account in cni_metrics.EKS_IMAGE_REGISTRY_ACCOUNTS.items()
            },
        )
        return mapping.find_in_map(region, "account")

    @staticmethod
    def _ack_managed_policy(role: iam.IRole, policy: str, user: str) -> None:
        acknowledge(
            role,
            f"AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{policy}]",
            f"{policy} is the AWS-managed policy EKS documents for {user}; AWS keeps it in "
            "step with the add-on, and the role is usable only by that add-on's service "
            "account (Pod Identity association).",
        )

    def _vertical_pod_autoscaler(self, spec: AddonSpec) -> Applied:
        """The VPA chart in its mode (eks_blueprint/addons/vpa.py), after compute. It calls
        no AWS API, so it gets no role."""
        props = self._props
        mode = check_prop(
            self.node.path,
            "AddonsProps.vertical_pod_autoscaler_mode",
            props.vertical_pod_autoscaler_mode,
            check_vpa_mode,
        )
        if not props.metrics_server:
            raise PropError(
                self.node.path,
                "AddonsProps.vertical_pod_autoscaler",
                True,
                "the VPA recommender reads pod usage from the metrics API, which the "
                "metrics-server add-on serves; set metrics_server=True or switch VPA off",
            )
        chart = self._chart(spec, VPA_NAMESPACE, vpa_values(mode))
        self.after_compute.append(chart)
        return chart


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


def cni_metrics_helper_values(
    *, cluster_name: str, region: str, registry_account: str
) -> dict[str, Any]:
    """Helm values of the cni-metrics-helper chart (aws/eks-charts stable/cni-metrics-helper:
    the keys of its values.yaml; `env` entries become the container's variables)."""
    return {
        # The image comes from the EKS registry of the cluster's own region (the chart's
        # default is us-west-2): <account>.dkr.ecr.<region>.amazonaws.com/cni-metrics-helper.
        "image": {"region": region, "account": registry_account},
        "env": {
            "USE_CLOUDWATCH": "true",
            "USE_PROMETHEUS": "false",
            # The CLUSTER_ID dimension. Left empty, the helper reads it from EC2 tags through
            # IMDS, which pods cannot reach here (hop limit 1), and falls back to k8s-cluster.
            "AWS_CLUSTER_ID": cluster_name,
            # Pod Identity injects credentials, not the region; without this the helper asks
            # IMDS for it and fails to start.
            "AWS_REGION": region,
            "AWS_VPC_K8S_CNI_LOGLEVEL": "INFO",
        },
        "serviceAccount": {"create": True, "name": CNI_METRICS_SERVICE_ACCOUNT},
        "podSecurityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        # It only calls the API server and CloudWatch: no Linux capabilities needed. (The
        # image runs as root and its user is not documented, so runAsNonRoot is not set.)
        "containerSecurityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
        },
    }


#: TreatMissingData of the alarm. `missing`: when the helper stops publishing (pod down,
#: credentials broken, no EC2 node to scrape) the alarm goes to INSUFFICIENT_DATA, which
#: notifies the topic too. `breaching` would report an address shortage that is not there;
#: `notBreaching` would show OK while nobody is watching.
TREAT_MISSING_DATA = "missing"


def free_addresses_alarm(
    scope: Construct,
    id: str,
    *,
    cluster_name: str,
    threshold: int,
    topic_arn: str | None = None,
) -> cloudwatch.CfnAlarm:
    """An AWS::CloudWatch::Alarm on the cluster's free pod addresses: metric math
    `total - assigned` over cni-metrics-helper's totalIPAddresses and assignIPAddresses
    (Average over 5 minutes, dimension CLUSTER_ID = `cluster_name`), in ALARM when below
    `threshold` for 2 of 3 periods. With `topic_arn`, every state change is sent there."""

    def metric(query_id: str, name: str) -> cloudwatch.CfnAlarm.MetricDataQueryProperty:
        return cloudwatch.CfnAlarm.MetricDataQueryProperty(
            id=query_id,
            metric_stat=cloudwatch.CfnAlarm.MetricStatProperty(
                metric=cloudwatch.CfnAlarm.MetricProperty(
                    namespace=cni_metrics.NAMESPACE,
                    metric_name=name,
                    dimensions=[
                        cloudwatch.CfnAlarm.DimensionProperty(
                            name=cni_metrics.CLUSTER_DIMENSION, value=cluster_name
                        )
                    ],
                ),
                period=cni_metrics.ALARM_PERIOD_SECONDS,
                # About ten cluster-wide data points per 300 s period (published every 60 s,
                # collected every 30 s): the average is the cluster's count; a sum would be
                # about ten times it.
                stat="Average",
                unit="Count",
            ),
            return_data=False,
        )

    actions = [topic_arn] if topic_arn is not None else None
    alarm = cloudwatch.CfnAlarm(
        scope,
        id,
        alarm_description=(
            f"EKS cluster {cluster_name}: fewer than {threshold} free pod IP addresses on its "
            "nodes (cni-metrics-helper totalIPAddresses - assignIPAddresses, namespace "
            f"{cni_metrics.NAMESPACE}); new pods will soon get no IP. Fix: check the subnets' "
            "free addresses and re-plan them (python -m eks_blueprint.plan ips), use larger "
            "private subnets or a secondary CIDR, and keep vpc-cni prefix delegation on; a "
            "node group at max pods needs more nodes."
        ),
        metrics=[
            metric("total", cni_metrics.TOTAL_METRIC),
            metric("assigned", cni_metrics.ASSIGNED_METRIC),
            cloudwatch.CfnAlarm.MetricDataQueryProperty(
                id="free",
                expression="total - assigned",
                label="free pod IP addresses",
                return_data=True,
            ),
        ],
        comparison_operator="LessThanThreshold",
        threshold=threshold,
        evaluation_periods=cni_metrics.ALARM_EVALUATION_PERIODS,
        datapoints_to_alarm=cni_metrics.ALARM_DATAPOINTS,
        treat_missing_data=TREAT_MISSING_DATA,
        actions_enabled=True,
        alarm_actions=actions,
        ok_actions=actions,
        insufficient_data_actions=actions,
    )
    if topic_arn is None:
        acknowledge(
            alarm,
            "NIST.800.53.R5::NIST.800.53.R5-CloudWatchAlarmAction",
            "No SNS topic is configured for the free-address alarm (cni_alarm_topic_arn, "
            "config addons.cni_metrics_helper.alarm_topic_arn); its state still shows in "
            "CloudWatch. Set a topic to be notified.",
        )
    return alarm
