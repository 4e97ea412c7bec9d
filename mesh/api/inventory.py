"""Kiali-compatible JSON for namespaces, apps, workloads, services and health.

Field names follow Kiali's for the fields served; access is checked exactly as for the
pages (the request's visible namespaces), before anything is read.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from kiali_site.access import cluster_for, namespace_for
from kiali_site.context import MeshRequest
from mesh.health.status import buckets, roll_up
from mesh.inventory.model import App, IstioRef, Service, Workload
from mesh.views.inventory_data import InventoryData, load_inventory


def _ref(ref: IstioRef, cluster: str) -> dict[str, Any]:
    group, _, version = ref.group_version.rpartition("/")
    return {
        "objectGVK": {"Group": group, "Version": version, "Kind": ref.kind},
        "name": ref.name,
        "namespace": ref.namespace,
        "cluster": cluster,
    }


def _gvk(group_version: str, kind: str) -> dict[str, str]:
    group, _, version = group_version.rpartition("/")
    return {"Group": group, "Version": version, "Kind": kind}


def _clusters_param(request: MeshRequest) -> list[str] | None:
    name = request.GET.get("clusterName")
    if not name:
        return None
    cluster_for(request, name)
    return [name]


def _load(request: MeshRequest) -> InventoryData:
    health = "pages" if request.GET.get("health") == "true" else "none"
    return load_inventory(request, health=health, clusters=_clusters_param(request))


def app_json(app: App, data: InventoryData) -> dict[str, Any]:
    health = data.health.app(app.cluster, app.namespace, app.name)
    return {
        "name": app.name,
        "namespace": app.namespace,
        "cluster": app.cluster,
        "istioSidecar": app.has_sidecar,
        "isAmbient": app.is_ambient,
        "labels": app.labels,
        "istioReferences": [
            _ref(r, app.cluster) for r in data.viewer.only_seen(app.cluster, app.istio_refs)
        ],
        **({"health": health.to_json()} if health else {}),
    }


def workload_json(w: Workload, data: InventoryData) -> dict[str, Any]:
    health = data.health.workload(w.cluster, w.namespace, w.name)
    return {
        "name": w.name,
        "namespace": w.namespace,
        "cluster": w.cluster,
        "gvk": _gvk(w.group_version, w.kind),
        "createdAt": w.created,
        "istioSidecar": w.has_sidecar,
        "isAmbient": w.is_ambient,
        "isGateway": w.is_gateway,
        "labels": w.labels,
        "appLabel": bool(w.app),
        "versionLabel": bool(w.version),
        "podCount": len(w.pods),
        "annotations": w.annotations,
        "healthAnnotations": w.health_annotations,
        "istioReferences": [
            _ref(r, w.cluster) for r in data.viewer.only_seen(w.cluster, w.istio_refs)
        ],
        **({"health": health.to_json()} if health else {}),
    }


def service_json(s: Service, data: InventoryData) -> dict[str, Any]:
    health = data.health.service(s.cluster, s.namespace, s.name)
    return {
        "name": s.name,
        "namespace": s.namespace,
        "cluster": s.cluster,
        "istioSidecar": s.has_sidecar,
        "labels": s.labels,
        "selector": s.selector,
        "ports": [
            {"name": p.name, "port": p.port, "protocol": p.protocol, "appProtocol": p.app_protocol}
            for p in s.ports
        ],
        "serviceRegistry": "Kubernetes",
        "healthAnnotations": s.health_annotations,
        "istioReferences": [
            _ref(r, s.cluster) for r in data.viewer.only_seen(s.cluster, s.istio_refs)
        ],
        **({"health": health.to_json()} if health else {}),
    }


def _each_namespace(data: InventoryData) -> Any:
    for cluster, names in data.visible.items():
        snapshot = data.snapshots.get(cluster)
        if snapshot is None:
            continue
        for name in names:
            inventory = snapshot.namespaces.get(name)
            if inventory is not None:
                yield inventory


@require_GET
def namespaces(request: MeshRequest) -> JsonResponse:
    data = load_inventory(request, health="none", clusters=_clusters_param(request))
    return JsonResponse(
        [
            {
                "name": inv.namespace.name,
                "cluster": inv.namespace.cluster,
                "isAmbient": inv.namespace.is_ambient,
                "isControlPlane": inv.namespace.is_control_plane,
                "labels": inv.namespace.labels,
                "annotations": inv.namespace.annotations,
                "revision": inv.namespace.revision,
                "creationTimestamp": inv.namespace.created,
            }
            for inv in _each_namespace(data)
        ],
        safe=False,
    )


@require_GET
def cluster_apps(request: MeshRequest) -> JsonResponse:
    data = _load(request)
    apps = [app_json(a, data) for inv in _each_namespace(data) for a in inv.apps]
    return JsonResponse({"cluster": request.GET.get("clusterName", ""), "applications": apps})


@require_GET
def cluster_workloads(request: MeshRequest) -> JsonResponse:
    data = _load(request)
    items = [workload_json(w, data) for inv in _each_namespace(data) for w in inv.workloads]
    return JsonResponse(
        {"cluster": request.GET.get("clusterName", ""), "workloads": items, "validations": {}}
    )


@require_GET
def cluster_services(request: MeshRequest) -> JsonResponse:
    data = _load(request)
    items = [service_json(s, data) for inv in _each_namespace(data) for s in inv.services]
    return JsonResponse(
        {"cluster": request.GET.get("clusterName", ""), "services": items, "validations": {}}
    )


@require_GET
def cluster_health(request: MeshRequest) -> HttpResponse:
    """Answered only from the health cache (health.md 7.2): a missing namespace reads as
    empty maps, and the cached header is set only when every namespace was found."""
    data = load_inventory(request, health="cache", clusters=_clusters_param(request))
    wanted = request.GET.get("type")
    types = [wanted] if wanted in ("app", "service", "workload") else ["app", "service", "workload"]
    body: dict[str, dict[str, Any]] = {"namespaceHealth": {}}
    for t in types:
        body[f"namespace{t.capitalize()}Health"] = {}
    complete = True
    for cluster, names in data.visible.items():
        for ns in names:
            entry = data.health.entry(cluster, ns)
            complete = complete and entry is not None
            statuses: dict[str, Any] = {}
            for t in types:
                maps: dict[str, Any] = {}
                if entry is not None:
                    maps = getattr(entry, f"{t}_health")
                body[f"namespace{t.capitalize()}Health"][ns] = {
                    k: v.to_json() for k, v in maps.items()
                }
                statuses[f"status{t.capitalize()}"] = buckets(
                    {k: v.status for k, v in maps.items()}
                )
            worst = roll_up(statuses.values())
            body["namespaceHealth"][ns] = {k: v.to_json() for k, v in statuses.items()} | {
                "worstStatus": worst
            }
    response = JsonResponse(body)
    if complete and data.visible:
        response["X-Kiali-Health-Cached"] = "true"
    return response


@require_GET
def workload_detail(request: MeshRequest, namespace: str, workload: str) -> JsonResponse:
    cluster = request.GET.get("clusterName") or request.mesh.registry.home
    cluster_for(request, cluster)
    namespace_for(request, cluster, namespace)
    health = "pages" if request.GET.get("health", "true") != "false" else "none"
    data = load_inventory(request, health=health, clusters=[cluster])
    data.visible = {cluster: [namespace]}
    snapshot = data.snapshots.get(cluster)
    inventory = snapshot.namespaces.get(namespace) if snapshot else None
    found = inventory.workload(workload) if inventory else None
    if found is None:
        raise Http404(f"There is no workload {workload!r} in namespace {namespace!r}.")
    body = workload_json(found, data) | {
        "desiredReplicas": found.desired_replicas,
        "currentReplicas": found.current_replicas,
        "availableReplicas": found.available_replicas,
        "pods": [
            {
                "name": p.name,
                "labels": p.labels,
                "createdAt": p.created,
                "status": p.phase,
                "istioContainers": [{"name": "istio-proxy"}] if p.has_sidecar else [],
                "serviceAccountName": p.service_account,
            }
            for p in found.pods
        ],
        "services": [service_json(s, data) for s in inventory.services if s.name in found.services]
        if inventory
        else [],
    }
    return JsonResponse(body)
