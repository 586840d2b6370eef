"""The EKS best-practice rules: small pure functions over CloudFormation, and their table.

Every rule takes a :class:`~eks_blueprint.nag.template.ResourceRef` (a resource's
``Properties`` plus a read-only view of its template) and returns a
:class:`~eks_blueprint.nag.model.Verdict`. The same functions run inside the cdk-nag pack
(:mod:`eks_blueprint.nag.pack`) and the command line (:mod:`eks_blueprint.nag.cli`), so a
template gets the same answer however it is checked. :data:`RULES` is the one rule table.

Rules look at CloudFormation types only, never at CDK classes, so they see ``aws_eks_v2``,
``aws_eks`` and raw ``Cfn*`` resources alike. When a rule needs another resource and cannot
follow the reference (a cross-stack import without the exporting template, a literal
``subnet-...`` id, a parameter) it answers :meth:`Verdict.unresolved` instead of guessing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .model import Level as L
from .model import Rule, Verdict
from .template import PLACEHOLDER, ResourceRef, TemplateView, Unresolved, as_bool, as_int, as_list

CLUSTER = "AWS::EKS::Cluster"
NODEGROUP = "AWS::EKS::Nodegroup"
FARGATE_PROFILE = "AWS::EKS::FargateProfile"
LAUNCH_TEMPLATE = "AWS::EC2::LaunchTemplate"
SUBNET = "AWS::EC2::Subnet"
ROLE = "AWS::IAM::Role"
ADDON = "AWS::EKS::Addon"
DETECTOR = "AWS::GuardDuty::Detector"
ECR_REPOSITORY = "AWS::ECR::Repository"
REGISTRY_SCANNING = "AWS::ECR::RegistryScanningConfiguration"
QUEUE = "AWS::SQS::Queue"
EVENT_RULE = "AWS::Events::Rule"
LOG_GROUP = "AWS::Logs::LogGroup"
OIDC_PROVIDERS = ("AWS::IAM::OIDCProvider", "Custom::AWSCDKOpenIdConnectProvider")

#: The five control-plane log types EKS can send to CloudWatch Logs.
CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")

#: The EventBridge events Karpenter needs on its interruption queue: (source, detail-type).
INTERRUPTION_EVENTS = (
    ("aws.ec2", "EC2 Spot Instance Interruption Warning"),
    ("aws.ec2", "EC2 Instance Rebalance Recommendation"),
    ("aws.ec2", "EC2 Instance State-change Notification"),
    ("aws.health", "AWS Health Event"),
)


def _dig(mapping: Any, *keys: str) -> Any:
    """``mapping[k1][k2]...`` or None when any level is missing or not a mapping."""
    for key in keys:
        if not isinstance(mapping, Mapping):
            return None
        mapping = mapping.get(key)
    return mapping


def _literal(view: TemplateView, value: Any) -> str | None:
    """A string known at synth time, or None when absent or deploy-time."""
    text = view.render(value)
    return None if text is None or PLACEHOLDER in text else text


# --------------------------------------------------------------------------- cluster


def cluster_log_types(res: ResourceRef) -> Verdict:
    """EKSBP1: all five control-plane log types are enabled."""
    enabled = _dig(res.properties, "Logging", "ClusterLogging", "EnabledTypes")
    if enabled is not None and not isinstance(enabled, list):
        return Verdict.unresolved("Logging.ClusterLogging.EnabledTypes is computed at deploy time")
    types = {_literal(res.view, _dig(entry, "Type")) for entry in as_list(enabled)}
    missing = [t for t in CONTROL_PLANE_LOG_TYPES if t not in types]
    if not missing:
        return Verdict.ok()
    return Verdict.fail(f"control-plane log types not enabled: {', '.join(missing)}")


def cluster_secrets_encryption(res: ResourceRef) -> Verdict:
    """EKSBP2: Kubernetes secrets are envelope-encrypted with a KMS key."""
    configs = res.properties.get("EncryptionConfig")
    for config in as_list(configs):
        resources = _dig(config, "Resources")
        key = _dig(config, "Provider", "KeyArn")
        if isinstance(resources, list) and "secrets" in resources and key:
            return Verdict.ok()
    if configs is not None and not isinstance(configs, list):
        return Verdict.unresolved("EncryptionConfig is computed at deploy time")
    return Verdict.fail("no EncryptionConfig with Resources [secrets] and a Provider.KeyArn")


def _authentication_mode(res: ResourceRef) -> str | None:
    return _literal(res.view, _dig(res.properties, "AccessConfig", "AuthenticationMode"))


def cluster_access_entries(res: ResourceRef) -> Verdict:
    """EKSBP3: the authentication mode allows access entries (API or API_AND_CONFIG_MAP)."""
    raw = _dig(res.properties, "AccessConfig", "AuthenticationMode")
    mode = _authentication_mode(res)
    if raw is not None and mode is None:
        return Verdict.unresolved("AccessConfig.AuthenticationMode is computed at deploy time")
    if mode in ("API", "API_AND_CONFIG_MAP"):
        return Verdict.ok()
    if mode is None:
        return Verdict.fail("AccessConfig.AuthenticationMode not set: EKS defaults to CONFIG_MAP")
    return Verdict.fail(f"AccessConfig.AuthenticationMode is {mode}: access entries are off")


def cluster_api_only(res: ResourceRef) -> Verdict:
    """EKSBP4: the authentication mode is exactly API (the aws-auth ConfigMap is ignored)."""
    mode = _authentication_mode(res)
    if mode == "API":
        return Verdict.ok()
    if mode == "API_AND_CONFIG_MAP":
        return Verdict.fail("AccessConfig.AuthenticationMode is API_AND_CONFIG_MAP: the aws-auth "
                            "ConfigMap still grants access")
    return Verdict.na("reported by EKSBP3")


def cluster_bootstrap_admin(res: ResourceRef) -> Verdict:
    """EKSBP5: the cluster creator is not made a cluster admin behind everyone's back."""
    raw = _dig(res.properties, "AccessConfig", "BootstrapClusterCreatorAdminPermissions")
    value = as_bool(raw)
    if value is False:
        return Verdict.ok()
    if raw is None:
        return Verdict.fail("AccessConfig.BootstrapClusterCreatorAdminPermissions not set: EKS "
                            "defaults to true")
    if value is None:
        return Verdict.unresolved("BootstrapClusterCreatorAdminPermissions is computed at deploy "
                                  "time")
    return Verdict.fail("AccessConfig.BootstrapClusterCreatorAdminPermissions is true")


