"""Pure rules and facts of EKS managed capabilities (Argo CD, ACK, kro), cdk-free.

The config models (`eks_blueprint.config.capabilities`) and the constructs
(`eks_blueprint.capabilities`) call the same checks, so a YAML file and a library user are
refused the same values for the same reason. Each check returns the value it accepts and
raises ValueError with the problem and the fix, without saying where (the caller knows).

The facts come from the AWS::EKS::Capability resource schema (the copy cfn-lint ships), the
EKS API model (botocore `eks` CreateCapability, `sso-admin` InstanceArn, `identitystore`
ResourceId) and the EKS user guide's capability pages (capability-role, capabilities-security,
argocd-permissions, argocd-private-access).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Final, Literal, get_args

from .validate_names import (
    RESERVED_NAMESPACES,
    check_action,
    check_kubernetes_name,
)

#: The service principal every capability role trusts, with sts:AssumeRole and
#: sts:TagSession (EKS user guide, capability-role).
CAPABILITIES_PRINCIPAL: Final = "capabilities.eks.amazonaws.com"
#: The interface endpoint service of the Argo CD server's private access
#: (`com.amazonaws.<region>.eks-capabilities`; EKS user guide, argocd-private-access).
CAPABILITIES_ENDPOINT_SERVICE: Final = "eks-capabilities"
#: AWS::EKS::Capability DeletePropagationPolicy: RETAIN is the only value the schema and the
#: API accept. Deleting a capability keeps its CRDs and everything they manage.
DELETE_PROPAGATION_POLICY: Final = "RETAIN"
#: The namespace Argo CD watches for Applications, and the default of the config.
ARGOCD_NAMESPACE: Final = "argocd"
#: At most this many Identity Center users and groups in one Argo CD capability's role
#: mappings (EKS user guide, argocd-permissions).
MAX_IDENTITIES: Final = 1000
#: CreateCapability's capabilityName: 1-100 characters, letters, digits, '-' and '_'.
MAX_CAPABILITY_NAME: Final = 100
#: At most this many services in Ack.DisabledServices (AckDisabledServicesList).
MAX_DISABLED_SERVICES: Final = 200
#: AWS-managed EKS access policy that gives a capability deploy rights on its own cluster.
CLUSTER_ADMIN_POLICY: Final = "AmazonEKSClusterAdminPolicy"

#: Deploy rights a capability's role gets on its own cluster, beyond the access entry EKS
#: creates for it: `cluster-admin` associates AmazonEKSClusterAdminPolicy (cluster scope) with
#: that entry; `none` leaves it to you (RBAC bound to the role, or your own association).
CapabilityClusterAccess = Literal["cluster-admin", "none"]
CLUSTER_ACCESS: tuple[str, ...] = get_args(CapabilityClusterAccess)
#: How the Argo CD server (UI, API, webhooks) is reached: `private` through interface VPC
#: endpoints only, `public` over the internet (Identity Center sign-in either way).
NetworkAccess = Literal["private", "public"]
NETWORK_ACCESS: tuple[str, ...] = get_args(NetworkAccess)
#: Argo CD's built-in global roles, as the props and the config name them (the API's ADMIN,
#: EDITOR, VIEWER).
ArgoCdRole = Literal["admin", "editor", "viewer"]
ARGOCD_ROLES: tuple[str, ...] = get_args(ArgoCdRole)

#: Services whose wildcard actions (`iam:*`, `iam:Create*`) ACK may not get: they control
#: identities, keys, accounts or the audit trail, so a wildcard there lets anyone who can
#: create an ACK resource in the cluster escalate their rights or blind the auditors. List
#: their actions one by one.
ACK_SENSITIVE_SERVICES: frozenset[str] = frozenset(
    {"account", "cloudtrail", "guardduty", "iam", "identitystore", "kms", "organizations",
     "securityhub", "sso", "sts"}
)  # fmt: skip

#: An IAM Identity Center instance ARN (sso-admin's InstanceArn pattern).
IDC_INSTANCE_ARN = re.compile(
    r"arn:aws(-[a-z]{1,5}){0,3}:sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}"
)
#: An Identity Store user or group id (identitystore's ResourceId, without the ARN form):
#: a UUID, optionally after a 10-hex-digit prefix and a hyphen.
IDENTITY_ID = re.compile(
    r"([0-9a-f]{10}-)?[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}"
)
#: CreateCapability's capabilityName: letters, digits, hyphens and underscores.
CAPABILITY_NAME = re.compile(r"[A-Za-z0-9_-]{1,100}")
#: An interface VPC endpoint id.
VPCE_ID = re.compile(r"vpce-[0-9a-f]{8}([0-9a-f]{9})?")
#: An ACK service name (AckServiceName): `s3`, `ec2`, `iam`...
ACK_SERVICE_NAME = re.compile(r"[a-z][a-z0-9]{0,62}")
#: Characters IAM and EKS allow in tag keys and values besides letters, digits and spaces.
_TAG_PUNCTUATION = frozenset("_.:/=+-@")


def check_identity_center_instance_arn(value: str) -> str:
    """The ARN of an IAM Identity Center instance, e.g.
    arn:aws:sso:::instance/ssoins-1234567890abcdef (create-only: changing it replaces the
    Argo CD capability)."""
    if not IDC_INSTANCE_ARN.fullmatch(value):
        raise ValueError(
            "not an IAM Identity Center instance ARN; expected "
            "arn:aws:sso:::instance/ssoins-<16 characters> (aws sso-admin list-instances "
            "shows it)"
        )
    return value


def check_identity_id(value: str) -> str:
    """An Identity Store user or group id (a UUID, optionally with a 10-hex-digit prefix),
    not a display name: Argo CD's role mappings match on the id."""
    if not IDENTITY_ID.fullmatch(value):
        raise ValueError(
            "not an Identity Store user or group id: use the id, not the name, e.g. "
            "a1b2c3d4e5-1234abcd-12ab-34cd-56ef-1234567890ab or 1234abcd-12ab-34cd-56ef-"
            "1234567890ab (aws identitystore list-groups shows it)"
        )
    return value


