"""A real Celery worker, with the local Redis as broker and cache, refreshes the registry."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.core.cache.backends.redis import RedisCache

from kiali_site.celery import app
from mesh.tasks import CLUSTER_SUMMARY_KEY

ROOT = Path(__file__).resolve().parents[2]
REDIS = "redis://127.0.0.1:6379"

pytestmark = [pytest.mark.celery, pytest.mark.xdist_group("celery")]


@pytest.fixture
def redis_dbs():
    """Two throwaway Redis databases (broker, cache), emptied before and after."""
    broker, cache_db = f"{REDIS}/13", f"{REDIS}/14"
    for url in (broker, cache_db):
        redis.Redis.from_url(url).flushdb()
    yield broker, cache_db
    for url in (broker, cache_db):
        redis.Redis.from_url(url).flushdb()


def test_a_real_worker_refreshes_the_registry_into_the_cache(redis_dbs, east_cluster, tmp_path):
    broker, cache_db = redis_dbs
    kubeconfig = east_cluster.write_kubeconfig(tmp_path / "kubeconfig", persona="kiali")
    config = tmp_path / "kiali.yaml"
    config.write_text(
        "auth: {strategy: anonymous}\n"
        "kubernetes_config: {cluster_name: east}\n"
        "external_services: {prometheus: {url: 'http://127.0.0.1:9'}}\n"
    )
    env = {
        **os.environ,
        "CELERY_BROKER_URL": broker,
        "REDIS_URL": cache_db,
        "KUBECONFIG": str(kubeconfig),
        "KIALI_CONFIG": str(config),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120
    )
    worker = subprocess.Popen(
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
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        old = (app.conf.broker_url, app.conf.task_always_eager)
        app.conf.broker_url, app.conf.task_always_eager = broker, False
        try:
            app.send_task("mesh.tasks.refresh_clusters")
        finally:
            app.conf.broker_url, app.conf.task_always_eager = old
        cache = RedisCache(cache_db, {})
        deadline = time.monotonic() + 60
        summary = None
        while summary is None and time.monotonic() < deadline:
            summary = cache.get(CLUSTER_SUMMARY_KEY)
            time.sleep(0.5)
        assert summary is not None, "the worker stored no cluster summary within 60 s"
        assert summary["home"] == "east"
        east = summary["clusters"][0]
        assert (east["name"], east["reachable"], east["version"]) == ("east", True, "v1.20.2")
        assert summary["computed_at"] > time.time() - 120
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
