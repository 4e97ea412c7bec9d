"""One background health run for one cluster (health.md 7.1), free of Celery and requests.

Two Prometheus queries per cluster whatever its size; a failed query keeps every previous
entry of the cluster (and says why), since partial health would look like good health.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kiali_site.auth.visibility import discovery_filter
from kiali_site.config import KialiConfig
from mesh.health.compute import namespace_health
from mesh.health.interval import refresh_interval
from mesh.health.metrics import cluster_samples
from mesh.health.model import NamespaceHealthEntry
from mesh.health.rates import NamespaceSamples
from mesh.health.store import last_run, put_entries, set_last_run
from mesh.health.tolerance import compile_rules
from mesh.inventory.model import ClusterSnapshot
from mesh.kube.namespaces import Namespace
from mesh.prometheus.client import PrometheusClient, PrometheusError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RefreshResult:
    cluster: str
    namespaces: int
    duration: str
    error: str = ""


def health_namespaces(config: KialiConfig, snapshot: ClusterSnapshot) -> list[str]:
    """The namespaces the console itself may show (discovery selectors applied)."""
    namespaces = [
        Namespace(snapshot.cluster, inv.namespace.name, inv.namespace.labels)
        for inv in snapshot.namespaces.values()
    ]
    control_planes = {n for n, inv in snapshot.namespaces.items() if inv.namespace.is_control_plane}
    return [
        ns.name for ns in discovery_filter(config, snapshot.cluster, namespaces, control_planes)
    ]


def compute_cluster_health(
    snapshot: ClusterSnapshot,
    samples: dict[str, NamespaceSamples],
    config: KialiConfig,
    *,
    namespaces: list[str],
    now: float,
    duration: str,
) -> list[NamespaceHealthEntry]:
    rules = compile_rules(config.health_config)
    empty = NamespaceSamples()
    return [
        namespace_health(
            snapshot.namespaces[name],
            samples.get(name, empty),
            rules,
            computed_at=now,
            duration=duration,
        )
        for name in namespaces
    ]


def refresh_cluster(
    snapshot: ClusterSnapshot, prometheus: PrometheusClient, config: KialiConfig, now: float
) -> RefreshResult:
    cluster = snapshot.cluster
    duration = refresh_interval(config.health_config.compute.duration, last_run(cluster), now)
    try:
        samples = cluster_samples(prometheus, cluster, duration)
    except PrometheusError as exc:
        log.warning("health of %s not refreshed: metrics unavailable: %s", cluster, exc)
        return RefreshResult(cluster, 0, duration, f"metrics unavailable: {exc}")
    names = health_namespaces(config, snapshot)
    entries = compute_cluster_health(
        snapshot, samples, config, namespaces=names, now=now, duration=duration
    )
    put_entries(cluster, entries, replace=True)
    set_last_run(cluster, now)
    return RefreshResult(cluster, len(entries), duration)
