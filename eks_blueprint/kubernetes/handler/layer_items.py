"""The commands of each item type: applying and removing manifests, Helm charts, patches
and EKS access policy associations.

Apply:
- manifest: ``kubectl apply -f LIST --server-side=false`` (``kubectl create -f LIST
  --save-config`` for what an Overwrite=false item creates), retried while the kinds or
  webhooks an earlier item installed are not served yet;
- chart: ``helm upgrade --install`` (after ``helm registry login`` for private ECR), once a
  release an earlier, stopped run left pending is unblocked (``helm status``, then
  ``helm uninstall`` of a pending install or ``helm rollback`` of a pending upgrade or
  rollback to the last deployed revision);
- patch: ``kubectl patch``;
- access-policy: ``eks:AssociateAccessPolicy`` (idempotent: it also updates the scope).

Remove: ``kubectl delete -f LIST --ignore-not-found --wait=true``, ``helm uninstall``, the
patch's restore patch, or ``eks:DisassociateAccessPolicy``. What is already gone counts as
removed.

Time (``Timing``): an item starts only with enough of the Lambda's time left, and its waits
end early enough, for what must follow a failure: on Create and Update the undo of a failed
Create and the framework's answer, on Delete only the answer; the undo itself runs each
removal with little more than its own minimum.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3

if TYPE_CHECKING:  # mypy checks the asset as part of the package; Lambda runs it flat
    from eks_blueprint.kubernetes.handler import layer_plan, layer_run
else:
    import layer_plan
    import layer_run


@dataclass(frozen=True)
class Timing:
    """How much of the Lambda's time an item needs: it starts only with `start_min_s` left,
    and a command's own wait (Helm's --timeout, kubectl delete's --timeout) ends with at
    least `reserve_s` left."""

    start_min_s: float
    reserve_s: float


#: Create and Update: a failure leaves time for the undo of a failed Create (UNDO) and for
#: the framework's answer.
APPLY = Timing(start_min_s=180.0, reserve_s=120.0)
#: Delete: nothing follows but the answer.
DELETE = Timing(start_min_s=60.0, reserve_s=60.0)
#: The undo of a failed Create: each removal gets about 15 s of command time; kubectl and
#: Helm give up 5 s before the runner would stop them.
UNDO = Timing(start_min_s=layer_run.END_MARGIN_S + 15.0, reserve_s=layer_run.END_MARGIN_S + 5.0)
#: Pauses before the retries of a manifest whose kinds or webhooks are not served yet.
RETRY_DELAYS_S: tuple[float, ...] = (5.0, 10.0, 15.0)
REQUEST_TIMEOUT = "--request-timeout=60s"
#: What `kubectl create` prints per created object, to retry only the others.
CREATED_TEMPLATE = (
    '{.apiVersion}{"\\t"}{.kind}{"\\t"}{.metadata.namespace}{"\\t"}{.metadata.name}{"\\n"}'
)

#: stderr of an apply that may succeed shortly: a kind whose CRD was just installed is not
#: served yet, or a webhook whose controller was just installed has no ready pod yet.
_NOT_SERVED_YET = ("no matches for kind", "ensure CRDs are installed first")
_WEBHOOK_DOWN = ("connection refused", "no endpoints available")
#: stderr lines of a delete that found no such kind (the CRD is gone, so are its objects).
_KIND_GONE = (
    "no matches for kind",
    "resource mapping not found",
    "the server doesn't have a resource type",
)
#: stderr of a command that cannot reach the API server at all.
_UNREACHABLE = ("no such host", "connection refused", "was refused")
#: Statuses of a release an operation left unfinished: every later upgrade fails with
#: "another operation (install/upgrade/rollback) is in progress".
PENDING_INSTALL = "pending-install"
PENDING_CHANGE = ("pending-upgrade", "pending-rollback")


def retryable(stderr: str) -> bool:
    """Whether a failed apply may succeed when retried shortly."""
    if any(marker in stderr for marker in _NOT_SERVED_YET):
        return True
    return "failed calling webhook" in stderr and any(m in stderr for m in _WEBHOOK_DOWN)


def kind_gone(stderr: str) -> bool:
    """Whether every error of a delete or restore is a kind the cluster no longer serves."""
    errors = [
        line
        for line in stderr.splitlines()
        if line.startswith(("error:", "Error:", "Error from server"))
    ]
    return bool(errors) and all(any(m in line for m in _KIND_GONE) for line in errors)


def not_found(stderr: str) -> bool:
    """Whether a patch failed because its object does not exist (any more)."""
    return "(NotFound)" in stderr or kind_gone(stderr)


def unreachable(stderr: str) -> bool:
    """Whether a command failed because the API server's name does not resolve or nothing
    listens there: a deleted cluster."""
    return any(marker in stderr for marker in _UNREACHABLE)


def created(objects: Sequence[layer_plan.KubeObject], stdout: str) -> set[str]:
    """Identities of `objects` that `kubectl create -o jsonpath=CREATED_TEMPLATE` reported
    created. An object that names no namespace is created in "default"."""
    reported: set[tuple[str, str, str, str]] = set()
    for line in stdout.splitlines():
        fields = line.split("\t")
        if len(fields) == 4:
            api_version, kind, namespace, name = fields
            group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
            reported.add((group, kind, namespace, name))
    result = set()
    for obj in objects:
        group, kind, namespace, name = obj.identity.removeprefix("object:").split("/", 3)
        spellings = {namespace, "default"} if namespace == "" else {namespace}
        if any((group, kind, ns, name) in reported for ns in spellings):
            result.add(obj.identity)
    return result


def ecr_password(region: str) -> str:
    """A password for the private ECR registries of `region` (valid 12 hours)."""
    client: Any = boto3.session.Session().client("ecr", region_name=region)
    data = client.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    return str(base64.b64decode(data).decode().partition(":")[2])


def _object_list(objects: Sequence[layer_plan.KubeObject]) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": [o.body for o in objects]})


class ItemCommands:
    """Applies and removes the items of one layer with a Runner."""

    def __init__(
        self,
        runner: layer_run.Runner,
        log: layer_run.Log,
        old_items: Sequence[layer_plan.Item] = (),
        timing: Timing = APPLY,
    ) -> None:
        self.runner = runner
        self.log = log
        self.old_items = list(old_items)
        self.timing = timing

    def apply(self, item: layer_plan.Item) -> None:
        """Apply `item` (its commands in a fresh workspace); logs how long it took."""

        def commands(workspace: str) -> None:
            if isinstance(item.spec, layer_plan.Manifest):
                self._apply_manifest(item, workspace)
            elif isinstance(item.spec, layer_plan.Chart):
                self._install_chart(item, item.spec, workspace)
            elif isinstance(item.spec, layer_plan.AccessPolicy):
                self._associate(item, item.spec)
            else:
                self._patch(item, item.spec, item.spec.apply_patch, restore=False)

        self._timed(item, commands, done="applied in", failed="failed after")

    def remove(self, removal: layer_plan.Removal) -> None:
        """Remove what `removal` names of its item; logs how long it took."""
        item = removal.item
        if removal.nothing:
            self.log(f"{item.id}: nothing to remove")
            return

        def commands(workspace: str) -> None:
            if isinstance(item.spec, layer_plan.Manifest):
                self._delete_objects(item, removal.objects, workspace)
            elif isinstance(item.spec, layer_plan.Chart):
                self._uninstall_chart(item, item.spec)
            elif isinstance(item.spec, layer_plan.AccessPolicy):
                self._disassociate(item, item.spec)
            else:
                self._patch(item, item.spec, item.spec.restore_patch, restore=True)

        self._timed(item, commands, done="removed in", failed="removal failed after")

    def _timed(
        self,
        item: layer_plan.Item,
        commands: Callable[[str], None],
        *,
        done: str,
        failed: str,
    ) -> None:
        """`commands(workspace)` for `item` in a fresh workspace, if there is time; logs
        ``<id>: <done> N s`` or, on failure, ``<id>: <failed> N s``."""
        self._check_time(item)
        started = time.monotonic()
        workspace = tempfile.mkdtemp(prefix="item-")
        try:
            commands(workspace)
        except BaseException:
            self.log(f"{item.id}: {failed} {time.monotonic() - started:.1f} s")
            raise
        finally:
            shutil.rmtree(workspace, ignore_errors=True)
        self.log(f"{item.id}: {done} {time.monotonic() - started:.1f} s")

    def reachable(self) -> bool:
        """Whether the API server answers at all (10 s): False when its name no longer
        resolves or the connection is refused (a deleted cluster). Other failures count as
        reachable, so the commands that follow report them."""
        try:
            self.runner.run(
                "kubectl",
                ["get", "--raw", "/version", "--request-timeout=10s"],
                label="probe",
                timeout_s=20,
            )
        except layer_run.CommandError as error:
            return not unreachable(error.stderr)
        return True

    def _check_time(self, item: layer_plan.Item) -> None:
        left = self.runner.deadline.remaining()
        if left < self.timing.start_min_s:
            raise layer_run.OutOfTime(
                f"layer out of time before {item.id} ({left:.0f} s left, an item starts "
                f"with {self.timing.start_min_s:.0f} s)"
            )

    # -- manifests ------------------------------------------------------------------------

    def _apply_manifest(self, item: layer_plan.Item, workspace: str) -> None:
        plan = layer_plan.creation(item, self.old_items)
        if plan.create:
            self._kubectl_objects(item, "create", plan.create, workspace)
        if plan.apply:
            self._kubectl_objects(item, "apply", plan.apply, workspace)

    def _kubectl_objects(
        self,
        item: layer_plan.Item,
        verb: str,
        objects: Sequence[layer_plan.KubeObject],
        workspace: str,
    ) -> None:
        """`kubectl apply` or `kubectl create` of `objects`, retried per RETRY_DELAYS_S
        while their kinds or webhooks are not served yet. A create retries only the objects
        it did not create, so its own objects do not fail as already existing."""
        remaining = list(objects)
        for attempt in range(len(RETRY_DELAYS_S) + 1):
            path = os.path.join(workspace, f"{verb}-{attempt}.json")
            layer_run.write_private(path, _object_list(remaining))
            args = [verb, "-f", path, REQUEST_TIMEOUT]
            if verb == "apply":
                args.append("--server-side=false")
            else:
                args += ["--save-config", "-o", f"jsonpath={CREATED_TEMPLATE}"]
            try:
                self.runner.run("kubectl", args, label=item.id)
                return
            except layer_run.CommandError as error:
                if attempt == len(RETRY_DELAYS_S) or not retryable(error.stderr):
                    raise
                delay = RETRY_DELAYS_S[attempt]
                if self.runner.deadline.remaining() - delay < self.timing.start_min_s:
                    raise
                if verb == "create":
                    done = created(remaining, error.stdout)
                    remaining = [o for o in remaining if o.identity not in done]
                    if not remaining:
                        return
                self.log(
                    f"{item.id}: {verb} not accepted yet ({error}); retry "
                    f"{attempt + 1}/{len(RETRY_DELAYS_S)} in {delay:.0f} s"
                )
                time.sleep(delay)

    def _delete_objects(
        self, item: layer_plan.Item, objects: Sequence[layer_plan.KubeObject], workspace: str
    ) -> None:
        path = os.path.join(workspace, "delete.json")
        layer_run.write_private(path, _object_list(objects))
        args = ["delete", "-f", path, "--ignore-not-found", "--wait=true", REQUEST_TIMEOUT]
        # kubectl gives up waiting for finalizers (and says so) before the Lambda's end.
        args.append(f"--timeout={self._wait_limit(item)}s")
        try:
            self.runner.run("kubectl", args, label=item.id)
        except layer_run.CommandError as error:
            if not kind_gone(error.stderr):
                raise
            self.log(f"{item.id}: kinds no longer served, their objects are gone: {error}")

    # -- charts ---------------------------------------------------------------------------

    def _wait_limit(self, item: layer_plan.Item) -> int:
        """Seconds a command may wait: the Lambda's remaining time minus the timing's
        reserve, so kubectl or Helm gives up (and says why) in time for what follows."""
        left = int(self.runner.deadline.remaining() - self.timing.reserve_s)
        if left < 1:
            raise layer_run.OutOfTime(f"layer out of time during {item.id}")
        return left

    def _helm_timeout(self, item: layer_plan.Item, chart: layer_plan.Chart) -> int:
        """The chart's Timeout, but at most what `_wait_limit` allows."""
        return min(chart.timeout_s, self._wait_limit(item))

    def _install_chart(
        self, item: layer_plan.Item, chart: layer_plan.Chart, workspace: str
    ) -> None:
        self._unblock_release(item, chart)
        helm_home = os.path.join(workspace, "helm")
        registry = chart.private_ecr
        if registry is not None:
            host, region = registry
            self.runner.run(
                "helm",
                ["registry", "login", "--username", "AWS", "--password-stdin", host],
                label=item.id,
                stdin=ecr_password(region),
                helm_home=helm_home,
                kube=False,
            )
        args = ["upgrade", "--install", chart.release, chart.chart_ref]
        args += ["--version", chart.version, "--namespace", chart.namespace]
        if chart.create_namespace:
            args.append("--create-namespace")
        if not chart.is_oci:
            args += ["--repo", chart.repository]
        if chart.values is not None:
            values = os.path.join(workspace, "values.json")
            layer_run.write_private(values, chart.values)
            args += ["--values", values]
        if chart.wait:
            args.append("--wait")
        args += ["--timeout", f"{self._helm_timeout(item, chart)}s"]
        if chart.skip_crds:
            args.append("--skip-crds")
        self.runner.run("helm", args, label=item.id, helm_home=helm_home)

    def _unblock_release(self, item: layer_plan.Item, chart: layer_plan.Chart) -> None:
        """A release that an earlier run, stopped mid-operation, left pending makes every
        upgrade fail: uninstall a pending install (it never worked); roll a pending upgrade
        or rollback back to the last deployed revision. A failed rollback is logged, not
        raised: it leaves the release "failed", not pending, and the upgrade decides."""
        status = self._release_status(item, chart)
        if status == PENDING_INSTALL:
            self.log(
                f"{item.id}: release {chart.release} is {status} (a stopped run); "
                "uninstalling it before installing"
            )
            self._uninstall_chart(item, chart)
        elif status in PENDING_CHANGE:
            revision = self._last_deployed(item, chart)
            target = f"revision {revision}" if revision else "the previous revision"
            self.log(
                f"{item.id}: release {chart.release} is {status} (a stopped run); "
                f"rolling back to {target} before upgrading"
            )
            args = ["rollback", chart.release, *([str(revision)] if revision else [])]
            args += ["--namespace", chart.namespace, "--wait"]
            args += ["--timeout", f"{self._helm_timeout(item, chart)}s"]
            try:
                self.runner.run("helm", args, label=item.id)
            except layer_run.CommandError as error:
                self.log(
                    f"{item.id}: rollback of {chart.release} failed, upgrading anyway: {error}"
                )

    def _release_status(self, item: layer_plan.Item, chart: layer_plan.Chart) -> str | None:
        """The status of the release's latest revision ("deployed", "pending-upgrade", ...),
        None when it is not installed. The JSON holds the release's values: not logged."""
        args = ["status", chart.release, "--namespace", chart.namespace, "-o", "json"]
        try:
            done = self.runner.run("helm", args, label=item.id, log_stdout=False)
        except layer_run.CommandError as error:
            if "release: not found" not in error.stderr:
                raise
            return None
        try:
            status = json.loads(done.stdout)["info"]["status"]
        except (ValueError, KeyError, TypeError):
            self.log(f"{item.id}: unreadable `helm status` of {chart.release}, upgrading")
            return None
        return status if isinstance(status, str) else None

    def _last_deployed(self, item: layer_plan.Item, chart: layer_plan.Chart) -> int | None:
        """The newest revision of the release with status "deployed" (a pending upgrade or
        rollback supersedes it only when it completes), or None if there is none or the
        history is unreadable (`helm rollback` then goes to the previous revision)."""
        args = ["history", chart.release, "--namespace", chart.namespace, "-o", "json"]
        try:
            done = self.runner.run("helm", args, label=item.id)
            history = json.loads(done.stdout)
            deployed = [
                int(entry["revision"]) for entry in history if entry.get("status") == "deployed"
            ]
        except (layer_run.CommandError, ValueError, KeyError, TypeError, AttributeError) as error:
            self.log(f"{item.id}: no readable history of {chart.release}: {error}")
            return None
        return max(deployed) if deployed else None

    def _uninstall_chart(self, item: layer_plan.Item, chart: layer_plan.Chart) -> None:
        args = ["uninstall", chart.release, "--namespace", chart.namespace, "--wait"]
        args += ["--timeout", f"{self._helm_timeout(item, chart)}s", "--ignore-not-found"]
        try:
            self.runner.run("helm", args, label=item.id)
        except layer_run.CommandError as error:
            if "release: not found" not in error.stderr:
                raise
            self.log(f"{item.id}: release {chart.release} was not installed")

    # -- patches --------------------------------------------------------------------------

    def _patch(
        self, item: layer_plan.Item, patch: layer_plan.Patch, body: str, *, restore: bool
    ) -> None:
        args = ["patch", patch.resource_name]
        if patch.namespace:
            args += ["-n", patch.namespace]
        args += ["--type", patch.patch_type, "-p", body, REQUEST_TIMEOUT]
        try:
            self.runner.run("kubectl", args, label=item.id)
        except layer_run.CommandError as error:
            if not (restore and not_found(error.stderr)):
                raise
            self.log(f"{item.id}: {patch.resource_name} no longer exists, nothing to restore")

    # -- access policies ------------------------------------------------------------------

    def _eks(self) -> Any:
        cluster = self.runner.cluster
        return boto3.session.Session().client("eks", region_name=cluster.region)

    def _associate(self, item: layer_plan.Item, policy: layer_plan.AccessPolicy) -> None:
        scope: dict[str, Any] = {"type": policy.scope}
        if policy.namespaces:
            scope["namespaces"] = list(policy.namespaces)
        self._eks().associate_access_policy(
            clusterName=self.runner.cluster.name,
            principalArn=policy.principal_arn,
            policyArn=policy.policy_arn,
            accessScope=scope,
        )
        self.log(f"{item.id}: {policy.policy_arn} associated with {policy.principal_arn}")

    def _disassociate(self, item: layer_plan.Item, policy: layer_plan.AccessPolicy) -> None:
        client = self._eks()
        try:
            client.disassociate_access_policy(
                clusterName=self.runner.cluster.name,
                principalArn=policy.principal_arn,
                policyArn=policy.policy_arn,
            )
        except client.exceptions.ResourceNotFoundException:
            # The access entry went with its owner (a deleted capability): nothing to undo.
            self.log(f"{item.id}: no access entry for {policy.principal_arn}, nothing to remove")
