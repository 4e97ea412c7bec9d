"""aggregateNode: request-classification nodes (graph.md 5.2), such as one per operation.

Istio can classify requests into a label (request_operation by default, the graph's
`aggregate` option). For each classified request series this appender finds its source
and destination nodes, already in the map, and routes the pair through an aggregate node
for the label's value: source -> aggregate -> destination, replacing the direct edge.
With service injection the destination is the service node, and the aggregate node is
that service's own (its id and fields carry the service and its app). Only the new edges
and the aggregate node count the traffic; the ends had it already. Service graphs and
graphs without request rates have none.
"""

from __future__ import annotations

from mesh.graph.appenders import AppenderContext
from mesh.graph.build import SAMPLE_LABELS, node_id, protocol_of, route, traffic_names
from mesh.graph.model import Edge, Node, TrafficMap, ok
from mesh.graph.queries import (
    GB_REQ,
    aggregate_selector,
    braces,
    in_namespaces,
    reporter,
    run_in_order,
    wrap,
)
from mesh.prometheus.promql import matcher

METRIC = "istio_requests_total"


def queries_for(ctx: AppenderContext) -> list[str]:
    opts, agg = ctx.opts, ctx.opts.aggregate
    rep = reporter(opts, "destination")
    node = opts.node
    selectors = []
    if node is not None and node.kind == "aggregate":
        selectors.append((aggregate_selector(opts, node), ctx.groups[0].seconds))
    else:
        for group in ctx.groups:
            ns = group.namespaces
            unclassified = matcher(agg, "!=", "unknown")
            selectors.append(
                (
                    [
                        rep,
                        in_namespaces("source_workload_namespace", ns, negate=True),
                        in_namespaces("destination_service_namespace", ns),
                        unclassified,
                    ],
                    group.seconds,
                )
            )
            selectors.append(
                ([rep, in_namespaces("source_workload_namespace", ns), unclassified], group.seconds)
            )
    return [
        wrap(f"sum(rate({METRIC}{braces(ctx.scope, sel)}[{seconds}s])) by ({GB_REQ},{agg}) > 0")
        for sel, seconds in selectors
    ]


def _aggregate_node(tmap: TrafficMap, dest: Node, agg: str, value: str, injected: bool) -> Node:
    nid = f"agg_{dest.cluster}_{dest.namespace}_{agg}_{value}"
    if injected:
        nid += f"_{dest.service}"
    found = tmap.get(nid)
    if found is not None:
        return found
    node = Node(nid, "aggregate", dest.cluster, dest.namespace, aggregate=f"{agg}={value}")
    if injected:
        node.service, node.app = dest.service, dest.app
    return tmap.add(node)


def _add(edge: Edge, value: float, code: str, flags: str, host: str) -> None:
    _, _, edge_names, response = traffic_names(edge.protocol, code)
    for name in edge_names:
        edge.add_rate(name, value)
    edge.add_response(response, flags, host, value)


def apply(tmap: TrafficMap, ctx: AppenderContext) -> None:
    opts = ctx.opts
    if opts.graph_type == "service" or not opts.requests:
        return
    agg = opts.aggregate
    protocol, is_request = protocol_of(METRIC)
    seen: set[tuple[str | None, ...]] = set()
    for _, samples in run_in_order(queries_for(ctx), ctx.query):
        for sample in samples:
            value = sample.labels.get(agg)
            if not value:
                continue
            raw = tuple(map(sample.labels.get, SAMPLE_LABELS))
            # the same series can answer two namespaces' queries: count it once
            series = (value, *raw)
            if series in seen:
                continue
            seen.add(series)
            resolved = route(METRIC, protocol, is_request, raw, opts, frozenset())
            if resolved is None:
                continue
            edge_protocol, src, dst, code, flags, host, _key = resolved
            source_id = node_id(*src, opts.graph_type)
            injected = opts.inject_service_nodes and ok(dst[2]) and dst[2] != "PassthroughCluster"
            dest_id = (
                node_id(dst[0], dst[1], dst[2], "", "", "", "", opts.graph_type)
                if injected
                else node_id(*dst, opts.graph_type)
            )
            if source_id is None or dest_id is None:
                continue
            source, dest = tmap.get(source_id[0]), tmap.get(dest_id[0])
            if source is None or dest is None:
                continue
            injected = injected and dest.node_type == "service"
            node = _aggregate_node(tmap, dest, agg, value, injected)
            direct = tmap.edge(source.id, dest.id, edge_protocol)
            if direct is not None:
                tmap.remove_edge(direct)
            into = tmap.edge(source.id, node.id, edge_protocol) or tmap.add_edge(
                Edge(source.id, node.id, edge_protocol)
            )
            out_of = tmap.edge(node.id, dest.id, edge_protocol) or tmap.add_edge(
                Edge(node.id, dest.id, edge_protocol)
            )
            if sample.value > 0:
                out_name, in_names, _, _ = traffic_names(edge_protocol, code)
                for name in in_names:
                    node.add_rate(name, sample.value)
                node.add_rate(out_name, sample.value)
                _add(into, sample.value, code, flags, host)
                _add(out_of, sample.value, code, flags, host)
