"""Editing and deleting one Istio object from its page (IC-07), with the user's own rights.

Save sends the edited object against the resourceVersion the editor was opened with: when
someone changed the object meanwhile, the API server refuses (409) and the page shows both
versions, so nothing is overwritten unseen. Preview runs the API server's dry run and the
console's validations on the mesh as it would be. Deleting asks for a confirmation.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from kiali_site.access import namespace_for, viewer_in
from kiali_site.auth.permissions import can
from kiali_site.context import MeshRequest
from kiali_site.rendering import render_page
from mesh.clusters.access import KubeconfigError
from mesh.kube.access import get_json
from mesh.kube.errors import KubeError
from mesh.writes.audit import record, text_diff
from mesh.writes.editing import EditError, editable_text, parsed_edit
from mesh.writes.preview import findings_diff
from mesh.writes.send import PlannedWrite, collection_path, send
from validations.live import KubeReader, Resource, discover_resources, gather
from validations.views import CONFIG_KINDS

TEMPLATE = "validations/edit.html"
ORIGIN = "yaml_editor"


def edit_permission(
    request: MeshRequest, cluster: str, namespace: str, resource: Resource
) -> tuple[bool, bool, str]:
    """(may update, may delete, why not)."""
    if request.mesh.config.deployment.view_only_mode:
        return False, False, "The console runs in view-only mode: no changes can be made."
    update = can(request, cluster, namespace, "update", resource.group, resource.plural)
    delete = can(request, cluster, namespace, "delete", resource.group, resource.plural)
    reason = (
        ""
        if update
        else f"You may not update {resource.plural} in namespace {namespace} of {cluster}."
    )
    return update, delete, reason


@require_http_methods(["GET", "POST"])
def istio_config_edit(
    request: MeshRequest, cluster: str, namespace: str, kind: str, name: str
) -> HttpResponse:
    namespace_for(request, cluster, namespace)
    if kind not in CONFIG_KINDS:
        raise Http404(f"{kind} is not an Istio configuration kind.")
    mesh = request.mesh
    access = mesh.registry.access[cluster]
    token = mesh.token_for(cluster)
    client = access.user_client(token) if token is not None else access.service_client()
    detail_url = reverse("istio_config_detail", args=[cluster, namespace, kind, name])
    context: dict[str, Any] = {
        "cluster": cluster,
        "namespace": namespace,
        "kind": kind,
        "name": name,
        "detail_url": detail_url,
    }
    # Read as the pages read (the console's account, for a namespace the user may see:
    # users often hold no read grant on Istio's kinds); written as the user.
    reader = access.service_client()
    try:
        resources = discover_resources(KubeReader(reader, cluster))
        resource = resources.get(kind)
        if resource is None:
            raise Http404(f"Cluster {cluster} does not serve {kind}.")
        collection = collection_path(resource, namespace)
        current = get_json(reader, cluster, f"{collection}/{name}")
    except (KubeError, KubeconfigError) as exc:
        return render_page(
            request, TEMPLATE, context | {"error": getattr(exc, "message", str(exc))}, status=503
        )
    if current is None:
        raise Http404(f"There is no {kind} {namespace}/{name} in cluster {cluster}.")
    api_version = f"{resource.group}/{resource.version}"
    current = {**current, "apiVersion": api_version, "kind": resource.kind}
    may_update, may_delete, reason = edit_permission(request, cluster, namespace, resource)
    current_text = editable_text(current)
    current_version = current["metadata"]["resourceVersion"]
    context |= {
        "may_update": may_update,
        "may_delete": may_delete,
        "reason": reason,
        "text": current_text,
        "resource_version": current_version,
    }
    if request.method != "POST":
        return render_page(request, TEMPLATE, context)
    action = request.POST.get("action", "")
    acting_as_user = token is not None
    if action == "delete":
        if not may_delete:
            return render_page(
                request,
                TEMPLATE,
                context
                | {
                    "error": f"You may not delete {resource.plural} in namespace "
                    f"{namespace} of {cluster}."
                },
                status=403,
            )
        if request.POST.get("confirm") != "yes":
            return render_page(
                request,
                TEMPLATE,
                context | {"error": "Tick the confirmation to delete this object."},
                status=400,
            )
        write = PlannedWrite(resource.kind, namespace, name, "delete", collection, None, current)
        outcome = send(client, cluster, [write], dry_run=False, acting_as_user=acting_as_user)[0]
        record(mesh.username, cluster, ORIGIN, [(outcome, text_diff(current_text, ""))])
        if outcome.ok:
            messages.success(request, f"{kind} {namespace}/{name} deleted.")
            return HttpResponseRedirect(
                reverse("istio_config") + f"?namespaces={namespace}&clusterName={cluster}"
            )
        return render_page(
            request, TEMPLATE, context | {"error": outcome.message}, status=outcome.status or 503
        )

    if not may_update:
        return render_page(request, TEMPLATE, context | {"error": reason}, status=403)
    text = request.POST.get("text", "")
    seen_version = request.POST.get("resource_version", "") or current_version
    context |= {"text": text, "resource_version": seen_version}
    try:
        edited = parsed_edit(text, api_version, resource.kind, namespace, name)
    except EditError as exc:
        return render_page(request, TEMPLATE, context | {"error": str(exc)}, status=400)
    edited["metadata"]["resourceVersion"] = seen_version
    write = PlannedWrite(resource.kind, namespace, name, "replace", collection, edited, current)
    if action == "save":
        outcome = send(client, cluster, [write], dry_run=False, acting_as_user=acting_as_user)[0]
        record(mesh.username, cluster, ORIGIN, [(outcome, text_diff(current_text, text))])
        if outcome.ok:
            messages.success(request, f"{kind} {namespace}/{name} saved.")
            return HttpResponseRedirect(detail_url)
        if outcome.status == 409:
            diff = text_diff(text, current_text, names=("yours", "theirs (now stored)"))
            return render_page(
                request,
                TEMPLATE,
                context
                | {
                    "error": outcome.message,
                    "conflict": diff,
                    "theirs": current_text,
                    "their_version": current_version,
                },
                status=409,
            )
        return render_page(
            request, TEMPLATE, context | {"error": outcome.message}, status=outcome.status or 503
        )

    # preview: the API server's dry run and the validations as they would be
    outcome = send(client, cluster, [write], dry_run=True, acting_as_user=acting_as_user)[0]
    context |= {"dry_run": outcome}
    try:
        objects = gather(KubeReader(access.service_client(), cluster), cluster, mesh.config)
        viewer = viewer_in(request, cluster)
        context["findings"] = findings_diff(
            objects, mesh.config, [edited], lambda ns: viewer.sees(cluster, ns)
        )
    except (KubeError, KubeconfigError) as exc:
        context["findings_problem"] = (
            f"The validations could not be previewed: {getattr(exc, 'message', exc)}"
        )
    return render_page(request, TEMPLATE, context)
