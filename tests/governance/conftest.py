"""Fixtures of the governance tests: each environment's PolicySet from its config, by the
function the stacks use (so the tests evaluate exactly what the cluster enforces)."""

from __future__ import annotations

from eks_blueprint.config import EnvironmentConfig
from eks_blueprint.governance.environment import policy_set
from eks_blueprint.governance.spec import PolicySet


def env_policy_set(config: EnvironmentConfig) -> PolicySet:
    """The PolicySet an environment's file asks for (`governance.environment.policy_set`)."""
    return policy_set(config)
