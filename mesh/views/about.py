"""The help menu's pages (SH-08): About (versions of the console, of Kubernetes and Istio
in each cluster the user reads, and of Prometheus) and the effective configuration."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from kiali_site.access import visible_namespaces
from kiali_site.context import MeshRequest
from kiali_site.effective_config import effective_config_yaml
from kiali_site.rendering import render_page
from mesh.about import console_version, istio_status
from mesh.inventory.store import cached_snapshot
from mesh.prometheus.client import PrometheusError
from mesh.views.common import prometheus_for


def may_read_config(request: MeshRequest) -> bool:
    """The configuration names the console's namespace, its Secrets and internal addresses:
    for those who may read the console's own namespace, as the Mesh page's problems are."""
    mesh = request.mesh
    if mesh.acts_as_console:
        return True
    visible, _ = visible_namespaces(request)
    own = mesh.config.deployment.namespace
    return any(ns.name == own for ns in visible.get(mesh.registry.home, []))


@require_GET
def about_page(request: MeshRequest) -> HttpResponse:
    visible, errors = visible_namespaces(request)
    names = {c: [ns.name for ns in found] for c, found in visible.items()}
    status = istio_status(names, cached_snapshot, errors)
    registry = request.mesh.registry
    clusters = [
        (
            info,
            next((c for c in status.clusters if c.cluster == info.name), None) if status else None,
        )
        for info in registry.clusters
        if info.name in visible
    ]
    client = prometheus_for(request, "pages")
    try:
        prometheus = client.version() or "unknown"
    except PrometheusError as exc:
        prometheus = f"unknown ({exc})"
    finally:
        client.close()
    context = {
        "version": console_version(),
        "clusters": clusters,
        "prometheus_version": prometheus,
        "may_read_config": may_read_config(request),
    }
    return render_page(request, "about/about.html", context)


@require_GET
def config_page(request: MeshRequest) -> HttpResponse:
    if not may_read_config(request):
        raise PermissionDenied(
            "The configuration is shown to those who may read the console's own namespace."
        )
    context = {"document": effective_config_yaml(request.mesh.config)}
    return render_page(request, "about/config.html", context)
