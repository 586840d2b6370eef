"""Lambda entry point of a Kubernetes layer: one custom resource that applies an ordered set
of manifests, Helm charts and patches to an EKS cluster (``on_event``).

aws-cdk-lib's custom-resource framework (``custom_resources.Provider``, onEvent only) calls
``on_event`` synchronously with the CloudFormation event and reports to CloudFormation: a
returned ``{"PhysicalResourceId", "Data"}`` is SUCCESS, an exception is FAILED with the
exception's message (kept under 1,000 characters: the items, commands and stderr tails).

- Create/Update: apply the items in ``After`` order, independent ones concurrently; then
  (Update) remove what the previous state had and the new one has not, in reverse order. An
  Update of the same cluster and layer applies only the items that are new or changed and
  what comes after them; the others are logged "unchanged". It applies everything when the
  way to the cluster (ClusterName, Endpoint, CertificateAuthorityData, Region) or the
  ``Generation`` property changed: a new Generation repairs drift.
- Delete: remove everything of the layer in reverse order, except what the cluster's other
  layers own now; a cluster that is gone took everything with it. A Delete of a physical id
  that is not ``<ClusterName>/<Layer>`` of its properties removes nothing: CloudFormation
  invents such an id for a resource whose Create never answered (and may still be running).
  A replaced layer's old id is ``<old ClusterName>/<Layer>`` of the old properties, which
  CloudFormation sends with its Delete, so that Delete proceeds.

A failed Create removes what it applied before raising: the framework answers the Delete
CloudFormation sends after a failed Create itself, so nothing else would. Items start only
with enough time left for that (layer_items.Timing), and the undo stops when time runs out,
naming what it left in place. Failure messages name the handler's log group
(``LOG_GROUP_NAME``, else the Lambda's own ``AWS_LAMBDA_LOG_GROUP_NAME``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # mypy checks the asset as part of the package; Lambda runs it flat
    from eks_blueprint.kubernetes.handler import layer_items, layer_plan, layer_run
else:
    import layer_items
    import layer_plan
    import layer_run

#: Longest failure message (CloudFormation shows it as the resource's status reason).
MESSAGE_LIMIT = 999
#: Longest log group name quoted in a failure message.
LOG_GROUP_LIMIT = 300


class LayerError(Exception):
    """The layer failed; the message names the failed items and why."""


def _cap(text: str, limit: int) -> str:
    """`text`, cut to `limit` characters (the last one an ellipsis) if longer."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def logs_note() -> str:
    """ " (logs: <group>)": where an operator finds the handler's log, "" if unknown."""
    group = os.environ.get("LOG_GROUP_NAME") or os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
    return f" (logs: {_cap(group, LOG_GROUP_LIMIT)})" if group else ""


def message_limit() -> int:
    """Characters a failure message has before its logs_note()."""
    return MESSAGE_LIMIT - len(logs_note())


