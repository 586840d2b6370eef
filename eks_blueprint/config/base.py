"""Shared building blocks of the configuration models.

Every model is frozen and rejects unknown keys, so a typo in a YAML key is an error that
names the key instead of a setting that silently does nothing.

Every pattern here is applied with `fullmatch`: `re.match` with `$` also accepts a final
newline ("prod\\n"), which AWS, CloudFormation or Kubernetes then refuse at deploy time.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict

from .. import validate_names
from ..defaults import RETENTION_PERIODS
from ..validate_names import MIN_REASON, check_cidr, check_kubernetes_group, check_principal_arn
from ..validate_names import first_duplicate as first_duplicate

#: Retention periods CloudWatch Logs accepts (AWS::Logs::LogGroup RetentionInDays).
LOG_RETENTION_DAYS: tuple[int, ...] = tuple(RETENTION_PERIODS)

#: The only partition this project supports: its IAM policies name commercial service
#: principals, so every ARN in a config starts with `arn:aws:`.
PARTITION = "aws"

#: Region prefixes of the partitions other than `aws`.
OTHER_PARTITIONS: dict[str, str] = {
    "cn-": "aws-cn (China)",
    "us-gov-": "aws-us-gov (GovCloud)",
    "us-iso-": "aws-iso",
    "us-isob-": "aws-iso-b",
    "eu-isoe-": "aws-iso-e",
    "us-isof-": "aws-iso-f",
    "eusc-": "aws-eusc (European Sovereign Cloud)",
}
REGION = validate_names.REGION

#: Private ranges a VPC may use: RFC 1918 and the shared address space RFC 6598, which AWS
#: recommends (and EKS custom networking uses). Public ranges are refused: AWS allows them,
#: but the VPC would then shadow those internet addresses for everything inside it.
VPC_RANGES: tuple[ipaddress.IPv4Network, ...] = tuple(
    ipaddress.IPv4Network(c)
    for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)
#: Ranges that never appear as a source address on the internet, so a public endpoint
#: allow-list entry inside them can match no one (EKS refuses private ones outright).
NOT_ON_THE_INTERNET: tuple[tuple[ipaddress.IPv4Network, str], ...] = tuple(
    (ipaddress.IPv4Network(c), kind)
    for c, kind in (
        ("0.0.0.0/8", "'this network' (RFC 791)"),
        ("10.0.0.0/8", "private (RFC 1918)"),
        ("100.64.0.0/10", "shared address space (RFC 6598)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private (RFC 1918)"),
        ("192.168.0.0/16", "private (RFC 1918)"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
    )
)

#: Kubernetes: the name part of a qualified name (label keys, taint keys), a label value.
K8S_QUALIFIED_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
#: Kubernetes: a DNS-1123 subdomain (the optional prefix of a qualified name).
K8S_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")

#: Characters IAM and EKS allow in tag keys and values besides letters, digits and spaces.
TAG_PUNCTUATION = frozenset("_.:/=+-@")


class StrictModel(BaseModel):
    """Base of every config model: immutable, no unknown keys, no silent coercion."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, use_attribute_docstrings=True
    )


class FieldError(ValueError):
    """A model rule about one of its fields (or a field below it), reported at that field.

    Raised from a model validator, pydantic locates the error at the model; the loader
    appends `field` to that location, so the user reads
    `tenants[0].container_defaults.memory_limit: ...` instead of the parent's path.
    """

    def __init__(self, field: str | Sequence[str | int], message: str) -> None:
        self.field: tuple[str | int, ...] = (
            field_path(field) if isinstance(field, str) else tuple(field)
        )
        self.message = message
        super().__init__(f"{format_path(self.field)}: {message}")


def field_path(dotted: str) -> tuple[str | int, ...]:
    """`node_pools[0].zones` -> ("node_pools", 0, "zones")."""
    return tuple(
        int(token[1:-1]) if token.startswith("[") else token
        for token in re.findall(r"\[\d+\]|[^.\[\]]+", dotted)
    )


