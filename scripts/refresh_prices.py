"""Rebuild ``eks_blueprint/plan/data/prices.json``, the price table of ``plan cost``
(:mod:`eks_blueprint.plan.cost`), from the AWS Price List API.

For each ``--region`` it asks the Price List (boto3 ``pricing`` client, ``GetProducts``,
paginated) for the on-demand USD prices the cost plan uses:

* EC2 instances (offer ``AmazonEC2``: Linux, shared tenancy, no pre-installed software,
  capacity status ``Used``), one query per ``--instance-types`` entry, with the product's
  ``vcpu``, ``memory`` and processor (arm64 for Graviton, amd64 otherwise);
* the EKS control plane per cluster-hour in standard and extended support (``AmazonEKS``);
* NAT gateway hours and GB processed (``AmazonEC2``, product family ``NAT Gateway``);
* interface VPC endpoint hours per AZ and GB processed, public IPv4 address hours
  (``AmazonVPC``);
* Fargate per vCPU-hour and GB-hour, Linux/x86 (``AmazonECS``, which prices EKS pods too);
* KMS keys per month and requests per 10,000 (``awskms``);
* CloudWatch Logs ingestion per GB and storage per GB-month (``AmazonCloudWatch``);
* GuardDuty EKS Runtime Monitoring per vCPU-month and EKS audit logs per million events,
  first tier (``AmazonGuardDuty``);
* EBS gp3 storage per GB-month (``AmazonEC2``).

A price is the ``USD`` of ``terms.OnDemand.*.priceDimensions.*.pricePerUnit`` of the one
product whose ``usagetype`` is the wanted usage type, with or without the Region's prefix
(``EU-NatGateway-Hours``); of a tiered price, the tier that begins at 0. The usage types of
GuardDuty, the EKS extended-support rate and CloudWatch Logs were taken from public
documentation and third-party tools, not from a live response (this machine has no AWS
account): a price the Price List does not answer is reported, and the previous table's
figure is kept with ``"confirmed": false`` and a note, never dropped silently.

Usage (from the repository root, with AWS credentials; the Price List API endpoint is in
us-east-1, ap-south-1 or eu-central-1)::

    python scripts/refresh_prices.py --region eu-west-1 --region us-east-1
    python scripts/refresh_prices.py --region eu-west-1 --add-instance-types m7g.4xlarge

``--region`` defaults to the Regions already in the table (the others are kept as they
are); the instance types are the ones already in the table plus ``--add-instance-types``,
or exactly ``--instance-types``. ``--taken`` is the ISO date
recorded (default: today, UTC); ``--output`` defaults to the packaged table, ``-`` prints
it. The output is deterministic: keys sorted, one instance type per line, so a refresh
shows in review as the rows that changed.

Exit codes: 0 written, every price found; 1 the API could not be called (credentials,
endpoint) or an answer could not be parsed; 3 written, but some prices were not found (they
are listed, and kept unconfirmed from the previous table where it had them).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "eks_blueprint" / "plan" / "data" / "prices.json"
#: Regions that serve the Price List Query API.
PRICING_ENDPOINT_REGIONS = ("us-east-1", "ap-south-1", "eu-central-1")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_GAPS = 3

TABLE_NOTE = (
    "On-demand USD prices read by `python -m eks_blueprint.plan cost`. Every section names "
    "its source and the date it was taken; `confirmed: false` marks figures not read from "
    "the AWS Price List or a public price page, which the plan prints as unconfirmed. "
    "Rebuild with scripts/refresh_prices.py."
)


class PriceListError(Exception):
    """The Price List answered something this script cannot use; the message says what."""


@dataclass(frozen=True)
class PriceSpec:
    """One price of the table: where it is in the Price List and how it is scaled."""

    section: str
    key: str
    usage_types: tuple[str, ...]
    """Accepted usage types without the Region prefix; the first one found wins."""
    scale: float = 1.0
    """Multiplies the per-unit price (per request -> per 10,000 requests)."""


@dataclass(frozen=True)
class Query:
    """One GetProducts query per Region and the prices read from its products."""

    service_code: str
    filters: tuple[tuple[str, str], ...]
    specs: tuple[PriceSpec, ...]
    source: str = field(default="")

    def describe(self) -> str:
        return self.source or f"offer {self.service_code}"


#: Every non-instance price, grouped by the query that finds it.
QUERIES: tuple[Query, ...] = (
    Query(
        "AmazonEKS",
        (),
        (
            PriceSpec("eks", "cluster_hour_standard", ("AmazonEKS-Hours:perCluster",)),
            PriceSpec(
                "eks",
                "cluster_hour_extended",
                ("AmazonEKS-Hours:perClusterExtended", "AmazonEKS-Hours:extendedSupport"),
            ),
        ),
    ),
    Query(
        "AmazonEC2",
        (("productFamily", "NAT Gateway"),),
        (
            PriceSpec("nat_gateway", "hour", ("NatGateway-Hours",)),
            PriceSpec("nat_gateway", "gb_processed", ("NatGateway-Bytes",)),
        ),
    ),
    Query(
        "AmazonVPC",
        (("productFamily", "VpcEndpoint"),),
        (
            PriceSpec("vpc_endpoint", "interface_az_hour", ("VpcEndpoint-Hours",)),
            PriceSpec("vpc_endpoint", "gb_processed", ("VpcEndpoint-Bytes",)),
        ),
    ),
    Query(
        "AmazonVPC",
        (),
        (PriceSpec("public_ipv4", "hour", ("PublicIPv4:InUseAddress",)),),
    ),
    Query(
        "AmazonECS",
        (),
        (
            PriceSpec("fargate", "vcpu_hour", ("Fargate-vCPU-Hours:perCPU",)),
            PriceSpec("fargate", "gb_hour", ("Fargate-GB-Hours",)),
        ),
    ),
    Query(
        "awskms",
        (),
        (
            PriceSpec("kms", "key_month", ("KMS-Keys",)),
            PriceSpec("kms", "requests_10k", ("KMS-Requests",), scale=10_000),
        ),
    ),
    Query(
        "AmazonCloudWatch",
        (),
        (
            PriceSpec("cloudwatch_logs", "ingestion_gb", ("DataProcessing-Bytes",)),
            PriceSpec("cloudwatch_logs", "storage_gb_month", ("TimedStorage-ByteHrs",)),
        ),
    ),
    Query(
        "AmazonGuardDuty",
        (),
        (
            PriceSpec(
                "guardduty",
                "eks_runtime_vcpu_month",
                ("PaidEKSRuntimeMonitoringvCPUs", "EKSRuntimeMonitoring-vCPU"),
            ),
            PriceSpec(
                "guardduty",
                "eks_audit_million_events",
                ("PaidEKSAuditLogsAnalyzed", "EKSAuditLogs-Events"),
                scale=1_000_000,
            ),
        ),
    ),
    Query(
        "AmazonEC2",
        (("productFamily", "Storage"), ("volumeApiName", "gp3")),
        (PriceSpec("ebs", "gp3_gb_month", ("EBS:VolumeUsage.gp3",)),),
    ),
)

#: The instance query's fixed filters (the instance type and Region are added).
INSTANCE_FILTERS: tuple[tuple[str, str], ...] = (
    ("operatingSystem", "Linux"),
    ("tenancy", "Shared"),
    ("preInstalledSw", "NA"),
    ("capacitystatus", "Used"),
    ("licenseModel", "No License required"),
)


# -- the table's text ------------------------------------------------------------------------


def render(table: Mapping[str, Any]) -> str:
    """The table as deterministic JSON: keys sorted, two-space indent, and each instance
    type of a ``types`` map on one line (a refresh diffs as the rows that changed)."""
    return _render(table, 0, in_types=False) + "\n"


def _render(value: Any, level: int, *, in_types: bool) -> str:
    pad = "  " * (level + 1)
    if isinstance(value, Mapping) and value:
        items = []
        for key in sorted(value):
            child = value[key]
            if in_types:
                text = json.dumps(child, sort_keys=True, separators=(", ", ": "))
            else:
                text = _render(child, level + 1, in_types=key == "types")
            items.append(f"{pad}{json.dumps(key)}: {text}")
        return "{\n" + ",\n".join(items) + "\n" + "  " * level + "}"
    return json.dumps(value, sort_keys=True)


# -- reading Price List answers ----------------------------------------------------------------


def usage_type_matches(usage_type: str, wanted: str) -> bool:
    """``usage_type`` is ``wanted``, alone or after one Region prefix (``EU-``, ``USE1-``);
    ``EU-SpotUsage-Fargate-...`` is not ``Fargate-...``."""
    if usage_type == wanted:
        return True
    if not usage_type.endswith("-" + wanted):
        return False
    prefix = usage_type[: -len(wanted) - 1]
    return bool(prefix) and "-" not in prefix


def on_demand_usd(product: Mapping[str, Any]) -> float:
    """The on-demand USD price per unit of a Price List product: of a tiered price, the tier
    that begins at 0. Raises PriceListError when there is none or it is ambiguous."""
    sku = product.get("product", {}).get("sku", "?")
    terms = product.get("terms", {}).get("OnDemand") or {}
    prices: list[tuple[float, float]] = []
    for term in terms.values():
        for dimension in (term.get("priceDimensions") or {}).values():
            usd = (dimension.get("pricePerUnit") or {}).get("USD")
            if usd is None:
                continue
            try:
                begin = float(dimension.get("beginRange", "0"))
                prices.append((begin, float(usd)))
            except ValueError:
                raise PriceListError(
                    f"product {sku}: price {usd!r} or range "
                    f"{dimension.get('beginRange')!r} is not a number"
                ) from None
    if not prices:
        raise PriceListError(f"product {sku}: no on-demand USD price")
    first = min(begin for begin, _ in prices)
    at_first = sorted({usd for begin, usd in prices if begin == first})
    if len(at_first) != 1:
        raise PriceListError(f"product {sku}: {len(at_first)} different first-tier prices")
    return at_first[0]


def _products(
    client: Any, service_code: str, filters: Iterable[tuple[str, str]]
) -> Iterator[dict[str, Any]]:
    """Every product of a GetProducts query, all pages, each PriceList entry parsed."""
    paginator = client.get_paginator("get_products")
    pages = paginator.paginate(
        ServiceCode=service_code,
        Filters=[{"Type": "TERM_MATCH", "Field": f, "Value": v} for f, v in filters],
        FormatVersion="aws_v1",
    )
    for page in pages:
        for entry in page.get("PriceList", []):
            try:
                product = json.loads(entry) if isinstance(entry, str) else entry
            except ValueError as exc:
                raise PriceListError(
                    f"{service_code}: a PriceList entry is not JSON: {exc}"
                ) from None
            if not isinstance(product, dict):
                raise PriceListError(f"{service_code}: a PriceList entry is not an object")
            yield product


def _memory_mib(text: str, instance_type: str) -> int:
    match = re.fullmatch(r"([\d,.]+)\s*GiB", text.strip())
    if match is None:
        raise PriceListError(f"{instance_type}: memory {text!r} is not '<n> GiB'")
    return round(float(match.group(1).replace(",", "")) * 1024)


def _architecture(attributes: Mapping[str, Any]) -> str:
    processor = (
        f"{attributes.get('physicalProcessor', '')} {attributes.get('processorArchitecture', '')}"
    )
    return "arm64" if re.search(r"graviton|arm", processor, re.I) else "amd64"


def instance_row(client: Any, region: str, instance_type: str) -> dict[str, Any] | None:
    """The table row of one instance type in `region`, None when the Price List has none."""
    filters = (("instanceType", instance_type), ("regionCode", region), *INSTANCE_FILTERS)
    rows = []
    for product in _products(client, "AmazonEC2", filters):
        attributes = product.get("product", {}).get("attributes", {})
        if attributes.get("instanceType") != instance_type:
            continue
        try:
            vcpus = int(attributes["vcpu"])
        except (KeyError, ValueError):
            raise PriceListError(f"{instance_type}: vcpu {attributes.get('vcpu')!r}") from None
        rows.append(
            {
                "arch": _architecture(attributes),
                "memory_mib": _memory_mib(str(attributes.get("memory", "")), instance_type),
                "usd_per_hour": on_demand_usd(product),
                "vcpus": vcpus,
            }
        )
    unique = {json.dumps(row, sort_keys=True) for row in rows}
    if len(unique) > 1:
        raise PriceListError(
            f"{instance_type} in {region}: {len(unique)} different on-demand Linux products; "
            "tighten the filters"
        )
    return rows[0] if rows else None


def query_prices(client: Any, region: str, query: Query) -> dict[tuple[str, str], float]:
    """(section, key) -> price for every spec of `query` the Price List answers."""
    found: dict[tuple[str, str], float] = {}
    by_usage: dict[str, list[float]] = {}
    for product in _products(client, query.service_code, (*query.filters, ("regionCode", region))):
        usage_type = str(product.get("product", {}).get("attributes", {}).get("usagetype", ""))
        for spec in query.specs:
            for wanted in spec.usage_types:
                if usage_type_matches(usage_type, wanted):
                    by_usage.setdefault(wanted, []).append(on_demand_usd(product))
    for spec in query.specs:
        for wanted in spec.usage_types:
            prices = sorted(set(by_usage.get(wanted, [])))
            if len(prices) > 1:
                raise PriceListError(
                    f"{query.service_code} {wanted} in {region}: {len(prices)} different "
                    f"prices {prices}; the usage type is ambiguous"
                )
            if prices:
                found[(spec.section, spec.key)] = round(prices[0] * spec.scale, 10)
                break
    return found


# -- building the table ----------------------------------------------------------------------


@dataclass
class Refresh:
    """The rebuilt table and what could not be found."""

    table: dict[str, Any]
    gaps: list[str] = field(default_factory=list)


def _section(source: str, taken: str) -> dict[str, Any]:
    return {"confirmed": True, "prices": {}, "source": source, "taken": taken}


def refresh(
    client: Any,
    regions: Sequence[str],
    instance_types: Sequence[str],
    previous: Mapping[str, Any] | None,
    taken: str,
    endpoint: str = "us-east-1",
) -> Refresh:
    """Rebuild the table for `regions` from the Price List (`client`: a boto3 ``pricing``
    client). Prices not found are kept from `previous` with ``confirmed: false``."""
    old_regions: Mapping[str, Any] = (previous or {}).get("regions", {})
    out: dict[str, Any] = dict(old_regions)  # Regions not refreshed stay as they were
    gaps: list[str] = []
    via = f"AWS Price List API (GetProducts, endpoint {endpoint})"
    for region in sorted(set(regions)):
        old = old_regions.get(region, {})
        sections: dict[str, Any] = {}
        instances = _section(
            f"{via}, offer AmazonEC2: Linux, shared tenancy, no pre-installed software, "
            "on-demand; vCPUs, memory and processor from the same products",
            taken,
        )
        instances["types"] = instances.pop("prices")
        for name in sorted(set(instance_types)):
            row = instance_row(client, region, name)
            if row is None:
                gaps.append(f"{region}: instance type {name}")
                kept = old.get("instances", {}).get("types", {}).get(name)
                if kept is not None:
                    instances["types"][name] = {**kept, "confirmed": False}
                continue
            instances["types"][name] = row
        sections["instances"] = instances
        for query in QUERIES:
            found = query_prices(client, region, query)
            for spec in query.specs:
                section = sections.setdefault(
                    spec.section, _section(f"{via}, offer {query.service_code}", taken)
                )
                value = found.get((spec.section, spec.key))
                if value is not None:
                    section["prices"][spec.key] = value
                    continue
                gaps.append(
                    f"{region}: {spec.section}.{spec.key} ({' or '.join(spec.usage_types)})"
                )
                old_section = old.get(spec.section, {})
                kept_value = old_section.get("prices", {}).get(spec.key)
                if kept_value is None:
                    continue
                section["prices"][spec.key] = kept_value
                section["confirmed"] = False
                section["note"] = (
                    f"{spec.key} was not found in the Price List on {taken}; kept from the "
                    f"previous table ({old_section.get('source', 'unknown source')}, taken "
                    f"{old_section.get('taken', '?')})"
                )
        out[region] = sections
    table = {
        "_comment": TABLE_NOTE,
        "currency": "USD",
        "regions": out,
    }
    return Refresh(table=table, gaps=gaps)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python scripts/refresh_prices.py",
        description="Rebuild the cost plan's price table from the AWS Price List API.",
    )
    parser.add_argument(
        "--region",
        action="append",
        default=[],
        help="Region to price (repeat; default: the Regions in the table)",
    )
    parser.add_argument(
        "--instance-types",
        nargs="+",
        default=[],
        help="exactly these instance types (default: the ones in the table)",
    )
    parser.add_argument(
        "--add-instance-types",
        nargs="+",
        default=[],
        help="instance types to price besides the ones in the table",
    )
    parser.add_argument(
        "--endpoint-region",
        default="us-east-1",
        choices=PRICING_ENDPOINT_REGIONS,
        help="where the Price List API is called (default: us-east-1)",
    )
    parser.add_argument("--taken", help="ISO date to record (default: today, UTC)")
    parser.add_argument(
        "--output", default=str(DEFAULT_OUTPUT), help="where to write the table ('-' prints it)"
    )
    return parser


def _existing(path: Path) -> dict[str, Any] | None:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError as exc:
        raise PriceListError(f"{path}: not JSON ({exc}); fix or delete it first") from None
    return loaded if isinstance(loaded, dict) else None


def main(argv: Sequence[str] | None = None, client: Any = None) -> int:
    """Refresh the table; `client` replaces the boto3 pricing client (tests)."""
    args = _parser().parse_args(argv)
    taken = args.taken or dt.datetime.now(dt.UTC).date().isoformat()
    try:
        dt.date.fromisoformat(taken)
    except ValueError:
        print(f"refresh_prices: --taken {taken!r} is not an ISO date (2026-11-30)", file=sys.stderr)
        return EXIT_ERROR
    output = Path(args.output)
    try:
        previous = _existing(DEFAULT_OUTPUT if args.output == "-" else output)
    except PriceListError as exc:
        print(f"refresh_prices: {exc}", file=sys.stderr)
        return EXIT_ERROR
    old_regions: Mapping[str, Any] = (previous or {}).get("regions", {})
    regions = args.region or sorted(old_regions)
    if not regions:
        print("refresh_prices: no --region given and the table has none", file=sys.stderr)
        return EXIT_ERROR
    types = set(args.instance_types) | set(args.add_instance_types)
    if not args.instance_types:
        for region in old_regions.values():
            types |= set(region.get("instances", {}).get("types", {}))
    if client is None:
        try:
            import boto3  # the `tools` extra; only this script needs it
        except ImportError:
            print(
                "refresh_prices: boto3 is missing; pip install 'eks-blueprint[tools]'",
                file=sys.stderr,
            )
            return EXIT_ERROR
        client = boto3.client("pricing", region_name=args.endpoint_region)
    try:
        result = refresh(client, regions, sorted(types), previous, taken, args.endpoint_region)
    except PriceListError as exc:
        print(f"refresh_prices: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # botocore's errors: credentials, endpoint, throttling
        print(f"refresh_prices: the Price List API call failed: {exc}", file=sys.stderr)
        return EXIT_ERROR
    text = render(result.table)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        print(
            f"refresh_prices: wrote {output} ({', '.join(sorted(set(regions)))}, "
            f"{len(types)} instance types, taken {taken})"
        )
    for gap in result.gaps:
        print(f"refresh_prices: not found in the Price List: {gap}", file=sys.stderr)
    return EXIT_GAPS if result.gaps else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
