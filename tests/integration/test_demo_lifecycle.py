"""`make demo` as operators run it: its Prometheus holds the console's own metrics, and
SIGTERM ends every process it started within 10 s."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
import requests

from mesh.sim.prometheus_server import free_port
from tests.plugins.demo import descendants, start_demo

pytestmark = [pytest.mark.xdist_group("demo")]

START_SECONDS = 300.0  # two API servers, the demo manifests, Prometheus' first scrape
STOP_SECONDS = 10.0


def alive(pids: set[int]) -> set[int]:
    running = set()
    for pid in pids:
        try:
            state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            running.add(pid)
    return running


def test_sigterm_stops_everything_the_demo_started(tmp_path):
    port = free_port()
    log = (tmp_path / "demo.log").open("wb")
    demo = start_demo(port, tmp_path / "demo", log)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).ok:
                    break
            except requests.RequestException:
                pass
            if demo.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"the demo did not start: {(tmp_path / 'demo.log').read_text()[-3000:]}"
                )
            time.sleep(1)
        # The demo's Prometheus scrapes the console's own metrics beside the mesh's.
        assert requests.get(f"http://127.0.0.1:{port}/overview/", timeout=60).ok
        log_text = (tmp_path / "demo.log").read_text()
        prometheus = log_text.split("Prometheus: ", 1)[1].split()[0]
        wanted = [  # its requests, and its own queries to this same Prometheus
            'sum(kiali_console_http_request_duration_seconds_count{view="overview"})',
            "sum(kiali_console_prometheus_query_duration_seconds_count)",
        ]
        wait_until = time.monotonic() + 60
        while wanted:
            result = requests.get(
                f"{prometheus}/api/v1/query", params={"query": wanted[0]}, timeout=10
            ).json()["data"]["result"]
            if result and float(result[0]["value"][1]) >= 1:
                wanted.pop(0)
                continue
            assert time.monotonic() < wait_until, f"never reached Prometheus: {wanted[0]}"
            time.sleep(2)
        # The mesh starts with three hours of telemetry, backfilled: a 3-hour chart is full
        # right away, from its first point.
        then = time.time() - 2.75 * 3600
        old = requests.get(
            f"{prometheus}/api/v1/query",
            params={
                "query": 'sum(rate(istio_requests_total{reporter="destination"}[5m]))',
                "time": then,
            },
            timeout=30,
        ).json()["data"]["result"]
        assert old and float(old[0]["value"][1]) > 0, "no telemetry from 3 hours ago"
        chart = requests.get(
            f"http://127.0.0.1:{port}/api/namespaces/ecommerce/workloads/order-management-v2/metrics",
            params={
                "duration": 10800,
                "filters[]": "request_count",
                "direction": "inbound",
                "reporter": "destination",
            },
            timeout=60,
        ).json()["request_count"][0]["datapoints"]
        assert chart[0][0] <= time.time() - 2.9 * 3600 and float(chart[0][1]) > 0
        assert all(float(value) > 0 for _, value in chart[:-1])
        started = descendants(demo.pid)
        assert len(started) >= 6  # etcd and kube-apiserver twice, Prometheus, gunicorn...
        stopping = time.monotonic()
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=STOP_SECONDS + 20)
        took = time.monotonic() - stopping
        left = alive(started)
        assert not left, f"still running after the demo stopped: {sorted(left)}"
        assert took <= STOP_SECONDS, f"the demo took {took:.1f} s to stop"
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
        log.close()
