"""Headroom: every shipped environment, rebuilt with the longest names its file may hold, still
synthesises through every compliance gate and passes the deployability rules.

A name is only safe if the longest one the configuration accepts deploys: the cluster name
reaches IAM policy conditions, role trust policies and Kubernetes labels; tenant, node group,
Karpenter and Fargate names reach object names, labels and logical ids. The environments are
rebuilt from their files with every such name at its maximum (``model_validate`` on the
dumped config, so every cross-field rule still applies), synthesised ONCE for the module with
the packs registered, and the written templates checked again by the pure engine so a failure
names the resources and the measured lengths.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from eks_blueprint.config import EnvironmentConfig
from eks_blueprint.config.tenancy import TENANT_PREFIX
from eks_blueprint.nag import Level, evaluate
from eks_blueprint.nag.cli import load
from tests.conftest import Job, for_fixture, start

#: The longest names the configuration models accept (eks_blueprint/config/): environment
#: names [a-z][a-z0-9-]{0,19}, EKS cluster names 1-100, and Kubernetes-style names (node
#: groups, tenants, Karpenter node pools and classes, Fargate profiles, namespaces and
#: service accounts of workload identities) 1-63, and pod security group names (the
#: SecurityGroupPolicy and construct id) 1-40. test_names_are_the_longest_accepted proves
#: each is the maximum: one more character is refused.
ENV_NAME = 20
CLUSTER_NAME = 100
RESOURCE_NAME = 63
POD_SECURITY_GROUP_NAME = 40

Data = dict[str, Any]


def _pad(base: str, length: int) -> str:
    """``base-xxx...x``: a valid name of exactly ``length`` characters, unique per base."""
    return (f"{base}-" + "x" * length)[:length]


#: The kinds of names the headroom lengthens, and their longest valid length.
LENGTHS = {"environment": ENV_NAME, "cluster": CLUSTER_NAME, "tenant": RESOURCE_NAME,
           "node group": RESOURCE_NAME, "node class": RESOURCE_NAME, "node pool": RESOURCE_NAME,
           "fargate profile": RESOURCE_NAME, "workload identity": RESOURCE_NAME,
           "pod security group": POD_SECURITY_GROUP_NAME}


def _renamed(config: EnvironmentConfig, index: int, longer: str | None = None) -> Data:
    """The config as data with every name at its longest (``longer``: that kind one character
    more), renamed consistently where one name refers to another (controller node group,
    node class, tenant namespaces)."""
    size = {kind: length + (kind == longer) for kind, length in LENGTHS.items()}
    data: Data = json.loads(config.model_dump_json())
    data["name"] = _pad("prod" if config.is_production else config.name[:3], size["environment"])
    data["cluster"]["name"] = _pad(f"c{index}", size["cluster"])
    # A tenant with its own NodePool or Fargate profile (`tenant-<name>`) is as long as that
    # name allows: its object name, not the tenant name, is then at the maximum.
    tenants = {t["name"]: _pad(f"t{index}{t['name'][:8]}", _tenant_length(t, size))
               for t in data["tenants"]}
    # Prometheus' settings are refused while it is off: keep only what the file could say.
    prometheus = data["observability"]["prometheus"]
    if not prometheus["enabled"]:
        data["observability"]["prometheus"] = {"enabled": False}
    for tenant, model in zip(data["tenants"], config.tenants, strict=True):
        tenant["name"] = tenants[tenant["name"]]
        if "logs" not in model.telemetry.model_fields_set:
            # its default follows the add-on and the isolation; stated, it is checked
            tenant["telemetry"].pop("logs")
    compute = data["compute"]
    groups = {g["name"]: _pad(f"g{index}{g['name'][:8]}", size["node group"])
              for g in compute["node_groups"]}
    for group in compute["node_groups"]:
        group["name"] = groups[group["name"]]
    karpenter = compute.get("karpenter")
    if karpenter:
        if karpenter.get("controller_node_group"):
            karpenter["controller_node_group"] = groups[karpenter["controller_node_group"]]
        classes = {c["name"]: _pad(f"k{c['name'][:8]}", size["node class"])
                   for c in karpenter["node_classes"]}
        for node_class in karpenter["node_classes"]:
            node_class["name"] = classes[node_class["name"]]
        for pool in karpenter["node_pools"]:
            pool["name"] = _pad(f"p{pool['name'][:8]}", size["node pool"])
            pool["node_class"] = classes[pool["node_class"]]
    fargate = compute.get("fargate")
    if fargate:
        for profile in fargate["profiles"]:
            profile["name"] = _pad(f"f{profile['name'][:8]}", size["fargate profile"])
            for selector in profile["selectors"]:
                selector["namespace"] = tenants.get(selector["namespace"], selector["namespace"])
    for entry in data["access"]:
        entry["namespaces"] = [tenants.get(n, n) for n in entry.get("namespaces", [])]
    for entry in data["pod_security_groups"]:
        entry["name"] = _pad(f"sg{entry['name'][:8]}", size["pod security group"])
        entry["namespace"] = tenants.get(entry["namespace"], entry["namespace"])
    efs = data["storage"]["efs"]
    if efs:
        for point in efs["access_points"]:
            point["tenant"] = tenants[point["tenant"]]
    for identity in data["workload_identities"]:
        identity["namespace"] = tenants.get(
            identity["namespace"], _pad(f"n{identity['namespace'][:8]}",
                                        size["workload identity"]))
        identity["service_account"] = _pad(f"s{identity['service_account'][:8]}",
                                           size["workload identity"])
    return data


def _pool_kind(tenant: Data) -> str | None:
    """The kind of `tenant-<name>` object the tenant gets, if any (config/tenancy.py)."""
    if tenant.get("isolation") == "fargate":
        return "fargate profile"
    dedicated = tenant.get("dedicated") or {}
    if tenant.get("isolation") == "dedicated" and dedicated.get("node_group") is None:
        return "node pool"
    return None


def _tenant_length(tenant: Data, size: dict[str, int]) -> int:
    kind = _pool_kind(tenant)
    return size["tenant"] if kind is None else size[kind] - len(TENANT_PREFIX)


def _validate(data: Data) -> EnvironmentConfig:
    return EnvironmentConfig.model_validate_json(json.dumps(data))


def longest_names(config: EnvironmentConfig, index: int) -> EnvironmentConfig:
    """``config`` with every name at the longest the configuration accepts."""
    return _validate(_renamed(config, index))


@dataclass(frozen=True)
class Headroom:
    """The rebuilt configs, the cloud assembly they synthesised to, and synth's error."""

    configs: list[EnvironmentConfig]
    outdir: Path
    error: str | None


