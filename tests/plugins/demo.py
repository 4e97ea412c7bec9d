"""The demo mesh (mesh/sim/demo) loaded into the session's east and west clusters.

The demo's namespaces have fixed names and namespaces can't be deleted on these API servers,
so the demo is loaded once per session and tests only read it; a test that needs to change
things works in a ``fresh_namespace`` instead.

`start_demo` runs the whole of `make demo` as a process of its own instead (the demo's
lifecycle test and the load benchmark), and `descendants` finds the processes it started.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

from mesh.sim.apiserver import LocalCluster
from mesh.sim.demo import ROOT
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


def start_demo(port: int, workdir: Path, log: IO[bytes]) -> subprocess.Popen[bytes]:
    """`make demo` on `port` as operators run it (gunicorn, DEBUG off), its output into `log`,
    in a session of its own so that whatever it leaves behind can be killed as a group."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO"))}
    env.pop("DEBUG", None)
    return subprocess.Popen(
        [sys.executable, "-m", "mesh.sim.demo", "--port", str(port), "--workdir", str(workdir)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def descendants(pid: int) -> set[int]:
    """Every process below `pid`, however deep, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: set[int] = set()
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def serve_demo_with_health(east_cluster, west_cluster, prometheus_server, console_on) -> None:
    """The console on the demo as `make demo` configures it: both clusters, Prometheus
    holding the failing service's errors, and every namespace's health computed."""
    from django.core.cache import cache

    from mesh.health.tasks import refresh_all_health
    from mesh.sim.demo import DEMO_HEALTH_CONFIG, publish_remote_cluster
    from tests.plugins.prometheus import ORDER_ERRORS, wait_for_samples

    cache.clear()
    wait_for_samples(prometheus_server.url, ORDER_ERRORS)
    publish_remote_cluster(east_cluster, west_cluster)
    console_on(
        east_cluster,
        config={
            "external_services": {"prometheus": {"url": prometheus_server.url}},
            "health_config": DEMO_HEALTH_CONFIG,
        },
    )
    assert {r.cluster: r.error for r in refresh_all_health()} == {"east": "", "west": ""}
