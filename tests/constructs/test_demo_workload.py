"""DemoWorkload: one manifest from explicit props, and refusals naming the prop."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from eks_blueprint.workloads.demo import DemoWorkload, DemoWorkloadProps

from .clusters import imported, refused, stack, template_of

MANIFEST = "Custom::AWSCDK-EKS-KubernetesResource"
IMAGE = "public.ecr.aws/y7c9e1d2/joozero-repo:1.0"
CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/abc-123"


@pytest.fixture(scope="module")
def template() -> Template:
    return template_of(
        lambda scope: DemoWorkload(
            scope,
            "Demo",
            props=DemoWorkloadProps(
                cluster=imported(scope),
                image=IMAGE,
                scheme="internet-facing",
                inbound_cidrs=("203.0.113.0/24",),
                certificate_arn=CERT,
                platforms=("arm64",),
            ),
        )
    )


def test_one_pruned_manifest_holds_the_whole_app(template: Template) -> None:
    template.resource_count_is(MANIFEST, 1)
    template.has_resource_properties(
        MANIFEST,
        {"ClusterName": "platform", "Manifest": Match.string_like_regexp('"kind":"Ingress"')},
    )


def test_props_reach_the_objects(template: Template) -> None:
    (resource,) = template.find_resources(MANIFEST).values()
    docs = {d["kind"]: d for d in json.loads(resource["Properties"]["Manifest"])}
    pod = docs["Deployment"]["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"kubernetes.io/arch": "arm64"}
    assert docs["Deployment"]["spec"]["replicas"] == 3  # the default
    annotations = docs["Ingress"]["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/certificate-arn"] == CERT
    assert annotations["alb.ingress.kubernetes.io/inbound-cidrs"] == "203.0.113.0/24"
    assert docs["HorizontalPodAutoscaler"]["spec"]["maxReplicas"] == 10


def _props(cluster: Any, **changes: Any) -> DemoWorkloadProps:
    return dataclasses.replace(DemoWorkloadProps(cluster=cluster, image=IMAGE), **changes)


@pytest.mark.parametrize(
    ("changes", "prop", "fragment"),
    [
        ({"image": "Not An Image"}, "image", "not an image reference"),
        ({"namespace": "kube-system"}, "namespace", "belongs to the cluster"),
        ({"namespace": "Demo"}, "namespace", "not a Kubernetes name"),
        ({"replicas": 0}, "replicas", "must be 1 to 100"),
        ({"max_replicas": 1001}, "max_replicas", "must be 1 to 1000"),
        ({"target_cpu_utilization": 5}, "target_cpu_utilization", "must be 10 to 100"),
        ({"replicas": 5, "max_replicas": 4}, "replicas", "more than max_replicas (4)"),
        ({"scheme": "public"}, "scheme", "not one of internet-facing, internal"),
        (
            {"certificate_arn": "arn:aws:acm:eu-west-1:1:certificate/x"},
            "certificate_arn",
            "not an ACM certificate ARN",
        ),
        ({"platforms": ()}, "platforms", "must list amd64 and/or arm64"),
        ({"platforms": ("x86_64",)}, "platforms[0]", "not one of amd64, arm64"),
        ({"platforms": ("arm64", "arm64")}, "platforms", "listed more than once"),
        ({"inbound_cidrs": ("10.0.0.1/16",)}, "inbound_cidrs[0]", "not a valid IPv4 CIDR"),
        (
            {"inbound_cidrs": ("10.0.0.0/16", "10.0.0.0/16")},
            "inbound_cidrs",
            "listed more than once",
        ),
        ({"scheme": "internet-facing"}, "inbound_cidrs", "the internet-facing ALB would accept"),
        ({"inbound_cidrs": ("0.0.0.0/0",)}, "inbound_cidrs", "set allow_open_ingress=True"),
        (
            {"allow_open_ingress": True, "inbound_cidrs": ("10.0.0.0/16",)},
            "allow_open_ingress",
            "nothing to allow",
        ),
    ],
)
def test_bad_props_are_refused_naming_the_construct_and_prop(
    changes: dict[str, Any], prop: str, fragment: str
) -> None:
    scope = stack()
    props = _props(imported(scope), **changes)
    assert fragment in refused(
        "Platform/Demo", f"DemoWorkloadProps.{prop}", DemoWorkload, scope, "Demo", props=props
    )


def test_the_demo_needs_a_kubectl_provider() -> None:
    scope = stack()
    props = _props(imported(scope, kubectl=False))
    refused("Platform/Demo", "DemoWorkloadProps.cluster", DemoWorkload, scope, "Demo", props=props)
