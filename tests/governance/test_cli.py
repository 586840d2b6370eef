"""`python -m eks_blueprint.governance check`: manifests against an environment's policies,
offline, with the exit codes and messages a pull request check relies on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from eks_blueprint.governance.cli import EXIT_BAD_INPUT, EXIT_CLEAR, EXIT_REFUSED, main

ECR = "333333333333.dkr.ecr.eu-west-1.amazonaws.com/shop/api"


def deployment(image: str, replicas: int = 1, **container: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "payments"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "api"}},
            "template": {
                "metadata": {"labels": {"app": "api"}},
                "spec": {
                    "securityContext": {
                        "runAsNonRoot": True,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [{"name": "api", "image": image, **container}],
                },
            },
        },
    }


GOOD = {
    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "1Gi"}},
    "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
    "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
}
PDB = {
    "apiVersion": "policy/v1",
    "kind": "PodDisruptionBudget",
    "metadata": {"name": "api", "namespace": "payments"},
    "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "api"}}},
}


def write(tmp_path: Path, *objects: dict[str, Any]) -> Path:
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump_all(objects))
    return path


def test_a_compliant_tenant_workload_passes_prod(tmp_path: Path, capsys: Any) -> None:
    path = write(tmp_path, deployment(f"{ECR}:1.4.2", replicas=3, **GOOD), PDB)
    assert main(["check", "--env", "prod", str(path)]) == EXIT_CLEAR
    assert "0 refused, 0 audit findings (prod policies)" in capsys.readouterr().out


def test_prod_refuses_what_dev_only_audits(tmp_path: Path, capsys: Any) -> None:
    # :latest, and a replicated Deployment without a PDB.
    path = write(tmp_path, deployment(f"{ECR}:latest", replicas=3, **GOOD))
    assert main(["check", "--env", "prod", "--format", "json", str(path)]) == EXIT_REFUSED
    refused = {f["policy"] for f in json.loads(capsys.readouterr().out) if f["action"] == "Deny"}
    assert refused == {"disallow-latest-tag", "require-pdb"}
    dev_ecr = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/shop/api:latest"
    path = write(tmp_path, deployment(dev_ecr, replicas=3, **GOOD))
    assert main(["check", "--env", "dev", str(path)]) == EXIT_CLEAR
    out = capsys.readouterr().out
    assert "audit: " in out and "disallow-latest-tag" in out and "REFUSED" not in out


def test_a_foreign_registry_is_refused_in_prod(tmp_path: Path, capsys: Any) -> None:
    path = write(tmp_path, deployment("docker.io/library/nginx:1.27", **GOOD))
    assert main(["check", "--env", "prod", str(path)]) == EXIT_REFUSED
    assert "allowed-registries" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["--env", "nope"], "config/nope.yaml: no such environment file"),
        (["--env", "prod", "--config-dir", "tests"], "tests/prod.yaml: no such environment"),
    ],
)
def test_bad_environment_is_named(args: list[str], text: str, tmp_path: Path, capsys: Any) -> None:
    path = write(tmp_path, PDB)
    assert main(["check", *args, str(path)]) == EXIT_BAD_INPUT
    assert text in capsys.readouterr().err


def test_bad_manifests_are_named(tmp_path: Path, capsys: Any) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: [\n")
    assert main(["check", "--env", "prod", str(broken)]) == EXIT_BAD_INPUT
    assert f"{broken}: not valid YAML" in capsys.readouterr().err
    odd = tmp_path / "odd.yaml"
    odd.write_text("just: a map\n")
    assert main(["check", "--env", "prod", str(odd)]) == EXIT_BAD_INPUT
    assert "document 1 is not a Kubernetes object" in capsys.readouterr().err
    missing = tmp_path / "missing.yaml"
    assert main(["check", "--env", "prod", str(missing)]) == EXIT_BAD_INPUT
    assert f"{missing}: cannot read it" in capsys.readouterr().err


def test_without_cel_python_the_check_names_the_tools_extra(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    import eks_blueprint.governance as package

    # As in a fresh process without the extra: the module not yet imported, celpy missing.
    monkeypatch.delitem(sys.modules, "eks_blueprint.governance.evaluate", raising=False)
    monkeypatch.delattr(package, "evaluate", raising=False)
    monkeypatch.setitem(sys.modules, "celpy", None)  # import celpy raises ImportError
    path = write(tmp_path, PDB)
    assert main(["check", "--env", "prod", str(path)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "pip install 'eks-blueprint[tools]'" in err and "Traceback" not in err
