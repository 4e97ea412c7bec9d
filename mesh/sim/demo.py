"""The embedded demo mesh: two local clusters, their manifests, telemetry and Prometheus.

`make demo` runs `python -m mesh.sim.demo`, which starts everything, then the console on
http://127.0.0.1:20001 in anonymous mode, and stops all it started on Ctrl-C. The browser
tests start the same mesh through `start_demo_mesh`, so what the tests see is what the demo
shows.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mesh.sim.apiserver import LocalCluster, ensure_kube_apiserver, start_cluster
from mesh.sim.loader import apply_manifests
from mesh.sim.prometheus_server import (
    RunningPrometheus,
    create_blocks,
    free_port,
    start_prometheus,
)
from mesh.sim.telemetry import TelemetryExporter, load_topology

DEMO_DIR = Path(__file__).resolve().parent / "demo"
ROOT = Path(__file__).resolve().parents[2]
CONSOLE_NAMESPACE = "istio-system"

# The ecommerce front end calls order-management, whose v2 fails on purpose. Kiali counts any
# outbound 5xx as Degraded, which would paint the caller for its backend's fault; the demo's
# operators say so in configuration, as Kiali lets them: ecommerce-ui tolerates up to 10 %
# outbound 5xx, every other rule stays at Kiali's defaults.
DEMO_HEALTH_CONFIG: dict[str, Any] = {
    "rate": [
        {
            "namespace": "ecommerce",
            "kind": "app|workload",
            "name": "ecommerce-ui(-v1)?",
            "tolerance": [
                {
                    "code": "5XX",
                    "direction": "outbound",
                    "protocol": "http",
                    "degraded": 10,
                    "failure": 20,
                },
                {
                    "code": "5XX",
                    "direction": "inbound",
                    "protocol": "http",
                    "degraded": 0,
                    "failure": 10,
                },
                {"code": "4XX", "protocol": "http", "degraded": 10, "failure": 20},
                {"code": "[1-9]|1[0-6]", "protocol": "grpc", "degraded": 0, "failure": 10},
                {"code": "-", "degraded": 0, "failure": 10},
            ],
        }
    ]
}


@dataclass
class DemoMesh:
    workdir: Path
    clusters: dict[str, LocalCluster]
    exporter: TelemetryExporter
    prometheus: RunningPrometheus
    home_kubeconfig: Path
    history: float = 0.0  # seconds of telemetry backfilled before the mesh's start
    _stopped: bool = field(default=False, repr=False)

    def console_config(self, **overrides: Any) -> dict[str, Any]:
        """The demo console's configuration, in Kiali's key layout."""
        config: dict[str, Any] = {
            "auth": {"strategy": "anonymous"},
            "deployment": {"namespace": CONSOLE_NAMESPACE},
            "external_services": {
                "prometheus": {"url": self.prometheus.url},
                "grafana": {"enabled": False},
            },
            "health_config": DEMO_HEALTH_CONFIG,
        }
        if self.history:
            # The namespaces were created a moment ago, their telemetry hours earlier.
            config["kiali_internal"] = {"metrics_since_namespace_creation": False}
        for key, value in overrides.items():
            config[key] = value
        return config

    def write_console_config(self, path: Path, **overrides: Any) -> Path:
        path.write_text(yaml.safe_dump(self.console_config(**overrides)))
        return path

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        for stop in (
            self.prometheus.stop,
            self.exporter.stop,
            *(c.stop for c in self.clusters.values()),
        ):
            with contextlib.suppress(Exception):
                stop()


def publish_remote_cluster(home: LocalCluster, remote: LocalCluster) -> None:
    """Put the remote cluster's kubeconfig (the console's own persona) into the single
    multi-cluster secret in the home cluster's console namespace, as installers do."""
    from kubernetes.client import CoreV1Api, V1ObjectMeta, V1Secret
    from kubernetes.client.exceptions import ApiException

    api = CoreV1Api(home.api_client("admin"))
    kubeconfig = yaml.safe_dump(remote.kubeconfig("kiali")).encode()
    data: dict[str, bytes | str] = {remote.name: base64.b64encode(kubeconfig).decode()}
    try:
        existing = api.read_namespaced_secret("kiali-multi-cluster-secret", CONSOLE_NAMESPACE)
    except ApiException as exc:
        if exc.status != 404:
            raise
        existing = None
    if existing is not None:
        data = {**(existing.data or {}), **data}
    secret = V1Secret(
        api_version="v1",
        kind="Secret",
        metadata=V1ObjectMeta(
            name="kiali-multi-cluster-secret",
            namespace=CONSOLE_NAMESPACE,
            labels={"kiali.io/kiali-multi-cluster-secret": "true"},
        ),
        data=data,
    )
    if existing is None:
        api.create_namespaced_secret(CONSOLE_NAMESPACE, secret)
    else:
        api.replace_namespaced_secret("kiali-multi-cluster-secret", CONSOLE_NAMESPACE, secret)


