"""Shared file storage for EKS clusters: Amazon EFS (`EfsStorage`) and FSx for Lustre
(`FsxLustreStorage`), each with its CSI driver add-on, Pod Identity role and StorageClass.

The constructs load lazily, so that `eks_blueprint.storage.rules` (the pure checks the
config models share) imports without aws_cdk.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .efs import EfsStorage as EfsStorage
    from .efs import EfsStorageProps as EfsStorageProps
    from .efs import EfsTenantAccessPoint as EfsTenantAccessPoint
    from .fsx import FsxLustreStorage as FsxLustreStorage
    from .fsx import FsxLustreStorageProps as FsxLustreStorageProps

_EXPORTS: dict[str, str] = {
    "EfsStorage": "efs",
    "EfsStorageProps": "efs",
    "EfsTenantAccessPoint": "efs",
    "FsxLustreStorage": "fsx",
    "FsxLustreStorageProps": "fsx",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import the construct modules on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
