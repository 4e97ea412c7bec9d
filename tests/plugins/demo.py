"""The demo mesh (mesh/sim/demo) loaded into the session's east and west clusters.

The demo's namespaces have fixed names and namespaces can't be deleted on these API servers,
so the demo is loaded once per session and tests only read it; a test that needs to change
things works in a ``fresh_namespace`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from mesh.sim.apiserver import LocalCluster
from mesh.sim.loader import ApplyReport, apply_manifests, demo_paths


@dataclass(frozen=True)
class LoadedDemo:
    """The clusters holding the demo, and what loading it wrote (for counts and timings)."""

    clusters: dict[str, LocalCluster]
    reports: dict[str, ApplyReport]

    @property
    def east(self) -> LocalCluster:
        return self.clusters["east"]

    @property
    def west(self) -> LocalCluster:
        return self.clusters["west"]


@pytest.fixture(scope="session")
def demo_mesh(local_clusters: dict[str, LocalCluster]) -> LoadedDemo:
    reports = {}
    for name, cluster in local_clusters.items():
        with cluster.api_client("admin") as client:
            reports[name] = apply_manifests(client, demo_paths(name), cluster_name=name)
    return LoadedDemo(clusters=dict(local_clusters), reports=reports)
