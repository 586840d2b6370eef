"""Kubernetes objects and Helm releases a stack applies, compared between BASE and HEAD.

A cluster's Kubernetes layers (``Custom::EksBlueprint-KubernetesLayer``) carry them as items:
``manifest`` items a ``Manifest`` (a JSON list of objects: a plain string, or an ``Fn::Join``
when it contains tokens such as a role ARN), ``chart`` items a Helm release. A cluster with
aws_eks_v2's kubectl provider has one ``Custom::AWSCDK-EKS-KubernetesResource`` per manifest
and one ``Custom::AWSCDK-EKS-HelmChart`` per chart instead. Both are read by
:mod:`eks_blueprint.template.kubernetes`; what applies an object is named
``<logical id>[<item id>]`` for a layer item (:func:`~eks_blueprint.template.applied_by`).

Objects are matched by kind, namespace and name across the whole stack, releases by
namespace and name, so moving an object between items, layers or resources is not reported
as a removal plus an addition.
"""

from __future__ import annotations

import json
from typing import Any

from ..template import (
    HELM_TYPE,
    MANIFEST_TYPE,
    KubeObject,
    UnreadableManifest,
    applied_by,
    helm_releases,
    intrinsic,
    manifest_objects,
)
from .model import RETAIN_POLICIES, KubernetesChange
from .values import ABSENT, leaf_changes, mask_assets, render, shorten

HELM_FIELDS = ("Chart", "Version", "Repository", "Namespace", "Release", "Wait", "Timeout")
_MAX_DETAILS = 10


def _as_text(value: Any) -> str | None:
    """A string property as text, asset hashes masked; tokens in an Fn::Join read by name
    (`${Role.Arn}`), which keeps the JSON parseable wherever the token sat inside a string
    and shows a changed reference as a change."""
    value = mask_assets(value)
    if isinstance(value, str):
        return value
    if intrinsic(value) is not None:
        return render(value)
    return None


def _object_key(obj: KubeObject) -> str:
    where = f"{obj.namespace}/{obj.name}" if obj.namespace else obj.name
    return f"{obj.kind or '?'} {where}"


def _collect(
    resources: dict[str, Any],
) -> tuple[dict[str, tuple[str, dict[str, Any]]], dict[str, Any]]:
    """(object key -> (what applies it, object), what applies it -> raw manifest of the
    unparseable ones); what applies an object is :func:`applied_by` of its resource and item."""
    unreadable: list[UnreadableManifest] = []
    objects = {
        _object_key(obj): (obj.key[1], obj.body)
        for obj in manifest_objects(resources, unreadable=unreadable, render=_as_text)
    }
    opaque = {
        applied_by(item.logical_id, item.item): mask_assets(item.manifest) for item in unreadable
    }
    return objects, opaque


def objects_by_key(resources: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every Kubernetes object the stack's manifests apply, by `<kind> <namespace>/<name>`,
    with what applies it (the resource's logical id, ``<layer>[<item id>]`` for a layer item;
    manifests that cannot be parsed are left out). The security review matches objects by
    this key across the stack."""
    return _collect(resources)[0]


def _details(old: Any, new: Any) -> tuple[str, ...]:
    lines = [
        f"`{path or '(whole)'}`: {shorten(render(a), 40)} → {shorten(render(b), 40)}"
        for path, a, b in leaf_changes(old, new)
    ]
    if len(lines) > _MAX_DETAILS:
        lines = [*lines[:_MAX_DETAILS], f"and {len(lines) - _MAX_DETAILS} more"]
    return tuple(lines)


def _helm(resources: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    releases: dict[str, tuple[str, dict[str, Any]]] = {}
    for helm in helm_releases(resources):
        lid = helm.key[1]
        props = mask_assets(helm.properties)
        release = render(props.get("Release", lid))
        namespace = render(props.get("Namespace", "default"))
        fields = {k: props[k] for k in HELM_FIELDS if k in props}
        values_text = _as_text(props.get("Values"))
        values: Any = props.get("Values", ABSENT)
        if values_text is not None:
            try:
                values = json.loads(values_text)
            except ValueError:
                values = values_text
        fields["Values"] = values
        releases[f"helm release {namespace}/{release}"] = (lid, fields)
    return releases


def kubernetes_changes(
    old_resources: dict[str, Any], new_resources: dict[str, Any]
) -> list[KubernetesChange]:
    """Kubernetes objects and Helm releases added, removed or modified in one stack."""
    changes: list[KubernetesChange] = []
    old_objects, old_opaque = _collect(old_resources)
    new_objects, new_opaque = _collect(new_resources)
    for pairs_old, pairs_new in (
        (old_objects, new_objects),
        (_helm(old_resources), _helm(new_resources)),
    ):
        for key in sorted(set(pairs_old) | set(pairs_new)):
            before, after = pairs_old.get(key), pairs_new.get(key)
            if before is None and after is not None:
                changes.append(KubernetesChange(after[0], key, "add"))
            elif after is None and before is not None:
                changes.append(KubernetesChange(before[0], key, "remove"))
            elif before is not None and after is not None and before[1] != after[1]:
                changes.append(
                    KubernetesChange(after[0], key, "modify", _details(before[1], after[1]))
                )
    for lid in sorted(set(old_opaque) | set(new_opaque)):
        before_m, after_m = old_opaque.get(lid, ABSENT), new_opaque.get(lid, ABSENT)
        if before_m != after_m:
            action = "add" if before_m is ABSENT else "remove" if after_m is ABSENT else "modify"
            changes.append(
                KubernetesChange(
                    lid,
                    "manifest (not parsed: built from CloudFormation tokens)",
                    action,  # type: ignore[arg-type]
                    (f"{shorten(render(before_m), 60)} → {shorten(render(after_m), 60)}",)
                    if action == "modify"
                    else (),
                )
            )
    return changes


def deleted_with_their_resource(
    old_resources: dict[str, Any], new_resources: dict[str, Any]
) -> list[tuple[str, str, str]]:
    """(logical id, object or release key, kind) of what every removed aws_eks_v2 manifest
    or chart resource applied and the stack still applies elsewhere (a Kubernetes layer's
    item, another resource). aws_eks_v2's handler deletes a manifest's objects (kubectl
    delete) and uninstalls a chart's release on Delete, which CloudFormation sends after the
    new resources applied them: they end up gone (unless the removed resource is retained:
    CloudFormation then sends no Delete). The kind of a release is ``HelmRelease``.
    (What moves between the items of layers is kept: a layer removes only what no other
    layer owns.)"""
    removed = {
        lid: resource.get("Type")
        for lid, resource in old_resources.items()
        if resource.get("Type") in (MANIFEST_TYPE, HELM_TYPE)
        and (new_resources.get(lid) or {}).get("Type") != resource.get("Type")
        and resource.get("DeletionPolicy") not in RETAIN_POLICIES
    }
    if not removed:
        return []
    found: list[tuple[str, str, str]] = []
    if MANIFEST_TYPE in removed.values():
        still = set(_collect(new_resources)[0])
        for obj in manifest_objects(old_resources, render=_as_text):
            key = _object_key(obj)
            if not obj.item and obj.logical_id in removed and key in still:
                found.append((obj.logical_id, key, obj.kind))
    if HELM_TYPE in removed.values():
        installed = _helm(new_resources)
        for key, (lid, _) in _helm(old_resources).items():
            if lid in removed and key in installed:
                found.append((lid, key, "HelmRelease"))
    return found
