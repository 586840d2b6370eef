"""stacks.translate.security: `security:` -> GuardDuty, ECR and Spot-role decisions."""

from __future__ import annotations

from aws_cdk import RemovalPolicy

from eks_blueprint import RegistryProps, ThreatDetectionProps
from eks_blueprint.config import EnvironmentConfig
from stacks.translate.security import (
    GuardDutyAgent,
    creates_spot_role,
    guardduty_agent,
    has_account_security,
    registry_props,
    threat_detection_props,
)

from .conftest import minimal, minimal_data, shipped


def test_only_prod_creates_the_detector() -> None:
    assert threat_detection_props(shipped("dev")) is None  # mode off
    assert threat_detection_props(shipped("staging")) is None  # mode existing
    props = threat_detection_props(shipped("prod"))
    assert isinstance(props, ThreatDetectionProps)
    assert props.finding_publishing_frequency == "FIFTEEN_MINUTES"
    assert props.runtime_agent == "managed"


def test_registries_of_each_environment(config: EnvironmentConfig) -> None:
    props = registry_props(config)
    assert isinstance(props, RegistryProps)
    assert [r.name for r in props.repositories] == [r.name for r in config.security.registries]
    assert (props.enhanced_scanning is None) is (config.security.enhanced_scanning is None)
    expected = (
        RemovalPolicy.RETAIN
        if config.lifecycle.retain_stateful_resources
        else RemovalPolicy.DESTROY
    )
    assert props.removal_policy == expected


def test_dev_repository_push_principal() -> None:
    props = registry_props(shipped("dev"))
    assert props is not None
    repository = next(r for r in props.repositories if r.name == "shop/api")
    assert repository.keep_images == 30 and repository.untagged_expiry_days == 7
    assert len(repository.push_principals) == 1 and not repository.pull_principals


def test_nothing_for_the_security_stack_without_the_section() -> None:
    config = minimal()
    assert registry_props(config) is None
    assert threat_detection_props(config) is None
    assert creates_spot_role(config) is False
    assert has_account_security(config) is False


def test_each_shipped_environment_has_a_security_stack(config: EnvironmentConfig) -> None:
    assert has_account_security(config) is True
    # staging's account has the role already (`existing`)
    assert creates_spot_role(config) is (config.name != "staging")


def test_guardduty_agent_add_on() -> None:
    assert guardduty_agent(shipped("prod")) is None  # GuardDuty-managed agent
    assert guardduty_agent(shipped("dev")) is None  # GuardDuty off
    # the add-on agent needs the GuardDuty data endpoint, which GuardDuty then does not create
    network = {**minimal_data()["network"], "interface_endpoints": ["sts", "guardduty-data"]}
    agent = {"mode": "existing", "agent": "addon", "agent_version": "v1.10.0-eksbuild.2"}
    config = minimal(network=network, security={"guardduty": agent})
    assert guardduty_agent(config) == GuardDutyAgent(version="v1.10.0-eksbuild.2")
