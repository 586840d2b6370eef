"""The platform pipeline's file, `config/pipeline.yaml`: strict models and their loader.

The file names the tooling account that runs the pipeline, the repository it watches, the
waves of environments it deploys in order, which environments wait for a manual approval and
where failures are reported. Its environments are the files `config/<env>.yaml`; the loader
reads them too (with their own validation) and checks the rules that need both files:

- every environment named (in `waves` and `approvals`) has its file, whose `name` is the
  file's name;
- an environment is in exactly one wave, and wave names are unique;
- a production environment (`prod`, `prod-<suffix>`) and any environment whose file turns
  termination protection on (prod-like) is in `approvals`, and `approvals` names only
  environments of a wave;
- an environment's account differs from the tooling account, unless `same_account_reason`
  says why it may not (a pipeline deploying into its own account can change itself);
- the environments deployed together are checked for account-wide clashes, as
  `load_configs` does for a run over several files.

Errors read `file: field: message`, like the environment files'.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from ..validate_names import (
    CONNECTION_ARN,
    SNS_TOPIC_ARN,
    check_branch,
    check_connection_arn,
    check_source_repository,
    reworded,
)
from .base import (
    PARTITION,
    FieldError,
    StrictModel,
    check_account,
    check_reason,
    check_region,
    partition_of,
)
from .environment import ENV_NAME, EnvironmentConfig
from .loader import ConfigError, _load_model, load_config, load_configs

#: Files in config/ that are not environments: config/pipeline.yaml is this file.
NOT_ENVIRONMENTS = frozenset({"pipeline"})
#: The pipeline's name: the CodePipeline name and the prefix of its stack (`<name>-pipeline`).
#: Lower-case so it is also a valid stack-name prefix and S3-friendly. At most 16 characters:
#: CloudFormation shortens a long generated name (roles, buckets) to about 25 characters of
#: the stack name, and the bootstrap execution policy scopes IAM and S3 to names containing
#: `-pipeline-`, which must survive the cut (16 + len("-pipeline") = 25).
PIPELINE_NAME = re.compile(r"[a-z][a-z0-9-]{0,15}")
#: A wave becomes a CodePipeline stage; CodePipeline allows `[A-Za-z0-9.@_-]{1,100}` there.
WAVE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,49}")
#: An e-mail address as SNS's email protocol takes it: one @, a dotted domain, no spaces.
EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
#: The source checks, in the words this file's users are told (validate_names' rules).
_check_connection_arn = reworded(
    check_connection_arn,
    "not a CodeConnections connection ARN; expected "
    "arn:aws:codeconnections:<region>:<12-digit account>:connection/<id> "
    "(copy it from the console: Developer Tools > Settings > Connections)",
)
_check_repository = reworded(
    check_source_repository,
    "not a repository: write it as owner/name, e.g. my-org/eks-platform (letters, "
    "digits, '-', '_' and '.')",
)
_check_branch = reworded(
    check_branch,
    "not a git branch name (git check-ref-format): no spaces, '..', '~', '^', "
    "':', '?', '*', '[', '\\', no leading '-', '/' or '.', no trailing '/', '.' "
    "or '.lock'; e.g. main",
)


def _check_env_name(value: str) -> str:
    if not ENV_NAME.fullmatch(value):
        raise ValueError(
            "not an environment name: 1-20 lower-case letters, digits or '-', starting with "
            "a letter, the name of a file config/<name>.yaml (e.g. prod)"
        )
    return value


class ToolingConfig(StrictModel):
    """The account and region the pipeline itself runs in (its stack, artifact bucket,
    CodeBuild projects); the target accounts trust it when they are bootstrapped."""

    account: str
    """AWS account id of the tooling account, 12 digits, quoted."""
    region: str
    """The pipeline's region (commercial partition), e.g. eu-west-1."""

    @field_validator("account")
    @classmethod
    def _valid_account(cls, value: str) -> str:
        return check_account(value)

    @field_validator("region")
    @classmethod
    def _valid_region(cls, value: str) -> str:
        return check_region(value)


