"""Pure checks of add-on settings, shared by the `addons:` config model and `AddonsProps`.

Each returns the value it accepts, or raises ValueError saying what is wrong with it and
how to fix it, without saying where: the config model reports it at the file and field
(`config.base.FieldError`), the `Addons` construct as a `PropError` naming its construct
path, the prop and the bad value (`eks_blueprint.validate_names`).

cdk-free on purpose: the config models import it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .versions import ADDON_NAMES, STORAGE_ADDONS, AddonName, addon_versions

#: A Route 53 hosted zone id: `Z` and up to 31 upper-case letters or digits.
HOSTED_ZONE_ID = re.compile(r"Z[A-Z0-9]{1,31}")
#: A lower-case DNS domain of at least two labels, e.g. shop.example.com.
DOMAIN = re.compile(r"([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
#: Bounds of the CoreDNS add-on's autoScaling (its configuration schema sets minimum 2).
COREDNS_AUTOSCALING_RANGE = (2, 1000)
#: Fixed CoreDNS replicas (config `addons.coredns.replicas`).
COREDNS_REPLICAS_RANGE = (1, 100)
#: AWS Load Balancer Controller replicas (config `addons.load_balancer_controller.replicas`).
LOAD_BALANCER_CONTROLLER_REPLICAS_RANGE = (1, 10)
#: Toleration fields and their allowed values (Kubernetes core/v1 Toleration).
TOLERATION_KEYS = frozenset({"key", "operator", "value", "effect", "tolerationSeconds"})
TOLERATION_OPERATORS = ("Exists", "Equal")
TOLERATION_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def check_hosted_zone_id(value: str) -> str:
    """A Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ (not the zone's ARN or name)."""
    if not isinstance(value, str) or not HOSTED_ZONE_ID.fullmatch(value):
        raise ValueError(
            "not a Route 53 hosted zone id; expected e.g. Z0123456789ABCDEFGHIJ (the id "
            "only, without /hostedzone/)"
        )
    return value


def check_domain(value: str) -> str:
    """A lower-case DNS domain such as shop.example.com, at most 253 characters."""
    if not isinstance(value, str) or not (len(value) <= 253 and DOMAIN.fullmatch(value)):
        raise ValueError("not a lower-case DNS domain; expected e.g. shop.example.com")
    return value


def check_count(value: object, low: int, high: int, why: str = "") -> int:
    """An int from `low` to `high` (not a bool); `why` says where the bounds come from."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        reason = f" ({why})" if why else ""
        raise ValueError(f"out of range; use a whole number from {low} to {high}{reason}")
    return value


def check_coredns_autoscaling(
    low: object, high: object, *, low_name: str = "min_replicas", high_name: str = "max_replicas"
) -> tuple[int, int]:
    """(min, max) replicas of CoreDNS's own autoscaler: both 2..1000 (the add-on's
    configuration schema), min not above max. Names the bound at fault by `low_name` or
    `high_name`."""
    why = "the CoreDNS add-on's configuration schema"
    for name, value in ((low_name, low), (high_name, high)):
        try:
            check_count(value, *COREDNS_AUTOSCALING_RANGE, why)
        except ValueError as exc:
            raise ValueError(f"{name} {value!r} is {exc}") from None
    assert isinstance(low, int) and isinstance(high, int)
    if low > high:
        raise ValueError(
            f"{low_name} ({low}) > {high_name} ({high}); the lower bound must not exceed "
            "the upper bound"
        )
    return low, high


def check_toleration(toleration: Mapping[str, object]) -> Mapping[str, object]:
    """A Kubernetes toleration: known keys, operator Exists without a value or Equal with
    one, a known effect, and a key unless the operator is Exists (tolerate everything)."""
    unknown = sorted(set(toleration) - TOLERATION_KEYS)
    if unknown:
        raise ValueError(
            f"unknown keys {unknown}; a toleration has {', '.join(sorted(TOLERATION_KEYS))}"
        )
    operator = toleration.get("operator", "Equal")
    if operator not in TOLERATION_OPERATORS:
        raise ValueError(f"operator {operator!r} is not Exists or Equal")
    if operator == "Exists" and toleration.get("value") not in (None, ""):
        raise ValueError(
            "a value is set but operator is 'Exists'; use operator Equal, or remove the value"
        )
    effect = toleration.get("effect")
    if effect not in (None, "", *TOLERATION_EFFECTS):
        raise ValueError(
            f"effect {effect!r} is not one of {', '.join(TOLERATION_EFFECTS)}; omit it to "
            "tolerate every effect"
        )
    if not toleration.get("key") and operator != "Exists":
        raise ValueError("a toleration without a key needs operator Exists")
    return toleration


def check_addon_name(value: str) -> str:
    """The name of an EKS managed add-on this project installs (Helm charts have none)."""
    if value in STORAGE_ADDONS:
        raise ValueError(
            f"{value} is installed by the storage constructs, not by Addons; set its version "
            "with EfsStorageProps.addon_version / FsxLustreStorageProps.addon_version (config: "
            "storage.efs.version / storage.fsx_lustre.version)"
        )
    if value not in ADDON_NAMES:
        names = [n for n in ADDON_NAMES if n not in STORAGE_ADDONS]
        raise ValueError(
            f"not an EKS add-on this project installs; use one of {', '.join(names)} "
            "(Helm charts are pinned in eks_blueprint/addons/versions.py CHARTS)"
        )
    return value


def check_addon_version(version: str, kubernetes_version: str, addon: AddonName) -> str:
    """A version of `addon` that versions.py lists for `kubernetes_version`."""
    listed = addon_versions(kubernetes_version, addon)
    if version not in listed:
        raise ValueError(
            f"{addon} {version} is not listed for Kubernetes {kubernetes_version}; use one "
            f"of {', '.join(listed)}, or add it to eks_blueprint/addons/versions.py after "
            "checking `aws eks describe-addon-versions`"
        )
    return version