def failure_message(layer: str, phase: str, failed: layer_run.LayerFailed, note: str = "") -> str:
    """One message for every failed item of `phase`, and the items not started, capped at
    message_limit() characters with each failure getting its share."""
    limit = message_limit()
    head = f"{layer} layer: {phase} failed for {len(failed.failures)} item(s): "
    rest = ""
    if failed.not_started:
        rest = _cap("; not started: " + ", ".join(failed.not_started), 200)
    budget = limit - len(head) - len(rest) - len(note)
    share = max(60, budget // max(1, len(failed.failures)) - 2)
    parts = [
        f"{item_id}: {_cap(str(error), max(40, share - len(item_id) - 2))}"
        for item_id, error in failed.failures.items()
    ]
    return _cap(head + "; ".join(parts) + rest + note, limit)


def _text(props: Mapping[str, Any], key: str) -> str:
    value = props.get(key)
    if not isinstance(value, str) or not value:
        raise layer_plan.PlanError(f"{key} is required")
    return value


def cluster_of(props: Mapping[str, Any]) -> layer_run.Cluster:
    """The cluster the layer's properties name."""
    return layer_run.Cluster(
        name=_text(props, "ClusterName"),
        endpoint=_text(props, "Endpoint"),
        certificate_authority_data=_text(props, "CertificateAuthorityData"),
        region=_text({"Region": props.get("Region") or os.environ.get("AWS_REGION")}, "Region"),
    )


def on_event(event: Mapping[str, Any], context: layer_run.LambdaContext) -> dict[str, Any]:
    """Handle a CloudFormation Create, Update or Delete of a layer (module docstring)."""
    log = layer_run.Log()
    props: Mapping[str, Any] = event.get("ResourceProperties") or {}
    layer = str(props.get("Layer") or "?")
    try:
        return _handle(event, context, props, layer, log)
    except Exception as error:
        message = str(error) if isinstance(error, LayerError) else f"{layer} layer: {error}"
        log(f"FAILED: {message}")
        raise LayerError(_cap(message, message_limit()) + logs_note()) from error


def _handle(
    event: Mapping[str, Any],
    context: layer_run.LambdaContext,
    props: Mapping[str, Any],
    layer: str,
    log: layer_run.Log,
) -> dict[str, Any]:
    request_type = str(event.get("RequestType"))
    if request_type not in ("Create", "Update", "Delete"):
        raise layer_plan.PlanError(f"unknown RequestType {request_type!r}")
    old_props: Mapping[str, Any] | None = event.get("OldResourceProperties")
    event_id = event.get("PhysicalResourceId")
    if request_type == "Delete" and event_id != layer_plan.own_id(props):
        log(
            f"Delete of {event_id} ({event.get('LogicalResourceId')}): not the id of a layer "
            f"created with these properties ({layer_plan.own_id(props)}) but one "
            "CloudFormation invented for a Create that never answered; nothing to remove"
        )
        return {"PhysicalResourceId": event_id, "Data": {"Items": "0"}}
    new_id = layer_plan.physical_id(request_type, props, old_props, event_id)
    items = layer_plan.parse_items(props.get("Items"))
    # Refuses unknown Ids and cycles before anything runs.
    order = layer_plan.topological_order(items)
    elsewhere = layer_plan.parse_elsewhere(props.get("Elsewhere"))
    cluster = cluster_of(props)
    log(
        f"{request_type} {new_id} ({event.get('LogicalResourceId')}): {len(items)} item(s), "
        f"{len(elsewhere)} identities elsewhere; order: {', '.join(order)}"
    )
    result = {"PhysicalResourceId": new_id, "Data": {"Items": str(len(items))}}

    # Same cluster and layer as the previous state: an update in place. Otherwise (Create,
    # or a new cluster) nothing is known to be there, and CloudFormation's Delete of the old
    # physical id removes the old state.
    in_place = request_type == "Update" and new_id == event_id and old_props is not None
    old_items = layer_plan.parse_items(old_props.get("Items")) if in_place and old_props else []
    old_order = layer_plan.topological_order(old_items)
    selected = frozenset(order)
    if in_place and old_props is not None:
        reason = layer_plan.reapply_reason(props, old_props)
        if not reason:
            selected = layer_plan.changed_items(items, old_items)
        log(
            f"applying {len(selected)} of {len(items)} item(s): "
            + (reason or "new or changed, and what comes after them")
        )

    runner = layer_run.Runner(
        cluster,
        layer_run.Deadline.of(context),
        layer_run.TokenSource(cluster.name, cluster.region),
        log,
    )
    if request_type == "Delete":
        commands = layer_items.ItemCommands(runner, log, timing=layer_items.DELETE)
        _remove(commands, items, [], order, elsewhere, layer, "delete", log, probe=True)
        return result
    commands = layer_items.ItemCommands(runner, log, old_items, layer_items.APPLY)

    by_id = {item.id: item for item in items}

    def apply(item_id: str) -> None:
        if item_id in selected:
            commands.apply(by_id[item_id])
        else:  # done at once, so what comes after it waits only for its other `After`
            log(f"{item_id}: unchanged")

    try:
        layer_run.run_graph(order, layer_plan.prerequisites(items), apply)
    except layer_run.LayerFailed as failed:
        failed.not_started = [i for i in failed.not_started if i in selected]
        note = ""
        if request_type == "Create" and failed.done:
            undo = layer_items.ItemCommands(runner, log, timing=layer_items.UNDO)
            note = _undo(undo, [by_id[i] for i in order if i in failed.done], elsewhere, log)
        raise LayerError(failure_message(layer, "apply", failed, note)) from None
    if in_place:
        _remove(commands, old_items, items, old_order, elsewhere, layer, "removal", log)
    return result


def _remove(
    commands: layer_items.ItemCommands,
    old_items: Sequence[layer_plan.Item],
    new_items: Sequence[layer_plan.Item],
    old_order: Sequence[str],
    elsewhere: frozenset[str],
    layer: str,
    phase: str,
    log: layer_run.Log,
    *,
    probe: bool = False,
) -> None:
    """Remove what `old_items` have and `new_items` and `elsewhere` have not, in reverse
    order. With `probe` (a Delete), a cluster that no longer answers counts as removed."""
    plan = layer_plan.removals(old_items, new_items, elsewhere)
    if all(removal.nothing for removal in plan.values()):
        log(f"{layer} layer: nothing to remove")
        return
    if probe and not commands.reachable():
        log(f"{layer} layer: the cluster's API server is gone; its objects went with it")
        return
    try:
        _remove_in_reverse(commands, plan, old_items, old_order)
    except layer_run.LayerFailed as failed:
        raise LayerError(failure_message(layer, phase, failed)) from None


def _remove_in_reverse(
    commands: layer_items.ItemCommands,
    plan: Mapping[str, layer_plan.Removal],
    items: Sequence[layer_plan.Item],
    order: Sequence[str],
) -> None:
    """Carry out `plan` for `items` in the reverse of their apply `order`: an item is removed
    only after the items that come after it."""
    layer_run.run_graph(
        list(reversed(order)),
        layer_plan.dependants(items),
        lambda i: commands.remove(plan[i]),
    )


def _undo(
    commands: layer_items.ItemCommands,
    applied: Sequence[layer_plan.Item],
    elsewhere: frozenset[str],
    log: layer_run.Log,
) -> str:
    """Best effort: remove the `applied` items of a failed Create, in reverse order, until
    the Lambda's time runs out. Returns a note for the failure message naming what is left
    in place; never raises."""
    log(f"rolling back {len(applied)} applied item(s) of the failed Create")
    plan = layer_plan.removals(applied, [], elsewhere)
    order = [item.id for item in applied]
    try:
        _remove_in_reverse(commands, plan, applied, order)
    except layer_run.LayerFailed as failed:
        left = [*failed.failures, *failed.not_started]
        for item_id, error in failed.failures.items():
            log(f"rollback of {item_id} failed: {error}")
        log(f"rollback left in place: {', '.join(left)}")
        timed_out = any(isinstance(e, layer_run.OutOfTime) for e in failed.failures.values())
        why = "rollback out of time" if timed_out else "rollback failed"
        return f" ({why}; left in place: {_cap(', '.join(left), 250)})"
    except Exception as error:  # e.g. a token that cannot be signed: report the original
        log(f"rollback failed: {error}")
        return " (rollback failed)"
    return f" (rolled back {len(applied)} applied item(s))"