HISTORY_STEP = 30.0  # seconds between backfilled samples: enough for 1h and longer windows


def start_demo_mesh(
    workdir: Path,
    *,
    scrape_interval: str = "5s",
    also_scrape: Sequence[str] = (),
    history: float = 0.0,
) -> DemoMesh:
    """Both clusters with their manifests, west published to east, telemetry scraped (and
    `also_scrape`, such as the console's own metrics). With `history` (seconds), the mesh
    has been running that long: its telemetry of that time is backfilled into Prometheus
    before it starts, so charts and long windows have data from the first minute."""
    ensure_kube_apiserver()
    clusters: dict[str, LocalCluster] = {}
    exporter = prometheus = None
    try:
        for name in ("east", "west"):
            clusters[name] = start_cluster(name, workdir / name)
        for name, cluster in clusters.items():
            apply_manifests(cluster.api_client("admin"), [DEMO_DIR / name], cluster_name=name)
        publish_remote_cluster(clusters["east"], clusters["west"])
        now = time.time()
        exporter = TelemetryExporter(
            load_topology(DEMO_DIR / "topology.yaml"), started_at=now - history
        )
        # A new demo mesh: telemetry a previous run left in this folder is not of these clusters.
        shutil.rmtree(workdir / "prometheus" / "data", ignore_errors=True)
        if history > 0:
            source = workdir / "prometheus" / "history.om"
            source.parent.mkdir(parents=True, exist_ok=True)
            exporter.write_openmetrics_history(
                source, now - history, now - HISTORY_STEP, HISTORY_STEP
            )
            create_blocks(source, workdir / "prometheus" / "data")
        exporter_url = exporter.start(port=0)
        target = exporter_url.split("://", 1)[-1].rstrip("/")
        prometheus = start_prometheus(
            workdir / "prometheus", [target, *also_scrape], scrape_interval=scrape_interval
        )
        home_kubeconfig = clusters["east"].write_kubeconfig(
            workdir / "east-kiali.kubeconfig", persona="kiali"
        )
    except BaseException:
        for thing in (prometheus, exporter, *clusters.values()):
            if thing is not None:
                with contextlib.suppress(Exception):
                    thing.stop()
        raise
    return DemoMesh(workdir, clusters, exporter, prometheus, home_kubeconfig, history)


@contextlib.contextmanager
def demo_mesh(
    workdir: Path | None = None, also_scrape: Sequence[str] = (), history: float = 0.0
) -> Iterator[DemoMesh]:
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="demo-mesh-")))
        mesh = start_demo_mesh(workdir, also_scrape=also_scrape, history=history)
        stack.callback(mesh.stop)
        yield mesh


