"""EKS best-practice rules on nodes (EKSBP9-EKSBP15, EKSBP25): SSH, AMI, IMDS, volume
encryption, private subnets, the node role's CNI policy and the nodes' path to CNI
permissions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ...template import (
    ResourceRef,
    TemplateView,
    Unresolved,
    as_bool,
    as_int,
    as_list,
    dig,
    literal,
)
from ..catalog import BEST_PRACTICE
from ..common import (
    ACCESS_ENTRY,
    ADDON,
    CLUSTER,
    FARGATE_PROFILE,
    LAUNCH_TEMPLATE,
    NODEGROUP,
    POD_IDENTITY_ASSOCIATION,
    ROLE,
    SUBNET,
    assembly_views,
    cluster_key,
    managed_policy_names,
)
from ..model import Level as L
from ..model import Verdict


@BEST_PRACTICE.rule(
    "EKSBP9", L.ERROR, NODEGROUP,
    "The managed node group allows SSH (RemoteAccess).",
    "An SSH key and open port 22 on every node widen the attack surface. Fix: remove "
    "RemoteAccess and use SSM Session Manager.")
def nodegroup_remote_access(res: ResourceRef) -> Verdict:
    """EKSBP9: no SSH ``RemoteAccess`` on managed node groups."""
    if res.properties.get("RemoteAccess") is not None:
        return Verdict.fail("RemoteAccess is set: nodes accept SSH (use SSM Session Manager)")
    return Verdict.ok()


def _launch_template(res: ResourceRef) -> ResourceRef | Unresolved | None:
    """The node group's launch template in the template, None when it has none."""
    spec = res.properties.get("LaunchTemplate")
    if spec is None:
        return None
    ref = dig(spec, "Id")
    if ref is None:
        ref = dig(spec, "Name")
    found = res.view.deref(ref)
    if isinstance(found, ResourceRef) and found.type != LAUNCH_TEMPLATE:
        return Unresolved(f"LaunchTemplate points at {found.logical_id} ({found.type})")
    if isinstance(found, Unresolved):
        return Unresolved(f"cannot resolve the launch template: {found.reason}")
    return found


@BEST_PRACTICE.rule(
    "EKSBP10", L.ERROR, NODEGROUP,
    "The managed node group does not run an AL2023, Bottlerocket or Windows AMI.",
    "AL2 reaches end of support and has no IMDSv2-by-default or SELinux-enforcing "
    "Bottlerocket hardening. Fix: AmiType AL2023_* or BOTTLEROCKET_* (WINDOWS_* for Windows "
    "containers, which have no Linux AMI). A CUSTOM AMI is reported as unresolved: verify the "
    "image and acknowledge.")
def nodegroup_ami_type(res: ResourceRef) -> Verdict:
    """EKSBP10: Linux nodes run AL2023 or Bottlerocket; Windows nodes run an EKS-optimised
    Windows Server AMI type (WINDOWS_*), the only kind EKS offers for Windows containers.

    ``CUSTOM`` (or no AmiType with an ``ImageId`` in the launch template) cannot be proven
    from the template, so it is reported as unresolved: check the image and acknowledge.
    """
    raw = res.properties.get("AmiType")
    ami_type = literal(raw)
    if raw is not None and ami_type is None:
        return Verdict.unresolved("AmiType is computed at deploy time")
    if ami_type is not None and ami_type.startswith(("AL2023_", "BOTTLEROCKET_", "WINDOWS_")):
        return Verdict.ok()
    lt = _launch_template(res)
    image = dig(lt.properties, "LaunchTemplateData", "ImageId") if isinstance(lt, ResourceRef) \
        else None
    if ami_type == "CUSTOM" or (ami_type is None and image is not None):
        return Verdict.unresolved("custom AMI from the launch template: the template cannot show "
                                  "that it is AL2023 or Bottlerocket")
    if ami_type is None:
        return Verdict.fail("AmiType not set: EKS picks the default for the Kubernetes version "
                            "(AL2 before 1.30)")
    return Verdict.fail(f"AmiType is {ami_type}, not AL2023_*, BOTTLEROCKET_* or WINDOWS_*")


