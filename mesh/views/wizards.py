"""The service wizards' pages (issue 19). Traffic Shifting first: a form of weights per
version, a preview (the API server's dry run, the YAML, and the validation findings the
change would add or remove), then the change itself, made with the user's own credentials
and recorded in the audit trail.

Who acts: the logged-in user's token for the cluster; the console's own account only in
anonymous mode. A user the cluster would refuse sees the form disabled with the reason,
asked of the cluster itself (SelfSubjectAccessReview, kiali_site.auth.permissions).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from kiali_site.access import namespace_for, viewer_in
from kiali_site.auth.permissions import can
from kiali_site.context import MeshRequest
from kiali_site.rendering import render_page
from mesh.clusters.access import KubeconfigError
from mesh.inventory.detail import service_workloads
from mesh.inventory.labels import version_label_names
from mesh.inventory.model import Service
from mesh.inventory.store import snapshot_for
from mesh.kube.errors import KubeError
from mesh.models import ChangeRecord
from mesh.writes.preview import FindingsDiff, findings_diff
from mesh.writes.send import PlannedWrite, WriteOutcome, plan, send
from mesh.writes.traffic import (
    NETWORKING,
    Version,
    WizardError,
    traffic_shifting,
    weights_from_form,
)
from validations.live import KubeReader, discover_resources, gather

WIZARD = "traffic_shifting"
RESOURCES = ("virtualservices", "destinationrules")


@dataclass(frozen=True)
class Permission:
    allowed: bool
    reason: str  # why not, for the disabled control's tooltip


def write_permission(request: MeshRequest, cluster: str, namespace: str) -> Permission:
    """Whether this user may create and update the wizard's objects in the namespace."""
    if request.mesh.config.deployment.view_only_mode:
        return Permission(False, "The console runs in view-only mode: no changes can be made.")
    for resource in RESOURCES:
        for verb in ("create", "update"):
            if not can(request, cluster, namespace, verb, NETWORKING, resource):
                return Permission(
                    False,
                    f"You may not {verb} {resource} in namespace {namespace} of {cluster}.",
                )
    return Permission(True, "")


def _versions(
    service: Service, inventory: Any, label_names: tuple[str, ...]
) -> tuple[list[Version], str]:
    """The service's versions (from its workloads' version labels) and the label's key."""
    by_version: dict[str, list[str]] = {}
    key = ""
    for workload in service_workloads(inventory, service):
        for name in label_names:
            if workload.labels.get(name):
                key = key or name
                by_version.setdefault(workload.labels[name], []).append(workload.name)
                break
    return [Version(v, tuple(ws)) for v, ws in sorted(by_version.items())], key


def _seen_versions(form: Mapping[str, str]) -> dict[tuple[str, str, str], str]:
    found = {}
    for field, value in form.items():
        if field.startswith("rv|"):
            _, kind, namespace, name = field.split("|", 3)
            found[(kind, namespace, name)] = value
    return found


def _yaml(doc: dict[str, Any] | None) -> str:
    if doc is None:
        return ""
    shown = {
        **doc,
        "metadata": {
            k: v for k, v in doc["metadata"].items() if k in ("name", "namespace", "labels")
        },
    }
    shown.pop("status", None)
    return yaml.safe_dump(shown, sort_keys=False)


def _diff(write: PlannedWrite) -> str:
    before, after = _yaml(write.before), _yaml(write.body)
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), "before", "after", lineterm=""
    )
    return "\n".join(lines)


def _record(request: MeshRequest, cluster: str, outcomes: list[WriteOutcome]) -> None:
    user = request.mesh.username or "the console (anonymous access)"
    ChangeRecord.objects.bulk_create(
        ChangeRecord(
            user=user,
            cluster=cluster,
            namespace=o.write.namespace,
            kind=o.write.kind,
            name=o.write.name,
            verb=o.write.verb,
            origin=WIZARD,
            diff=_diff(o.write),
            succeeded=o.ok,
            answer=o.message,
        )
        for o in outcomes
    )


def _reread() -> None:
    """The inventory and validations read the clusters again (in the background), so the
    pages show the change; what they hold stays shown until then."""
    from mesh.inventory.tasks import refresh_snapshots
    from validations.tasks import validate_clusters

    refresh_snapshots.delay()
    validate_clusters.delay()


