"""The traffic map: one networkx MultiDiGraph of nodes and per-protocol edges.

Nodes are keyed by Kiali's internal id (graph.md 2.2) and carry a `Node` under "node";
edges are keyed by protocol (one edge per source, destination and protocol) and carry an
`Edge` under "edge". Rates and flags live on those dataclasses so appenders and the JSON
writer read typed fields instead of loose attribute dicts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

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
    """The graph under construction; thin helpers over networkx keep the call sites short.

    The networkx graph is the model; the two dicts beside it index the same nodes and edges
    for the build's hot path and the JSON writer, where a networkx lookup or edge view cost
    more than the work done with its answer. Every change goes through these helpers, which
    keep the three in step.
    """

    def __init__(self) -> None:
        self.graph: nx.MultiDiGraph = nx.MultiDiGraph()
        self._nodes: dict[str, Node] = {}
        self._edges: dict[tuple[str, str, str], Edge] = {}  # (source, dest, protocol)

    def __contains__(self, node_id: str) -> bool:
        return node_id in self.graph

    def __len__(self) -> int:
        return self.graph.number_of_nodes()

    def node(self, node_id: str) -> Node:
        return self._nodes[node_id]

    def get(self, node_id: str) -> Node | None:
        return self._nodes.get(node_id)

    def add(self, node: Node) -> Node:
        self.graph.add_node(node.id, node=node)
        self._nodes[node.id] = node
        return node

    def nodes(self) -> list[Node]:
        return list(self._nodes.values())

    def remove(self, node_id: str) -> None:
        graph = self.graph
        for ends in [*graph.in_edges(node_id, keys=True), *graph.out_edges(node_id, keys=True)]:
            self._edges.pop(ends, None)
        graph.remove_node(node_id)
        del self._nodes[node_id]

    def edge(self, source: str, dest: str, protocol: str) -> Edge | None:
        return self._edges.get((source, dest, protocol))

    def add_edge(self, edge: Edge) -> Edge:
        self.graph.add_edge(edge.source, edge.dest, key=edge.protocol, edge=edge)
        self._edges[(edge.source, edge.dest, edge.protocol)] = edge
        return edge

    def remove_edge(self, edge: Edge) -> None:
        self.graph.remove_edge(edge.source, edge.dest, key=edge.protocol)
        del self._edges[(edge.source, edge.dest, edge.protocol)]

    def edges(self) -> list[Edge]:
        return list(self._edges.values())

    def out_edges(self, node_id: str) -> list[Edge]:
        return [d["edge"] for _, _, d in self.graph.out_edges(node_id, data=True)]

    def in_edges(self, node_id: str) -> list[Edge]:
        return [d["edge"] for _, _, d in self.graph.in_edges(node_id, data=True)]

    def iter_edges(self) -> Iterator[Edge]:
        return iter(list(self._edges.values()))
