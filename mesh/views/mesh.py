from __future__ import annotations

from django.http import HttpResponse
from django.views.decorators.http import require_GET

from kiali_site.context import MeshRequest
from kiali_site.rendering import render_page
from mesh.meshstatus import mesh_status
from mesh.views.common import prometheus_for


@require_GET
def mesh_page(request: MeshRequest) -> HttpResponse:
    prometheus = prometheus_for(request)
    status = mesh_status(request.mesh.registry, request.mesh.config, prometheus.check)
    return render_page(request, "mesh/mesh.html", {"status": status})
