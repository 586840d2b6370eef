"""Deployability rules on CloudFormation's per-stack quotas (EKSDEP6-EKSDEP9): template
size and the number of resources, outputs and parameters."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from ...template import TemplateView
from ..catalog import DEPLOYABILITY
from ..model import Verdict

#: CloudFormation quotas (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html):
#: a template body in S3 is at most 1 MB, a stack declares at most 500 resources, 200 outputs
#: and 200 parameters. The "1 MB" is decimal: CloudFormation refuses a larger template with
#: "Template may not exceed 1000000 bytes in size." (its ValidationError), so 1,000,000 bytes.
TEMPLATE_SIZE = 1_000_000
RESOURCES_PER_STACK = 500
OUTPUTS_PER_STACK = 200
PARAMETERS_PER_STACK = 200


def _template_bytes(view: TemplateView) -> tuple[int, str]:
    if view.size is not None:
        return view.size, "as written"
    # The CDK writes templates as JSON indented by one space; measure the same way.
    return len(json.dumps(view.template, indent=1, ensure_ascii=False).encode()), \
        "as JSON indented like the CDK writes it"


@DEPLOYABILITY.stack(
    "EKSDEP6",
    "The template is larger than CloudFormation's 1,000,000-byte limit.",
    "CloudFormation refuses a template body over 1,000,000 bytes even from S3. Fix: "
    "split the stack or move resources into nested stacks.")
def template_size(view: TemplateView) -> Verdict:
    """EKSDEP6: the template is at most 1,000,000 bytes, CloudFormation's limit for a template
    in S3."""
    size, how = _template_bytes(view)
    if size <= TEMPLATE_SIZE:
        return Verdict.ok(f"{size:,} bytes")
    return Verdict.fail(f"template is {size:,} bytes ({how}), {size - TEMPLATE_SIZE:,} over "
                        f"CloudFormation's limit of {TEMPLATE_SIZE:,} bytes for a template in S3 "
                        "(\"Template may not exceed 1000000 bytes in size.\"): move resources to "
                        "another stack or a nested stack")


def _section_count(view: TemplateView, section: str) -> int:
    found = view.template.get(section)
    return len(found) if isinstance(found, Mapping) else 0


def _count_rule(section: str, limit: int, advice: str) -> Callable[[TemplateView], Verdict]:
    def check(view: TemplateView) -> Verdict:
        count = _section_count(view, section)
        if count <= limit:
            return Verdict.ok(f"{count} of {limit}")
        return Verdict.fail(f"{count} {section.lower()} in the template, {count - limit} over "
                            f"CloudFormation's limit of {limit} per stack: {advice}")
    check.__doc__ = f"At most {limit} {section.lower()} per stack."
    return check


resource_count = DEPLOYABILITY.stack(
    "EKSDEP7",
    "The stack declares more than 500 resources.",
    "CloudFormation refuses a template with more than 500 resources. Fix: split the "
    "stack (another stack of the stage, or nested stacks).")(
    _count_rule("Resources", RESOURCES_PER_STACK,
                             "split the stack (the stage's stacks, or nested stacks)"))
output_count = DEPLOYABILITY.stack(
    "EKSDEP8",
    "The stack declares more than 200 outputs.",
    "CloudFormation refuses a template with more than 200 outputs. Fix: drop unused "
    "outputs or publish values as SSM parameters.")(
    _count_rule("Outputs", OUTPUTS_PER_STACK,
                           "drop outputs nobody reads, or pass values by SSM parameters"))
parameter_count = DEPLOYABILITY.stack(
    "EKSDEP9",
    "The stack declares more than 200 parameters.",
    "CloudFormation refuses a template with more than 200 parameters. Fix: use "
    "mappings or list parameters.")(
    _count_rule("Parameters", PARAMETERS_PER_STACK,
                              "use mappings or list parameters"))
