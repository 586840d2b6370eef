"""What verify reads from AWS: read-only clients and the facts the checks judge.

`Facts` makes each read the first time a check asks for it and keeps the answer (or the
error) for the other checks, so a check names only what it needs and the cluster is still
described once. Every call goes through checkrun.guard: credentials AWS does not accept
raise CredentialError (exit code 2); any other error, a missing permission included, is a
botocore ClientError for the check that asked, which turns it into a row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from ..baseline import NODE_GROUP_LABEL
from ..checkrun import ClientError, guard, naming_actions, paginate
from ..template import ClusterFacts
from .expectations import Selector, selector_key

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_eks import EKSClient
    from mypy_boto3_guardduty import GuardDutyClient

T = TypeVar("T")


@dataclass
class Clients:
    """The read-only clients the checks use."""

    eks: EKSClient
    ec2: EC2Client
    guardduty: GuardDutyClient

    @classmethod
    def from_session(cls, session: boto3.Session) -> Clients:
        """Clients whose refused calls name the IAM action they needed."""
        return cls(
            eks=naming_actions(session.client("eks")),
            ec2=naming_actions(session.client("ec2")),
            guardduty=naming_actions(session.client("guardduty")),
        )


def group_name(group: dict[str, Any]) -> str:
    """A deployed node group's config name: its NODE_GROUP_LABEL label, else its EKS name
    (for groups created outside this project with a fixed name)."""
    return str((group.get("labels") or {}).get(NODE_GROUP_LABEL) or group.get("nodegroupName"))


@dataclass
class Facts:
    """The live state of one cluster and its account, read on demand and kept."""

    clients: Clients
    cluster_name: str
    _kept: dict[str, Any] = field(default_factory=dict)

    def _once(self, key: str, read: Callable[[], T]) -> T:
        """`read()` the first time, its answer (or the ClientError it raised) afterwards."""
        if key not in self._kept:
            try:
                self._kept[key] = read()
            except ClientError as exc:
                self._kept[key] = exc
        kept = self._kept[key]
        if isinstance(kept, ClientError):
            raise kept
        answer: T = kept
        return answer

    def cluster(self) -> dict[str, Any]:
        """DescribeCluster's `cluster`."""
        eks = self.clients.eks
        return self._once(
            "cluster",
            lambda: dict(guard(partial(eks.describe_cluster, name=self.cluster_name))["cluster"]),
        )

    def cluster_facts(self) -> ClusterFacts:
        """The cluster as the template model sees it, so the predicates that judge a
        synthesised template judge the live cluster too."""
        return ClusterFacts.from_describe(self.cluster())

    def described(self) -> bool:
        """Whether DescribeCluster answered (the other checks need a cluster)."""
        try:
            self.cluster()
        except ClientError:
            return False
        return True

    def _list(self, operation: str, key: str) -> list[str]:
        """Every item of a paginated EKS list call for the cluster."""
        return [
            str(item)
            for item in paginate(self.clients.eks, operation, key, clusterName=self.cluster_name)
        ]

    def _describe_each(
        self, listing: tuple[str, str], describe: Callable[..., Any], name_param: str, key: str
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """(name, `describe`'s `key`) for every item the EKS list call `listing` (operation,
        result key) lists for the cluster."""
        for name in self._list(*listing):
            described: dict[str, Any] = guard(
                partial(describe, clusterName=self.cluster_name, **{name_param: name})
            )[key]
            yield name, described

    def node_groups(self) -> dict[str, dict[str, Any]]:
        """The cluster's node groups by config name (group_name); the first one wins."""

        def read() -> dict[str, dict[str, Any]]:
            found: dict[str, dict[str, Any]] = {}
            for name, group in self._describe_each(
                ("list_nodegroups", "nodegroups"),
                self.clients.eks.describe_nodegroup, "nodegroupName", "nodegroup",
            ):
                found.setdefault(
                    (group.get("labels") or {}).get(NODE_GROUP_LABEL) or name, group
                )
            return found

        return self._once("node_groups", read)

    def launch_template_data(self, template: dict[str, Any]) -> dict[str, Any]:
        """LaunchTemplateData of a node group's `launchTemplate` (id or name, and version:
        $Default when it names none); {} when EC2 returns no version."""
        selector: dict[str, Any] = (
            {"LaunchTemplateId": template["id"]}
            if template.get("id")
            else {"LaunchTemplateName": template["name"]}
        )
        version = str(template.get("version") or "$Default")
        versions = guard(
            lambda: self.clients.ec2.describe_launch_template_versions(
                **selector, Versions=[version]
            )
        )["LaunchTemplateVersions"]
        return dict(versions[0].get("LaunchTemplateData", {})) if versions else {}

    def fargate_profiles(self) -> dict[tuple[Selector, ...], dict[str, Any]]:
        """The cluster's Fargate profiles by their sorted selectors."""
        live: dict[tuple[Selector, ...], dict[str, Any]] = {}
        for _, profile in self._describe_each(
            ("list_fargate_profiles", "fargateProfileNames"),
            self.clients.eks.describe_fargate_profile, "fargateProfileName", "fargateProfile",
        ):
            key = tuple(
                sorted(
                    selector_key(str(s.get("namespace")), s.get("labels"))
                    for s in profile.get("selectors") or []
                )
            )
            live[key] = profile
        return live

    def access_entries(self) -> set[str]:
        """The principals that have an access entry."""
        return set(self._list("list_access_entries", "accessEntries"))

    def associated_policies(self, principal: str) -> list[dict[str, Any]]:
        """The access policies associated with `principal`'s entry."""
        answer = guard(
            partial(
                self.clients.eks.list_associated_access_policies,
                clusterName=self.cluster_name,
                principalArn=principal,
            )
        )
        return [dict(a) for a in answer.get("associatedAccessPolicies") or []]

    def addon(self, name: str) -> dict[str, Any]:
        """DescribeAddon's `addon`."""
        return dict(
            guard(
                partial(
                    self.clients.eks.describe_addon, clusterName=self.cluster_name, addonName=name
                )
            )["addon"]
        )

    def guardduty_detector(self) -> dict[str, Any] | None:
        """GetDetector of the region's first detector; None when there is none."""
        detectors = guard(lambda: self.clients.guardduty.list_detectors())["DetectorIds"]
        if not detectors:
            return None
        return dict(guard(lambda: self.clients.guardduty.get_detector(DetectorId=detectors[0])))

    def free_ips(self, subnet_ids: list[str]) -> dict[str, int]:
        """Subnet id -> AvailableIpAddressCount."""
        subnets = guard(lambda: self.clients.ec2.describe_subnets(SubnetIds=subnet_ids))[
            "Subnets"
        ]
        return {str(s["SubnetId"]): int(s.get("AvailableIpAddressCount", 0)) for s in subnets}

    def instance_types(self, names: list[str]) -> dict[str, dict[str, Any]]:
        """Instance type name -> DescribeInstanceTypes entry."""
        wanted: Any = names  # the stubs list every instance type name as a Literal
        described = guard(lambda: self.clients.ec2.describe_instance_types(InstanceTypes=wanted))
        return {str(t["InstanceType"]): dict(t) for t in described["InstanceTypes"]}