def cluster_public_endpoint(res: ResourceRef) -> Verdict:
    """EKSBP6: the API endpoint is private, or public only to listed CIDRs (not 0.0.0.0/0)."""
    vpc_config = res.properties.get("ResourcesVpcConfig")
    raw_public = _dig(vpc_config, "EndpointPublicAccess")
    public = as_bool(raw_public)
    if raw_public is not None and public is None:
        return Verdict.unresolved("EndpointPublicAccess is computed at deploy time")
    if public is False:
        return Verdict.ok("private endpoint only")
    cidrs = _dig(vpc_config, "PublicAccessCidrs")
    if cidrs is not None and not isinstance(cidrs, list):
        return Verdict.unresolved("PublicAccessCidrs is computed at deploy time")
    rendered = [res.view.render(c) for c in as_list(cidrs)]
    state = "public endpoint on" if public else "EndpointPublicAccess not set (EKS default: on)"
    if not rendered:
        return Verdict.fail(f"{state} and PublicAccessCidrs not set: open to 0.0.0.0/0")
    open_to_all = [c for c in rendered if c in ("0.0.0.0/0", "::/0")]
    if open_to_all:
        return Verdict.fail(f"{state} and PublicAccessCidrs includes {', '.join(open_to_all)}")
    if any(c is None or PLACEHOLDER in c for c in rendered):
        return Verdict.unresolved("PublicAccessCidrs contains values computed at deploy time")
    return Verdict.ok(f"public endpoint limited to {', '.join(str(c) for c in rendered)}")


def cluster_deletion_protection(res: ResourceRef) -> Verdict:
    """EKSBP7: deletion protection is on."""
    raw = res.properties.get("DeletionProtection")
    value = as_bool(raw)
    if value is True:
        return Verdict.ok()
    if raw is not None and value is None:
        return Verdict.unresolved("DeletionProtection is computed at deploy time")
    return Verdict.fail("DeletionProtection is " + ("false" if value is False else "not set"))


def cluster_log_group(res: ResourceRef) -> Verdict:
    """EKSBP8: the stack creates ``/aws/eks/<name>/cluster`` with a retention period."""
    enabled = _dig(res.properties, "Logging", "ClusterLogging", "EnabledTypes")
    if enabled is None or (isinstance(enabled, list) and not enabled):
        return Verdict.na("no control-plane log types enabled (see EKSBP1)")
    raw_name = res.properties.get("Name")
    name = _literal(res.view, raw_name)
    if raw_name is not None and name is None:
        return Verdict.unresolved(
            f"cannot resolve the cluster name {json.dumps(raw_name)}, so the log group "
            "/aws/eks/<name>/cluster cannot be matched")
    # A log group may also name the cluster by Ref (Ref of AWS::EKS::Cluster is its name).
    marker = f"<cluster {res.logical_id}>"
    expected = {f"/aws/eks/{marker}/cluster"}
    if name is not None:
        expected.add(f"/aws/eks/{name}/cluster")
    for group in res.view.of_type(LOG_GROUP):
        group_name = _render_with_refs(res.view, group.properties.get("LogGroupName"),
                                       {res.logical_id: marker})
        if group_name in expected:
            if as_int(group.properties.get("RetentionInDays")) is None:
                return Verdict.fail(f"log group {group.logical_id} ({group_name}) has no "
                                    "RetentionInDays: logs are kept forever")
            return Verdict.ok()
    if name is None:
        return Verdict.fail("the cluster has no Name, so no log group can be created before it: "
                            "EKS creates /aws/eks/<name>/cluster itself, without retention")
    return Verdict.fail(f"no AWS::Logs::LogGroup /aws/eks/{name}/cluster in the template: EKS "
                        "creates it itself, without retention")


