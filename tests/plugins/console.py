"""Point the console under test at a cluster and a configuration, as a deployment would."""

from __future__ import annotations

import dataclasses
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from kiali_site.config import KialiConfig, parse_config
from mesh.clusters.registry import invalidate_registry
from mesh.graph.recent import RECENT
from mesh.sim.apiserver import LocalCluster

# Kiali's default Prometheus (prometheus.istio-system:9090) is a name to look up, and a lookup
# may leave this machine; tests that name no Prometheus get a closed port on loopback instead,
# which fails at once with "connection refused".
NO_PROMETHEUS = "http://127.0.0.1:9"


def _with_loopback_prometheus(document: dict[str, Any]) -> dict[str, Any]:
    services = dict(document.get("external_services") or {})
    prometheus = dict(services.get("prometheus") or {})
    prometheus.setdefault("url", NO_PROMETHEUS)
    services["prometheus"] = prometheus
    return {**document, "external_services": services}


@pytest.fixture(autouse=True)
def _prometheus_on_loopback(settings: Any) -> None:
    """Every test starts with a console whose Prometheus is on this machine."""
    config: KialiConfig = settings.KIALI
    services = config.external_services
    if not services.prometheus.url.startswith(("http://127.", "https://127.", "http://localhost")):
        settings.KIALI = dataclasses.replace(
            config,
            external_services=dataclasses.replace(
                services, prometheus=dataclasses.replace(services.prometheus, url=NO_PROMETHEUS)
            ),
        )


@pytest.fixture(autouse=True)
def _no_graph_kept_from_another_test() -> Iterator[None]:
    """The side panel's kept graphs and the graphs just built live in the process; a test
    never sees another's."""
    from mesh.api.graph import SAME_GRAPHS

    RECENT.clear()
    SAME_GRAPHS.clear()
    yield
    RECENT.clear()
    SAME_GRAPHS.clear()


@pytest.fixture
def console_on(
    settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Callable[..., KialiConfig]]:
    """Factory: console_on(cluster, persona="kiali", config={...}) sets KUBECONFIG to the
    cluster with that persona's token and settings.KIALI to the given Kiali-layout mapping."""

    def configure(
        cluster: LocalCluster | None,
        persona: str = "kiali",
        config: dict[str, Any] | None = None,
    ) -> KialiConfig:
        document = _with_loopback_prometheus({"auth": {"strategy": "anonymous"}, **(config or {})})
        settings.KIALI = parse_config(yaml.safe_dump(document), "test config")
        if cluster is None:
            monkeypatch.delenv("KUBECONFIG", raising=False)
        else:
            path = cluster.write_kubeconfig(
                tmp_path / f"{cluster.name}-{persona}.kubeconfig", persona=persona
            )
            monkeypatch.setenv("KUBECONFIG", str(path))
        monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
        invalidate_registry()
        return settings.KIALI  # type: ignore[no-any-return]

    yield configure
    invalidate_registry()


def wait_for(check: Callable[[], Any], what: str, within: float = 15.0) -> tuple[Any, float]:
    """Poll `check` until it returns something true; that, and the seconds it took."""
    started = time.monotonic()
    while True:
        result = check()
        if result:
            return result, time.monotonic() - started
        assert time.monotonic() < started + within, f"{what} not within {within:g} s"
        time.sleep(0.25)


def wait_until_healthy(
    url: str, process: subprocess.Popen[bytes], timeout: float, why_not: Callable[[], str]
) -> None:
    """Poll `url`/healthz until it answers 200; fail with `why_not()` (the server's log) when
    the process exits or `timeout` passes. A worker loads the console on its first request,
    which takes seconds on a busy machine, hence the long per-request wait."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(f"{url}/healthz", timeout=10).status_code == 200:
                return
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the server at {url} did not start: {why_not()}")
        time.sleep(0.3)


@pytest.fixture
def gunicorn_console(
    demo_mesh: Any, east_cluster: LocalCluster, tmp_path: Path
) -> Iterator[Callable[[dict[str, Any]], tuple[str, str]]]:
    """Factory: gunicorn_console(config) serves the console on east (console persona) through
    gunicorn with DEBUG off, as `make demo` and the image do, with that Kiali-layout config;
    returns the server's URL (before any web_root) and its metrics URL."""
    import os
    import secrets
    import sys

    from mesh.sim.demo import ROOT, server_command
    from mesh.sim.prometheus_server import free_port

    started: list[tuple[subprocess.Popen[bytes], Any]] = []

    def serve(config: dict[str, Any]) -> tuple[str, str]:
        workdir = tmp_path / f"gunicorn-{len(started)}"
        workdir.mkdir()
        (workdir / "kiali.yaml").write_text(
            yaml.safe_dump(_with_loopback_prometheus({"auth": {"strategy": "anonymous"}, **config}))
        )
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("PYTEST", "DJANGO", "CELERY", "REDIS"))
        }
        port, metrics_port = free_port(), free_port()
        env |= {
            "KIALI_CONFIG": str(workdir / "kiali.yaml"),
            "KUBECONFIG": str(
                east_cluster.write_kubeconfig(workdir / "kubeconfig", persona="kiali")
            ),
            "DATABASE_URL": f"sqlite:///{workdir / 'console.sqlite3'}",
            "STATIC_ROOT": str(workdir / "static"),
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "METRICS_PORT": str(metrics_port),
        }
        manage = [sys.executable, str(ROOT / "manage.py")]
        for step in (["migrate", "-v0"], ["collectstatic", "--noinput", "-v0"]):
            subprocess.run([*manage, *step], env=env, cwd=ROOT, check=True, timeout=120)
        log = (workdir / "gunicorn.log").open("wb")
        server = subprocess.Popen(
            server_command(port, metrics_port=metrics_port),
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append((server, log))
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(
            url + str(config.get("server", {}).get("web_root", "")).rstrip("/"),
            server,
            90.0,
            lambda: (workdir / "gunicorn.log").read_text()[-2000:],
        )
        return url, f"http://127.0.0.1:{metrics_port}"

    yield serve
    for server, log in started:
        if server.poll() is None:
            server.kill()
            server.wait()
        log.close()
