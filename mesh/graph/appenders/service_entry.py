"""serviceEntry: service nodes that are ServiceEntry hosts become one node per ServiceEntry.

A ServiceEntry is visible to a namespace through its exportTo (absent: everywhere); hosts
match exactly (wildcards too, Istio reports them as the service name) and, for mesh-internal
entries, by their first DNS label. The folded nodes' traffic and edges move to the new node.
"""

from __future__ import annotations

from typing import Any

from mesh.graph.appenders import AppenderContext
from mesh.graph.model import Edge, Node, TrafficMap, ok
from mesh.graph.objects import ISTIO_NETWORKING, name_of, namespace_of


def _visible(se: dict[str, Any], namespace: str) -> bool:
    export = (se.get("spec") or {}).get("exportTo") or ["*"]
    return "*" in export or namespace in export or ("." in export and namespace_of(se) == namespace)


def _matches(se: dict[str, Any], service: str) -> bool:
    spec = se.get("spec") or {}
    internal = spec.get("location") == "MESH_INTERNAL"
    for host in spec.get("hosts") or []:
        if host == service:
            return True
        parts = host.split(".")
        if internal and not (len(parts) == 3 and parts[2] == "global") and parts[0] == service:
            return True
    return False


def _fold(tmap: TrafficMap, se_node: Node, old: Node) -> None:
    for name, value in old.rates.items():
        se_node.add_rate(name, value)
    se_node.dest_services.update(old.dest_services)
    for edge in tmap.in_edges(old.id):
        _move(tmap, edge, edge.source, se_node.id)
    for edge in tmap.out_edges(old.id):
        _move(tmap, edge, se_node.id, edge.dest)
    tmap.remove(old.id)


def _move(tmap: TrafficMap, edge: Edge, source: str, dest: str) -> None:
    tmap.remove_edge(edge)
    existing = tmap.edge(source, dest, edge.protocol)
    if existing is not None:
        existing.merge(edge)
        return
    edge.source, edge.dest = source, dest
    tmap.add_edge(edge)


def apply(tmap: TrafficMap, ctx: AppenderContext) -> None:
    candidates = [
        n
        for n in tmap.nodes()
        if n.node_type == "service"
        and not n.flags.get("isInjected")
        and not n.is_egress_cluster
        and ok(n.cluster)
        and ok(n.service)
    ]
    for node in candidates:
        if node.id not in tmap:
            continue
        if node.namespace != "unknown" and (node.cluster, node.namespace) not in ctx.accessible:
            continue
        callers = {tmap.node(e.source).namespace for e in tmap.in_edges(node.id)}
        viewers = {node.namespace} | callers
        entries = [
            se
            for se in ctx.objects(node.cluster, ISTIO_NETWORKING, "serviceentries")
            if _matches(se, node.service) and any(_visible(se, v) for v in viewers)
        ]
        if not entries:
            continue
        se = entries[0]
        spec = se.get("spec") or {}
        namespace = node.namespace if ok(node.namespace) else namespace_of(se)
        se_id = f"svc_{node.cluster}_{namespace}_{name_of(se)}"
        se_node = tmap.get(se_id) or tmap.add(
            Node(se_id, "service", node.cluster, namespace, service=name_of(se))
        )
        se_node.flags["isServiceEntry"] = {
            "hosts": list(spec.get("hosts") or []),
            "location": spec.get("location") or "MESH_EXTERNAL",
            "namespace": namespace_of(se),
        }
        if se_node is not node:
            _fold(tmap, se_node, node)