def wait_for_telemetry(prometheus_url: str, timeout: float = 90.0) -> bool:
    """Wait until Prometheus has rates for the demo's slowest counters (order-management v2's
    failures), so the first health computation already sees the fault; False on timeout."""
    import time

    import requests

    query = (
        'sum(rate(istio_requests_total{destination_workload="order-management-v2",'
        'response_code="503"}[1m])) > 0'
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            answer = requests.get(
                f"{prometheus_url}/api/v1/query", params={"query": query}, timeout=5
            )
            if answer.ok and answer.json()["data"]["result"]:
                return True
        except requests.RequestException:
            pass
        time.sleep(1)
    return False


DEMO_BROKER = "redis://127.0.0.1:6379/10"
DEMO_CACHE = "redis://127.0.0.1:6379/11"


def _flush_redis(*urls: str) -> None:
    import redis

    for url in urls:
        redis.Redis.from_url(url).flushdb()


def _redis_available(host: str = "127.0.0.1", port: int = 6379) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def server_command(
    port: int, *, metrics_port: int | None = None, development: bool = False
) -> list[str]:
    """The production server on loopback (the demo is reached from this machine only), with
    its metrics port when given (set METRICS_PORT to the same), or Django's development
    server when DEBUG is asked for."""
    if development:
        manage = str(ROOT / "manage.py")
        return [sys.executable, manage, "runserver", "--noreload", f"127.0.0.1:{port}"]
    command = [sys.executable, "-m", "gunicorn", "-c", "python:kiali_site.gunicorn_conf"]
    command += ["--bind", f"127.0.0.1:{port}"]
    if metrics_port is not None:
        command += ["--bind", f"127.0.0.1:{metrics_port}"]
    return command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the console on the embedded demo mesh.")
    parser.add_argument("--port", type=int, default=20001)
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "demo")
    parser.add_argument(
        "--history-hours",
        type=float,
        default=3.0,
        help="hours of telemetry the mesh starts with, backfilled into Prometheus (0: none)",
    )
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    development = os.environ.get("DEBUG", "").lower() in ("1", "true", "yes", "on")

    print(
        "starting the demo mesh: clusters east and west (the first run builds kube-apiserver, "
        "a few minutes)…",
        flush=True,
    )
    children: list[subprocess.Popen[bytes]] = []
    metrics_port = free_port()
    if args.history_hours > 0:
        print(
            f"the mesh starts with {args.history_hours:g} hours of telemetry, backfilled into "
            "Prometheus (about half a minute)…",
            flush=True,
        )
    with demo_mesh(
        args.workdir,
        also_scrape=[f"127.0.0.1:{metrics_port}"],
        history=args.history_hours * 3600,
    ) as mesh:
        config_path = mesh.write_console_config(args.workdir / "kiali.yaml")
        env = {
            **os.environ,
            "KIALI_CONFIG": str(config_path),
            "KUBECONFIG": str(mesh.home_kubeconfig),
            "DATABASE_URL": f"sqlite:///{args.workdir / 'console.sqlite3'}",
            # The demo runs as operators run the console: DEBUG off behind gunicorn, unless
            # DEBUG=1 asks for Django's development server.
            "DEBUG": "true" if development else "false",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
            # The console's own metrics, on a port of their own that the demo's Prometheus
            # scrapes beside the mesh's telemetry.
            "METRICS_PORT": str(metrics_port),
        }
        if _redis_available():
            env["CELERY_BROKER_URL"] = DEMO_BROKER
            env["REDIS_URL"] = DEMO_CACHE
            # A new demo mesh has new clusters: a previous run's queue and cache are wrong.
            _flush_redis(DEMO_BROKER, DEMO_CACHE)
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
        if not development:
            subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], env=env, check=True)
        print(f"Prometheus: {mesh.prometheus.url}", flush=True)
        print("waiting for the first telemetry to be scraped…", flush=True)
        if not wait_for_telemetry(mesh.prometheus.url):
            print("no telemetry yet; health fills in at the next refresh", flush=True)
        if "CELERY_BROKER_URL" in env:
            children.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "-A",
                        "kiali_site",
                        "worker",
                        "--beat",
                        "--pool=solo",
                        "-l",
                        "warning",
                        "--schedule",
                        str(args.workdir / "celerybeat-schedule"),
                    ],
                    cwd=ROOT,
                    env=env,
                )
            )
            print("celery worker started with the local Redis as broker", flush=True)
        else:
            print("no Redis on 127.0.0.1:6379: background tasks run in-process", flush=True)
        for cluster in mesh.clusters.values():
            path = cluster.write_kubeconfig(args.workdir / f"{cluster.name}-admin.kubeconfig")
            print(
                f"cluster {cluster.name}: {cluster.server} (kubectl --kubeconfig {path})",
                flush=True,
            )
        print(f"console: http://127.0.0.1:{args.port}/  (Ctrl-C stops everything)", flush=True)
        print(f"the console's own metrics: http://127.0.0.1:{metrics_port}/metrics", flush=True)
        server = subprocess.Popen(
            server_command(args.port, metrics_port=metrics_port, development=development),
            cwd=ROOT,
            env=env,
        )
        children.append(server)
        try:
            server.wait()
        except KeyboardInterrupt:
            print("\nstopping the demo…", flush=True)
        finally:
            stop_children(children)
            if "CELERY_BROKER_URL" in env:
                _flush_redis(DEMO_BROKER, DEMO_CACHE)
    return 0


CHILD_STOP_SECONDS = 5.0


def stop_children(children: list[subprocess.Popen[bytes]]) -> None:
    """All at once, so the whole demo is down within seconds: SIGINT (gunicorn and Celery
    stop at once on it), then SIGKILL for whatever still runs after a shared deadline."""
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGINT)
    deadline = time.monotonic() + CHILD_STOP_SECONDS
    for child in children:
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _stop_on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM (a service manager, `kill`) stops the demo the way Ctrl-C does."""
    raise KeyboardInterrupt


if __name__ == "__main__":
    raise SystemExit(main())
