"""The cost plan's price table (``eks_blueprint/plan/data/prices.json``) as typed data.

The table holds on-demand USD prices per Region in sections (``eks``, ``nat_gateway``,
``instances``...), each with the ``source`` it was taken from, the date ``taken`` and whether
the figures are ``confirmed`` (read from the AWS Price List or a public price page) or not
(an estimate the plan must print as such). ``scripts/refresh_prices.py`` rebuilds it from
the AWS Price List API. A price that is absent is absent: :meth:`RegionPrices.price` answers
None and the plan reports the item as unpriced, never as zero.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ...instance_types import NamedInstanceType

DATA_FILE = "prices.json"
#: The packaged table, for messages (the plan reads it through importlib.resources).
PACKAGED_PATH = "eks_blueprint/plan/data/prices.json"
REFRESH_COMMAND = "python scripts/refresh_prices.py"
#: The price keys the plan reads, per section, and what each is per.
PRICE_KEYS: Mapping[str, Mapping[str, str]] = {
    "eks": {"cluster_hour_standard": "cluster-hour", "cluster_hour_extended": "cluster-hour"},
    "nat_gateway": {"hour": "gateway-hour", "gb_processed": "GB"},
    "vpc_endpoint": {"interface_az_hour": "endpoint-AZ-hour", "gb_processed": "GB"},
    "public_ipv4": {"hour": "address-hour"},
    "fargate": {"vcpu_hour": "vCPU-hour", "gb_hour": "GB-hour"},
    "kms": {"key_month": "key-month", "requests_10k": "10,000 requests"},
    "cloudwatch_logs": {"ingestion_gb": "GB ingested", "storage_gb_month": "GB-month"},
    "guardduty": {"eks_runtime_vcpu_month": "vCPU-month", "eks_audit_million_events": "1M events"},
    "ebs": {"gp3_gb_month": "GB-month"},
    # Usage-priced storage: shown with the plan's usage-priced lines when present, never
    # counted in the totals (the template does not say how much is stored).
    "efs": {
        "standard_gb_month": "GB-month",
        "ia_gb_month": "GB-month",
        "elastic_read_gb": "GB read",
        "elastic_write_gb": "GB written",
    },
    "fsx_lustre": {
        "scratch_2_gb_month": "GB-month",
        "persistent_1_50_gb_month": "GB-month",
        "persistent_1_100_gb_month": "GB-month",
        "persistent_1_200_gb_month": "GB-month",
        "persistent_2_125_gb_month": "GB-month",
        "persistent_2_250_gb_month": "GB-month",
        "persistent_2_500_gb_month": "GB-month",
        "persistent_2_1000_gb_month": "GB-month",
    },
}
ARCHITECTURES = ("amd64", "arm64")


class PriceTableError(Exception):
    """The price table cannot be read; the message names the file, the field and the fix."""


@dataclass(frozen=True)
class Price:
    """One unit price and where it came from."""

    usd: float
    confirmed: bool
    section: str
    key: str


@dataclass(frozen=True)
class InstancePrice(NamedInstanceType):
    """One instance type's on-demand Linux price and the facts the plan sizes nodes with."""

    name: str
    usd_per_hour: float
    vcpus: int
    memory_mib: int
    arch: str
    """Kubernetes architecture: ``amd64`` or ``arm64``."""
    confirmed: bool


@dataclass(frozen=True)
class Section:
    """A section's provenance: every figure in it shares its source and date."""

    name: str
    source: str
    taken: str
    confirmed: bool
    note: str = ""
    unconfirmed: frozenset[str] = frozenset()
    """Keys not confirmed although the section is."""

    @property
    def from_price_list(self) -> bool:
        """Read from the AWS Price List API (by scripts/refresh_prices.py)."""
        return self.source.startswith("AWS Price List API")

    def describe(self) -> str:
        state = "confirmed" if self.confirmed and not self.unconfirmed else "NOT confirmed"
        if self.confirmed and self.unconfirmed:
            state = f"confirmed except {', '.join(sorted(self.unconfirmed))}"
        return f"{self.name}: {self.source} (taken {self.taken}; {state})"


@dataclass(frozen=True)
class RegionPrices:
    """The prices of one Region."""

    region: str
    sections: Mapping[str, Section]
    prices: Mapping[tuple[str, str], Price]
    instances: Mapping[str, InstancePrice] = field(default_factory=dict)

    def price(self, section: str, key: str) -> Price | None:
        return self.prices.get((section, key))

    def instance(self, name: str) -> InstancePrice | None:
        return self.instances.get(name)


@dataclass(frozen=True)
class PriceTable:
    """The whole table."""

    origin: str
    currency: str
    regions: Mapping[str, RegionPrices]

    def region(self, name: str) -> RegionPrices | None:
        return self.regions.get(name)


def _fail(origin: str, where: str, problem: str) -> PriceTableError:
    return PriceTableError(
        f"{origin}: {where}: {problem}; fix the file or rebuild it with {REFRESH_COMMAND}"
    )


