"""Graph request options, parsed and validated the way Kiali parses them.

Everything a request can say is checked here, before any query is built: a bad value is an
`OptionsError` (a ValueError) with Kiali's wording, which the views turn into HTTP 400. Names
that end up in PromQL (namespaces, apps, workloads, services) must be valid Kubernetes names
or label values, so quotes, braces and regex characters never get near a query.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from kiali_site.config import GRAPH_TRAFFIC_CHOICES
from mesh.prometheus.client import LATEST_QUERY_TIME, LONGEST_DURATION, parse_duration

GRAPH_TYPES = ("app", "versionedApp", "workload", "service")
BOX_BY = ("app", "cluster", "namespace")
RATE_HTTP = GRAPH_TRAFFIC_CHOICES["http"]
RATE_GRPC = GRAPH_TRAFFIC_CHOICES["grpc"]
RATE_TCP = GRAPH_TRAFFIC_CHOICES["tcp"]
AMBIENT_TRAFFIC = GRAPH_TRAFFIC_CHOICES["ambient"]
RESPONSE_TIMES = ("avg", "50", "95", "99")
THROUGHPUT_TYPES = ("request", "response")

# Per-namespace appenders run in this order, then the finalizers (graph.md 5.1).
NAMESPACE_APPENDERS = (
    "serviceEntry",
    "deadNode",
    "workloadEntry",
    "responseTime",
    "securityPolicy",
    "throughput",
    "aggregateNode",
    "idleNode",
    "meshCheck",
)
FINALIZERS = ("istio", "ambient", "health", "labeler")
ACCEPTED_APPENDERS = frozenset(
    {*NAMESPACE_APPENDERS, *FINALIZERS, "sidecarsCheck", "outsider", "trafficGenerator"}
)

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_FALSE = ("0", "f", "F", "FALSE", "false", "False")


class OptionsError(ValueError):
    """A request option Kiali would answer with 400; str() is the message to send back."""


@dataclass(frozen=True)
class NodeSpec:
    """The node a node graph is centred on (from the URL path)."""

    kind: str  # app | workload | service | aggregate
    namespace: str
    app: str = ""
    version: str = ""
    workload: str = ""
    service: str = ""
    cluster: str = "unknown"
    aggregate: str = ""  # a metric label (aggregate nodes)
    aggregate_value: str = ""


@dataclass(frozen=True)
class GraphOptions:
    graph_type: str = "workload"
    namespaces: tuple[str, ...] = ()
    duration: int = 600  # seconds, as requested
    query_time: int = 0  # unix seconds, the end of the window
    historical: bool = False  # queryTime was given
    appenders: frozenset[str] | None = None  # None: all of them
    box_by: frozenset[str] = field(default_factory=frozenset)
    include_idle_edges: bool = False
    inject_service_nodes: bool = False
    rate_http: str = "requests"
    rate_grpc: str = "requests"
    rate_tcp: str = "sent"
    ambient_traffic: str = "total"
    response_time: str = "95"
    throughput_type: str = "response"
    aggregate: str = "request_operation"
    waypoints: bool = True  # the ambient finalizer shows waypoint nodes, or hides them
    node: NodeSpec | None = None

    def wants(self, appender: str) -> bool:
        """Whether an optional appender runs (absent `appenders` means all of them)."""
        if self.appenders is None:
            return True
        if appender == "meshCheck":
            return "meshCheck" in self.appenders or "sidecarsCheck" in self.appenders
        return appender in self.appenders

    @property
    def requests(self) -> bool:
        return self.rate_http == "requests" or self.rate_grpc == "requests"


def _bool(params: Mapping[str, str], name: str, default: bool) -> bool:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise OptionsError(f"Invalid {name} [{raw}]")


def _choice(params: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if raw not in allowed:
        raise OptionsError(f"Invalid {name} [{raw}]")
    return raw


def check_namespace(name: str) -> str:
    if len(name) > 63 or not _DNS_LABEL.match(name):
        raise OptionsError(f"Invalid namespace [{name}]")
    return name


def check_name(kind: str, value: str) -> str:
    """A workload/service (DNS subdomain) or app/version (label value) from a URL path."""
    pattern = _LABEL_VALUE if kind in ("app", "version") else _DNS_SUBDOMAIN
    if len(value) > 253 or not pattern.match(value):
        raise OptionsError(f"Invalid {kind} [{value}]")
    return value


def _appenders(params: Mapping[str, str]) -> frozenset[str] | None:
    if "appenders" not in params:
        return None
    chosen = set()
    for entry in params["appenders"].split(","):
        name = entry.strip()
        if not name:
            continue
        if name not in ACCEPTED_APPENDERS:
            raise OptionsError(f"Invalid appender [{name}]")
        chosen.add(name)
    return frozenset(chosen)


def _box_by(params: Mapping[str, str]) -> frozenset[str]:
    raw = params.get("boxBy")
    if raw is None:
        return frozenset()
    tokens = [t.strip() for t in raw.split(",")]
    for token in tokens:
        if token not in BOX_BY:
            raise OptionsError(f"Invalid boxBy [{token}]")
    return frozenset(tokens)


def _duration(params: Mapping[str, str]) -> int:
    raw = params.get("duration") or "10m"
    try:
        seconds = parse_duration(raw)
    except (ValueError, Exception):  # the config's Duration parser has its own error type
        raise OptionsError(f"Invalid duration [{raw}]") from None
    if not 0 < seconds <= LONGEST_DURATION:
        raise OptionsError(f"Invalid duration [{raw}]")
    return int(seconds)


def _query_time(params: Mapping[str, str], now: float) -> tuple[int, bool]:
    raw = params.get("queryTime")
    if raw is None or raw == "":
        return int(now), False
    try:
        seconds = int(raw)
    except ValueError:
        raise OptionsError(f"Invalid queryTime [{raw}]") from None
    if not 0 < seconds <= LATEST_QUERY_TIME:
        raise OptionsError(f"Invalid queryTime [{raw}]")
    return seconds, True


def parse_options(
    params: Mapping[str, str], *, node: NodeSpec | None = None, now: float | None = None
) -> GraphOptions:
    """Options of a namespace graph (node=None) or of a node graph centred on `node`."""
    graph_type = _choice(params, "graphType", GRAPH_TYPES, "workload")
    for vendor, allowed in (("configVendor", "common"), ("telemetryVendor", "istio")):
        if params.get(vendor, allowed) not in (allowed, ""):
            raise OptionsError(f"Invalid {vendor} [{params[vendor]}]")
    if node is not None:
        check_namespace(node.namespace)
        for kind in ("app", "version", "workload", "service"):
            if getattr(node, kind):
                check_name(kind, getattr(node, kind))
        if node.kind == "app" and graph_type not in ("app", "versionedApp"):
            raise OptionsError(f"Invalid graphType [{graph_type}] for an app node graph")
        if node.kind == "aggregate":
            if not _LABEL_NAME.match(node.aggregate):
                raise OptionsError(f"Invalid aggregate [{node.aggregate}]")
            value = node.aggregate_value
            if not value or len(value) > 253 or not value.isprintable():
                raise OptionsError(f"Invalid aggregateValue [{value}]")
            if graph_type == "service":
                raise OptionsError("Invalid graphType [service] for an aggregate node graph")
        cluster = params.get("clusterName") or "unknown"
        if cluster != "unknown":
            check_name("cluster", cluster)
            node = NodeSpec(**{**node.__dict__, "cluster": cluster})
        namespaces: tuple[str, ...] = (node.namespace,)
    else:
        raw = params.get("namespaces", "")
        names = [n.strip() for n in raw.split(",") if n.strip()]
        if not names:
            raise OptionsError(
                "At least one namespace must be specified via the namespaces query parameter."
            )
        namespaces = tuple(dict.fromkeys(check_namespace(n) for n in names))
    aggregate = (node.aggregate if node and node.kind == "aggregate" else None) or (
        params.get("aggregate") or "request_operation"
    )
    if not _LABEL_NAME.match(aggregate):
        raise OptionsError(f"Invalid aggregate [{aggregate}]")
    query_time, historical = _query_time(params, time.time() if now is None else now)
    return GraphOptions(
        graph_type=graph_type,
        namespaces=namespaces,
        duration=_duration(params),
        query_time=query_time,
        historical=historical,
        appenders=_appenders(params),
        box_by=_box_by(params),
        include_idle_edges=_bool(params, "includeIdleEdges", False),
        inject_service_nodes=graph_type == "service" or _bool(params, "injectServiceNodes", False),
        rate_http=_choice(params, "rateHttp", RATE_HTTP, "requests"),
        rate_grpc=_choice(params, "rateGrpc", RATE_GRPC, "requests"),
        rate_tcp=_choice(params, "rateTcp", RATE_TCP, "sent"),
        ambient_traffic=_choice(params, "ambientTraffic", AMBIENT_TRAFFIC, "total"),
        response_time=_choice(params, "responseTime", RESPONSE_TIMES, "95"),
        throughput_type=_choice(params, "throughputType", THROUGHPUT_TYPES, "response"),
        aggregate=aggregate,
        waypoints=_bool(params, "waypoints", True),
        node=node,
    )
