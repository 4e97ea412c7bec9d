"""health: node health from the precomputed health cache, when there is one.

Health is computed elsewhere (mesh.health, by Celery) and read from the Django cache; the
graph never computes it. Without that module, or with nothing cached, nodes keep
`healthData: null` and nothing fails: the graph must not depend on health being ready.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from mesh.graph.appenders import AppenderContext
from mesh.graph.model import TrafficMap

log = logging.getLogger(__name__)


def _reader() -> Any:
    try:
        module = importlib.import_module("mesh.health")
    except ImportError:
        return None
    return getattr(module, "cached_namespace_health", None)


def _lookup(health: Any, kind: str, name: str) -> Any:
    table = health.get(kind) if isinstance(health, dict) else getattr(health, kind, None)
    if not isinstance(table, dict):
        return None
    value = table.get(name)
    if value is not None and hasattr(value, "to_json"):
        return value.to_json()
    return value


def apply(tmap: TrafficMap, ctx: AppenderContext) -> None:
    reader = _reader()
    if reader is None:
        return
    cache: dict[tuple[str, str], Any] = {}
    try:
        for node in tmap.nodes():
            if node.flags.get("isInaccessible"):
                continue
            key = (node.cluster, node.namespace)
            if key not in cache:
                cache[key] = reader(node.cluster, node.namespace)
            health = cache[key]
            if not health:
                continue
            if node.node_type == "service":
                node.health = _lookup(health, "services", node.service)
            elif node.node_type == "workload":
                node.health = _lookup(health, "workloads", node.workload)
            elif node.node_type == "app":
                node.health = _lookup(health, "workloads", node.workload) if node.workload else None
                node.health = node.health or _lookup(health, "apps", node.app)
            if node.app:
                app_health = _lookup(health, "apps", node.app)
                if app_health is not None:
                    node.flags["appHealth"] = app_health
    except Exception:  # health is decoration: never let it break the graph
        log.exception("graph: health could not be attached")
