"""The service wizards' pages (issue 19). Traffic Shifting first: a form of weights per
version, a preview (the API server's dry run, the YAML, and the validation findings the
change would add or remove), then the change itself, made with the user's own credentials
and recorded in the audit trail.

Who acts: the logged-in user's token for the cluster; the console's own account only in
anonymous mode. A user the cluster would refuse sees the form disabled with the reason,
asked of the cluster itself (SelfSubjectAccessReview, kiali_site.auth.permissions).
"""

from __future__ import annotations

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
from mesh.kube.access import get_json
from mesh.kube.errors import KubeError
from mesh.writes.audit import record, text_diff
from mesh.writes.preview import FindingsDiff, findings_diff
from mesh.writes.send import PlannedWrite, collection_path, plan, send
from mesh.writes.traffic import (
    FAULT_INJECTION,
    NETWORKING,
    REQUEST_TIMEOUTS,
    TRAFFIC_SHIFTING,
    WIZARD_LABEL,
    Version,
    WizardError,
    fault_injection,
    request_timeouts,
    traffic_shifting,
    weights_from_form,
)
from validations.live import KubeReader, discover_resources, gather

RESOURCES = ("virtualservices", "destinationrules")
TEMPLATE = "wizards/wizard.html"


@dataclass(frozen=True)
class Wizard:
    """One of the service's wizards: its page, what it writes and how it is labelled."""

    slug: str  # in the page's URL
    label: str  # the kiali_wizard label of what it writes
    title: str
    description: str
    fields: str  # the template of its form's fields
    verb: str = "apply"  # "delete" for Delete Traffic Routing


WIZARDS = {
    w.slug: w
    for w in (
        Wizard(
            "traffic-shifting",
            TRAFFIC_SHIFTING,
            "Traffic Shifting",
            "Split the requests between the service's versions by weight. Creates or updates "
            "the VirtualService and DestinationRule named after the service.",
            "wizards/_weights.html",
        ),
        Wizard(
            "fault-injection",
            FAULT_INJECTION,
            "Fault Injection",
            "Abort a share of the requests with an HTTP status, delay a share, or both, to "
            "see how the callers cope. Creates or updates the VirtualService named after "
            "the service.",
            "wizards/_fault.html",
        ),
        Wizard(
            "request-timeouts",
            REQUEST_TIMEOUTS,
            "Request Timeouts",
            "Give up on slow requests after a timeout and retry failed ones. Creates or "
            "updates the VirtualService named after the service.",
            "wizards/_timeouts.html",
        ),
        Wizard(
            "delete-traffic-routing",
            "",
            "Delete Traffic Routing",
            "Remove the VirtualService and DestinationRule that a wizard (this console's or "
            "Kiali's) created for this service. Other routing objects are left alone.",
            "wizards/_delete.html",
            verb="delete",
        ),
    )
}


@dataclass(frozen=True)
class Permission:
    allowed: bool
    reason: str  # why not, for the disabled control's tooltip


def write_permission(
    request: MeshRequest, cluster: str, namespace: str, *, delete: bool = False
) -> Permission:
    """Whether this user may create and update (or delete) the wizards' objects there."""
    if request.mesh.config.deployment.view_only_mode:
        return Permission(False, "The console runs in view-only mode: no changes can be made.")
    for resource in RESOURCES:
        for verb in ("delete",) if delete else ("create", "update"):
            if not can(request, cluster, namespace, verb, NETWORKING, resource):
                return Permission(
                    False,
                    f"You may not {verb} {resource} in namespace {namespace} of {cluster}.",
                )
    return Permission(True, "")


def wizard_actions(request: MeshRequest, cluster: str, namespace: str) -> dict[str, Any]:
    """The service page's Actions menu: every wizard, enabled only where the user may act."""
    writes = write_permission(request, cluster, namespace)
    deletes = write_permission(request, cluster, namespace, delete=True)
    allowed = {
        w.slug for w in WIZARDS.values() if (deletes if w.verb == "delete" else writes).allowed
    }
    return {
        "wizards": list(WIZARDS.values()),
        "wizard_allowed": allowed,
        "wizard_permission": writes,
        "delete_permission": deletes,
    }


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
    return text_diff(_yaml(write.before), _yaml(write.body))


