"""Namespace actions (NA-01): sidecar injection enabled, disabled or removed from the
Namespaces page, with the user's own rights, dry-run first, recorded in the audit trail.
The page is redirected back to with the outcome as a message."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kiali_site.access import namespace_for
from kiali_site.auth.permissions import can
from kiali_site.context import MeshRequest
from mesh.clusters.access import KubeconfigError
from mesh.kube.access import get_json
from mesh.kube.errors import KubeError
from mesh.writes.audit import record
from mesh.writes.namespaces import ACTIONS, injection_labels
from mesh.writes.send import PlannedWrite, send

ORIGIN = "namespace_injection"


def may_change_namespaces(request: MeshRequest, cluster: str) -> bool:
    """Namespaces are cluster-scoped: changing one's labels takes a cluster-wide grant."""
    return can(request, cluster, "", "update", "", "namespaces")


@require_POST
def injection_action(request: MeshRequest, namespace: str) -> HttpResponse:
    cluster = request.POST.get("clusterName") or request.mesh.registry.home
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    back = back or f"/namespaces/?clusterName={cluster}"
    namespace_for(request, cluster, namespace)
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        messages.error(request, f"There is no namespace action {action!r}.")
        return HttpResponseRedirect(back)
    if request.mesh.config.deployment.view_only_mode or not may_change_namespaces(request, cluster):
        messages.error(request, f"You may not change namespace {namespace} in cluster {cluster}.")
        return HttpResponseRedirect(back)
    mesh = request.mesh
    access = mesh.registry.access[cluster]
    token = mesh.token_for(cluster)
    client = access.user_client(token) if token is not None else access.service_client()
    names = mesh.config.istio_labels
    path = f"/api/v1/namespaces/{namespace}"
    try:
        current = get_json(access.service_client(), cluster, path)  # read as pages read
    except (KubeError, KubeconfigError) as exc:
        messages.error(
            request, f"Namespace {namespace} could not be read: {getattr(exc, 'message', exc)}"
        )
        return HttpResponseRedirect(back)
    if current is None:
        messages.error(request, f"Namespace {namespace} is not in cluster {cluster} any more.")
        return HttpResponseRedirect(back)
    labels = injection_labels(
        current["metadata"].get("labels") or {},
        action,
        names.injection_label_name,
        names.injection_label_rev,
    )
    body = {**current, "metadata": {**current["metadata"], "labels": labels}}
    write = PlannedWrite(
        "Namespace", namespace, namespace, "replace", "/api/v1/namespaces", body, current
    )
    acting_as_user = token is not None
    outcomes = send(client, cluster, [write], dry_run=True, acting_as_user=acting_as_user)
    if outcomes[0].ok:
        outcomes = send(client, cluster, [write], dry_run=False, acting_as_user=acting_as_user)
    outcome = outcomes[0]
    before = current["metadata"].get("labels") or {}
    record(mesh.username, cluster, ORIGIN, [(outcome, f"labels: {before} -> {labels}")])
    if outcome.ok:
        messages.success(request, f"{ACTIONS[action]}: namespace {namespace} in {cluster} updated.")
        from mesh.inventory.tasks import refresh_snapshots

        refresh_snapshots.delay()
    else:
        messages.error(request, f"{ACTIONS[action]} on {namespace} failed: {outcome.message}")
    return HttpResponseRedirect(back)
