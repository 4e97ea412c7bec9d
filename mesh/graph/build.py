"""Telemetry samples -> nodes and edges, exactly as graph.md section 4 describes.

Kiali's rules are kept with their quirks: node identity per graph type, the trimming of node
fields, the clean-up of bad telemetry, the code used for gRPC, the first-reporter-wins
de-duplication and service-node injection. The always-on finalizers (outsider, traffic
generator) and the service-graph reduction live here too, since every graph needs them.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Set
from typing import Any

from mesh.graph.model import EGRESS_CLUSTERS, Edge, Node, TrafficMap, ok
from mesh.graph.options import GraphOptions
from mesh.graph.queries import GB_MSG
from mesh.prometheus.client import Sample

# The labels the clean-up reads about both ends, in one order: the group-by of gRPC message
# queries (source_cluster, ..., destination_canonical_revision).
ENDS_LABELS = tuple(GB_MSG.split(","))
REQUIRED = tuple(n for n in ENDS_LABELS if n not in ("source_cluster", "destination_cluster"))
EGRESS_GATEWAY = "istio-egressgateway.istio-system.svc.cluster.local"
_IP = re.compile(r"^\d+\.\d+\.\d+\.\d+(:\d+)?$")


def node_id(
    cluster: str,
    svc_ns: str,
    service: str,
    wl_ns: str,
    workload: str,
    app: str,
    version: str,
    graph_type: str,
) -> tuple[str, str] | None:
    """(internal id, node type) by graph.md 2.2; None when nothing identifies the node."""
    namespace = wl_ns if ok(wl_ns) else svc_ns
    if namespace == "unknown" and workload == "unknown" and app == "unknown" and service == "":
        return f"{cluster}_unknown_source", "unknown"
    if workload == "unknown" and app == "unknown" and service == "unknown":
        return f"svc_{cluster}_{namespace}_unknown", "service"
    wl_ok, app_ok, svc_ok = ok(workload), ok(app), ok(service)
    if not (wl_ok or app_ok or svc_ok):
        return None
    if graph_type in ("workload", "service"):
        if wl_ok:
            return f"wl_{cluster}_{namespace}_{workload}", "workload"
        if svc_ok:
            return f"svc_{cluster}_{namespace}_{service}", "service"
        return f"svc_{cluster}_{namespace}_unknown", "service"
    if app_ok:
        if graph_type == "versionedApp":
            if wl_ok:
                return f"vapp_{cluster}_{namespace}_{workload}", "app"
            if ok(version) and version != "latest":
                return f"vapp_{cluster}_{namespace}_{app}_{version}", "app"
        return f"app_{cluster}_{namespace}_{app}", "app"
    if wl_ok:
        return f"wl_{cluster}_{namespace}_{workload}", "workload"
    return f"svc_{cluster}_{namespace}_{service}", "service"


def add_node(
    tmap: TrafficMap,
    graph_type: str,
    cluster: str,
    svc_ns: str,
    service: str,
    wl_ns: str,
    workload: str,
    app: str,
    version: str,
) -> Node | None:
    """The node for this tuple, created (and trimmed by type) on first sight."""
    ident = node_id(cluster, svc_ns, service, wl_ns, workload, app, version, graph_type)
    if ident is None:
        return None
    nid, node_type = ident
    existing = tmap.get(nid)
    if existing is not None:
        return existing
    namespace = wl_ns if ok(wl_ns) else svc_ns
    node = Node(nid, node_type, cluster, namespace)
    if node_type == "app":
        node.app = app
        if graph_type == "versionedApp":
            node.workload, node.version = workload, version
    elif node_type == "service":
        node.service = service
        node.is_egress_cluster = service in EGRESS_CLUSTERS
    elif node_type == "workload":
        node.workload = workload
        node.app = "" if app == "unknown" else app
        node.version = "" if version == "unknown" else version
    else:
        node.workload, node.app, node.version, node.service = workload, app, version, service
    return tmap.add(node)


def protocol_of(metric: str) -> tuple[str, bool]:
    """(protocol, is request metric); the request protocol itself comes from each sample."""
    if metric.startswith("istio_") and metric.endswith("_messages_total"):
        return "grpc", False
    if metric.startswith("istio_tcp"):
        return "tcp", False
    return "", True


@functools.lru_cache(maxsize=512)  # codes come from telemetry: bounded
def traffic_names(protocol: str, code: str) -> tuple[str, tuple[str, ...], tuple[str, ...], str]:
    """graph.md 4.8's table for one protocol and code: (source rate, destination rates,
    edge rates, response code). A graph has a handful of codes and thousands of samples."""
    if protocol == "tcp":
        return "tcpOut", ("tcpIn",), ("tcp",), "-"
    if protocol == "http":
        suffix = {"-": "NoResponse", "3": "3xx", "4": "4xx", "5": "5xx"}.get(
            "-" if code == "-" else code[:1]
        )
        if suffix:
            return "httpOut", ("httpIn", "httpIn" + suffix), ("http", "http" + suffix), code or "-"
        return "httpOut", ("httpIn",), ("http",), code or "-"
    if code == "-":
        return "grpcOut", ("grpcIn", "grpcInNoResponse"), ("grpc", "grpcNoResponse"), code
    if (len(code) == 3 and code[:1] in ("4", "5")) or (len(code) != 3 and code not in ("0", "")):
        return "grpcOut", ("grpcIn", "grpcInErr"), ("grpc", "grpcErr"), code or "-"
    return "grpcOut", ("grpcIn",), ("grpc",), code or "-"


def apply_traffic(
    source: Node, dest: Node, edge: Edge, value: float, code: str, flags: str, host: str
) -> None:
    """The per-protocol bookkeeping of graph.md 4.8 for one positive sample value."""
    out_name, in_names, edge_names, response = traffic_names(edge.protocol, code)
    rates = source.rates
    rates[out_name] = rates.get(out_name, 0.0) + value
    rates = dest.rates
    for name in in_names:
        rates[name] = rates.get(name, 0.0) + value
    rates = edge.rates
    for name in edge_names:
        rates[name] = rates.get(name, 0.0) + value
    edge.add_response(response, flags, host, value)


Ends = tuple[str, str, str, str, str, str, str]

# A sample is decided by the values of these labels alone.
SAMPLE_LABELS = (
    *ENDS_LABELS,
    "request_protocol",
    "response_code",
    "grpc_response_status",
    "response_flags",
)
_REQUIRED_AT = tuple(SAMPLE_LABELS.index(name) for name in REQUIRED)
RawLabels = tuple[str | None, ...]  # values of SAMPLE_LABELS (or ENDS_LABELS), None if absent


def _ends(raw: RawLabels, waypoints: Set[tuple[str, str, str]]) -> tuple[Ends, Ends] | None:
    """graph.md 4.3 on the values of ENDS_LABELS (the first 13 of `raw`)."""
    ends = raw[:13]
    if None not in ends and "" not in ends and "unknown" not in ends and not waypoints:
        # Every label present and known: none of the clean-up's rules but the egress
        # gateway's can apply, so most samples skip them.
        sc, sns, swl, sapp, sver, dc, dns, dsvc, dname, dwns, dwl, dapp, dver = ends
        if not (dsvc == EGRESS_GATEWAY and dname == EGRESS_GATEWAY):
            return (sc, sns, "", sns, swl, sapp, sver), (dc, dns, dname, dwns, dwl, dapp, dver)  # type: ignore[return-value]
    (
        src_cluster,
        src_ns,
        src_wl,
        src_app,
        src_ver,
        dst_cluster,
        dst_svc_ns,
        dst_svc,
        dst_svc_name,
        dst_wl_ns,
        dst_wl,
        dst_app,
        dst_ver,
    ) = ends
    has_src_cluster = src_cluster is not None
    has_dst_cluster = dst_cluster is not None
    src_cluster = "unknown" if src_cluster is None else src_cluster
    src_ns = "unknown" if src_ns is None else src_ns
    src_wl = "unknown" if src_wl is None else src_wl
    src_app = "unknown" if src_app is None else src_app
    src_ver = "unknown" if src_ver is None else src_ver
    dst_cluster = "unknown" if dst_cluster is None else dst_cluster
    dst_svc_ns = "unknown" if dst_svc_ns is None else dst_svc_ns
    dst_svc_name = "unknown" if dst_svc_name is None else dst_svc_name
    dst_svc = dst_svc_name if dst_svc is None else dst_svc
    dst_wl_ns = "unknown" if dst_wl_ns is None else dst_wl_ns
    dst_wl = "unknown" if dst_wl is None else dst_wl
    dst_app = "unknown" if dst_app is None else dst_app
    dst_ver = "unknown" if dst_ver is None else dst_ver

    if ok(src_ns) and not ok(src_wl) and not ok(src_app):
        return None
    if has_src_cluster and ok(src_ns) and not ok(src_cluster):
        return None
    if dst_svc == EGRESS_GATEWAY and dst_svc_name == EGRESS_GATEWAY:
        dst_cluster, dst_svc_ns, dst_svc_name = src_cluster, "istio-system", "istio-egressgateway"
        dst_wl_ns, dst_wl, dst_app, dst_ver = (
            "istio-system",
            "istio-egressgateway",
            "istio-egressgateway",
            "latest",
        )
    elif not ok(dst_cluster) and ok(src_cluster) and ok(dst_svc_ns):
        dst_cluster = src_cluster
    if not ok(dst_wl) and ok(dst_svc) and dst_svc == dst_svc_name and _IP.match(dst_svc):
        return None
    if has_dst_cluster and ok(dst_svc_ns) and not ok(dst_cluster):
        return None
    if waypoints:
        if (src_cluster, src_ns, src_wl) in waypoints:
            src_app = ""
        if (dst_cluster, dst_wl_ns, dst_wl) in waypoints:
            dst_app = ""
    return (
        (src_cluster, src_ns, "", src_ns, src_wl, src_app, src_ver),
        (dst_cluster, dst_svc_ns, dst_svc_name, dst_wl_ns, dst_wl, dst_app, dst_ver),
    )


def cleanup_ends(
    labels: Mapping[str, str], waypoints: Set[tuple[str, str, str]] = frozenset()
) -> tuple[Ends, Ends] | None:
    """graph.md 4.3 on one sample's labels: (source tuple, destination tuple) as passed to
    add_node, or None for telemetry Kiali drops. Labels a query did not group by read as
    `unknown` (destination_service falls back to destination_service_name)."""
    return _ends(tuple(map(labels.get, ENDS_LABELS)), waypoints)


def edge_ids(src: Ends, dst: Ends, opts: GraphOptions) -> list[tuple[str, str]]:
    """The (source id, dest id) pairs a sample lands on: with service injection the
    source->service and service->destination hops, else the direct one."""
    source = node_id(*src, opts.graph_type)
    dest = node_id(*dst, opts.graph_type)
    if source is None or dest is None:
        return []
    if (
        opts.inject_service_nodes
        and ok(dst[2])
        and dst[2] != "PassthroughCluster"
        and dest[1] != "service"
    ):
        svc = node_id(dst[0], dst[1], dst[2], "", "", "", "", opts.graph_type)
        if svc is not None:
            return [(source[0], svc[0]), (svc[0], dest[0])]
    return [(source[0], dest[0])]


# What a label set resolves to (graph.md 4.1-4.5): the cleaned source and destination
# tuples, protocol, code, flags, host, and the de-duplication key; None when dropped.
Route = tuple[str, Ends, Ends, str, str, str, tuple[object, ...]]
# (a sample's label set, its value): the label set as values of SAMPLE_LABELS, or as any
# key that stands for them (Prometheus' own bytes, PrometheusClient.query_label_sets),
# which TrafficBuilder's `labels` turns into those values.
Prepared = list[tuple[Hashable, float]]


class TrafficBuilder:
    """Adds result vectors to one traffic map, in query order (graph.md 4.6-4.8).

    Each answer is first `prepare`d, which may run in the thread that fetched it, as soon as
    it arrives: its label values are read, and each label set not met before is resolved
    to a Route, which depends on nothing else. `apply` then adds the prepared answers to
    the map in query order, because the first reporter seen wins.

    A sample is decided by its metric and the values of SAMPLE_LABELS, and its
    de-duplication key is made of them, so a label set seen before can only be a duplicate:
    the copy of every series that the other reporter's query returns is dropped after one
    set lookup. Nodes are looked up by their 7-tuple and edges by their ends, without
    recomputing ids or asking networkx on the hot path.
    """

    def __init__(
        self,
        tmap: TrafficMap,
        opts: GraphOptions,
        waypoints: Set[tuple[str, str, str]] = frozenset(),
        touched: list[Edge] | None = None,
        labels: Callable[[Any], RawLabels] | None = None,
    ) -> None:
        self.tmap = tmap
        # what a prepared key's label values are; None: the keys are those values
        self.labels = labels
        self.opts = opts
        self.waypoints = waypoints
        # when given, every edge a sample lands on is appended (render_ahead's pending)
        self.touched = touched
        self._seen: dict[str, set[Hashable]] = {}
        self._nodes: dict[Ends, Node | None] = {}
        # metric -> label values -> route; filled from several threads, but a route is
        # a pure function of its key, so a race only computes one twice
        self._routes: dict[str, dict[Hashable, Route | None]] = {}

    def add(self, metric: str, samples: Iterable[Sample]) -> None:
        """One query's result vector."""
        self.apply(metric, self.prepare(metric, sample_values(samples)))

    def prepare(self, metric: str, values: Prepared) -> Prepared:
        """Make sure a route is known for every label set of one answer (Prepared)."""
        routes = self._routes.setdefault(metric, {})
        protocol, is_request = protocol_of(metric)
        opts, waypoints, labels = self.opts, self.waypoints, self.labels
        for key, _ in values:
            if key not in routes:
                raw: RawLabels = key if labels is None else labels(key)  # type: ignore[assignment]
                routes[key] = route(metric, protocol, is_request, raw, opts, waypoints)
        return values

    def apply(self, metric: str, prepared: Prepared) -> None:
        seen = self._seen.setdefault(metric, set())
        routes = self._routes[metric]
        add_one = self._add_one
        for raw, value in prepared:
            size = len(seen)
            seen.add(raw)
            if len(seen) != size:
                resolved = routes[raw]
                if resolved is not None:
                    add_one(resolved, value)

    def _node(self, ends: Ends) -> Node | None:
        try:
            return self._nodes[ends]
        except KeyError:
            node = self._nodes[ends] = add_node(self.tmap, self.opts.graph_type, *ends)
            return node

    def _edge(self, source: str, dest: str, protocol: str) -> Edge:
        return self.tmap.add_edge(Edge(source, dest, protocol))

    def _add_one(self, resolved: Route, value: float) -> None:
        """graph.md 4.6-4.8 for the first sample of a label set."""
        protocol, src, dst, code, flags, host, key = resolved
        source, dest = self._node(src), self._node(dst)
        if source is None or dest is None:
            return
        opts, waypoints, touched = self.opts, self.waypoints, self.touched
        if waypoints:
            for node, tup in ((source, src), (dest, dst)):
                if (tup[0], tup[3], tup[4]) in waypoints:
                    node.is_waypoint = True
                    node.flags["isWaypoint"] = True
        dst_cluster, dst_svc_ns, dst_svc_name = dst[0], dst[1], dst[2]
        inject = (
            opts.inject_service_nodes
            and ok(dst_svc_name)
            and dst_svc_name != "PassthroughCluster"
            and dest.node_type != "service"
            and not (opts.ambient_traffic != "none" and (source.is_waypoint or dest.is_waypoint))
        )
        edge_at = self.tmap.edge
        if inject:
            svc = self._node((dst_cluster, dst_svc_ns, dst_svc_name, "", "", "", ""))
            if svc is None:
                return
            svc.flags["isInjected"] = True
            edge = edge_at(source.id, svc.id, protocol) or self._edge(source.id, svc.id, protocol)
            if _first(edge, key, touched):
                if value > 0:
                    apply_traffic(source, svc, edge, value, code, flags, host)
                svc.add_dest_service(dst_cluster, dst_svc_ns, dst_svc_name)
                edge = edge_at(svc.id, dest.id, protocol) or self._edge(svc.id, dest.id, protocol)
                if _first(edge, key, touched) and value > 0:
                    apply_traffic(svc, dest, edge, value, code, flags, host)
                dest.add_dest_service(dst_cluster, dst_svc_ns, dst_svc_name)
            return
        edge = edge_at(source.id, dest.id, protocol) or self._edge(source.id, dest.id, protocol)
        if _first(edge, key, touched):
            if value > 0:
                apply_traffic(source, dest, edge, value, code, flags, host)
            dest.add_dest_service(dst_cluster, dst_svc_ns, dst_svc_name)


