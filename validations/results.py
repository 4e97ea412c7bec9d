"""Validation results per cluster, kept in the cache by a Celery task and read by pages.

Results never depend on who asks: the task validates with the console's service account and
pages filter the records to the namespaces the request may see.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

from kiali_site.config import KialiConfig
from mesh.clusters.registry import Registry
from validations.engine import summarize
from validations.live import validate_cluster
from validations.model import Check, ObjectValidation

CACHE_KEY = "validations:cluster:{cluster}"
LOCK_KEY = "validations:refreshing:{cluster}"


@dataclass(frozen=True)
class CachedValidations:
    cluster: str
    computed_at: float
    records: list[ObjectValidation]

    @property
    def age_seconds(self) -> float:
        return max(0.0, time.time() - self.computed_at)


def record_from_dict(data: dict[str, Any]) -> ObjectValidation:
    return ObjectValidation(
        kind=data["kind"],
        namespace=data["namespace"],
        name=data["name"],
        cluster=data["cluster"],
        valid=data["valid"],
        checks=[Check(c["code"], c["severity"], c["message"], c["path"]) for c in data["checks"]],
        references=[(r["kind"], r["namespace"], r["name"]) for r in data["references"]],
    )


def store(cluster: str, computed_at: float, records: list[ObjectValidation]) -> CachedValidations:
    cache.set(
        CACHE_KEY.format(cluster=cluster),
        {"computed_at": computed_at, "records": [r.as_dict() for r in records]},
        timeout=None,
    )
    return CachedValidations(cluster, computed_at, records)


def cached(cluster: str) -> CachedValidations | None:
    data = cache.get(CACHE_KEY.format(cluster=cluster))
    if not data:
        return None
    records = [record_from_dict(r) for r in data["records"]]
    return CachedValidations(cluster, data["computed_at"], records)


def refresh(registry: Registry, config: KialiConfig, cluster: str) -> CachedValidations | None:
    """Validate one cluster now; None when another refresh of it is already running."""
    lock = LOCK_KEY.format(cluster=cluster)
    if not cache.add(lock, True, timeout=600):
        return None
    try:
        result = validate_cluster(registry.access[cluster].service_client(), cluster, config)
        return store(cluster, result.computed_at, result.records)
    finally:
        cache.delete(lock)


def results_for(registry: Registry, config: KialiConfig, cluster: str) -> CachedValidations:
    """From the cache; computed on demand (and stored) when the cache has nothing yet."""
    found = cached(cluster)
    if found is not None:
        return found
    fresh = refresh(registry, config, cluster)
    if fresh is not None:
        return fresh
    result = validate_cluster(registry.access[cluster].service_client(), cluster, config)
    return CachedValidations(cluster, result.computed_at, result.records)


@dataclass(frozen=True)
class ConfigCounts:
    """Istio objects of one namespace and how many carry errors and warnings."""

    objects: int = 0
    errors: int = 0
    warnings: int = 0

    @property
    def status(self) -> str:
        return "error" if self.errors else "warning" if self.warnings else "valid"


def config_counts(
    clusters: list[str],
) -> tuple[dict[tuple[str, str], ConfigCounts], list[str]]:
    """Per (cluster, namespace), from the cache only; clusters without results yet are
    returned too, and their validation is queued rather than run while a page waits."""
    counts: dict[tuple[str, str], ConfigCounts] = {}
    pending = []
    for cluster in clusters:
        found = cached(cluster)
        if found is None:
            pending.append(cluster)
            continue
        for key, summary in summarize(found.records).items():
            counts[key] = ConfigCounts(summary.objects, summary.errors, summary.warnings)
    if pending:
        from validations.tasks import validate_clusters

        validate_clusters.delay()
    return counts, pending
