"""Addons: the EKS managed add-ons and pinned Helm charts of one cluster, in a safe order.

Ordering is explicit in the construct graph. DaemonSets that make nodes Ready (vpc-cni,
kube-proxy, eks-pod-identity-agent) are in `before_compute`: node groups must depend on
them. Everything that schedules pods (CoreDNS, EBS CSI, metrics-server, Container Insights,
charts) depends on the compute passed to `add_compute_dependency`, so CloudFormation never
waits on an add-on whose pods have nowhere to run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct, IConstruct

from ..compliance import acknowledge, acknowledge_wildcard_resources
from ..encryption import new_key
from .iam_policies import external_dns_policy, load_balancer_controller_policies
from .pod_identity import ensure_pod_identity_agent, pod_identity_role
from .versions import CHARTS, AddonName, resolve_addon_version

#: The default StorageClass: gp3, encrypted with the volume key, bound where the pod lands.
STORAGE_CLASS_NAME = "gp3-encrypted"
LBC_SERVICE_ACCOUNT = "aws-load-balancer-controller"
EXTERNAL_DNS_SERVICE_ACCOUNT = "external-dns"


@dataclass(frozen=True, kw_only=True)
class AddonsProps:
    """Which add-ons a cluster gets and how they are configured. Defaults are secure."""

    cluster: eks.ICluster
    """The cluster. Charts and manifests need its kubectl provider
    (ControlPlaneProps.kubectl_layer)."""
    kubernetes_version: str
    """The cluster's Kubernetes version, e.g. "1.34": selects the pinned add-on versions."""
    vpc: ec2.IVpc
    """The cluster's VPC (the controller gets its id: IMDS hop limit 1 hides it from pods)."""
    versions: Mapping[AddonName, str] = field(default_factory=dict)
    """Explicit add-on versions; each must be listed in versions.py. Default: the pins."""
    vpc_cni_pod_eni: bool = False
    """ENABLE_POD_ENI (security groups for pods). Default: off."""
    coredns_replicas: int = 2
    """CoreDNS replicas without autoscaling. Default: 2."""
    coredns_autoscaling: tuple[int, int] | None = None
    """(min, max) replicas for the add-on's autoscaler. Default: none (fixed replicas)."""
    coredns_tolerations: Sequence[Mapping[str, str]] = ()
    """Tolerations for CoreDNS pods. Default: the add-on's own."""
    coredns_on_fargate: bool = False
    """Run CoreDNS on Fargate (computeType: Fargate). Default: EC2 nodes."""
    ebs_csi_driver: bool = True
    """EBS CSI driver and the default encrypted gp3 StorageClass. Default: on."""
    volume_key: kms.IKey | None = None
    """Key for EBS volumes of the StorageClass. Default: a new rotating key."""
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    """What happens to the new volume key when the stack is deleted. Default: retain."""
    metrics_server: bool = True
    """metrics-server community add-on. Default: on."""
    cloudwatch_observability: bool = True
    """Container Insights (amazon-cloudwatch-observability). Default: on."""
    snapshot_controller: bool = False
    """CSI snapshot controller. Default: off."""
    load_balancer_controller: bool = True
    """AWS Load Balancer Controller chart. Default: on."""
    load_balancer_controller_replicas: int = 2
    """Controller replicas. Default: 2."""
    external_dns_zone: tuple[str, str] | None = None
    """(hosted zone id, domain) that external-dns may change. Default: no external-dns."""
    cert_manager: bool = False
    """cert-manager chart with its CRDs. Default: off."""


