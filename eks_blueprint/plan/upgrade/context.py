"""What every check of the upgrade plan reads: the environment now, what will be deployed,
and the versions involved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ...template import literal
from ..inputs import PlanInputs


@dataclass(frozen=True)
class UpgradeContext:
    """One planned upgrade of one environment."""

    inputs: PlanInputs
    """The environment as deployed now (its cluster.version is the current version)."""
    deployed: PlanInputs
    """What is checked: the environment after the change (target mode) or, without one,
    the current environment held against the target version."""
    current: str
    to: str
    target_mode: bool
    today: date

    @property
    def env(self) -> str:
        return self.inputs.env

    @property
    def config_file(self) -> str:
        """The environment file a fix edits."""
        return str(self.deployed.config_path)

    @property
    def cluster_name(self) -> str:
        return self.deployed.config.cluster.name

    @property
    def region(self) -> str:
        return self.deployed.config.region

    def cluster(self) -> tuple[str, str, dict[str, Any]] | None:
        """(stack, logical id, Properties) of the AWS::EKS::Cluster that will be deployed."""
        for stack, logical_id, props in self.deployed.properties("AWS::EKS::Cluster"):
            return stack.name, logical_id, props
        return None

    def support_type(self) -> str:
        """UpgradePolicy.SupportType of the cluster in the template; EKS's default
        (EXTENDED) when the template does not set it."""
        found = self.cluster()
        policy = (found[2].get("UpgradePolicy") or {}) if found else {}
        return literal(policy.get("SupportType")) or "EXTENDED (EKS default: not set)"
