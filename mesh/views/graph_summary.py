"""What the graph's side panel says about one node, box or edge, read from the graph JSON.

The panel's numbers come from the same cytoscape document the API serves, rebuilt on the
server for the clicked element, so nothing the browser sends is trusted. Everything here is
a plain function of that document: no request, no Prometheus.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Data = Mapping[str, Any]

# Kiali's default request tolerances (health.md 5.2): (error share, degraded %, failure %).
# A threshold of 0 for "degraded" means any error at all degrades.
HTTP_5XX = (0.0, 10.0)
HTTP_4XX = (10.0, 20.0)
GRPC_ERR = (0.0, 10.0)
STATUS_ORDER = ("NA", "Healthy", "Degraded", "Failure")

UNITS = {"http": "req/s", "grpc": "req/s", "tcp": "B/s"}


def _f(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _grade(percent: float, thresholds: tuple[float, float]) -> str:
    degraded, failure = thresholds
    if percent <= 0:
        return "Healthy"
    if percent >= failure:
        return "Failure"
    return "Degraded" if percent >= degraded else "Healthy"


def worst(statuses: Iterable[str]) -> str:
    return max(statuses, key=STATUS_ORDER.index, default="NA")


def rates_status(protocol: str, rates: Mapping[str, Any], prefix: str = "") -> str:
    """Health of one protocol's request rates under the default tolerances; `prefix` reads
    node inbound rates (`httpIn5xx`) instead of edge rates (`http5xx`)."""
    p = prefix
    if protocol == "http":
        total = _f(rates.get(f"http{p}"))
        if total <= 0:
            return "NA"
        server = _f(rates.get(f"http{p}5xx")) + _f(rates.get(f"http{p}NoResponse"))
        client = _f(rates.get(f"http{p}4xx"))
        return worst(
            (_grade(server / total * 100, HTTP_5XX), _grade(client / total * 100, HTTP_4XX))
        )
    if protocol == "grpc":
        total = _f(rates.get(f"grpc{p}"))
        if total <= 0:
            return "NA"
        errors = _f(rates.get(f"grpc{p}Err")) + _f(rates.get(f"grpc{p}NoResponse"))
        return _grade(errors / total * 100, GRPC_ERR)
    return "NA"


def edge_status(edge: Data) -> str:
    """The engine's `healthStatus` when the health appender wrote one, else the edge's own
    rates against the default tolerances (the page colours edges the same way)."""
    if edge.get("healthStatus"):
        return str(edge["healthStatus"])
    traffic = edge.get("traffic") or {}
    status = rates_status(traffic.get("protocol", ""), traffic.get("rates") or {})
    return "Healthy" if status == "NA" and traffic.get("rates") else status


def node_status(node: Data) -> str:
    health = node.get("healthData")
    if isinstance(health, Mapping):
        status = health.get("status")
        if isinstance(status, Mapping) and status.get("status"):
            return str(status["status"])
    statuses = []
    for entry in node.get("traffic") or []:
        statuses.append(rates_status(entry.get("protocol", ""), entry.get("rates") or {}, "In"))
    return worst(statuses)


def node_name(node: Data) -> str:
    kind = node.get("nodeType")
    if kind == "box":
        box = node.get("isBox")
        return str(
            node.get("app") if box == "app" else node.get("namespace") or node.get("cluster")
        )
    if kind == "service":
        return str(node.get("service", ""))
    if kind == "app":
        return str(node.get("app", ""))
    if kind == "aggregate":
        return str(node.get("aggregate", ""))
    if kind == "unknown":
        return "unknown"
    return str(node.get("workload") or node.get("app") or node.get("service") or "")


@dataclass(frozen=True)
class RateLine:
    """One protocol's traffic in one direction."""

    protocol: str
    rate: float
    errors: float
    edges: int

    @property
    def unit(self) -> str:
        return UNITS.get(self.protocol, "")

    @property
    def percent_error(self) -> float:
        return self.errors / self.rate * 100 if self.rate > 0 else 0.0

    @property
    def percent_success(self) -> float:
        return 100.0 - self.percent_error


@dataclass(frozen=True)
class Badge:
    key: str
    label: str


@dataclass
class NodeSummary:
    node: Data
    name: str
    status: str
    members: list[Data]
    inbound: list[RateLine] = field(default_factory=list)
    outbound: list[RateLine] = field(default_factory=list)
    response_time_ms: float | None = None
    badges: list[Badge] = field(default_factory=list)

    @property
    def health_from_engine(self) -> bool:
        return isinstance(self.node.get("healthData"), Mapping)


@dataclass
class EdgeSummary:
    edge: Data
    source: Data
    target: Data
    source_name: str
    target_name: str
    protocol: str
    rate: float
    status: str
    percent_error: float | None
    percent_req: float | None
    response_time_ms: float | None
    throughput: float | None
    mtls: float | None
    responses: list[tuple[str, str, str]]  # code, "flag pct, ...", "host pct, ..."


