"""The metrics panel every detail page embeds, and the stand-alone metrics page.

`metrics_panel()` is the public seam: a detail page calls it with the object it shows and
includes `metrics/_panel.html` with the result. The panel is a GET form (reporter, range,
quantiles) whose state lives in the query string; the charts fetch the JSON API from the
URL the panel carries, with step and rate interval already chosen as Kiali's UI would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.http import Http404, HttpResponse, QueryDict
from django.urls import reverse
from django.views.decorators.http import require_GET

from kiali_site.access import namespace_for
from kiali_site.context import MeshRequest
from kiali_site.rendering import render_page
from mesh.api.metrics import prometheus_settings
from mesh.metrics.catalogue import BY_NAME, CHART_ORDER
from mesh.metrics.links import Link, grafana_links, tracing_link
from mesh.metrics.timing import choose_rate_interval, choose_step
from mesh.views.common import (
    REFRESH_CHOICES,
    TIME_RANGES,
    prometheus_for,
    refresh_of,
    time_ranges,
)

# URL segment -> (metrics kind, API route name, API argument name)
KINDS = {
    "workloads": ("workload", "api-workload-metrics", "workload"),
    "apps": ("app", "api-app-metrics", "app"),
    "services": ("service", "api-service-metrics", "service"),
}
RANGES = TIME_RANGES
DEFAULT_RANGE = 600
REPORTERS = (
    ("destination", "Destination"),
    ("source", "Source"),
    ("both", "Both"),
)
QUANTILES = ("0.5", "0.95", "0.99", "0.999")
DEFAULT_GROUPING = {
    "inbound": ("source_canonical_service", "source_workload_namespace"),
    "outbound": ("destination_canonical_service", "destination_workload_namespace"),
}


@dataclass(frozen=True)
class Chart:
    metric: str
    title: str
    unit: str
    scale: float
    overlay: str = ""  # a second metric drawn in the same chart (errors on volume)


@dataclass(frozen=True)
class MetricsPanel:
    dom_id: str
    direction: str
    reporter: str
    duration: int
    quantiles: tuple[str, ...]
    data_url: str
    charts: list[Chart]
    ranges: list[tuple[int, str]]
    reporters: tuple[tuple[str, str], ...] = REPORTERS
    quantile_choices: tuple[str, ...] = QUANTILES
    keep: dict[str, str] = field(default_factory=dict)  # other query parameters of the page
    links: list[Link] = field(default_factory=list)
    refresh: int = 0  # ms between reloads of the charts' data; 0 pauses
    refresh_choices: tuple[tuple[int, str], ...] = REFRESH_CHOICES


def charts(names: tuple[str, ...] = CHART_ORDER) -> list[Chart]:
    found = []
    for name in names:
        metric = BY_NAME[name]
        overlay = "request_error_count" if name == "request_count" else ""
        found.append(
            Chart(name, metric.chart, metric.chart_unit or metric.unit, metric.scale, overlay)
        )
    return found


def panel_charts_url(
    request: MeshRequest,
    cluster: str,
    namespace: str,
    kind: str,
    name: str,
    duration: int,
    metrics: tuple[str, ...],
    by_labels: tuple[str, ...] = (),
    quantiles: tuple[str, ...] = (),
) -> str:
    """The metrics API call behind a graph panel's charts (GP-02, GP-05): `metrics` of the
    object's inbound traffic over the graph's window, as its destination proxies saw them."""
    segment = next(s for s, (k, _, _) in KINDS.items() if k == kind)
    _, route, argument = KINDS[segment]
    client = prometheus_for(request, "pages")
    try:
        settings = prometheus_settings(client)
    finally:
        client.close()
    step = choose_step(duration, settings.scrape_interval)
    params: list[tuple[str, str]] = [
        ("direction", "inbound"),
        ("reporter", "destination"),
        ("duration", str(duration)),
        ("step", str(step)),
        ("rateInterval", choose_rate_interval(step)),
        ("clusterName", cluster),
        *[("filters[]", f) for f in metrics],
        *[("byLabels[]", label) for label in by_labels],
        *[("quantiles[]", q) for q in quantiles],
    ]
    url = reverse(route, kwargs={"namespace": namespace, argument: name})
    return f"{url}?{urlencode(params)}"


NODE_CHART_METRICS = ("request_count", "request_error_count", "request_duration_millis")
TCP_CHART_METRICS = ("tcp_sent", "tcp_received")


def metrics_panel(
    request: MeshRequest,
    cluster: str,
    namespace: str,
    kind: str,
    name: str,
    direction: str,
) -> MetricsPanel:
    """The panel for one object (kind workload|app|service) and direction; the caller has
    already checked access to the namespace."""
    segment = next(s for s, (k, _, _) in KINDS.items() if k == kind)
    _, route, argument = KINDS[segment]
    query: QueryDict = request.GET
    client = prometheus_for(request, "metrics")
    try:
        settings = prometheus_settings(client)
    finally:
        client.close()
    ranges = time_ranges(settings.scrape_interval, settings.retention_period, RANGES)
    allowed = {seconds for seconds, _ in ranges}
    try:
        duration = int(query.get("duration", DEFAULT_RANGE))
    except ValueError:
        duration = DEFAULT_RANGE
    if duration not in allowed:
        duration = DEFAULT_RANGE if DEFAULT_RANGE in allowed else ranges[-1][0]
    default_reporter = "destination" if direction == "inbound" else "source"
    reporter = query.get("reporter", default_reporter)
    if reporter not in {r for r, _ in REPORTERS}:
        reporter = default_reporter
    quantiles = tuple(q for q in QUANTILES if q in query.getlist("quantiles"))
    by_labels = list(DEFAULT_GROUPING[direction])
    if reporter == "both":
        by_labels.append("reporter")
    step = choose_step(duration, settings.scrape_interval)
    params: list[tuple[str, str]] = [
        ("direction", direction),
        ("reporter", reporter),
        ("duration", str(duration)),
        ("step", str(step)),
        ("rateInterval", choose_rate_interval(step)),
        ("clusterName", cluster),
        *[("byLabels[]", label) for label in by_labels],
        *[("quantiles[]", q) for q in quantiles],
    ]
    url = reverse(route, kwargs={"namespace": namespace, argument: name})
    config = request.mesh.config.external_services
    links = grafana_links(config.grafana, kind, namespace, name)
    traced = tracing_link(config.tracing, namespace, name) if kind != "workload" else None
    if traced:
        links.append(traced)
    own = {"duration", "reporter", "quantiles", "refresh"}
    return MetricsPanel(
        dom_id=f"metrics-{direction}",
        direction=direction,
        reporter=reporter,
        duration=duration,
        quantiles=quantiles,
        data_url=f"{url}?{urlencode(params)}",
        charts=charts(),
        ranges=ranges,
        keep={k: query.get(k) or "" for k in query if k not in own},
        links=links,
        refresh=refresh_of(
            query, request.mesh.config.kiali_feature_flags.ui_defaults.refresh_interval
        ),
    )


@require_GET
def object_metrics(
    request: MeshRequest, cluster: str, namespace: str, kind: str, name: str
) -> HttpResponse:
    namespace_for(request, cluster, namespace)
    if kind not in KINDS:
        raise Http404(f"There are no metrics pages for {kind!r}.")
    metrics_kind = KINDS[kind][0]
    directions = ["inbound"] if metrics_kind == "service" else ["inbound", "outbound"]
    direction = request.GET.get("direction", "inbound")
    if direction not in directions:
        direction = "inbound"
    panel = metrics_panel(request, cluster, namespace, metrics_kind, name, direction)
    page_url = reverse(
        "object_metrics",
        kwargs={"cluster": cluster, "namespace": namespace, "kind": kind, "name": name},
    )
    tabs = [
        (d, f"{d.capitalize()} metrics", f"{page_url}?{urlencode({'direction': d})}")
        for d in directions
    ]
    context = {
        "cluster": cluster,
        "namespace": namespace,
        "kind": metrics_kind,
        "name": name,
        "panel": panel,
        "tabs": tabs,
        "page_url": page_url,
    }
    return render_page(request, "metrics/object.html", context)
