"""The Overview's service insights card (OV-06), loaded on its own (OV-07): the rest of the
Overview comes from caches and answers at once, while this card asks Prometheus; it shows a
spinner until it arrives and, when Prometheus fails, says why with a "Try again" button."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from kiali_site.access import visible_namespaces
from kiali_site.context import MeshRequest
from mesh.insights import DEFAULT_METRICS, METRICS, ServiceStat, service_insights
from mesh.prometheus.client import PrometheusError
from mesh.views.common import prometheus_for

SESSION_KEY = "overview_insights"


def chosen_metrics(request: MeshRequest) -> list[str]:
    """The metrics asked for (`metric=` repeated), else the session's, else the defaults;
    the choice is remembered for the next visit ("Manage metrics")."""
    if "metric" in request.GET or "metrics-form" in request.GET:
        chosen = [m for m in METRICS if m in request.GET.getlist("metric")]
        request.session[SESSION_KEY] = chosen
        return chosen
    remembered = request.session.get(SESSION_KEY)
    if isinstance(remembered, list):
        return [m for m in METRICS if m in remembered]
    return list(DEFAULT_METRICS)


def _link(stat: ServiceStat) -> str:
    return reverse("service_detail", args=[stat.cluster, stat.namespace, stat.service])


@require_GET
def overview_insights(request: MeshRequest) -> HttpResponse:
    chosen = chosen_metrics(request)
    visible, _ = visible_namespaces(request)
    names = {cluster: [ns.name for ns in namespaces] for cluster, namespaces in visible.items()}
    window = f"{int(float(request.mesh.config.health_config.compute.duration))}s"
    context: dict[str, object] = {
        "metrics": [(key, label, key in chosen) for key, label in METRICS.items()],
        "window": window,
        "multi_cluster": request.mesh.registry.is_multi_cluster,
    }
    client = prometheus_for(request, "pages")
    try:
        found = service_insights(client.query, names, window, chosen)
    except PrometheusError as exc:
        context["error"] = f"metrics unavailable: {exc}"
    else:
        context["sections"] = [
            (key, METRICS[key], [(stat, _link(stat)) for stat in found[key]]) for key in chosen
        ]
    finally:
        client.close()
    return render(request, "inventory/_insights.html", context)
