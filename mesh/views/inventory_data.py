"""What every inventory page and endpoint reads, after access checks: snapshots and health.

The scope (clusters and visible namespaces) comes first; snapshots are read with the
console's service account and narrowed to that scope here, so nothing outside it reaches a
template or a JSON answer.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from kiali_site.access import unreachable_reason
from kiali_site.context import MeshRequest
from kiali_site.scope import PageScope, page_scope
from mesh.clusters.access import KubeconfigError
from mesh.health.serving import HealthLookup, cached_health, health_for_pages
from mesh.health.tasks import queue_refresh
from mesh.inventory.listing import ListFilters
from mesh.inventory.model import ClusterSnapshot
from mesh.inventory.store import snapshot_for
from mesh.inventory.tls import LABELS as TLS_LABELS
from mesh.inventory.tls import ORDER as TLS_ORDER
from mesh.kube.errors import KubeError
from mesh.viewer import Viewer
from mesh.views.common import prometheus_for

HEALTH_VALUES = ("Failure", "Degraded", "Not Ready", "Healthy", "NA")
PLANES = (("control-plane", "Control plane"), ("data-plane", "Data plane"))
MTLS_CHOICES = tuple((status, TLS_LABELS[status]) for status in TLS_ORDER)


@dataclass
class InventoryData:
    scope: PageScope
    visible: dict[str, list[str]]  # cluster -> namespace names the page shows
    snapshots: dict[str, ClusterSnapshot]
    health: HealthLookup
    errors: dict[str, str] = field(default_factory=dict)  # cluster -> reason
    multi_cluster: bool = False
    # Clusters found not answering by this request's own reads, after the scope was taken:
    # the page's rows say so in the same answer as its banner does.
    found_unreachable: dict[str, str] = field(default_factory=dict)

    @property
    def unreachable(self) -> dict[str, str]:
        return {**self.scope.unreachable, **self.found_unreachable}

    @property
    def health_problems(self) -> list[tuple[str, str]]:
        """(clusters, reason) per distinct reason health is missing: one Prometheus down is
        one line for all clusters, not one each."""
        by_reason: dict[str, list[str]] = defaultdict(list)
        for cluster, reason in sorted(self.health.errors.items()):
            by_reason[reason].append(cluster)
        return [(", ".join(clusters), reason) for reason, clusters in by_reason.items()]

    @property
    def health_errors(self) -> dict[str, str]:
        return self.health.errors

    @cached_property
    def viewer(self) -> Viewer:
        """Every namespace the user may read in the scope's clusters, chosen or not: what
        references are checked against."""
        visible: dict[str, list[str]] = defaultdict(list)
        for ns in self.scope.namespaces:
            visible[ns.cluster].append(ns.name)
        return Viewer.of(visible)


def load_inventory(
    request: MeshRequest, *, health: str = "pages", clusters: list[str] | None = None
) -> InventoryData:
    """`health`: "pages" (cache, on-demand for misses), "cache" (cache only, the API's rule)
    or "none". `clusters` narrows to one cluster (the API's clusterName)."""
    scope = page_scope(request)
    visible: dict[str, list[str]] = defaultdict(list)
    for ns in scope.chosen():
        if clusters is None or ns.cluster in clusters:
            visible[ns.cluster].append(ns.name)
    errors = dict(scope.errors)
    snapshots: dict[str, ClusterSnapshot] = {}
    registry = request.mesh.registry
    config = request.mesh.config
    for cluster in visible:
        try:
            client = registry.access[cluster].service_client()
            snapshots[cluster] = snapshot_for(client, cluster, config)
        except (KubeError, KubeconfigError) as exc:
            errors[cluster] = getattr(exc, "message", str(exc))
    if health == "pages":
        lookup = health_for_pages(
            snapshots, visible, lambda: prometheus_for(request, "pages"), config, time.time()
        )
        if lookup.computed_on_demand:
            queue_refresh()
    elif health == "cache":
        lookup = cached_health(visible)
    else:
        lookup = HealthLookup()
    found_unreachable = {
        c: reason
        for c in sorted({*scope.clusters, *errors})
        if c not in scope.unreachable and (reason := unreachable_reason(request, c))
    }
    return InventoryData(
        scope=scope,
        visible=dict(visible),
        snapshots=snapshots,
        health=lookup,
        errors=errors,
        multi_cluster=registry.is_multi_cluster,
        found_unreachable=found_unreachable,
    )


def list_filters(request: MeshRequest, default_sort: str = "name") -> ListFilters:
    health = request.GET.get("health", "")
    return ListFilters(
        name=request.GET.get("name", "")[:200],
        health=health if health in HEALTH_VALUES else "",
        label=request.GET.get("label", "")[:200],
        plane=plane if (plane := request.GET.get("type", "")) in dict(PLANES) else "",
        mtls=mtls if (mtls := request.GET.get("mtls", "")) in TLS_LABELS else "",
        sort=request.GET.get("sort", default_sort),
        descending=request.GET.get("order") == "desc",
    )
