"""Facts and checks for cni-metrics-helper and the cluster's free-address alarm.

cni-metrics-helper (aws/amazon-vpc-cni-k8s, cmd/cni-metrics-helper) scrapes the metrics
endpoint of every aws-node pod (port 61678, through the API server's pod proxy), sums each
metric over the nodes and publishes the sums to CloudWatch. Facts read from the source at tag
v1.20.4 (15 October 2025; the version of the chart pinned in versions.py):

* namespace `Kubernetes` (pkg/publisher/publisher.go `cloudwatchMetricNamespace`), one
  dimension `CLUSTER_ID` (`clusterIDDimension`) whose value is the env var AWS_CLUSTER_ID;
  when that is empty the helper reads EC2 tags through IMDS, which pods here cannot reach
  (hop limit 1), so this project always sets it to the cluster name;
* unit Count for every gauge (cmd/cni-metrics-helper/metrics/metrics.go
  `produceCloudWatchMetrics`), aggregated by Sum over nodes (`metricsAdd`);
* it collects every METRIC_UPDATE_INTERVAL seconds (default 30, cmd/cni-metrics-helper/main.go)
  and publishes every 2 x that interval (60 s) in PutMetricData calls of at most 20 data
  points: a 60 s period holds about two data points per metric, so the alarm reads averages,
  not sums;
* `totalIPAddresses` is ipamd's `awscni_total_ip_addresses`, which counts every address of
  every /28 prefix under prefix delegation (pkg/ipamd/datastore/data_store.go adds
  `CidrInfo.Size()`, 16 for a /28): total - `assignIPAddresses` is the free count in both
  modes; `totalIPv4Prefixes` (the prefix count) needs no separate arithmetic.

cdk-free on purpose: the config model imports the checks.
"""

from __future__ import annotations

from typing import Final

from ..validate_names import REGION, SNS_TOPIC_ARN

#: CloudWatch namespace the helper publishes to (hard-coded upstream, not configurable).
NAMESPACE: Final = "Kubernetes"
#: The metric dimension that names the cluster.
CLUSTER_DIMENSION: Final = "CLUSTER_ID"
#: Addresses the VPC CNI holds on all nodes (prefix addresses included), summed over nodes.
TOTAL_METRIC: Final = "totalIPAddresses"
#: Addresses assigned to pods, summed over nodes.
ASSIGNED_METRIC: Final = "assignIPAddresses"
#: Metric names the helper publishes (its README's table at v1.20.4): about this many custom
#: metrics per cluster, one time series each (a single dimension value).
PUBLISHED_METRICS: Final[tuple[str, ...]] = (
    "addReqCount", "assignIPAddresses", "awsAPIErr", "awsAPILatency", "awsUtilErr",
    "delReqCount", "eniAllocated", "eniMaxAvailable", "ipamdActionInProgress", "ipamdErr",
    "maxIPAddresses", "podENIErr", "reconcileCount", "totalIPAddresses", "totalIPv4Prefixes",
    "totalAssignedIPv4sPerCidr", "forceRemoveENI", "forceRemoveIPs", "ec2ApiReqCount",
    "ec2ApiErrCount",
)  # fmt: skip

#: The alarm's period, evaluation periods and breaching periods needed: the free count
#: averaged over 5 minutes must be low in 2 of the last 3 periods (about 10 minutes), so a
#: node that is still joining, or one missed scrape, does not page anyone.
ALARM_PERIOD_SECONDS: Final = 300
ALARM_EVALUATION_PERIODS: Final = 3
ALARM_DATAPOINTS: Final = 2

#: Default alarm threshold: one /28 prefix. With prefix delegation and WARM_PREFIX_TARGET=1
#: (always on here) ipamd keeps at least one whole free prefix (16 addresses) on every node
#: below its max pods, so the cluster stays above 16 free addresses while it can place pods;
#: below 16 for ten minutes, no node has a spare prefix and none is being added (subnets
#: exhausted or too fragmented for a /28, or every node at max pods and no new node joins).
#: Raise it for earlier warning on large clusters (about 16 x the usual node count).
DEFAULT_FREE_ADDRESSES_ALARM_BELOW: Final = 16


#: The regional ECR registry account of Amazon EKS add-on images, by region (commercial
#: partition only: this project refuses the others). Source: Amazon EKS User Guide, "View
#: Amazon container image registries for Amazon EKS add-ons" (awsdocs/amazon-eks-user-guide
#: latest/ug/workloads/add-ons-images.adoc, read November 2026), plus ap-southeast-5 from the
#: same page as published on docs.amazonaws.cn. Left out: ap-east-2, whose listed registry
#: host names ap-east-1 (unconfirmed which is right).
EKS_IMAGE_REGISTRY_ACCOUNTS: Final[dict[str, str]] = {
    "af-south-1": "877085696533",
    "ap-east-1": "800184023465",
    "ap-northeast-1": "602401143452",
    "ap-northeast-2": "602401143452",
    "ap-northeast-3": "602401143452",
    "ap-south-1": "602401143452",
    "ap-south-2": "900889452093",
    "ap-southeast-1": "602401143452",
    "ap-southeast-2": "602401143452",
    "ap-southeast-3": "296578399912",
    "ap-southeast-4": "491585149902",
    "ap-southeast-5": "151610086707",
    "ap-southeast-6": "333609536671",
    "ap-southeast-7": "121268973566",
    "ca-central-1": "602401143452",
    "ca-west-1": "761377655185",
    "eu-central-1": "602401143452",
    "eu-central-2": "900612956339",
    "eu-north-1": "602401143452",
    "eu-south-1": "590381155156",
    "eu-south-2": "455263428931",
    "eu-west-1": "602401143452",
    "eu-west-2": "602401143452",
    "eu-west-3": "602401143452",
    "il-central-1": "066635153087",
    "me-central-1": "759879836304",
    "me-south-1": "558608220178",
    "mx-central-1": "730335286997",
    "sa-east-1": "602401143452",
    "us-east-1": "602401143452",
    "us-east-2": "602401143452",
    "us-west-1": "602401143452",
    "us-west-2": "602401143452",
}


def check_free_addresses_threshold(value: object) -> int:
    """A whole number of addresses, at least 1 (the alarm fires below it)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            "not a number of addresses; use a whole number of at least 1, e.g. "
            f"{DEFAULT_FREE_ADDRESSES_ALARM_BELOW} (one /28 prefix), or null for no alarm"
        )
    return value


def check_alarm_topic_arn(value: object) -> str:
    """An SNS topic ARN such as arn:aws:sns:eu-west-1:111122223333:platform-alarms."""
    match = SNS_TOPIC_ARN.fullmatch(value) if isinstance(value, str) else None
    if match is None or match.group("partition") != "aws" or not REGION.fullmatch(
        match.group("region")
    ):
        raise ValueError(
            "not an SNS topic ARN; expected arn:aws:sns:<region>:<12-digit account>:<topic "
            "name>, e.g. arn:aws:sns:eu-west-1:111122223333:platform-alarms"
        )
    return match.string


def registry_account(region: str) -> str:
    """The account of the EKS add-on image registry in `region`; ValueError naming the
    region and the fix when the table above has none."""
    try:
        return EKS_IMAGE_REGISTRY_ACCOUNTS[region]
    except KeyError:
        raise ValueError(
            f"no Amazon EKS image registry is recorded for region {region!r}; add it to "
            "EKS_IMAGE_REGISTRY_ACCOUNTS in eks_blueprint/addons/cni_metrics.py from the EKS "
            "User Guide page 'View Amazon container image registries for Amazon EKS add-ons', "
            "or switch cni-metrics-helper off"
        ) from None
