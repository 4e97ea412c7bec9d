"""The Celery job that precomputes health of every cluster (health.md 7.1 and 9).

Beat runs it every `health_config.compute.refresh_interval`; `cache.add` keeps a single run
at a time, held for at most `compute.timeout`. It works with the console's service account,
so health never depends on who asks.
"""

from __future__ import annotations

import logging
import time

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from kiali_site.config import KialiConfig
from mesh.clusters.access import KubeconfigError
from mesh.clusters.registry import current_registry
from mesh.health.refresh import RefreshResult, refresh_cluster
from mesh.health.store import LOCK_KEY, forget_clusters_except
from mesh.inventory.store import read_snapshot
from mesh.kube.errors import KubeError
from mesh.prometheus.client import PrometheusClient

log = logging.getLogger(__name__)


def console_prometheus(config: KialiConfig) -> PrometheusClient:
    registry = current_registry()
    home = registry.access.get(registry.home)
    return PrometheusClient(
        config.external_services.prometheus,
        kiali_token=home.service_token if home else None,
        ca_bundle=settings.KIALI_CA_BUNDLE or None,
    )


def refresh_all_health() -> list[RefreshResult]:
    """Read each mesh cluster's snapshot once, compute and store its health."""
    config: KialiConfig = settings.KIALI
    registry = current_registry()
    prometheus = console_prometheus(config)
    results = []
    try:
        for info in registry.mesh_clusters:
            now = time.time()
            try:
                client = registry.access[info.name].service_client()
                snapshot = read_snapshot(client, info.name, config)
            except (KubeError, KubeconfigError) as exc:
                reason = getattr(exc, "message", str(exc))
                log.warning("health of %s not refreshed: %s", info.name, reason)
                results.append(RefreshResult(info.name, 0, "", reason))
                continue
            results.append(refresh_cluster(snapshot, prometheus, config, now))
        forget_clusters_except(c.name for c in registry.clusters)
    finally:
        prometheus.close()
    return results


@shared_task(name="mesh.health.tasks.refresh_health")
def refresh_health() -> None:
    config: KialiConfig = settings.KIALI
    if not config.kiali_internal.health_cache.enabled:
        return
    if not cache.add(LOCK_KEY, True, timeout=int(config.health_config.compute.timeout)):
        return
    try:
        for result in refresh_all_health():
            log.info(
                "health of %s: %s",
                result.cluster,
                result.error or f"{result.namespaces} namespaces",
            )
    finally:
        cache.delete(LOCK_KEY)


def queue_refresh() -> None:
    """Ask a worker for a run; without a broker tasks run inline, which a page must not wait for."""
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        return
    refresh_health.delay()
