"""The traffic map as Kiali's "common" (cytoscape) JSON, graph.md section 7.

Ids are SHA-256 hashes of the internal ids, numbers are strings formatted the way Kiali
formats them, empty fields are left out as Go's omitempty leaves them out, and boxes are
compound parent nodes added last, innermost first.
"""

from __future__ import annotations

import hashlib
import math
import operator
from collections.abc import Callable
from typing import Any

from mesh.graph.model import Edge, Node, TrafficMap, ok
from mesh.graph.options import GraphOptions

NODE_RATES = {
    "grpc": ("grpcIn", "grpcInNoResponse", "grpcInErr", "grpcOut"),
    "http": ("httpIn", "httpInNoResponse", "httpIn3xx", "httpIn4xx", "httpIn5xx", "httpOut"),
    "tcp": ("tcpIn", "tcpOut"),
}
EDGE_RATES = {
    "http": ("http", "httpNoResponse", "http3xx", "http4xx", "http5xx"),
    "grpc": ("grpc", "grpcNoResponse", "grpcErr"),
    "tcp": ("tcp",),
}
BOOL_FLAGS_BEFORE_VS = (
    "hasCB",
    "hasFaultInjection",
    "hasIngressWaypoint",
    "hasMirroring",
    "hasRequestRouting",
    "hasRequestTimeout",
    "hasTCPTrafficShifting",
    "hasTrafficShifting",
)
BOOL_FLAGS_AFTER_VS = (
    "isAmbient",
    "isDead",
    "isIdle",
    "isInaccessible",
    "isInjected",
    "isK8sGatewayAPI",
    "isOutOfMesh",
    "isOutside",
    "isRoot",
    "isWaypoint",
)
_BOX_RANK = {"cluster": 0, "namespace": 1, "app": 2}


_sha256 = hashlib.sha256
_first_item = operator.itemgetter(0)


def hash_id(internal: str) -> str:
    return _sha256(internal.encode()).hexdigest()


def format_rate(value: float) -> str:
    """At least 2 decimals; below 1, enough to show the first significant digit (max 5)."""
    precision = 2
    if 0 < value < 1:
        needed = math.ceil(-math.log10(value))
        if needed > precision:
            precision = min(needed, 5)
    return f"{value:.{precision}f}"


def _rate_text(value: float) -> str:
    """format_rate, without its logarithm for the usual rate: from 0.1 up it is 2 decimals."""
    return f"{value:.2f}" if value >= 0.1 else format_rate(value)


def _node_traffic(node: Node) -> list[dict[str, Any]]:
    traffic = []
    rates = node.rates
    if rates:
        for protocol, names in NODE_RATES.items():
            found: dict[str, str] = {}
            for name in names:
                value = rates.get(name)
                if value is not None and value > 0:
                    found[name] = _rate_text(value)
            if found:
                traffic.append({"protocol": protocol, "rates": found})
    return traffic


# The flags of a node's data in the order Kiali writes them; True: written as they are,
# False: written as true.
_NODE_FLAGS = (
    *((name, False) for name in BOOL_FLAGS_BEFORE_VS),
    ("hasVS", True),
    ("hasWorkloadEntry", True),
    *((name, False) for name in BOOL_FLAGS_AFTER_VS),
    ("isBox", True),
    ("isExtension", True),
    ("isGateway", True),
    ("isServiceEntry", True),
)
_FLAG_RANK = {name: rank for rank, (name, _) in enumerate(_NODE_FLAGS)}
_FLAG_AS_IS = dict(_NODE_FLAGS)