class SourceConfig(StrictModel):
    """The repository the pipeline watches, through a CodeConnections connection."""

    connection_arn: str
    """ARN of the connection, arn:aws:codeconnections:<region>:<account>:connection/<id>
    (or the older codestar-connections form); it lives in the tooling account and region."""
    repository: str
    """The repository as `owner/name` (GitHub, GitLab, Bitbucket)."""
    branch: str = "main"
    """The branch whose pushes start a run. Default: main."""

    @field_validator("connection_arn")
    @classmethod
    def _valid_connection(cls, value: str) -> str:
        _check_connection_arn(value)
        match = CONNECTION_ARN.fullmatch(value)
        assert match is not None
        check_region(match.group("region"))
        return value

    @field_validator("repository")
    @classmethod
    def _valid_repository(cls, value: str) -> str:
        return _check_repository(value)

    @field_validator("branch")
    @classmethod
    def _valid_branch(cls, value: str) -> str:
        return _check_branch(value)


class WaveConfig(StrictModel):
    """Environments deployed together, in parallel; the next wave starts when all succeed."""

    name: str
    """The wave's name: the pipeline stage's name, e.g. dev, staging, prod."""
    environments: list[str] = Field(min_length=1)
    """Names of environments, each a file config/<name>.yaml; at least one."""

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not WAVE_NAME.fullmatch(value):
            raise ValueError(
                "a wave name is 1-50 letters, digits, '-' or '_', starting with a letter or "
                "digit (it becomes the pipeline stage's name)"
            )
        return value

    @field_validator("environments")
    @classmethod
    def _valid_environments(cls, value: list[str]) -> list[str]:
        for index, env in enumerate(value):
            try:
                _check_env_name(env)
            except ValueError as exc:
                raise FieldError([index], str(exc)) from None
        return value


class NotificationsConfig(StrictModel):
    """Where a failed run is reported: an existing SNS topic, or e-mail addresses that the
    pipeline subscribes to a topic it creates. Exactly one of the two."""

    topic_arn: str | None = None
    """ARN of an existing SNS standard topic in the tooling account and region; its access
    policy must let codestar-notifications.amazonaws.com publish. Default: none."""
    emails: list[str] = Field(default_factory=list)
    """E-mail addresses to notify (each confirms its subscription once). Default: none."""

    @field_validator("topic_arn")
    @classmethod
    def _valid_topic(cls, value: str | None) -> str | None:
        if value is None:
            return None
        match = SNS_TOPIC_ARN.fullmatch(value)
        # A standard topic of the commercial partition: notification rules do not deliver
        # to FIFO topics.
        if not match or match.group("partition") != "aws" or match.group("fifo"):
            raise ValueError(
                "not an SNS topic ARN; expected arn:aws:sns:<region>:<12-digit account>:<name> "
                "(a standard topic: notification rules do not deliver to FIFO topics)"
            )
        check_region(match.group("region"))
        return value

    @field_validator("emails")
    @classmethod
    def _valid_emails(cls, value: list[str]) -> list[str]:
        seen: set[str] = set()
        for index, email in enumerate(value):
            if len(email) > 254 or not EMAIL.fullmatch(email):
                raise FieldError([index], "not an e-mail address; e.g. team@example.com")
            if email.lower() in seen:
                raise FieldError([index], "this address is listed twice; remove one")
            seen.add(email.lower())
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> NotificationsConfig:
        if (self.topic_arn is None) == (not self.emails):
            raise FieldError(
                (),
                "give exactly one of topic_arn (an existing SNS topic) or emails (a list of "
                "addresses; the pipeline creates the topic)"
                + (", not both" if self.topic_arn is not None else ""),
            )
        return self


