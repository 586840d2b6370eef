"""What an EKS cluster is, as plain facts, from a template or from the live API.

:class:`ClusterFacts` is built from an ``AWS::EKS::Cluster`` resource's ``Properties``
(:meth:`ClusterFacts.from_template`, for the nag rules and the review) or from an EKS
``DescribeCluster`` response (:meth:`ClusterFacts.from_describe`, for verify). Its predicates
(public endpoint open to the internet, missing log types, secrets encryption...) are then
the one judgement every tool applies, so a cluster is "public" for the same reason wherever
it is checked.

Policy for what a template does not show: a value computed at deploy time (an intrinsic the
renderer cannot reduce to a literal) is recorded in :attr:`ClusterFacts.computed` under its
CloudFormation property name and the predicates that depend on it answer None ("cannot tell
offline") instead of guessing; a property left out takes EKS's documented default where the
predicate needs one (public endpoint on, no CIDR limit). Pure Python: no ``aws_cdk``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..baseline import CONTROL_PLANE_LOG_TYPES
from .values import PLACEHOLDER, as_bool, as_list, dig, render_text

#: CIDRs that open an endpoint to the whole internet.
OPEN_CIDRS = ("0.0.0.0/0", "::/0")

#: Renders a template value as text (None for non-strings); default
#: :func:`~eks_blueprint.template.values.render_text`, whose deploy-time parts read
#: :data:`~eks_blueprint.template.values.PLACEHOLDER`.
Render = Callable[[Any], "str | None"]


@dataclass(frozen=True)
class ClusterFacts:
    """The security-relevant settings of one EKS cluster.

    ``None`` in a field means "not set" (the API's default applies) unless the field's
    CloudFormation property is in :attr:`computed` (deploy-time: unknown offline).
    """

    name: str | None = None
    endpoint_public: bool | None = None
    """None: not set (EKS defaults to a public endpoint)."""
    endpoint_private: bool | None = None
    public_cidrs: tuple[str, ...] | None = None
    """None: not set (EKS allows 0.0.0.0/0); rendered, deploy-time parts as placeholders."""
    log_types: frozenset[str] = frozenset()
    """Control-plane log types that are enabled."""
    secrets_key: str | None = None
    """The KMS key of the ``secrets`` encryption config (rendered), None without one."""
    authentication_mode: str | None = None
    """None: not set (EKS defaults to CONFIG_MAP)."""
    bootstrap_admin: bool | None = None
    """BootstrapClusterCreatorAdminPermissions; None: not set (EKS defaults to true)."""
    deletion_protection: bool | None = None
    support_type: str | None = None
    """upgradePolicy.supportType (STANDARD / EXTENDED); None: not set (EXTENDED)."""
    auto_mode: bool = False
    """EKS Auto Mode (compute config enabled): EKS runs the nodes and their networking."""
    computed: frozenset[str] = field(default_factory=frozenset)
    """CloudFormation property paths whose value is computed at deploy time."""

    # ------------------------------------------------------------------ building

    @classmethod
    def from_template(cls, props: Mapping[str, Any],
                      render: Render = render_text) -> ClusterFacts:
        """Facts of an ``AWS::EKS::Cluster`` from its ``Properties``; ``render`` turns values
        into text (a :class:`~eks_blueprint.template.view.TemplateView`'s ``render``, or a
        display renderer for people)."""
        computed: set[str] = set()

        def text(path: str, value: Any) -> str | None:
            if value is None:
                return None
            rendered = render(value)
            if rendered is None or PLACEHOLDER in rendered:
                computed.add(path)
                return None
            return rendered

        def flag(path: str, value: Any) -> bool | None:
            parsed = as_bool(value)
            if value is not None and parsed is None:
                computed.add(path)
            return parsed

        vpc = props.get("ResourcesVpcConfig")
        raw_cidrs = dig(vpc, "PublicAccessCidrs")
        cidrs: tuple[str, ...] | None = None
        if raw_cidrs is not None and not isinstance(raw_cidrs, list):
            computed.add("ResourcesVpcConfig.PublicAccessCidrs")
        elif raw_cidrs is not None:
            rendered = [render(c) for c in raw_cidrs]
            cidrs = tuple(PLACEHOLDER if c is None else c for c in rendered)
        enabled = dig(props, "Logging", "ClusterLogging", "EnabledTypes")
        if enabled is not None and not isinstance(enabled, list):
            computed.add("Logging.ClusterLogging.EnabledTypes")
        types = {render(dig(entry, "Type")) for entry in as_list(enabled)
                 if isinstance(enabled, list)}
        configs = props.get("EncryptionConfig")
        if configs is not None and not isinstance(configs, list):
            computed.add("EncryptionConfig")
        key = None
        for config in as_list(configs):
            resources = dig(config, "Resources")
            arn = dig(config, "Provider", "KeyArn")
            if isinstance(resources, list) and "secrets" in resources and arn:
                key = render(arn) or PLACEHOLDER
                break
        return cls(
            name=text("Name", props.get("Name")),
            endpoint_public=flag("ResourcesVpcConfig.EndpointPublicAccess",
                                 dig(vpc, "EndpointPublicAccess")),
            endpoint_private=flag("ResourcesVpcConfig.EndpointPrivateAccess",
                                  dig(vpc, "EndpointPrivateAccess")),
            public_cidrs=cidrs,
            log_types=frozenset(t for t in types if t is not None and PLACEHOLDER not in t),
            secrets_key=key,
            authentication_mode=text("AccessConfig.AuthenticationMode",
                                     dig(props, "AccessConfig", "AuthenticationMode")),
            bootstrap_admin=flag("AccessConfig.BootstrapClusterCreatorAdminPermissions",
                                 dig(props, "AccessConfig",
                                     "BootstrapClusterCreatorAdminPermissions")),
            deletion_protection=flag("DeletionProtection", props.get("DeletionProtection")),
            support_type=text("UpgradePolicy.SupportType",
                              dig(props, "UpgradePolicy", "SupportType")),
            auto_mode=as_bool(dig(props, "ComputeConfig", "Enabled")) is True,
            computed=frozenset(computed),
        )

    @classmethod
    def from_describe(cls, cluster: Mapping[str, Any]) -> ClusterFacts:
        """Facts of a live cluster from ``DescribeCluster``'s ``cluster`` object."""
        vpc = cluster.get("resourcesVpcConfig") or {}
        enabled = {
            str(t)
            for entry in (cluster.get("logging") or {}).get("clusterLogging") or []
            if isinstance(entry, Mapping) and entry.get("enabled")
            for t in entry.get("types") or []
        }
        keys = [
            dig(e, "provider", "keyArn")
            for e in cluster.get("encryptionConfig") or []
            if "secrets" in (dig(e, "resources") or [])
        ]
        cidrs = vpc.get("publicAccessCidrs")
        public, private = vpc.get("endpointPublicAccess"), vpc.get("endpointPrivateAccess")
        mode = dig(cluster, "accessConfig", "authenticationMode")
        protection = cluster.get("deletionProtection")
        support = dig(cluster, "upgradePolicy", "supportType")
        return cls(
            name=str(cluster["name"]) if cluster.get("name") else None,
            endpoint_public=public if isinstance(public, bool) else None,
            endpoint_private=private if isinstance(private, bool) else None,
            public_cidrs=tuple(str(c) for c in cidrs) if isinstance(cidrs, list) else None,
            log_types=frozenset(enabled),
            secrets_key=str(keys[0]) if keys and keys[0] else None,
            authentication_mode=str(mode) if mode else None,
            deletion_protection=protection if isinstance(protection, bool) else None,
            support_type=str(support) if support else None,
            auto_mode=dig(cluster, "computeConfig", "enabled") is True,
        )

    # ------------------------------------------------------------------ predicates

    def is_computed(self, *paths: str) -> bool:
        """Whether any of these CloudFormation property paths is computed at deploy time."""
        return any(p in self.computed for p in paths)

    @property
    def public_endpoint_on(self) -> bool | None:
        """Whether the public endpoint is on (EKS's default when not set); None: computed."""
        if self.is_computed("ResourcesVpcConfig.EndpointPublicAccess"):
            return None
        return self.endpoint_public is not False

    def effective_public_cidrs(self) -> tuple[str, ...]:
        """The CIDRs that reach the public endpoint: () when it is off, 0.0.0.0/0 when on
        without a list (EKS's default)."""
        if self.public_endpoint_on is False:
            return ()
        return self.public_cidrs if self.public_cidrs else ("0.0.0.0/0",)

    def open_cidrs(self) -> tuple[str, ...]:
        """The listed CIDRs that are the whole internet (0.0.0.0/0, ::/0)."""
        return tuple(c for c in self.public_cidrs or () if c in OPEN_CIDRS)

    def public_endpoint_open(self) -> bool | None:
        """True when the API endpoint is reachable from the whole internet: public access on
        (or not set) with no CIDR list or one holding 0.0.0.0/0 or ::/0. False when private
        or limited to known CIDRs; None when a deploy-time value decides it."""
        public = self.public_endpoint_on
        if public is None:
            return None
        if public is False:
            return False
        if self.is_computed("ResourcesVpcConfig.PublicAccessCidrs"):
            return None
        if not self.public_cidrs or self.open_cidrs():
            return True
        if any(PLACEHOLDER in c for c in self.public_cidrs):
            return None
        return False

    def missing_log_types(self) -> tuple[str, ...] | None:
        """The baseline control-plane log types that are not enabled, in baseline order;
        None when the enabled list is computed at deploy time."""
        if self.is_computed("Logging.ClusterLogging.EnabledTypes"):
            return None
        return tuple(t for t in CONTROL_PLANE_LOG_TYPES if t not in self.log_types)

    def secrets_encrypted(self) -> bool | None:
        """Whether Kubernetes secrets are envelope-encrypted with a KMS key; None when the
        encryption config is computed at deploy time and no key was seen."""
        if self.secrets_key:
            return True
        return None if self.is_computed("EncryptionConfig") else False

    def effective_authentication_mode(self) -> str | None:
        """The authentication mode, CONFIG_MAP (EKS's default) when not set; None: computed."""
        if self.is_computed("AccessConfig.AuthenticationMode"):
            return None
        return self.authentication_mode or "CONFIG_MAP"

    def allows_access_entries(self) -> bool | None:
        """Whether access entries work (API or API_AND_CONFIG_MAP); None: computed."""
        mode = self.effective_authentication_mode()
        return None if mode is None else mode in ("API", "API_AND_CONFIG_MAP")

    def deletion_protected(self) -> bool | None:
        """Whether deletion protection is on (off when not set); None: computed."""
        if self.is_computed("DeletionProtection"):
            return None
        return self.deletion_protection is True
