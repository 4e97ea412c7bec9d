"""The graph page's own options, read from the query string with safe fallbacks.

Kiali's names are kept where Kiali has one, so a bookmark of the page reproduces the view,
and the JSON API's query is derived from them (graph.md 1.4: what Kiali's UI sends).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import QueryDict

from kiali_site.config import GRAPH_TRAFFIC_CHOICES, GraphTraffic
from mesh.views.common import TIME_RANGES

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