class IdentityError(ValueError):
    """A problem with one identity of Argo CD's role mappings, at `field` (e.g.
    `admins.groups[2]`)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


def check_identities(mappings: Mapping[str, Sequence[str]]) -> Mapping[str, Sequence[str]]:
    """Argo CD role mappings, field (`admins.groups`, `viewers.users`...) -> ids: each id
    valid, listed once across every role (a higher role includes what the lower ones may
    do), at most MAX_IDENTITIES in all. Raises IdentityError naming the field of the first
    problem."""
    seen: dict[str, str] = {}
    for where, ids in mappings.items():
        for index, value in enumerate(ids):
            field = f"{where}[{index}]"
            try:
                check_identity_id(value)
            except ValueError as exc:
                raise IdentityError(field, str(exc)) from None
            if value in seen:
                raise IdentityError(
                    field,
                    f"{value} is listed under {seen[value]} already; list each identity once, "
                    "under the highest role it needs (admins include editors, editors "
                    "include viewers)",
                )
            seen[value] = field
            if len(seen) > MAX_IDENTITIES:
                raise IdentityError(
                    field,
                    f"more than {MAX_IDENTITIES} identities: an Argo CD capability maps at "
                    f"most {MAX_IDENTITIES} (EKS user guide); map Identity Center groups "
                    "rather than users",
                )
    return mappings


def check_capability_name(value: str) -> str:
    """A capability name: 1-100 letters, digits, hyphens or underscores (create-only:
    changing it replaces the capability)."""
    if not CAPABILITY_NAME.fullmatch(value):
        raise ValueError(
            f"not a capability name: 1-{MAX_CAPABILITY_NAME} letters, digits, hyphens or "
            "underscores, e.g. platform-argocd"
        )
    return value


def capability_name(cluster_name: str, kind: str) -> str:
    """The default name of a capability: `<cluster name>-<kind>` (kind `argocd`, `ack` or
    `kro`), the cluster's part shortened so that the whole stays within 100 characters."""
    suffix = f"-{kind}"
    return cluster_name[: MAX_CAPABILITY_NAME - len(suffix)] + suffix


