"""The application, workload and service detail pages and their tabs.

Each tab is a link (`?tab=overview|traffic|inbound|outbound`) that works as a plain page;
HTMX swaps only the tab body. Only the tab asked for is computed: the traffic tab runs the
node graph's queries, the metrics tabs ask Prometheus for its settings, the overview reads
validations. A Prometheus outage becomes a "metrics unavailable" message, never a 500.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from django.http import Http404, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from kiali_site.access import namespace_for, viewer_in, visible_namespaces
from kiali_site.context import MeshRequest
from kiali_site.rendering import render_page
from mesh.clusters.access import KubeconfigError
from mesh.graph.engine import GraphRequest, build_graph, prometheus_query
from mesh.graph.options import NodeSpec, OptionsError, parse_options
from mesh.health.explain import HealthReason
from mesh.health.model import (
    StatusInfo,
)
from mesh.health.serving import HealthLookup, health_for_pages
from mesh.health.tasks import queue_refresh
from mesh.health.tolerance import compile_rules
from mesh.health.why import health_why
from mesh.inventory.detail import (
    ConfigRow,
    TrafficPeers,
    app_services,
    app_workloads,
    config_rows,
    service_workloads,
    traffic_peers,
)
from mesh.inventory.model import App, NamespaceInventory, Service, Workload
from mesh.inventory.store import snapshot_for
from mesh.kube.errors import KubeError
from mesh.prometheus.client import PrometheusError
from mesh.views.common import prometheus_for
from mesh.views.graph_links import mini_graph
from mesh.views.metrics import MetricsPanel, metrics_panel
from mesh.views.wizards import wizard_actions
from validations.results import results_for

TAB_LABELS = {
    "overview": "Overview",
    "traffic": "Traffic",
    "inbound": "Inbound Metrics",
    "outbound": "Outbound Metrics",
}
# Services have inbound metrics only: their outbound side is their workloads'.
TABS = {
    "app": ("overview", "traffic", "inbound", "outbound"),
    "workload": ("overview", "traffic", "inbound", "outbound"),
    "service": ("overview", "traffic", "inbound"),
}
LIST_PAGES = {
    "app": ("Applications", "applications"),
    "workload": ("Workloads", "workloads"),
    "service": ("Services", "services"),
}
TRAFFIC_WINDOW = "10m"

Entity = App | Workload | Service


@dataclass
class HealthView:
    """The entity's health for the header and the overview's breakdown."""

    info: StatusInfo | None = None
    reasons: list[HealthReason] = field(default_factory=list)
    unavailable: str = ""  # why there is no health (Prometheus down)
    duration: str = ""


def _health(request: MeshRequest, entity: Entity, lookup: HealthLookup) -> HealthView:
    unavailable = lookup.errors.get(entity.cluster, "")
    why = health_why(lookup, compile_rules(request.mesh.config.health_config), entity)
    if why.info is None:
        return HealthView(unavailable=unavailable)
    return HealthView(
        info=why.info, reasons=why.reasons, unavailable=unavailable, duration=why.duration
    )


def _overview(
    request: MeshRequest, kind: str, inventory: NamespaceInventory, entity: Entity
) -> dict[str, Any]:
    cluster = inventory.namespace.cluster
    records = None
    validation_error = ""
    try:
        records = results_for(request.mesh.registry, request.mesh.config, cluster).records
    except (KubeError, KubeconfigError) as exc:
        validation_error = f"validation unavailable: {getattr(exc, 'message', exc)}"
    refs = viewer_in(request, cluster).only_seen(cluster, entity.istio_refs)
    rows: list[ConfigRow] = config_rows(refs, records)
    context: dict[str, Any] = {
        "config_rows": [(row, _config_url(cluster, row)) for row in rows],
        "validation_error": validation_error,
        "mini_graph": mini_graph(cluster, inventory.namespace.name, kind, entity.name),
    }
    if isinstance(entity, App):
        context["workloads"] = app_workloads(inventory, entity)
        context["services"] = app_services(inventory, entity)
    elif isinstance(entity, Workload):
        context["services"] = [s for n in entity.services if (s := inventory.service(n))]
        context["app"] = inventory.app(entity.app) if entity.app else None
    else:
        context["workloads"] = service_workloads(inventory, entity)
        apps = {w.app for w in context["workloads"] if w.app}
        context["apps"] = [a for n in sorted(apps) if (a := inventory.app(n))]
        # The Service's own findings (port names and protocols, KIA06xx/KIA07xx: SV-04)
        context["own_checks"] = next(
            (
                r.checks
                for r in records or []
                if r.kind == "Service" and r.namespace == entity.namespace and r.name == entity.name
            ),
            [],
        )
    return context


def _config_url(cluster: str, row: ConfigRow) -> str:
    try:
        return reverse("istio_config_detail", args=[cluster, row.namespace, row.kind, row.name])
    except NoReverseMatch:
        return ""


def _traffic(
    request: MeshRequest, kind: str, cluster: str, namespace: str, name: str
) -> tuple[TrafficPeers | None, str]:
    """The entity's node graph reduced to its peers; (None, reason) when it cannot be had."""
    params = {
        "graphType": "app" if kind == "app" else "workload",
        "appenders": "",  # rates and error codes are all the tab shows
        "duration": TRAFFIC_WINDOW,
        "clusterName": cluster,
    }
    if kind == "service":
        params["injectServiceNodes"] = "true"
    try:
        opts = parse_options(params, node=NodeSpec(kind, namespace, **{kind: name}))
    except OptionsError as exc:
        return None, f"no traffic graph for this name: {exc}"
    visible, _errors = visible_namespaces(request)
    graph_request = GraphRequest(
        opts=opts,
        windows={namespace: opts.duration},
        accessible=frozenset((c, ns.name) for c, names in visible.items() for ns in names),
        scope=dict(request.mesh.config.external_services.prometheus.query_scope),
    )
    client = prometheus_for(request, "pages")
    try:
        tmap = build_graph(graph_request, prometheus_query(client, opts.query_time))
    except PrometheusError as exc:
        return None, f"metrics unavailable: {exc}"
    finally:
        client.close()
    return traffic_peers(tmap, kind, cluster, namespace, name), ""


