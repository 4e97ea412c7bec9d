from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from kiali_site.access import visible_namespaces
from kiali_site.context import MeshRequest
from kiali_site.rendering import render_page
from mesh.about import console_version
from mesh.graph.objects import is_waypoint
from mesh.health.serving import cached_health
from mesh.inventory.listing import namespace_rows, visible_inventories
from mesh.inventory.model import ClusterSnapshot
from mesh.inventory.store import cached_snapshot
from mesh.inventory.tls import mesh_wide_tls
from mesh.meshstatus import mesh_status
from mesh.topology import DataPlaneNamespace, MeshCounts, mesh_topology
from mesh.viewer import Viewer
from mesh.views.common import prometheus_for
from validations.results import config_counts


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
    names = {cluster: [ns.name for ns in namespaces] for cluster, namespaces in visible.items()}
    snapshots = {c: s for c in names if (s := cached_snapshot(c)) is not None}
    root = mesh.config.external_services.istio.root_namespace
    topology = mesh_topology(
        status,
        _data_planes(snapshots, names, root),
        console_version(),
        {c: mesh_wide_tls(s.namespaces.get(root)).label for c, s in snapshots.items()},
        _counts(snapshots, names),
    )
    return render_page(request, "mesh/mesh.html", {"status": status, "topology": topology})


def _data_planes(
    snapshots: Mapping[str, ClusterSnapshot], names: Mapping[str, list[str]], root: str
) -> dict[str, list[DataPlaneNamespace]]:
    """Per cluster, the visible namespaces in the mesh (a proxy or ambient, or injection
    on) that are not control planes, with their health (cached only: this page never waits
    for Prometheus), mTLS and Istio config status."""
    health = cached_health(names)
    overview = config_counts(list(names))
    unvalidated = {*overview.pending, *overview.failed}
    found: dict[str, list[DataPlaneNamespace]] = {}
    for row in namespace_rows(snapshots, names, health, root):
        ns = row.namespace
        inventory = snapshots[ns.cluster].namespaces[ns.name]
        meshed = ns.injection == "enabled" or any(
            w.has_sidecar or w.is_ambient for w in inventory.workloads
        )
        if ns.is_control_plane or not meshed:
            continue
        scope = "?" + urlencode({"namespaces": ns.name, "clusterName": ns.cluster})
        counts = overview.counts.get((ns.cluster, ns.name))
        config = counts.status if counts else "" if ns.cluster in unvalidated else "valid"
        found.setdefault(ns.cluster, []).append(
            DataPlaneNamespace(
                name=ns.name,
                url=reverse("namespace", args=[ns.name])
                + "?"
                + urlencode({"clusterName": ns.cluster}),
                health=row.status,
                mtls=row.tls.label if row.tls else "unknown",
                config=config,
                config_url=reverse("istio_config") + scope,
            )
        )
    return found


def _counts(snapshots: Mapping[str, ClusterSnapshot], names: Mapping[str, list[str]]) -> MeshCounts:
    workloads = [
        w for _, _, inventory in visible_inventories(snapshots, names) for w in inventory.workloads
    ]
    return MeshCounts(
        gateways=sum(1 for w in workloads if w.is_gateway and not is_waypoint(w.labels)),
        waypoints=sum(1 for w in workloads if is_waypoint(w.labels)),
    )
