"""Grafana and tracing links of a metrics panel, built from configuration alone."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from kiali_site.config import GrafanaConfig, GrafanaDashboard, TracingConfig
from mesh.metrics.links import grafana_links, tracing_link

ISTIO_DASHBOARDS = [
    GrafanaDashboard(
        "Istio Service Dashboard",
        {"namespace": "var-namespace", "service": "var-service", "datasource": "var-datasource"},
    ),
    GrafanaDashboard(
        "Istio Workload Dashboard", {"namespace": "var-namespace", "workload": "var-workload"}
    ),
    GrafanaDashboard("Istio Mesh Dashboard", {}),
]


def test_no_grafana_links_without_an_external_url_or_when_disabled() -> None:
    assert grafana_links(GrafanaConfig(dashboards=ISTIO_DASHBOARDS), "workload", "ns", "w") == []
    off = GrafanaConfig(enabled=False, external_url="https://g", dashboards=ISTIO_DASHBOARDS)
    assert grafana_links(off, "workload", "ns", "w") == []


def test_a_workload_gets_the_dashboards_that_take_a_workload_variable() -> None:
    grafana = GrafanaConfig(external_url="https://grafana.example/", dashboards=ISTIO_DASHBOARDS)
    [link] = grafana_links(grafana, "workload", "shop", "cart-v1")
    assert link.title == "View in Grafana: Istio Workload Dashboard"
    assert link.url == (
        "https://grafana.example/dashboard/db/istio-workload-dashboard"
        "?var-namespace=shop&var-workload=cart-v1"
    )


def test_a_service_link_names_the_service_by_its_host_and_passes_the_datasource() -> None:
    grafana = GrafanaConfig(
        external_url="https://g", dashboards=ISTIO_DASHBOARDS, datasource_uid="prom-1"
    )
    [link] = grafana_links(grafana, "service", "shop", "cart")
    query = parse_qs(urlsplit(link.url).query)
    assert query == {
        "var-namespace": ["shop"],
        "var-service": ["cart.shop.svc.cluster.local"],
        "var-datasource": ["prom-1"],
    }


def test_tracing_links_for_jaeger_and_tempo() -> None:
    assert tracing_link(TracingConfig(external_url="https://j"), "shop", "cart") is None  # disabled
    jaeger = tracing_link(TracingConfig(enabled=True, external_url="https://j/"), "shop", "cart")
    assert jaeger is not None and jaeger.url == "https://j/search?service=cart.shop"
    bare = TracingConfig(enabled=True, external_url="https://j", namespace_selector=False)
    assert tracing_link(bare, "shop", "cart").url == "https://j/search?service=cart"  # type: ignore[union-attr]
    tempo = tracing_link(
        TracingConfig(enabled=True, provider="tempo", external_url="https://g"), "shop", "cart"
    )
    assert tempo is not None and tempo.url.startswith("https://g/explore?left=")
    assert "cart.shop" in parse_qs(urlsplit(tempo.url).query)["left"][0]