def synthesise(outdir: Path) -> str | None:
    """The shipped environments at their longest names, synthesised into `outdir` with the
    compliance packs registered as `make synth` does; the error synth fails with, if any.
    Run by `SYNTH`, in its own process."""
    from eks_blueprint.config import load_configs
    from stacks.app_builder import CONFIG_DIR, build_app, config_paths

    configs = load_configs(config_paths(None, None, CONFIG_DIR))  # as the `configs` fixture
    app = build_app([longest_names(c, i) for i, c in enumerate(configs)], outdir=str(outdir))
    try:
        app.synth()
    except Exception as exc:  # ValidationFailed: the templates are written; the test says why
        return str(exc)
    return None


def synthesise_into(out: Path) -> None:
    """:func:`synthesise` into `out`/cdk.out, the error (JSON, null for none) in
    `out`/error.json (run by `SYNTH`)."""
    (out / "error.json").write_text(json.dumps(synthesise(out / "cdk.out")))


#: `synthesise_into` in the background, started when collection ends (tests/conftest.py).
SYNTH = for_fixture("headroom", Job("tests.nag.test_headroom:synthesise_into"))


@pytest.fixture(scope="module")
def headroom(configs: dict[str, EnvironmentConfig]) -> Headroom:
    """Synthesised ONCE (:func:`synthesise`), in the background from the session's start."""
    longest = [longest_names(config, index) for index, config in enumerate(configs.values())]
    done = start(SYNTH).result()
    assert done.process.returncode == 0, done.process.stderr[-5000:]
    error = json.loads((done.out / "error.json").read_text())
    return Headroom(longest, done.out / "cdk.out", error)


