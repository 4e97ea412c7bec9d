"""Routes of the metrics layer: Kiali's metrics JSON API and the stand-alone metrics page."""

from django.urls import URLPattern, path

from mesh.api import metrics as api
from mesh.views import metrics as pages

urlpatterns: list[URLPattern] = [
    path(
        "api/namespaces/<str:namespace>/workloads/<str:workload>/metrics",
        api.workload_metrics,
        name="api-workload-metrics",
    ),
    path(
        "api/namespaces/<str:namespace>/apps/<str:app>/metrics",
        api.app_metrics,
        name="api-app-metrics",
    ),
    path(
        "api/namespaces/<str:namespace>/services/<str:service>/metrics",
        api.service_metrics,
        name="api-service-metrics",
    ),
    path(
        "api/namespaces/<str:namespace>/metrics",
        api.namespace_metrics,
        name="api-namespace-metrics",
    ),
    path(
        "metrics/<str:cluster>/<str:namespace>/<str:kind>/<str:name>/",
        pages.object_metrics,
        name="object_metrics",
    ),
]
