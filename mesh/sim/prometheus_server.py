"""A real Prometheus (Debian's `prometheus` binary) on loopback, for tests and the demo.

The console must read a real Prometheus the way it reads production ones, including its
error bodies and its TLS / basic-auth / client-certificate front door, so tests start the
genuine binary rather than faking its API. Each instance gets its own data directory and
configuration under `workdir`, listens on a free 127.0.0.1 port, and is stopped with its
whole process group (also at interpreter exit, so a failed test run leaves nothing behind).

Readiness is read from Prometheus' own log line rather than polled over HTTP, because with a
web config (basic auth, client certificates) `/-/ready` itself needs those credentials.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"
_READY = "Server is ready to receive web requests"


class PrometheusStartError(RuntimeError):
    """Prometheus exited or did not become ready; the message quotes its log."""


@dataclass
class RunningPrometheus:
    url: str
    workdir: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    def stop(self) -> None:
        """Stop the whole process group; safe to call more than once."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)

    @property
    def log(self) -> str:
        try:
            return (self.workdir / "prometheus.log").read_text(errors="replace")
        except OSError:
            return ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scrape_config(targets: Sequence[str], scrape_interval: str) -> dict[str, Any]:
    """One job per target URL; honor_labels keeps the exporter's own cluster labels."""
    jobs = []
    for i, target in enumerate(targets):
        parts = urlsplit(target if "://" in target else f"http://{target}")
        job: dict[str, Any] = {
            "job_name": f"istio-telemetry-{i}",
            "honor_labels": True,
            "scheme": parts.scheme or "http",
            "metrics_path": parts.path or "/metrics",
            "static_configs": [{"targets": [parts.netloc]}],
        }
        if parts.query:
            params: dict[str, list[str]] = {}
            for pair in parts.query.split("&"):
                key, _, value = pair.partition("=")
                params.setdefault(key, []).append(value)
            job["params"] = params
        jobs.append(job)
    return {
        "global": {"scrape_interval": scrape_interval, "evaluation_interval": scrape_interval},
        "scrape_configs": jobs,
    }


def start_prometheus(
    workdir: Path,
    targets: Sequence[str],
    *,
    scrape_interval: str = "5s",
    web_config: dict[str, Any] | None = None,
    retention: str = "1d",
    timeout: float = 60.0,
) -> RunningPrometheus:
    """Start Prometheus scraping `targets` (URLs such as http://127.0.0.1:8080/metrics).

    `web_config` is Prometheus' web configuration file as a mapping (`tls_server_config`,
    `basic_auth_users` with bcrypt hashes); when it sets `tls_server_config` the URL is https.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "data").mkdir(exist_ok=True)
    config_file = workdir / "prometheus.yml"
    config_file.write_text(yaml.safe_dump(scrape_config(targets, scrape_interval)))
    scheme = "http"
    extra = []
    if web_config:
        web_file = workdir / "web-config.yml"
        web_file.write_text(yaml.safe_dump(web_config))
        extra.append(f"--web.config.file={web_file}")
        if web_config.get("tls_server_config"):
            scheme = "https"
    last_error = ""
    for _attempt in range(3):  # the free port may be taken between probing and binding
        port = free_port()
        log_path = workdir / "prometheus.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [
                    PROMETHEUS,
                    f"--config.file={config_file}",
                    f"--storage.tsdb.path={workdir / 'data'}",
                    f"--storage.tsdb.retention.time={retention}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--log.level=info",
                    *extra,
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        running = RunningPrometheus(f"{scheme}://127.0.0.1:{port}", workdir, process)
        atexit.register(running.stop)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if _READY in running.log:
                return running
            if process.poll() is not None:
                break
            time.sleep(0.1)
        running.stop()
        last_error = running.log[-2000:]
        if "address already in use" not in last_error:
            break
    raise PrometheusStartError(f"Prometheus did not become ready:\n{last_error}")


def backfill(workdir: Path, openmetrics: str | Iterable[str], data_dir: Path | None = None) -> Path:
    """Write an OpenMetrics text (with timestamps, ending in `# EOF`) into TSDB blocks.

    The text may come in pieces (an iterable of strings), so that a big mesh's gigabytes
    are written out as they are made instead of held in memory whole.
    Start Prometheus on `data_dir` (default `workdir/data`) afterwards to query history
    without waiting for scrapes.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    target = data_dir or workdir / "data"
    target.mkdir(parents=True, exist_ok=True)
    source = workdir / "backfill.om"
    last = ""
    with source.open("w") as out:
        for piece in [openmetrics] if isinstance(openmetrics, str) else openmetrics:
            out.write(piece)
            last = piece or last
        if not last.endswith("# EOF\n"):
            out.write("# EOF\n")
    return create_blocks(source, target)


def create_blocks(source: Path, data_dir: Path) -> Path:
    """TSDB blocks in `data_dir` from an OpenMetrics file with timestamps (promtool), which
    is deleted afterwards: it is only promtool's input, and as big as the blocks or bigger."""
    data_dir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", str(source), str(data_dir)],
        capture_output=True,
        text=True,
        check=False,
    )
    source.unlink(missing_ok=True)
    if result.returncode != 0:
        raise PrometheusStartError(f"promtool backfill failed: {result.stderr[-2000:]}")
    return data_dir
