"""The `observability:` section: telemetry settings of the whole environment.

Per-tenant choices (logs on or off, their retention, traces) stay with each tenant
(`tenants[].telemetry`); this section holds what the environment decides once: which
languages Application Signals instruments in tenants with traces, and an optional Amazon
Managed Service for Prometheus workspace with an agentless managed scraper
(eks_blueprint/observability.py builds them).
"""

from __future__ import annotations

import re
from typing import Final, Literal

from pydantic import Field, field_validator, model_validator

from .base import FieldError, StrictModel

__all__ = [
    "ALIAS",
    "APPLICATION_SIGNALS_LANGUAGES",
    "MAX_SCRAPE_INTERVAL_SECONDS",
    "MIN_SCRAPE_INTERVAL_SECONDS",
    "ObservabilityConfig",
    "PrometheusConfig",
    "TraceLanguage",
]

# The facts are here, not in eks_blueprint/observability.py, so that loading a config never
# imports aws_cdk (the plans and preflight load configs without it); the constructs import them.

#: The languages the add-on's operator instruments (aws-observability/helm-charts tag
#: amazon-cloudwatch-observability-4.4.0, values.yaml `manager.autoInstrumentationImage`).
TraceLanguage = Literal["java", "python", "dotnet", "nodejs"]
APPLICATION_SIGNALS_LANGUAGES: Final[tuple[TraceLanguage, ...]] = (
    "java",
    "python",
    "dotnet",
    "nodejs",
)
#: AMP managed collectors refuse a scrape interval under 30 s (AMP user guide,
#: AMP-collector-how-to, "Scraper limitations").
MIN_SCRAPE_INTERVAL_SECONDS: Final = 30
#: This project's ceiling: Prometheus marks a series stale when no sample came within its
#: 5-minute lookback, so a longer interval leaves gaps in every query.
MAX_SCRAPE_INTERVAL_SECONDS: Final = 300
#: The longest retention an AMP workspace accepts, in days (AMP user guide, "Ingest metrics",
#: retention between 1 day and 1095 days).
MAX_RETENTION_DAYS: Final = 1095
#: AWS::APS::Scraper Alias (cfn-lint 1.58.0 schema 8ec677c423b3f19e.json: 1-100 characters,
#: `^[0-9A-Za-z][-.0-9A-Z_a-z]*$`); the workspace takes it too (Alias at most 100).
ALIAS = re.compile(r"[0-9A-Za-z][-.0-9A-Z_a-z]{0,99}")


class PrometheusConfig(StrictModel):
    """An AMP workspace and a managed scraper of the cluster's metrics."""

    enabled: bool = False
    """Create the workspace and the scraper. Default: false (AMP is billed per sample
    ingested and stored)."""
    scrape_interval_seconds: int = Field(
        default=MIN_SCRAPE_INTERVAL_SECONDS,
        ge=MIN_SCRAPE_INTERVAL_SECONDS,
        le=MAX_SCRAPE_INTERVAL_SECONDS,
    )
    """Seconds between scrapes: 30 (the managed scraper's minimum) to 300 (beyond, Prometheus
    queries see gaps: a series without a sample for 5 minutes is stale). Default: 30."""
    retention_days: int | None = Field(default=None, ge=1, le=MAX_RETENTION_DAYS)
    """Days the workspace keeps metrics, 1 to 1095 (AMP's maximum, AMP user guide
    "AMP-ingest-methods"; CloudFormation's schema states no maximum, so a larger value would
    fail at deploy). Default: AMP's own (150 days)."""
    alias: str | None = None
    """Workspace and scraper alias: 1-100 letters, digits, '-', '.' or '_', starting with a
    letter or digit. Default: the cluster name."""

    @field_validator("alias")
    @classmethod
    def _alias(cls, value: str | None) -> str | None:
        if value is not None and not ALIAS.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a scraper alias; use 1-100 letters, digits, '-', '.' or '_', "
                "starting with a letter or digit"
            )
        return value

    @model_validator(mode="after")
    def _settings_need_enabled(self) -> PrometheusConfig:
        if not self.enabled:
            for name in ("scrape_interval_seconds", "retention_days", "alias"):
                if name in self.model_fields_set:
                    raise FieldError(
                        name,
                        f"{name} is set but prometheus.enabled is false; set enabled: true or "
                        f"remove {name}",
                    )
        return self

    def resolved_alias(self, cluster_name: str) -> str:
        """`alias`, or the cluster name (which a cluster name always satisfies)."""
        return self.alias or cluster_name


class ObservabilityConfig(StrictModel):
    """Telemetry decided once per environment."""

    prometheus: PrometheusConfig = PrometheusConfig()
    """Amazon Managed Service for Prometheus. Default: off."""
