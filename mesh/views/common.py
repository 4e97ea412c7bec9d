"""What several pages need from the request: clients for the external services."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from kiali_site.context import MeshRequest

if TYPE_CHECKING:
    from mesh.prometheus.client import PrometheusClient


def prometheus_for(request: MeshRequest) -> PrometheusClient:
    """The console's Prometheus client; use_kiali_token sends the home service account's token."""
    from mesh.prometheus.client import PrometheusClient

    registry = request.mesh.registry
    home = registry.access.get(registry.home)
    return PrometheusClient(
        request.mesh.config.external_services.prometheus,
        kiali_token=home.service_token if home else None,
        ca_bundle=settings.KIALI_CA_BUNDLE or None,
    )
