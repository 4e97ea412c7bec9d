"""health: node health from the precomputed health cache.

Health is computed by Celery (mesh.health) and read from the cache in one batch for every
namespace the graph shows; the graph never computes it. A namespace missing from the cache
leaves its nodes with `healthData: null`: the graph must not wait for, or fail on, health.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from mesh.graph.appenders import AppenderContext
from mesh.graph.model import TrafficMap
from mesh.health.serving import HealthLookup, cached_health

log = logging.getLogger(__name__)


def _as_json(value: Any) -> dict[str, Any] | None:
    return value.to_json() if value is not None else None


def _node_health(lookup: HealthLookup, node: Any) -> dict[str, Any] | None:
    cluster, namespace = node.cluster, node.namespace
    if node.node_type == "service":
        return _as_json(lookup.service(cluster, namespace, node.service))
    if node.node_type == "workload" or (node.node_type == "app" and node.workload):
        return _as_json(lookup.workload(cluster, namespace, node.workload))
    if node.node_type == "app":
        return _as_json(lookup.app(cluster, namespace, node.app))
    return None


def apply(tmap: TrafficMap, ctx: AppenderContext) -> None:
    wanted: dict[str, set[str]] = defaultdict(set)
    nodes = [n for n in tmap.nodes() if not n.flags.get("isInaccessible") and n.namespace]
    for node in nodes:
        wanted[node.cluster].add(node.namespace)
    if not wanted:
        return
    try:
        lookup = cached_health({c: sorted(ns) for c, ns in wanted.items()})
        for node in nodes:
            node.health = _node_health(lookup, node)
            if node.app:
                app_health = _as_json(lookup.app(node.cluster, node.namespace, node.app))
                if app_health is not None:
                    node.flags["appHealth"] = app_health
    except Exception:  # health is decoration: never let it break the graph
        log.exception("graph: health could not be attached")