BADGES = (
    ("hasCB", "Circuit breaker"),
    ("hasVS", "Virtual service"),
    ("hasFaultInjection", "Fault injection"),
    ("hasTrafficShifting", "Traffic shifting"),
    ("hasTCPTrafficShifting", "TCP traffic shifting"),
    ("hasMirroring", "Mirroring"),
    ("hasRequestRouting", "Request routing"),
    ("hasRequestTimeout", "Request timeout"),
    ("isGateway", "Gateway"),
    ("hasWorkloadEntry", "Workload entry"),
    ("isServiceEntry", "Service entry"),
    ("isOutOfMesh", "Missing sidecar"),
    ("isDead", "No pods"),
    ("isIdle", "Idle"),
    ("isRoot", "Traffic source"),
    ("isOutside", "Unselected namespace"),
    ("isInaccessible", "Restricted"),
)


def _errors(protocol: str, rates: Mapping[str, Any]) -> float:
    if protocol == "http":
        return sum(_f(rates.get(k)) for k in ("http4xx", "http5xx", "httpNoResponse"))
    if protocol == "grpc":
        return _f(rates.get("grpcErr")) + _f(rates.get("grpcNoResponse"))
    return 0.0


def _lines(edges: Iterable[Data]) -> list[RateLine]:
    totals: dict[str, list[float]] = {}
    for edge in edges:
        traffic = edge.get("traffic") or {}
        protocol = traffic.get("protocol", "")
        rates = traffic.get("rates") or {}
        entry = totals.setdefault(protocol, [0.0, 0.0, 0.0])
        entry[0] += _f(rates.get(protocol))
        entry[1] += _errors(protocol, rates)
        entry[2] += 1
    return [
        RateLine(p, totals[p][0], totals[p][1], int(totals[p][2]))
        for p in ("grpc", "http", "tcp")
        if p in totals
    ]


def _descendants(nodes: list[Data], root: str) -> list[Data]:
    children: dict[str, list[Data]] = {}
    for node in nodes:
        if node.get("parent"):
            children.setdefault(node["parent"], []).append(node)
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child["id"])
    return found


def _weighted_response_time(edges: Iterable[Data]) -> float | None:
    weight = total = 0.0
    for edge in edges:
        if edge.get("responseTime") is None:
            continue
        traffic = edge.get("traffic") or {}
        rate = _f((traffic.get("rates") or {}).get(traffic.get("protocol", ""))) or 1.0
        weight += rate
        total += _f(edge["responseTime"]) * rate
    return total / weight if weight else None


def elements(document: Data) -> tuple[list[Data], list[Data]]:
    graph = document.get("elements") or {}
    return (
        [n["data"] for n in graph.get("nodes", [])],
        [e["data"] for e in graph.get("edges", [])],
    )


def summarize_node(document: Data, node_id: str) -> NodeSummary | None:
    """A node's (or a box's members') traffic across its border, per protocol."""
    nodes, edges = elements(document)
    node = next((n for n in nodes if n["id"] == node_id), None)
    if node is None:
        return None
    members = _descendants(nodes, node_id) if node.get("nodeType") == "box" else [node]
    inside = {m["id"] for m in members}
    inbound = [e for e in edges if e["target"] in inside and e["source"] not in inside]
    outbound = [e for e in edges if e["source"] in inside and e["target"] not in inside]
    status = node_status(node)
    if node.get("nodeType") == "box" and status == "NA":
        status = worst(node_status(m) for m in members)
    return NodeSummary(
        node=node,
        name=node_name(node),
        status=status,
        members=[m for m in members if m is not node],
        inbound=_lines(inbound),
        outbound=_lines(outbound),
        response_time_ms=_weighted_response_time(inbound),
        # a cluster box is not "outside" because some of its namespaces were not selected
        badges=[
            Badge(key, label)
            for key, label in BADGES
            if node.get(key) and not (key == "isOutside" and node.get("isBox") == "cluster")
        ],
    )


def _shares(values: Mapping[str, Any] | None) -> str:
    return ", ".join(f"{k} {v}%" for k, v in sorted((values or {}).items()))


def summarize_edge(document: Data, edge_id: str) -> EdgeSummary | None:
    nodes, edges = elements(document)
    edge = next((e for e in edges if e["id"] == edge_id), None)
    if edge is None:
        return None
    by_id = {n["id"]: n for n in nodes}
    source, target = by_id.get(edge["source"], {}), by_id.get(edge["target"], {})
    traffic = edge.get("traffic") or {}
    protocol = traffic.get("protocol", "")
    rates = traffic.get("rates") or {}
    rate = _f(rates.get(protocol))

    def optional(value: Any) -> float | None:
        return None if value in (None, "") else _f(value)

    responses = [
        (code, _shares(parts.get("flags")), _shares(parts.get("hosts")))
        for code, parts in sorted((traffic.get("responses") or {}).items())
    ]
    return EdgeSummary(
        edge=edge,
        source=source,
        target=target,
        source_name=node_name(source),
        target_name=node_name(target),
        protocol=protocol,
        rate=rate,
        status=edge_status(edge),
        percent_error=(rates_error(protocol, rates) if protocol != "tcp" else None),
        percent_req=optional(rates.get(f"{protocol}PercentReq")),
        response_time_ms=optional(edge.get("responseTime")),
        throughput=optional(edge.get("throughput")),
        mtls=optional(edge.get("isMTLS")),
        responses=responses,
    )


