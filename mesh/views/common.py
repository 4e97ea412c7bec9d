"""What several pages need from the request: clients for the external services."""

from __future__ import annotations

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