@require_http_methods(["GET", "POST"])
def traffic_shifting_page(
    request: MeshRequest, cluster: str, namespace: str, name: str
) -> HttpResponse:
    service = name
    namespace_for(request, cluster, namespace)
    mesh = request.mesh
    config = mesh.config
    access = mesh.registry.access[cluster]
    try:
        snapshot = snapshot_for(access.service_client(), cluster, config)
    except (KubeError, KubeconfigError) as exc:
        return render_page(
            request,
            "wizards/traffic_shifting.html",
            {
                "cluster": cluster,
                "namespace": namespace,
                "service": service,
                "error": getattr(exc, "message", str(exc)),
            },
            status=503,
        )
    inventory = snapshot.namespaces.get(namespace)
    entity = inventory.service(service) if inventory else None
    if entity is None:
        raise Http404(f"There is no service {service} in namespace {namespace} of {cluster}.")
    versions, label_key = _versions(entity, inventory, version_label_names(config.istio_labels))
    permission = write_permission(request, cluster, namespace)
    form = request.POST if request.method == "POST" else request.GET
    even = 100 // len(versions) if versions else 0
    weights_shown = {
        v.name: form.get(
            f"weight-{v.name}", str(even + (100 - even * len(versions) if i == 0 else 0))
        )
        for i, v in enumerate(versions)
    }
    context: dict[str, Any] = {
        "cluster": cluster,
        "namespace": namespace,
        "service": service,
        "versions": [(v, weights_shown[v.name]) for v in versions],
        "permission": permission,
        "service_url": reverse("service_detail", args=[cluster, namespace, service]),
    }
    if request.method != "POST":
        return render_page(request, "wizards/traffic_shifting.html", context)
    if not permission.allowed:
        return render_page(
            request,
            "wizards/traffic_shifting.html",
            context | {"error": permission.reason},
            status=403,
        )

    token = mesh.token_for(cluster)
    client = access.user_client(token) if token is not None else access.service_client()
    try:
        weights = weights_from_form(form, versions)
        resources = discover_resources(KubeReader(client, cluster))
        network = resources.get("VirtualService")
        if network is None or "DestinationRule" not in resources:
            raise WizardError(f"Cluster {cluster} does not serve Istio's networking API.")
        identity = config.external_services.istio.istio_identity_domain or "svc.cluster.local"
        documents = traffic_shifting(
            service, namespace, identity, label_key or "version", weights, network.version
        )
        planned = plan(client, cluster, resources, documents, _seen_versions(form))
    except WizardError as exc:
        return render_page(
            request, "wizards/traffic_shifting.html", context | {"error": str(exc)}, status=400
        )
    except (KubeError, KubeconfigError) as exc:
        return render_page(
            request,
            "wizards/traffic_shifting.html",
            context | {"error": getattr(exc, "message", str(exc))},
            status=503,
        )

    acting_as_user = token is not None
    if form.get("action") != "apply":
        return _preview(request, context, cluster, client, planned, documents, acting_as_user)
    if form.get("confirm") != "yes" and form.get("adds-error") == "yes":
        unconfirmed = "This change adds a validation error; tick “Apply anyway” to make it."
        context["error"] = unconfirmed
        return _preview(request, context, cluster, client, planned, documents, acting_as_user)
    outcomes = send(client, cluster, planned, dry_run=False, acting_as_user=acting_as_user)
    _record(request, cluster, outcomes)
    _reread()
    refused = [o.status or 503 for o in outcomes if not o.ok]
    return render_page(
        request,
        "wizards/traffic_shifting.html",
        context | {"applied": outcomes, "failed": bool(refused)},
        status=max(refused, default=200) if 409 not in refused else 409,
    )


def _preview(
    request: MeshRequest,
    context: dict[str, Any],
    cluster: str,
    client: Any,
    planned: list[PlannedWrite],
    documents: list[dict[str, Any]],
    acting_as_user: bool,
) -> HttpResponse:
    outcomes = send(client, cluster, planned, dry_run=True, acting_as_user=acting_as_user)
    diff: FindingsDiff | None = None
    problem = ""
    try:
        objects = gather(
            KubeReader(request.mesh.registry.access[cluster].service_client(), cluster),
            cluster,
            request.mesh.config,
        )
        viewer = viewer_in(request, cluster)
        diff = findings_diff(
            objects, request.mesh.config, documents, lambda ns: viewer.sees(cluster, ns)
        )
    except (KubeError, KubeconfigError) as exc:
        problem = f"The validations could not be previewed: {getattr(exc, 'message', exc)}"
    context |= {
        "preview": [(o, _yaml(o.write.body)) for o in outcomes],
        "dry_run_ok": all(o.ok for o in outcomes),
        "findings": diff,
        "findings_problem": problem,
        "seen_versions": [
            (
                f"rv|{w.kind}|{w.namespace}|{w.name}",
                (w.before or {}).get("metadata", {}).get("resourceVersion", ""),
            )
            for w in planned
        ],
    }
    return render_page(request, "wizards/traffic_shifting.html", context)
