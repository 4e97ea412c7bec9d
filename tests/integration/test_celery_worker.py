"""A real Celery worker, with the local Redis as broker and cache, runs the background jobs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml
from django.core.cache.backends.redis import RedisCache

from kiali_site.celery import app
from mesh.sim.demo import DEMO_HEALTH_CONFIG
from mesh.tasks import CLUSTER_SUMMARY_KEY
from tests.plugins.prometheus import wait_for_samples

ROOT = Path(__file__).resolve().parents[2]
REDIS = "redis://127.0.0.1:6379"
BROKER, CACHE = f"{REDIS}/13", f"{REDIS}/14"
DEAD_PROMETHEUS = "http://127.0.0.1:9"

pytestmark = [
    pytest.mark.celery,
    pytest.mark.xdist_group("celery"),
    # The test process itself runs eagerly; these tests publish to a real worker on purpose.
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
]


@pytest.fixture
def worker(east_cluster, tmp_path) -> Iterator[Callable[[dict[str, Any]], None]]:
    """Factory: worker(config) starts a worker on east (console persona) with that Kiali
    config, on two throwaway Redis databases emptied before and after."""
    for url in (BROKER, CACHE):
        redis.Redis.from_url(url).flushdb()
    started: list[subprocess.Popen[bytes]] = []

    def start(config: dict[str, Any]) -> None:
        config_file = tmp_path / "kiali.yaml"
        config_file.write_text(yaml.safe_dump(config))
        env = {
            **os.environ,
            "CELERY_BROKER_URL": BROKER,
            "REDIS_URL": CACHE,
            "KUBECONFIG": str(east_cluster.write_kubeconfig(tmp_path / "kubeconfig", "kiali")),
            "KIALI_CONFIG": str(config_file),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        }
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=120,
        )
        log = (tmp_path / "worker.log").open("wb")
        started.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "kiali_site",
                    "worker",
                    "--pool=solo",
                    "--concurrency=1",
                    "--without-heartbeat",
                    "--without-gossip",
                    "--without-mingle",
                    "-l",
                    "warning",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    for url in (BROKER, CACHE):
        redis.Redis.from_url(url).flushdb()


def send(task: str) -> None:
    """Publish on the worker's broker through a connection of its own: the app's cached pool
    belongs to the test process's (in-memory) broker and must not be redirected."""
    with app.connection_for_write(BROKER) as connection:
        producer = app.amqp.Producer(connection, auto_declare=True)
        app.send_task(task, producer=producer)


def wait_for(key: str, log: Path, seconds: float = 120) -> Any:
    """The cached value, or a failure that shows the end of the worker's log."""
    cache = RedisCache(CACHE, {})
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = cache.get(key)
        if value is not None:
            return value
        time.sleep(0.5)
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"
    pytest.fail(f"the worker stored nothing under {key} within {seconds} s; its log:\n{tail}")


def test_a_real_worker_refreshes_the_registry_into_the_cache(worker, tmp_path):
    worker(
        {
            "auth": {"strategy": "anonymous"},
            "kubernetes_config": {"cluster_name": "east"},
            "external_services": {"prometheus": {"url": DEAD_PROMETHEUS}},
        }
    )
    send("mesh.tasks.refresh_clusters")
    summary = wait_for(CLUSTER_SUMMARY_KEY, tmp_path / "worker.log")
    assert summary["home"] == "east"
    east = summary["clusters"][0]
    assert (east["name"], east["reachable"], east["version"]) == ("east", True, "v1.20.2")
    assert summary["computed_at"] > time.time() - 120


@pytest.mark.django_db
def test_health_from_a_real_worker_is_served_without_asking_prometheus(
    worker, tmp_path, demo_mesh, east_cluster, prometheus_server, console_on, client, settings
):
    wait_for_samples(
        prometheus_server.url,
        'sum(rate(istio_requests_total{destination_workload="order-management-v2",'
        'response_code="503"}[1m])) > 0',
    )
    worker(
        {
            "auth": {"strategy": "anonymous"},
            "kubernetes_config": {"cluster_name": "east"},
            "external_services": {"prometheus": {"url": prometheus_server.url}},
            "health_config": DEMO_HEALTH_CONFIG,
        }
    )
    send("mesh.health.tasks.refresh_health")
    wait_for("health:east:ecommerce", tmp_path / "worker.log")

    # The console reads the worker's cache; its own Prometheus is down.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE}
    }
    console_on(
        east_cluster,
        config={
            "kubernetes_config": {"cluster_name": "east"},
            "external_services": {"prometheus": {"url": DEAD_PROMETHEUS}},
            "health_config": DEMO_HEALTH_CONFIG,
        },
    )
    html = client.get("/applications/", {"namespaces": "ecommerce"}).content.decode()
    assert 'data-name="order-management"' in html
    health = {
        name: status
        for name, status in re.findall(
            r'data-name="([\w-]+)" data-namespace="ecommerce" data-cluster="east" '
            r'data-health="(\w+)"',
            html,
        )
    }
    assert health["order-management"] in ("Failure", "Degraded")
    assert health["profile-management"] == "Healthy"
    assert "metrics unavailable" not in html and "Health unavailable" not in html