def _number(origin: str, where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise _fail(origin, where, f"{value!r} is not a price (a number >= 0)")
    return float(value)


def _section(origin: str, where: str, name: str, raw: Any) -> Section:
    if not isinstance(raw, Mapping):
        raise _fail(origin, where, "is not an object")
    for key, kind in (("source", str), ("taken", str), ("confirmed", bool)):
        if not isinstance(raw.get(key), kind):
            raise _fail(origin, f"{where}.{key}", f"missing or not a {kind.__name__}")
    try:
        dt.date.fromisoformat(raw["taken"])
    except ValueError:
        raise _fail(origin, f"{where}.taken", f"{raw['taken']!r} is not an ISO date") from None
    unconfirmed = raw.get("unconfirmed", [])
    if not isinstance(unconfirmed, list) or not all(isinstance(k, str) for k in unconfirmed):
        raise _fail(origin, f"{where}.unconfirmed", "must be a list of price keys")
    note = raw.get("note", "")
    if not isinstance(note, str):
        raise _fail(origin, f"{where}.note", "must be a string")
    return Section(
        name=name,
        source=raw["source"],
        taken=raw["taken"],
        confirmed=raw["confirmed"],
        note=note,
        unconfirmed=frozenset(unconfirmed),
    )


def _instances(
    origin: str, where: str, raw: Mapping[str, Any], section: Section
) -> dict[str, InstancePrice]:
    types = raw.get("types")
    if not isinstance(types, Mapping):
        raise _fail(origin, f"{where}.types", "missing or not an object")
    out: dict[str, InstancePrice] = {}
    for name, row in types.items():
        at = f"{where}.types.{name}"
        if not isinstance(row, Mapping):
            raise _fail(origin, at, "is not an object")
        if "." not in name:
            raise _fail(origin, at, "is not an instance type name like m7g.xlarge")
        vcpus, memory = row.get("vcpus"), row.get("memory_mib")
        if not isinstance(vcpus, int) or isinstance(vcpus, bool) or vcpus < 1:
            raise _fail(origin, f"{at}.vcpus", f"{vcpus!r} is not a positive integer")
        if not isinstance(memory, int) or isinstance(memory, bool) or memory < 1:
            raise _fail(origin, f"{at}.memory_mib", f"{memory!r} is not a positive integer")
        if row.get("arch") not in ARCHITECTURES:
            raise _fail(origin, f"{at}.arch", f"{row.get('arch')!r} is not one of {ARCHITECTURES}")
        confirmed = row.get("confirmed", section.confirmed)
        if not isinstance(confirmed, bool):
            raise _fail(origin, f"{at}.confirmed", "must be true or false")
        out[name] = InstancePrice(
            name=name,
            usd_per_hour=_number(origin, f"{at}.usd_per_hour", row.get("usd_per_hour")),
            vcpus=vcpus,
            memory_mib=memory,
            arch=str(row["arch"]),
            confirmed=confirmed and section.confirmed,
        )
    return out


def parse_price_table(raw: Any, origin: str = PACKAGED_PATH) -> PriceTable:
    """Validate a loaded table; raise PriceTableError naming the field and the fix."""
    if not isinstance(raw, Mapping):
        raise _fail(origin, "top level", "is not an object")
    currency = raw.get("currency")
    if currency != "USD":
        raise _fail(origin, "currency", f"{currency!r}: the plan prices in USD only")
    regions_raw = raw.get("regions")
    if not isinstance(regions_raw, Mapping) or not regions_raw:
        raise _fail(origin, "regions", "missing or empty")
    regions: dict[str, RegionPrices] = {}
    for region, sections_raw in regions_raw.items():
        if not isinstance(sections_raw, Mapping):
            raise _fail(origin, f"regions.{region}", "is not an object")
        sections: dict[str, Section] = {}
        prices: dict[tuple[str, str], Price] = {}
        instances: dict[str, InstancePrice] = {}
        for name, body in sections_raw.items():
            where = f"regions.{region}.{name}"
            section = _section(origin, where, name, body)
            sections[name] = section
            if name == "instances":
                instances = _instances(origin, where, body, section)
                continue
            if name not in PRICE_KEYS:
                raise _fail(
                    origin, where, f"unknown section; known: instances, {', '.join(PRICE_KEYS)}"
                )
            body_prices = body.get("prices")
            if not isinstance(body_prices, Mapping):
                raise _fail(origin, f"{where}.prices", "missing or not an object")
            for key, value in body_prices.items():
                if key not in PRICE_KEYS[name]:
                    raise _fail(
                        origin,
                        f"{where}.prices.{key}",
                        f"unknown price; {name} has {', '.join(PRICE_KEYS[name])}",
                    )
                prices[(name, key)] = Price(
                    usd=_number(origin, f"{where}.prices.{key}", value),
                    confirmed=section.confirmed and key not in section.unconfirmed,
                    section=name,
                    key=key,
                )
        regions[str(region)] = RegionPrices(
            region=str(region), sections=sections, prices=prices, instances=instances
        )
    return PriceTable(origin=origin, currency="USD", regions=regions)


def load_price_table(path: str | Path | None = None) -> PriceTable:
    """The table at `path`, or the packaged one (read once)."""
    if path is None:
        return _packaged()
    origin = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PriceTableError(f"{origin}: cannot read the price table ({exc.strerror})") from None
    return _parse_text(text, origin)


def _parse_text(text: str, origin: str) -> PriceTable:
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise _fail(origin, "file", f"not JSON ({exc})") from None
    return parse_price_table(raw, origin)


@cache
def _packaged() -> PriceTable:
    package = __package__.rpartition(".")[0]  # eks_blueprint.plan
    text = resources.files(package).joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    return _parse_text(text, PACKAGED_PATH)
