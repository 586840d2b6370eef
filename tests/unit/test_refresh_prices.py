"""scripts/refresh_prices.py: the cost plan's price table rebuilt from AWS Price List
answers (botocore Stubber, answers shaped like GetProducts responses), with the exact prices
written, paging followed, and prices the Price List lacks kept unconfirmed, never dropped."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from eks_blueprint.plan.cost import parse_price_table

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "eks_blueprint" / "plan" / "data" / "prices.json"


def _load_script() -> Any:
    spec = importlib.util.spec_from_file_location(
        "refresh_prices", ROOT / "scripts" / "refresh_prices.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["refresh_prices"] = module
    spec.loader.exec_module(module)
    return module


refresh = _load_script()


def _product(
    sku: str, attributes: dict[str, str], usd: str, unit: str = "Hrs", service: str = "AmazonEC2"
) -> str:
    """One PriceList entry as GetProducts returns it: a JSON string."""
    term = f"{sku}.JRTCKXETXF"
    return json.dumps(
        {
            "product": {
                "productFamily": attributes.pop("productFamily", "Compute Instance"),
                "attributes": attributes,
                "sku": sku,
            },
            "serviceCode": service,
            "terms": {
                "OnDemand": {
                    term: {
                        "priceDimensions": {
                            f"{term}.6YS6EN2CT7": {
                                "unit": unit,
                                "endRange": "Inf",
                                "beginRange": "0",
                                "appliesTo": [],
                                "description": f"{usd} per {unit}",
                                "rateCode": f"{term}.6YS6EN2CT7",
                                "pricePerUnit": {"USD": usd},
                            }
                        },
                        "sku": sku,
                        "effectiveDate": "2026-11-01T00:00:00Z",
                        "offerTermCode": "JRTCKXETXF",
                        "termAttributes": {},
                    }
                }
            },
            "version": "20261101000000",
            "publicationDate": "2026-11-01T00:00:00Z",
        }
    )


def _filters(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"Type": "TERM_MATCH", "Field": f, "Value": v} for f, v in pairs]


M7G = _product(
    "M7GXL",
    {
        "instanceType": "m7g.xlarge",
        "vcpu": "4",
        "memory": "16 GiB",
        "physicalProcessor": "AWS Graviton3 Processor",
        "processorArchitecture": "64-bit",
        "operatingSystem": "Linux",
        "tenancy": "Shared",
        "preInstalledSw": "NA",
        "capacitystatus": "Used",
        "licenseModel": "No License required",
        "regionCode": "eu-west-1",
        "location": "EU (Ireland)",
        "usagetype": "EU-BoxUsage:m7g.xlarge",
        "operation": "RunInstances",
    },
    "0.1820000000",
)
EKS_STANDARD = _product(
    "EKSSTD",
    {
        "productFamily": "Compute",
        "usagetype": "EU-AmazonEKS-Hours:perCluster",
        "regionCode": "eu-west-1",
        "operation": "CreateOperation",
    },
    "0.1000000000",
    service="AmazonEKS",
)
EKS_EXTENDED = _product(
    "EKSEXT",
    {
        "productFamily": "Compute",
        "usagetype": "EU-AmazonEKS-Hours:perClusterExtended",
        "regionCode": "eu-west-1",
    },
    "0.6000000000",
    service="AmazonEKS",
)
EKS_OTHER = _product(
    "EKSHYB",
    {
        "productFamily": "Compute",
        "usagetype": "EU-AmazonEKS-Hours:HybridNodes",
        "regionCode": "eu-west-1",
    },
    "0.0200000000",
    service="AmazonEKS",
)
NAT_HOURS = _product(
    "NATH",
    {"productFamily": "NAT Gateway", "usagetype": "EU-NatGateway-Hours", "regionCode": "eu-west-1"},
    "0.0480000000",
)
NAT_BYTES = _product(
    "NATB",
    {"productFamily": "NAT Gateway", "usagetype": "EU-NatGateway-Bytes", "regionCode": "eu-west-1"},
    "0.0480000000",
    unit="GB",
)
# A usage type that ends like the NAT hours but is another product (Region prefix plus more).
NAT_DECOY = _product(
    "NATD",
    {
        "productFamily": "NAT Gateway",
        "usagetype": "EU-Regional-NatGateway-Hours",
        "regionCode": "eu-west-1",
    },
    "9.0000000000",
)

EMPTY = {"PriceList": [], "FormatVersion": "aws_v1"}


def _stub(
    stubber: Stubber, service: str, filters: list[dict[str, str]], pages: list[list[str]]
) -> None:
    for index, page in enumerate(pages):
        response: dict[str, Any] = {"PriceList": page, "FormatVersion": "aws_v1"}
        params: dict[str, Any] = {
            "ServiceCode": service,
            "Filters": filters,
            "FormatVersion": "aws_v1",
        }
        if index + 1 < len(pages):
            response["NextToken"] = f"page-{index + 1}"
        if index:
            params["NextToken"] = f"page-{index}"
        stubber.add_response("get_products", response, params)


@pytest.fixture
def client() -> Any:
    return boto3.client(
        "pricing",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_refresh_writes_the_exact_prices_and_keeps_the_rest_unconfirmed(
    client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "prices.json"
    shutil.copy(SHIPPED, output)
    before = json.loads(output.read_text())
    region = "eu-west-1"
    with Stubber(client) as stubber:
        _stub(
            stubber,
            "AmazonEC2",
            _filters(
                ("instanceType", "m7g.xlarge"),
                ("regionCode", region),
                ("operatingSystem", "Linux"),
                ("tenancy", "Shared"),
                ("preInstalledSw", "NA"),
                ("capacitystatus", "Used"),
                ("licenseModel", "No License required"),
            ),
            [[M7G]],
        )
        # EKS answers on two pages: the paginator must follow NextToken.
        _stub(
            stubber,
            "AmazonEKS",
            _filters(("regionCode", region)),
            [[EKS_OTHER, EKS_STANDARD], [EKS_EXTENDED]],
        )
        _stub(
            stubber,
            "AmazonEC2",
            _filters(("productFamily", "NAT Gateway"), ("regionCode", region)),
            [[NAT_DECOY, NAT_HOURS, NAT_BYTES]],
        )
        # Endpoints, IPv4, Fargate, KMS, logs, GuardDuty, EBS: no answer.
        for query in refresh.QUERIES[2:]:
            stubber.add_response(
                "get_products",
                EMPTY,
                {
                    "ServiceCode": query.service_code,
                    "Filters": _filters(*query.filters, ("regionCode", region)),
                    "FormatVersion": "aws_v1",
                },
            )
        code = refresh.main(
            [
                "--region",
                region,
                "--instance-types",
                "m7g.xlarge",
                "--taken",
                "2026-12-01",
                "--output",
                str(output),
            ],
            client=client,
        )
        stubber.assert_no_pending_responses()
    assert code == refresh.EXIT_GAPS
    err = capsys.readouterr().err
    assert "not found in the Price List: eu-west-1: vpc_endpoint.interface_az_hour" in err

    text = output.read_text()
    table = json.loads(text)
    eu = table["regions"][region]
    assert eu["instances"]["types"] == {
        "m7g.xlarge": {"arch": "arm64", "memory_mib": 16384, "usd_per_hour": 0.182, "vcpus": 4}
    }
    assert eu["instances"]["confirmed"] is True
    assert eu["instances"]["source"].startswith("AWS Price List API")
    assert eu["eks"]["prices"] == {"cluster_hour_standard": 0.1, "cluster_hour_extended": 0.6}
    assert eu["eks"]["confirmed"] is True and eu["eks"]["taken"] == "2026-12-01"
    assert eu["nat_gateway"]["prices"] == {"hour": 0.048, "gb_processed": 0.048}
    # Not answered: the previous figure stays, marked unconfirmed, with a note saying why.
    assert eu["vpc_endpoint"]["prices"] == before["regions"][region]["vpc_endpoint"]["prices"]
    assert eu["vpc_endpoint"]["confirmed"] is False
    assert "not found in the Price List on 2026-12-01" in eu["vpc_endpoint"]["note"]
    # A Region not refreshed is kept as it was.
    assert table["regions"]["us-east-1"] == before["regions"]["us-east-1"]
    # The result is a valid table for the plan, in the script's deterministic form.
    parsed = parse_price_table(table, str(output))
    assert parsed.regions[region].price("eks", "cluster_hour_standard").confirmed  # type: ignore[union-attr]
    assert not parsed.regions[region].price("vpc_endpoint", "interface_az_hour").confirmed  # type: ignore[union-attr]
    assert refresh.render(table) == text


def test_the_shipped_table_is_in_the_scripts_deterministic_form() -> None:
    """A refresh must diff as the rows that changed: the shipped file is exactly what the
    script's renderer writes (keys sorted, one instance type a line)."""
    text = SHIPPED.read_text()
    assert refresh.render(json.loads(text)) == text
    assert (
        '"m7g.xlarge": {"arch": "arm64", "memory_mib": 16384, "usd_per_hour": 0.1632, "vcpus": 4}'
        in text
    )