def _render_with_refs(view: TemplateView, value: Any, refs: Mapping[str, str]) -> str | None:
    """Render ``value`` like :meth:`TemplateView.render`, with ``Ref`` s in ``refs`` replaced."""
    if isinstance(value, Mapping) and set(value) == {"Ref"} and value["Ref"] in refs:
        return refs[value["Ref"]]
    if isinstance(value, Mapping) and set(value) == {"Fn::Join"}:
        arg = value["Fn::Join"]
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list):
            parts = [_render_with_refs(view, part, refs) for part in arg[1]]
            return str(arg[0]).join(PLACEHOLDER if p is None else p for p in parts)
    if isinstance(value, Mapping) and set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"],
                                                                              str):
        text: str = value["Fn::Sub"]
        for logical_id, replacement in refs.items():
            text = text.replace("${" + logical_id + "}", replacement)
        return text
    return view.render(value)


# --------------------------------------------------------------------------- node groups


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
    ref = _dig(spec, "Id")
    if ref is None:
        ref = _dig(spec, "Name")
    found = res.view.deref(ref)
    if isinstance(found, ResourceRef) and found.type != LAUNCH_TEMPLATE:
        return Unresolved(f"LaunchTemplate points at {found.logical_id} ({found.type})")
    if isinstance(found, Unresolved):
        return Unresolved(f"cannot resolve the launch template: {found.reason}")
    return found


def nodegroup_ami_type(res: ResourceRef) -> Verdict:
    """EKSBP10: nodes run AL2023 or Bottlerocket.

    ``CUSTOM`` (or no AmiType with an ``ImageId`` in the launch template) cannot be proven
    from the template, so it is reported as unresolved: check the image and acknowledge.
    """
    raw = res.properties.get("AmiType")
    ami_type = _literal(res.view, raw)
    if raw is not None and ami_type is None:
        return Verdict.unresolved("AmiType is computed at deploy time")
    if ami_type is not None and ami_type.startswith(("AL2023_", "BOTTLEROCKET_")):
        return Verdict.ok()
    lt = _launch_template(res)
    image = _dig(lt.properties, "LaunchTemplateData", "ImageId") if isinstance(lt, ResourceRef) \
        else None
    if ami_type == "CUSTOM" or (ami_type is None and image is not None):
        return Verdict.unresolved("custom AMI from the launch template: the template cannot show "
                                  "that it is AL2023 or Bottlerocket")
    if ami_type is None:
        return Verdict.fail("AmiType not set: EKS picks the default for the Kubernetes version "
                            "(AL2 before 1.30)")
    return Verdict.fail(f"AmiType is {ami_type}, not AL2023_* or BOTTLEROCKET_*")


def _metadata_options(res: ResourceRef, rule: str) -> Mapping[str, Any] | Verdict:
    lt = _launch_template(res)
    if lt is None:
        return Verdict.fail("no launch template: EKS's default one does not require IMDSv2 "
                            "with hop limit 1" if rule == "tokens" else
                            "no launch template: EKS's default one sets hop limit 2")
    if isinstance(lt, Unresolved):
        return Verdict.unresolved(lt.reason)
    options = _dig(lt.properties, "LaunchTemplateData", "MetadataOptions")
    return options if isinstance(options, Mapping) else {}


def nodegroup_imdsv2(res: ResourceRef) -> Verdict:
    """EKSBP11: the launch template requires IMDSv2 tokens and keeps the hop limit <= 2."""
    options = _metadata_options(res, "tokens")
    if isinstance(options, Verdict):
        return options
    problems = []
    tokens = _literal(res.view, options.get("HttpTokens"))
    if tokens != "required":
        problems.append(f"HttpTokens is {tokens}" if tokens else
                        "HttpTokens not set (the default depends on the AMI)")
    hops = as_int(options.get("HttpPutResponseHopLimit"))
    if hops is not None and hops > 2:
        problems.append(f"HttpPutResponseHopLimit is {hops}")
    return Verdict.fail("; ".join(problems)) if problems else Verdict.ok()


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