def format_path(parts: Sequence[str | int]) -> str:
    """("node_pools", 0, "zones") -> `node_pools[0].zones`; odd keys in brackets, shortened."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif len(part) <= 60 and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            out += f".{part}" if out else part
        else:
            out += f"[{short(part)}]"
    return out


def short(value: Any, limit: int = 60) -> str:
    """`repr(value)`, cut to about `limit` characters with an ellipsis: a 10,000-character
    value in a config must not become a 10,000-character error line."""
    try:
        text = repr(value)
    except ValueError:  # an int beyond Python's digit limit for str()
        return "a number with thousands of digits"
    if len(text) <= limit:
        return text
    if isinstance(value, str):  # keep the closing quote: 'xxxx...'
        return text[: limit - 4] + "..." + text[0]
    return text[: limit - 3] + "..."


def clip(text: str, limit: int = 60) -> str:
    """`text` itself (no quotes), cut to about `limit` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def odd_characters(value: str) -> list[str]:
    """Control, format (e.g. bidirectional overrides) and other invisible characters in
    `value`, as `U+XXXX` names; empty when the text is printable (spaces allowed)."""
    found: list[str] = []
    for char in value:
        if char != " " and not char.isprintable() and f"U+{ord(char):04X}" not in found:
            found.append(f"U+{ord(char):04X}")
    return found


def _check_vpc_cidr(value: str) -> str:
    network = ipaddress.IPv4Network(check_cidr(value))
    if not 16 <= network.prefixlen <= 28:
        raise ValueError(
            f"a VPC CIDR is /16 to /28 (AWS's limits), not /{network.prefixlen}; e.g. 10.20.0.0/16"
        )
    if not any(network.subnet_of(allowed) for allowed in VPC_RANGES):
        raise ValueError(
            "a VPC CIDR must lie in a private range: 10.0.0.0/8, 172.16.0.0/12, "
            "192.168.0.0/16 (RFC 1918) or 100.64.0.0/10 (RFC 6598); a public range would "
            "hide those internet addresses from everything in the VPC"
        )
    return value


def _check_public_cidr(value: str) -> str:
    network = ipaddress.IPv4Network(check_cidr(value))
    if network.prefixlen == 0:  # the whole internet: allowed only by an explicit opt-in
        return value
    for special, kind in NOT_ON_THE_INTERNET:
        if network.subnet_of(special):
            raise ValueError(
                f"{value} is {kind} ({special}), never a source address on the internet, "
                "so it cannot reach a public endpoint (EKS refuses private CIDRs here); "
                "list your public egress ranges, e.g. 203.0.113.0/24"
            )
    return value


def _check_retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in LOG_RETENTION_DAYS)
        raise ValueError(f"CloudWatch Logs does not accept {value} days; use one of {allowed}")
    return value


#: An AWS account id: exactly 12 digits.
ACCOUNT_ID = re.compile(r"\d{12}")


def check_account(value: str) -> str:
    """An AWS account id (quoted in YAML, so its leading zeros survive)."""
    if not ACCOUNT_ID.fullmatch(value):
        raise ValueError('an AWS account id is exactly 12 digits, quoted: "111122223333"')
    return value


def check_region(value: str) -> str:
    """A region name of the commercial partition, e.g. eu-west-1."""
    if not REGION.fullmatch(value):
        raise ValueError("not an AWS region name; expected e.g. eu-west-1")
    partition = partition_of(value)
    if partition != PARTITION:
        raise ValueError(
            f"{value} is in partition {partition}; eks_blueprint supports the commercial "
            "partition (aws) only: its IAM policies and ARNs name commercial service "
            "principals, so use a region such as eu-west-1"
        )
    return value


def partition_of(region: str) -> str:
    """The partition of a region name (`aws` for the commercial regions)."""
    for prefix, partition in OTHER_PARTITIONS.items():
        if region.startswith(prefix):
            return partition
    return "aws-iso (isolated)" if "-iso" in region else PARTITION