class PipelineConfig(StrictModel):
    """The platform pipeline: where it runs, what it watches, and the waves it deploys."""

    name: str = "eks-platform"
    """The pipeline's name and its stack's prefix (`<name>-pipeline`): 1-16 lower-case
    letters, digits or '-', starting with a letter (so the generated role and bucket names
    keep `-pipeline-`, which the bootstrap execution policy scopes to). Default:
    eks-platform."""
    tooling: ToolingConfig
    """The tooling account and region."""
    source: SourceConfig
    """The connection, repository and branch."""
    waves: list[WaveConfig] = Field(min_length=1)
    """Waves in deployment order; environments in one wave deploy in parallel."""
    approvals: list[str] = Field(default_factory=list)
    """Environments that wait for a manual approval before they deploy; every environment
    with termination protection on must be here. Default: none."""
    notifications: NotificationsConfig
    """Where failed runs are reported."""
    same_account_reason: str | None = None
    """Why an environment may live in the tooling account (at least 20 characters); without
    it the loader refuses one there. Default: none."""

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not PIPELINE_NAME.fullmatch(value):
            raise ValueError(
                "a pipeline name is 1-16 lower-case letters, digits or '-', starting with a "
                "letter (it names the CodePipeline and prefixes its stack; CloudFormation cuts "
                "longer stack names out of the generated role names the bootstrap policy "
                "scopes to), e.g. eks-platform"
            )
        return value

    @field_validator("approvals")
    @classmethod
    def _valid_approvals(cls, value: list[str]) -> list[str]:
        for index, env in enumerate(value):
            try:
                _check_env_name(env)
            except ValueError as exc:
                raise FieldError([index], str(exc)) from None
            if value.index(env) != index:
                raise FieldError([index], "listed twice; remove one")
        return value

    @field_validator("same_account_reason")
    @classmethod
    def _valid_reason(cls, value: str | None) -> str | None:
        return check_reason(value, "same_account_reason")

    @model_validator(mode="after")
    def _rules(self) -> PipelineConfig:
        waves: dict[str, int] = {}
        placed: dict[str, tuple[int, int]] = {}
        for w, wave in enumerate(self.waves):
            if wave.name in waves:
                raise FieldError(
                    f"waves[{w}].name",
                    f"wave name {wave.name!r} is also waves[{waves[wave.name]}]'s; each wave "
                    "needs its own name (it becomes a pipeline stage)",
                )
            waves[wave.name] = w
            for e, env in enumerate(wave.environments):
                if env in placed:
                    first = placed[env]
                    raise FieldError(
                        f"waves[{w}].environments[{e}]",
                        f"{env!r} is already in waves[{first[0]}] ({self.waves[first[0]].name}"
                        "); an environment deploys in exactly one wave: remove one",
                    )
                placed[env] = (w, e)
        for index, env in enumerate(self.approvals):
            if env not in placed:
                raise FieldError(
                    f"approvals[{index}]",
                    f"{env!r} is in no wave, so nothing would wait for this approval; add it "
                    "to a wave or remove it from approvals",
                )
        topic = self.notifications.topic_arn
        match = SNS_TOPIC_ARN.fullmatch(topic) if topic else None
        if match and match.group("region") != self.tooling.region:
            raise FieldError(
                "notifications.topic_arn",
                f"the topic is in {match.group('region')}, the pipeline in "
                f"{self.tooling.region}; a notification rule publishes to a topic in its own "
                "region: use a topic there",
            )
        connection = CONNECTION_ARN.fullmatch(self.source.connection_arn)
        if connection and (connection.group("account"), connection.group("region")) != (
            self.tooling.account,
            self.tooling.region,
        ):
            raise FieldError(
                "source.connection_arn",
                f"the connection is in account {connection.group('account')}, region "
                f"{connection.group('region')}; the pipeline runs in account "
                f"{self.tooling.account}, region {self.tooling.region}, and uses a connection "
                "of its own account and region: create (or share) one there",
            )
        return self

    @property
    def environments(self) -> list[str]:
        """Every environment of every wave, in wave order."""
        return [env for wave in self.waves for env in wave.environments]

    def approval_for(self, env: str) -> bool:
        """Whether `env` waits for a manual approval before it deploys."""
        return env in self.approvals


