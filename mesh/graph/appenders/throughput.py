"""throughput: HTTP request or response bytes per second on edges (summed per edge)."""

from __future__ import annotations

from mesh.graph.appenders import AppenderContext
from mesh.graph.build import cleanup_ends, edge_ids
from mesh.graph.model import TrafficMap
from mesh.graph.queries import GB_MSG, braces, in_namespaces, reporter, run_in_order, wrap


def queries_for(ctx: AppenderContext) -> list[str]:
    opts = ctx.opts
    metric = f"istio_{opts.throughput_type}_bytes_sum"
    rep = reporter(opts, "destination" if opts.throughput_type == "response" else "source")
    texts = []
    for group in ctx.groups:
        ns = group.namespaces
        for sel in (
            [
                rep,
                in_namespaces("source_workload_namespace", ns, negate=True),
                in_namespaces("destination_service_namespace", ns),
            ],
            [rep, in_namespaces("source_workload_namespace", ns)],
        ):
            texts.append(
                wrap(
                    f"sum(rate({metric}{braces(ctx.scope, sel)}[{group.seconds}s])) "
                    f"by ({GB_MSG}) > 0"
                )
            )
    return texts


def apply(tmap: TrafficMap, ctx: AppenderContext) -> None:
    if ctx.opts.rate_http != "requests":
        return
    sums: dict[tuple[str, str], float] = {}
    for _, samples in run_in_order(queries_for(ctx), ctx.query):
        for sample in samples:
            ends = cleanup_ends(sample.labels)
            if ends is None:
                continue
            hops = edge_ids(*ends, ctx.opts)
            if hops:
                key = hops[-1]
                sums[key] = sums.get(key, 0.0) + sample.value
    for edge in tmap.iter_edges():
        if edge.protocol == "http" and (edge.source, edge.dest) in sums:
            edge.meta["throughput"] = sums[(edge.source, edge.dest)]
