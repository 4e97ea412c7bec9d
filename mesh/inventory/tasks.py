"""Background refresh of cluster snapshots, so list pages find them warm."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from mesh.clusters.access import KubeconfigError
from mesh.clusters.registry import current_registry
from mesh.inventory.store import read_snapshot
from mesh.kube.errors import KubeError

log = logging.getLogger(__name__)

LOCK_KEY = "inventory:refreshing"


@shared_task(name="mesh.inventory.tasks.refresh_snapshots")
def refresh_snapshots() -> None:
    if not cache.add(LOCK_KEY, True, timeout=300):
        return
    try:
        registry = current_registry()
        for info in registry.mesh_clusters:
            try:
                read_snapshot(
                    registry.access[info.name].service_client(), info.name, settings.KIALI
                )
            except (KubeError, KubeconfigError) as exc:
                log.warning("snapshot of %s not refreshed: %s", info.name, exc)
    finally:
        cache.delete(LOCK_KEY)