def _metadata_options(res: ResourceRef, rule: str) -> Mapping[str, Any] | Verdict:
    lt = _launch_template(res)
    if lt is None:
        return Verdict.fail("no launch template: EKS's default one does not require IMDSv2 "
                            "with hop limit 1" if rule == "tokens" else
                            "no launch template: EKS's default one sets hop limit 2")
    if isinstance(lt, Unresolved):
        return Verdict.unresolved(lt.reason)
    options = dig(lt.properties, "LaunchTemplateData", "MetadataOptions")
    return options if isinstance(options, Mapping) else {}


@BEST_PRACTICE.rule(
    "EKSBP11", L.ERROR, NODEGROUP,
    "The node group's launch template does not require IMDSv2.",
    "Without HttpTokens required (and with a hop limit above 2) workloads can read the "
    "node's instance credentials through IMDSv1. Fix: a launch template with "
    "MetadataOptions {HttpTokens: required, HttpPutResponseHopLimit: 1}.")
def nodegroup_imdsv2(res: ResourceRef) -> Verdict:
    """EKSBP11: the launch template requires IMDSv2 tokens and keeps the hop limit <= 2."""
    options = _metadata_options(res, "tokens")
    if isinstance(options, Verdict):
        return options
    problems = []
    tokens = literal(options.get("HttpTokens"))
    if tokens != "required":
        problems.append(f"HttpTokens is {tokens}" if tokens else
                        "HttpTokens not set (the default depends on the AMI)")
    hops = as_int(options.get("HttpPutResponseHopLimit"))
    if hops is not None and hops > 2:
        problems.append(f"HttpPutResponseHopLimit is {hops}")
    return Verdict.fail("; ".join(problems)) if problems else Verdict.ok()


@BEST_PRACTICE.rule(
    "EKSBP12", L.WARNING, NODEGROUP,
    "The node group's IMDS hop limit is not 1.",
    "With hop limit 2 pods on the node network can reach IMDS and the node role's "
    "credentials. Fix: MetadataOptions.HttpPutResponseHopLimit 1 and give controllers "
    "their region/VPC id as values.")
def nodegroup_hop_limit(res: ResourceRef) -> Verdict:
    """EKSBP12: the IMDS hop limit is 1, so pods cannot use the node's credentials."""
    options = _metadata_options(res, "hops")
    if isinstance(options, Verdict):
        return options
    raw = options.get("HttpPutResponseHopLimit")
    hops = as_int(raw)
    if hops == 1:
        return Verdict.ok()
    if raw is None:
        return Verdict.fail("HttpPutResponseHopLimit not set: the default depends on the AMI "
                            "(2 for AL2023)")
    if hops is None:
        return Verdict.unresolved("HttpPutResponseHopLimit is computed at deploy time")
    return Verdict.fail(f"HttpPutResponseHopLimit is {hops}: pods can reach the node's "
                        "instance credentials")


@BEST_PRACTICE.rule(
    "EKSBP13", L.ERROR, NODEGROUP,
    "The node group's EBS volumes are not encrypted.",
    "Unencrypted node volumes hold container images, logs and emptyDir data in clear. "
    "Fix: BlockDeviceMappings with Ebs.Encrypted true (gp3) in the launch template.")
def nodegroup_ebs_encryption(res: ResourceRef) -> Verdict:
    """EKSBP13: the launch template's EBS volumes are encrypted."""
    lt = _launch_template(res)
    if isinstance(lt, Unresolved):
        return Verdict.unresolved(lt.reason)
    unknown = ("the root volume follows the AMI and the account's EBS encryption-by-default "
               "setting, which the template does not show")
    if lt is None:
        return Verdict.unresolved(f"no launch template: {unknown}")
    mappings = dig(lt.properties, "LaunchTemplateData", "BlockDeviceMappings")
    volumes = [m for m in as_list(mappings) if isinstance(dig(m, "Ebs"), Mapping)]
    if not volumes:
        return Verdict.unresolved(f"launch template {lt.logical_id} has no EBS block device "
                                  f"mapping: {unknown}")
    plain = [str(dig(m, "DeviceName") or "?") for m in volumes
             if as_bool(dig(m, "Ebs", "Encrypted")) is not True]
    if plain:
        return Verdict.fail(f"launch template {lt.logical_id}: EBS volumes not encrypted: "
                            f"{', '.join(plain)}")
    return Verdict.ok()


