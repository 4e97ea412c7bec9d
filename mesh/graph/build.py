"""Telemetry samples -> nodes and edges, exactly as graph.md section 4 describes.

Kiali's rules are kept with their quirks: node identity per graph type, the trimming of node
fields, the clean-up of bad telemetry, the code used for gRPC, the first-reporter-wins
de-duplication and service-node injection. The always-on finalizers (outsider, traffic
generator) and the service-graph reduction live here too, since every graph needs them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Set

from mesh.graph.model import EGRESS_CLUSTERS, Edge, Node, TrafficMap, ok
from mesh.graph.options import GraphOptions
from mesh.prometheus.client import Sample

REQUIRED = (
    "source_workload_namespace",
    "source_workload",
    "source_canonical_service",
    "source_canonical_revision",
    "destination_service_namespace",
    "destination_service",
    "destination_service_name",
    "destination_workload_namespace",
    "destination_workload",
    "destination_canonical_service",
    "destination_canonical_revision",
)
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


def response_code(labels: Mapping[str, str], protocol: str) -> str:
    return _code(labels["response_code"], labels.get("grpc_response_status"), protocol)


def apply_traffic(
    source: Node, dest: Node, edge: Edge, value: float, code: str, flags: str, host: str
) -> None:
    """The per-protocol bookkeeping of graph.md 4.8 for one positive sample value."""
    protocol = edge.protocol
    if protocol == "tcp":
        source.add_rate("tcpOut", value)
        dest.add_rate("tcpIn", value)
        edge.add_rate("tcp", value)
        edge.add_response("-", flags, host, value)
        return
    if protocol == "http":
        source.add_rate("httpOut", value)
        dest.add_rate("httpIn", value)
        edge.add_rate("http", value)
        suffix = {"-": "NoResponse", "3": "3xx", "4": "4xx", "5": "5xx"}.get(
            "-" if code == "-" else code[:1]
        )
        if suffix:
            dest.add_rate("httpIn" + suffix, value)
            edge.add_rate("http" + suffix, value)
    else:
        source.add_rate("grpcOut", value)
        dest.add_rate("grpcIn", value)
        edge.add_rate("grpc", value)
        if code == "-":
            dest.add_rate("grpcInNoResponse", value)
            edge.add_rate("grpcNoResponse", value)
        elif (len(code) == 3 and code[:1] in ("4", "5")) or (
            len(code) != 3 and code not in ("0", "")
        ):
            dest.add_rate("grpcInErr", value)
            edge.add_rate("grpcErr", value)
    edge.add_response(code or "-", flags, host, value)


Ends = tuple[str, str, str, str, str, str, str]

# The labels the clean-up reads, in one order: a sample is decided by their values alone.
ENDS_LABELS = (
    "source_cluster",
    "source_workload_namespace",
    "source_workload",
    "source_canonical_service",
    "source_canonical_revision",
    "destination_cluster",
    "destination_service_namespace",
    "destination_service",
    "destination_service_name",
    "destination_workload_namespace",
    "destination_workload",
    "destination_canonical_service",
    "destination_canonical_revision",
)
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
    ) = raw[:13]
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


class TrafficBuilder:
    """Adds result vectors to one traffic map, in query order (graph.md 4.6-4.8).

    A sample is decided by the values of SAMPLE_LABELS and its metric alone, and its
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
    ) -> None:
        self.tmap = tmap
        self.opts = opts
        self.waypoints = waypoints
        self._seen: dict[str, set[RawLabels]] = {}
        self._nodes: dict[Ends, Node | None] = {}
        self._edges: dict[tuple[str, str, str], Edge] = {}

    def add(self, metric: str, samples: Iterable[Sample]) -> None:
        """One query's result vector."""
        seen = self._seen.setdefault(metric, set())
        metric_protocol, is_request = protocol_of(metric)
        for sample in samples:
            labels = sample.labels
            raw = tuple(map(labels.get, SAMPLE_LABELS))
            if raw in seen:
                continue
            seen.add(raw)
            self._add_one(metric, metric_protocol, is_request, raw, sample.value)

    def _node(self, ends: Ends) -> Node | None:
        try:
            return self._nodes[ends]
        except KeyError:
            node = self._nodes[ends] = add_node(self.tmap, self.opts.graph_type, *ends)
            return node

    def _edge_traffic(
        self,
        source: Node,
        dest: Node,
        protocol: str,
        key: tuple[object, ...],
        value: float,
        code: str,
        flags: str,
        host: str,
    ) -> bool:
        ends = (source.id, dest.id, protocol)
        edge = self._edges.get(ends)
        if edge is None:
            edge = self.tmap.edge(*ends)
            if edge is None:
                edge = self.tmap.add_edge(Edge(*ends))
            self._edges[ends] = edge
        if key in edge.seen:
            return False
        edge.seen.add(key)
        if value > 0:
            apply_traffic(source, dest, edge, value, code, flags, host)
        return True

    def _add_one(
        self, metric: str, protocol: str, is_request: bool, raw: RawLabels, value: float
    ) -> None:
        """graph.md 4.1-4.8 for a label set not seen before in this metric."""
        opts = self.opts
        for at in _REQUIRED_AT:
            if raw[at] is None:
                return
        request_protocol, code_label, grpc_status, flags_label = raw[13:]
        if (is_request or protocol == "tcp") and flags_label is None:
            return
        if is_request:
            protocol = request_protocol or ""
            if protocol == "" or code_label is None:
                return
            if protocol == "grpc" and opts.rate_grpc != "requests":
                return
            if protocol == "http" and opts.rate_http != "requests":
                return
            if protocol not in ("http", "grpc"):
                return
        waypoints = self.waypoints
        ends = _ends(raw, waypoints)
        if ends is None:
            return
        src, dst = ends
        code = ""
        if is_request:
            assert code_label is not None
            code = _code(code_label, grpc_status, protocol)
        flags = (flags_label or "") if (is_request or protocol == "tcp") else ""
        host = raw[7] if raw[7] is not None else ""
        source = self._node(src)
        dest = self._node(dst)
        if source is None or dest is None:
            return
        if waypoints:
            for node, tup in ((source, src), (dest, dst)):
                if (tup[0], tup[3], tup[4]) in waypoints:
                    node.is_waypoint = True
                    node.flags["isWaypoint"] = True
        key = (metric, src, dst, code, flags, host)
        dst_cluster, dst_svc_ns, dst_svc_name = dst[0], dst[1], dst[2]
        inject = (
            opts.inject_service_nodes
            and ok(dst_svc_name)
            and dst_svc_name != "PassthroughCluster"
            and dest.node_type != "service"
            and not (opts.ambient_traffic != "none" and (source.is_waypoint or dest.is_waypoint))
        )
        if inject:
            svc = self._node((dst_cluster, dst_svc_ns, dst_svc_name, "", "", "", ""))
            if svc is None:
                return
            svc.flags["isInjected"] = True
            if self._edge_traffic(source, svc, protocol, key, value, code, flags, host):
                svc.add_dest_service(dst_cluster, dst_svc_ns, dst_svc_name)
                self._edge_traffic(svc, dest, protocol, key, value, code, flags, host)
                dest.add_dest_service(dst_cluster, dst_svc_ns, dst_svc_name)
        elif self._edge_traffic(source, dest, protocol, key, value, code, flags, host):
            dest.add_dest_service(dst_cluster, dst_svc_ns, dst_svc_name)


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
    graph = tmap.graph
    for node in tmap.nodes():
        if graph.out_degree(node.id) > 0 and graph.in_degree(node.id) == 0:
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
                            {
                                c: {"flags": dict(p["flags"]), "hosts": dict(p["hosts"])}
                                for c, p in wl_edge.responses.items()
                            },
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
