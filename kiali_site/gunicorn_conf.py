"""gunicorn's settings for the console (`gunicorn -c python:kiali_site.gunicorn_conf`).

The console's requests are of two kinds: pages and API reads that answer in tens of
milliseconds, and graph or metrics requests that wait on Prometheus for seconds. gthread
workers keep a slow request from holding a whole process: each worker runs `threads`
requests at once, so a few slow graphs leave threads free for pages, and the process
count stays small (each one holds its own caches and kept graphs). Every value can be
changed through the environment without rebuilding the image.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    try:
        return int(raw) if raw else default
    except ValueError:
        raise SystemExit(f"configuration error: {name}={raw!r} is not a whole number") from None


def _listen_address() -> str:
    """Kiali's server.address and server.port (default every interface, port 20001). Imported
    here, not above: importing the console's package loads prometheus_client, which must
    come after PROMETHEUS_MULTIPROC_DIR is set."""
    from kiali_site.config import ConfigError, load_config

    try:
        server = load_config(os.environ.get("KIALI_CONFIG") or None).server
    except ConfigError as exc:
        raise SystemExit(f"configuration error: {exc}") from None
    host = server.address or "0.0.0.0"  # noqa: S104 - a server in a pod listens on its pod IP
    return f"[{host}]:{server.port}" if ":" in host else f"{host}:{server.port}"


def _metrics_directory() -> None:
    """prometheus_client's multiprocess mode: each worker writes its values to files here and
    /metrics adds them up. It must be set before the console (and prometheus_client) load."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    if not path:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="console-metrics-")
        return
    for stale in Path(path).glob("*.db"):  # values of a previous run's workers
        stale.unlink()


def child_exit(server: object, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


_metrics_directory()
# /metrics is served only on this port (kiali_site/own_metrics_http.py), as Kiali serves
# its own on 9090, so neither users nor Prometheus mix with the other's port.
METRICS_PORT = _int("METRICS_PORT", 9090)
os.environ["METRICS_PORT"] = str(METRICS_PORT)

wsgi_app = "kiali_site.wsgi:application"
# The console is loaded once, before the workers fork: a configuration error (a bad
# KIALI_CONFIG, no SECRET_KEY) stops the server with its one line instead of workers
# failing and being restarted forever, and the workers share the loaded code's memory.
preload_app = True
_main = os.environ.get("GUNICORN_BIND") or _listen_address()
bind = [_main, f"{_main.rsplit(':', 1)[0]}:{METRICS_PORT}"]
worker_class = "gthread"
# Two processes per core is gunicorn's usual advice for CPU; the console mostly waits on
# Prometheus and the API servers, so threads rather than processes carry the concurrency.
workers = _int("GUNICORN_WORKERS", 2)
threads = _int("GUNICORN_THREADS", 8)
# A worker whose main loop is silent this long is restarted. With gthread the loop keeps
# beating while a thread waits on Prometheus, so this only catches a truly stuck process.
timeout = _int("GUNICORN_TIMEOUT", 60)
# On SIGTERM (a rolling update) requests in flight get this long to finish; Kubernetes'
# default grace period is 30 s, so the server is done before the kubelet kills it.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 25)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Workers are replaced now and then so that a slow growth of memory never accumulates.
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = max_requests // 10
accesslog = "-"
errorlog = "-"
# Only a proxy on the same host is trusted for X-Forwarded-* unless told otherwise.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# gunicorn 25+ opens a control socket under $HOME for runtime commands; the console needs
# none, and its pod's root filesystem is read-only.
control_socket_disable = True
