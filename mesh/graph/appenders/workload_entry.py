"""workloadEntry: the WorkloadEntries (VMs, bare-metal hosts) behind a workload or app node.

graph.md 5.2: for workload and app nodes of a requested, accessible namespace, every
WorkloadEntry of that namespace whose app and version labels equal the node's adds its name
to `hasWorkloadEntry`. As in Kiali, both labels must be there: an entry without a version
label matches no node, not even a versionless app.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mesh.graph.appenders import AppenderContext
from mesh.graph.model import Node, TrafficMap
from mesh.graph.objects import APP_LABELS, ISTIO_NETWORKING, VERSION_LABELS, in_namespace, name_of


def _label(labels: Mapping[str, Any], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = labels.get(name)
        if value is not None:
            return str(value)
    return None


def _matches(entry: Mapping[str, Any], node: Node) -> bool:
    labels = (entry.get("spec") or {}).get("labels") or {}
    return _label(labels, APP_LABELS) == node.app and _label(labels, VERSION_LABELS) == node.version


def apply(tmap: TrafficMap, ctx: AppenderContext) -> None:
    entries: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for node in tmap.nodes():
        if node.node_type not in ("workload", "app"):
            continue
        where = (node.cluster, node.namespace)
        if node.namespace not in ctx.requested or where not in ctx.accessible:
            continue
        if where not in entries:
            listed = ctx.objects(node.cluster, ISTIO_NETWORKING, "workloadentries")
            entries[where] = in_namespace(listed, node.namespace)
        found = [{"name": name_of(e)} for e in entries[where] if _matches(e, node)]
        if found:
            node.flags["hasWorkloadEntry"] = found
