"""Health documents in the Django cache: `health:<cluster>:<namespace>` (health.md 7.1).

An index per cluster lists the namespaces stored, so entries of namespaces that disappeared
can be removed without scanning the cache.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.cache import cache

from mesh import decoded_cache
from mesh.health.model import NamespaceHealthEntry

ENTRY_KEY = "health:{cluster}:{namespace}"
INDEX_KEY = "health-index:{cluster}"
LAST_RUN_KEY = "health-last-run:{cluster}"
CLUSTERS_KEY = "health-clusters"
LOCK_KEY = "health:refreshing"
# No expiry: an old entry with its age shown beats no health at all (the page says how old).
TIMEOUT = None


def entry_key(cluster: str, namespace: str) -> str:
    return ENTRY_KEY.format(cluster=cluster, namespace=namespace)


def get_entries(cluster: str, namespaces: Iterable[str]) -> dict[str, NamespaceHealthEntry]:
    """The cached entries found, by namespace name (one round trip)."""
    keys = {entry_key(cluster, ns): ns for ns in namespaces}
    found = decoded_cache.get_many(keys)
    return {keys[k]: v for k, v in found.items()}


def put_entries(cluster: str, entries: Iterable[NamespaceHealthEntry], *, replace: bool) -> None:
    """Store entries; with `replace`, the cluster's index becomes exactly these namespaces and
    entries of namespaces no longer present are deleted."""
    entries = list(entries)
    decoded_cache.put_many({entry_key(cluster, e.namespace): e for e in entries}, timeout=TIMEOUT)
    index_key = INDEX_KEY.format(cluster=cluster)
    old: set[str] = set(cache.get(index_key) or ())
    names = {e.namespace for e in entries}
    if replace:
        gone = old - names
        if gone:
            decoded_cache.delete_many([entry_key(cluster, ns) for ns in gone])
        cache.set(index_key, sorted(names), timeout=TIMEOUT)
    else:
        cache.set(index_key, sorted(old | names), timeout=TIMEOUT)


def forget_clusters_except(known: Iterable[str]) -> None:
    """Drop every entry of clusters that are no longer known."""
    known = set(known)
    stored: set[str] = set(cache.get(CLUSTERS_KEY) or ())
    for cluster in stored - known:
        names = cache.get(INDEX_KEY.format(cluster=cluster)) or []
        decoded_cache.delete_many([entry_key(cluster, ns) for ns in names])
        cache.delete_many([INDEX_KEY.format(cluster=cluster), LAST_RUN_KEY.format(cluster=cluster)])
    cache.set(CLUSTERS_KEY, sorted(known), timeout=TIMEOUT)


def last_run(cluster: str) -> float | None:
    value: float | None = cache.get(LAST_RUN_KEY.format(cluster=cluster))
    return value


def set_last_run(cluster: str, when: float) -> None:
    cache.set(LAST_RUN_KEY.format(cluster=cluster), when, timeout=TIMEOUT)
