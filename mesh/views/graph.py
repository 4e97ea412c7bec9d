"""The Traffic Graph page, its node-graph variant and the side panel of a clicked element.

The page holds every choice in the query string (Kiali's names where Kiali has one) so a
bookmark reproduces the view. It renders the toolbar, legend and empty states on the
server; the canvas script gets its options through json_script and the graph itself from
the JSON API. The side panel summarises the clicked element in the same graph, which the
server keeps from the API's answer (or builds again), after checking that the user may see
that element's namespace.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, QueryDict
from django.urls import reverse
from django.views.decorators.http import require_GET

from kiali_site.access import namespace_for, visible_namespaces
from kiali_site.config import GraphUiDefaults
from kiali_site.context import MeshRequest
from kiali_site.rendering import render_page
from kiali_site.scope import PageScope, page_scope
from kiali_site.scope_memory import KEYS, scoped_page
from mesh.api.graph import graph_owner, graph_request_for
from mesh.graph.appenders.response_time import response_times
from mesh.graph.engine import build_graph, prometheus_query
from mesh.graph.options import OptionsError, parse_options
from mesh.graph.recent import RECENT, graph_key
from mesh.graph.render import to_json
from mesh.meshstatus import ConsoleLink, cluster_consoles
from mesh.metrics.links import tracing_link
from mesh.prometheus.client import PrometheusError
from mesh.viewer import Viewer
from mesh.views.common import prometheus_for, time_ranges
from mesh.views.graph_links import (
    NodeFocus,
    detail_templates,
    detail_url,
    node_graph_templates,
    node_graph_url,
)
from mesh.views.graph_options import (
    DURATIONS,
    EDGE_LABELS,
    EDGE_MODES,
    GRAPH_TYPES,
    LAYOUTS,
    RANK_BY,
    REFRESH,
    RESPONSE_TIMES,
    TRAFFIC,
    GraphView,
)
from mesh.views.graph_summary import summarize_edge, summarize_graph, summarize_node
from mesh.views.metrics import (
    NODE_CHART_METRICS,
    TCP_CHART_METRICS,
    charts,
    panel_charts_url,
)

NODE_KINDS = {"applications": "app", "workloads": "workload", "services": "service"}


def _tracing_template(request: MeshRequest) -> str:
    """The tracing UI's search for an app or service, with placeholders; "" without one."""
    link = tracing_link(request.mesh.config.external_services.tracing, "__NAMESPACE__", "__NAME__")
    return link.url if link else ""


def _ui_graph() -> GraphUiDefaults:
    return settings.KIALI.kiali_feature_flags.ui_defaults.graph


def _view(query: QueryDict) -> GraphView:
    return GraphView.from_query(query, _ui_graph().traffic)


def _page_config(
    request: MeshRequest, view: GraphView, scope: PageScope, focus: NodeFocus | None
) -> dict[str, Any]:
    """Everything graph.js needs, handed over through json_script."""
    namespaces = [focus.namespace] if focus else scope.selected
    params = view.api_params(namespaces, node_graph=focus is not None)
    if focus and scope.cluster:
        params["clusterName"] = scope.cluster
    lazy_rt = "responseTime" not in view.edge_labels
    # The graph's own options (the times API reads none of the appenders), so the times
    # found are kept with the graph for the side panel (mesh.graph.recent).
    rt_params = dict(params) if lazy_rt else None
    if rt_params is not None:
        rt_params.pop("clusterName", None)
    return {
        "apiUrl": focus.api_url if focus else reverse("api-graph"),
        "apiParams": params,
        "responseTimeUrl": reverse("api-graph-response-times") if lazy_rt else "",
        "responseTimeParams": rt_params,
        "panelUrl": reverse("graph-panel"),
        "focus": focus.token if focus else "",
        "edgeLabels": list(view.edge_labels),
        "showSecurity": view.security,
        "showBadges": view.badges,
        "find": view.find,
        "hide": view.hide,
        "refreshMs": view.refresh,
        "duration": view.duration,
        "idleNodes": view.idle_nodes,
        "idleNodesUrl": _with(request.GET, idleNodes="true"),
        "layout": view.layout,
        "edgeMode": view.edge_mode,
        "animation": view.animation,
        "animationStyle": _ui_graph().settings.animation,
        "focusSelector": view.focus_selector,
        "rank": view.rank,
        "rankBy": view.rank_by,
        "detailUrls": detail_templates(),
        "tracingUrl": _tracing_template(request),
        "nodeGraphUrls": node_graph_templates(request.GET),
    }


def _with(query: QueryDict, **changes: str) -> str:
    copy = query.copy()
    for key, value in changes.items():
        copy.setlist(key, [value])
    return f"?{copy.urlencode()}"