def test_usage_types_match_with_one_region_prefix_only() -> None:
    assert refresh.usage_type_matches("NatGateway-Hours", "NatGateway-Hours")
    assert refresh.usage_type_matches("EU-NatGateway-Hours", "NatGateway-Hours")
    assert refresh.usage_type_matches("USE1-Fargate-vCPU-Hours:perCPU", "Fargate-vCPU-Hours:perCPU")
    assert not refresh.usage_type_matches(
        "EU-SpotUsage-Fargate-vCPU-Hours:perCPU", "Fargate-vCPU-Hours:perCPU"
    )
    assert not refresh.usage_type_matches(
        "EU-AmazonEKS-Hours:perClusterExtended", "AmazonEKS-Hours:perCluster"
    )


def test_a_tiered_price_takes_the_first_tier() -> None:
    product = json.loads(
        _product(
            "GD", {"usagetype": "EU-PaidEKSRuntimeMonitoringvCPUs"}, "1.5000000000", unit="vCPU-Mo"
        )
    )
    dimensions = product["terms"]["OnDemand"]["GD.JRTCKXETXF"]["priceDimensions"]
    first = next(iter(dimensions.values()))
    first["endRange"] = "500"
    dimensions["GD.JRTCKXETXF.NEXT"] = {
        **first,
        "beginRange": "500",
        "endRange": "Inf",
        "pricePerUnit": {"USD": "0.7500000000"},
    }
    assert refresh.on_demand_usd(product) == 1.5
    del product["terms"]["OnDemand"]["GD.JRTCKXETXF"]
    with pytest.raises(refresh.PriceListError, match="no on-demand USD price"):
        refresh.on_demand_usd(product)


def test_an_api_failure_exits_1(
    client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "prices.json"
    shutil.copy(SHIPPED, output)
    with Stubber(client) as stubber:
        stubber.add_client_error("get_products", "AccessDeniedException", "not allowed")
        code = refresh.main(
            ["--region", "eu-west-1", "--instance-types", "m7g.xlarge", "--output", str(output)],
            client=client,
        )
    assert code == refresh.EXIT_ERROR
    assert "the Price List API call failed" in capsys.readouterr().err
    assert output.read_text() == SHIPPED.read_text(), "nothing is written on failure"
