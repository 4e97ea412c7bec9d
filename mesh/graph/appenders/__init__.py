"""Appenders add to the traffic map what telemetry alone cannot say (graph.md section 5).

Each module has one job and an `apply(tmap, ctx)`; `run_appenders` calls the chosen ones in
Kiali's fixed order. They read Prometheus through `ctx.query` and Kubernetes through
`ctx.objects`, both plain callables, never a request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mesh.graph.model import Node, ok, ok_version
from mesh.graph.objects import ObjectLister, Workload, workloads
from mesh.graph.options import GraphOptions
from mesh.graph.queries import NamespaceGroup
from mesh.prometheus.client import Sample

QueryFn = Callable[[str], list[Sample]]


def _no_objects(cluster: str, group_version: str, plural: str) -> list[dict[str, Any]]:
    return []


@dataclass
class AppenderContext:
    opts: GraphOptions
    requested: frozenset[str]
    accessible: frozenset[tuple[str, str]]  # (cluster, namespace) pairs this request sees
    groups: list[NamespaceGroup]
    query: QueryFn
    objects: ObjectLister = _no_objects
    scope: Mapping[str, str] = field(default_factory=dict)
    control_plane_namespaces: frozenset[str] = frozenset({"istio-system"})
    _workloads: dict[tuple[str, str], dict[str, Workload]] = field(default_factory=dict)

    @property
    def windows(self) -> dict[str, int]:
        return {ns: g.seconds for g in self.groups for ns in g.namespaces}

    def workloads(self, cluster: str, namespace: str) -> dict[str, Workload]:
        key = (cluster, namespace)
        if key not in self._workloads:
            self._workloads[key] = workloads(self.objects, cluster, namespace)
        return self._workloads[key]

    def backing(self, node: Node) -> list[Workload]:
        """The workloads behind a workload or app node: its own for a workload (and for a
        versioned app keyed by workload), else every workload of the app (and version)."""
        found = self.workloads(node.cluster, node.namespace)
        if node.node_type == "workload" or (node.node_type == "app" and ok(node.workload)):
            workload = found.get(node.workload)
            return [workload] if workload else []
        return [
            w
            for w in found.values()
            if w.app == node.app and (not ok_version(node.version) or w.version == node.version)
        ]

    def clusters_of(self, namespace: str) -> list[str]:
        return sorted({c for c, ns in self.accessible if ns == namespace})
