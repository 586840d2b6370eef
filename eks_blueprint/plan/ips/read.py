"""What `plan ips` reads from an environment's synthesised templates: the VPC CNI settings,
the subnets, the capacity (managed node groups, Karpenter NodePools and EC2NodeClasses,
Fargate profiles) and what else takes addresses in the subnets (interface endpoints, NAT
gateways, EFS mount targets, the cluster's network interfaces).

Everything comes from the templates, so the plan answers for what would be deployed; the
config is read only for what no template states (tenant pod and load balancer quotas, the
demo workload's scheme, CoreDNS replicas on Fargate). References between stacks are
followed with :mod:`eks_blueprint.template.view`; what cannot be followed is listed in
`TemplateFacts.unresolved`, never guessed.

Pure Python: no ``aws_cdk``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ...config.network import POD_SUBNET_ROLE, POD_SUBNETS_NAME, SUBNET_ROLE_TAG
from ...instance_types import is_windows_ami
from ...template import (
    ResourceRef,
    StackTemplate,
    TemplateView,
    UnreadableManifest,
    Unresolved,
    applied_by,
    as_int,
    helm_releases,
    manifest_objects,
    render_text,
    views_of,
)
from ...validate_names import quantity_value
from ..inputs import PlanInputs
from .addresses import CniSettings, cni_settings

#: CDK's subnet tags: the group type (Public, Private, Isolated) and the group name.
SUBNET_TYPE_TAG = "aws-cdk:subnet-type"
SUBNET_NAME_TAG = "aws-cdk:subnet-name"
#: Load balancer discovery tags (AWS Load Balancer Controller).
ELB_TAG = "kubernetes.io/role/elb"
INTERNAL_ELB_TAG = "kubernetes.io/role/internal-elb"
ZONE_LABEL = "topology.kubernetes.io/zone"
FSX_CSI_DRIVER = "fsx.csi.aws.com"
NODE_GROUP_LABEL = "eks-blueprint/node-group"

#: Self-managed node groups: Auto Scaling groups tagged ``kubernetes.io/cluster/<name>``.
CLUSTER_TAG_PREFIX = "kubernetes.io/cluster/"
SELF_MANAGED_AMI = "SELF_MANAGED"
"""`NodeGroup.ami_type` of a self-managed group (its AMI is a launch template's ImageId)."""

_MAX_PODS_TOML = re.compile(r"^\s*max-pods\s*=\s*(\d+)\s*$", re.M)
#: The node group label in a self-managed group's user data: the AL2023 kubelet flag
#: ``--node-labels=eks-blueprint/node-group=<name>,...`` or Bottlerocket's TOML
#: ``"eks-blueprint/node-group" = "<name>"``.
_GROUP_LABEL_FLAG = re.compile(r"--node-labels=(?:[^\s\"]*,)?eks-blueprint/node-group=([^,\s\"]+)")
_GROUP_LABEL_TOML = re.compile(r'^"eks-blueprint/node-group"\s*=\s*"([^"]+)"\s*$', re.M)
_MAX_PODS_NODECONFIG = re.compile(r"^\s*maxPods:\s*(\d+)\s*$", re.M)


@dataclass(frozen=True)
class Subnet:
    """An AWS::EC2::Subnet of the templates."""

    stack: str
    logical_id: str
    cidr: str
    az: str
    tier: str
    """The CDK subnet type (``Public``, ``Private``, ``Isolated``), ``Pods`` for the pod
    subnets of custom networking (tag ``eks-blueprint/subnet-role: pods``), or ``unknown``."""
    name: str
    """The CDK subnet group name (``Private``, ``InternalLoadBalancer``...)."""
    tags: Mapping[str, str]

    @property
    def key(self) -> tuple[str, str]:
        return (self.stack, self.logical_id)

    @property
    def label(self) -> str:
        return f"{self.name} {self.az} ({self.cidr})"


@dataclass(frozen=True)
class NodeGroup:
    name: str
    logical_id: str
    instance_types: tuple[str, ...]
    max_size: int | None
    ami_type: str
    max_pods: int | None
    """The kubelet max pods the launch template's user data sets, if any."""
    subnets: tuple[Subnet, ...]
    self_managed: bool = False
    """An AWS::AutoScaling::AutoScalingGroup of the cluster (a self-managed node group), not
    an AWS::EKS::Nodegroup."""

    @property
    def windows(self) -> bool:
        """Windows nodes (a WINDOWS_* AMI type): their pods take secondary IPs of the
        primary ENI only."""
        return is_windows_ami(self.ami_type)


@dataclass(frozen=True)
class NodeClass:
    name: str
    subnet_terms: tuple[Mapping[str, Any], ...]
    max_pods: int | None
    pods_per_core: int | None


@dataclass(frozen=True)
class NodePool:
    name: str
    node_class: str
    requirements: tuple[Mapping[str, Any], ...]
    cpu_limit: Decimal | None
    """``spec.limits.cpu`` in vCPUs; None when the pool has no CPU limit."""

    @property
    def zones(self) -> tuple[str, ...] | None:
        """The zones an `In` requirement on topology.kubernetes.io/zone allows, if any."""
        for requirement in self.requirements:
            if requirement.get("key") == ZONE_LABEL and requirement.get("operator") == "In":
                return tuple(str(v) for v in requirement.get("values") or [])
        return None


@dataclass(frozen=True)
class FargateProfile:
    name: str
    selectors: tuple[tuple[str, Mapping[str, str]], ...]
    """(namespace, labels) of each selector."""
    subnets: tuple[Subnet, ...]


@dataclass(frozen=True)
class Resident:
    """Something that is not a node but takes addresses in subnets: `per_subnet` each."""

    what: str
    per_subnet: int
    subnets: tuple[Subnet, ...]


@dataclass
class TemplateFacts:
    cni: CniSettings
    subnets: dict[tuple[str, str], Subnet]
    node_groups: list[NodeGroup] = field(default_factory=list)
    node_classes: dict[str, NodeClass] = field(default_factory=dict)
    node_pools: list[NodePool] = field(default_factory=list)
    fargate: list[FargateProfile] = field(default_factory=list)
    residents: list[Resident] = field(default_factory=list)
    efs_mount_targets: list[Subnet] = field(default_factory=list)
    """The subnet of each EFS mount target (one address each, counted as a `Resident`
    `EFS_MOUNT_TARGET` of that subnet, and reported)."""
    fsx_storage_classes: list[str] = field(default_factory=list)
    """StorageClasses of the FSx for Lustre CSI driver: each claim creates a file system
    whose network interfaces take addresses in the class's subnet (not bounded here)."""
    karpenter_replicas: int | None = None
    auto_mode: bool = False
    unresolved: list[str] = field(default_factory=list)
    """References or documents the reader could not follow, each with where and why."""


#: What an EFS mount target's `Resident` is called: one network interface, one address, in
#: its subnet (AWS::EFS::MountTarget; EFS allows one per AZ and file system).
EFS_MOUNT_TARGET = "EFS mount target"

#: Addresses the EKS control plane may take in each subnet given to the cluster: up to 4
#: network interfaces, and 4 new ones created before the old are deleted in an upgrade
#: (EKS user guide, "VPC and subnet requirements"), all possibly in one subnet.
CLUSTER_ADDRESSES_PER_SUBNET = 8


def _tags(properties: Mapping[str, Any]) -> dict[str, str]:
    tags = properties.get("Tags") or []
    out: dict[str, str] = {}
    if isinstance(tags, list):
        for tag in tags:
            if isinstance(tag, Mapping):
                key, value = render_text(tag.get("Key")), render_text(tag.get("Value"))
                if key is not None and value is not None:
                    out[key] = value
    return out


def _az(value: Any, index: int) -> str:
    """A literal zone, or `az-<n>` for CDK's ``Fn::Select [n, Fn::GetAZs]`` (an
    environment-agnostic stack), else `az-?<index>`."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and "Fn::Select" in value:
        arg = value["Fn::Select"]
        if isinstance(arg, list) and arg and isinstance(arg[0], int):
            return f"az-{arg[0] + 1}"
    return f"az-?{index}"


class _Reader:
    def __init__(self, inputs: PlanInputs) -> None:
        self.inputs = inputs
        self.views: list[tuple[StackTemplate, TemplateView]] = list(
            zip(inputs.stacks, views_of(list(inputs.stacks)), strict=True)
        )
        self.unresolved: list[str] = []
        self.subnets: dict[tuple[str, str], Subnet] = {}
        for index, (_, view, logical_id, props) in enumerate(self.of_type("AWS::EC2::Subnet")):
            tags = _tags(props)
            # Custom networking's pod subnets carry a role tag instead of CDK's group tags.
            pods = tags.get(SUBNET_ROLE_TAG) == POD_SUBNET_ROLE
            cidr = render_text(props.get("CidrBlock"))
            if cidr is None or "${" in cidr:
                self.unresolved.append(f"{view.name}/{logical_id}: CidrBlock is not a literal")
                continue
            self.subnets[(view.name, logical_id)] = Subnet(
                stack=view.name,
                logical_id=logical_id,
                cidr=cidr,
                az=_az(props.get("AvailabilityZone"), index),
                tier=tags.get(SUBNET_TYPE_TAG, POD_SUBNETS_NAME if pods else "unknown"),
                name=tags.get(SUBNET_NAME_TAG, POD_SUBNETS_NAME if pods else logical_id),
                tags=tags,
            )

    def of_type(
        self, *types: str
    ) -> Iterator[tuple[StackTemplate, TemplateView, str, Mapping[str, Any]]]:
        for stack, view in self.views:
            for ref in view.of_type(*types):
                yield stack, view, ref.logical_id, ref.properties

    def subnet_refs(self, view: TemplateView, values: Any, where: str) -> tuple[Subnet, ...]:
        """The subnets a list of references names (Ref, Fn::ImportValue, ...)."""
        found: list[Subnet] = []
        for value in values if isinstance(values, list) else []:
            ref = view.deref(value)
            if isinstance(ref, Unresolved):
                self.unresolved.append(f"{where}: {ref.reason}")
                continue
            subnet = self.subnets.get((ref.view.name, ref.logical_id))
            if subnet is None:
                self.unresolved.append(
                    f"{where}: {ref.view.name}/{ref.logical_id} is not a subnet with a literal "
                    "CidrBlock"
                )
            else:
                found.append(subnet)
        return tuple(found)


def _user_data_max_pods(text: str) -> int | None:
    match = _MAX_PODS_TOML.search(text) or _MAX_PODS_NODECONFIG.search(text)
    return int(match.group(1)) if match else None


def _user_data_text(value: Any) -> str | None:
    if isinstance(value, Mapping) and set(value) == {"Fn::Base64"}:
        return render_text(value["Fn::Base64"])
    text = render_text(value)
    if text is None or "${" in text:
        return None
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


def _cni(reader: _Reader) -> CniSettings:
    ipv6 = any(
        str((props.get("KubernetesNetworkConfig") or {}).get("IpFamily", "ipv4")).lower() == "ipv6"
        for _, _, _, props in reader.of_type("AWS::EKS::Cluster")
    )
    for _, view, logical_id, props in reader.of_type("AWS::EKS::Addon"):
        if props.get("AddonName") != "vpc-cni":
            continue
        where = f"{view.name}/{logical_id}"
        text = render_text(props.get("ConfigurationValues"))
        env: Mapping[str, Any] = {}
        configuration: Any = {}
        if text:
            try:
                configuration = json.loads(text)
            except ValueError:
                reader.unresolved.append(f"{where}: ConfigurationValues is not JSON")
                configuration = {}
            found = configuration.get("env") if isinstance(configuration, dict) else None
            env = found if isinstance(found, Mapping) else {}
        windows_prefixes = isinstance(configuration, dict) and (
            str(configuration.get("enableWindowsPrefixDelegation", "false")).lower() == "true"
        )
        return cni_settings(
            env,
            source=f"vpc-cni add-on {where} ConfigurationValues (env)",
            ipv6=ipv6,
            windows_prefix_delegation=windows_prefixes,
        )
    return cni_settings(
        {}, source="no vpc-cni add-on in the templates: the VPC CNI's defaults", ipv6=ipv6
    )


def _node_groups(reader: _Reader) -> list[NodeGroup]:
    groups = []
    for _, view, logical_id, props in reader.of_type("AWS::EKS::Nodegroup"):
        where = f"{view.name}/{logical_id}"
        found = props.get("Labels")
        labels: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
        max_pods = None
        template_ref = (props.get("LaunchTemplate") or {}).get("Id")
        if template_ref is not None:
            target = view.deref(template_ref)
            if isinstance(target, ResourceRef):
                data = target.properties.get("LaunchTemplateData") or {}
                text = _user_data_text(data.get("UserData"))
                max_pods = _user_data_max_pods(text) if text else None
        scaling = props.get("ScalingConfig") or {}
        types = props.get("InstanceTypes")
        groups.append(
            NodeGroup(
                name=str(labels.get(NODE_GROUP_LABEL, logical_id)),
                logical_id=logical_id,
                instance_types=tuple(str(t) for t in types) if isinstance(types, list) else (),
                max_size=as_int(scaling.get("MaxSize")),
                ami_type=str(props.get("AmiType", "AL2_x86_64")),
                max_pods=max_pods,
                subnets=reader.subnet_refs(view, props.get("Subnets"), f"{where} Subnets"),
            )
        )
    return groups


def _self_managed_groups(reader: _Reader) -> list[NodeGroup]:
    """The cluster's Auto Scaling groups (self-managed node groups): their instance types
    (the launch template's InstanceType, or the MixedInstancesPolicy's overrides), MaxSize,
    VPCZoneIdentifier and the max pods of the launch template's user data."""
    groups = []
    for _, view, logical_id, props in reader.of_type("AWS::AutoScaling::AutoScalingGroup"):
        tags = _tags(props)
        if not any(key.startswith(CLUSTER_TAG_PREFIX) for key in tags):
            continue  # not a group of nodes of a cluster
        where = f"{view.name}/{logical_id}"
        mixed = props.get("MixedInstancesPolicy") or {}
        spec = (mixed.get("LaunchTemplate") or {}).get("LaunchTemplateSpecification") or (
            props.get("LaunchTemplate") or {}
        )
        types = [
            str(t)
            for t in (
                render_text(o.get("InstanceType"))
                for o in (mixed.get("LaunchTemplate") or {}).get("Overrides") or []
                if isinstance(o, Mapping)
            )
            if t
        ]
        data: Mapping[str, Any] = {}
        template_ref = spec.get("LaunchTemplateId")
        if template_ref is not None:
            target = view.deref(template_ref)
            if isinstance(target, ResourceRef):
                data = target.properties.get("LaunchTemplateData") or {}
            else:
                reader.unresolved.append(f"{where} LaunchTemplateId: {target.reason}")
        if not types and render_text(data.get("InstanceType")):
            types = [str(render_text(data.get("InstanceType")))]
        text = _user_data_text(data.get("UserData")) or ""
        label = _GROUP_LABEL_FLAG.search(text) or _GROUP_LABEL_TOML.search(text)
        name = label.group(1) if label else tags.get("Name", logical_id).removesuffix("-node")
        groups.append(
            NodeGroup(
                name=name,
                logical_id=logical_id,
                instance_types=tuple(types),
                max_size=as_int(props.get("MaxSize")),
                ami_type=SELF_MANAGED_AMI,
                max_pods=_user_data_max_pods(text) if text else None,
                subnets=reader.subnet_refs(
                    view, props.get("VPCZoneIdentifier"), f"{where} VPCZoneIdentifier"
                ),
                self_managed=True,
            )
        )
    return groups


def _cpu(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return quantity_value(str(value))
    except ValueError:
        return None


def _karpenter(reader: _Reader, facts: TemplateFacts) -> None:
    for stack, view in reader.views:
        unreadable: list[UnreadableManifest] = []
        for obj in manifest_objects([stack], unreadable=unreadable):
            kind, spec = obj.kind, obj.spec
            name = str(obj.metadata.get("name", obj.key[1]))
            if kind == "StorageClass" and obj.body.get("provisioner") == FSX_CSI_DRIVER:
                facts.fsx_storage_classes.append(name)
            elif kind == "EC2NodeClass":
                kubelet = spec.get("kubelet") or {}
                facts.node_classes[name] = NodeClass(
                    name=name,
                    subnet_terms=tuple(spec.get("subnetSelectorTerms") or ()),
                    max_pods=as_int(kubelet.get("maxPods")),
                    pods_per_core=as_int(kubelet.get("podsPerCore")),
                )
            elif kind == "NodePool":
                template = (spec.get("template") or {}).get("spec") or {}
                limits = spec.get("limits") or {}
                facts.node_pools.append(
                    NodePool(
                        name=name,
                        node_class=str((template.get("nodeClassRef") or {}).get("name", "")),
                        requirements=tuple(template.get("requirements") or ()),
                        cpu_limit=_cpu(limits.get("cpu")),
                    )
                )
        reader.unresolved.extend(
            f"{view.name}/{applied_by(item.logical_id, item.item)}: the manifest is not JSON"
            for item in unreadable
        )
    for helm in helm_releases(reader.inputs.stacks):
        if helm.chart == "karpenter":
            facts.karpenter_replicas = as_int(helm.values.get("replicas"))


def _fargate(reader: _Reader) -> list[FargateProfile]:
    profiles = []
    for _, view, logical_id, props in reader.of_type("AWS::EKS::FargateProfile"):
        selectors = []
        for selector in props.get("Selectors") or []:
            labels = {
                str(label.get("Key")): str(label.get("Value"))
                for label in selector.get("Labels") or []
                if isinstance(label, Mapping)
            }
            selectors.append((str(selector.get("Namespace", "")), labels))
        profiles.append(
            FargateProfile(
                name=str(render_text(props.get("FargateProfileName")) or logical_id),
                selectors=tuple(selectors),
                subnets=reader.subnet_refs(
                    view, props.get("Subnets"), f"{view.name}/{logical_id} Subnets"
                ),
            )
        )
    return profiles


def _residents(reader: _Reader) -> list[Resident]:
    residents: list[Resident] = []
    for _, view, logical_id, props in reader.of_type("AWS::EC2::VPCEndpoint"):
        if props.get("VpcEndpointType") != "Interface":
            continue
        # com.amazonaws.<region>.<service>: the service may have dots (ecr.api).
        service = (render_text(props.get("ServiceName")) or logical_id).split(".", 3)[-1]
        subnets = reader.subnet_refs(
            view, props.get("SubnetIds"), f"{view.name}/{logical_id} SubnetIds"
        )
        residents.append(Resident(f"interface endpoint {service}", 1, subnets))
    for _, view, logical_id, props in reader.of_type("AWS::EC2::NatGateway"):
        subnets = reader.subnet_refs(
            view, [props.get("SubnetId")], f"{view.name}/{logical_id} SubnetId"
        )
        residents.append(Resident("NAT gateway", 1, subnets))
    for _, view, logical_id, props in reader.of_type("AWS::EFS::MountTarget"):
        subnets = reader.subnet_refs(
            view, [props.get("SubnetId")], f"{view.name}/{logical_id} SubnetId"
        )
        residents.append(Resident(EFS_MOUNT_TARGET, 1, subnets))
    for _, view, logical_id, props in reader.of_type("AWS::EKS::Cluster"):
        vpc_config = props.get("ResourcesVpcConfig") or {}
        subnets = reader.subnet_refs(
            view, vpc_config.get("SubnetIds"), f"{view.name}/{logical_id} SubnetIds"
        )
        residents.append(
            Resident("EKS control plane network interfaces", CLUSTER_ADDRESSES_PER_SUBNET, subnets)
        )
    return residents


def read_templates(inputs: PlanInputs) -> TemplateFacts:
    """Everything `plan ips` needs from the environment's templates."""
    reader = _Reader(inputs)
    facts = TemplateFacts(cni=_cni(reader), subnets=reader.subnets)
    facts.node_groups = _node_groups(reader) + _self_managed_groups(reader)
    _karpenter(reader, facts)
    facts.fargate = _fargate(reader)
    facts.residents = _residents(reader)
    facts.efs_mount_targets = [
        subnet
        for resident in facts.residents
        if resident.what == EFS_MOUNT_TARGET
        for subnet in resident.subnets
    ]
    facts.auto_mode = any(
        bool((props.get("ComputeConfig") or {}).get("Enabled"))
        for _, _, _, props in reader.of_type("AWS::EKS::Cluster")
    )
    facts.unresolved = reader.unresolved
    return facts


def pod_subnets(facts: TemplateFacts) -> dict[str, Subnet]:
    """Custom networking's pod subnets by AZ (the ENIConfig of a node's AZ names its AZ's
    pod subnet; one per AZ)."""
    return {s.az: s for s in facts.subnets.values() if s.tier == POD_SUBNETS_NAME}


def karpenter_subnets(facts: TemplateFacts, node_class: NodeClass) -> tuple[Subnet, ...]:
    """The subnets an EC2NodeClass's subnetSelectorTerms select: any term (OR), each term
    all of its tags (``*`` matches any value). Terms by subnet id cannot be matched offline
    and are listed in `facts.unresolved`."""
    selected: dict[tuple[str, str], Subnet] = {}
    for term in node_class.subnet_terms:
        tags = term.get("tags")
        if not isinstance(tags, Mapping) or not tags:
            facts.unresolved.append(
                f"EC2NodeClass {node_class.name}: subnetSelectorTerms {json.dumps(term)} "
                "selects by id or name, which the templates cannot show"
            )
            continue
        for subnet in facts.subnets.values():
            if all(
                key in subnet.tags and (value == "*" or subnet.tags[key] == value)
                for key, value in tags.items()
            ):
                selected[subnet.key] = subnet
    return tuple(sorted(selected.values(), key=lambda s: (s.az, s.cidr)))
