"""The graph's PromQL (graph.md section 3), built once per namespace group and protocol.

Kiali sends one set of queries per namespace. Here namespaces that share a rate window are
grouped, about ten to a group, and matched with one regex, so a graph of many namespaces
costs a handful of queries; for a group of one the text is exactly Kiali's. Every value is
written through mesh.prometheus.promql, and the configured query_scope opens each selector.

Queries run concurrently; each answer is decoded in its worker as it arrives, and the
samples are handed back in query order, because the first reporter seen wins (graph.md 4.8).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from mesh.graph.options import GraphOptions, NodeSpec
from mesh.prometheus.promql import any_of, matcher, regex_literal, scope_matchers

GB_MSG = (
    "source_cluster,source_workload_namespace,source_workload,source_canonical_service,"
    "source_canonical_revision,destination_cluster,destination_service_namespace,"
    "destination_service,destination_service_name,destination_workload_namespace,"
    "destination_workload,destination_canonical_service,destination_canonical_revision"
)
GB_REQ = GB_MSG + ",request_protocol,response_code,grpc_response_status,response_flags"
GB_TCP = "app," + GB_MSG + ",response_flags"

GROUP_SIZE = 10
# Queries of one graph in flight at once. Three keep a Prometheus core busy while this
# process reads each answer as it comes, and spread the answers out in time; all at once,
# they end together and the reading is left to do after the last (measured with the graph
# bench: the same queries answered as fast either way, the graph 0.1x sooner with three).
MAX_WORKERS = 3

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class NamespaceGroup:
    """Namespaces queried together: same rate window, same ambient enrolment."""

    namespaces: tuple[str, ...]
    seconds: int
    ambient: bool = False


@dataclass(frozen=True)
class TrafficQuery:
    metric: str
    text: str  # the PromQL as sent


def namespace_groups(
    windows: Mapping[str, int], ambient: Iterable[str] = (), size: int = GROUP_SIZE
) -> list[NamespaceGroup]:
    """Namespaces (in request order) grouped by window and ambient flag, `size` at most."""
    ambient_set = set(ambient)
    by_kind: dict[tuple[int, bool], list[str]] = {}
    for name, seconds in windows.items():
        by_kind.setdefault((seconds, name in ambient_set), []).append(name)
    groups = []
    for (seconds, is_ambient), names in by_kind.items():
        for start in range(0, len(names), size):
            groups.append(NamespaceGroup(tuple(names[start : start + size]), seconds, is_ambient))
    return groups


def braces(scope: Mapping[str, str], matchers: Iterable[str]) -> str:
    """`{scope..., matchers...}`: Kiali's scope rewrite puts the scope right after `{`."""
    return "{" + ",".join([*scope_matchers(scope), *matchers]) + "}"


def wrap(text: str) -> str:
    return f"round({text},0.001)"


def in_namespaces(label: str, namespaces: Sequence[str], negate: bool = False) -> str:
    if len(namespaces) == 1:
        return matcher(label, "!=" if negate else "=", namespaces[0])
    return matcher(label, "!~" if negate else "=~", any_of(namespaces))


def service_in(namespaces: Sequence[str]) -> str:
    """destination_service=~"^.+\\.NS\\..+$" (an alternation for a group)."""
    names = regex_literal(namespaces[0]) if len(namespaces) == 1 else f"({any_of(namespaces)})"
    return matcher("destination_service", "=~", f"^.+\\.{names}\\..+$")


def reporter(opts: GraphOptions, side: str) -> str:
    if opts.ambient_traffic in ("total", "waypoint"):
        return matcher("reporter", "=~", f"waypoint|{side}")
    return matcher("reporter", "=", side)


def app_fragment(opts: GraphOptions) -> list[str]:
    return [matcher("app", "!=", "ztunnel")] if opts.ambient_traffic in ("waypoint", "none") else []


def _rate_query(
    metric: str, selector: str, seconds: int, group_by: str, idle: bool, space: bool = True
) -> str:
    gap = " " if space else ""
    cond = "" if idle else "> 0"
    return wrap(f"sum(rate({metric}{selector}{gap}[{seconds}s])) by ({group_by}) {cond}")


