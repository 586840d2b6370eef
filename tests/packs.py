"""The compliance packs on a test's own app, as a user's app has them.

The test process turns CDK's built-in "CloudFormation Validate" plugin off for its apps
(tests/conftest.py: most tests only read templates). Its findings are warnings (CDK lowers
its errors unless an app opts in), so a test that asks only whether synth passes, or what
was acknowledged, sees the same without it. A test that requires the whole validation
report to be empty reads warnings too, and a user's app reports that plugin's there:
`add_packs` registers it on the app explicitly (an explicit plugin runs whatever the
process's setting), next to the packs `add_compliance_packs` registers.
"""

from __future__ import annotations

import functools

import aws_cdk as cdk

from eks_blueprint.compliance import add_compliance_packs


@functools.cache
def _validation() -> cdk.CloudFormationValidatePlugin:
    """One plugin for every app, as CDK's own default: each new one loads its WebAssembly
    validator again (about a second)."""
    return cdk.CloudFormationValidatePlugin()


def add_packs(app: cdk.App) -> None:
    """The packs, and CDK's built-in CloudFormation validation, on `app`."""
    add_compliance_packs(app)
    cdk.Validations.of(app).add_plugins(_validation())
