"""The console's own metrics, for Prometheus to scrape: how it serves, and how the things
it depends on answer it (Prometheus, each cluster's API server, its caches, its tasks).

Under gunicorn the workers are separate processes; prometheus_client's multiprocess mode
(PROMETHEUS_MULTIPROC_DIR, set by kiali_site/gunicorn_conf.py before anything imports this)
adds their values up when /metrics is read.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Histogram

# Pages answer in milliseconds, graphs in seconds: buckets over both.
_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

HTTP_SECONDS = Histogram(
    "kiali_console_http_request_duration_seconds",
    "Time to answer a request, by view (URL name), method and status code",
    ["view", "method", "code"],
    buckets=_SECONDS,
)
PROMETHEUS_SECONDS = Histogram(
    "kiali_console_prometheus_query_duration_seconds",
    "Time Prometheus took to answer the console, by API endpoint",
    ["endpoint"],
    buckets=_SECONDS,
)
PROMETHEUS_ERRORS = Counter(
    "kiali_console_prometheus_query_errors_total",
    "Prometheus requests that failed, by API endpoint",
    ["endpoint"],
)
KUBE_REQUESTS = Counter(
    "kiali_console_kube_api_requests_total",
    "Requests to the clusters' API servers, by cluster, verb (HTTP method) and status code "
    "(0: no answer)",
    ["cluster", "verb", "code"],
)
KUBE_SECONDS = Histogram(
    "kiali_console_kube_api_request_duration_seconds",
    "Time the clusters' API servers took to answer, by cluster and verb",
    ["cluster", "verb"],
    buckets=_SECONDS,
)
CACHE_LOOKUPS = Counter(
    "kiali_console_cache_lookups_total",
    "Lookups in the console's caches, by cache and result (hit, miss)",
    ["cache", "result"],
)
TASK_SECONDS = Histogram(
    "kiali_console_task_duration_seconds",
    "Time background (Celery) tasks ran, by task",
    ["task"],
    buckets=_SECONDS,
)
TASK_FAILURES = Counter(
    "kiali_console_task_failures_total",
    "Background (Celery) tasks that raised, by task",
    ["task"],
)


@contextmanager
def timed(histogram: Histogram, *labels: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        histogram.labels(*labels).observe(time.perf_counter() - started)


def cache_lookup(cache: str, hit: bool) -> None:
    CACHE_LOOKUPS.labels(cache, "hit" if hit else "miss").inc()
