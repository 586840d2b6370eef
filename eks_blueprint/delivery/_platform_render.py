"""Lazy rewrites of what CDK Pipelines renders, for `PlatformPipeline`: a self-mutation
policy narrowed to named roles, and `Fn::Join`s written as `Fn::Sub` (cfn-lint E3703)."""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import IResolvable, IResolveContext, Stack
from aws_cdk import aws_iam as iam


@jsii.implements(IResolvable)
class _NarrowAssumeRole:
    """Renders a policy document with every `sts:AssumeRole` on a role wildcard replaced by
    the given role ARNs (conditions kept)."""

    def __init__(self, policy: iam.Policy, stack: Stack, allowed: list[str]) -> None:
        self._policy = policy
        self._stack = stack
        self._allowed = allowed
        self.creation_stack: list[str] = []

    def resolve(self, context: IResolveContext) -> Any:
        document = self._stack.resolve(self._policy.document)
        allowed = [self._stack.resolve(arn) for arn in self._allowed]
        for statement in document.get("Statement", []):
            actions = statement.get("Action")
            actions = actions if isinstance(actions, list) else [actions]
            resources = statement.get("Resource")
            resources = resources if isinstance(resources, list) else [resources]
            if "sts:AssumeRole" in actions and any(
                isinstance(r, str) and r.endswith(":role/*") for r in resources
            ):
                statement["Resource"] = allowed
        return document

    def to_string(self) -> str:
        return "PlatformPipeline.NarrowAssumeRole"


@jsii.implements(IResolvable)
class _JoinAsSub:
    """Renders a value with every `Fn::Join` on "" whose parts are literals or pseudo
    parameters (`Ref: AWS::...`) written as the equivalent `Fn::Sub`."""

    def __init__(self, value: Any, stack: Stack) -> None:
        self._value = value
        self._stack = stack
        self.creation_stack: list[str] = []

    def resolve(self, context: IResolveContext) -> Any:
        return _join_as_sub(self._stack.resolve(self._value))

    def to_string(self) -> str:
        return "PlatformPipeline.JoinAsSub"


def _join_as_sub(value: Any) -> Any:
    if isinstance(value, list):
        return [_join_as_sub(v) for v in value]
    if not isinstance(value, dict):
        return value
    join = value.get("Fn::Join") if len(value) == 1 else None
    if isinstance(join, list) and len(join) == 2 and join[0] == "" and isinstance(join[1], list):
        parts: list[str] = []
        for part in join[1]:
            if isinstance(part, str) and "${" not in part:
                parts.append(part)
            elif (
                isinstance(part, dict)
                and list(part) == ["Ref"]
                and str(part["Ref"]).startswith("AWS::")
            ):
                parts.append("${" + part["Ref"] + "}")
            else:
                break
        else:
            return {"Fn::Sub": "".join(parts)}
    return {k: _join_as_sub(v) for k, v in value.items()}
