"""Faults on the local peers, for tests and benchmarks: a process frozen as a hung server is.

SIGSTOP leaves the listening socket open: the kernel still completes TCP handshakes into
the backlog, but nothing answers, which is what a hung Prometheus or API server looks like
to a client (unlike a stopped process, whose port refuses at once).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator

import requests

from mesh.sim.apiserver import LocalCluster
from mesh.sim.prometheus_server import RunningPrometheus


def api_server_process(cluster: LocalCluster) -> subprocess.Popen[bytes]:
    """The cluster's kube-apiserver (started after its etcd)."""
    return cluster._processes[-1]


def api_server_answers(cluster: LocalCluster) -> bool:
    try:
        response = requests.get(f"{cluster.server}/version", verify=str(cluster.ca_file), timeout=2)
    except requests.RequestException:
        return False
    return response.ok


def freeze(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGSTOP)


def thaw(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGCONT)


@contextlib.contextmanager
def frozen(process: subprocess.Popen[bytes]) -> Iterator[None]:
    """The process's group stopped for the block, and always resumed after it."""
    freeze(process)
    try:
        yield
    finally:
        thaw(process)


def frozen_prometheus(running: RunningPrometheus) -> contextlib.AbstractContextManager[None]:
    return frozen(running.process)


def frozen_api_server(cluster: LocalCluster) -> contextlib.AbstractContextManager[None]:
    return frozen(api_server_process(cluster))
