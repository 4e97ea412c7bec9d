"""The traffic map: nodes and per-protocol edges, indexed both ways.

Nodes are keyed by Kiali's internal id (graph.md 2.2); there is one edge per source,
destination and protocol. Rates and flags live on those dataclasses so appenders and the JSON
writer read typed fields instead of loose attribute dicts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

EGRESS_CLUSTERS = ("PassthroughCluster", "BlackHoleCluster")


def ok(value: str | None) -> bool:
    return bool(value) and value != "unknown"


def ok_version(value: str | None) -> bool:
    return ok(value) and value != "latest"


@dataclass(eq=False, slots=True, init=False)
class Node:
    id: str
    node_type: str  # app | workload | service | unknown | aggregate
    cluster: str
    namespace: str
    workload: str = ""
    app: str = ""
    version: str = ""
    service: str = ""
    aggregate: str = ""
    rates: dict[str, float] = field(default_factory=dict)
    dest_services: dict[tuple[str, str, str], tuple[str, str, str]] = field(default_factory=dict)
    # JSON metadata (graph.md 7.2): isRoot, hasCB, hasVS, isServiceEntry, isGateway, ...
    flags: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    health: Any = None
    is_egress_cluster: bool = False
    is_waypoint: bool = False

    # Written out, not generated: compiled (mesh.native), a dataclass' generated __init__
    # stays interpreted, and a big graph makes tens of thousands of nodes and edges.
    def __init__(
        self,
        id: str,
        node_type: str,
        cluster: str,
        namespace: str,
        workload: str = "",
        app: str = "",
        version: str = "",
        service: str = "",
        aggregate: str = "",
        rates: dict[str, float] | None = None,
        dest_services: dict[tuple[str, str, str], tuple[str, str, str]] | None = None,
        flags: dict[str, Any] | None = None,
        labels: dict[str, str] | None = None,
        health: Any = None,
        is_egress_cluster: bool = False,
        is_waypoint: bool = False,
    ) -> None:
        self.id = id
        self.node_type = node_type
        self.cluster = cluster
        self.namespace = namespace
        self.workload = workload
        self.app = app
        self.version = version
        self.service = service
        self.aggregate = aggregate
        self.rates = {} if rates is None else rates
        self.dest_services = {} if dest_services is None else dest_services
        self.flags = {} if flags is None else flags
        self.labels = {} if labels is None else labels
        self.health = health
        self.is_egress_cluster = is_egress_cluster
        self.is_waypoint = is_waypoint

    def add_rate(self, name: str, value: float) -> None:
        self.rates[name] = self.rates.get(name, 0.0) + value

    def add_dest_service(self, cluster: str, namespace: str, name: str) -> None:
        if ok(name):
            entry = (cluster, namespace, name)
            self.dest_services.setdefault(entry, entry)


@dataclass(eq=False, slots=True, init=False)
class Edge:
    source: str
    dest: str
    protocol: str
    rates: dict[str, float] = field(default_factory=dict)
    # code -> {"flags": {flag: rate}, "hosts": {host: rate}}
    responses: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    seen: set[tuple[Any, ...]] = field(default_factory=set, repr=False)
    # times add_response ran: responses are only written through it, so a copy of the
    # edge's JSON knows from this number alone whether they changed (render_ahead)
    responses_written: int = field(default=0, repr=False)
    # responseTime, throughput, isMTLS, sourcePrincipal, destPrincipal, healthStatus
    meta: dict[str, Any] = field(default_factory=dict)

    def __init__(  # written out, as Node's is
        self,
        source: str,
        dest: str,
        protocol: str,
        rates: dict[str, float] | None = None,
        responses: dict[str, dict[str, dict[str, float]]] | None = None,
        seen: set[tuple[Any, ...]] | None = None,
        responses_written: int = 0,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.source = source
        self.dest = dest
        self.protocol = protocol
        self.rates = {} if rates is None else rates
        self.responses = {} if responses is None else responses
        self.seen = set() if seen is None else seen
        self.responses_written = responses_written
        self.meta = {} if meta is None else meta

    def add_rate(self, name: str, value: float) -> None:
        self.rates[name] = self.rates.get(name, 0.0) + value

    def add_response(self, code: str, flags: str, host: str, value: float) -> None:
        self.responses_written += 1
        entry = self.responses.setdefault(code, {"flags": {}, "hosts": {}})
        if flags:
            entry["flags"][flags] = entry["flags"].get(flags, 0.0) + value
        if host:
            entry["hosts"][host] = entry["hosts"].get(host, 0.0) + value

    def copy_responses(self) -> dict[str, dict[str, dict[str, float]]]:
        return {
            code: {"flags": dict(parts["flags"]), "hosts": dict(parts["hosts"])}
            for code, parts in self.responses.items()
        }

    def merge(self, other: Edge) -> None:
        """Sum another edge's traffic into this one (service graphs, service entries)."""
        for name, value in other.rates.items():
            self.add_rate(name, value)
        for code, parts in other.responses.items():
            for flag, value in parts["flags"].items():
                self.add_response(code, flag, "", value)
            for host, value in parts["hosts"].items():
                self.add_response(code, "", host, value)


