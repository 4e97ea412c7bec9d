"""ambient (finalizer): how waypoint proxies show in the graph (graph.md 5.2).

A waypoint sits between the two ends of ambient traffic, and telemetry reports both halves.
With `waypoints=true` the waypoint nodes stay, never as out-of-mesh; the edges leaving a
waypoint are marked `from`, and where an edge X -> W into waypoint W has its way back
W -> X, that way back is folded into X -> W (marked `to`) as its `fromEdge`. With
`waypoints=false` the waypoints and the edges into them go, and so does any node this
leaves without edges (idle nodes stay). Kubernetes Gateway API gateways sending traffic
into a waypoint get `hasIngressWaypoint`.
"""

from __future__ import annotations

from mesh.graph.appenders import AppenderContext
from mesh.graph.model import TrafficMap


def apply(tmap: TrafficMap, ctx: AppenderContext) -> None:
    waypoints = {node.id for node in tmap.nodes() if node.is_waypoint}
    if not waypoints:
        return
    for edge in tmap.edges():
        source = tmap.node(edge.source)
        if edge.dest in waypoints and _is_gateway_api(source.flags.get("isGateway")):
            source.flags["hasIngressWaypoint"] = True
    if not ctx.opts.waypoints:
        _hide(tmap, waypoints)
        return
    for node_id in waypoints:
        tmap.node(node_id).flags.pop("isOutOfMesh", None)
        for edge in tmap.out_edges(node_id):
            edge.meta["waypoint"] = {"direction": "from"}
    for edge in tmap.edges():
        if edge.dest not in waypoints or edge.source in waypoints:
            continue
        back = tmap.edge(edge.dest, edge.source, edge.protocol)
        waypoint = {"direction": "to"}
        if back is not None:
            tmap.remove_edge(back)
            waypoint["fromEdge"] = back  # type: ignore[assignment]
        edge.meta["waypoint"] = waypoint


def _is_gateway_api(info: object) -> bool:
    return isinstance(info, dict) and bool((info.get("gatewayAPIInfo") or {}).get("hostnames"))


def _hide(tmap: TrafficMap, waypoints: set[str]) -> None:
    had_edges = {
        node.id for node in tmap.nodes() if tmap.out_edges(node.id) or tmap.in_edges(node.id)
    }
    for node_id in waypoints:
        tmap.remove(node_id)
    for node in tmap.nodes():
        if node.id not in had_edges or node.flags.get("isIdle"):
            continue
        if not tmap.out_edges(node.id) and not tmap.in_edges(node.id):
            tmap.remove(node.id)
