"""securityPolicy: the share of each edge's traffic carried over mutual TLS, and principals.

Kiali assigns (does not sum) the rate per edge and policy, so the last sample wins; that is
kept so figures match Kiali's (graph.md 5.2).
"""

from __future__ import annotations

from mesh.graph.appenders import AppenderContext
from mesh.graph.build import cleanup_ends, edge_ids
from mesh.graph.model import TrafficMap
from mesh.graph.queries import app_fragment, braces, in_namespaces, reporter, run_in_order, wrap
from mesh.prometheus.promql import matcher

GROUP_BY = (
    "source_cluster,source_workload_namespace,source_workload,source_canonical_service,"
    "source_canonical_revision,source_principal,destination_cluster,"
    "destination_service_namespace,destination_service_name,destination_workload_namespace,"
    "destination_workload,destination_canonical_service,destination_canonical_revision,"
    "destination_principal,connection_security_policy"
)


def queries_for(ctx: AppenderContext) -> list[str]:
    opts = ctx.opts
    metrics: list[tuple[str, bool]] = []
    if opts.requests:
        metrics.append(("istio_requests_total", False))
    if opts.rate_grpc in ("sent", "total"):
        metrics.append(("istio_request_messages_total", False))
    if opts.rate_grpc in ("received", "total"):
        metrics.append(("istio_response_messages_total", False))
    if opts.rate_tcp in ("sent", "total"):
        metrics.append(("istio_tcp_sent_bytes_total", True))
    if opts.rate_tcp in ("received", "total"):
        metrics.append(("istio_tcp_received_bytes_total", True))
    rep = reporter(opts, "destination")
    texts = []
    for group in ctx.groups:
        ns, secs = group.namespaces, group.seconds
        for outbound in (False, True):
            base = (
                [in_namespaces("source_workload_namespace", ns)]
                if outbound
                else [
                    in_namespaces("source_workload_namespace", ns, negate=True),
                    in_namespaces("destination_service_namespace", ns),
                ]
            )
            parts = []
            for metric, tcp in metrics:
                sel = [*(app_fragment(opts) if tcp else []), rep, *base]
                parts.append(
                    f"sum(rate({metric}{braces(ctx.scope, sel)}[{secs}s])) by ({GROUP_BY}) > 0"
                )
            if outbound and opts.ambient_traffic in ("total", "ztunnel"):
                sel = [
                    matcher("app", "=", "ztunnel"),
                    matcher("reporter", "=", "source"),
                    in_namespaces("source_workload_namespace", ns),
                ]
                parts.append(
                    f"sum(rate(istio_tcp_sent_bytes_total{braces(ctx.scope, sel)}[{secs}s])) "
                    f"by ({GROUP_BY}) > 0"
                )
            if parts:
                texts.append(wrap(" OR ".join(f"({p})" for p in parts)))
    return texts


def apply(tmap: TrafficMap, ctx: AppenderContext) -> None:
    rates: dict[tuple[str, str], dict[str, float]] = {}
    principals: dict[tuple[str, str], tuple[str, str]] = {}
    for _, samples in run_in_order(queries_for(ctx), ctx.query):
        for sample in samples:
            ends = cleanup_ends(sample.labels)
            if ends is None:
                continue
            policy = sample.labels.get("connection_security_policy", "unknown")
            for key in edge_ids(*ends, ctx.opts):
                rates.setdefault(key, {})[policy] = sample.value
                principals.setdefault(
                    key,
                    (
                        sample.labels.get("source_principal", ""),
                        sample.labels.get("destination_principal", ""),
                    ),
                )
    for edge in tmap.iter_edges():
        key = (edge.source, edge.dest)
        by_policy = rates.get(key)
        if by_policy:
            mtls = by_policy.get("mutual_tls", 0.0)
            if mtls > 0:
                edge.meta["isMTLS"] = mtls / sum(by_policy.values()) * 100
        elif tmap.node(edge.source).is_waypoint or tmap.node(edge.dest).is_waypoint:
            edge.meta["isMTLS"] = 100.0
        if key in principals:
            source_principal, dest_principal = principals[key]
            if source_principal and source_principal != "unknown":
                edge.meta["sourcePrincipal"] = source_principal
            if dest_principal and dest_principal != "unknown":
                edge.meta["destPrincipal"] = dest_principal
