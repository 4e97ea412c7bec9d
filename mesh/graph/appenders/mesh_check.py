"""meshCheck (alias sidecarsCheck): the missing-sidecar and ambient badges.

Nodes whose backing workloads cannot be found get Kiali's defaults (everything "true"), so
they read as ambient rather than out of mesh; that quirk is kept (graph.md 5.2).
"""

from __future__ import annotations

from mesh.graph.appenders import AppenderContext
from mesh.graph.model import TrafficMap
from mesh.graph.objects import has_sidecar, is_ambient_pod, is_gateway


def apply(tmap: TrafficMap, ctx: AppenderContext) -> None:
    for node in tmap.nodes():
        if node.node_type not in ("workload", "app"):
            continue
        flags = node.flags
        if flags.get("isInaccessible") or flags.get("isDead"):
            continue
        if (node.cluster, node.namespace) not in ctx.accessible:
            continue
        if node.namespace in ctx.control_plane_namespaces:
            continue
        backing = ctx.backing(node)
        pods = [p for w in backing for p in w.pods]
        sidecar = all(has_sidecar(p) for p in pods) if pods else True
        ambient = all(is_ambient_pod(p) for p in pods) if pods else True
        gateway = any(is_gateway(w.labels) for w in backing) if backing else True
        if ambient or node.is_waypoint:
            flags["isAmbient"] = True
        if not (sidecar or ambient or gateway or node.is_waypoint):
            flags["isOutOfMesh"] = True