def _names(config: EnvironmentConfig) -> dict[str, list[str]]:
    compute = config.compute
    karpenter = compute.karpenter
    pooled = {t.name: _pool_kind(t.model_dump()) for t in config.tenants}
    derived = {kind: [f"{TENANT_PREFIX}{name}" for name, k in pooled.items() if k == kind]
               for kind in ("node pool", "fargate profile")}
    return {
        "node group": [g.name for g in compute.node_groups],
        "tenant": [name for name, kind in pooled.items() if kind is None],
        "node pool": ([p.name for p in karpenter.node_pools] if karpenter else [])
        + (derived["node pool"] if karpenter else []),
        "node class": [c.name for c in karpenter.node_classes] if karpenter else [],
        "fargate profile": ([p.name for p in compute.fargate.profiles] if compute.fargate else [])
        + derived["fargate profile"],
        "pod security group": [e.name for e in config.pod_security_groups],
    }


def test_every_name_is_at_its_maximum(headroom: Headroom,
                                      configs: dict[str, EnvironmentConfig]) -> None:
    assert len(headroom.configs) == len(configs) >= 3
    for config in headroom.configs:
        assert len(config.name) == ENV_NAME
        assert len(config.cluster.name) == CLUSTER_NAME
        for kind, names in _names(config).items():
            assert all(len(n) == LENGTHS[kind] for n in names), (config.name, kind, names)
    kinds = {kind for config in headroom.configs for kind, names in _names(config).items()
             if names}
    assert kinds == {"node group", "tenant", "node pool", "node class", "fargate profile",
                     "pod security group"}


@pytest.mark.parametrize("kind", sorted(LENGTHS))
def test_names_are_the_longest_accepted(configs: dict[str, EnvironmentConfig],
                                        kind: str) -> None:
    # one character more of this kind is refused wherever the kind occurs: the headroom is
    # the maximum the configuration allows
    refused = 0
    for index, config in enumerate(configs.values()):
        if _renamed(config, index) == _renamed(config, index, longer=kind):
            continue  # this environment has no name of this kind
        with pytest.raises(ValidationError):
            _validate(_renamed(config, index, longer=kind))
        refused += 1
    assert refused, f"no shipped environment has a {kind} name"


def test_synth_passes_every_gate_at_the_longest_names(headroom: Headroom) -> None:
    assert headroom.error is None, headroom.error[:4000]


def test_deployability_rules_pass_at_the_longest_names(headroom: Headroom) -> None:
    # the pure engine over the written templates names every finding and its measurements
    views = load(str(headroom.outdir))
    assert len(views) >= 3 * 2
    findings = [f for view in views for f in evaluate(view)]
    problems = [f"{f.rule_id} {f.stack}/{f.logical_id}: {f.message}" for f in findings
                if f.level is Level.ERROR or f.rule_id.startswith("EKSDEP")]
    assert not problems, "\n".join(problems)


def test_the_long_names_reach_the_templates(headroom: Headroom) -> None:
    # guard against a rebuild that silently kept the short names
    text = "".join(path.read_text() for path in headroom.outdir.glob("assembly-*/*.template.json"))
    squashed = text.lower()
    for config in headroom.configs:
        assert f'"Name": "{config.cluster.name}"' in text
        for kind, names in _names(config).items():
            for name in names:
                if kind == "fargate profile":  # only in construct ids, so in logical ids
                    assert name.replace("-", "") in squashed, name
                else:
                    assert name in text, (kind, name)