def rates_error(protocol: str, rates: Mapping[str, Any]) -> float:
    total = _f(rates.get(protocol))
    return _errors(protocol, rates) / total * 100 if total > 0 else 0.0


@dataclass(frozen=True)
class CodeClasses(RateLine):
    """One protocol's rate in one direction, split as the panel's bar shows it: successes,
    redirections, client and server errors, and requests that got no response."""

    classes: list[tuple[str, float]] = field(default_factory=list)  # (class, rate), bar order

    @property
    def bar(self) -> list[tuple[str, float]]:
        """(class, percent of the rate) for each class, for the stacked bar."""
        return [(c, r / self.rate * 100) for c, r in self.classes] if self.rate > 0 else []


ERROR_CLASSES = ("4xx", "5xx", "NR", "err")


def _classes(protocol: str, rates: Mapping[str, Any]) -> list[tuple[str, float]]:
    total = _f(rates.get(protocol))
    if protocol == "http":
        parts = {
            "3xx": _f(rates.get("http3xx")),
            "4xx": _f(rates.get("http4xx")),
            "5xx": _f(rates.get("http5xx")),
            "NR": _f(rates.get("httpNoResponse")),
        }
        return [("2xx", max(0.0, total - sum(parts.values()))), *parts.items()]
    if protocol == "grpc":
        parts = {"err": _f(rates.get("grpcErr")), "NR": _f(rates.get("grpcNoResponse"))}
        return [("ok", max(0.0, total - sum(parts.values()))), *parts.items()]
    return [("bytes", total)]


def _code_lines(edges: Iterable[Data]) -> list[CodeClasses]:
    totals: dict[str, dict[str, float]] = {}
    counts: dict[str, int] = {}
    for edge in edges:
        traffic = edge.get("traffic") or {}
        protocol = traffic.get("protocol", "")
        if protocol not in UNITS:
            continue
        rates = traffic.get("rates") or {}
        into = totals.setdefault(protocol, {})
        for name, rate in _classes(protocol, rates):
            into[name] = into.get(name, 0.0) + rate
        counts[protocol] = counts.get(protocol, 0) + 1
    return [
        CodeClasses(
            p,
            sum(totals[p].values()),
            sum(r for c, r in totals[p].items() if c in ERROR_CLASSES),
            counts[p],
            [(c, r) for c, r in totals[p].items() if r > 0],
        )
        for p in ("http", "grpc", "tcp")
        if p in totals
    ]


@dataclass
class GraphSummary:
    """GP-01: what the graph on screen holds, and its traffic entering, leaving and within
    the selected namespaces."""

    clusters: list[str]
    namespaces: list[str]
    apps: int
    versions: int
    services: int
    workloads: int
    edges: int
    inbound: list[CodeClasses]
    outbound: list[CodeClasses]
    total: list[CodeClasses]


def summarize_graph(document: Data) -> GraphSummary:
    """A node is inside when it belongs to a selected namespace (not marked isOutside, not
    an unknown source); inbound edges cross into that set, outbound ones leave it."""
    nodes, edges = elements(document)
    inside: set[str] = set()
    clusters: set[str] = set()
    namespaces: set[str] = set()
    apps: set[tuple[str, str, str]] = set()
    versions: set[tuple[str, str, str, str]] = set()
    services: set[tuple[str, str, str]] = set()
    workloads: set[tuple[str, str, str]] = set()
    for node in nodes:
        kind = node.get("nodeType")
        if kind == "box" or node.get("isOutside") or kind == "unknown":
            continue
        inside.add(node["id"])
        cluster, namespace = str(node.get("cluster", "")), str(node.get("namespace", ""))
        clusters.add(cluster)
        namespaces.add(namespace)
        if node.get("app") and kind in ("app", "workload"):
            apps.add((cluster, namespace, str(node["app"])))
            if node.get("version"):
                versions.add((cluster, namespace, str(node["app"]), str(node["version"])))
        if kind == "service" and node.get("service"):
            services.add((cluster, namespace, str(node["service"])))
        if node.get("workload"):
            workloads.add((cluster, namespace, str(node["workload"])))
    return GraphSummary(
        clusters=sorted(c for c in clusters if c and c != "unknown"),
        namespaces=sorted(n for n in namespaces if n and n != "unknown"),
        apps=len(apps),
        versions=len(versions),
        services=len(services),
        workloads=len(workloads),
        edges=len(edges),
        inbound=_code_lines(
            e for e in edges if e["target"] in inside and e["source"] not in inside
        ),
        outbound=_code_lines(
            e for e in edges if e["source"] in inside and e["target"] not in inside
        ),
        total=_code_lines(edges),
    )
