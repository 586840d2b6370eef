"""Render CloudFormation values at the longest they can be at deploy time.

:meth:`TemplateView.render` answers "what does this string say", with a placeholder for
deploy-time parts. The deployability rules (:mod:`eks_blueprint.nag.limits`) need "how long can
it get": a ``Ref`` to an ``AWS::EKS::Cluster`` is its name, up to 100 characters; a
``Fn::GetAtt [Queue, Arn]`` is ``arn:<partition>:sqs:<region>:<account>:<queue name>``. This
module renders every intrinsic at its longest and records each assumption, so that a finding
can say what it counted.

The rendering is a concrete worst-case text, not just a number: ``AWS::Region`` becomes
``us-isof-south-1`` and ``AWS::Partition`` ``aws-us-gov``, so that ``Fn::Split`` /
``Fn::Select`` (how CDK cuts the issuer out of an OIDC provider ARN) work on it like
CloudFormation would. Characters whose content is unknown (a generated name, an id) are
:data:`FILLER`; character-set checks treat them as valid (see :func:`known`).

How long things can be is one documented table, :data:`SHAPES` (types) and
:data:`PSEUDO_PARAMETERS`. What it does not know (an unknown type or attribute, a parameter
without constraints, an import from a template not loaded) counts :data:`UNKNOWN_LENGTH`
characters, and the note says so.

Pure Python: no ``aws_cdk``.

The package, by concern: :mod:`.shapes` (the table of how long things can be),
:mod:`.text` (showing and sizing rendered text), :mod:`.references` (``Ref`` and
``Fn::GetAtt`` of resources and parameters, imports from other templates) and
:mod:`.longest` (:class:`Longest`, the other intrinsic functions).
"""

from __future__ import annotations

from .longest import Longest
from .shapes import (
    FILLER,
    GENERATED_SUFFIX,
    PSEUDO_PARAMETERS,
    SHAPES,
    UNKNOWN_LENGTH,
    Shape,
)
from .text import known, policy_size, visible

__all__ = [
    "FILLER",
    "GENERATED_SUFFIX",
    "PSEUDO_PARAMETERS",
    "SHAPES",
    "UNKNOWN_LENGTH",
    "Longest",
    "Shape",
    "known",
    "policy_size",
    "visible",
]