def check_argocd_namespace(value: str) -> str:
    """Argo CD's namespace: a Kubernetes name that the cluster and its add-ons do not own.
    Argo CD reads every Secret in it (EKS user guide, capabilities-security), so it must not
    be one that holds others' Secrets."""
    check_kubernetes_name(value)
    if value in RESERVED_NAMESPACES or value.startswith("kube-"):
        raise ValueError(
            f"namespace {value!r} belongs to the cluster or its add-ons, and Argo CD can read "
            "every Secret in its namespace; use one of its own, e.g. argocd"
        )
    return value


def check_vpce_id(value: str) -> str:
    """An interface VPC endpoint id, vpce-<8 or 17 hex digits>."""
    if not VPCE_ID.fullmatch(value):
        raise ValueError("not a VPC endpoint id; expected e.g. vpce-0123456789abcdef0")
    return value


def check_ack_action(value: str) -> str:
    """An IAM action the ACK capability role may get: `service:Action`, never `*` (that is
    AdministratorAccess, which needs its own reason), and no wildcard on a service that
    controls identities, keys, accounts or auditing (ACK_SENSITIVE_SERVICES)."""
    if value == "*":
        raise ValueError(
            "'*' grants every AWS action to whoever can create an ACK resource in the "
            "cluster; list the actions the controllers call, e.g. s3:CreateBucket (or, if "
            "ACK must manage everything, ask for AdministratorAccess with its reason)"
        )
    check_action(value)
    service, _, action = value.partition(":")
    if "*" in action and service in ACK_SENSITIVE_SERVICES:
        raise ValueError(
            f"a wildcard on {service} lets anyone who can create an ACK resource escalate "
            f"their rights or hide their tracks ({', '.join(sorted(ACK_SENSITIVE_SERVICES))} "
            f"are refused); list the {service} actions one by one, e.g. {service}:"
            f"{'CreateRole' if service == 'iam' else 'Describe...'}"
        )
    return value


def check_ack_service_name(value: str) -> str:
    """An ACK service name as Ack.DisabledServices takes it (`s3`, `ec2`, `rds`): a
    lower-case letter, then lower-case letters and digits, at most 63. EKS accepts and
    ignores a name it does not know."""
    if not ACK_SERVICE_NAME.fullmatch(value):
        raise ValueError(
            "not an ACK service name: a lower-case letter, then lower-case letters and "
            "digits, at most 63 (e.g. s3, rds, elasticache)"
        )
    return value


def check_disabled_services(values: Sequence[str]) -> Sequence[str]:
    """Ack.DisabledServices: each a service name, each once, at most 200."""
    if len(values) > MAX_DISABLED_SERVICES:
        raise ValueError(f"at most {MAX_DISABLED_SERVICES} services; got {len(values)}")
    seen: set[str] = set()
    for value in values:
        check_ack_service_name(value)
        if value in seen:
            raise ValueError(f"{value} is listed more than once; list each once")
        seen.add(value)
    return values


def is_broad(value: str) -> bool:
    """Whether an action or resource has a wildcard (and so needs a reason)."""
    return "*" in value


def check_tags(tags: Mapping[str, str]) -> Mapping[str, str]:
    """Tags of a capability: keys 1-128 and values up to 256 characters of letters,
    digits, spaces and `_ . : / = + - @`, no `aws:` key, at most 50."""
    if len(tags) > 50:
        raise ValueError(f"at most 50 tags per resource; got {len(tags)}")
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or _odd(key):
            raise ValueError(
                f"tag key {key!r}: 1-128 letters, digits, spaces and _ . : / = + - @"
            )
        if key.lower().startswith("aws:"):
            raise ValueError(f"tag key {key!r}: the aws: prefix is reserved by AWS")
        if len(value) > 256 or _odd(value):
            raise ValueError(
                f"tag value of {key!r}: up to 256 letters, digits, spaces and _ . : / = + - @"
            )
    return tags


def _odd(text: str) -> bool:
    return any(
        c not in _TAG_PUNCTUATION and unicodedata.category(c)[0] not in ("L", "N", "Z")
        for c in text
    )


def first_repeat(values: Iterable[str]) -> str | None:
    """The first value listed a second time, or None."""
    seen: set[str] = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    return None