@BEST_PRACTICE.rule(
    "EKSBP14", L.ERROR, (NODEGROUP, FARGATE_PROFILE),
    "Nodes or Fargate pods are placed in subnets that map public IPs.",
    "Nodes with public IPs are reachable from the internet. Fix: use private subnets "
    "(MapPublicIpOnLaunch false) for node groups and Fargate profiles.")
def private_subnets(res: ResourceRef) -> Verdict:
    """EKSBP14: node groups and Fargate profiles use subnets that do not map public IPs."""
    subnets = res.properties.get("Subnets")
    if subnets is None:
        return Verdict.unresolved("no Subnets: EKS uses the cluster's subnets")
    if not isinstance(subnets, list):
        return Verdict.unresolved(f"cannot resolve Subnets {json.dumps(subnets)}")
    public, unresolved = [], []
    for subnet in subnets:
        found = res.view.deref(subnet)
        if isinstance(found, Unresolved):
            unresolved.append(found.reason)
        elif found.type != SUBNET:
            unresolved.append(f"{found.logical_id} is a {found.type}")
        elif as_bool(found.properties.get("MapPublicIpOnLaunch")) is True:
            public.append(found.logical_id)
    if public:
        return Verdict.fail(f"subnets with MapPublicIpOnLaunch true: {', '.join(public)}")
    if unresolved:
        return Verdict.unresolved("; ".join(unresolved))
    return Verdict.ok()


@BEST_PRACTICE.rule(
    "EKSBP15", L.WARNING, NODEGROUP,
    "The node role carries AmazonEKS_CNI_Policy.",
    "Every pod that can reach the node's credentials gets ENI and IP management rights. "
    "Fix: give the vpc-cni add-on its own role (IRSA or Pod Identity, EKSBP19), then drop "
    "the policy from the node role.")
def nodegroup_role_without_cni(res: ResourceRef) -> Verdict:
    """EKSBP15: the node role does not carry ``AmazonEKS_CNI_Policy`` (the CNI has its own)."""
    found = res.view.deref(res.properties.get("NodeRole"))
    if isinstance(found, Unresolved):
        return Verdict.unresolved(f"cannot resolve NodeRole: {found.reason}")
    if found.type != ROLE:
        return Verdict.unresolved(f"NodeRole points at {found.logical_id} ({found.type})")
    if "AmazonEKS_CNI_Policy" in managed_policy_names(found):
        return Verdict.fail(f"node role {found.logical_id} has AmazonEKS_CNI_Policy: every pod "
                            "on the node can use it")
    return Verdict.ok()


# --------------------------------------------------------------------------- path to CNI

#: The managed policy that lets the VPC CNI manage ENIs and IPs, and the service account
#: (namespace, name) its DaemonSet runs as.
CNI_POLICY = "AmazonEKS_CNI_Policy"
CNI_SERVICE_ACCOUNT = ("kube-system", "aws-node")


def _same_cluster(key: tuple[str, ...] | None, view: TemplateView, raw: Any) -> bool:
    """Whether ``raw`` (a ClusterName in ``view``) names the cluster ``key``; a name neither
    side can resolve counts as the same cluster, so the rule never blames a guess."""
    other = cluster_key(view, raw)
    return key is None or other is None or other == key


