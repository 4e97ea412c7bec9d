"""What several pages need from the request: clients for the external services."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from django.conf import settings

from kiali_site.context import MeshRequest
from mesh.deadline import Deadline

if TYPE_CHECKING:
    from mesh.prometheus.client import PrometheusClient


# The time ranges offered by pages, as Kiali offers them: (seconds, label).
TIME_RANGES = (
    (60, "Last 1m"),
    (300, "Last 5m"),
    (600, "Last 10m"),
    (1800, "Last 30m"),
    (3600, "Last 1h"),
    (10800, "Last 3h"),
    (21600, "Last 6h"),
    (43200, "Last 12h"),
    (86400, "Last 1d"),
    (604800, "Last 7d"),
    (2592000, "Last 30d"),
)


# SH-04: how often a page reloads its data, in milliseconds as Kiali keeps it in the URL.
REFRESH_CHOICES = (
    (0, "Pause"),
    (10000, "Every 10s"),
    (15000, "Every 15s"),
    (30000, "Every 30s"),
    (60000, "Every 1m"),
    (300000, "Every 5m"),
    (900000, "Every 15m"),
)


def refresh_of(query: Mapping[str, str], default: str) -> int:
    """The page's refresh interval (ms) from its `refresh` parameter, else `default`
    (ui_defaults.refresh_interval, a duration such as "1m"), else paused."""
    allowed = {value for value, _ in REFRESH_CHOICES}
    try:
        chosen = int(query.get("refresh", ""))
    except ValueError:
        chosen = -1
    if chosen in allowed:
        return chosen
    from mesh.metrics.params import prometheus_seconds

    try:
        fallback = int(prometheus_seconds(default) * 1000)
    except ValueError:
        return 0
    return fallback if fallback in allowed else 0


def time_ranges(
    scrape_interval: float, retention: float, ranges: Sequence[tuple[int, str]] = TIME_RANGES
) -> list[tuple[int, str]]:
    """SH-03: the ranges this Prometheus can answer, those no longer than its retention and
    at least two scrapes long (a rate needs two samples); the shortest one if none is."""
    return [
        (seconds, label) for seconds, label in ranges if 2 * scrape_interval <= seconds <= retention
    ] or [ranges[0]]


def prometheus_for(
    request: MeshRequest, work: Literal["graph", "metrics", "pages"]
) -> PrometheusClient:
    """The console's Prometheus client for one request's `work`, whose calls together get
    that work's deadline (kiali_internal.deadlines), counted from the request's arrival;
    use_kiali_token sends the home service account's token."""
    from mesh.prometheus.client import PrometheusClient

    registry = request.mesh.registry
    home = registry.access.get(registry.home)
    config = request.mesh.config
    return PrometheusClient(
        config.external_services.prometheus,
        kiali_token=home.service_token if home else None,
        ca_bundle=settings.KIALI_CA_BUNDLE or None,
        deadline=Deadline.starting(
            getattr(request, "started", None), float(getattr(config.kiali_internal.deadlines, work))
        ),
    )
