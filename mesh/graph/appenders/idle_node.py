"""idleNode: services and workloads that exist but had no traffic in the window.

Kiali only adds idle workloads inside its loop over services, i.e. only with service
injection (or a service graph); that quirk is kept (graph.md 5.2).
"""

from __future__ import annotations

from mesh.graph.appenders import AppenderContext
from mesh.graph.build import add_node
from mesh.graph.model import TrafficMap
from mesh.graph.objects import in_namespace, name_of


def apply(tmap: TrafficMap, ctx: AppenderContext) -> None:
    opts = ctx.opts
    if opts.node is not None:
        return
    with_services = opts.graph_type == "service" or opts.inject_service_nodes
    if not with_services:
        return
    graph_type = opts.graph_type
    for namespace in ctx.requested:
        for cluster in ctx.clusters_of(namespace):
            for svc in in_namespace(ctx.objects(cluster, "v1", "services"), namespace):
                _idle(tmap, add_node, graph_type, cluster, namespace, name_of(svc), "", "", "", "")
            if graph_type == "service":
                continue
            for workload in ctx.workloads(cluster, namespace).values():
                _idle(
                    tmap,
                    add_node,
                    graph_type,
                    cluster,
                    "",
                    "",
                    namespace,
                    workload.name,
                    workload.app or "unknown",
                    workload.version or "unknown",
                )


def _idle(tmap: TrafficMap, add, graph_type: str, *ends: str) -> None:  # type: ignore[no-untyped-def]
    before = len(tmap)
    node = add(tmap, graph_type, *ends)
    if node is not None and len(tmap) > before:
        node.rates.setdefault("httpIn", 0.0)
        node.rates.setdefault("httpOut", 0.0)
        node.flags["isIdle"] = True