def nodegroup_ebs_encryption(res: ResourceRef) -> Verdict:
    """EKSBP13: the launch template's EBS volumes are encrypted."""
    lt = _launch_template(res)
    if isinstance(lt, Unresolved):
        return Verdict.unresolved(lt.reason)
    unknown = ("the root volume follows the AMI and the account's EBS encryption-by-default "
               "setting, which the template does not show")
    if lt is None:
        return Verdict.unresolved(f"no launch template: {unknown}")
    mappings = _dig(lt.properties, "LaunchTemplateData", "BlockDeviceMappings")
    volumes = [m for m in as_list(mappings) if isinstance(_dig(m, "Ebs"), Mapping)]
    if not volumes:
        return Verdict.unresolved(f"launch template {lt.logical_id} has no EBS block device "
                                  f"mapping: {unknown}")
    plain = [str(_dig(m, "DeviceName") or "?") for m in volumes
             if as_bool(_dig(m, "Ebs", "Encrypted")) is not True]
    if plain:
        return Verdict.fail(f"launch template {lt.logical_id}: EBS volumes not encrypted: "
                            f"{', '.join(plain)}")
    return Verdict.ok()


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


def _managed_policy_names(role: ResourceRef) -> list[str]:
    names = []
    for arn in as_list(role.properties.get("ManagedPolicyArns")):
        text = role.view.render(arn)
        if text is not None:
            names.append(text.rsplit("/", 1)[-1])
    return names


def nodegroup_role_without_cni(res: ResourceRef) -> Verdict:
    """EKSBP15: the node role does not carry ``AmazonEKS_CNI_Policy`` (the CNI has its own)."""
    found = res.view.deref(res.properties.get("NodeRole"))
    if isinstance(found, Unresolved):
        return Verdict.unresolved(f"cannot resolve NodeRole: {found.reason}")
    if found.type != ROLE:
        return Verdict.unresolved(f"NodeRole points at {found.logical_id} ({found.type})")
    if "AmazonEKS_CNI_Policy" in _managed_policy_names(found):
        return Verdict.fail(f"node role {found.logical_id} has AmazonEKS_CNI_Policy: every pod "
                            "on the node can use it")
    return Verdict.ok()


# --------------------------------------------------------------------------- identity


def _statements(role: ResourceRef) -> Iterator[Mapping[str, Any]]:
    doc = role.properties.get("AssumeRolePolicyDocument")
    for statement in as_list(_dig(doc, "Statement")):
        if isinstance(statement, Mapping) and statement.get("Effect", "Allow") == "Allow":
            yield statement


def _actions(view: TemplateView, statement: Mapping[str, Any]) -> set[str]:
    return {a for a in (view.render(x) for x in as_list(statement.get("Action"))) if a}


def _is_eks_oidc(view: TemplateView, federated: Any, condition: Any) -> bool:
    """Whether a web-identity trust is an EKS (IRSA) one, not e.g. GitHub Actions."""
    for principal in as_list(federated):
        text = view.render(principal)
        if text is not None and "oidc.eks." in text:
            return True
        found = view.deref(principal)
        if isinstance(found, ResourceRef) and found.type in OIDC_PROVIDERS:
            url = found.properties.get("Url")
            issuer = view.deref(url)
            if isinstance(issuer, ResourceRef) and issuer.type == CLUSTER:
                return True
            url_text = view.render(url)
            if url_text is not None and "oidc.eks." in url_text:
                return True
    return "system:serviceaccount:" in json.dumps(condition, default=str)


def _condition_block(view: TemplateView, condition: Any) -> dict[str, Mapping[str, Any]] | None:
    """The trust condition as ``{operator: {key: value}}``, reading CfnJson values."""
    condition = view.value(condition)
    if not isinstance(condition, Mapping):
        return None
    block: dict[str, Mapping[str, Any]] = {}
    for operator, entries in condition.items():
        entries = view.value(entries)
        if not isinstance(entries, Mapping):
            return None
        block[operator] = entries
    return block


def _has_wildcard(values: Sequence[str | None]) -> bool:
    return any(v is None or "*" in v or "?" in v.replace(PLACEHOLDER, "") for v in values)


def irsa_trust(res: ResourceRef) -> Verdict:
    """EKSBP16: IRSA roles trust exactly one service account, on ``sub`` and ``aud``."""
    checked, problems = False, []
    for statement in _statements(res):
        federated = _dig(statement, "Principal", "Federated")
        if federated is None or "sts:AssumeRoleWithWebIdentity" not in _actions(res.view,
                                                                                 statement):
            continue
        condition = statement.get("Condition")
        if not _is_eks_oidc(res.view, federated, res.view.value(condition)):
            continue
        checked = True
        block = _condition_block(res.view, condition) if condition is not None else {}
        if block is None:
            return Verdict.unresolved(f"cannot resolve the trust condition "
                                      f"{json.dumps(condition, default=str)}")
        problems.extend(_irsa_condition_problems(res.view, block))
    if not checked:
        return Verdict.na("no EKS web-identity trust")
    return Verdict.fail("; ".join(problems)) if problems else Verdict.ok()


