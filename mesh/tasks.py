"""Background refresh of the cluster registry, so pages find it warm and see its age."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from celery import shared_task
from django.core.cache import cache

from mesh.clusters.registry import current_registry, invalidate_registry

CLUSTER_SUMMARY_KEY = "mesh:clusters"
REFRESH_LOCK_KEY = "mesh:clusters:refreshing"


def cluster_summary() -> dict[str, Any] | None:
    """The last background result: {"computed_at": epoch seconds, "clusters": [...], ...}."""
    summary: dict[str, Any] | None = cache.get(CLUSTER_SUMMARY_KEY)
    return summary


@shared_task(name="mesh.tasks.refresh_clusters")
def refresh_clusters() -> None:
    """Rebuild the registry and store what it found; `cache.add` keeps one refresh at a time."""
    if not cache.add(REFRESH_LOCK_KEY, True, timeout=120):
        return
    try:
        invalidate_registry()
        registry = current_registry()
        cache.set(
            CLUSTER_SUMMARY_KEY,
            {
                "computed_at": time.time(),
                "home": registry.home,
                "clusters": [dataclasses.asdict(c) for c in registry.clusters],
                "problems": registry.problems,
            },
            timeout=None,
        )
    finally:
        cache.delete(REFRESH_LOCK_KEY)