def request_metrics(opts: GraphOptions) -> list[str]:
    metrics = []
    if opts.requests:
        metrics.append("istio_requests_total")
    if opts.rate_grpc in ("sent", "total"):
        metrics.append("istio_request_messages_total")
    if opts.rate_grpc in ("received", "total"):
        metrics.append("istio_response_messages_total")
    return metrics


def tcp_metrics(opts: GraphOptions) -> list[str]:
    # Swapped on purpose: Istio names L4 metrics from the proxy's point of view.
    return {
        "none": [],
        "sent": ["istio_tcp_received_bytes_total"],
        "received": ["istio_tcp_sent_bytes_total"],
        "total": ["istio_tcp_received_bytes_total", "istio_tcp_sent_bytes_total"],
    }[opts.rate_tcp]


def traffic_queries(
    opts: GraphOptions, group: NamespaceGroup, scope: Mapping[str, str]
) -> list[TrafficQuery]:
    """Queries A, B and C of graph.md 3.4 for one namespace group, in Kiali's order."""
    ns = group.namespaces
    idle = opts.include_idle_edges
    unserved = [
        in_namespaces("source_workload_namespace", ns, negate=True),
        matcher("destination_workload_namespace", "=", "unknown"),
        matcher("destination_workload", "=", "unknown"),
        service_in(ns),
    ]
    queries = []
    for metric in request_metrics(opts):
        group_by = GB_REQ if metric == "istio_requests_total" else GB_MSG
        selectors = [[reporter(opts, "source"), *unserved]]
        if group.ambient:
            selectors.append(
                [
                    matcher("reporter", "=", "source"),
                    in_namespaces("source_workload_namespace", ns, negate=True),
                    in_namespaces("destination_workload_namespace", ns),
                ]
            )
        selectors.append(
            [reporter(opts, "destination"), in_namespaces("destination_workload_namespace", ns)]
        )
        selectors.append([reporter(opts, "source"), in_namespaces("source_workload_namespace", ns)])
        for sel in selectors:
            text = _rate_query(metric, braces(scope, sel), group.seconds, group_by, idle)
            queries.append(TrafficQuery(metric, text))
    app = app_fragment(opts)
    for metric in tcp_metrics(opts):
        for sel in (
            [*app, reporter(opts, "source"), *unserved],
            [
                *app,
                reporter(opts, "destination"),
                in_namespaces("destination_workload_namespace", ns),
            ],
            [*app, reporter(opts, "source"), in_namespaces("source_workload_namespace", ns)],
        ):
            text = _rate_query(metric, braces(scope, sel), group.seconds, GB_TCP, idle)
            queries.append(TrafficQuery(metric, text))
    return queries


def _node_selectors(node: NodeSpec, inbound: bool) -> list[list[str]] | None:
    """Node-specific matchers (after the reporter) for inbound or outbound traffic."""
    ns = node.namespace
    if node.kind == "workload":
        prefix = "destination" if inbound else "source"
        return [
            [
                matcher(f"{prefix}_workload_namespace", "=", ns),
                matcher(f"{prefix}_workload", "=", node.workload),
            ]
        ]
    if node.kind == "app":
        if inbound:
            sel = [
                matcher("destination_service_namespace", "=", ns),
                matcher("destination_canonical_service", "=", node.app),
            ]
            if node.version and node.version not in ("unknown", "latest"):
                sel.append(matcher("destination_canonical_revision", "=", node.version))
        else:
            sel = [
                matcher("source_workload_namespace", "=", ns),
                matcher("source_canonical_service", "=", node.app),
            ]
            if node.version and node.version not in ("unknown", "latest"):
                sel.append(matcher("source_canonical_revision", "=", node.version))
        return [sel]
    if inbound:  # service
        host = matcher(
            "destination_service",
            "=~",
            f"^{regex_literal(node.service)}\\.{regex_literal(ns)}\\..*$",
        )
        return [
            [matcher("destination_workload", "=", "unknown"), host],
            [matcher("destination_service_namespace", "=", ns), host],
        ]
    return None


