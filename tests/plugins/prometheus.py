"""Real telemetry and a real Prometheus for tests.

`telemetry_exporter` serves the demo topology (mesh/sim/demo/topology.yaml) on a free
loopback port, started five minutes "in the past" so counters already have values;
`prometheus_server` is Debian's Prometheus scraping it every second, yielded only once
`istio_requests_total` has samples (bounded wait). `prometheus_factory` starts further
instances, e.g. behind a web config with TLS or basic auth. Each xdist worker gets its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import requests

from mesh.sim.prometheus_server import RunningPrometheus, start_prometheus
from mesh.sim.telemetry import TelemetryExporter, load_topology

DEMO_TOPOLOGY = Path(__file__).resolve().parents[2] / "mesh" / "sim" / "demo" / "topology.yaml"
SCRAPE_INTERVAL = "1s"
DATA_WAIT_SECONDS = 60

StartPrometheus = Callable[..., RunningPrometheus]


# The demo's failing service is answering with its 503s (its health is then Failure).
ORDER_ERRORS = (
    'rate(istio_requests_total{destination_workload="order-management-v2",response_code="503"}[1m])'
    " > 0.05"
)
DEAD_PROMETHEUS = "http://127.0.0.1:9"  # discard port: nothing listens


def wait_for_samples(url: str, query: str, timeout: float = DATA_WAIT_SECONDS) -> None:
    """Poll an unauthenticated Prometheus until `query` returns something, or fail the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            answer = requests.get(f"{url}/api/v1/query", params={"query": query}, timeout=5)
            if answer.ok and answer.json()["data"]["result"]:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    pytest.fail(f"Prometheus at {url} had no samples for {query} after {timeout}s")


@pytest.fixture(scope="session")
def telemetry_exporter() -> Iterator[TelemetryExporter]:
    exporter = TelemetryExporter(load_topology(DEMO_TOPOLOGY), started_at=time.time() - 300)
    exporter.start()
    yield exporter
    exporter.stop()


@pytest.fixture(scope="session")
def prometheus_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartPrometheus]:
    """start(targets=(), web_config=None, scrape_interval="1s") -> RunningPrometheus."""
    started: list[RunningPrometheus] = []

    def start(
        targets: Sequence[str] = (),
        *,
        web_config: dict[str, Any] | None = None,
        scrape_interval: str = SCRAPE_INTERVAL,
        retention: str = "1d",
    ) -> RunningPrometheus:
        workdir = tmp_path_factory.mktemp("prometheus")
        running = start_prometheus(
            workdir,
            list(targets),
            scrape_interval=scrape_interval,
            web_config=web_config,
            retention=retention,
        )
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


@pytest.fixture(scope="session")
def prometheus_server(
    telemetry_exporter: TelemetryExporter, prometheus_factory: StartPrometheus
) -> RunningPrometheus:
    running = prometheus_factory([f"{telemetry_exporter.url}/metrics"])
    wait_for_samples(running.url, "istio_requests_total")
    return running


@pytest.fixture
def freezable_prometheus(
    telemetry_exporter: TelemetryExporter, prometheus_factory: StartPrometheus
) -> RunningPrometheus:
    """A Prometheus of the test's own on the demo telemetry, so that freezing it
    (mesh.sim.faults) stops no other test's."""
    running = prometheus_factory([f"{telemetry_exporter.url}/metrics"])
    wait_for_samples(running.url, "istio_requests_total")
    return running
