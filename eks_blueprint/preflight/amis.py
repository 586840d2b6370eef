"""The AMIs an environment launches, and the check that the region publishes them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial
from typing import Literal

from ..checkrun import Run, guard
from ..config import EnvironmentConfig
from ..config.compute import AMI_TYPES, ami_architecture
from ..config.self_managed import optimized_ami_parameter
from ..validation import instance_architecture
from .context import Context

#: Karpenter `kubernetes.io/arch` values -> the architecture in the public SSM paths.
SSM_ARCH = {"amd64": "x86_64", "arm64": "arm64"}
#: GetParameters takes at most 10 names per call.
SSM_BATCH = 10
#: The AMI variants this project launches: general-purpose, or NVIDIA GPU.
AmiVariant = Literal["standard", "nvidia"]


def ami_parameter(
    alias: str, kubernetes_version: str, arch: str, variant: AmiVariant = "standard"
) -> str:
    """The public SSM parameter holding the AMI id of a Karpenter `ami_alias` for one
    Kubernetes version and architecture (x86_64 or arm64), as Karpenter resolves it:

    - al2023@vYYYYMMDD -> /aws/service/eks/optimized-ami/<k8s>/amazon-linux-2023/<arch>/
      standard/amazon-eks-node-al2023-<arch>-standard-<k8s>-vYYYYMMDD/image_id
      (@latest: .../standard/recommended/image_id);
    - bottlerocket@vX.Y.Z -> /aws/service/bottlerocket/aws-k8s-<k8s>/<arch>/X.Y.Z/image_id
      (the SSM path has no `v`; @latest: .../latest/image_id).

    Sources: the release-specific paths are those Karpenter's AMI alias resolvers query,
    in github.com/aws/karpenter-provider-aws, pkg/providers/amifamily/al2023.go
    (`AL2023.resolvePath`: `recommended` for @latest, else
    `amazon-eks-node-al2023-<arch>-<variant>-<k8s>-<version>`) and
    pkg/providers/amifamily/bottlerocket.go (`Bottlerocket.DescribeImageQuery`: the version
    with its leading `v` trimmed); see also Karpenter, "NodeClasses", amiSelectorTerms alias
    (https://karpenter.sh/docs/concepts/nodeclasses/). The Amazon EKS User Guide pages
    "Retrieve recommended Amazon Linux AMI IDs" and "... Bottlerocket AMI IDs" document
    only the `recommended` and `latest` paths.

    `variant="nvidia"`: the NVIDIA AMI the same alias resolves to on a GPU instance type
    (Karpenter's al2023 resolver queries the `nvidia` variant next to `standard`; its
    Bottlerocket resolver the `aws-k8s-<k8s>-nvidia` variant), which the EKS User Guide
    publishes under the same path scheme (ml-eks-optimized-ami).
    """
    family, _, version = alias.partition("@")
    if family == "al2023":
        release = (
            "recommended"
            if version == "latest"
            else f"amazon-eks-node-al2023-{arch}-{variant}-{kubernetes_version}-{version}"
        )
        return (
            f"/aws/service/eks/optimized-ami/{kubernetes_version}/amazon-linux-2023/{arch}/"
            f"{variant}/{release}/image_id"
        )
    if family == "bottlerocket":
        release = "latest" if version == "latest" else version.removeprefix("v")
        flavour = f"aws-k8s-{kubernetes_version}" + ("-nvidia" if variant == "nvidia" else "")
        return f"/aws/service/bottlerocket/{flavour}/{arch}/{release}/image_id"
    raise ValueError(f"unknown AMI alias family in {alias!r}")


def windows_ami_parameter(ami_type: str, kubernetes_version: str) -> str:
    """The public SSM parameter of the EKS-optimised Windows Server AMI of a config AMI type
    (`windows_core_2022`, `windows_full_2022`): EKS User Guide, "Retrieve recommended
    Microsoft Windows AMI IDs" (`/aws/service/ami-windows-latest/Windows_Server-2022-
    English-Core-EKS_Optimized-<k8s>/image_id`)."""
    edition = {"windows_core_2022": "Core", "windows_full_2022": "Full"}[ami_type]
    return (
        "/aws/service/ami-windows-latest/"
        f"Windows_Server-2022-English-{edition}-EKS_Optimized-{kubernetes_version}/image_id"
    )


def node_group_ami_parameter(ami_type: str, kubernetes_version: str) -> str:
    """The recommended release's SSM parameter of a managed node group's config AMI type."""
    if ami_type.startswith("windows"):
        return windows_ami_parameter(ami_type, kubernetes_version)
    family = "al2023" if ami_type.startswith("al2023") else "bottlerocket"
    variant: AmiVariant = "nvidia" if ami_type.endswith("_nvidia") else "standard"
    return ami_parameter(
        f"{family}@latest", kubernetes_version, ami_architecture(ami_type), variant
    )


def planned_amis(cfg: EnvironmentConfig) -> list[tuple[str, str, str]]:
    """(report row, what is expected, SSM parameter) for every AMI the environment launches:
    each Karpenter node class's alias for each architecture its node pools allow (and its
    NVIDIA variant where a GPU pool uses the class), the recommended release of each managed
    node group's AMI type (EKS picks the release; the config pins none, so the check is that
    EKS publishes that AMI type for this version), and the EKS-optimised AMI of each
    self-managed group without an `ami.id` (its pinned release, or the recommended one)."""
    k8s = cfg.cluster.version
    rows: list[tuple[str, str, str]] = []
    karpenter = cfg.compute.karpenter
    pools = karpenter.node_pools if karpenter is not None else []
    for node_class in karpenter.node_classes if karpenter is not None else []:
        archs = {a for p in pools if p.node_class == node_class.name for a in p.architectures}
        for arch in sorted(archs):
            rows.append(
                (
                    f"AMI {node_class.ami_alias} {arch} (node class {node_class.name})",
                    f"published for Kubernetes {k8s}",
                    ami_parameter(node_class.ami_alias, k8s, SSM_ARCH[arch]),
                )
            )
        gpu_archs = {
            a
            for p in pools
            if p.node_class == node_class.name and p.accelerator == "nvidia"
            for a in p.architectures
        }
        for arch in sorted(gpu_archs):
            rows.append(
                (
                    f"AMI {node_class.ami_alias} {arch} NVIDIA (node class {node_class.name})",
                    f"published for Kubernetes {k8s}",
                    ami_parameter(node_class.ami_alias, k8s, SSM_ARCH[arch], "nvidia"),
                )
            )
    for group in cfg.compute.node_groups:
        rows.append(
            (
                f"AMI of node group {group.name} ({AMI_TYPES[group.ami_type]})",
                f"recommended release for Kubernetes {k8s}",
                node_group_ami_parameter(group.ami_type, k8s),
            )
        )
    for own in cfg.compute.self_managed_node_groups:
        if own.ami.id is not None:
            continue  # a custom AMI: the account's own, not a public parameter
        machine = own.ami.architecture or instance_architecture(own.instance_types[0])
        rows.append(
            (
                f"AMI of self-managed group {own.name} ({own.ami.family})",
                f"release {own.ami.release} for Kubernetes {k8s}"
                if own.ami.release
                else f"recommended release for Kubernetes {k8s}",
                optimized_ami_parameter(own.ami.family, k8s, machine, own.ami.release),
            )
        )
    return rows


def _batches(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def check_amis(run: Run, ctx: Context) -> None:
    """8. Every AMI the environment launches is published in the region: the pinned
    Karpenter aliases (al2023@vYYYYMMDD, bottlerocket@vX.Y.Z) for the cluster's Kubernetes
    version and each architecture their node pools allow, `@latest` aliases' recommended
    releases, and the managed node groups' AMI types, through the public SSM parameters."""
    rows = planned_amis(ctx.cfg)
    if not rows:
        run.skip("AMIs", "no Karpenter node classes or managed node groups")
        return
    names = sorted({parameter for _, _, parameter in rows})
    found: dict[str, str] = {}
    for batch in _batches(names, SSM_BATCH):
        answer = guard(partial(ctx.ssm.get_parameters, Names=list(batch)))
        found.update({str(p["Name"]): str(p["Value"]) for p in answer.get("Parameters") or []})
    for check, expected, parameter in rows:
        image = found.get(parameter)
        run.add(check, expected, image or f"not published: {parameter}", image is not None)
