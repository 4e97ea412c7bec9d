"""/metrics and the request timings behind it.

Kiali serves its metrics on a port of their own (server.observability.metrics.port, 9090),
so the console's users never reach them and Prometheus never needs a login. gunicorn binds
that port too (kiali_site/gunicorn_conf.py) and names it in METRICS_PORT; /metrics answers
only there. Without METRICS_PORT (Django's development server, tests) it answers anywhere.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)

from mesh.own_metrics import HTTP_SECONDS

METRICS_PATH = "/metrics"


def _on_metrics_port(request: HttpRequest) -> bool:
    port = os.environ.get("METRICS_PORT", "")
    return not port or request.META.get("SERVER_PORT") == port


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not _on_metrics_port(request):
        raise Http404("There is nothing at this address.")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


class RequestTimings:
    """Each answer's time by view name; /metrics itself and static files are not counted."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        if request.path_info != METRICS_PATH:
            match = request.resolver_match
            view = (match.url_name or match.view_name) if match else "unresolved"
            HTTP_SECONDS.labels(view, request.method or "", str(response.status_code)).observe(
                time.perf_counter() - started
            )
        return response
