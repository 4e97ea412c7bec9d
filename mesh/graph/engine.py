"""One graph request end to end: plan the queries, run them, build, append, finalize.

Takes plain inputs (options, windows, what the caller may see, a query function and an
object lister) and returns the traffic map; the API view supplies the real Prometheus and
Kubernetes behind those callables, tests supply canned answers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import msgspec

from mesh.gc_pause import Hold, gc_paused
from mesh.graph import build
from mesh.graph.appenders import (
    AppenderContext,
    aggregate_node,
    ambient,
    dead_node,
    health,
    idle_node,
    istio,
    labeler,
    mesh_check,
    response_time,
    security_policy,
    service_entry,
    throughput,
    workload_entry,
)
from mesh.graph.model import TrafficMap
from mesh.graph.objects import ObjectLister, waypoint_keys
from mesh.graph.options import GraphOptions
from mesh.graph.queries import (
    NamespaceGroup,
    TrafficQuery,
    namespace_groups,
    node_queries,
    run_in_order,
    traffic_queries,
)
from mesh.graph.redact import redact_inaccessible
from mesh.graph.render import to_json
from mesh.graph.render_ahead import EdgeCache
from mesh.prometheus.client import LabelValues, PrometheusClient, Sample

log = logging.getLogger(__name__)

QueryFn = Callable[[str], list[Sample]]
LabelSetFn = Callable[[str], build.Prepared]

NAMESPACE_APPENDERS = (
    ("serviceEntry", service_entry.apply),
    ("deadNode", dead_node.apply),
    ("workloadEntry", workload_entry.apply),
    ("responseTime", response_time.apply),
    ("securityPolicy", security_policy.apply),
    ("throughput", throughput.apply),
    ("aggregateNode", aggregate_node.apply),
    ("idleNode", idle_node.apply),
    ("meshCheck", mesh_check.apply),
)
FINALIZERS = (
    ("istio", istio.apply),
    ("ambient", ambient.apply),
    ("health", health.apply),
    ("labeler", labeler.apply),
)


def _no_objects(cluster: str, group_version: str, plural: str) -> list[dict[str, Any]]:
    return []


@dataclass
class GraphRequest:
    """Everything a graph needs besides telemetry."""

    opts: GraphOptions
    windows: Mapping[str, int]  # requested namespace -> rate window in seconds
    accessible: frozenset[tuple[str, str]]  # (cluster, namespace) the caller may see
    ambient: frozenset[str] = frozenset()
    scope: Mapping[str, str] = field(default_factory=dict)
    objects: ObjectLister = _no_objects
    control_plane_namespaces: frozenset[str] = frozenset({"istio-system"})
    # Some namespace the caller sees is enrolled in ambient: waypoints are looked for.
    ambient_mesh: bool = False

    @property
    def groups(self) -> list[NamespaceGroup]:
        return namespace_groups(self.windows, self.ambient)


def plan(request: GraphRequest) -> list[TrafficQuery]:
    """The traffic queries (before appenders); their number depends on the options and the
    number of namespace groups, never on how many workloads there are."""
    opts = request.opts
    if opts.node is not None:
        node = opts.node
        seconds = request.windows.get(node.namespace, opts.duration)
        waypoint = node.kind == "workload" and bool(
            {(node.cluster, node.namespace, node.workload)} & _waypoints(request)
        )
        ambient = node.namespace in request.ambient
        return node_queries(opts, node, seconds, request.scope, ambient, waypoint)
    queries = [q for g in request.groups for q in traffic_queries(opts, g, request.scope)]
    # Request and message queries of every group before any TCP query: the first reporter
    # wins only among queries of one metric family (their edges' protocols and the node
    # rates they add to are apart), so this order gives the same graph as Kiali's
    # namespace-major one; and as the TCP answers are the small ones, fetched a few at a
    # time they come last, when most of the graph is built (graph.md 3.4, measured in
    # tests/bench/test_graph_bench.py).
    queries.sort(key=_is_tcp)
    return queries


def _is_tcp(query: TrafficQuery) -> bool:
    return query.metric.startswith("istio_tcp")


class PrometheusQuery:
    """A graph's queries to one Prometheus at the graph's instant: samples for the
    appenders, and for the traffic queries their label sets as Prometheus wrote them."""

    def __init__(self, client: PrometheusClient, query_time: int) -> None:
        self._client = client
        self._at = datetime.fromtimestamp(query_time)

    def __call__(self, text: str) -> list[Sample]:
        return self._client.query(text, self._at)

    def label_sets(self, text: str) -> build.Prepared:
        # bytes keys, as Prepared allows (a list of them is not a list of Hashable to mypy)
        return cast(build.Prepared, self._client.query_label_sets(text, self._at))

    def label_reader(self, names: tuple[str, ...]) -> Callable[[bytes], LabelValues]:
        return self._client.label_reader(names)


def prometheus_query(client: PrometheusClient, query_time: int) -> PrometheusQuery:
    return PrometheusQuery(client, query_time)


def _label_sets(query: QueryFn) -> tuple[LabelSetFn, Callable[[Any], build.RawLabels] | None]:
    """The query's fast path to label sets (as bytes) and their reader, or (canned answers in
    tests) label values read from its samples, which need no reader; the same graph."""
    if isinstance(query, PrometheusQuery):
        return query.label_sets, query.label_reader(build.SAMPLE_LABELS)

    def from_samples(text: str) -> build.Prepared:
        return build.sample_values(query(text))

    return from_samples, None


def _waypoints(request: GraphRequest) -> frozenset[tuple[str, str, str]]:
    """Waypoint workloads, when ambient traffic is asked for and the mesh has ambient
    namespaces (graph.md 4.7); a mesh without them is spared the workload lists."""
    if request.opts.ambient_traffic == "none" or not request.ambient_mesh:
        return frozenset()
    clusters = sorted({cluster for cluster, _ in request.accessible})
    return waypoint_keys(request.objects, clusters)


def build_traffic(
    request: GraphRequest, query: QueryFn, ahead: EdgeCache | None = None
) -> TrafficMap:
    """Telemetry only: the traffic queries, run concurrently, each answer decoded and
    prepared in the thread that fetched it and added to the map in query order; with
    `ahead`, the edges changed so far are written while later answers are awaited."""
    tmap = ahead.tmap if ahead is not None else TrafficMap()
    touched = ahead.pending if ahead is not None else None
    label_sets, reader = _label_sets(query)
    builder = build.TrafficBuilder(tmap, request.opts, _waypoints(request), touched, reader)

    def fetch(item: TrafficQuery) -> build.Prepared:
        return builder.prepare(item.metric, label_sets(item.text))

    idle = ahead.advance if ahead is not None else None
    for item, prepared in run_in_order(plan(request), fetch, idle=idle):
        builder.apply(item.metric, prepared)
    return tmap


def finish(
    tmap: TrafficMap, request: GraphRequest, query: QueryFn, skip: frozenset[str] = frozenset()
) -> TrafficMap:
    """Appenders and finalizers in Kiali's order, then the service-graph reduction."""
    opts = request.opts
    ctx = AppenderContext(
        opts=opts,
        requested=frozenset(opts.namespaces),
        accessible=request.accessible,
        groups=request.groups
        if opts.node is None
        else [
            NamespaceGroup(
                (opts.node.namespace,),
                request.windows.get(opts.node.namespace, opts.duration),
                opts.node.namespace in request.ambient,
            )
        ],
        query=query,
        objects=request.objects,
        scope=request.scope,
        control_plane_namespaces=request.control_plane_namespaces,
    )
    # An aggregate's node graph is its appender's work (graph.md 3.5): forced on.
    forced = {"aggregateNode"} if opts.node is not None and opts.node.kind == "aggregate" else set()
    for name, apply in NAMESPACE_APPENDERS:
        if (opts.wants(name) or name in forced) and name not in skip:
            apply(tmap, ctx)
    build.mark_outsiders(tmap, ctx.requested, ctx.accessible)
    for name, apply in FINALIZERS:
        if opts.wants(name) and name not in skip:
            apply(tmap, ctx)
    redact_inaccessible(tmap, ctx.accessible)
    build.mark_roots(tmap)
    if opts.graph_type == "service" and opts.node is None:
        build.reduce_to_service_graph(tmap)
    return tmap


