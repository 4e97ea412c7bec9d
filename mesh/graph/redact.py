"""Nodes the caller may not read keep their place in the graph, not their identity.

Telemetry names both ends of every request, so a graph of a namespace the caller reads
also names the workloads calling it from namespaces they may not read (an ingress gateway
in istio-system, a client in another team's namespace). Upstream draws those as
inaccessible nodes under their real names; here they keep their traffic and their
`isInaccessible` mark but read as `unknown`, as the unknown source does, so the graph still
shows that traffic comes from somewhere without saying from what.
"""

from __future__ import annotations

from collections.abc import Set

from mesh.graph.model import Node, TrafficMap

HIDDEN = "unknown"
_PRINCIPALS = ("sourcePrincipal", "destPrincipal")


def _hidden(node: Node, accessible: Set[tuple[str, str]]) -> bool:
    if node.namespace in ("", HIDDEN) or node.is_egress_cluster:
        return False
    return (node.cluster, node.namespace) not in accessible


def redact_inaccessible(tmap: TrafficMap, accessible: Set[tuple[str, str]]) -> None:
    hidden = set()
    for node in tmap.nodes():
        if not _hidden(node, accessible):
            continue
        hidden.add(node.id)
        node.namespace = HIDDEN
        node.workload = HIDDEN if node.workload else ""
        node.app = HIDDEN if node.app else ""
        node.service = HIDDEN if node.service else ""
        node.aggregate = ""
        node.version = ""
        node.labels = {}
        node.dest_services = {}
        node.health = None
        node.flags = {k: v for k, v in node.flags.items() if v is True}
        node.flags["isInaccessible"] = True
    if not hidden:
        return
    for edge in tmap.edges():
        if edge.source not in hidden and edge.dest not in hidden:
            continue
        for name in _PRINCIPALS:
            edge.meta.pop(name, None)
        if edge.dest in hidden and any(parts["hosts"] for parts in edge.responses.values()):
            # The host a request named is the hidden service's own name.
            for parts in edge.responses.values():
                parts["hosts"] = {}
            edge.responses_written += 1  # any copy written ahead is stale now
