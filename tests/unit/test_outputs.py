"""Stack outputs: what operators and application teams read after `cdk deploy`."""

from __future__ import annotations

from typing import Any

import pytest

from eks_blueprint.config import EnvironmentConfig
from tests.conftest import SynthResult, render_join


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_cluster_outputs_name_and_kubeconfig_command(
    synth: SynthResult, configs: dict[str, EnvironmentConfig], env: str
) -> None:
    outputs = synth.template(env, "cluster")["Outputs"]
    cfg = configs[env]
    assert outputs["ClusterName"]["Value"] == cfg.cluster.name
    assert outputs["UpdateKubeconfigCommand"]["Value"] == (
        f"aws eks update-kubeconfig --name {cfg.cluster.name} --region {cfg.region}"
    )


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_every_irsa_role_is_an_output_and_no_pod_identity_role_is(
    synth: SynthResult, configs: dict[str, EnvironmentConfig], env: str
) -> None:
    template = synth.template(env, "cluster")
    irsa = {k: v for k, v in template["Outputs"].items() if k.startswith("IrsaRoleArn")}
    expected = [w for w in configs[env].workload_identities if w.mechanism == "irsa"]
    assert len(irsa) == len(expected) >= 1
    for entry in expected:
        (output,) = (v for v in irsa.values() if entry.label in v["Description"])
        # The value is the Arn of the IRSA role under this entry's construct.
        (logical_id, attribute) = output["Value"]["Fn::GetAtt"]
        assert attribute == "Arn"
        role: dict[str, Any] = template["Resources"][logical_id]
        assert role["Type"] == "AWS::IAM::Role"
        trust, _ = render_join(role["Properties"]["AssumeRolePolicyDocument"])
        assert f"system:serviceaccount:{entry.namespace}:{entry.service_account}" in trust


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_every_repository_uri_is_an_output(
    synth: SynthResult, configs: dict[str, EnvironmentConfig], env: str
) -> None:
    outputs = synth.template(env, "security")["Outputs"]
    uris = {v["Description"] for k, v in outputs.items() if k.startswith("RepositoryUri")}
    assert uris == {f"ECR repository {r.name}" for r in configs[env].security.registries}