def node_data(
    node: Node, parent: str | None = None, with_hash: str | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {"id": with_hash or hash_id(node.id)}
    if parent:
        data["parent"] = parent
    data["nodeType"] = node.node_type
    data["cluster"] = node.cluster
    data["namespace"] = node.namespace
    if node.workload:
        data["workload"] = node.workload
    if node.app:
        data["app"] = node.app
    if node.version:
        data["version"] = node.version
    if node.service:
        data["service"] = node.service
    if node.aggregate:
        data["aggregate"] = node.aggregate
    if node.dest_services:
        data["destServices"] = [
            {"cluster": c, "namespace": n, "name": s}
            for c, n, s in sorted(node.dest_services.values())
        ]
    if node.labels:
        data["labels"] = dict(node.labels)
    traffic = _node_traffic(node)
    if traffic:
        data["traffic"] = traffic
    data["healthData"] = node.health
    flags = node.flags
    if flags:
        written = [name for name in flags if name in _FLAG_RANK and flags[name]]
        if len(written) > 1:
            written.sort(key=_FLAG_RANK.__getitem__)
        for name in written:
            data[name] = flags[name] if _FLAG_AS_IS[name] else True
    return data


_ERROR_RATES = {
    "http": ("httpNoResponse", "http4xx", "http5xx"),
    "grpc": ("grpcNoResponse", "grpcErr"),
}
# the source's rate an edge's share of requests is taken of (none for TCP)
OUT_RATE = {"http": "httpOut", "grpc": "grpcOut", "tcp": ""}
_PERCENT_REQ = {"http": "httpPercentReq", "grpc": "grpcPercentReq"}
_META_STRINGS = ("destPrincipal", "sourcePrincipal", "healthStatus")
_META_NUMBERS = ("isMTLS", "responseTime", "throughput")


def edge_traffic(edge: Edge, source: Node) -> dict[str, Any]:
    """One edge's "traffic": protocol, rates and responses. Written for speed: a big graph
    has thousands of edges and this is most of the time its JSON takes, so it avoids
    repeated lookups, and the usual edge (one code, one flag, one host, no errors) takes
    the shortest way. It reads the edge's rates and responses and its source's outbound
    rate, nothing else (render_ahead relies on that)."""
    protocol = edge.protocol
    traffic: dict[str, Any] = {"protocol": protocol}
    edge_rates = edge.rates
    total = edge_rates.get(protocol, 0.0)
    rates: dict[str, str]
    if len(edge_rates) == 1 and total > 0:  # no errors, no 3xx
        rates = {protocol: _rate_text(total)}
    else:
        rates = {}
        for name in EDGE_RATES[protocol]:
            value = edge_rates.get(name)
            if value is not None and value > 0:
                rates[name] = _rate_text(value)
        if total > 0 and protocol != "tcp":
            errors = 0.0
            for name in _ERROR_RATES[protocol]:
                errors += edge_rates.get(name, 0.0)
            if errors > 0:
                rates[f"{protocol}PercentErr"] = f"{errors / total * 100:.1f}"
    if total > 0 and protocol != "tcp":
        out = source.rates.get(OUT_RATE[protocol], 0.0)
        rates[_PERCENT_REQ[protocol]] = _percent(total, out) if out else "+Inf"
    if rates:
        traffic["rates"] = rates
    if total > 0 and edge.responses:
        responses: dict[str, Any] = {}
        for code, parts in edge.responses.items():
            entry: dict[str, Any] = {}
            flags, hosts = parts["flags"], parts["hosts"]
            if flags:
                entry["flags"] = _shares(flags, total)
            if hosts:
                entry["hosts"] = _shares(hosts, total)
            responses[code] = entry
        traffic["responses"] = responses
    return traffic


def _percent(part: float, total: float) -> str:
    """part / total as Kiali writes a percentage. The usual edge has one code, flag and host,
    whose rates are its total summed the same way: that share needs no arithmetic."""
    return "100.0" if part == total else f"{part / total * 100:.1f}"


def _shares(rates: dict[str, float], total: float) -> dict[str, str]:
    if len(rates) == 1:
        for name, value in rates.items():
            return {name: _percent(value, total)}
    return {name: _percent(value, total) for name, value in rates.items()}


TrafficWriter = Callable[[Edge, Node], Any]


def edge_data(
    edge: Edge,
    source: Node,
    hashes: dict[str, str],
    source_hash: str = "",
    traffic: TrafficWriter = edge_traffic,
    ident: str = "",
) -> dict[str, Any]:
    """One edge's data: ids, the metadata appenders set, its traffic (from `traffic`, which
    may give it ready-encoded) and a waypoint's folded way back. `source_hash` stands in for
    the source's own (that way back, below); `ident` is the edge's id when known."""
    src, dst = source_hash or hashes[edge.source], hashes[edge.dest]
    data: dict[str, Any] = {
        "id": ident or edge_id(src, dst, edge.protocol),
        "source": src,
        "target": dst,
    }
    meta = edge.meta
    if meta:
        for name in _META_STRINGS:
            if meta.get(name):
                data[name] = meta[name]
        for name in _META_NUMBERS:
            value = meta.get(name)
            if value:
                data[name] = f"{value:.0f}"
    data["traffic"] = traffic(edge, source)
    if meta and "waypoint" in meta:
        # As Kiali writes it, the way back is converted as if it left the node owning the
        # edge: its source and target are both that node (graph.md quirk 4).
        waypoint = meta["waypoint"]
        folded: dict[str, Any] = {"direction": waypoint["direction"]}
        back = waypoint.get("fromEdge")
        if back is not None:
            folded["fromEdge"] = edge_data(back, source, hashes, source_hash=src)
        data["waypoint"] = folded
    return data


def edge_key(source_hash: str, dest_hash: str, protocol: str) -> str:
    """The string an edge's id is hashed from. Node hashes are all 64 characters long, so
    these strings sort by source, target and protocol: the order edges are written in."""
    return f"{source_hash}.{dest_hash}.{protocol}"


def edge_id(source_hash: str, dest_hash: str, protocol: str) -> str:
    return hash_id(edge_key(source_hash, dest_hash, protocol))


def edge_element(edge: Edge, source: Node, hashes: dict[str, str]) -> tuple[str, Any]:
    """(edge_key, the edge's element) for to_json."""
    key = edge_key(hashes[edge.source], hashes[edge.dest], edge.protocol)
    return key, {"data": edge_data(edge, source, hashes, ident=hash_id(key))}


EdgeWriter = Callable[[Edge, Node, dict[str, str]], tuple[str, Any]]


def _box_nodes(
    items: list[tuple[Node, dict[str, Any]]], opts: GraphOptions
) -> list[tuple[Node, dict[str, Any]]]:
    """Add app, namespace and cluster boxes (graph.md 7.6) and set members' parents."""
    boxes: list[tuple[Node, dict[str, Any]]] = []

    def inherit(box: dict[str, Any], members: list[dict[str, Any]]) -> None:
        for flag in ("isOutOfMesh", "isInaccessible", "isOutside"):
            if any(m.get(flag) for m in members):
                box[flag] = True

    if "app" in opts.box_by or opts.graph_type in ("app", "versionedApp"):
        groups: dict[str, list[tuple[Node, dict[str, Any]]]] = {}
        for node, data in items:
            if ok(node.app) and node.node_type != "box":
                groups.setdefault(f"box_{node.cluster}_{node.namespace}_{node.app}", []).append(
                    (node, data)
                )
        for key, members in groups.items():
            if len(members) < 2:
                continue
            first = members[0][0]
            box = Node(key, "box", first.cluster, first.namespace, app=first.app)
            box.flags["isBox"] = "app"
            box.health = next(
                (m[0].flags.get("appHealth") for m in members if m[0].flags.get("appHealth")), None
            )
            data = node_data(box)
            for _, member in members:
                member["parent"] = data["id"]
            inherit(data, [m for _, m in members])
            boxes.append((box, data))
    for kind in ("namespace", "cluster"):
        if kind not in opts.box_by:
            continue
        groups = {}
        for node, data in items + boxes:
            if "parent" in data:
                continue
            if kind == "namespace" and node.namespace != "unknown":
                groups.setdefault(f"box_{node.cluster}_{node.namespace}", []).append((node, data))
            elif kind == "cluster" and node.cluster != "unknown":
                groups.setdefault(f"box_{node.cluster}", []).append((node, data))
        if len(groups) < 2:
            continue
        for key, members in groups.items():
            # A cluster is boxed even around one member (graph.md 7.6): with two clusters
            # on screen, each namespace box sits in its cluster's box.
            if kind == "namespace" and len(members) < 2:
                continue
            first = members[0][0]
            box = Node(key, "box", first.cluster, first.namespace if kind == "namespace" else "")
            box.flags["isBox"] = kind
            data = node_data(box)
            for _, member in members:
                member["parent"] = data["id"]
            inherit(data, [m for _, m in members])
            boxes.append((box, data))
    return boxes


def _node_sort_key(pair: tuple[Node, dict[str, Any]]) -> tuple[Any, ...]:
    node, data = pair
    return (
        _BOX_RANK.get(data.get("isBox", ""), 3),
        node.cluster,
        node.namespace,
        node.app,
        node.version,
        node.service,
        node.workload,
        node.id,  # aggregate nodes of one namespace differ in nothing else
    )


def to_json(
    tmap: TrafficMap, opts: GraphOptions, edges: EdgeWriter = edge_element
) -> dict[str, Any]:
    """The whole response body: timestamp, duration, graphType and elements. Edges are
    ordered by their edge_key; `edges` writes each (it may give them ready-encoded)."""
    hashes = {node.id: hash_id(node.id) for node in tmap.nodes()}
    items = [(node, node_data(node, with_hash=hashes[node.id])) for node in tmap.nodes()]
    items += _box_nodes(items, opts)
    items.sort(key=_node_sort_key)
    node = tmap.node
    written = [edges(e, node(e.source), hashes) for e in tmap.edges()]
    written.sort(key=_first_item)  # the keys are unique
    return {
        "timestamp": opts.query_time,
        "duration": opts.duration,
        "graphType": opts.graph_type,
        "elements": {
            "nodes": [{"data": data} for _, data in items],
            "edges": [element for _, element in written],
        },
    }