class Addons(Construct):
    """The add-ons of one cluster. See the module docstring for the ordering contract."""

    def __init__(self, scope: Construct, id: str, *, props: AddonsProps) -> None:
        super().__init__(scope, id)
        if props.coredns_replicas < 1:
            raise ValueError(f"coredns_replicas must be at least 1, got {props.coredns_replicas}")
        if (
            props.coredns_autoscaling
            and props.coredns_autoscaling[0] > props.coredns_autoscaling[1]
        ):
            raise ValueError(f"coredns_autoscaling min > max: {props.coredns_autoscaling}")
        self._props = props
        self.cluster = props.cluster
        #: Add-ons that nodes need to become Ready: compute must depend on these.
        self.before_compute: list[IConstruct] = []
        #: Add-ons and charts that schedule pods: these depend on compute.
        self.after_compute: list[IConstruct] = []
        self.roles: dict[str, iam.IRole] = {}

        self.pod_identity_agent = ensure_pod_identity_agent(
            props.cluster, props.kubernetes_version, props.versions.get("eks-pod-identity-agent")
        )
        self.before_compute.append(self.pod_identity_agent)
        self.vpc_cni = self._vpc_cni()
        self.kube_proxy = self._addon("KubeProxy", "kube-proxy", preserve=True)
        self.before_compute += [self.vpc_cni, self.kube_proxy]

        self.coredns = self._addon(
            "CoreDns", "coredns", preserve=True, configuration=self._coredns_configuration()
        )
        self.after_compute.append(self.coredns)
        self.volume_key: kms.IKey | None = None
        if props.ebs_csi_driver:
            self._ebs_csi_driver()
        if props.metrics_server:
            self.after_compute.append(self._addon("MetricsServer", "metrics-server"))
        if props.cloudwatch_observability:
            self.after_compute.append(self._cloudwatch_observability())
        if props.snapshot_controller:
            self.after_compute.append(self._addon("SnapshotController", "snapshot-controller"))
        self.load_balancer_controller: eks.HelmChart | None = None
        if props.load_balancer_controller:
            self.load_balancer_controller = self._load_balancer_controller()
        if props.external_dns_zone:
            self._external_dns(*props.external_dns_zone)
        if props.cert_manager:
            self.after_compute.append(
                self._chart(
                    "CertManager", "cert-manager", "cert-manager", {"crds": {"enabled": True}}
                )
            )

    # -- ordering -----------------------------------------------------------------------

    def add_compute_dependency(self, nodes: IConstruct) -> None:
        """Order `nodes` (a node group, Fargate profile, Karpenter) with the add-ons.

        The nodes wait for vpc-cni, kube-proxy and the Pod Identity agent (or they never
        become Ready); every add-on and chart with pods waits for the nodes.
        """
        for addon in self.before_compute:
            nodes.node.add_dependency(addon)
        for item in self.after_compute:
            item.node.add_dependency(nodes)

    # -- managed add-ons ----------------------------------------------------------------

    def _addon(
        self,
        id: str,
        name: AddonName,
        *,
        preserve: bool = False,
        configuration: Mapping[str, Any] | None = None,
        role: iam.IRole | None = None,
        service_account: str | None = None,
    ) -> eks.CfnAddon:
        addon = eks.CfnAddon(
            self,
            id,
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
                    role_arn=role.role_arn, service_account=service_account
                )
            ]
            if role is not None and service_account is not None
            else None,
        )
        if role is not None:
            # The association only works once the agent runs on the nodes.
            addon.node.add_dependency(self.pod_identity_agent)
        return addon

    def _vpc_cni(self) -> eks.CfnAddon:
        role = pod_identity_role(
            self,
            "VpcCniRole",
            description="vpc-cni (aws-node): manages ENIs and IPs, so the node role need not",
            managed_policies=["AmazonEKS_CNI_Policy"],
        )
        self._ack_managed_policy(role, "AmazonEKS_CNI_Policy", "the VPC CNI plugin")
        self.roles["vpc-cni"] = role
        return self._addon(
            "VpcCni",
            "vpc-cni",
            preserve=True,
            role=role,
            service_account="aws-node",
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

    def _ebs_csi_driver(self) -> None:
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
        self.roles["aws-ebs-csi-driver"] = role
        addon = self._addon(
            "EbsCsiDriver",
            "aws-ebs-csi-driver",
            role=role,
            service_account="ebs-csi-controller-sa",
        )
        self.after_compute.append(addon)
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
        self.storage_class.node.add_dependency(addon)

    def _cloudwatch_observability(self) -> eks.CfnAddon:
        role = pod_identity_role(
            self,
            "CloudWatchRole",
            description="amazon-cloudwatch-observability: Container Insights metrics, logs, traces",
            managed_policies=["CloudWatchAgentServerPolicy", "AWSXrayWriteOnlyAccess"],
        )
        for name in ("CloudWatchAgentServerPolicy", "AWSXrayWriteOnlyAccess"):
            self._ack_managed_policy(role, name, "the CloudWatch agent of Container Insights")
        self.roles["amazon-cloudwatch-observability"] = role
        return self._addon(
            "CloudWatchObservability",
            "amazon-cloudwatch-observability",
            role=role,
            service_account="cloudwatch-agent",
        )

    # -- Helm charts --------------------------------------------------------------------

    def _chart(
        self, id: str, chart: str, namespace: str, values: Mapping[str, Any]
    ) -> eks.HelmChart:
        repository, version = CHARTS[chart]  # type: ignore[index]
        return eks.HelmChart(
            self,
            id,
            cluster=self.cluster,
            chart=chart,
            repository=repository,
            version=version,
            release=chart,
            namespace=namespace,
            create_namespace=True,
            values=dict(values),
            wait=True,
        )

    def _association(self, id: str, role: iam.IRole, namespace: str, sa: str) -> IConstruct:
        association = eks.CfnPodIdentityAssociation(
            self,
            id,
            cluster_name=self.cluster.cluster_name,
            namespace=namespace,
            service_account=sa,
            role_arn=role.role_arn,
        )
        association.node.add_dependency(self.pod_identity_agent)
        return association

    def _load_balancer_controller(self) -> eks.HelmChart:
        policies = load_balancer_controller_policies(
            self, "LoadBalancerControllerPolicy", cluster_name=self.cluster.cluster_name
        )
        for policy in policies:
            _acknowledge_load_balancer_controller_wildcards(policy)
        role = pod_identity_role(
            self,
            "LoadBalancerControllerRole",
            description="AWS Load Balancer Controller: ALBs for Ingress, NLBs for Services",
        )
        for policy in policies:
            role.add_managed_policy(policy)
        self.roles["aws-load-balancer-controller"] = role
        association = self._association(
            "LoadBalancerControllerIdentity", role, "kube-system", LBC_SERVICE_ACCOUNT
        )
        chart = self._chart(
            "LoadBalancerController",
            "aws-load-balancer-controller",
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
        for addon in self.after_compute:
            chart.node.add_dependency(addon)
        self.after_compute.append(chart)
        return chart

    def _external_dns(self, zone_id: str, domain: str) -> None:
        policy = external_dns_policy(self, "ExternalDnsPolicy", hosted_zone_id=zone_id)
        acknowledge(
            policy,
            "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
            "route53:ListHostedZones and ListTagsForResources have no resource-level "
            "permissions; record changes are limited to the configured hosted zone.",
        )
        role = pod_identity_role(self, "ExternalDnsRole", description=f"external-dns for {domain}")
        role.add_managed_policy(policy)
        self.roles["external-dns"] = role
        association = self._association(
            "ExternalDnsIdentity", role, "external-dns", EXTERNAL_DNS_SERVICE_ACCOUNT
        )
        chart = self._chart(
            "ExternalDns",
            "external-dns",
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
