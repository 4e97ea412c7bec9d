"""Real local Kubernetes API servers for the test suite (see mesh/sim/apiserver.py).

Two clusters, "east" and "west", start once per test session; under pytest-xdist each worker
starts its own pair on free ports, which costs memory (about 600 MB per API server) but
keeps workers independent. Nothing is skipped when the binary is missing: it is built,
because a suite that silently skips its cluster tests proves nothing.

The API server has no controllers, so namespaces cannot really be deleted (they stay
Terminating). Tests therefore isolate themselves with ``fresh_namespace`` instead of
cleaning up.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import kubernetes.client
import pytest

from mesh.sim.apiserver import LocalCluster, ensure_kube_apiserver, start_cluster

CLUSTER_NAMES = ("east", "west")
_CLUSTER_FIXTURES = {"local_clusters", "east_cluster", "west_cluster", "fresh_namespace"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests that use a cluster, so ``-m "not cluster"`` gives a quick run."""
    for item in items:
        if _CLUSTER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.cluster)


@pytest.fixture(scope="session")
def local_clusters(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, LocalCluster]]:
    ensure_kube_apiserver()
    base: Path = tmp_path_factory.mktemp("clusters")
    clusters: dict[str, LocalCluster] = {}
    try:
        # Started one after the other from this (main) thread: the servers are tied to the
        # starting thread's lifetime so that a killed test run cannot leave them behind.
        for name in CLUSTER_NAMES:
            clusters[name] = start_cluster(name, base / name)
        yield clusters
    finally:
        for cluster in clusters.values():
            cluster.stop()


@pytest.fixture(scope="session")
def east_cluster(local_clusters: dict[str, LocalCluster]) -> LocalCluster:
    return local_clusters["east"]


@pytest.fixture(scope="session")
def west_cluster(local_clusters: dict[str, LocalCluster]) -> LocalCluster:
    return local_clusters["west"]


@pytest.fixture
def fresh_namespace() -> Callable[..., str]:
    """Factory: ``fresh_namespace(cluster, prefix="t")`` creates a uniquely named namespace
    with the admin persona and returns its name."""

    def create(cluster: LocalCluster, prefix: str = "t") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:10]}"
        with cluster.api_client("admin") as client:
            kubernetes.client.CoreV1Api(client).create_namespace(
                {"metadata": {"name": name, "labels": {"kiali-console.test/fresh": "true"}}}
            )
        return name

    return create