def _render(request: MeshRequest, focus: NodeFocus | None) -> HttpResponse:
    if focus is not None:
        # A node graph names its namespace in the path: refuse it like any other page would.
        cluster = request.GET.get("clusterName", "")
        if cluster:
            namespace_for(request, cluster, focus.namespace)
    scope = page_scope(request)
    if focus is not None and focus.namespace not in scope.namespace_names:
        raise PermissionDenied(f"Namespace {focus.namespace} is not accessible.")
    view = _view(request.GET)
    has_graph = bool(scope.selected) or focus is not None
    context = {
        "scope": scope,
        "view": view,
        "focus": focus,
        "has_graph": has_graph,
        "graph_types": GRAPH_TYPES,
        "durations": _durations(request),
        "refresh_choices": REFRESH,
        "edge_label_choices": EDGE_LABELS,
        "response_time_choices": RESPONSE_TIMES,
        "traffic_choices": [
            (name, label, choices, getattr(view.traffic, protocol))
            for name, protocol, label, choices in TRAFFIC
        ],
        "layouts": LAYOUTS,
        "rank_by_choices": RANK_BY,
        "edge_modes": EDGE_MODES,
        "find_presets": _ui_graph().find_options,
        "hide_presets": _ui_graph().hide_options,
        "graph_config": _page_config(request, view, scope, focus) if has_graph else None,
        "full_graph_url": _full_graph_url(request, focus),
    }
    return render_page(request, "graph/graph.html", context)


def _durations(request: MeshRequest) -> list[tuple[int, str]]:
    """The graph's time ranges this Prometheus can answer (SH-03)."""
    from mesh.api.metrics import prometheus_settings

    client = prometheus_for(request, "pages")
    try:
        found = prometheus_settings(client)
    finally:
        client.close()
    return time_ranges(found.scrape_interval, found.retention_period, DURATIONS)


def _full_graph_url(request: MeshRequest, focus: NodeFocus | None) -> str:
    if focus is None:
        return ""
    query = request.GET.copy()
    query.setlist("namespaces", [focus.namespace])
    return f"{reverse('graph')}?{query.urlencode()}"


@require_GET
@scoped_page(*KEYS)
def graph_page(request: MeshRequest) -> HttpResponse:
    return _render(request, None)


@require_GET
def node_graph_page(request: MeshRequest, namespace: str, kind: str, name: str) -> HttpResponse:
    if kind not in NODE_KINDS:
        raise Http404("No such node kind.")
    return _render(request, NodeFocus(NODE_KINDS[kind], namespace, name))


@require_GET
def aggregate_graph_page(
    request: MeshRequest, namespace: str, aggregate: str, value: str, service: str = ""
) -> HttpResponse:
    return _render(request, NodeFocus("aggregate", namespace, aggregate, value, service))


@require_GET
def app_version_graph_page(
    request: MeshRequest, namespace: str, app: str, version: str
) -> HttpResponse:
    return _render(request, NodeFocus("app", namespace, app, version))


def _graph_document(
    request: MeshRequest, params: dict[str, str], focus: NodeFocus | None
) -> dict[str, Any]:
    """The graph JSON the API would answer for these parameters, with response times.

    The graph on the user's screen when this process still holds it (mesh.graph.recent;
    the page sends the graph's queryTime), asking Prometheus only for response times it
    lacks; otherwise built again. Raises OptionsError, PermissionError or PrometheusError
    like the API view does."""
    opts = parse_options(params, node=focus.spec if focus else None)
    graph_request = graph_request_for(request, opts)
    owner = graph_owner(request)
    key = graph_key(opts, graph_request.accessible)
    found = RECENT.find(owner, key) if owner else None
    if found is not None and found[1]:
        return to_json(found[0], opts)
    client = prometheus_for(request, "graph")
    try:
        query = prometheus_query(client, opts.query_time)
        if owner is None or found is None:
            tmap = build_graph(graph_request, query)
            if owner:
                RECENT.remember(owner, key, tmap, has_times=True)
        else:  # kept, without response times yet
            tmap = found[0]
            times = response_times(
                opts, graph_request.windows, query, graph_request.scope, graph_request.ambient
            )
            RECENT.remember_times(owner, key, times)
    finally:
        client.close()
    return to_json(tmap, opts)


def _chart_target(node: Mapping[str, Any]) -> tuple[str, str] | None:
    """(kind, name) whose metrics chart a node, or None for nodes without their own metrics
    (boxes, unknown sources, service entries, nodes the user may not see)."""
    if node.get("isInaccessible") or node.get("isServiceEntry") or node.get("isOutside"):
        return None
    kind = node.get("nodeType")
    if kind == "workload" and node.get("workload"):
        return "workload", str(node["workload"])
    if kind == "app" and node.get("app"):
        return "app", str(node["app"])
    if kind == "service" and node.get("service"):
        return "service", str(node["service"])
    return None


# The label of the destination's inbound metrics that names an edge's source, by the
# source node's type (Kiali's edge charts pick the source's series the same way).
SOURCE_LABELS = {"workload": "source_workload", "app": "source_canonical_service"}


