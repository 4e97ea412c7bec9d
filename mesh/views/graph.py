"""The Traffic Graph page, its node-graph variant and the side panel of a clicked element.

The page holds every choice in the query string (Kiali's names where Kiali has one) so a
bookmark reproduces the view. It renders the toolbar, legend and empty states on the
server; the canvas script gets its options through json_script and the graph itself from
the JSON API. The side panel summarises the clicked element in the same graph, which the
server keeps from the API's answer (or builds again), after checking that the user may see
that element's namespace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, QueryDict
from django.urls import reverse
from django.views.decorators.http import require_GET

from kiali_site.access import namespace_for
from kiali_site.config import GRAPH_TRAFFIC_CHOICES, GraphTraffic, GraphUiDefaults
from kiali_site.context import MeshRequest
from kiali_site.rendering import render_page
from kiali_site.scope import PageScope, page_scope
from mesh.api.graph import graph_owner, graph_request_for
from mesh.graph.appenders.response_time import response_times
from mesh.graph.engine import build_graph, prometheus_query
from mesh.graph.options import NodeSpec, OptionsError, parse_options
from mesh.graph.recent import RECENT, graph_key
from mesh.graph.render import to_json
from mesh.metrics.links import tracing_link
from mesh.prometheus.client import PrometheusError
from mesh.views.common import TIME_RANGES, prometheus_for
from mesh.views.graph_summary import summarize_edge, summarize_node

GRAPH_TYPES = (
    ("versionedApp", "Versioned app graph"),
    ("app", "App graph"),
    ("workload", "Workload graph"),
    ("service", "Service graph"),
)
DURATIONS = TIME_RANGES[:9]  # a graph over more than a day costs more than it shows
REFRESH = (  # milliseconds, as Kiali keeps it in the URL
    (0, "Pause"),
    (10000, "Every 10s"),
    (30000, "Every 30s"),
    (60000, "Every 1m"),
    (300000, "Every 5m"),
    (900000, "Every 15m"),
)
EDGE_LABELS = (
    ("trafficRate", "Traffic rate"),
    ("trafficDistribution", "Traffic distribution"),
    ("responseTime", "Response time"),
    ("throughput", "Throughput"),
)
RESPONSE_TIMES = (("avg", "Average"), ("50", "Median"), ("95", "95th pct"), ("99", "99th pct"))
# The traffic selector: (query-string name, protocol, label, labelled choices), as the API
# names the rates; the first choice of each is "none".
TRAFFIC_CHOICE_LABELS = {
    "none": "None",
    "requests": "Requests",
    "sent": "Sent",
    "received": "Received",
    "total": "Total",
    "waypoint": "Waypoint only",
    "ztunnel": "ztunnel only",
}
TRAFFIC = tuple(
    (
        name,
        protocol,
        label,
        tuple((c, TRAFFIC_CHOICE_LABELS[c]) for c in GRAPH_TRAFFIC_CHOICES[protocol]),
    )
    for name, protocol, label in (
        ("rateHttp", "http", "HTTP"),
        ("rateGrpc", "grpc", "gRPC"),
        ("rateTcp", "tcp", "TCP"),
        ("ambientTraffic", "ambient", "Ambient"),
    )
)
LAYOUTS = (
    ("dagre", "Dagre"),
    ("grid", "Grid"),
    ("concentric", "Concentric"),
    ("breadthfirst", "Breadth-first"),
)
RANK_BY = (("inbound", "Inbound edges"), ("outbound", "Outbound edges"), ("both", "Both"))
EDGE_MODES = (("all", "All edges"), ("unhealthy", "Unhealthy edges only"), ("none", "No edges"))
# Kiali's UI always asks for these; the toggles add the rest.
BASE_APPENDERS = (
    "deadNode",
    "serviceEntry",
    "meshCheck",
    "workloadEntry",
    "istio",
    "ambient",
    "health",
    "labeler",  # node labels, for label:<key> in find and hide
)
# The query-string names of GraphView, carried from one graph page to another.
VIEW_KEYS = (
    "graphType",
    "duration",
    "refresh",
    "edges",
    "responseTime",
    "idleNodes",
    "idleEdges",
    "injectServiceNodes",
    "showSecurity",
    "badges",
    "boxByCluster",
    "boxByNamespace",
    "find",
    "hide",
    "rateHttp",
    "rateGrpc",
    "rateTcp",
    "ambientTraffic",
    "layout",
    "rank",
    "rankBy",
    "waypoints",
    "operationNodes",
    "edgeMode",
    "animation",
)
NODE_KINDS = {"applications": "app", "workloads": "workload", "services": "service"}


def _flag(query: QueryDict, name: str, default: bool) -> bool:
    """A checkbox that may default to on: the form sends a hidden "false" before the box,
    so the last value wins and an absent parameter keeps the default."""
    values = query.getlist(name)
    if not values:
        return default
    return values[-1].lower() in ("true", "1", "on", "yes")


def _choice(raw: str | None, allowed: tuple[tuple[Any, str], ...], default: Any) -> Any:
    for value, _label in allowed:
        if str(value) == raw:
            return value
    return default


@dataclass(frozen=True)
class GraphView:
    """The page's own options, read from the query string with safe fallbacks (a bad
    bookmark still shows a graph rather than an error)."""

    graph_type: str = "versionedApp"
    duration: int = 600
    refresh: int = 0
    edge_labels: tuple[str, ...] = ()
    response_time: str = "95"
    idle_nodes: bool = False
    idle_edges: bool = False
    service_nodes: bool = True
    security: bool = False
    badges: bool = True
    box_cluster: bool = True
    box_namespace: bool = True
    find: str = ""
    hide: str = ""
    traffic: GraphTraffic = GraphTraffic()
    layout: str = "dagre"
    rank: bool = False
    rank_by: str = "inbound"
    waypoints: bool = True
    operation_nodes: bool = False
    edge_mode: str = "all"
    focus_selector: str = ""
    animation: bool = False

    @classmethod
    def from_query(cls, query: QueryDict, defaults: GraphTraffic | None = None) -> GraphView:
        """`defaults` is the configured traffic selector (ui_defaults.graph.traffic)."""
        labels = {x for raw in query.getlist("edges") for x in raw.split(",")}
        initial = defaults or GraphTraffic()
        traffic = GraphTraffic(
            **{
                protocol: _choice(query.get(name), choices, getattr(initial, protocol))
                for name, protocol, _label, choices in TRAFFIC
            }
        )
        return cls(
            graph_type=_choice(query.get("graphType"), GRAPH_TYPES, "versionedApp"),
            duration=_choice(query.get("duration"), DURATIONS, 600),
            refresh=_choice(query.get("refresh"), REFRESH, 0),
            edge_labels=tuple(k for k, _ in EDGE_LABELS if k in labels),
            response_time=_choice(query.get("responseTime"), RESPONSE_TIMES, "95"),
            idle_nodes=_flag(query, "idleNodes", False),
            idle_edges=_flag(query, "idleEdges", False),
            service_nodes=_flag(query, "injectServiceNodes", True),
            security=_flag(query, "showSecurity", False),
            badges=_flag(query, "badges", True),
            box_cluster=_flag(query, "boxByCluster", True),
            box_namespace=_flag(query, "boxByNamespace", True),
            find=query.get("find", "")[:500],
            hide=query.get("hide", "")[:500],
            traffic=traffic,
            layout=_choice(query.get("layout"), LAYOUTS, "dagre"),
            rank=_flag(query, "rank", False),
            rank_by=_choice(query.get("rankBy"), RANK_BY, "inbound"),
            waypoints=_flag(query, "waypoints", True),
            operation_nodes=_flag(query, "operationNodes", False),
            edge_mode=_choice(query.get("edgeMode"), EDGE_MODES, "all"),
            focus_selector=query.get("focusSelector", "")[:500],
            animation=_flag(query, "animation", False),
        )

    def api_params(self, namespaces: list[str], *, node_graph: bool = False) -> dict[str, str]:
        """The JSON API's query for this view (graph.md 1.4: what Kiali's UI sends)."""
        appenders = list(BASE_APPENDERS)
        if self.idle_nodes and not node_graph:
            appenders.append("idleNode")
        if self.security:
            appenders.append("securityPolicy")
        if "responseTime" in self.edge_labels:
            appenders.append("responseTime")
        if "throughput" in self.edge_labels:
            appenders.append("throughput")
        if self.operation_nodes:
            appenders.append("aggregateNode")  # aggregate=request_operation, the default
        boxes = (("cluster", self.box_cluster), ("namespace", self.box_namespace))
        box_by = [name for name, on in boxes if on]
        if self.graph_type in ("app", "versionedApp"):
            box_by.insert(0, "app")
        params = {
            "namespaces": ",".join(namespaces),
            "graphType": self.graph_type,
            "duration": f"{self.duration}s",
            "appenders": ",".join(appenders),
            "includeIdleEdges": str(self.idle_edges).lower(),
            "injectServiceNodes": str(self.service_nodes).lower(),
            "responseTime": self.response_time,
            "rateHttp": self.traffic.http,
            "rateGrpc": self.traffic.grpc,
            "rateTcp": self.traffic.tcp,
            "ambientTraffic": self.traffic.ambient,
            "waypoints": str(self.waypoints).lower(),
        }
        if box_by:
            params["boxBy"] = ",".join(box_by)
        return params


@dataclass(frozen=True)
class NodeFocus:
    """The node a node graph is centred on, from the page's path. For an aggregate node,
    `name` is the aggregate label, `version` its value and `service` the optional service."""

    kind: str  # app | workload | service | aggregate
    namespace: str
    name: str
    version: str = ""
    service: str = ""

    @property
    def spec(self) -> NodeSpec:
        if self.kind == "app":
            return NodeSpec("app", self.namespace, app=self.name, version=self.version)
        if self.kind == "workload":
            return NodeSpec("workload", self.namespace, workload=self.name)
        if self.kind == "aggregate":
            return NodeSpec(
                "aggregate",
                self.namespace,
                service=self.service,
                aggregate=self.name,
                aggregate_value=self.version,
            )
        return NodeSpec("service", self.namespace, service=self.name)

    @property
    def api_url(self) -> str:
        if self.kind == "app" and self.version:
            args = [self.namespace, self.name, self.version]
            return reverse("api-graph-app-version", args=args)
        if self.kind == "aggregate":
            args = [self.namespace, self.name, self.version]
            if self.service:
                return reverse("api-graph-aggregate-service", args=[*args, self.service])
            return reverse("api-graph-aggregate", args=args)
        names = {"app": "api-graph-app", "workload": "api-graph-workload"}
        return reverse(names.get(self.kind, "api-graph-service"), args=[self.namespace, self.name])

    @property
    def label(self) -> str:
        if self.kind == "aggregate":
            service = f" of service {self.service}" if self.service else ""
            return f"{self.name} {self.version}{service}"
        version = f" {self.version}" if self.version else ""
        return f"{self.kind} {self.name}{version}"

    @property
    def token(self) -> str:
        parts = (self.kind, self.namespace, self.name, self.version, self.service)
        return "/".join(p for p in parts if p)

    @classmethod
    def from_token(cls, token: str) -> NodeFocus | None:
        parts = token.split("/")
        if len(parts) in (3, 4) and parts[0] in ("app", "workload", "service"):
            return cls(*parts)
        if len(parts) in (4, 5) and parts[0] == "aggregate":
            return cls(*parts)
        return None


def node_graph_url(view_query: QueryDict, node: Any) -> str | None:
    """The page's node graph for a graph node (None for boxes, unknowns and inaccessibles)."""
    if node.get("isInaccessible") or node.get("nodeType") in ("box", "unknown"):
        return None
    kind = node.get("nodeType")
    ns = node.get("namespace", "")
    if kind == "aggregate":
        label, _, value = str(node.get("aggregate", "")).partition("=")
        if not value:
            return None
        args = [ns, label, value]
        if node.get("service"):
            url = reverse("graph-node-aggregate-service", args=[*args, node["service"]])
        else:
            url = reverse("graph-node-aggregate", args=args)
    elif kind == "app" and node.get("version"):
        url = reverse("graph-node-app-version", args=[ns, node["app"], node["version"]])
    elif kind == "app":
        url = reverse("graph-node", args=[ns, "applications", node["app"]])
    elif kind == "workload":
        url = reverse("graph-node", args=[ns, "workloads", node["workload"]])
    elif kind == "service" and node.get("service") not in ("unknown", None):
        url = reverse("graph-node", args=[ns, "services", node["service"]])
    else:
        return None
    query = QueryDict(mutable=True)
    for key in VIEW_KEYS:
        if key in view_query:
            query.setlist(key, view_query.getlist(key))
    query["clusterName"] = node.get("cluster", "")
    return f"{url}?{query.urlencode()}"