def load_pipeline(path: Path, config_dir: Path) -> tuple[PipelineConfig, list[EnvironmentConfig]]:
    """Parse and validate the pipeline file and the environment files its waves name
    (`config_dir/<env>.yaml`), and check the rules between them.

    Returns the pipeline and its environments in wave order. Raises ConfigError naming every
    problem (`file: field: message`), of the pipeline file and of the environment files.
    """
    path, config_dir = Path(path), Path(config_dir)
    pipeline = _load_model(
        path, PipelineConfig, "tooling:, source:, waves:, ...", show_byte=False
    )
    problems: list[str] = []
    found: dict[str, tuple[str, Path]] = {}  # env -> (where the pipeline names it, file)
    for w, wave in enumerate(pipeline.waves):
        for e, env in enumerate(wave.environments):
            location, file = f"waves[{w}].environments[{e}]", config_dir / f"{env}.yaml"
            if env not in NOT_ENVIRONMENTS and file.is_file():
                found[env] = (location, file)
                continue
            known = ", ".join(environment_names(config_dir)) or "none"
            if env in NOT_ENVIRONMENTS:
                problems.append(
                    f"{path}: {location}: {env!r} names the pipeline's own file, not an "
                    f"environment; environments: {known}"
                )
                continue
            problems.append(
                f"{path}: {location}: no environment file {file} for {env!r}; environments: {known}"
            )
    configs: list[EnvironmentConfig] = []
    for env, (location, file) in found.items():
        try:
            config = load_config(file)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        configs.append(config)
        problems.extend(_environment_problems(path, pipeline, env, location, file, config))
    if not problems:
        # Together, as a run over several files is: the account-wide clash checks.
        try:
            load_configs(file for _, file in found.values())
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    return pipeline, configs


def environment_names(config_dir: Path) -> list[str]:
    """The environments of a config directory: the names of its `*.yaml` files, sorted,
    except the pipeline's file."""
    return sorted(p.stem for p in config_dir.glob("*.yaml") if p.stem not in NOT_ENVIRONMENTS)


def _environment_problems(
    path: Path,
    pipeline: PipelineConfig,
    env: str,
    location: str,
    file: Path,
    config: EnvironmentConfig,
) -> list[str]:
    """The rules between the pipeline file and one environment's file."""
    if config.name != env:
        return [
            f"{file}: name: the file is {env}.yaml but its name is {config.name!r}; the "
            f"pipeline names environments by file and deploys them by name: make them the same"
        ]
    problems: list[str] = []
    if config.is_production and not pipeline.approval_for(env):
        problems.append(
            f"{path}: approvals: {env!r} is a production environment (named prod or "
            f"prod-<suffix>) and deploys only after a manual approval: add {env} to approvals"
        )
    elif config.lifecycle.termination_protection and not pipeline.approval_for(env):
        problems.append(
            f"{path}: approvals: {env!r} has termination protection on ({file}: "
            "lifecycle.termination_protection: true), so it is protected like production and "
            f"deploys only after a manual approval: add {env} to approvals"
        )
    if partition_of(config.region) != PARTITION:  # the environment's file refuses it too
        problems.append(
            f"{path}: {location}: {env!r} is in region {config.region}, outside the commercial "
            "partition the pipeline deploys to; use an environment in a region such as eu-west-1"
        )
    if config.account == pipeline.tooling.account and pipeline.same_account_reason is None:
        problems.append(
            f"{path}: {location}: {env!r} is in account {config.account}, the tooling "
            "account; a pipeline that deploys into its own account can change itself: use "
            "another account, or say why in same_account_reason"
        )
    return problems
