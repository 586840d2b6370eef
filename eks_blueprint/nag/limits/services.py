"""Deployability rules on other services (EKSDEP17-EKSDEP18): Lambda environment size and
the names of queues, rules, log groups, functions, repositories and aliases."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from ...template import ResourceRef, dig
from ..catalog import DEPLOYABILITY
from ..lengths import Longest, visible
from ..model import Level as L
from ..model import Verdict
from .common import Measured, judge, measured, name_problems

#: AWS Lambda quotas (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html):
#: all environment variables of a function together at most 4 KB (Lambda measures them as
#: the JSON object of names and values).
LAMBDA_ENVIRONMENT_BYTES = 4096

#: Name limits of other services:
#: * Amazon SQS quotas (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-queues.html):
#:   queue names up to 80 alphanumerics, "-" and "_", a FIFO queue's ".fifo" suffix included.
#: * Amazon EventBridge quotas (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html)
#:   and PutRule API reference: rule names 1-64 of letters, digits, "." "-" "_".
#: * CloudWatch Logs quotas (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html)
#:   and CreateLogGroup API reference: log group names 1-512 of letters, digits, "_ - / . #".
#: * AWS Lambda quotas: function names up to 64 letters, digits, "-" and "_".
#: * Amazon ECR CreateRepository API reference: repository names 2-256, lower case,
#:   namespaces separated by "/".
#: * AWS KMS CreateAlias API reference: alias names up to 256, "alias/" + letters, digits,
#:   "/ _ -".
OTHER_NAME_RULES: Mapping[str, tuple[str, int, re.Pattern[str]]] = {
    "AWS::SQS::Queue": ("QueueName", 80, re.compile(r"^[A-Za-z0-9_-]+(\.fifo)?$")),
    "AWS::Events::Rule": ("Name", 64, re.compile(r"^[.\-_A-Za-z0-9]+$")),
    "AWS::Logs::LogGroup": ("LogGroupName", 512, re.compile(r"^[.\-_/#A-Za-z0-9]+$")),
    "AWS::Lambda::Function": ("FunctionName", 64, re.compile(r"^[A-Za-z0-9_-]+$")),
    "AWS::ECR::Repository": ("RepositoryName", 256, re.compile(
        r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$")),
    "AWS::KMS::Alias": ("AliasName", 256, re.compile(r"^alias/[A-Za-z0-9/_-]+$")),
}


@DEPLOYABILITY.rule(
    "EKSDEP17", L.ERROR, "AWS::Lambda::Function",
    "A Lambda function's environment variables exceed 4 KB.",
    "Lambda refuses environment variables that together exceed 4 KB. Fix: move large "
    "values into SSM Parameter Store or the deployment package.")
def lambda_environment(res: ResourceRef) -> Verdict:
    """EKSDEP17: a Lambda function's environment variables total at most 4 KB."""
    variables = dig(res.properties, "Environment", "Variables")
    if variables is None:
        return Verdict.na("no environment variables")
    if not isinstance(variables, Mapping):
        return Verdict.unresolved("Environment.Variables is computed at deploy time")

    def check(longest: Longest) -> Measured:
        rendered = longest.document(variables)
        size = len(json.dumps(rendered, separators=(",", ":"), ensure_ascii=False).encode())
        return measured(size, LAMBDA_ENVIRONMENT_BYTES, "bytes",
                        f"environment variables total {size:,} bytes, over Lambda's limit of "
                        f"{LAMBDA_ENVIRONMENT_BYTES:,} (4 KB): pass large values through SSM "
                        "Parameter Store or a file in the package")
    return judge(res.view, check)


@DEPLOYABILITY.rule(
    "EKSDEP18", L.ERROR, tuple(OTHER_NAME_RULES),
    "A queue, rule, log group, function, repository or alias name breaks its "
    "service's limits.",
    "SQS queue names are at most 80 characters (.fifo included), EventBridge rule "
    "names 64, log group names 512, Lambda function names 64, ECR repository names "
    "256, KMS alias names 256. Fix: shorten the name, or leave it out and let "
    "CloudFormation generate one.")
def service_names(res: ResourceRef) -> Verdict:
    """EKSDEP18: names of SQS queues, EventBridge rules, log groups, Lambda functions, ECR
    repositories and KMS aliases fit their service's limits."""
    prop = OTHER_NAME_RULES[res.type][0]
    if res.properties.get(prop) is None:
        return Verdict.ok(f"no {prop}: CloudFormation generates one within the limit")
    return judge(res.view, lambda longest: (_service_name_problems(res, longest), ""))


def _service_name_problems(res: ResourceRef, longest: Longest) -> list[str]:
    prop, limit, pattern = OTHER_NAME_RULES[res.type]
    raw = res.properties.get(prop)
    text = longest.text(raw)
    if res.type == "AWS::Lambda::Function" and text and text.startswith("arn:"):
        raw = text.rsplit(":", 1)[-1]
    problems = name_problems(longest, raw, prop, limit, pattern)
    if res.type == "AWS::SQS::Queue":
        fifo = res.properties.get("FifoQueue") in (True, "true")
        name = longest.text(raw) or ""
        if fifo and not name.endswith(".fifo"):
            problems.append(f"QueueName {visible(name)!r} of a FIFO queue must end with .fifo")
        if not fifo and name.endswith(".fifo"):
            problems.append(f"QueueName {visible(name)!r} ends with .fifo but FifoQueue is not "
                            "true")
    return problems
