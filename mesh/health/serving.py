"""Health for pages: the cache first; namespaces missing from it computed on demand.

On a miss, the cluster's two queries are run once and every missing namespace of that
cluster is computed from them and written back, so a cold page costs a fixed number of
queries however many namespaces it shows. With the health cache disabled nothing is read
or written back, as in Kiali.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from kiali_site.config import KialiConfig
from mesh.health.interval import format_interval
from mesh.health.metrics import cluster_samples
from mesh.health.model import (
    AppHealth,
    NamespaceHealthEntry,
    ServiceHealth,
    StatusBuckets,
    WorkloadHealth,
)
from mesh.health.refresh import compute_cluster_health
from mesh.health.status import buckets, roll_up
from mesh.health.store import get_entries, put_entries
from mesh.inventory.model import ClusterSnapshot
from mesh.outages import clock
from mesh.prometheus.client import PrometheusClient, PrometheusError


@dataclass(frozen=True)
class NamespaceRollUp:
    apps: StatusBuckets
    services: StatusBuckets
    workloads: StatusBuckets

    @property
    def worst(self) -> str:
        return roll_up([self.apps, self.services, self.workloads])


def spoken_age(seconds: float) -> str:
    """An age as a person says it: "45 s", "8 min", "3 h 5 min"."""
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


@dataclass(frozen=True)
class Staleness:
    computed_at: float
    age: float
    refresh_interval: float

    @property
    def message(self) -> str:
        return (
            f"Health shown is stale: computed {spoken_age(self.age)} ago, at "
            f"{clock(self.computed_at)}; it is refreshed every "
            f"{spoken_age(self.refresh_interval)}."
        )


@dataclass
class HealthLookup:
    """Health of the namespaces a page shows, and how fresh and complete it is."""

    entries: dict[tuple[str, str], NamespaceHealthEntry] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # cluster -> reason
    computed_on_demand: list[tuple[str, str]] = field(default_factory=list)

    def entry(self, cluster: str, namespace: str) -> NamespaceHealthEntry | None:
        return self.entries.get((cluster, namespace))

    def app(self, cluster: str, namespace: str, name: str) -> AppHealth | None:
        e = self.entry(cluster, namespace)
        return e.app_health.get(name) if e else None

    def workload(self, cluster: str, namespace: str, name: str) -> WorkloadHealth | None:
        e = self.entry(cluster, namespace)
        return e.workload_health.get(name) if e else None

    def service(self, cluster: str, namespace: str, name: str) -> ServiceHealth | None:
        e = self.entry(cluster, namespace)
        return e.service_health.get(name) if e else None

    def namespace(self, cluster: str, namespace: str) -> NamespaceRollUp | None:
        e = self.entry(cluster, namespace)
        if e is None:
            return None
        return NamespaceRollUp(
            apps=buckets({k: v.status for k, v in e.app_health.items()}),
            services=buckets({k: v.status for k, v in e.service_health.items()}),
            workloads=buckets({k: v.status for k, v in e.workload_health.items()}),
        )

    @property
    def oldest(self) -> float | None:
        return min((e.computed_at for e in self.entries.values()), default=None)

    def staleness(self, refresh_interval: float, now: float) -> Staleness | None:
        """The oldest health shown, when it is older than twice the refresh interval: the
        refresh has missed at least one round (a worker stopped, Prometheus down)."""
        oldest = self.oldest
        if oldest is None or now - oldest <= 2 * refresh_interval:
            return None
        return Staleness(computed_at=oldest, age=now - oldest, refresh_interval=refresh_interval)

    @property
    def durations(self) -> list[str]:
        return sorted({e.duration for e in self.entries.values()})


def cached_health(wanted: Mapping[str, Sequence[str]]) -> HealthLookup:
    """Only what the cache holds (the API's rule: never compute namespace health on read)."""
    lookup = HealthLookup()
    for cluster, namespaces in wanted.items():
        for ns, entry in get_entries(cluster, namespaces).items():
            lookup.entries[(cluster, ns)] = entry
    return lookup


def health_for_pages(
    snapshots: Mapping[str, ClusterSnapshot],
    wanted: Mapping[str, Sequence[str]],
    prometheus: Callable[[], PrometheusClient],
    config: KialiConfig,
    now: float,
) -> HealthLookup:
    """`wanted`: cluster -> namespace names the page shows (already access-checked)."""
    use_cache = config.kiali_internal.health_cache.enabled
    lookup = cached_health(wanted) if use_cache else HealthLookup()
    missing = {
        cluster: [
            ns
            for ns in namespaces
            if (cluster, ns) not in lookup.entries and ns in snapshots[cluster].namespaces
        ]
        for cluster, namespaces in wanted.items()
        if cluster in snapshots
    }
    missing = {c: names for c, names in missing.items() if names}
    if not missing:
        return lookup
    duration = format_interval(config.health_config.compute.duration)
    client = prometheus()
    try:
        for cluster, names in missing.items():
            try:
                samples = cluster_samples(client, cluster, duration)
            except PrometheusError as exc:
                lookup.errors[cluster] = f"metrics unavailable: {exc}"
                continue
            entries = compute_cluster_health(
                snapshots[cluster], samples, config, namespaces=names, now=now, duration=duration
            )
            if use_cache:
                put_entries(cluster, entries, replace=False)
            for e in entries:
                lookup.entries[(cluster, e.namespace)] = e
                lookup.computed_on_demand.append((cluster, e.namespace))
    finally:
        client.close()
    return lookup
