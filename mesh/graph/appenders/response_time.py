"""responseTime: edge latency (p50/p95/p99 or average) in milliseconds.

These queries read histograms and cost several times all traffic queries together, so they
stay one set per namespace (not grouped) and `response_times` can be called on its own,
letting a page draw the graph first and fetch latencies after.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping

from mesh.graph.appenders import AppenderContext
from mesh.graph.build import cleanup_ends, edge_ids
from mesh.graph.model import TrafficMap
from mesh.graph.options import GraphOptions
from mesh.graph.queries import GB_MSG, braces, in_namespaces, reporter, run_in_order, wrap
from mesh.prometheus.client import Sample
from mesh.prometheus.promql import matcher

GROUP_BY = GB_MSG + ",request_protocol"
EdgeKey = tuple[str, str, str]


def queries_for(
    opts: GraphOptions,
    namespace: str,
    seconds: int,
    scope: Mapping[str, str],
    ambient: bool = False,
) -> list[str]:
    selectors = []
    if ambient:
        selectors.append(
            [
                matcher("reporter", "=", "source"),
                in_namespaces("source_workload_namespace", [namespace], negate=True),
                matcher("destination_service_namespace", "=", namespace),
            ]
        )
    selectors.append(
        [reporter(opts, "destination"), matcher("destination_service_namespace", "=", namespace)]
    )
    selectors.append(
        [reporter(opts, "source"), matcher("source_workload_namespace", "=", namespace)]
    )
    texts = []
    metric = "istio_request_duration_milliseconds"
    for sel in selectors:
        s = braces(scope, sel)
        if opts.response_time == "avg":
            text = (
                f"sum(rate({metric}_sum{s}[{seconds}s])) by ({GROUP_BY}) / "
                f"sum(rate({metric}_count{s}[{seconds}s])) by ({GROUP_BY}) > 0"
            )
        else:
            quantile = f"{int(opts.response_time) / 100:.2f}"
            text = (
                f"histogram_quantile({quantile}, sum(rate({metric}_bucket{s}[{seconds}s])) "
                f"by (le,{GROUP_BY})) > 0"
            )
        texts.append(wrap(text))
    return texts


def collect(samples: Iterable[Sample], opts: GraphOptions, into: dict[EdgeKey, float]) -> None:
    """First value wins per edge key; with injection only the service->workload hop."""
    for sample in samples:
        if math.isnan(sample.value):
            continue
        labels = sample.labels
        protocol = labels.get("request_protocol", "")
        if protocol not in ("http", "grpc"):
            continue
        if protocol == "http" and opts.rate_http != "requests":
            continue
        if protocol == "grpc" and opts.rate_grpc != "requests":
            continue
        ends = cleanup_ends(labels)
        if ends is None:
            continue
        hops = edge_ids(*ends, opts)
        if not hops:
            continue
        source, dest = hops[-1]
        into.setdefault((source, dest, protocol), sample.value)


def response_times(
    opts: GraphOptions,
    windows: Mapping[str, int],
    query: Callable[[str], list[Sample]],
    scope: Mapping[str, str],
    ambient: Iterable[str] = (),
) -> dict[EdgeKey, float]:
    """(source id, dest id, protocol) -> milliseconds, for every requested namespace."""
    if not opts.requests:
        return {}
    ambient_set = set(ambient)
    texts = [
        t
        for ns, seconds in windows.items()
        for t in queries_for(opts, ns, seconds, scope, ns in ambient_set)
    ]
    found: dict[EdgeKey, float] = {}
    for _, samples in run_in_order(texts, query):
        collect(samples, opts, found)
    return found


def attach(tmap: TrafficMap, times: Mapping[EdgeKey, float]) -> None:
    for edge in tmap.iter_edges():
        value = times.get((edge.source, edge.dest, edge.protocol))
        if value is not None:
            edge.meta["responseTime"] = value


def apply(tmap: TrafficMap, ctx: AppenderContext) -> None:
    ambient = [ns for g in ctx.groups if g.ambient for ns in g.namespaces]
    attach(tmap, response_times(ctx.opts, ctx.windows, ctx.query, ctx.scope, ambient))