def check_label_key(key: str) -> str:
    """A Kubernetes label or taint key: `[prefix/]name`, prefix a DNS subdomain <= 253,
    name <= 63 characters of letters, digits, '-', '_', '.'."""
    prefix, slash, name = key.partition("/")
    if not slash:
        prefix, name = "", key
    if "/" in name:
        raise ValueError("a Kubernetes label or taint key has at most one '/' (prefix/name)")
    if slash and not (len(prefix) <= 253 and K8S_DNS_SUBDOMAIN.fullmatch(prefix)):
        raise ValueError(
            "the prefix of a Kubernetes key is a lower-case DNS subdomain of at most 253 "
            "characters, e.g. example.com/team"
        )
    if not (len(name) <= 63 and K8S_QUALIFIED_NAME.fullmatch(name)):
        raise ValueError(
            "not a Kubernetes label or taint key: 1-63 letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit, optionally after a prefix/ "
            "(e.g. team or example.com/team)"
        )
    return key


def check_label_value(value: str) -> str:
    """A Kubernetes label or taint value: empty, or <= 63 letters, digits, '-', '_', '.',
    starting and ending with a letter or digit."""
    if value and not (len(value) <= 63 and K8S_QUALIFIED_NAME.fullmatch(value)):
        raise ValueError(
            "not a Kubernetes label or taint value: at most 63 letters, digits, '-', '_' or "
            "'.', starting and ending with a letter or digit (or empty)"
        )
    return value


def _tag_problem(text: str) -> str | None:
    bad = sorted(
        {
            c
            for c in text
            if c not in TAG_PUNCTUATION and unicodedata.category(c)[0] not in ("L", "N", "Z")
        }
    )
    if not bad:
        return None
    shown = ", ".join(repr(c) if c.isprintable() else f"U+{ord(c):04X}" for c in bad[:5])
    return (
        f"contains {shown}; IAM and EKS allow only letters, digits, spaces and _ . : / = + - @ "
        "in tags"
    )


def _check_tag_key(key: str) -> str:
    if not 1 <= len(key) <= 128:
        raise ValueError(f"tag keys are 1-128 characters; this one has {len(key)}")
    if key.lower().startswith("aws:"):
        raise ValueError("tag keys starting with aws: are reserved for AWS; choose another key")
    problem = _tag_problem(key)
    if problem:
        raise ValueError(f"tag key {problem}")
    return key


def _check_tag_value(value: str) -> str:
    if len(value) > 256:
        raise ValueError(f"tag values are at most 256 characters; this one has {len(value)}")
    problem = _tag_problem(value)
    if problem:
        raise ValueError(f"tag value {problem}")
    return value


def check_reason(value: str | None, what: str, minimum: int = MIN_REASON) -> str | None:
    """A free-text reason a reviewer reads: long enough to say something, and printable.
    The shared check's problem, prefixed with the field (`what`)."""
    if value is None:
        return None
    try:
        validate_names.check_reason(value, minimum)
    except ValueError as exc:
        raise ValueError(f"{what} {exc}") from None
    return value


Cidr = Annotated[str, AfterValidator(check_cidr)]
#: The IPv4 CIDR of a VPC: /16 to /28, inside a private range.
VpcCidr = Annotated[str, AfterValidator(_check_vpc_cidr)]
#: An internet source range for a public endpoint: not private, loopback, link-local, ...
PublicCidr = Annotated[str, AfterValidator(_check_public_cidr)]
RetentionDays = Annotated[int, AfterValidator(_check_retention)]
PrincipalArn = Annotated[str, AfterValidator(check_principal_arn)]
#: A Kubernetes label (or taint, toleration) key and value.
LabelKey = Annotated[str, AfterValidator(check_label_key)]
LabelValue = Annotated[str, AfterValidator(check_label_value)]
#: An AWS tag key and value, as IAM and EKS accept them (the strictest services tagged).
TagKey = Annotated[str, AfterValidator(_check_tag_key)]
TagValue = Annotated[str, AfterValidator(_check_tag_value)]
#: A Kubernetes group of an access entry.
KubernetesGroup = Annotated[str, AfterValidator(check_kubernetes_group)]