def _reread() -> None:
    """The inventory and validations read the clusters again (in the background), so the
    pages show the change; what they hold stays shown until then."""
    from mesh.inventory.tasks import refresh_snapshots
    from validations.tasks import validate_clusters

    refresh_snapshots.delay()
    validate_clusters.delay()


def _wizard_documents(
    wizard: Wizard,
    form: Mapping[str, str],
    target: dict[str, Any],
    client: Any,
    cluster: str,
) -> list[dict[str, Any]]:
    """What the wizard writes (or, for Delete Traffic Routing, removes)."""
    service, namespace = target["service"], target["namespace"]
    identity, version = target["identity"], target["api_version"]
    if wizard.slug == "traffic-shifting":
        weights = weights_from_form(form, target["versions"])
        return traffic_shifting(service, namespace, identity, target["label_key"], weights, version)
    if wizard.slug == "fault-injection":
        return fault_injection(service, namespace, identity, form, version)
    if wizard.slug == "request-timeouts":
        return request_timeouts(service, namespace, identity, form, version)
    return wizard_objects(client, cluster, target["resources"], namespace, service)


def wizard_objects(
    client: Any, cluster: str, resources: Mapping[str, Any], namespace: str, service: str
) -> list[dict[str, Any]]:
    """The routing objects a wizard made for the service: named after it and labelled."""
    found = []
    for kind in ("VirtualService", "DestinationRule"):
        resource = resources.get(kind)
        if resource is None:
            continue
        path = f"{collection_path(resource, namespace)}/{service}"
        current = get_json(client, cluster, path)
        if current is not None and (current["metadata"].get("labels") or {}).get(WIZARD_LABEL):
            found.append(
                {**current, "apiVersion": f"{resource.group}/{resource.version}", "kind": kind}
            )
    return found


def _defaults(wizard: Wizard, versions: list[Version], form: Mapping[str, str]) -> dict[str, Any]:
    """The form's values: what was posted, else the wizard's starting point."""
    even = 100 // len(versions) if versions else 0
    weights = {
        v.name: form.get(
            f"weight-{v.name}", str(even + (100 - even * len(versions) if i == 0 else 0))
        )
        for i, v in enumerate(versions)
    }
    starting = {
        "abort-percent": "50",
        "abort-status": "503",
        "delay-percent": "0",
        "delay-seconds": "5",
        "timeout-seconds": "2",
        "retry-attempts": "3",
        "per-try-seconds": "1",
    }
    return {
        "weights": [(v, weights[v.name]) for v in versions],
        # keyed with underscores: templates cannot name a key with a hyphen
        "values": {k.replace("-", "_"): form.get(k, v) for k, v in starting.items()},
    }