def build_graph(
    request: GraphRequest,
    query: QueryFn,
    skip: frozenset[str] = frozenset(),
    ahead: EdgeCache | None = None,
) -> TrafficMap:
    with gc_paused():
        return finish(build_traffic(request, query, ahead), request, query, skip)


class GraphDocument:
    """The graph API's response body, and the objects it was written from.

    Freeing a big graph's objects takes about as long as encoding them, and no reader needs
    to wait for it: the caller sends `body`, then calls `release()`. Until then the objects
    are kept and the collector stays paused (mesh.gc_pause says why).
    """

    def __init__(
        self,
        body: bytes,
        traffic_map: TrafficMap,
        elements: dict[str, Any],
        hold: Hold,
        ahead: EdgeCache | None = None,
    ) -> None:
        self.body = body
        self.traffic_map: TrafficMap | None = traffic_map
        self._elements: dict[str, Any] | None = elements
        self._ahead = ahead
        self._hold = hold

    def release(self) -> None:
        self.traffic_map = self._elements = self._ahead = None
        self._hold.release()

    def shared(self) -> GraphDocument:
        """The same answer for another request made at the same time (mesh.graph.coalesce):
        the bytes only; the objects stay this document's to release."""
        return GraphDocument.of_body(self.body)

    @staticmethod
    def of_body(body: bytes) -> GraphDocument:
        """An answer of bytes alone (built by another request or server process)."""
        hold = Hold()
        hold.release()
        copy = GraphDocument(body, TrafficMap(), {}, hold)
        copy.traffic_map = None
        return copy


_ENCODER = msgspec.json.Encoder()


def graph_document(request: GraphRequest, query: QueryFn) -> GraphDocument:
    """Kiali's cytoscape JSON for the request, encoded.

    msgspec encodes the few megabytes of a big graph about eight times faster than the
    standard library, and like it writes a number key (health data comes from a cache) as
    a string instead of failing.
    """
    hold = Hold()
    try:
        ahead = EdgeCache(TrafficMap())
        tmap = build_graph(request, query, ahead=ahead)
        elements = to_json(tmap, request.opts, edges=ahead)
        body = _ENCODER.encode(elements)
        return GraphDocument(body, tmap, elements, hold, ahead)
    except BaseException:
        hold.release()
        raise
