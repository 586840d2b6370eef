"""The GitOps renderer (eks_blueprint.gitops.render) on a small ControlPlane app: item ids
become Application names, CloudFormation values become annotation keys (and placeholders in
a manifest's local chart), chart repositories take Argo CD's form, literal ``{{`` in chart
values survive the ApplicationSet's Go template, and what GitOps delivery cannot render is
refused with the fix (patches, more than 150 objects, two items of one name, a bad target, a
cluster without its Kubernetes layers).

One rendered app per module; the refusals build a fresh app each.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
import yaml
from constructs import Construct

from eks_blueprint import (
    ArgoCdCapability,
    ArgoCdCapabilityProps,
    ArgoCdIdentities,
    ControlPlane,
    ControlPlaneProps,
    Network,
    NetworkProps,
    availability_zones_context_key,
)
from eks_blueprint.gitops import (
    CLUSTER_LABEL,
    VALUE_ANNOTATION,
    GitOpsTarget,
    gitops_deliveries,
    trees,
    write_tree,
)
from eks_blueprint.gitops.bootstrap import root_application_name
from eks_blueprint.gitops.render import (
    MAX_OBJECTS_PER_APPLICATION,
    OBJECTS_TEMPLATE,
    Rendered,
    _helm_repository,
    _Values,
    application_name,
    dump,
    render,
    tree_of,
    value_key,
)
from eks_blueprint.kubernetes import (
    KubernetesDelivery,
    Layer,
    apply_manifest,
    install_chart,
    patch_object,
)
from eks_blueprint.kubernetes.handler.layer_plan import Chart
from eks_blueprint.template.kubernetes import LAYER_TYPE, layer_items
from eks_blueprint.validate_names import PropError
from tests.conftest import TEST_ENV, resources_of
from tests.kubernetes.test_delivery import new_cluster
from tests.schema_scripts import NODE, ROOT

from .argocd import (
    APPLICATION_KEYS,
    APPLICATION_SET_KEYS,
    SCRIPT,
    generate,
    unexpected_keys,
    validate,
)

ZONES = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
REPOSITORY = "https://github.com/example/platform.git"
TARGET = GitOpsTarget(name="dev", repository=REPOSITORY, path="gitops/dev")
#: An annotation name (the part after the prefix): what Kubernetes accepts.
ANNOTATION_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
#: Kyverno-like text: Go-template syntax an ApplicationSet must not evaluate.
KYVERNO = "{{ request.object.metadata.name }}"


def gitops_cluster(
    target: GitOpsTarget = TARGET, stack_name: str = "Team", app: cdk.App | None = None
) -> tuple[cdk.App, cdk.Stack, ControlPlane]:
    """A stack with a network and a ControlPlane in GitOps mode (no capacity)."""
    return new_cluster(stack_name, app=app, gitops=target)


def delivery(plane: ControlPlane) -> KubernetesDelivery:
    assert plane.kubernetes is not None
    return plane.kubernetes


def config_map(name: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "team-a"},
        "data": data,
    }


@pytest.fixture(scope="module")
def rendered() -> dict[str, Any]:
    """Three items in a GitOps cluster, reading CloudFormation values every way:

    - ``Apps/Chart``: an OCI chart whose values hold a Ref, a GetAtt, a Join, the cluster's
      name (known at synth), Kyverno-like ``{{`` text (as a value and as a key);
    - ``Apps/Config``: a manifest with the same kinds of values and an all-digit string,
      which needs the chart;
    - ``Apps/Public``: an https chart without values, in the workloads layer.
    """
    app, stack, plane = gitops_cluster()
    cluster = plane.icluster
    queue = cdk.CfnResource(stack, "Queue", type="AWS::SQS::Queue")
    url = f"https://{queue.ref}.example.com"
    apps = Construct(stack, "Apps")
    chart = install_chart(
        apps,
        "Chart",
        cluster,
        layer=Layer.PLATFORM,
        chart="app",
        repository="oci://public.ecr.aws/example/app",
        version="1.2.3",
        release="app",
        namespace="team-a",
        values={
            "queue": queue.ref,
            "arn": queue.get_att("Arn").to_string(),
            "url": url,
            "cluster": cluster.cluster_name,
            "rule": KYVERNO,
            KYVERNO: "as a key",
            "list": [queue.ref, 3, True],
        },
        skip_crds=True,
    )
    config = apply_manifest(
        apps,
        "Config",
        cluster,
        [
            config_map(
                "config",
                {
                    "queue": queue.ref,
                    "url": url,
                    "cluster": cluster.cluster_name,
                    "rule": KYVERNO,
                    "digits": "0123",
                },
            )
        ],
        layer=Layer.PLATFORM,
    )
    config.needs(chart)
    install_chart(
        apps,
        "Public",
        cluster,
        layer=Layer.WORKLOADS,
        chart="public",
        repository="https://charts.example.com",
        version="0.1.0",
        release="public",
        namespace="public",
        create_namespace=False,
    )
    result = render(delivery(plane))
    return {
        "app": app,
        "stack": stack,
        "plane": plane,
        "result": result,
        "docs": {
            path: yaml.safe_load(text)
            for path, text in result.files.items()
            if not path.endswith("/templates/objects.yaml")  # a Helm template, not YAML
        },
        "queue": queue,
    }


def _docs(rendered: dict[str, Any]) -> dict[str, Any]:
    docs: dict[str, Any] = rendered["docs"]
    return docs


def _annotations(result: Rendered) -> dict[str, str]:
    """A value for each annotation the bootstrap sets: ``<annotation>-value``."""
    return {key: f"{key.removeprefix(VALUE_ANNOTATION)}-value" for key in result.values}


# -- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item_id", "name"),
    [
        ("Karpenter/Chart", "karpenter-chart"),
        ("Addons/LoadBalancerController", "addons-loadbalancercontroller"),
        ("Tenants/team_a//Quota", "tenants-team-a-quota"),
        ("/Weird__Id/", "weird-id"),
        ("///", "item"),
    ],
)
def test_application_name_is_the_item_id_as_a_dns_label(item_id: str, name: str) -> None:
    assert application_name(item_id) == name


def test_a_long_application_name_is_cut_with_a_hash() -> None:
    long_a = "Platform/" + "VeryLongConstructName" * 4 + "/A"
    long_b = "Platform/" + "VeryLongConstructName" * 4 + "/B"
    name_a, name_b = application_name(long_a), application_name(long_b)
    assert len(name_a) <= 53 and len(name_b) <= 53  # Helm's release-name limit
    assert name_a != name_b
    assert name_a.endswith("-" + hashlib.sha256(long_a.encode()).hexdigest()[:6])
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name_a)
    assert application_name(long_a) == name_a  # stable: the tree does not churn


@pytest.mark.parametrize(
    ("intrinsic", "key"),
    [
        ({"Ref": "KarpenterInterruptionQueue5E4495D7"}, "KarpenterInterruptionQueue5E4495D7"),
        ({"Fn::GetAtt": ["Queue", "Arn"]}, "Queue.Arn"),
        ({"Fn::GetAtt": ["Db", "Endpoint.Address"]}, "Db.Endpoint.Address"),
        ({"Ref": "AWS::Region"}, "AWS-Region"),
    ],
)
def test_value_key_of_a_ref_or_getatt_names_it(intrinsic: dict[str, Any], key: str) -> None:
    assert value_key(intrinsic) == key


def test_value_key_of_a_join_is_its_first_logical_id_and_a_hash() -> None:
    join = {"Fn::Join": ["", ["https://", {"Fn::GetAtt": ["Lb", "DnsName"]}, "/", {"Ref": "Q"}]]}
    digest = hashlib.sha256(json.dumps(join, sort_keys=True).encode()).hexdigest()[:8]
    assert value_key(join) == f"Lb-{digest}"
    other = {"Fn::Join": ["", ["http://", {"Fn::GetAtt": ["Lb", "DnsName"]}]]}
    assert value_key(other).startswith("Lb-") and value_key(other) != value_key(join)
    literal_only = {"Fn::Join": ["-", ["a", "b"]]}
    assert value_key(literal_only).startswith("value-")


def test_value_key_longer_than_63_characters_is_cut_with_a_hash() -> None:
    logical_id = "Platform" + "VeryLongConstructName" * 4 + "Role1234ABCD"
    key = value_key({"Fn::GetAtt": [logical_id, "Arn"]})
    assert len(key) <= 63
    assert ANNOTATION_NAME.match(key), key
    assert key.startswith(logical_id[:40])
    assert key != value_key({"Fn::GetAtt": [logical_id, "RoleId"]})


def test_every_value_key_is_an_annotation_name(rendered: dict[str, Any]) -> None:
    result: Rendered = rendered["result"]
    assert result.values
    for annotation in result.values:
        assert annotation.startswith(VALUE_ANNOTATION)
        assert ANNOTATION_NAME.match(annotation.removeprefix(VALUE_ANNOTATION)), annotation


def test_two_values_of_one_key_are_told_apart() -> None:
    result = Rendered()
    values = _Values(result, {})
    first = {"Fn::GetAtt": ["Db", "Endpoint.Address"]}
    second = {"Fn::GetAtt": ["Db.Endpoint", "Address"]}  # the same key, "Db.Endpoint.Address"
    assert value_key(first) == value_key(second)
    key_first, key_second = values.key(first), values.key(second)
    assert key_first == "Db.Endpoint.Address"
    assert key_second != key_first and ANNOTATION_NAME.match(key_second)
    assert result.values == {
        VALUE_ANNOTATION + key_first: first,
        VALUE_ANNOTATION + key_second: second,
    }
    # Asked again, each keeps its key.
    assert (values.key(first), values.key(second)) == (key_first, key_second)


@pytest.mark.parametrize(
    ("repository", "chart", "repo_url"),
    [
        ("oci://public.ecr.aws/karpenter/karpenter", "karpenter", "public.ecr.aws/karpenter"),
        # Ends with the chart's name: the chart itself, as the layer handler reads it too.
        ("oci://public.ecr.aws/karpenter", "karpenter", "public.ecr.aws"),
        ("oci://public.ecr.aws/charts", "karpenter", "public.ecr.aws/charts"),
        ("oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/charts/", "app",
         "123456789012.dkr.ecr.eu-west-1.amazonaws.com/charts"),
        ("oci://registry.example.com/team/app-extra", "app", "registry.example.com/team/app-extra"),
        ("https://kyverno.github.io/kyverno/", "kyverno", "https://kyverno.github.io/kyverno/"),
        ("https://aws.github.io/eks-charts", "aws-load-balancer-controller",
         "https://aws.github.io/eks-charts"),
    ],
)  # fmt: skip
def test_helm_repository_in_argo_cds_form(repository: str, chart: str, repo_url: str) -> None:
    assert _helm_repository(repository, chart) == repo_url
    if repository.startswith("oci://"):
        # Argo CD pulls <repoURL>/<chart>: the reference the layer handler installs.
        layered = Chart(
            chart=chart, repository=repository, version="1.0.0", release=chart,
            namespace="x", create_namespace=False, values=None, wait=False, timeout_s=60,
            skip_crds=False,
        )  # fmt: skip
        assert f"oci://{repo_url}/{chart}" == layered.chart_ref


def test_dump_quotes_what_go_yaml_would_not_read_as_a_string() -> None:
    """Argo CD and Helm read the tree with Go's YAML, whose YAML 1.1 takes y/n for booleans
    and 1e3 for a number, where PyYAML writes them plain (tests/gitops/test_tree.py runs
    Helm over them)."""
    text = dump({"y": "n", "e": "1e3", "f": "-1.5e3", "word": "abc", "n": 1, "yes": "Yes"})
    assert text == "'y': 'n'\ne: '1e3'\nf: '-1.5e3'\nword: abc\n'n': 1\n'yes': 'Yes'\n"
    assert yaml.safe_load(text) == {"y": "n", "e": "1e3", "f": "-1.5e3", "word": "abc", "n": 1,
                                    "yes": "Yes"}  # fmt: skip


# -- what the tree holds ---------------------------------------------------------------------


def test_the_tree_has_an_application_set_per_item_and_a_chart_per_manifest(
    rendered: dict[str, Any],
) -> None:
    result: Rendered = rendered["result"]
    assert sorted(result.files) == [
        "applicationsets/apps-chart.yaml",
        "applicationsets/apps-config.yaml",
        "applicationsets/apps-public.yaml",
        "manifests/apps-config/Chart.yaml",
        "manifests/apps-config/templates/objects.yaml",
        "manifests/apps-config/values.yaml",
    ]
    assert result.applications == {
        "apps-chart": "Apps/Chart",
        "apps-config": "Apps/Config",
        "apps-public": "Apps/Public",
    }
    assert result.files["manifests/apps-config/templates/objects.yaml"] == OBJECTS_TEMPLATE
    assert yaml.safe_load(result.files["manifests/apps-config/Chart.yaml"]) == {
        "apiVersion": "v2",
        "name": "apps-config",
        "description": "The Kubernetes objects of Apps/Config, rendered by eks_blueprint "
        "(make gitops); do not edit.",
        "type": "application",
        "version": "1.0.0",
    }
    # The AppProject allows exactly the repositories the charts come from (Argo CD's form).
    assert result.chart_repositories == ["public.ecr.aws/example", "https://charts.example.com"]
    # tree_of: the same files below the target's path.
    assert tree_of(delivery(rendered["plane"])) == {
        f"gitops/dev/{path}": text for path, text in result.files.items()
    }
    assert render(delivery(rendered["plane"])) is result  # rendered once


def test_application_sets_select_the_cluster_by_its_label(rendered: dict[str, Any]) -> None:
    docs = _docs(rendered)
    waves = {"apps-chart": "2", "apps-config": "2", "apps-public": "3"}
    for name, wave in waves.items():
        document = docs[f"applicationsets/{name}.yaml"]
        assert unexpected_keys(document, APPLICATION_SET_KEYS) == [], name
        assert document["metadata"] == {
            "name": name,
            "namespace": "argocd",
            "annotations": {"argocd.argoproj.io/sync-wave": wave},
        }
        spec = document["spec"]
        assert spec["goTemplate"] is True
        assert spec["goTemplateOptions"] == ["missingkey=error"]
        assert spec["generators"] == [
            {"clusters": {"selector": {"matchLabels": {CLUSTER_LABEL: "dev"}}}}
        ]
        assert spec["template"]["spec"]["project"] == "platform"
        assert spec["template"]["spec"]["destination"]["name"] == "{{ .name }}"


def test_a_chart_application(rendered: dict[str, Any]) -> None:
    document = _docs(rendered)["applicationsets/apps-chart.yaml"]
    template = document["spec"]["template"]
    assert template["metadata"]["annotations"] == {
        "eks-blueprint.io/item": "Apps/Chart",
        "eks-blueprint.io/layer": "platform",
    }
    source = template["spec"]["source"]
    assert {k: v for k, v in source.items() if k != "helm"} == {
        "repoURL": "public.ecr.aws/example",
        "chart": "app",
        "targetRevision": "1.2.3",
    }
    assert source["helm"]["releaseName"] == "app"
    assert source["helm"]["skipCrds"] is True
    assert template["spec"]["destination"] == {"name": "{{ .name }}", "namespace": "team-a"}
    assert template["spec"]["syncPolicy"]["syncOptions"] == [
        "CreateNamespace=true",
        "ServerSideApply=true",
    ]
    public = _docs(rendered)["applicationsets/apps-public.yaml"]["spec"]["template"]["spec"]
    assert public["source"]["helm"] == {"releaseName": "public"}  # no values, no skipCrds
    assert public["syncPolicy"]["syncOptions"] == ["ServerSideApply=true"]


def test_chart_values_read_cloudformation_values_from_the_cluster_annotations(
    rendered: dict[str, Any],
) -> None:
    result: Rendered = rendered["result"]
    queue: cdk.CfnResource = rendered["queue"]
    values = _docs(rendered)["applicationsets/apps-chart.yaml"]["spec"]["template"]["spec"][
        "source"
    ]["helm"]["valuesObject"]

    def read(key: str) -> str:
        return f'{{{{ index .metadata.annotations "{VALUE_ANNOTATION}{key}" }}}}'

    logical_id = rendered["stack"].get_logical_id(queue)
    join_key = next(k for k in result.values if k.startswith(f"{VALUE_ANNOTATION}{logical_id}-"))
    assert values["queue"] == read(logical_id)
    assert values["arn"] == read(f"{logical_id}.Arn")
    assert values["url"] == read(join_key.removeprefix(VALUE_ANNOTATION))  # one key, whole
    assert values["list"] == [read(logical_id), 3, True]
    # The cluster's name is literal in the props: written as it is, no annotation.
    assert values["cluster"] == "team"
    assert result.values == {
        f"{VALUE_ANNOTATION}{logical_id}": {"Ref": logical_id},
        f"{VALUE_ANNOTATION}{logical_id}.Arn": {"Fn::GetAtt": [logical_id, "Arn"]},
        join_key: {"Fn::Join": ["", ["https://", {"Ref": logical_id}, ".example.com"]]},
    }


def test_literal_braces_in_chart_values_survive_the_go_template(
    rendered: dict[str, Any],
) -> None:
    """Kyverno's (and Helm's) ``{{`` in a chart value is escaped for the ApplicationSet's Go
    template, as a value and as a key; the generated Application has the original text."""
    result: Rendered = rendered["result"]
    document = _docs(rendered)["applicationsets/apps-chart.yaml"]
    values = document["spec"]["template"]["spec"]["source"]["helm"]["valuesObject"]
    assert values["rule"] == '{{ "{{" }} request.object.metadata.name }}'
    assert values['{{ "{{" }} request.object.metadata.name }}'] == "as a key"
    annotations = _annotations(result)
    application = generate(document, "in-cluster", annotations)
    generated = application["spec"]["source"]["helm"]["valuesObject"]
    assert generated["rule"] == KYVERNO
    assert generated[KYVERNO] == "as a key"
    assert generated["cluster"] == "team"
    logical_id = rendered["stack"].get_logical_id(rendered["queue"])
    assert generated["queue"] == f"{logical_id}-value"
    assert application["spec"]["destination"] == {"name": "in-cluster", "namespace": "team-a"}
    assert unexpected_keys(application, APPLICATION_KEYS) == []


def test_manifest_values_hold_whole_placeholders(rendered: dict[str, Any]) -> None:
    """A manifest's CloudFormation values are placeholders, each a whole scalar (a Join is
    one value); its text is not a Go template (Helm does not evaluate values), so ``{{``
    stays as it is; an all-digit string stays a string."""
    docs = _docs(rendered)
    values = docs["manifests/apps-config/values.yaml"]
    assert values["aws"] == {}
    (config,) = values["objects"]
    logical_id = rendered["stack"].get_logical_id(rendered["queue"])
    data = config["data"]
    assert data["queue"] == f"__AWS_{logical_id}__"
    assert re.fullmatch(rf"__AWS_{logical_id}-[0-9a-f]{{8}}__", data["url"])
    assert data["cluster"] == "team"
    assert data["rule"] == KYVERNO
    assert data["digits"] == "0123"
    # The ApplicationSet passes exactly the values the placeholders name.
    document = docs["applicationsets/apps-config.yaml"]
    source = document["spec"]["template"]["spec"]["source"]
    assert source == {
        "repoURL": REPOSITORY,
        "targetRevision": "main",
        "path": "gitops/dev/manifests/apps-config",
        "helm": {
            "releaseName": "apps-config",
            "valuesObject": {
                "aws": {
                    key: f'{{{{ index .metadata.annotations "{VALUE_ANNOTATION}{key}" }}}}'
                    for key in sorted(
                        [logical_id, data["url"].removeprefix("__AWS_").removesuffix("__")]
                    )
                }
            },
        },
    }
    assert "namespace" not in document["spec"]["template"]["spec"]["destination"]
    assert document["spec"]["template"]["spec"]["syncPolicy"]["syncOptions"] == [
        "ServerSideApply=true",
        "SkipDryRunOnMissingResource=true",
    ]


def test_what_an_item_needs_is_recorded_on_its_application(rendered: dict[str, Any]) -> None:
    annotations = _docs(rendered)["applicationsets/apps-config.yaml"]["spec"]["template"][
        "metadata"
    ]["annotations"]
    assert annotations["eks-blueprint.io/after"] == "apps-chart"


def test_the_rendered_application_sets_pass_the_argo_cd_schema(rendered: dict[str, Any]) -> None:
    result: Rendered = rendered["result"]
    documents = [d for p, d in _docs(rendered).items() if p.startswith("applicationsets/")]
    applications = [generate(d, "in-cluster", _annotations(result)) for d in documents]
    checked = validate(documents + applications)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"{2 * len(documents)} objects pass" in checked.stdout


def test_a_broken_application_fails_the_schema_with_its_path(rendered: dict[str, Any]) -> None:
    document = json.loads(json.dumps(_docs(rendered)["applicationsets/apps-public.yaml"]))
    document["metadata"]["name"] = "broken"
    document["spec"]["template"]["spec"]["syncPolicy"]["automated"]["prune"] = "yes"
    document["spec"]["generators"] = {"clusters": {}}
    checked = validate([document])
    assert checked.returncode == 1
    assert "stdin: ApplicationSet/broken: /spec/generators: must be array" in checked.stdout
    assert "/spec/template/spec/syncPolicy/automated/prune: must be boolean" in checked.stdout
    assert "1 of 1 objects failed" in checked.stdout


def test_the_validator_reads_files_and_names_them(rendered: dict[str, Any], tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_docs(rendered)["applicationsets/apps-chart.yaml"]))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
                                "metadata": {"name": "p"}, "spec": {"sourceRepos": "x"}},
                               {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}]))  # fmt: skip
    if not NODE.exists():
        pytest.skip(f"no node at {NODE}")
    checked = subprocess.run(
        [str(NODE), str(SCRIPT), str(good), str(bad)],
        capture_output=True, text=True, cwd=ROOT, check=False, timeout=120,
    )  # fmt: skip
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert checked.stdout.splitlines() == [
        f"{bad}: AppProject/p: /spec/sourceRepos: must be array",
        f"{bad}: Secret/s: no schema for apiVersion v1 kind Secret",
        "2 of 3 objects failed the Argo CD CRD schema",
    ]
    unusable = subprocess.run(
        [str(NODE), str(SCRIPT)], input="not json", capture_output=True, text=True, cwd=ROOT,
        check=False, timeout=120,
    )  # fmt: skip
    assert unusable.returncode == 2 and "stdin: not JSON" in unusable.stderr


def test_only_the_bootstrap_is_in_the_layer(rendered: dict[str, Any]) -> None:
    """The charts and the manifest are not in the template: the one layer holds the
    bootstrap (project, cluster registration, root Application), nothing else."""
    template = rendered["app"].synth().get_stack_by_name("Team").template
    layers = resources_of(template, LAYER_TYPE)
    assert len(layers) == 1
    (resource,) = layers.values()
    assert resource["Properties"]["Layer"] == "foundation"
    assert [(i.id, i.type) for i in layer_items(template["Resources"])] == [
        ("Eks/Kubernetes/GitOps", "manifest")
    ]
    assert root_application_name(TARGET) == "dev-root"
    assert [d.node.path for d in gitops_deliveries(rendered["stack"])] == ["Team/Eks/Kubernetes"]


def test_what_a_construct_above_an_item_depends_on_orders_it_without_a_synth() -> None:
    """``make gitops`` renders without a synth (where an aspect collects what constructs
    were made to depend on): the order is in the tree all the same."""
    _, stack, plane = gitops_cluster()
    first = apply_manifest(
        stack, "First", plane.icluster, [config_map("a", {})], layer=Layer.PLATFORM
    )
    later = Construct(stack, "Later")
    apply_manifest(later, "Objects", plane.icluster, [config_map("b", {})], layer=Layer.PLATFORM)
    later.node.add_dependency(first)
    text = render(delivery(plane)).files["applicationsets/later-objects.yaml"]
    annotations = yaml.safe_load(text)["spec"]["template"]["metadata"]["annotations"]
    assert annotations["eks-blueprint.io/after"] == "first"


def test_a_value_of_another_stack_is_imported_by_the_bootstrap() -> None:
    """The cluster Secret's annotation of another stack's value is an import in the
    cluster's stack (the tree names it by the producer's logical id, as ``make gitops``
    does without a synth)."""
    app = cdk.App(
        context={availability_zones_context_key(str(TEST_ENV.account), str(TEST_ENV.region)): ZONES}
    )
    shared = cdk.Stack(app, "Shared", env=TEST_ENV)
    queue = cdk.CfnResource(shared, "Queue", type="AWS::SQS::Queue")
    _, stack, plane = gitops_cluster(app=app)
    apply_manifest(
        stack,
        "Config",
        plane.icluster,
        [config_map("a", {"queue": queue.ref})],
        layer=Layer.PLATFORM,
    )
    logical_id = shared.get_logical_id(queue)
    annotation = f"{VALUE_ANNOTATION}{logical_id}"
    assert render(delivery(plane)).values == {annotation: {"Ref": logical_id}}
    template = app.synth().get_stack_by_name("Team").template
    (item,) = layer_items(template["Resources"])
    parts = item.properties["Manifest"]["Fn::Join"][1]
    text = "".join(p if isinstance(p, str) else json.dumps(p).replace('"', "'") for p in parts)
    imported = json.loads(text)[1]["metadata"]["annotations"][annotation]
    assert imported.startswith("{'Fn::ImportValue': 'Shared:ExportsOutputRef"), imported


# -- trees() and write_tree -------------------------------------------------------------------


def test_trees_of_the_app_are_the_deliveries_trees(rendered: dict[str, Any]) -> None:
    assert trees(rendered["app"]) == {"gitops/dev": tree_of(delivery(rendered["plane"]))}


def test_two_deliveries_may_not_share_a_tree() -> None:
    app, _, plane = gitops_cluster()
    gitops_cluster(stack_name="Other", app=app)
    apply_manifest(plane, "Config", plane.icluster, [config_map("a", {})], layer=Layer.PLATFORM)
    with pytest.raises(ValueError, match="two GitOps deliveries write gitops/dev"):
        trees(app)


def test_write_tree_writes_the_files_and_removes_the_rest(tmp_path: Path) -> None:
    (tmp_path / "gitops/dev/manifests/gone/templates").mkdir(parents=True)
    (tmp_path / "gitops/dev/manifests/gone/templates/objects.yaml").write_text("old")
    (tmp_path / "gitops/dev/applicationsets").mkdir(parents=True)
    (tmp_path / "gitops/dev/applicationsets/kept.yaml").write_text("old")
    (tmp_path / "gitops/prod").mkdir(parents=True)
    (tmp_path / "gitops/prod/other.yaml").write_text("another environment's")
    files = {
        "gitops/dev/applicationsets/kept.yaml": "new",
        "gitops/dev/applicationsets/added.yaml": "added",
    }
    assert write_tree(tmp_path, files, "gitops/dev") == sorted(files)
    found = {
        p.relative_to(tmp_path).as_posix(): p.read_text()
        for p in tmp_path.rglob("*")
        if p.is_file()
    }
    assert found == {**files, "gitops/prod/other.yaml": "another environment's"}
    assert not (tmp_path / "gitops/dev/manifests").exists()  # empty directories go too


# -- refusals -----------------------------------------------------------------------------------


def test_a_patch_is_refused_with_the_fix() -> None:
    _, stack, plane = gitops_cluster()
    with pytest.raises(PropError) as caught:
        patch_object(
            stack,
            "Patch",
            plane.icluster,
            layer=Layer.PLATFORM,
            resource_name="configmap/aws-auth",
            namespace="kube-system",
            apply_patch={"data": {"a": "b"}},
            restore_patch={"data": {"a": None}},
        )
    message = str(caught.value)
    assert message.startswith("Team/Patch: delivery = 'gitops': ")
    assert "two Applications would own the object" in message
    assert "chart values" in message and "kubectl layers" in message


def test_more_objects_than_an_application_holds_are_refused() -> None:
    _, stack, plane = gitops_cluster()
    many = [config_map(f"c{i}", {}) for i in range(MAX_OBJECTS_PER_APPLICATION)]
    apply_manifest(stack, "Fits", plane.icluster, many, layer=Layer.PLATFORM)
    # Refused when it is made, not when the template is written (a jsii trace there).
    with pytest.raises(PropError) as caught:
        apply_manifest(
            stack, "TooMany", plane.icluster, [*many, config_map("one-more", {})],
            layer=Layer.PLATFORM,
        )
    message = str(caught.value)
    assert message.startswith("Team/TooMany: objects = '151 objects': ")
    assert f"at most {MAX_OBJECTS_PER_APPLICATION}: split the manifest" in message


def test_two_items_of_one_application_name_are_refused() -> None:
    _, stack, plane = gitops_cluster()
    apply_manifest(
        Construct(stack, "Team"),
        "Config",
        plane.icluster,
        [config_map("a", {})],
        layer=Layer.PLATFORM,
    )
    with pytest.raises(PropError) as caught:
        apply_manifest(
            stack, "Team-Config", plane.icluster, [config_map("b", {})], layer=Layer.PLATFORM
        )
    assert str(caught.value) == (
        "Team/Team-Config: id = 'Team-Config': its Application name 'team-config' is also "
        "Team/Config's; give one of the constructs another id"
    )


def test_an_item_named_like_the_root_application_is_refused() -> None:
    _, stack, plane = gitops_cluster()
    root = root_application_name(delivery(plane).gitops)  # type: ignore[arg-type]
    with pytest.raises(PropError) as caught:
        apply_manifest(stack, root, plane.icluster, [config_map("a", {})], layer=Layer.PLATFORM)
    assert "is also the root Application's" in str(caught.value)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "Dev"}, "gitops.name"),
        ({"name": "-dev"}, "gitops.name"),
        ({"repository": "github.com/example/platform"}, "gitops.repository"),
        ({"repository": "https://github.com/example/my platform.git"}, "gitops.repository"),
        ({"repository": "ftp://example.com/platform.git"}, "gitops.repository"),
        ({"path": "/gitops/dev"}, "gitops.path"),
        ({"path": "gitops/dev/"}, "gitops.path"),
        ({"path": "gitops/../dev"}, "gitops.path"),
        ({"path": ""}, "gitops.path"),
        ({"revision": ""}, "gitops.revision"),
        ({"revision": "main branch"}, "gitops.revision"),
        ({"namespace": "Argo_CD"}, "gitops.namespace"),
        ({"project": "x" * 64}, "gitops.project"),
        ({"cluster_secret": "in.cluster"}, "gitops.cluster_secret"),
    ],
)
def test_a_bad_target_is_refused_naming_its_field(changes: dict[str, str], field: str) -> None:
    fields = {"name": "dev", "repository": REPOSITORY, "path": "gitops/dev", **changes}
    target = GitOpsTarget(**fields)
    with pytest.raises(PropError) as caught:
        target.check("Team/Eks/Kubernetes")
    assert caught.value.path == "Team/Eks/Kubernetes"
    assert caught.value.prop == field
    assert str(caught.value).startswith(f"Team/Eks/Kubernetes: {field} = ")


@pytest.mark.parametrize(
    "repository",
    [
        REPOSITORY,
        "git@github.com:example/platform.git",
        "ssh://git@example.com/platform.git",
        "https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/platform",
    ],
)
def test_good_targets_pass(repository: str) -> None:
    GitOpsTarget(name="dev", repository=repository, path="gitops/dev").check("Here")


def test_a_bad_target_is_refused_when_the_control_plane_is_built() -> None:
    bad = GitOpsTarget(name="dev", repository="nope", path="gitops/dev")
    with pytest.raises(PropError, match=r"^Team/Eks/Kubernetes: gitops.repository = 'nope': "):
        gitops_cluster(bad)


def test_control_plane_refuses_gitops_without_its_kubernetes_layers() -> None:
    app = cdk.App(
        context={availability_zones_context_key(str(TEST_ENV.account), str(TEST_ENV.region)): ZONES}
    )
    stack = cdk.Stack(app, "Team", env=TEST_ENV)
    network = Network(stack, "Net", props=NetworkProps(availability_zones=ZONES))
    with pytest.raises(PropError) as caught:
        ControlPlane(
            stack,
            "Eks",
            props=ControlPlaneProps(
                cluster_name="team",
                version="1.34",
                vpc=network.vpc,
                kubectl_provider=False,
                gitops=TARGET,
            ),
        )
    message = str(caught.value)
    assert message.startswith("Team/Eks: ControlPlaneProps.gitops = ")
    assert "set kubectl_provider=True, or gitops=None" in message


IDC = "arn:aws:sso:::instance/ssoins-0123456789abcdef"


def test_the_argocd_capability_orders_the_bootstrap_after_itself() -> None:
    """A library user wires nothing: the capability makes the bootstrap (and so the one
    layer) wait for itself and for its deploy rights."""
    _, stack, plane = gitops_cluster()
    argocd = ArgoCdCapability(stack, "ArgoCd", props=ArgoCdCapabilityProps(
        cluster=plane.icluster, identity_center_instance_arn=IDC,
        admins=ArgoCdIdentities(groups=["11111111-1111-1111-1111-111111111111"]),
    ))
    template = cdk.assertions.Template.from_stack(stack).to_json()
    (layer,) = resources_of(template, LAYER_TYPE).values()
    assert stack.get_logical_id(argocd.capability) in layer["DependsOn"]
    items = {i["Id"]: i for i in layer["Properties"]["Items"]}
    assert items["Eks/Kubernetes/GitOps"]["After"] == ["ArgoCd/ClusterAccess"]


def test_an_argocd_namespace_other_than_the_targets_is_refused() -> None:
    _, stack, plane = gitops_cluster()
    with pytest.raises(PropError) as caught:
        ArgoCdCapability(stack, "ArgoCd", props=ArgoCdCapabilityProps(
            cluster=plane.icluster, identity_center_instance_arn=IDC, namespace="gitops",
        ))
    assert str(caught.value) == (
        "Team/ArgoCd: ArgoCdCapabilityProps.namespace = 'gitops': the cluster's GitOps "
        "delivery applies its bootstrap into 'argocd' (GitOpsTarget.namespace); use the same "
        "namespace in both"
    )