DETAIL_ROUTES = {"app": "app_detail", "workload": "workload_detail", "service": "service_detail"}


def detail_url(node: Any, tab: str = "") -> str | None:
    """The node's detail page (or one of its tabs); None for nodes that have none."""
    if node.get("isInaccessible"):
        return None
    kind = node.get("nodeType")
    name = node.get(kind) if kind in DETAIL_ROUTES else None
    if not name or name == "unknown":
        return None
    url = reverse(DETAIL_ROUTES[kind], args=[node.get("cluster", ""), node["namespace"], name])
    return f"{url}?{urlencode({'tab': tab})}" if tab else url


def _detail_templates() -> dict[str, str]:
    """Detail URLs per node type with placeholders, for the graph's context menu: the
    script fills in each node's cluster, namespace and name (URL-encoded)."""
    args = ["__CLUSTER__", "__NAMESPACE__", "__NAME__"]
    return {kind: reverse(route, args=args) for kind, route in DETAIL_ROUTES.items()}


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
        "detailUrls": _detail_templates(),
        "tracingUrl": _tracing_template(request),
        "nodeGraphUrls": _node_graph_templates(request.GET),
    }


def _node_graph_templates(query: QueryDict) -> dict[str, str]:
    """Node-graph URLs per node type with placeholders, carrying the page's view options."""
    view = QueryDict(mutable=True)
    for key in VIEW_KEYS:
        if key in query:
            view.setlist(key, query.getlist(key))
    view["clusterName"] = "__CLUSTER__"
    suffix = f"?{view.urlencode()}"
    ns, name = "__NAMESPACE__", "__NAME__"
    return {
        "app": reverse("graph-node", args=[ns, "applications", name]) + suffix,
        "appVersion": reverse("graph-node-app-version", args=[ns, name, "__VERSION__"]) + suffix,
        "workload": reverse("graph-node", args=[ns, "workloads", name]) + suffix,
        "service": reverse("graph-node", args=[ns, "services", name]) + suffix,
        "aggregate": reverse("graph-node-aggregate", args=[ns, "__AGGREGATE__", "__VALUE__"])
        + suffix,
        "aggregateService": reverse(
            "graph-node-aggregate-service", args=[ns, "__AGGREGATE__", "__VALUE__", "__SERVICE__"]
        )
        + suffix,
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
        "durations": DURATIONS,
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


def _full_graph_url(request: MeshRequest, focus: NodeFocus | None) -> str:
    if focus is None:
        return ""
    query = request.GET.copy()
    query.setlist("namespaces", [focus.namespace])
    return f"{reverse('graph')}?{query.urlencode()}"


@require_GET
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
    client = prometheus_for(request)
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
    context: dict[str, Any] = {"kind": kind, "error": "", "node": None, "edge": None}
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
        if kind == "edge":
            edge = summarize_edge(document, element)
            if edge and (
                _belongs(edge.source, cluster, namespace)
                or _belongs(edge.target, cluster, namespace)
            ):
                context["edge"] = edge
                context["source_graph_url"] = node_graph_url(request.GET, edge.source)
                context["target_graph_url"] = node_graph_url(request.GET, edge.target)
        else:
            node = summarize_node(document, element)
            if node and (
                _belongs(node.node, cluster, namespace)
                or (node.node.get("nodeType") == "box" and node.node.get("cluster") == cluster)
            ):
                context["node"] = node
                context["detail_url"] = detail_url(node.node)
                context["node_graph_url"] = node_graph_url(request.GET, node.node)
        if context["edge"] is None and context["node"] is None:
            context["error"], status = "This element is not in the graph any more.", 404
    context["duration"] = view.duration
    return render_page(request, "graph/panel.html", context, partial="panel", status=status)
