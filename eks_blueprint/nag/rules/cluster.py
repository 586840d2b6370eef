"""EKS best-practice rules on the cluster (EKSBP1-EKSBP8): logging, secrets encryption,
authentication, the API endpoint, deletion protection and the log group.

The cluster's settings are read once into :class:`~eks_blueprint.template.ClusterFacts`,
whose predicates the review and verify apply too; each rule turns a predicate's answer into
a verdict (None, a deploy-time value, becomes "unresolved").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ...template import PLACEHOLDER, ClusterFacts, ResourceRef, TemplateView, as_int, dig, literal
from ..catalog import BEST_PRACTICE
from ..common import CLUSTER, LOG_GROUP
from ..model import Level as L
from ..model import Verdict


@BEST_PRACTICE.rule(
    "EKSBP1", L.ERROR, CLUSTER,
    "The EKS cluster does not send all five control-plane log types to CloudWatch Logs.",
    "Without api, audit, authenticator, controllerManager and scheduler logs, access and "
    "changes cannot be audited. Fix: enable all five in Logging.ClusterLogging."
    "EnabledTypes (aws_eks_v2: cluster_logging=[ClusterLoggingTypes...]).")
def cluster_log_types(res: ResourceRef) -> Verdict:
    """EKSBP1: all five control-plane log types are enabled."""
    missing = facts_of(res).missing_log_types()
    if missing is None:
        return Verdict.unresolved("Logging.ClusterLogging.EnabledTypes is computed at deploy time")
    if not missing:
        return Verdict.ok()
    return Verdict.fail(f"control-plane log types not enabled: {', '.join(missing)}")


@BEST_PRACTICE.rule(
    "EKSBP2", L.ERROR, CLUSTER,
    "The EKS cluster does not envelope-encrypt Kubernetes secrets with a KMS key.",
    "Secrets in etcd are then only protected by EBS-level encryption. Fix: set "
    "EncryptionConfig [{Resources: [secrets], Provider: {KeyArn}}] with a customer-managed "
    "key (aws_eks_v2: secrets_encryption_key=kms.Key(...)).")
def cluster_secrets_encryption(res: ResourceRef) -> Verdict:
    """EKSBP2: Kubernetes secrets are envelope-encrypted with a KMS key."""
    encrypted = facts_of(res).secrets_encrypted()
    if encrypted:
        return Verdict.ok()
    if encrypted is None:
        return Verdict.unresolved("EncryptionConfig is computed at deploy time")
    return Verdict.fail("no EncryptionConfig with Resources [secrets] and a Provider.KeyArn")


def facts_of(res: ResourceRef) -> ClusterFacts:
    """The cluster's settings as facts, values rendered by the template view."""
    return ClusterFacts.from_template(res.properties, res.view.render)


@BEST_PRACTICE.rule(
    "EKSBP3", L.ERROR, CLUSTER,
    "The EKS cluster's authentication mode does not allow access entries.",
    "CONFIG_MAP (the default) manages access in the aws-auth ConfigMap, which is easy to "
    "break and invisible to IAM. Fix: AccessConfig.AuthenticationMode API "
    "(aws_eks_v2: authentication_mode=AuthenticationMode.API).")
def cluster_access_entries(res: ResourceRef) -> Verdict:
    """EKSBP3: the authentication mode allows access entries (API or API_AND_CONFIG_MAP)."""
    facts = facts_of(res)
    allowed = facts.allows_access_entries()
    if allowed is None:
        return Verdict.unresolved("AccessConfig.AuthenticationMode is computed at deploy time")
    if allowed:
        return Verdict.ok()
    if facts.authentication_mode is None:
        return Verdict.fail("AccessConfig.AuthenticationMode not set: EKS defaults to CONFIG_MAP")
    return Verdict.fail(f"AccessConfig.AuthenticationMode is {facts.authentication_mode}: "
                        "access entries are off")


@BEST_PRACTICE.rule(
    "EKSBP4", L.WARNING, CLUSTER,
    "The EKS cluster still honours the aws-auth ConfigMap (API_AND_CONFIG_MAP).",
    "API_AND_CONFIG_MAP is a migration state: access granted in aws-auth bypasses access "
    "entries. Fix: move remaining mappings to access entries, then set API.")
def cluster_api_only(res: ResourceRef) -> Verdict:
    """EKSBP4: the authentication mode is exactly API (the aws-auth ConfigMap is ignored)."""
    mode = facts_of(res).authentication_mode
    if mode == "API":
        return Verdict.ok()
    if mode == "API_AND_CONFIG_MAP":
        return Verdict.fail("AccessConfig.AuthenticationMode is API_AND_CONFIG_MAP: the aws-auth "
                            "ConfigMap still grants access")
    return Verdict.na("reported by EKSBP3")


