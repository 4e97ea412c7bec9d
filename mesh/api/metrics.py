"""Kiali's metrics JSON API for workloads, apps, services and namespaces (spec metrics.md 1-4).

Views only translate HTTP: access first (403 as JSON), parameters (400 naming the parameter),
then mesh.metrics; a Prometheus failure becomes 503 `{"error": "metrics unavailable: ..."}`.
"""

from __future__ import annotations

import time
from datetime import datetime

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from kiali_site.access import namespace_for
from kiali_site.context import MeshRequest
from kiali_site.errors import api_error
from mesh.kube.namespaces import Namespace
from mesh.metrics.fetch import fetch_metrics, to_kiali_json
from mesh.metrics.params import ParameterError, Target, parse_params
from mesh.metrics.timing import resolve_window
from mesh.prometheus.client import PrometheusClient, PrometheusError, PrometheusSettings
from mesh.views.common import prometheus_for

SETTINGS_CACHE_SECONDS = 300


def created_seconds(namespace: Namespace) -> float | None:
    try:
        return datetime.fromisoformat(namespace.created.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def prometheus_settings(client: PrometheusClient) -> PrometheusSettings:
    """Scrape interval and retention, asked of Prometheus at most every few minutes: they
    change only with its configuration, and asking costs two requests."""
    key = f"metrics:prometheus-settings:{client.config.url}"
    found = cache.get(key)
    if isinstance(found, PrometheusSettings):
        return found
    found = client.settings()
    cache.set(key, found, SETTINGS_CACHE_SECONDS)
    return found


def metrics_response(request: MeshRequest, kind: str, namespace: str, name: str) -> JsonResponse:
    cluster = request.GET.get("clusterName") or request.mesh.registry.home
    try:
        visible = namespace_for(request, cluster, namespace)
    except PermissionDenied as exc:
        return api_error(str(exc) or "forbidden", 403)
    try:
        params = parse_params(dict(request.GET.lists()))
        if kind == "service" and params.direction == "outbound":
            # Kiali would drop the service's labels and answer with unrelated traffic.
            raise ParameterError("direction", "services have inbound metrics only")
    except ParameterError as exc:
        return api_error(str(exc), 400)
    client = prometheus_for(request, "metrics")
    try:
        needs_scrape = not (params.step and params.rate_interval)
        scrape = prometheus_settings(client).scrape_interval if needs_scrape else 0.0
        window = resolve_window(
            params,
            now=time.time(),
            scrape_interval=scrape,
            namespace_created=created_seconds(visible)
            if request.mesh.config.kiali_internal.metrics_since_namespace_creation
            else None,
        )
        target = Target(kind, namespace, name, cluster)
        scope = request.mesh.config.external_services.prometheus.query_scope
        result = fetch_metrics(client, target, params, window, scope)
    except ParameterError as exc:
        return api_error(str(exc), 400)
    except PrometheusError as exc:
        return api_error(f"metrics unavailable: {exc}", 503)
    finally:
        client.close()
    return JsonResponse(to_kiali_json(result))


@require_GET
def workload_metrics(request: MeshRequest, namespace: str, workload: str) -> JsonResponse:
    return metrics_response(request, "workload", namespace, workload)


@require_GET
def app_metrics(request: MeshRequest, namespace: str, app: str) -> JsonResponse:
    return metrics_response(request, "app", namespace, app)


@require_GET
def service_metrics(request: MeshRequest, namespace: str, service: str) -> JsonResponse:
    return metrics_response(request, "service", namespace, service)


@require_GET
def namespace_metrics(request: MeshRequest, namespace: str) -> JsonResponse:
    return metrics_response(request, "namespace", namespace, "")
