"""NvidiaDevicePlugin: the NVIDIA Kubernetes device plugin for GPU nodes whose AMI lacks it.

A GPU is schedulable only once a device plugin advertises `nvidia.com/gpu` on the node.
Which AMIs need one installed (EKS user guide, ml-eks-k8s-device-plugin, "Considerations"):

- the EKS-optimized AL2023 NVIDIA AMIs ship the NVIDIA driver and container toolkit, and
  "you must install the NVIDIA Kubernetes device plugin";
- the EKS-optimized Bottlerocket NVIDIA variants include the plugin already (as do GPU
  nodes of EKS Auto Mode): installing it there too would run a second plugin.

So the plugin's DaemonSet runs only on nodes labelled `eks-blueprint/nvidia-device-plugin:
"true"` (NVIDIA_DEVICE_PLUGIN_LABEL), which ManagedNodeGroups puts on AL2023 NVIDIA groups
and Karpenter on GPU NodePools whose EC2NodeClass uses an al2023 alias. The chart's own
default affinity needs Node Feature Discovery's labels, which this project does not install,
so it is replaced. It tolerates every taint: the label already limits it to GPU nodes, and a
GPU node with an extra taint of its own would otherwise never advertise its GPUs.

The chart is NVIDIA's (https://nvidia.github.io/k8s-device-plugin, the repository the EKS
guide uses), pinned in eks_blueprint/addons/versions.py; it installs into kube-system, as
its `system-node-critical` priority class expects.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from ..addons.versions import CAPACITY_CHARTS
from ..instance_types import GPU_TAINT, NVIDIA_DEVICE_PLUGIN_LABEL
from ..kubernetes import Layer, install_chart
from ..kubernetes_objects import require_kubectl_provider, required_node_affinity
from ..validate_names import PropError, check_field_types, check_kubernetes_name, check_prop

#: The chart: name, repository and pinned version (addons/versions.py).
CHART: Final = "nvidia-device-plugin"
CHART_REPOSITORY, CHART_VERSION = CAPACITY_CHARTS[CHART]
_CHART_VERSION = re.compile(r"\d+\.\d+\.\d+")


def _check_version(value: str) -> str:
    if not _CHART_VERSION.fullmatch(value):
        raise ValueError('expected a chart version like "0.20.0"')
    return value


@dataclass(frozen=True, kw_only=True)
class NvidiaDevicePluginProps:
    """The settings of NvidiaDevicePlugin."""

    cluster: eks.ICluster
    """The cluster; the chart is an item of its platform layer, so it must take Kubernetes objects:
    a ControlPlane's Kubernetes layers (the default) or an eks.Cluster with aws_eks_v2's kubectl
    provider."""
    version: str = CHART_VERSION
    """Chart version of nvidia-device-plugin. Default: the pin in addons/versions.py."""
    namespace: str = "kube-system"
    """Namespace of the DaemonSet. Default: kube-system (its priority class,
    system-node-critical, is meant for it; the chart refuses `default`)."""
    extra_values: Mapping[str, Any] = field(default_factory=dict)
    """More Helm values (e.g. `config` for time-slicing), merged over this construct's at
    the top level. Default: none."""


class NvidiaDevicePlugin(Construct):
    """The NVIDIA device plugin DaemonSet on the nodes labelled NVIDIA_DEVICE_PLUGIN_LABEL
    (AL2023 NVIDIA node groups and GPU NodePools on al2023), tolerating their taints."""

    def __init__(self, scope: Construct, id: str, *, props: NvidiaDevicePluginProps) -> None:
        super().__init__(scope, id)
        path = self.node.path
        check_field_types(path, props, "NvidiaDevicePluginProps")
        require_kubectl_provider(
            path,
            "NvidiaDevicePluginProps.cluster",
            props.cluster,
            "the device plugin is a Helm chart, applied through the kubectl provider",
        )
        check_prop(path, "NvidiaDevicePluginProps.version", props.version, _check_version)
        check_prop(
            path, "NvidiaDevicePluginProps.namespace", props.namespace, check_kubernetes_name
        )
        if props.namespace == "default":
            raise PropError(
                path,
                "NvidiaDevicePluginProps.namespace",
                props.namespace,
                "the chart refuses the default namespace (allowDefaultNamespace: false); "
                "use kube-system",
            )
        self.props = props
        self.chart = install_chart(
            self,
            "Chart",
            props.cluster,
            layer=Layer.PLATFORM,
            chart=CHART,
            release=CHART,
            repository=CHART_REPOSITORY,
            version=props.version,
            namespace=props.namespace,
            create_namespace=props.namespace != "kube-system",
            values=self.chart_values(),
            # A GPU group at size 0 has no nodes: the DaemonSet is ready with none.
            wait=True,
        )

    def chart_values(self) -> dict[str, Any]:
        """The Helm values: the node affinity on NVIDIA_DEVICE_PLUGIN_LABEL and tolerations."""
        return {
            "affinity": required_node_affinity(NVIDIA_DEVICE_PLUGIN_LABEL, ["true"]),
            # Every taint: the affinity already limits the pods to the labelled GPU nodes
            # (which carry GPU_TAINT, and may carry taints of their own).
            "tolerations": [{"operator": "Exists"}],
            **dict(self.props.extra_values),
        }


__all__ = [
    "CHART",
    "CHART_REPOSITORY",
    "CHART_VERSION",
    "GPU_TAINT",
    "NVIDIA_DEVICE_PLUGIN_LABEL",
    "NvidiaDevicePlugin",
    "NvidiaDevicePluginProps",
]