def _irsa_condition_problems(view: TemplateView,
                             block: Mapping[str, Mapping[str, Any]]) -> list[str]:
    problems: list[str] = []
    for operator, entries in block.items():
        if operator == "StringEquals":
            continue
        for key, value in entries.items():
            values = [view.render(v) for v in as_list(value)]
            if key.endswith((":sub", ":aud")) and _has_wildcard(values):
                shown = ", ".join(map(str, values))
                problems.append(f"{operator} on {key} with a wildcard ({shown})")
    equals = block.get("StringEquals", {})
    subs = [(k, [view.render(v) for v in as_list(v)]) for k, v in equals.items()
            if k.endswith(":sub")]
    auds = [(k, [view.render(v) for v in as_list(v)]) for k, v in equals.items()
            if k.endswith(":aud")]
    if not subs:
        problems.append("no StringEquals condition on <issuer>:sub: every service account "
                        "can assume the role")
    for key, values in subs:
        if len(values) != 1 or _has_wildcard(values) or not (values[0] or "").startswith(
                "system:serviceaccount:"):
            problems.append(f"{key} must be one system:serviceaccount:<namespace>:<name>, "
                            f"got {', '.join(map(str, values))}")
    if not auds:
        problems.append("no StringEquals condition on <issuer>:aud")
    for key, values in auds:
        if values != ["sts.amazonaws.com"]:
            problems.append(f"{key} must be sts.amazonaws.com, got {', '.join(map(str, values))}")
    return problems


def pod_identity_trust(res: ResourceRef) -> Verdict:
    """EKSBP17: Pod Identity roles allow both ``sts:AssumeRole`` and ``sts:TagSession``."""
    actions: set[str] | None = None
    for statement in _statements(res):
        services = [res.view.render(s) for s in as_list(_dig(statement, "Principal", "Service"))]
        if "pods.eks.amazonaws.com" in services:
            actions = (actions or set()) | _actions(res.view, statement)
    if actions is None:
        return Verdict.na("does not trust pods.eks.amazonaws.com")
    if actions & {"sts:*", "*"}:
        return Verdict.ok()
    missing = [a for a in ("sts:AssumeRole", "sts:TagSession") if a not in actions]
    if missing:
        return Verdict.fail(f"trust for pods.eks.amazonaws.com lacks {', '.join(missing)}")
    return Verdict.ok()


# --------------------------------------------------------------------------- add-ons


def addon_version_pinned(res: ResourceRef) -> Verdict:
    """EKSBP18: managed add-ons pin ``AddonVersion``."""
    if res.properties.get("AddonVersion"):
        return Verdict.ok()
    name = res.view.render(res.properties.get("AddonName"))
    return Verdict.fail(f"add-on {name} has no AddonVersion: EKS installs its default version")


def vpc_cni_own_role(res: ResourceRef) -> Verdict:
    """EKSBP19: the ``vpc-cni`` add-on has a role of its own (IRSA or Pod Identity)."""
    if res.view.render(res.properties.get("AddonName")) != "vpc-cni":
        return Verdict.na("not the vpc-cni add-on")
    if res.properties.get("ServiceAccountRoleArn"):
        return Verdict.ok("IRSA role")
    associations = as_list(res.properties.get("PodIdentityAssociations"))
    if any(_dig(a, "RoleArn") for a in associations):
        return Verdict.ok("Pod Identity association")
    return Verdict.fail("vpc-cni has no ServiceAccountRoleArn or PodIdentityAssociations: it "
                        "runs with the node role")


# --------------------------------------------------------------------------- around the cluster


def guardduty_eks_audit_logs(res: ResourceRef) -> Verdict:
    """EKSBP20: a GuardDuty detector in the template monitors EKS audit logs."""
    if as_bool(res.properties.get("Enable")) is False:
        return Verdict.fail("the detector is disabled (Enable: false)")
    for feature in as_list(res.properties.get("Features")):
        if res.view.render(_dig(feature, "Name")) == "EKS_AUDIT_LOGS":
            status = res.view.render(_dig(feature, "Status"))
            if status == "ENABLED":
                return Verdict.ok()
            return Verdict.fail(f"feature EKS_AUDIT_LOGS is {status}")
    legacy = as_bool(_dig(res.properties, "DataSources", "Kubernetes", "AuditLogs", "Enable"))
    if legacy is True:
        return Verdict.ok("DataSources.Kubernetes.AuditLogs")
    return Verdict.fail("EKS audit log monitoring not enabled (Features EKS_AUDIT_LOGS)")


