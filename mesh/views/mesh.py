from __future__ import annotations

from django.http import HttpResponse
from django.views.decorators.http import require_GET

from kiali_site.access import visible_namespaces
from kiali_site.context import MeshRequest
from kiali_site.rendering import render_page
from mesh.meshstatus import mesh_status
from mesh.viewer import Viewer
from mesh.views.common import prometheus_for


@require_GET
def mesh_page(request: MeshRequest) -> HttpResponse:
    prometheus = prometheus_for(request, "pages")
    visible, errors = visible_namespaces(request)
    mesh = request.mesh
    if mesh.acts_as_console:
        viewer = Viewer.console()
    else:
        viewer = Viewer.of({c: [ns.name for ns in names] for c, names in visible.items()})
    status = mesh_status(mesh.registry, mesh.config, prometheus.check, viewer, errors)
    return render_page(request, "mesh/mesh.html", {"status": status})
