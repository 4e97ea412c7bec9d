"""Inventory pages and health at scale: 2 clusters x 250 namespaces x 20 workloads.

Snapshots and health are built synthetically (no API server, no Prometheus) and put in the
cache, then the Overview and Workloads pages are rendered through Django's test client with
the access layer answering from the same synthetic namespaces. Prints figures; asserts only
that the pages answered, never on time.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from dataclasses import dataclass, field

import pytest
from django.core.cache import cache

from kiali_site.config import AuthConfig, KialiConfig
from mesh.health.refresh import compute_cluster_health
from mesh.health.store import put_entries
from mesh.inventory.build import build_snapshot
from mesh.inventory.store import store_snapshot
from mesh.kube.namespaces import Namespace
from tests.inventory_factory import synthetic_cluster

CLUSTERS = ("east", "west")
NAMESPACES = 250
WORKLOADS = 20
RUNS = 5

pytestmark = [pytest.mark.django_db]


@dataclass
class FakeAccess:
    def service_client(self) -> None:
        return None


@dataclass
class FakeRegistry:
    home: str = "east"
    access: dict[str, FakeAccess] = field(
        default_factory=lambda: {c: FakeAccess() for c in CLUSTERS}
    )
    is_multi_cluster: bool = True


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def test_inventory_pages_and_health_at_scale(client, settings, monkeypatch):
    config = KialiConfig(auth=AuthConfig(strategy="anonymous"))
    settings.KIALI = config
    # LocMem's default of 300 entries would cull 500 namespace documents; Redis has no cap.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }
    cache.clear()
    snapshots = {
        c: build_snapshot(c, synthetic_cluster(NAMESPACES, WORKLOADS), config) for c in CLUSTERS
    }
    workloads = sum(s.workload_count for s in snapshots.values())

    started = time.perf_counter()
    for cluster, snapshot in snapshots.items():
        entries = compute_cluster_health(
            snapshot,
            {},
            config,
            namespaces=list(snapshot.namespaces),
            now=time.time(),
            duration="5m",
        )
        put_entries(cluster, entries, replace=True)
        store_snapshot(snapshot)
    health_seconds = time.perf_counter() - started

    visible = {c: [Namespace(c, n) for n in sorted(s.namespaces)] for c, s in snapshots.items()}
    monkeypatch.setattr("kiali_site.scope.visible_namespaces", lambda request: (visible, {}))
    monkeypatch.setattr("kiali_site.context.MeshContext.registry", FakeRegistry())

    figures = {}
    for name, url in (("overview", "/overview/"), ("workloads list", "/workloads/")):
        timings = []
        for _ in range(RUNS):
            t0 = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - t0)
            assert response.status_code == 200
        tracemalloc.start()  # one separate run: tracing slows everything down several times
        client.get(url)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        figures[name] = (*_percentiles(timings), peak)

    print()
    print(
        f"synthetic mesh: {len(CLUSTERS)} clusters x {NAMESPACES} namespaces x {WORKLOADS} workloads = {workloads}"
    )
    print(
        f"health computation: {health_seconds * 1000 / workloads * 1000:.1f} ms per 1,000 workloads"
    )
    for name, (p50, p95, peak) in figures.items():
        print(
            f"{name}: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, peak traced memory {peak / 2**20:.1f} MiB"
        )