def ecr_scan_on_push(res: ResourceRef) -> Verdict:
    """EKSBP21: ECR repositories scan images on push (or a registry scanning rule exists)."""
    if as_bool(_dig(res.properties, "ImageScanningConfiguration", "ScanOnPush")) is True:
        return Verdict.ok()
    for config in res.view.of_type(REGISTRY_SCANNING):
        if as_list(config.properties.get("Rules")):
            return Verdict.ok(f"registry scanning configuration {config.logical_id}")
    return Verdict.fail("ImageScanningConfiguration.ScanOnPush is not true and the template has "
                        "no registry scanning configuration")


def ecr_immutable_tags(res: ResourceRef) -> Verdict:
    """EKSBP22: ECR repositories have immutable tags."""
    mutability = res.view.render(res.properties.get("ImageTagMutability"))
    if mutability == "IMMUTABLE":
        return Verdict.ok()
    return Verdict.fail(f"ImageTagMutability is {mutability or 'not set (default MUTABLE)'}")


def _event_pattern(view: TemplateView, rule: ResourceRef) -> Mapping[str, Any]:
    pattern = rule.properties.get("EventPattern")
    if isinstance(pattern, str):
        try:
            pattern = json.loads(pattern)
        except ValueError:
            return {}
    return pattern if isinstance(pattern, Mapping) else {}


def _rules_targeting(queue: ResourceRef) -> Iterator[ResourceRef]:
    """Enabled EventBridge rules of the queue's template with a target that is the queue."""
    for rule in queue.view.of_type(EVENT_RULE):
        if queue.view.render(rule.properties.get("State")) == "DISABLED":
            continue
        for target in as_list(rule.properties.get("Targets")):
            found = queue.view.deref(_dig(target, "Arn"))
            if isinstance(found, ResourceRef) and found.logical_id == queue.logical_id \
                    and found.view is queue.view:
                yield rule
                break


def interruption_queue_reason(queue: ResourceRef) -> str | None:
    """Why this SQS queue counts as a Karpenter interruption queue, or None if it does not.

    A queue counts when an EventBridge rule with source ``aws.ec2`` or ``aws.health`` targets
    it, when its ``QueueName`` or logical id contains "interruption", or when it carries a tag
    whose key starts with ``karpenter.sh/``.
    """
    for rule in _rules_targeting(queue):
        sources = {queue.view.render(s) for s in as_list(_event_pattern(queue.view, rule)
                                                         .get("source"))}
        if sources & {"aws.ec2", "aws.health"}:
            return f"targeted by EventBridge rule {rule.logical_id}"
    name = queue.view.render(queue.properties.get("QueueName")) or ""
    if "interruption" in name.lower() or "interruption" in queue.logical_id.lower():
        return "named like an interruption queue"
    for tag in as_list(queue.properties.get("Tags")):
        key = queue.view.render(_dig(tag, "Key")) or ""
        if key.startswith("karpenter.sh/"):
            return f"tagged {key}"
    return None


def interruption_queue_encrypted(res: ResourceRef) -> Verdict:
    """EKSBP23: the Karpenter interruption queue is encrypted at rest."""
    if interruption_queue_reason(res) is None:
        return Verdict.na("not an interruption queue")
    if res.properties.get("KmsMasterKeyId"):
        return Verdict.ok("KMS")
    if as_bool(res.properties.get("SqsManagedSseEnabled")) is True:
        return Verdict.ok("SSE-SQS")
    return Verdict.fail("neither SqsManagedSseEnabled nor KmsMasterKeyId is set")


def interruption_queue_rules(res: ResourceRef) -> Verdict:
    """EKSBP24: the interruption queue receives the four events Karpenter handles."""
    if interruption_queue_reason(res) is None:
        return Verdict.na("not an interruption queue")
    covered: set[tuple[str, str]] = set()
    for rule in _rules_targeting(res):
        pattern = _event_pattern(res.view, rule)
        sources = {res.view.render(s) for s in as_list(pattern.get("source"))}
        types = {res.view.render(t) for t in as_list(pattern.get("detail-type"))}
        covered |= {(s, t) for s, t in INTERRUPTION_EVENTS if s in sources and t in types}
    missing = [t for s, t in INTERRUPTION_EVENTS if (s, t) not in covered]
    if missing:
        return Verdict.fail(f"no enabled EventBridge rule sends these events to the queue: "
                            f"{'; '.join(missing)}")
    return Verdict.ok()


# --------------------------------------------------------------------------- the table


def _rule(rule_id: str, level: L, types: str | tuple[str, ...], info: str, explanation: str,
          check: Any) -> Rule:
    return Rule(rule_id, level, (types,) if isinstance(types, str) else types, info,
                explanation, check)