def route(
    metric: str,
    protocol: str,
    is_request: bool,
    raw: RawLabels,
    opts: GraphOptions,
    waypoints: Set[tuple[str, str, str]],
) -> Route | None:
    """graph.md 4.1-4.5 for one label set of `metric` (whose protocol_of is given)."""
    if None in _required(raw):
        return None
    request_protocol, code_label, grpc_status, flags_label = raw[13:]
    if (is_request or protocol == "tcp") and flags_label is None:
        return None
    code = ""
    if is_request:
        protocol = request_protocol or ""
        if code_label is None:
            return None
        if protocol == "http":
            if opts.rate_http != "requests":
                return None
        elif protocol == "grpc":
            if opts.rate_grpc != "requests":
                return None
        else:
            return None
        code = _code(code_label, grpc_status, protocol)
    ends = _ends(raw, waypoints)
    if ends is None:
        return None
    src, dst = ends
    flags = (flags_label or "") if (is_request or protocol == "tcp") else ""
    host = raw[7] if raw[7] is not None else ""
    return protocol, src, dst, code, flags, host, (metric, src, dst, code, flags, host)


_required = operator.itemgetter(*_REQUIRED_AT)


def sample_values(samples: Iterable[Sample], names: tuple[str, ...] = SAMPLE_LABELS) -> Prepared:
    """Samples as `prepare` takes them: (values of `names`, sample value) pairs."""
    return [(tuple(map(s[0].get, names)), s[1]) for s in samples]