def _metrics(
    request: MeshRequest, kind: str, cluster: str, namespace: str, name: str, direction: str
) -> tuple[MetricsPanel | None, str]:
    # The panel itself renders without Prometheus (its charts fetch later), so ask once here
    # to say plainly why there will be no charts instead of showing empty ones.
    client = prometheus_for(request, "pages")
    try:
        problem = client.check()
    finally:
        client.close()
    if problem:
        return None, f"metrics unavailable: {problem}"
    try:
        return metrics_panel(request, cluster, namespace, kind, name, direction), ""
    except PrometheusError as exc:
        return None, f"metrics unavailable: {exc}"
    except NoReverseMatch:
        return None, "metrics unavailable: the metrics API is not served by this console"


def _detail_page(
    request: MeshRequest, kind: str, cluster: str, namespace: str, name: str
) -> HttpResponse:
    namespace_for(request, cluster, namespace)
    config = request.mesh.config
    try:
        client = request.mesh.registry.access[cluster].service_client()
        snapshot = snapshot_for(client, cluster, config)
    except (KubeError, KubeconfigError) as exc:
        reason = getattr(exc, "message", str(exc))
        failed = {"kind": kind, "cluster": cluster, "namespace": namespace, "name": name}
        return render_page(request, "detail/detail.html", failed | {"error": reason}, status=503)
    inventory = snapshot.namespaces.get(namespace)
    entity = inventory.entity(kind, name) if inventory else None
    if inventory is None or entity is None:
        raise Http404(f"There is no {kind} {name} in namespace {namespace} of {cluster}.")

    tabs = TABS[kind]
    tab = request.GET.get("tab", "overview")
    tab = tab if tab in tabs else "overview"
    partial = bool(request.htmx) and not request.htmx.boosted
    title, list_url_name = LIST_PAGES[kind]
    page_url = reverse(f"{kind}_detail", args=[cluster, namespace, name])
    context: dict[str, Any] = {
        "kind": kind,
        "cluster": cluster,
        "namespace": namespace,
        "name": name,
        "entity": entity,
        "inventory": inventory,
        "tab": tab,
        "tabs": [(t, TAB_LABELS[t], f"{page_url}?tab={t}") for t in tabs],
        "list_title": title,
        "list_url": reverse(list_url_name),
        "multi_cluster": request.mesh.registry.is_multi_cluster,
        "graph_window": TRAFFIC_WINDOW,
    }
    if kind == "service" and not partial:
        context |= wizard_actions(request, cluster, namespace)
    # The header's health badge is outside the tab body, so a tab swap skips it unless the
    # overview (which explains it) is the tab asked for.
    if not partial or tab == "overview":
        lookup: HealthLookup = health_for_pages(
            {cluster: snapshot},
            {cluster: [namespace]},
            lambda: prometheus_for(request, "pages"),
            config,
            time.time(),
        )
        if lookup.computed_on_demand:
            queue_refresh()
        context["health"] = _health(request, entity, lookup)
    if tab == "overview":
        context |= _overview(request, kind, inventory, entity)
    elif tab == "traffic":
        context["peers"], context["traffic_error"] = _traffic(
            request, kind, cluster, namespace, name
        )
    else:
        context["panel"], context["metrics_error"] = _metrics(
            request, kind, cluster, namespace, name, tab
        )
    return render_page(request, "detail/detail.html", context)


@require_GET
def app_detail(request: MeshRequest, cluster: str, namespace: str, name: str) -> HttpResponse:
    return _detail_page(request, "app", cluster, namespace, name)


@require_GET
def workload_detail(request: MeshRequest, cluster: str, namespace: str, name: str) -> HttpResponse:
    return _detail_page(request, "workload", cluster, namespace, name)


@require_GET
def service_detail(request: MeshRequest, cluster: str, namespace: str, name: str) -> HttpResponse:
    return _detail_page(request, "service", cluster, namespace, name)
