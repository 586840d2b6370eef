"""The floor: an empty Python CDK app (one empty stack), synthesised like app.py.

`--cdk-defaults` keeps CDK's built-in CloudFormation validation on (an out-of-the-box app);
without it the App has the same settings as the project's (stacks/app_builder.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stacks.runtime import use_supported_node

use_supported_node()

import aws_cdk as cdk  # noqa: E402

app = cdk.App(builtin_cloud_formation_validation="--cdk-defaults" in sys.argv)
cdk.Stack(app, "Empty", env=cdk.Environment(account="111111111111", region="eu-west-1"))
app.synth()