def cni_permission_source(res: ResourceRef) -> str | None:
    """How the VPC CNI of ``res``'s cluster gets permissions of its own, or None.

    Looks through every template checked with ``res`` for a ``vpc-cni`` add-on with a
    ``ServiceAccountRoleArn`` or a Pod Identity association for ``aws-node``, and for an
    ``AWS::EKS::PodIdentityAssociation`` for ``kube-system/aws-node``, on the same cluster.
    """
    key = cluster_key(res.view, res.properties.get("ClusterName"))
    for view in assembly_views(res.view):
        for addon in view.of_type(ADDON):
            props = addon.properties
            if (view.render(props.get("AddonName")) != "vpc-cni"
                    or not _same_cluster(key, view, props.get("ClusterName"))):
                continue
            if props.get("ServiceAccountRoleArn"):
                return f"vpc-cni add-on {addon.logical_id} has an IRSA role"
            for association in as_list(props.get("PodIdentityAssociations")):
                if (dig(association, "RoleArn")
                        and view.render(dig(association, "ServiceAccount")) == "aws-node"):
                    return _with_agent(
                        res, key, f"vpc-cni add-on {addon.logical_id} has a Pod Identity "
                        "association")
        for association in view.of_type(POD_IDENTITY_ASSOCIATION):
            props = association.properties
            target = (view.render(props.get("Namespace")), view.render(props.get("ServiceAccount")))
            if target == CNI_SERVICE_ACCOUNT and props.get("RoleArn") and _same_cluster(
                    key, view, props.get("ClusterName")):
                return _with_agent(
                    res, key,
                    f"Pod Identity association {association.logical_id} for kube-system/aws-node")
    return None


#: Marks a Pod Identity path without the agent that hands out its credentials.
NO_AGENT = "without the eks-pod-identity-agent add-on"


def _with_agent(res: ResourceRef, key: tuple[str, ...] | None, source: str) -> str:
    """`source`, or `source` marked NO_AGENT when no template checked with `res` installs the
    Pod Identity agent on the cluster: without it aws-node gets no credentials."""
    for view in assembly_views(res.view):
        for addon in view.of_type(ADDON):
            props = addon.properties
            if (view.render(props.get("AddonName")) == "eks-pod-identity-agent"
                    and _same_cluster(key, view, props.get("ClusterName"))):
                return source
    return f"{source} {NO_AGENT}"


#: The EC2 action the VPC CNI needs per IP family (its managed policy grants the IPv4 one;
#: IPv6 needs a policy of the customer's own, per the EKS user guide's CNI role page).
CNI_ACTIONS = {"ipv4": "ec2:AssignPrivateIpAddresses", "ipv6": "ec2:AssignIpv6Addresses"}


def _ip_family(res: ResourceRef) -> str:
    """The IP family of `res`'s cluster where a checked template declares it, else ipv4."""
    key = cluster_key(res.view, res.properties.get("ClusterName"))
    for view in assembly_views(res.view):
        for cluster in view.of_type(CLUSTER):
            if key is not None and cluster_key(view, {"Ref": cluster.logical_id}) != key:
                continue
            family = view.render(dig(cluster.properties, "KubernetesNetworkConfig", "IpFamily"))
            if family:
                return family.lower()
    return "ipv4"


def _allows(document: Any, action: str) -> bool:
    """Whether a policy document has an Allow statement for `action` (or a wildcard of it)."""
    service = action.split(":", 1)[0]
    for statement in as_list(dig(document, "Statement")):
        if dig(statement, "Effect") != "Allow":
            continue
        for granted in as_list(dig(statement, "Action")):
            if not isinstance(granted, str):
                continue
            if granted in ("*", f"{service}:*", action) or (
                    granted.endswith("*") and action.startswith(granted[:-1])):
                return True
    return False


