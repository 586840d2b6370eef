"""The AMIs an environment launches, and the check that the region publishes them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial

from ..checkrun import Run, guard
from ..config import EnvironmentConfig
from ..config.compute import AMI_TYPES, ami_architecture
from .context import Context

#: Karpenter `kubernetes.io/arch` values -> the architecture in the public SSM paths.
SSM_ARCH = {"amd64": "x86_64", "arm64": "arm64"}
#: GetParameters takes at most 10 names per call.
SSM_BATCH = 10


def ami_parameter(alias: str, kubernetes_version: str, arch: str) -> str:
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
    """
    family, _, version = alias.partition("@")
    if family == "al2023":
        release = (
            "recommended"
            if version == "latest"
            else f"amazon-eks-node-al2023-{arch}-standard-{kubernetes_version}-{version}"
        )
        return (
            f"/aws/service/eks/optimized-ami/{kubernetes_version}/amazon-linux-2023/{arch}/"
            f"standard/{release}/image_id"
        )
    if family == "bottlerocket":
        release = "latest" if version == "latest" else version.removeprefix("v")
        return f"/aws/service/bottlerocket/aws-k8s-{kubernetes_version}/{arch}/{release}/image_id"
    raise ValueError(f"unknown AMI alias family in {alias!r}")


def planned_amis(cfg: EnvironmentConfig) -> list[tuple[str, str, str]]:
    """(report row, what is expected, SSM parameter) for every AMI the environment launches:
    each Karpenter node class's alias for each architecture its node pools allow, and the
    recommended release of each managed node group's AMI type (EKS picks the release; the
    config pins none, so the check is that EKS publishes that AMI type for this version)."""
    k8s = cfg.cluster.version
    rows: list[tuple[str, str, str]] = []
    karpenter = cfg.compute.karpenter
    pools = karpenter.node_pools if karpenter is not None else []
    for node_class in karpenter.node_classes if karpenter is not None else []:
        archs = {a for p in pools if p.node_class == node_class.name for a in p.architectures}
        for arch in sorted(archs):
            rows.append((
                f"AMI {node_class.ami_alias} {arch} (node class {node_class.name})",
                f"published for Kubernetes {k8s}",
                ami_parameter(node_class.ami_alias, k8s, SSM_ARCH[arch]),
            ))
    for group in cfg.compute.node_groups:
        family = "al2023" if group.ami_type.startswith("al2023") else "bottlerocket"
        rows.append((
            f"AMI of node group {group.name} ({AMI_TYPES[group.ami_type]})",
            f"recommended release for Kubernetes {k8s}",
            ami_parameter(f"{family}@latest", k8s, ami_architecture(group.ami_type)),
        ))
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