class TrafficMap:
    """The graph under construction: nodes by id, edges by (source, dest, protocol), and
    each node's edges out and in, for the appenders and the service-graph reduction.

    Adjacency is kept as networkx's MultiDiGraph kept it, which this map replaced (it cost
    a graph a tenth of its build in interpreted bookkeeping, and memory for attribute dicts
    nobody read): per node, its neighbours in the order the first edge to each was added,
    and per neighbour its edges by protocol. out_edges and in_edges list edges in that
    order, which appenders sum rates in, so the JSON stays the same to the last digit.
    Every change goes through these helpers, which keep the indexes in step.
    """

    def __init__(self) -> None:
        self._nodes: dict[str, Node] = {}
        self._edges: dict[tuple[str, str, str], Edge] = {}  # (source, dest, protocol)
        # node id -> neighbour id -> protocol -> edge; every node added, and every end of
        # an edge, has both entries
        self._out: dict[str, dict[str, dict[str, Edge]]] = {}
        self._in: dict[str, dict[str, dict[str, Edge]]] = {}

    def __contains__(self, node_id: str) -> bool:
        return node_id in self._out

    def __len__(self) -> int:
        return len(self._out)

    def node(self, node_id: str) -> Node:
        return self._nodes[node_id]

    def get(self, node_id: str) -> Node | None:
        return self._nodes.get(node_id)

    def add(self, node: Node) -> Node:
        node_id = node.id
        if node_id not in self._out:
            self._out[node_id] = {}
            self._in[node_id] = {}
        self._nodes[node_id] = node
        return node

    def nodes(self) -> list[Node]:
        return list(self._nodes.values())

    def remove(self, node_id: str) -> None:
        """The node and every edge in or out of it (KeyError when it is not in the map)."""
        out, into, edges = self._out.pop(node_id), self._in.pop(node_id), self._edges
        for dest, by_protocol in out.items():
            for protocol in by_protocol:
                del edges[(node_id, dest, protocol)]
            if dest != node_id:
                del self._in[dest][node_id]
        for source, by_protocol in into.items():
            if source == node_id:
                continue
            for protocol in by_protocol:
                del edges[(source, node_id, protocol)]
            del self._out[source][node_id]
        self._nodes.pop(node_id, None)

    def edge(self, source: str, dest: str, protocol: str) -> Edge | None:
        return self._edges.get((source, dest, protocol))

    def add_edge(self, edge: Edge) -> Edge:
        source, dest = edge.source, edge.dest
        out = self._out.get(source)
        if out is None:
            out = self._out[source] = {}
            self._in[source] = {}
        into = self._in.get(dest)
        if into is None:
            into = self._in[dest] = {}
            self._out[dest] = {}
        by_protocol = out.get(dest)
        if by_protocol is None:
            by_protocol = out[dest] = into[source] = {}
        by_protocol[edge.protocol] = edge
        self._edges[(source, dest, edge.protocol)] = edge
        return edge

    def remove_edge(self, edge: Edge) -> None:
        source, dest = edge.source, edge.dest
        del self._edges[(source, dest, edge.protocol)]
        by_protocol = self._out[source][dest]
        del by_protocol[edge.protocol]
        if not by_protocol:
            del self._out[source][dest]
            del self._in[dest][source]

    def edges(self) -> list[Edge]:
        return list(self._edges.values())

    def out_edges(self, node_id: str) -> list[Edge]:
        return [e for by_protocol in self._out[node_id].values() for e in by_protocol.values()]

    def in_edges(self, node_id: str) -> list[Edge]:
        return [e for by_protocol in self._in[node_id].values() for e in by_protocol.values()]

    def has_out_edges(self, node_id: str) -> bool:
        return bool(self._out[node_id])

    def iter_edges(self) -> Iterator[Edge]:
        return iter(list(self._edges.values()))
