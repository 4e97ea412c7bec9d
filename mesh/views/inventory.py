"""The Overview, Namespaces, Applications, Workloads and Services pages."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from kiali_site.access import cluster_for, namespace_for
from kiali_site.context import MeshRequest
from kiali_site.rendering import render_page
from kiali_site.scope_memory import CLUSTER, NAMESPACES, REFRESH, scoped_page
from kiali_site.sorting import sort_links
from mesh.health.model import LABELS
from mesh.health.tolerance import compile_rules
from mesh.health.why import HealthWhy, health_why
from mesh.inventory.listing import (
    EntityRow,
    NamespaceRow,
    entity_rows,
    filter_namespace_rows,
    filter_rows,
    namespace_rows,
)
from mesh.inventory.model import NamespaceInfo
from mesh.inventory.summary import overview
from mesh.kube.access import cluster_state
from mesh.views.common import REFRESH_CHOICES, refresh_of
from mesh.views.graph_links import mini_graph
from mesh.views.inventory_data import (
    HEALTH_VALUES,
    MTLS_CHOICES,
    PLANES,
    InventoryData,
    list_filters,
    load_inventory,
)
from mesh.views.namespace_actions import may_change_namespaces
from mesh.writes.namespaces import ACTIONS, available_actions
from validations.results import ConfigCounts, ConfigOverview, config_counts, service_statuses

LIST_PAGES = {
    "app": ("Applications", "applications"),
    "workload": ("Workloads", "workloads"),
    "service": ("Services", "services"),
}


PAGE_SIZE = 50


def paged(request: MeshRequest, rows: Sequence[Any]) -> Page[Any]:
    """One page of a list: a big mesh has thousands of workloads, and rendering every row is
    what makes a list slow, not finding them. Out-of-range pages show the last one."""
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


def _common(request: MeshRequest, data: InventoryData) -> dict[str, object]:
    oldest = data.health.oldest
    refresh = float(request.mesh.config.health_config.compute.refresh_interval)
    return {
        "health_stale": data.health.staleness(refresh, time.time()),
        "data": data,
        "scope": data.scope,
        "multi_cluster": data.multi_cluster,
        "health_age": int(time.time() - oldest) if oldest else None,
        "health_durations": data.health.durations,
        "health_values": [(v, LABELS[v]) for v in HEALTH_VALUES],
        "query": request.GET,
        "refresh": refresh_of(
            request.GET, request.mesh.config.kiali_feature_flags.ui_defaults.refresh_interval
        ),
        "refresh_choices": REFRESH_CHOICES,
        "sort": request.GET.get("sort", "name"),
        "order": request.GET.get("order", "asc"),
    }


def _config_note(validation: ConfigOverview, cluster: str) -> str:
    """What a namespace row says instead of its validation counts, when it has none."""
    if cluster in validation.pending:
        return "validating…"
    if cluster in validation.failed:
        return "not validated"
    return ""


@require_GET
@scoped_page(REFRESH)
def overview_page(request: MeshRequest) -> HttpResponse:
    data = load_inventory(request)
    # Every cluster the Mesh page lists, admin-added ones included, so the two agree.
    registry = request.mesh.registry
    problems = dict(data.errors)
    for info in registry.clusters:
        if info.name in problems:
            continue
        if not info.accessible:
            problems[info.name] = "this console holds no credential for it"
        elif not info.reachable:
            problems[info.name] = "not reachable"
    clusters = [info.name for info in registry.clusters]
    summary = overview(clusters, data.snapshots, data.visible, data.health, problems)
    validation = config_counts(list(data.visible))
    visible = {(c, ns) for c, names in data.visible.items() for ns in names}
    shown = [v for k, v in validation.counts.items() if k in visible]
    config = ConfigCounts(
        sum(c.objects for c in shown), sum(c.errors for c in shown), sum(c.warnings for c in shown)
    )
    context = _common(request, data) | {
        "summary": summary,
        "config": config,
        "validation": validation,
    }
    return render_page(request, "inventory/overview.html", context)


@require_GET
@scoped_page(NAMESPACES, CLUSTER, REFRESH)
def namespaces_page(request: MeshRequest) -> HttpResponse:
    # Asked first: a cluster found down by these checks is then marked in the rows below.
    changeable = _changeable_clusters(request)
    data = load_inventory(request)
    filters = list_filters(request)
    root = request.mesh.config.external_services.istio.root_namespace
    rows = filter_namespace_rows(
        namespace_rows(data.snapshots, data.visible, data.health, root), filters
    )
    validation = config_counts(list(data.visible))
    if filters.sort == "config":  # NS-04: errors first, then warnings, valid, none
        rank = {"error": 0, "warning": 1, "valid": 2}

        def by_config(row: NamespaceRow) -> tuple[int, str, str]:
            ns = row.namespace
            counts = validation.counts.get((ns.cluster, ns.name), ConfigCounts())
            return (rank[counts.status] if counts.objects else 3, ns.name, ns.cluster)

        rows.sort(key=by_config, reverse=filters.descending)
    page = paged(request, rows)
    context = _common(request, data) | {
        "rows": rows,
        "page": page,
        "page_rows": [
            (
                row,
                validation.counts.get((row.namespace.cluster, row.namespace.name), ConfigCounts()),
                _config_note(validation, row.namespace.cluster),
                _injection_actions(request, row.namespace, changeable),
            )
            for row in page.object_list
        ],
        "filters": filters,
        "plane_choices": PLANES,
        "mtls_choices": MTLS_CHOICES,
        "sort_links": sort_links(
            request.GET, ["name", "cluster", "health", "mtls", "config"], "name"
        ),
        "validation": validation,
    }
    return render_page(request, "inventory/namespaces.html", context)


def _changeable_clusters(request: MeshRequest) -> set[str]:
    """Where this user may change namespaces (NA-01): asked of each cluster not known to be
    down (a cluster that is gets no write controls, and no wait)."""
    if request.mesh.config.deployment.view_only_mode:
        return set()
    clusters = [
        info.name
        for info in request.mesh.registry.clusters
        if info.accessible and info.reachable and cluster_state(info.name).outage is None
    ]
    return {c for c in clusters if may_change_namespaces(request, c)}


def _injection_actions(
    request: MeshRequest, ns: NamespaceInfo, changeable: set[str]
) -> list[tuple[str, str]]:
    """A row's injection actions: none for control planes or where the user may not act."""
    if ns.is_control_plane or ns.cluster not in changeable:
        return []
    names = request.mesh.config.istio_labels
    found = available_actions(ns.labels, names.injection_label_name, names.injection_label_rev)
    return [(action, ACTIONS[action]) for action in found]