def _first(edge: Edge, key: tuple[object, ...], touched: list[Edge] | None) -> bool:
    """Record the key on the edge; False when the edge had seen it (graph.md 4.8). A
    first sample is noted in `touched`, when given."""
    seen = edge.seen
    size = len(seen)
    seen.add(key)
    if len(seen) == size:
        return False
    if touched is not None:
        touched.append(edge)
    return True


def _code(code: str, grpc_status: str | None, protocol: str) -> str:
    """graph.md 4.4 on the label values."""
    if code == "0":
        return "-"
    if protocol != "grpc" or code[:1] in ("4", "5") or grpc_status is None:
        return code
    return grpc_status


def add_samples(
    tmap: TrafficMap,
    metric: str,
    samples: Iterable[Sample],
    opts: GraphOptions,
    waypoints: Set[tuple[str, str, str]] = frozenset(),
) -> None:
    """Populate the map with one query's result vector (graph.md 4.6-4.8)."""
    TrafficBuilder(tmap, opts, waypoints).add(metric, samples)


# --- finalizers and the service-graph reduction -------------------------------------------

_OUT_RATES = {"http": "httpOut", "grpc": "grpcOut", "tcp": "tcpOut"}


def recompute_out_rates(tmap: TrafficMap, node: Node) -> None:
    for name in _OUT_RATES.values():
        node.rates.pop(name, None)
    for edge in tmap.out_edges(node.id):
        total = edge.rates.get(edge.protocol, 0.0)
        if total > 0:
            node.add_rate(_OUT_RATES[edge.protocol], total)


