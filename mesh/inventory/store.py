"""Cluster snapshots in the Django cache: one entry per cluster, refreshed by Celery.

Pages read `snapshot_for`, which builds and stores a snapshot on a miss so a cold console
still answers; the refresh task keeps entries warm so that rarely happens.
"""

from __future__ import annotations

import logging

from kubernetes.client import ApiClient

from kiali_site.config import KialiConfig
from mesh import decoded_cache
from mesh.inventory.build import build_snapshot
from mesh.inventory.fetch import fetch_cluster
from mesh.inventory.model import ClusterSnapshot
from mesh.own_metrics import cache_lookup

log = logging.getLogger(__name__)

SNAPSHOT_KEY = "inventory:snapshot:{cluster}"
# Long enough to survive a few missed refreshes, short enough that a stopped worker shows.
SNAPSHOT_TIMEOUT = 3600


def snapshot_key(cluster: str) -> str:
    return SNAPSHOT_KEY.format(cluster=cluster)


def cached_snapshot(cluster: str) -> ClusterSnapshot | None:
    snapshot: ClusterSnapshot | None = decoded_cache.get(snapshot_key(cluster))
    return snapshot


def store_snapshot(snapshot: ClusterSnapshot) -> None:
    decoded_cache.put(snapshot_key(snapshot.cluster), snapshot, timeout=SNAPSHOT_TIMEOUT)


def read_snapshot(client: ApiClient, cluster: str, config: KialiConfig) -> ClusterSnapshot:
    """Read the cluster now (service-account client) and store the result."""
    snapshot = build_snapshot(cluster, fetch_cluster(client, cluster, config), config)
    store_snapshot(snapshot)
    return snapshot


def snapshot_for(client: ApiClient, cluster: str, config: KialiConfig) -> ClusterSnapshot:
    """The cached snapshot, or a fresh one on a miss; raises KubeError if the read fails."""
    snapshot = cached_snapshot(cluster)
    cache_lookup("cluster-snapshot", snapshot is not None)
    return snapshot or read_snapshot(client, cluster, config)