@require_http_methods(["GET", "POST"])
def service_wizard_page(
    request: MeshRequest, cluster: str, namespace: str, name: str, wizard: str
) -> HttpResponse:
    chosen = WIZARDS.get(wizard)
    if chosen is None:
        raise Http404(f"There is no wizard {wizard!r}.")
    namespace_for(request, cluster, namespace)
    mesh = request.mesh
    config = mesh.config
    access = mesh.registry.access[cluster]
    context: dict[str, Any] = {
        "wizard": chosen,
        "wizards": WIZARDS.values(),
        "cluster": cluster,
        "namespace": namespace,
        "service": name,
        "service_url": reverse("service_detail", args=[cluster, namespace, name]),
    }
    try:
        snapshot = snapshot_for(access.service_client(), cluster, config)
    except (KubeError, KubeconfigError) as exc:
        return render_page(
            request, TEMPLATE, context | {"error": getattr(exc, "message", str(exc))}, status=503
        )
    inventory = snapshot.namespaces.get(namespace)
    entity = inventory.service(name) if inventory else None
    if entity is None:
        raise Http404(f"There is no service {name} in namespace {namespace} of {cluster}.")
    versions, label_key = _versions(entity, inventory, version_label_names(config.istio_labels))
    permission = write_permission(request, cluster, namespace, delete=chosen.verb == "delete")
    form = request.POST if request.method == "POST" else request.GET
    context |= {"permission": permission, "versions": versions} | _defaults(chosen, versions, form)

    token = mesh.token_for(cluster)
    client = access.user_client(token) if token is not None else access.service_client()
    # Read as the pages read (the console's account; users often hold no read grant on
    # Istio's kinds); written as the user.
    reader = access.service_client()
    if chosen.verb == "delete" and permission.allowed and request.method != "POST":
        try:  # the confirmation lists exactly what would go
            resources = discover_resources(KubeReader(reader, cluster))
            context["doomed"] = wizard_objects(reader, cluster, resources, namespace, name)
        except (KubeError, KubeconfigError) as exc:
            context["error"] = getattr(exc, "message", str(exc))
    if request.method != "POST":
        return render_page(request, TEMPLATE, context)
    if not permission.allowed:
        return render_page(request, TEMPLATE, context | {"error": permission.reason}, status=403)

    try:
        resources = discover_resources(KubeReader(reader, cluster))
        network = resources.get("VirtualService")
        if network is None or "DestinationRule" not in resources:
            raise WizardError(f"Cluster {cluster} does not serve Istio's networking API.")
        target = {
            "service": name,
            "namespace": namespace,
            "identity": config.external_services.istio.istio_identity_domain or "svc.cluster.local",
            "api_version": network.version,
            "versions": versions,
            "label_key": label_key or "version",
            "resources": resources,
        }
        documents = _wizard_documents(chosen, form, target, reader, cluster)
        if chosen.verb == "delete" and not documents:
            raise WizardError("This service has no routing made by a wizard: nothing to delete.")
        planned = plan(
            reader,
            cluster,
            resources,
            documents,
            _seen_versions(form),
            delete=chosen.verb == "delete",
        )
    except WizardError as exc:
        return render_page(request, TEMPLATE, context | {"error": str(exc)}, status=400)
    except (KubeError, KubeconfigError) as exc:
        return render_page(
            request, TEMPLATE, context | {"error": getattr(exc, "message", str(exc))}, status=503
        )

    acting_as_user = token is not None
    deleted = chosen.verb == "delete"
    if form.get("action") != "apply":
        return _preview(
            request, context, cluster, client, planned, documents, acting_as_user, deleted
        )
    if form.get("confirm") != "yes" and form.get("adds-error") == "yes":
        context["error"] = "This change adds a validation error; tick “Apply anyway” to make it."
        return _preview(
            request, context, cluster, client, planned, documents, acting_as_user, deleted
        )
    outcomes = send(client, cluster, planned, dry_run=False, acting_as_user=acting_as_user)
    origin = chosen.label or "delete_traffic_routing"
    record(mesh.username, cluster, origin, ((o, _diff(o.write)) for o in outcomes))
    _reread()
    refused = [o.status or 503 for o in outcomes if not o.ok]
    return render_page(
        request,
        TEMPLATE,
        context | {"applied": outcomes, "failed": bool(refused)},
        status=409 if 409 in refused else max(refused, default=200),
    )


def _preview(
    request: MeshRequest,
    context: dict[str, Any],
    cluster: str,
    client: Any,
    planned: list[PlannedWrite],
    documents: list[dict[str, Any]],
    acting_as_user: bool,
    deleted: bool,
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
            objects,
            request.mesh.config,
            documents,
            lambda ns: viewer.sees(cluster, ns),
            deleted=deleted,
        )
    except (KubeError, KubeconfigError) as exc:
        problem = f"The validations could not be previewed: {getattr(exc, 'message', exc)}"
    context |= {
        "preview": [(o, _yaml(o.write.body or o.write.before)) for o in outcomes],
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
    return render_page(request, TEMPLATE, context)
