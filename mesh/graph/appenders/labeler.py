"""labeler (finalizer): the Kubernetes labels of each node's backing object (graph.md 5.2).

They let find and hide expressions match `label:<key>`. A workload node (and a versioned
app node, which stands for one workload) takes its workload's pod-template labels; an app
node the labels all its workloads share; a service node its Service's labels. The labels
that name the app and version are left out: the node shows those already. Outsiders and
inaccessible nodes are skipped, as their objects are not the caller's to read.
"""

from __future__ import annotations

from typing import Any

from mesh.graph.appenders import AppenderContext
from mesh.graph.model import Node, TrafficMap
from mesh.graph.objects import APP_LABELS, VERSION_LABELS, in_namespace, name_of

SHOWN = frozenset((*APP_LABELS, *VERSION_LABELS))


def _shared(labelled: list[dict[str, str]]) -> dict[str, str]:
    """The labels every mapping has with the same value."""
    if not labelled:
        return {}
    first, *rest = labelled
    return {k: v for k, v in first.items() if all(other.get(k) == v for other in rest)}


def _labels(
    node: Node, ctx: AppenderContext, services: dict[str, dict[str, Any]]
) -> dict[str, str]:
    if node.node_type == "service":
        service = services.get(node.service) or {}
        return dict((service.get("metadata") or {}).get("labels") or {})
    return _shared([w.labels for w in ctx.backing(node)])


def apply(tmap: TrafficMap, ctx: AppenderContext) -> None:
    services: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for node in tmap.nodes():
        flags = node.flags
        if flags.get("isOutside") or flags.get("isInaccessible"):
            continue
        if node.node_type not in ("workload", "app", "service"):
            continue
        where = (node.cluster, node.namespace)
        if where not in ctx.accessible:
            continue
        if node.node_type == "service" and where not in services:
            listed = in_namespace(ctx.objects(node.cluster, "v1", "services"), node.namespace)
            services[where] = {name_of(s): s for s in listed}
        labels = _labels(node, ctx, services.get(where, {}))
        kept = {k: str(v) for k, v in labels.items() if k not in SHOWN}
        if kept:
            node.labels = kept