def _edge_charts(
    request: MeshRequest,
    source: Mapping[str, Any],
    target: Mapping[str, Any],
    protocol: str,
    duration: int,
) -> dict[str, Any]:
    """GP-05: the edge's request rate and response time (avg, p50, p95, p99), or its TCP
    bytes, from the destination's inbound metrics grouped by source, of which the chart
    keeps the edge's own source. Nothing when either end is not the user's to chart."""
    destination = _chart_target(target)
    kind = str(source.get("nodeType", ""))
    if destination is None or source.get("isInaccessible"):
        return {}
    if kind in SOURCE_LABELS and source.get(kind):
        label, value = SOURCE_LABELS[kind], str(source[kind])
    elif kind == "service" and source.get("service"):
        label, value = "destination_service_name", str(source["service"])
    else:
        return {}
    tcp = protocol == "tcp"
    url = panel_charts_url(
        request,
        str(target["cluster"]),
        str(target["namespace"]),
        *destination,
        duration,
        TCP_CHART_METRICS if tcp else NODE_CHART_METRICS,
        by_labels=(label,),
        quantiles=() if tcp else ("0.5", "0.95", "0.99"),
    )
    return {
        "edge_charts": charts(
            TCP_CHART_METRICS if tcp else ("request_count", "request_duration_millis")
        ),
        "edge_charts_url": url,
        "edge_chart_filter": f"{label}={value}",
    }


def _consoles(request: MeshRequest, cluster: str) -> list[ConsoleLink]:
    """The consoles serving a cluster box's cluster, as the Mesh page shows them to this
    user (GP-07)."""
    info = request.mesh.registry.get(cluster)
    if info is None:
        return []
    if request.mesh.acts_as_console:
        viewer = Viewer.console()
    else:
        visible, _ = visible_namespaces(request)
        viewer = Viewer.of({c: [ns.name for ns in names] for c, names in visible.items()})
    return cluster_consoles(info, viewer)


def _belongs(data: Any, cluster: str, namespace: str) -> bool:
    return bool(data) and data.get("cluster") == cluster and data.get("namespace") == namespace


@require_GET
def graph_panel(request: MeshRequest) -> HttpResponse:
    """The side panel of one clicked node, box or edge: `element` (its id), `kind`
    (node|edge), and the `cluster`/`namespace` the element belongs to (for an edge, either
    end's). Access is checked on those before any query runs."""
    cluster = request.GET.get("cluster", "")
    namespace = request.GET.get("namespace", "")
    element = request.GET.get("element", "")
    kind = request.GET.get("kind", "node")
    if kind != "graph":  # the whole graph's summary covers only what graph_request_for allows
        namespace_for(request, cluster, namespace)
    focus = NodeFocus.from_token(request.GET.get("focus", ""))
    view = _view(request.GET)
    scope = page_scope(request)
    namespaces = [focus.namespace] if focus else (scope.selected or [namespace])
    params = view.api_params(namespaces, node_graph=focus is not None)
    params["appenders"] += ",responseTime"
    if focus and scope.cluster:
        params["clusterName"] = scope.cluster
    if request.GET.get("queryTime"):
        params["queryTime"] = request.GET["queryTime"]  # the graph on screen (parsed, checked)
    if kind == "graph" and not focus and not scope.selected:
        raise Http404("No namespace is selected.")
    context: dict[str, Any] = {
        "kind": kind,
        "error": "",
        "node": None,
        "edge": None,
        "graph": None,
    }
    status = 200
    try:
        document = _graph_document(request, params, focus)
    except OptionsError as exc:
        context["error"], status = str(exc), 400
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from None
    except PrometheusError as exc:
        context["error"], status = f"metrics unavailable: {exc}", 503
    else:
        if kind == "graph":
            context["graph"] = summarize_graph(document)
        elif kind == "edge":
            edge = summarize_edge(document, element)
            if edge and (
                _belongs(edge.source, cluster, namespace)
                or _belongs(edge.target, cluster, namespace)
            ):
                context["edge"] = edge
                context.update(
                    _edge_charts(request, edge.source, edge.target, edge.protocol, view.duration)
                )
                context["source_graph_url"] = node_graph_url(request.GET, edge.source)
                context["target_graph_url"] = node_graph_url(request.GET, edge.target)
        else:
            node = summarize_node(document, element)
            if node and (
                _belongs(node.node, cluster, namespace)
                or (node.node.get("nodeType") == "box" and node.node.get("cluster") == cluster)
            ):
                context["node"] = node
                if node.node.get("isBox") == "cluster":
                    context["consoles"] = _consoles(request, cluster)
                target = _chart_target(node.node)
                if target is not None:
                    context["node_charts"] = charts(("request_count", "request_duration_millis"))
                    context["node_charts_url"] = panel_charts_url(
                        request,
                        node.node["cluster"],
                        node.node["namespace"],
                        *target,
                        view.duration,
                        NODE_CHART_METRICS,
                    )
                context["detail_url"] = detail_url(node.node)
                context["node_graph_url"] = node_graph_url(request.GET, node.node)
        if context["edge"] is None and context["node"] is None and context["graph"] is None:
            context["error"], status = "This element is not in the graph any more.", 404
    context["duration"] = view.duration
    return render_page(request, "graph/panel.html", context, partial="panel", status=status)