#: Every rule, in id order. The cdk-nag pack and the command line both read this table.
RULES: tuple[Rule, ...] = (
    _rule("EKSBP1", L.ERROR, CLUSTER,
          "The EKS cluster does not send all five control-plane log types to CloudWatch Logs.",
          "Without api, audit, authenticator, controllerManager and scheduler logs, access and "
          "changes cannot be audited. Fix: enable all five in Logging.ClusterLogging."
          "EnabledTypes (aws_eks_v2: cluster_logging=[ClusterLoggingTypes...]).",
          cluster_log_types),
    _rule("EKSBP2", L.ERROR, CLUSTER,
          "The EKS cluster does not envelope-encrypt Kubernetes secrets with a KMS key.",
          "Secrets in etcd are then only protected by EBS-level encryption. Fix: set "
          "EncryptionConfig [{Resources: [secrets], Provider: {KeyArn}}] with a customer-managed "
          "key (aws_eks_v2: secrets_encryption_key=kms.Key(...)).",
          cluster_secrets_encryption),
    _rule("EKSBP3", L.ERROR, CLUSTER,
          "The EKS cluster's authentication mode does not allow access entries.",
          "CONFIG_MAP (the default) manages access in the aws-auth ConfigMap, which is easy to "
          "break and invisible to IAM. Fix: AccessConfig.AuthenticationMode API "
          "(aws_eks_v2: authentication_mode=AuthenticationMode.API).",
          cluster_access_entries),
    _rule("EKSBP4", L.WARNING, CLUSTER,
          "The EKS cluster still honours the aws-auth ConfigMap (API_AND_CONFIG_MAP).",
          "API_AND_CONFIG_MAP is a migration state: access granted in aws-auth bypasses access "
          "entries. Fix: move remaining mappings to access entries, then set API.",
          cluster_api_only),
    _rule("EKSBP5", L.ERROR, CLUSTER,
          "The EKS cluster makes its creator a cluster admin (BootstrapClusterCreatorAdmin"
          "Permissions).",
          "The deploying role silently becomes system:masters, outside any reviewed access "
          "entry. Fix: set AccessConfig.BootstrapClusterCreatorAdminPermissions false and grant "
          "admins explicit access entries (aws_eks_v2: bootstrap_cluster_creator_admin_"
          "permissions=False).",
          cluster_bootstrap_admin),
    _rule("EKSBP6", L.ERROR, CLUSTER,
          "The EKS cluster's public API endpoint is open to the internet.",
          "A public endpoint without PublicAccessCidrs (or with 0.0.0.0/0) exposes the API "
          "server to everyone. Fix: EndpointPublicAccess false (EndpointAccess.PRIVATE), or list "
          "the allowed CIDRs (EndpointAccess.PUBLIC_AND_PRIVATE.only_from(...)).",
          cluster_public_endpoint),
    _rule("EKSBP7", L.WARNING, CLUSTER,
          "The EKS cluster does not have deletion protection.",
          "A stack deletion or replacement can delete the cluster and its workloads. Fix: set "
          "DeletionProtection true (at least in production).",
          cluster_deletion_protection),
    _rule("EKSBP8", L.ERROR, CLUSTER,
          "The control-plane log group /aws/eks/<cluster>/cluster is not created with a "
          "retention period.",
          "EKS creates the log group itself with 'never expire', so logs pile up unreviewed. "
          "Fix: give the cluster a Name and create AWS::Logs::LogGroup /aws/eks/<name>/cluster "
          "with RetentionInDays (and KMS) before the cluster.",
          cluster_log_group),
    _rule("EKSBP9", L.ERROR, NODEGROUP,
          "The managed node group allows SSH (RemoteAccess).",
          "An SSH key and open port 22 on every node widen the attack surface. Fix: remove "
          "RemoteAccess and use SSM Session Manager.",
          nodegroup_remote_access),
    _rule("EKSBP10", L.ERROR, NODEGROUP,
          "The managed node group does not run an AL2023 or Bottlerocket AMI.",
          "AL2 reaches end of support and has no IMDSv2-by-default or SELinux-enforcing "
          "Bottlerocket hardening. Fix: AmiType AL2023_* or BOTTLEROCKET_*. A CUSTOM AMI is "
          "reported as unresolved: verify the image and acknowledge.",
          nodegroup_ami_type),
    _rule("EKSBP11", L.ERROR, NODEGROUP,
          "The node group's launch template does not require IMDSv2.",
          "Without HttpTokens required (and with a hop limit above 2) workloads can read the "
          "node's instance credentials through IMDSv1. Fix: a launch template with "
          "MetadataOptions {HttpTokens: required, HttpPutResponseHopLimit: 1}.",
          nodegroup_imdsv2),
    _rule("EKSBP12", L.WARNING, NODEGROUP,
          "The node group's IMDS hop limit is not 1.",
          "With hop limit 2 pods on the node network can reach IMDS and the node role's "
          "credentials. Fix: MetadataOptions.HttpPutResponseHopLimit 1 and give controllers "
          "their region/VPC id as values.",
          nodegroup_hop_limit),
    _rule("EKSBP13", L.ERROR, NODEGROUP,
          "The node group's EBS volumes are not encrypted.",
          "Unencrypted node volumes hold container images, logs and emptyDir data in clear. "
          "Fix: BlockDeviceMappings with Ebs.Encrypted true (gp3) in the launch template.",
          nodegroup_ebs_encryption),
    _rule("EKSBP14", L.ERROR, (NODEGROUP, FARGATE_PROFILE),
          "Nodes or Fargate pods are placed in subnets that map public IPs.",
          "Nodes with public IPs are reachable from the internet. Fix: use private subnets "
          "(MapPublicIpOnLaunch false) for node groups and Fargate profiles.",
          private_subnets),
    _rule("EKSBP15", L.WARNING, NODEGROUP,
          "The node role carries AmazonEKS_CNI_Policy.",
          "Every pod that can reach the node's credentials gets ENI and IP management rights. "
          "Fix: give the vpc-cni add-on its own role (IRSA or Pod Identity, EKSBP19), then drop "
          "the policy from the node role.",
          nodegroup_role_without_cni),
    _rule("EKSBP16", L.ERROR, ROLE,
          "An IRSA role does not trust exactly one service account on <issuer>:sub and :aud.",
          "Without StringEquals on sub and aud (or with wildcards) any service account in the "
          "cluster can assume the role. Fix: StringEquals {<issuer>:sub: system:serviceaccount:"
          "<ns>:<name>, <issuer>:aud: sts.amazonaws.com}.",
          irsa_trust),
    _rule("EKSBP17", L.ERROR, ROLE,
          "A Pod Identity role does not allow both sts:AssumeRole and sts:TagSession.",
          "EKS Pod Identity tags the session; without sts:TagSession the association fails. "
          "Fix: allow [sts:AssumeRole, sts:TagSession] for pods.eks.amazonaws.com "
          "(iam.SessionTagsPrincipal).",
          pod_identity_trust),
    _rule("EKSBP18", L.WARNING, ADDON,
          "The EKS add-on does not pin AddonVersion.",
          "Without a version the add-on gets whatever EKS defaults to at creation, and the "
          "template does not show upgrades. Fix: set AddonVersion.",
          addon_version_pinned),
    _rule("EKSBP19", L.ERROR, ADDON,
          "The vpc-cni add-on has no role of its own.",
          "The CNI then uses the node role, so AmazonEKS_CNI_Policy must stay on every node. "
          "Fix: ServiceAccountRoleArn (IRSA) or PodIdentityAssociations for aws-node.",
          vpc_cni_own_role),
    _rule("EKSBP20", L.ERROR, DETECTOR,
          "The GuardDuty detector does not monitor EKS audit logs.",
          "GuardDuty then misses suspicious Kubernetes API activity. Fix: Features "
          "[{Name: EKS_AUDIT_LOGS, Status: ENABLED}] (and EKS_RUNTIME_MONITORING).",
          guardduty_eks_audit_logs),
    _rule("EKSBP21", L.ERROR, ECR_REPOSITORY,
          "The ECR repository does not scan images on push.",
          "Vulnerable images then reach the cluster unnoticed. Fix: "
          "ImageScanningConfiguration.ScanOnPush true, or a registry scanning configuration "
          "(enhanced scanning).",
          ecr_scan_on_push),
    _rule("EKSBP22", L.ERROR, ECR_REPOSITORY,
          "The ECR repository allows tags to be overwritten.",
          "A mutable tag can silently point a running workload at a different image. Fix: "
          "ImageTagMutability IMMUTABLE.",
          ecr_immutable_tags),
    _rule("EKSBP23", L.ERROR, QUEUE,
          "The Karpenter interruption queue is not encrypted.",
          "Interruption events describe the fleet; keep them encrypted at rest. Fix: "
          "SqsManagedSseEnabled true or KmsMasterKeyId.",
          interruption_queue_encrypted),
    _rule("EKSBP24", L.ERROR, QUEUE,
          "The Karpenter interruption queue misses EventBridge rules.",
          "Karpenter drains nodes ahead of Spot interruptions, rebalance recommendations, "
          "instance state changes and scheduled AWS Health events only if all four reach its "
          "queue. Fix: one enabled rule per event targeting the queue.",
          interruption_queue_rules),
)

#: The rules by CloudFormation type.
RULES_BY_TYPE: dict[str, tuple[Rule, ...]] = {
    rtype: tuple(r for r in RULES if rtype in r.resource_types)
    for rtype in sorted({t for r in RULES for t in r.resource_types})
}
