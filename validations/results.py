"""Validation results per cluster, kept in the cache by a Celery task and read by pages.

Results never depend on who asks: the task validates with the console's service account and
pages filter the records to the namespaces the request may see.

A validation that fails leaves a note in the cache, so pages say why there is no result
instead of waiting for one; the note expires, and the next page view queues another try.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache

from kiali_site.config import KialiConfig
from mesh.clusters.access import KubeconfigError
from mesh.clusters.registry import Registry
from mesh.kube.errors import KubeError
from validations.engine import summarize
from validations.live import plain_reason, validate_cluster
from validations.model import Check, ObjectValidation

log = logging.getLogger(__name__)

CACHE_KEY = "validations:cluster:{cluster}"
LOCK_KEY = "validations:refreshing:{cluster}"
FAILED_KEY = "validations:failed:{cluster}"
QUEUED_KEY = "validations:queued:{cluster}"
# How long a failure is shown before validation is tried again.
RETRY_AFTER_SECONDS = 60
# A queued validation with no result or failure after this long was lost (no worker running,
# or it died): pages stop saying "validating" and say so. Longer than the refresh lock.
STALLED_AFTER_SECONDS = 900


@dataclass(frozen=True)
class CachedValidations:
    cluster: str
    computed_at: float
    records: list[ObjectValidation]
    # What the validation could not read, one plain sentence per kind (see
    # ClusterValidation.problems); the records were computed without it.
    problems: list[str] = field(default_factory=list)

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


def store(
    cluster: str,
    computed_at: float,
    records: list[ObjectValidation],
    problems: list[str] | None = None,
) -> CachedValidations:
    cache.set(
        CACHE_KEY.format(cluster=cluster),
        {
            "computed_at": computed_at,
            "records": [r.as_dict() for r in records],
            "problems": list(problems or []),
        },
        timeout=None,
    )
    cache.delete_many([FAILED_KEY.format(cluster=cluster), QUEUED_KEY.format(cluster=cluster)])
    return CachedValidations(cluster, computed_at, records, list(problems or []))


def cached(cluster: str) -> CachedValidations | None:
    data = cache.get(CACHE_KEY.format(cluster=cluster))
    if not data:
        return None
    records = [record_from_dict(r) for r in data["records"]]
    return CachedValidations(cluster, data["computed_at"], records, data.get("problems", []))


def last_failure(cluster: str) -> str | None:
    """Why the last validation of a cluster failed, while that is recent news."""
    found = cache.get(FAILED_KEY.format(cluster=cluster))
    return str(found) if found else None


def _why_it_failed(exc: Exception) -> str:
    if isinstance(exc, KubeError):
        return plain_reason(exc)
    if isinstance(exc, KubeconfigError):
        return str(exc)
    return "an unexpected error; the console's log has the details"


def refresh(registry: Registry, config: KialiConfig, cluster: str) -> CachedValidations | None:
    """Validate one cluster now; None when another refresh of it is already running.

    A failure is noted for pages (see `last_failure`) and raised to the caller."""
    lock = LOCK_KEY.format(cluster=cluster)
    if not cache.add(lock, True, timeout=600):
        return None
    try:
        result = validate_cluster(registry.access[cluster].service_client(), cluster, config)
        return store(cluster, result.computed_at, result.records, result.problems)
    except Exception as exc:
        if not isinstance(exc, KubeError | KubeconfigError):
            log.exception("validation of cluster %s failed", cluster)
        cache.set(FAILED_KEY.format(cluster=cluster), _why_it_failed(exc), RETRY_AFTER_SECONDS)
        raise
    finally:
        cache.delete(lock)
        cache.delete(QUEUED_KEY.format(cluster=cluster))


def results_for(registry: Registry, config: KialiConfig, cluster: str) -> CachedValidations:
    """From the cache; computed on demand (and stored) when the cache has nothing yet."""
    found = cached(cluster)
    if found is not None:
        return found
    fresh = refresh(registry, config, cluster)
    if fresh is not None:
        return fresh
    result = validate_cluster(registry.access[cluster].service_client(), cluster, config)
    return CachedValidations(cluster, result.computed_at, result.records, result.problems)


@dataclass(frozen=True)
class ConfigCounts:
    """Istio objects of one namespace and how many carry errors and warnings."""

    objects: int = 0
    errors: int = 0
    warnings: int = 0

    @property
    def status(self) -> str:
        return "error" if self.errors else "warning" if self.warnings else "valid"


@dataclass(frozen=True)
class ConfigOverview:
    """What pages show of the cached validations of some clusters."""

    counts: dict[tuple[str, str], ConfigCounts]  # per (cluster, namespace)
    pending: list[str]  # validation queued, no result yet
    failed: dict[str, str]  # cluster -> why there is no result ("permission denied")
    problems: dict[str, list[str]]  # cluster -> what its result was computed without


def config_counts(clusters: list[str]) -> ConfigOverview:
    """From the cache only; clusters without results are queued for validation rather than
    validated while a page waits, and a failed or lost validation is reported, not awaited."""
    counts: dict[tuple[str, str], ConfigCounts] = {}
    pending: list[str] = []
    failed: dict[str, str] = {}
    problems: dict[str, list[str]] = {}
    queue = False
    now = time.time()
    for cluster in clusters:
        found = cached(cluster)
        if found is not None:
            for key, summary in summarize(found.records).items():
                counts[key] = ConfigCounts(summary.objects, summary.errors, summary.warnings)
            if found.problems:
                problems[cluster] = found.problems
            continue
        failure = last_failure(cluster)
        if failure is not None:
            failed[cluster] = failure
            continue
        queue = True
        queued_key = QUEUED_KEY.format(cluster=cluster)
        cache.add(queued_key, now, timeout=None)
        queued_at = float(cache.get(queued_key, now))
        if now - queued_at > STALLED_AFTER_SECONDS:
            failed[cluster] = (
                f"it was queued {int((now - queued_at) // 60)} minutes ago and has not "
                "finished; is the console's Celery worker running?"
            )
        else:
            pending.append(cluster)
    if queue:
        from validations.tasks import validate_clusters

        validate_clusters.delay()
    return ConfigOverview(counts, pending, failed, problems)


def service_statuses(clusters: list[str]) -> dict[tuple[str, str, str], str]:
    """(cluster, namespace, name) -> error, warning or valid for each validated Service,
    from the cache only (a cluster not validated yet has no entry; config_counts queues it)."""
    from validations.engine import severity_of

    statuses: dict[tuple[str, str, str], str] = {}
    for cluster in clusters:
        found = cached(cluster)
        for record in found.records if found is not None else []:
            if record.kind == "Service":
                statuses[(cluster, record.namespace, record.name)] = severity_of(record)
    return statuses
