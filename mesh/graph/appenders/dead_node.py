"""deadNode: drop nodes that only exist because of zero-rate telemetry (graph.md 5.2).

Repeated until stable, since removing a node can leave its neighbours without edges.
Kiali looks workloads up in the appender's namespace only, so a traffic-less node of another
namespace always goes; with grouped queries that is "a namespace not requested".
"""

from __future__ import annotations

from mesh.graph.appenders import AppenderContext
from mesh.graph.model import Node, TrafficMap, ok


def _has_traffic(node: Node) -> bool:
    return any(v > 0 for v in node.rates.values())


def _verdict(tmap: TrafficMap, node: Node, ctx: AppenderContext) -> str:
    """keep | remove | dead"""
    if node.node_type == "aggregate":
        return "keep"
    if node.node_type == "service":
        keep = (
            tmap.graph.out_degree(node.id) > 0
            or node.flags.get("isServiceEntry")
            or node.is_egress_cluster
        )
        return "keep" if keep else "remove"
    if node.node_type != "unknown" and not ok(node.workload):
        return "keep"
    if node.node_type != "unknown" and (node.cluster, node.namespace) not in ctx.accessible:
        return "keep"
    if node.node_type == "unknown" or node.namespace not in ctx.requested:
        return "remove"
    workload = ctx.workloads(node.cluster, node.namespace).get(node.workload)
    if workload is None:
        return "remove"
    return "dead" if not workload.pods else "keep"


def apply(tmap: TrafficMap, ctx: AppenderContext) -> None:
    for _ in range(len(tmap) + 1):
        changed = False
        for node in tmap.nodes():
            if _has_traffic(node) or node.flags.get("isIdle"):
                continue
            verdict = _verdict(tmap, node, ctx)
            if verdict == "remove":
                tmap.remove(node.id)
                changed = True
            elif verdict == "dead":
                node.flags["isDead"] = True
        if not changed:
            return