def aggregate_selector(opts: GraphOptions, node: NodeSpec) -> list[str]:
    """An aggregate node's classified requests (graph.md 3.5): its node graph's one query,
    which its aggregateNode appender sends again."""
    sel = [
        reporter(opts, "destination"),
        matcher("destination_service_namespace", "=", node.namespace),
        matcher(node.aggregate, "=", node.aggregate_value),
    ]
    if node.service:
        sel.append(matcher("destination_service_name", "=", node.service))
    return sel


def node_queries(
    opts: GraphOptions,
    node: NodeSpec,
    seconds: int,
    scope: Mapping[str, str],
    ambient: bool,
    waypoint: bool = False,
) -> list[TrafficQuery]:
    """Queries of a node graph (graph.md 3.5): inbound then outbound, per metric; for an
    aggregate node, the one query of its classified requests."""
    idle = opts.include_idle_edges
    if node.kind == "aggregate":
        sel = aggregate_selector(opts, node)
        group_by = f"{GB_REQ},{node.aggregate}"
        text = _rate_query(
            "istio_requests_total", braces(scope, sel), seconds, group_by, False, space=False
        )
        return [TrafficQuery("istio_requests_total", text)] if opts.requests else []
    dc = [matcher("destination_cluster", "=", node.cluster)] if node.cluster != "unknown" else []
    sc = [matcher("source_cluster", "=", node.cluster)] if node.cluster != "unknown" else []
    queries = []
    for metric in request_metrics(opts):
        is_req = metric == "istio_requests_total"
        group_by = GB_REQ if is_req else GB_MSG
        inbound = _node_selectors(node, True) or []
        for i, sel in enumerate(inbound):
            if node.kind == "service" and i == 0:
                if not is_req:
                    continue
                rep = reporter(opts, "source")
            elif is_req and ambient and node.kind != "service":
                rep = reporter(opts, "source|destination")
            else:
                rep = reporter(opts, "destination")
            text = _rate_query(metric, braces(scope, [rep, *dc, *sel]), seconds, group_by, idle)
            queries.append(TrafficQuery(metric, text))
        for sel in _node_selectors(node, False) or []:
            rep = reporter(opts, "source")
            text = _rate_query(metric, braces(scope, [rep, *sc, *sel]), seconds, group_by, idle)
            queries.append(TrafficQuery(metric, text))
    app = app_fragment(opts)
    for metric in tcp_metrics(opts):
        for inbound_side in (True, False):
            for sel in _node_selectors(node, inbound_side) or []:
                if (
                    node.kind == "service"
                    and inbound_side
                    and sel is not None
                    and sel[0].startswith("destination_workload=")
                ):
                    continue
                if waypoint:  # a waypoint's own traffic is reported by the ends around it
                    rep = reporter(opts, "source" if inbound_side else "destination")
                else:
                    rep = matcher("reporter", "=", "destination" if inbound_side else "source")
                cl = dc if inbound_side else sc
                text = _rate_query(
                    metric, braces(scope, [*app, rep, *cl, *sel]), seconds, GB_TCP, idle
                )
                queries.append(TrafficQuery(metric, text))
    return queries


def run_in_order(
    items: Sequence[T],
    fetch: Callable[[T], R],
    max_workers: int = MAX_WORKERS,
    idle: Callable[[], bool] | None = None,
) -> Iterator[tuple[T, R]]:
    """fetch() every item concurrently; yield (item, result) in item order, each as soon as
    it and everything before it has arrived. The first failure is raised once reached.
    While the next result is awaited, `idle` is called for as long as it returns True
    (work that can be done ahead, a little at a time)."""
    if not items:
        return
    if len(items) == 1:
        yield items[0], fetch(items[0])
        return
    with ThreadPoolExecutor(max_workers=min(max_workers, len(items))) as pool:
        futures: list[Future[R] | None] = [pool.submit(fetch, item) for item in items]
        try:
            for index, item in enumerate(items):
                future = futures[index]
                # Let each answer go once its consumer is done with it: holding them all
                # until the last one doubles the peak and frees tens of thousands of objects
                # at the end, where it delays the response.
                futures[index] = None
                assert future is not None
                if idle is not None:
                    while not future.done() and idle():
                        pass
                result = future.result()
                del future
                yield item, result
                del result
        finally:
            for pending in futures:
                if pending is not None:
                    pending.cancel()