def mark_outsiders(tmap: TrafficMap, requested: Set[str], accessible: Set[tuple[str, str]]) -> None:
    """graph.md 4.10 outsider: isOutside / isInaccessible; accessible holds (cluster, ns)."""
    for node in tmap.nodes():
        flags = node.flags
        if node.node_type == "unknown":
            flags["isInaccessible"] = True
        elif node.node_type == "service":
            if node.namespace == "unknown" or node.is_egress_cluster:
                flags["isInaccessible"] = True
            elif node.namespace not in requested:
                flags["isOutside"] = True
        elif node.namespace != "unknown" and node.namespace not in requested:
            flags["isOutside"] = True
        if not flags.get("isInaccessible") and (node.cluster, node.namespace) not in accessible:
            flags["isInaccessible"] = True


def mark_roots(tmap: TrafficMap) -> None:
    """graph.md 4.10 trafficGenerator: outgoing edges and no incoming edge -> isRoot."""
    edges = tmap.edges()
    sources = {edge.source for edge in edges}
    dests = {edge.dest for edge in edges}
    for node in tmap.nodes():
        if node.id in sources and node.id not in dests:
            node.flags["isRoot"] = True


def reduce_to_service_graph(tmap: TrafficMap) -> None:
    """graph.md 4.9: keep service nodes and the roots that call them; each service inherits
    the service-bound edges of the workloads it routes to."""
    services = {n.id for n in tmap.nodes() if n.node_type == "service"}
    for node in tmap.nodes():
        if node.id in services:
            continue
        if not node.flags.get("isRoot"):
            continue
        to_services = [e for e in tmap.out_edges(node.id) if e.dest in services]
        if not to_services:
            continue
        node.flags["_keep"] = True
        for edge in tmap.out_edges(node.id):
            if edge.dest not in services:
                tmap.remove_edge(edge)
        recompute_out_rates(tmap, node)
    for sid in services:
        for edge in tmap.out_edges(sid):
            if edge.dest in services:
                continue
            tmap.remove_edge(edge)
            for wl_edge in tmap.out_edges(edge.dest):
                if wl_edge.dest not in services:
                    continue
                existing = tmap.edge(sid, wl_edge.dest, wl_edge.protocol)
                if existing is not None:
                    existing.merge(wl_edge)
                else:
                    tmap.add_edge(
                        Edge(
                            sid,
                            wl_edge.dest,
                            wl_edge.protocol,
                            dict(wl_edge.rates),
                            wl_edge.copy_responses(),
                            meta=dict(wl_edge.meta),
                        )
                    )
    for node in tmap.nodes():
        if node.id in services:
            continue
        if node.flags.pop("_keep", False):
            continue
        tmap.remove(node.id)
    for sid in services:
        recompute_out_rates(tmap, tmap.node(sid))
