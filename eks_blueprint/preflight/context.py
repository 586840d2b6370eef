"""One preflight run: the environment, its account, its clients and shared reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..checkrun import ClientError, error_code, error_message, naming_actions, paginate
from ..config import EnvironmentConfig
from .assembly import Assembly, AssemblyError, read_assembly

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_eks import EKSClient
    from mypy_boto3_guardduty import GuardDutyClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_service_quotas import ServiceQuotasClient
    from mypy_boto3_ssm import SSMClient

#: The stacks of one environment, `<env>-eks-<kind>` (named in stacks/stage.py, which
#: imports aws_cdk and so is not imported here; a test keeps the two in step).
STACK_KINDS = ("network", "cluster", "security", "delivery")


@dataclass
class Context:
    """One preflight run: the environment, its confirmed account, lazily made clients and
    what several checks read (the assembly, the environment's deployed stacks)."""

    cfg: EnvironmentConfig
    session: boto3.Session
    identity: Mapping[str, Any]
    """STS GetCallerIdentity of the credentials (its Account is the file's)."""
    cdk_out: Path = Path("cdk.out")
    synth_hint: str = "run `make synth` first"
    _stack_resources: dict[str, list[dict[str, Any]] | None] = field(default_factory=dict)

    @property
    def account(self) -> str:
        return str(self.identity["Account"])

    @property
    def region(self) -> str:
        return str(self.session.region_name)

    @property
    def kubernetes_version(self) -> str:
        return self.cfg.cluster.version

    @cached_property
    def assembly(self) -> Assembly | AssemblyError:
        try:
            return read_assembly(self.cdk_out, self.cfg.name, self.synth_hint)
        except AssemblyError as exc:
            return exc

    @cached_property
    def clusters(self) -> list[str]:
        """The EKS clusters in the region."""
        return [str(c) for c in paginate(self.eks, "list_clusters", "clusters")]

    # Clients whose refused calls name the IAM action they needed (checkrun.naming_actions).

    @cached_property
    def ec2(self) -> EC2Client:
        return naming_actions(self.session.client("ec2"))

    @cached_property
    def eks(self) -> EKSClient:
        return naming_actions(self.session.client("eks"))

    @cached_property
    def iam(self) -> IAMClient:
        return naming_actions(self.session.client("iam"))

    @cached_property
    def ssm(self) -> SSMClient:
        return naming_actions(self.session.client("ssm"))

    @cached_property
    def cloudformation(self) -> CloudFormationClient:
        return naming_actions(self.session.client("cloudformation"))

    @cached_property
    def guardduty(self) -> GuardDutyClient:
        return naming_actions(self.session.client("guardduty"))

    @cached_property
    def service_quotas(self) -> ServiceQuotasClient:
        return naming_actions(self.session.client("service-quotas"))

    def stack_name(self, kind: str) -> str:
        return f"{self.cfg.name}-eks-{kind}"

    def stack_resources(self, kind: str) -> list[dict[str, Any]] | None:
        """The resources of the environment's `<env>-eks-<kind>` stack, or None when the
        stack does not exist (the environment was never deployed)."""
        name = self.stack_name(kind)
        if name not in self._stack_resources:
            try:
                self._stack_resources[name] = paginate(
                    self.cloudformation,
                    "list_stack_resources",
                    "StackResourceSummaries",
                    StackName=name,
                )
            except ClientError as exc:
                if error_code(exc) != "ValidationError" or "does not exist" not in (
                    error_message(exc)
                ):
                    raise
                self._stack_resources[name] = None
        return self._stack_resources[name]

    def owned(self, resource_type: str) -> dict[str, str]:
        """Physical ids of `resource_type` resources in this environment's stacks -> the
        stack: what an earlier deploy of this same environment created, which is not a
        conflict when preflight runs again."""
        found: dict[str, str] = {}
        for kind in STACK_KINDS:
            for resource in self.stack_resources(kind) or []:
                if resource.get("ResourceType") == resource_type and resource.get(
                    "PhysicalResourceId"
                ):
                    found[str(resource["PhysicalResourceId"])] = self.stack_name(kind)
        return found
