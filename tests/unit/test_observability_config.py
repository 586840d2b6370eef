"""`observability:`: defaults, accepted settings, and one refusal per rule naming the field
and the fix. The section is tested as a model here (EnvironmentConfig wires it in)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from pydantic import ValidationError

from eks_blueprint.config.observability import ObservabilityConfig, PrometheusConfig


def refusal(data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        ObservabilityConfig.model_validate(data)
    return str(caught.value)


def test_defaults_are_off() -> None:
    section = ObservabilityConfig()
    assert section.prometheus == PrometheusConfig(enabled=False)
    assert section.prometheus.scrape_interval_seconds == 30
    assert section.prometheus.retention_days is None
    assert section.prometheus.resolved_alias("platform-prod") == "platform-prod"


def test_an_enabled_scraper_takes_its_settings() -> None:
    section = ObservabilityConfig.model_validate(
        {
            "prometheus": {
                "enabled": True,
                "scrape_interval_seconds": 300,
                "retention_days": 400,
                "alias": "shop.metrics_1",
            },
        }
    )
    prometheus = section.prometheus
    assert (prometheus.scrape_interval_seconds, prometheus.retention_days) == (300, 400)
    assert prometheus.resolved_alias("platform") == "shop.metrics_1"


@pytest.mark.parametrize(
    ("data", "fragments"),
    [
        (
            {"prometheus": {"enabled": True, "scrape_interval_seconds": 29}},
            ["greater than or equal to 30"],
        ),
        (
            {"prometheus": {"enabled": True, "scrape_interval_seconds": 301}},
            ["less than or equal to 300"],
        ),
        ({"prometheus": {"enabled": True, "scrape_interval_seconds": "60"}}, ["valid integer"]),
        ({"prometheus": {"enabled": True, "retention_days": 0}}, ["greater than or equal to 1"]),
        (
            {"prometheus": {"enabled": True, "retention_days": 1096}},
            ["less than or equal to 1095"],
        ),
        ({"prometheus": {"enabled": True, "alias": "-prod"}}, ["not a scraper alias"]),
        ({"prometheus": {"enabled": True, "alias": "my prod"}}, ["not a scraper alias"]),
        ({"prometheus": {"enabled": True, "alias": "a" * 101}}, ["not a scraper alias"]),
        (
            {"prometheus": {"scrape_interval_seconds": 60}},
            ["scrape_interval_seconds is set but prometheus.enabled is false", "set enabled: true"],
        ),
        (
            {"prometheus": {"retention_days": 30}},
            ["retention_days is set but prometheus.enabled is false"],
        ),
        ({"prometheus": {"alias": "prod"}}, ["alias is set but prometheus.enabled is false"]),
        (
            {"prometheus": {"enabled": True, "scrapeInterval": 30}},
            ["Extra inputs are not permitted"],
        ),
        # Trace languages are per tenant now (tenants[].telemetry.traces).
        ({"trace_languages": ["java"]}, ["Extra inputs are not permitted"]),
        ({"tracing": True}, ["Extra inputs are not permitted"]),
    ],
)
def test_each_rule_refuses_with_the_fix(data: dict[str, Any], fragments: list[str]) -> None:
    message = refusal(data)
    for fragment in fragments:
        assert fragment in message, message


def test_enabled_false_stated_explicitly_is_accepted() -> None:
    assert ObservabilityConfig.model_validate({"prometheus": {"enabled": False}}).prometheus == (
        PrometheusConfig()
    )


def test_loading_the_section_does_not_import_aws_cdk() -> None:
    # The plans and preflight load configs without aws_cdk; this section must not pull it in.
    code = (
        "import sys, eks_blueprint.config.observability; "
        "sys.exit(any(m.startswith(('aws_cdk', 'jsii')) for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
