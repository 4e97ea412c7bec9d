"""What one request may spend: time on each cluster, and a slot among the slow requests.

- Every request's cluster reads share one deadline (mesh/deadline.py).
- Graph and metrics requests wait on Prometheus for seconds. A server process runs only
  `kiali_internal.slow_requests.concurrent` of them at once; one more waits briefly for a
  slot, then is told to come back (503 with Retry-After). However many users ask for
  graphs, the process's other threads stay free for pages.
- A dependency known to be down (mesh.outages) reaches the user as a 503 with its reason
  and Retry-After, never as a 403 ("not allowed") or a 500.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kiali_site.config import KialiConfig
from kiali_site.errors import api_error
from mesh.deadline import kube_deadline_of
from mesh.outages import RETRY_AFTER

log = logging.getLogger(__name__)

# URL names of the views that wait on Prometheus for a whole graph or chart. A metrics tab
# itself (object_metrics) only lays out the charts, whose data comes from the metrics API.
SLOW_VIEW_PREFIXES = ("api-graph",)
SLOW_VIEWS = frozenset(
    {
        "graph-panel",
        "api-workload-metrics",
        "api-app-metrics",
        "api-service-metrics",
        "api-namespace-metrics",
    }
)
BUSY = (
    "the console is busy drawing other graphs and charts; "
    "this one was not started. Try again in a few seconds"
)


class Unavailable(Exception):
    """What a request needs is down or busy: answered 503 with Retry-After. The message is
    shown as it is, so it names nothing the caller may not see."""

    def __init__(self, message: str, retry_after: int = RETRY_AFTER) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def unavailable(request: HttpRequest, message: str, retry_after: int = RETRY_AFTER) -> HttpResponse:
    """503 as JSON under /api/, as the error page (or its fragment for HTMX) elsewhere."""
    if request.path_info.startswith("/api/"):
        return api_error(message, 503, retry_after)
    htmx = getattr(request, "htmx", None)
    template = "503.html#message" if htmx and not htmx.boosted else "503.html"
    response = render(request, template, {"exception": message}, status=503)
    response["Retry-After"] = str(retry_after)
    return response


def is_slow(url_name: str | None) -> bool:
    return bool(url_name) and (
        url_name in SLOW_VIEWS or url_name.startswith(SLOW_VIEW_PREFIXES)  # type: ignore[union-attr]
    )


class _Slots:
    def __init__(self, size: int) -> None:
        self.size = size
        self.semaphore = threading.BoundedSemaphore(size)


_slots: _Slots | None = None
_slots_lock = threading.Lock()


def _slow_slots(size: int) -> _Slots:
    global _slots
    with _slots_lock:
        if _slots is None or _slots.size != size:
            _slots = _Slots(size)
        return _slots


class RequestBudgets:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        config: KialiConfig = settings.KIALI
        request.started = time.monotonic()  # type: ignore[attr-defined]
        with kube_deadline_of(float(config.kiali_internal.deadlines.kubernetes)):
            try:
                return self.get_response(request)
            finally:
                slot = getattr(request, "_slow_slot", None)
                if slot is not None:
                    slot.release()

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        if not is_slow(match.url_name if match else None):
            return None
        limits = settings.KIALI.kiali_internal.slow_requests
        if limits.concurrent <= 0:
            return None
        slots = _slow_slots(limits.concurrent)
        if not slots.semaphore.acquire(timeout=float(limits.queue_wait)):
            log.warning("slow-request slots all taken (%d); %s refused", slots.size, request.path)
            return unavailable(request, BUSY, retry_after=2)
        request._slow_slot = slots.semaphore  # type: ignore[attr-defined]
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from mesh.kube.errors import ClusterUnreachable
        from mesh.prometheus.client import PrometheusError

        if isinstance(exception, Unavailable):
            return unavailable(request, exception.message, exception.retry_after)
        if isinstance(exception, ClusterUnreachable):
            return unavailable(request, str(exception))
        if isinstance(exception, PrometheusError) and exception.outage is not None:
            return unavailable(request, f"metrics unavailable: {exception}")
        return None
