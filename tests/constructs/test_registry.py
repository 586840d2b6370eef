"""Registry: hardened ECR repositories, enhanced scanning, and refusals naming the prop."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template

from eks_blueprint.registry import EnhancedScanning, Registry, RegistryProps, RepositorySpec

from .clusters import refused, stack, template_of

READER = "arn:aws:iam::444455556666:role/Reader"


@pytest.fixture(scope="module")
def template() -> Template:
    return template_of(
        lambda scope: Registry(
            scope,
            "Registry",
            props=RegistryProps(
                repositories=(
                    RepositorySpec(
                        name="shop/api", keep_images=20, pull_principals=(iam.ArnPrincipal(READER),)
                    ),
                ),
                enhanced_scanning=EnhancedScanning(
                    frequency="CONTINUOUS_SCAN", filters=("shop/*",)
                ),
            ),
        )
    )


def test_repositories_are_immutable_scanned_and_kms_encrypted(template: Template) -> None:
    template.has_resource_properties(
        "AWS::ECR::Repository",
        {
            "RepositoryName": "shop/api",
            "ImageTagMutability": "IMMUTABLE",
            "ImageScanningConfiguration": {"ScanOnPush": True},
            "EncryptionConfiguration": {"EncryptionType": "KMS", "KmsKey": Match.any_value()},
            "LifecyclePolicy": {
                "LifecyclePolicyText": Match.string_like_regexp('"countNumber":20')
            },
            "RepositoryPolicyText": {
                "Statement": [Match.object_like({"Sid": "Pull", "Principal": {"AWS": READER}})],
                "Version": "2012-10-17",
            },
        },
    )
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


def test_the_repository_id_comes_from_its_name(template: Template) -> None:
    (logical_id,) = template.find_resources("AWS::ECR::Repository")
    assert logical_id.startswith("RegistryShopApi")


def test_enhanced_scanning_is_one_registry_rule(template: Template) -> None:
    template.has_resource_properties(
        "AWS::ECR::RegistryScanningConfiguration",
        {
            "ScanType": "ENHANCED",
            "Rules": [
                {
                    "ScanFrequency": "CONTINUOUS_SCAN",
                    "RepositoryFilters": [{"Filter": "shop/*", "FilterType": "WILDCARD"}],
                }
            ],
        },
    )


def test_scanning_alone_needs_no_key() -> None:
    scope = stack()
    Registry(scope, "Registry", props=RegistryProps(enhanced_scanning=EnhancedScanning()))
    template = Template.from_stack(scope)
    template.resource_count_is("AWS::KMS::Key", 0)
    template.has_resource_properties(
        "AWS::ECR::RegistryScanningConfiguration",
        {
            "Rules": [
                {
                    "ScanFrequency": "SCAN_ON_PUSH",
                    "RepositoryFilters": [{"Filter": "*", "FilterType": "WILDCARD"}],
                }
            ]
        },
    )


def _repo(**changes: Any) -> RepositorySpec:
    return RepositorySpec(**{"name": "shop/api", **changes})


@pytest.mark.parametrize(
    ("props", "prop", "fragment"),
    [
        (RegistryProps(), "repositories", "repositories or enhanced_scanning"),
        (
            RegistryProps(repositories=(_repo(name="Shop/API"),)),
            "repositories[0].name",
            "not an ECR repository name",
        ),
        (
            RegistryProps(repositories=(_repo(name="a"),)),
            "repositories[0].name",
            "not an ECR repository name",
        ),
        (
            RegistryProps(repositories=(_repo(), _repo())),
            "repositories[1].name",
            "also the name of repositories[0]",
        ),
        (
            RegistryProps(repositories=(_repo(keep_images=0),)),
            "repositories[0].keep_images",
            "must be 1 to 10000",
        ),
        (
            RegistryProps(repositories=(_repo(untagged_expiry_days=3651),)),
            "repositories[0].untagged_expiry_days",
            "must be 1 to 3650",
        ),
        (
            RegistryProps(enhanced_scanning=EnhancedScanning(frequency="DAILY")),  # type: ignore[arg-type]
            "enhanced_scanning.frequency",
            "not one of CONTINUOUS_SCAN, SCAN_ON_PUSH",
        ),
        (
            RegistryProps(enhanced_scanning=EnhancedScanning(filters=())),
            "enhanced_scanning.filters",
            "give 1 to 100 patterns",
        ),
        (
            RegistryProps(enhanced_scanning=EnhancedScanning(filters=("Shop/*",))),
            "enhanced_scanning.filters[0]",
            "not a repository name pattern",
        ),
    ],
)
def test_bad_props_are_refused_naming_the_construct_and_prop(
    props: RegistryProps, prop: str, fragment: str
) -> None:
    scope = stack()
    assert fragment in refused(
        "Platform/Registry", f"RegistryProps.{prop}", Registry, scope, "Registry", props=props
    )
    assert Template.from_stack(scope).find_resources("AWS::KMS::Key") == {}