def _role_grants(role: ResourceRef, action: str) -> bool:
    """Whether the role's inline policies, or a policy in the checked templates attached to
    it (AWS::IAM::Policy / ManagedPolicy `Roles`, or a ManagedPolicyArns reference), allow
    `action`."""
    for policy in as_list(role.properties.get("Policies")):
        if _allows(dig(policy, "PolicyDocument"), action):
            return True
    for arn in as_list(role.properties.get("ManagedPolicyArns")):
        found = role.view.deref(arn)
        if isinstance(found, ResourceRef) and _allows(
                found.properties.get("PolicyDocument"), action):
            return True
    for policy in role.view.of_type("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        attached = [role.view.deref(r) for r in as_list(policy.properties.get("Roles"))]
        if any(isinstance(r, ResourceRef) and r.logical_id == role.logical_id for r in attached) \
                and _allows(policy.properties.get("PolicyDocument"), action):
            return True
    return False


def _node_role(res: ResourceRef) -> ResourceRef | Unresolved:
    """The IAM role of the nodes: a node group's NodeRole, an access entry's PrincipalArn."""
    prop = "NodeRole" if res.type == NODEGROUP else "PrincipalArn"
    found = res.view.deref(res.properties.get(prop))
    if isinstance(found, Unresolved):
        return Unresolved(f"cannot resolve {prop}: {found.reason}")
    if found.type != ROLE:
        return Unresolved(f"{prop} points at {found.logical_id} ({found.type})")
    return found


@BEST_PRACTICE.rule(
    "EKSBP25", L.ERROR, (NODEGROUP, ACCESS_ENTRY),
    "Nodes have no path to CNI permissions, so they never become Ready.",
    "The node role deliberately lacks AmazonEKS_CNI_Policy (EKSBP15), so the VPC CNI "
    "(aws-node) needs a role of its own; without one it cannot assign pod IPs and the nodes "
    "stay NotReady. Checked on managed node groups and EC2_LINUX access entries (Karpenter or "
    "self-managed nodes); Auto Mode nodes (access entry type EC2) and Fargate need no CNI "
    "role. A Pod Identity association counts only with the eks-pod-identity-agent add-on. "
    "Fix: add the vpc-cni add-on with ServiceAccountRoleArn (IRSA) or a Pod Identity "
    "association for kube-system/aws-node (eks_blueprint: ControlPlaneProps(core_addons=True) "
    "or Addons), or give the node role the CNI's permissions: AmazonEKS_CNI_Policy (IPv4), or "
    "a policy of your own allowing ec2:AssignIpv6Addresses (IPv6 clusters).")
def nodes_cni_path(res: ResourceRef) -> Verdict:
    """EKSBP25: nodes (a managed node group, or the role of an ``EC2_LINUX`` access entry)
    have a path to CNI permissions: a vpc-cni role of its own, or the CNI policy on the node
    role."""
    if res.type == ACCESS_ENTRY:
        kind = res.view.render(res.properties.get("Type"))
        if kind != "EC2_LINUX":
            return Verdict.na(f"access entry of type {kind or 'STANDARD'}, not EC2_LINUX nodes")
    source = cni_permission_source(res)
    if source is not None and not source.endswith(NO_AGENT):
        return Verdict.ok(source)
    role = _node_role(res)
    if isinstance(role, Unresolved):
        return Verdict.unresolved(f"no vpc-cni role of its own, and {role.reason}")
    family = _ip_family(res)
    action = CNI_ACTIONS.get(family, CNI_ACTIONS["ipv4"])
    if family != "ipv6" and CNI_POLICY in managed_policy_names(role):
        return Verdict.ok(f"node role {role.logical_id} has {CNI_POLICY}")
    if _role_grants(role, action):
        return Verdict.ok(f"node role {role.logical_id} has a policy allowing {action}")
    if source is not None:
        return Verdict.fail(f"{source}: aws-node gets no credentials without the agent, so "
                            "the nodes never become Ready; add the eks-pod-identity-agent "
                            "add-on or give vpc-cni an IRSA role")
    foreign = [a for a in managed_policy_names(role) if not a.startswith("Amazon")]
    if foreign:
        return Verdict.unresolved(
            f"no vpc-cni role of its own, and node role {role.logical_id} has managed "
            f"policies this check cannot read ({', '.join(foreign)}) that may allow {action}")
    needed = CNI_POLICY if family != "ipv6" else f"a policy allowing {action} (IPv6 cluster)"
    return Verdict.fail(f"no vpc-cni add-on with ServiceAccountRoleArn or a Pod Identity "
                        f"association for kube-system/aws-node, and node role "
                        f"{role.logical_id} lacks {needed}: the nodes never become Ready")