@BEST_PRACTICE.rule(
    "EKSBP5", L.ERROR, CLUSTER,
    "The EKS cluster makes its creator a cluster admin (BootstrapClusterCreatorAdmin"
    "Permissions).",
    "The deploying role silently becomes system:masters, outside any reviewed access "
    "entry. Fix: set AccessConfig.BootstrapClusterCreatorAdminPermissions false and grant "
    "admins explicit access entries (aws_eks_v2: bootstrap_cluster_creator_admin_"
    "permissions=False).")
def cluster_bootstrap_admin(res: ResourceRef) -> Verdict:
    """EKSBP5: the cluster creator is not made a cluster admin behind everyone's back."""
    facts = facts_of(res)
    if facts.bootstrap_admin is False:
        return Verdict.ok()
    if facts.is_computed("AccessConfig.BootstrapClusterCreatorAdminPermissions"):
        return Verdict.unresolved("BootstrapClusterCreatorAdminPermissions is computed at deploy "
                                  "time")
    if facts.bootstrap_admin is None:
        return Verdict.fail("AccessConfig.BootstrapClusterCreatorAdminPermissions not set: EKS "
                            "defaults to true")
    return Verdict.fail("AccessConfig.BootstrapClusterCreatorAdminPermissions is true")


@BEST_PRACTICE.rule(
    "EKSBP6", L.ERROR, CLUSTER,
    "The EKS cluster's public API endpoint is open to the internet.",
    "A public endpoint without PublicAccessCidrs (or with 0.0.0.0/0) exposes the API "
    "server to everyone. Fix: EndpointPublicAccess false (EndpointAccess.PRIVATE), or list "
    "the allowed CIDRs (EndpointAccess.PUBLIC_AND_PRIVATE.only_from(...)).")
def cluster_public_endpoint(res: ResourceRef) -> Verdict:
    """EKSBP6: the API endpoint is private, or public only to listed CIDRs (not 0.0.0.0/0),
    as :meth:`ClusterFacts.public_endpoint_open` judges it."""
    facts = facts_of(res)
    opened = facts.public_endpoint_open()
    if facts.public_endpoint_on is None:
        return Verdict.unresolved("EndpointPublicAccess is computed at deploy time")
    if facts.public_endpoint_on is False:
        return Verdict.ok("private endpoint only")
    if facts.is_computed("ResourcesVpcConfig.PublicAccessCidrs"):
        return Verdict.unresolved("PublicAccessCidrs is computed at deploy time")
    state = ("public endpoint on" if facts.endpoint_public
             else "EndpointPublicAccess not set (EKS default: on)")
    if not facts.public_cidrs:
        return Verdict.fail(f"{state} and PublicAccessCidrs not set: open to 0.0.0.0/0")
    if opened:
        return Verdict.fail(f"{state} and PublicAccessCidrs includes "
                            f"{', '.join(facts.open_cidrs())}")
    if opened is None:
        return Verdict.unresolved("PublicAccessCidrs contains values computed at deploy time")
    return Verdict.ok(f"public endpoint limited to {', '.join(facts.public_cidrs)}")


@BEST_PRACTICE.rule(
    "EKSBP7", L.WARNING, CLUSTER,
    "The EKS cluster does not have deletion protection.",
    "A stack deletion or replacement can delete the cluster and its workloads. Fix: set "
    "DeletionProtection true (at least in production).")
def cluster_deletion_protection(res: ResourceRef) -> Verdict:
    """EKSBP7: deletion protection is on."""
    facts = facts_of(res)
    protected = facts.deletion_protected()
    if protected:
        return Verdict.ok()
    if protected is None:
        return Verdict.unresolved("DeletionProtection is computed at deploy time")
    return Verdict.fail("DeletionProtection is "
                        + ("false" if facts.deletion_protection is False else "not set"))


@BEST_PRACTICE.rule(
    "EKSBP8", L.ERROR, CLUSTER,
    "The control-plane log group /aws/eks/<cluster>/cluster is not created with a "
    "retention period.",
    "EKS creates the log group itself with 'never expire', so logs pile up unreviewed. "
    "Fix: give the cluster a Name and create AWS::Logs::LogGroup /aws/eks/<name>/cluster "
    "with RetentionInDays (and KMS) before the cluster.")
def cluster_log_group(res: ResourceRef) -> Verdict:
    """EKSBP8: the stack creates ``/aws/eks/<name>/cluster`` with a retention period."""
    enabled = dig(res.properties, "Logging", "ClusterLogging", "EnabledTypes")
    if enabled is None or (isinstance(enabled, list) and not enabled):
        return Verdict.na("no control-plane log types enabled (see EKSBP1)")
    raw_name = res.properties.get("Name")
    name = literal(raw_name)
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
