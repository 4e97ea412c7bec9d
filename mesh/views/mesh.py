from __future__ import annotations

from collections.abc import Mapping

from django.http import HttpResponse
from django.views.decorators.http import require_GET

from kiali_site.access import visible_namespaces
from kiali_site.context import MeshRequest
from kiali_site.rendering import render_page
from mesh.about import console_version
from mesh.inventory.store import cached_snapshot
from mesh.kube.namespaces import Namespace
from mesh.meshstatus import mesh_status
from mesh.topology import mesh_topology
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
    topology = mesh_topology(status, _data_planes(visible), console_version())
    return render_page(request, "mesh/mesh.html", {"status": status, "topology": topology})


def _data_planes(visible: Mapping[str, list[Namespace]]) -> dict[str, list[str]]:
    """Per cluster, the visible namespaces in the mesh (a proxy or ambient, or injection
    on) that are not control planes, from the inventory snapshots."""
    found: dict[str, list[str]] = {}
    for cluster, namespaces in visible.items():
        snapshot = cached_snapshot(cluster)
        if snapshot is None:
            continue
        for ns in namespaces:
            inventory = snapshot.namespaces.get(ns.name)
            if inventory is None or inventory.namespace.is_control_plane:
                continue
            meshed = inventory.namespace.injection == "enabled" or any(
                w.has_sidecar or w.is_ambient for w in inventory.workloads
            )
            if meshed:
                found.setdefault(cluster, []).append(ns.name)
    return found