@require_GET
def namespace_page(request: MeshRequest, namespace: str) -> HttpResponse:
    cluster = request.GET.get("clusterName") or request.mesh.registry.home
    cluster_for(request, cluster)
    namespace_for(request, cluster, namespace)
    data = load_inventory(request, clusters=[cluster])
    data.visible = {cluster: [namespace]}
    rows = namespace_rows(data.snapshots, data.visible, data.health)
    snapshot = data.snapshots.get(cluster)
    inventory = snapshot.namespaces.get(namespace) if snapshot else None
    context = _common(request, data) | {
        "cluster": cluster,
        "namespace": namespace,
        "row": rows[0] if rows else None,
        "inventory": inventory,
        "mini_graph": mini_graph(cluster, namespace),
        "config": config_counts([cluster]).counts.get((cluster, namespace)),
        "list_query": urlencode({"clusterName": cluster, "namespaces": namespace}),
    }
    return render_page(request, "inventory/namespace.html", context)


def _health_whys(
    request: MeshRequest, data: InventoryData, rows: Iterable[EntityRow]
) -> list[HealthWhy]:
    """Why each shown row has its health, for the rows' popovers: only the page's rows,
    so a 10,000-object list explains 20 of them."""
    rules = compile_rules(request.mesh.config.health_config)
    whys = []
    for row in rows:
        snapshot = data.snapshots.get(row.cluster)
        inventory = snapshot.namespaces.get(row.namespace) if snapshot else None
        entity = inventory.entity(row.kind, row.name) if inventory else None
        whys.append(health_why(data.health, rules, entity) if entity else HealthWhy())
    return whys


def _list_page(request: MeshRequest, kind: str) -> HttpResponse:
    data = load_inventory(request)
    filters = list_filters(request)
    rows = filter_rows(
        entity_rows(kind, data.snapshots, data.visible, data.health, data.viewer), filters
    )
    title, url_name = LIST_PAGES[kind]
    columns = ["health", "name", "namespace", "cluster", "details"]
    if kind == "workload":
        columns.append("type")
    page = paged(request, rows)
    configs: dict[tuple[str, str, str], str] = {}
    if kind == "service":  # the Configuration column (SV-01): each Service's own findings
        configs = service_statuses(list(data.visible))
    context = _common(request, data) | {
        "kind": kind,
        "title": title,
        "url_name": url_name,
        "rows": rows,
        "page": page,
        "page_rows": [
            (r, configs.get((r.cluster, r.namespace, r.name), ""), why)
            for r, why in zip(page, _health_whys(request, data, page), strict=True)
        ],
        "filters": filters,
        "sort_links": sort_links(request.GET, columns, "name"),
    }
    return render_page(request, "inventory/list.html", context)


@require_GET
@scoped_page(NAMESPACES, CLUSTER, REFRESH)
def applications_page(request: MeshRequest) -> HttpResponse:
    return _list_page(request, "app")


@require_GET
@scoped_page(NAMESPACES, CLUSTER, REFRESH)
def workloads_page(request: MeshRequest) -> HttpResponse:
    return _list_page(request, "workload")


@require_GET
@scoped_page(NAMESPACES, CLUSTER, REFRESH)
def services_page(request: MeshRequest) -> HttpResponse:
    return _list_page(request, "service")
