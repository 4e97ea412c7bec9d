"""order-management-v2's workload detail page in headless Chromium: overview and metrics."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import NoReverseMatch, include, path, reverse

from tests.plugins.browser import screenshot
from tests.plugins.prometheus import DEAD_PROMETHEUS, ORDER_ERRORS, wait_for_samples

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("clusters"),
]
pytest_plugins = ["tests.plugins.demo"]


# The site's routes plus the metrics API the panel's charts read, for as long as the site
# does not include the metrics routes itself.
urlpatterns = [
    path("", include("mesh.views.urls_metrics")),
    path("", include("kiali_site.urls")),
]


def test_the_failing_workload_explains_itself_and_draws_its_inbound_metrics(
    page, live_server, settings, demo_mesh, east_cluster, prometheus_server, console_on
):
    cache.clear()
    try:
        reverse("api-workload-metrics", kwargs={"namespace": "x", "workload": "y"})
    except NoReverseMatch:
        settings.ROOT_URLCONF = __name__
    wait_for_samples(prometheus_server.url, ORDER_ERRORS)
    console_on(
        east_cluster, config={"external_services": {"prometheus": {"url": prometheus_server.url}}}
    )

    page.goto(f"{live_server.url}/workloads/east/ecommerce/order-management-v2/")
    health = page.locator("#health")
    assert health.locator("[data-health]").first.get_attribute("data-health") in (
        "Failure",
        "Degraded",
    )
    inbound = page.locator('#health-reasons li[data-part="inbound"]')
    assert "503" in inbound.first.inner_text()
    assert page.locator("#pods tbody tr").count() >= 1
    screenshot(page, "workload-detail")

    page.locator("#tab-inbound").click()
    page.wait_for_url("**tab=inbound")
    panel = page.locator("#metrics-inbound")
    panel.wait_for()
    # The charts draw once the panel's JSON arrives: uPlot puts a canvas in each plot.
    page.locator('.metrics-chart[data-metric="request_count"] canvas').first.wait_for()
    assert page.locator("#tab-inbound").get_attribute("aria-selected") == "true"
    assert "<html" not in page.locator("#detail-content").inner_html()
    screenshot(page, "workload-detail-metrics")

    page.locator("#tab-overview").click()
    page.wait_for_url("**tab=overview")
    # DT-08: the workload's neighbourhood, itself drawn bold, linking to its node graph
    page.wait_for_selector('.console-mini-graph[data-state="drawn"]')
    focus = page.evaluate(
        "() => window.miniGraph.nodes().filter(n => n.data('workload') === 'order-management-v2')"
        ".map(n => n.style('font-weight'))"
    )
    assert focus == ["bold"]
    assert page.evaluate("() => window.miniGraph.edges().length") >= 1
    link = page.locator("#mini-graph-link").get_attribute("href")
    assert link.startswith("/graph/node/namespaces/ecommerce/workloads/order-management-v2")
    screenshot(page, "workload-detail-mini-graph")


def test_the_namespace_page_draws_its_traffic_graph(
    page, live_server, demo_mesh, east_cluster, prometheus_server, console_on
):
    wait_for_samples(prometheus_server.url, ORDER_ERRORS)
    console_on(
        east_cluster, config={"external_services": {"prometheus": {"url": prometheus_server.url}}}
    )
    page.goto(f"{live_server.url}/namespaces/ecommerce/?clusterName=east")
    page.wait_for_selector('.console-mini-graph[data-state="drawn"]')  # ND-03
    assert page.evaluate("() => window.miniGraph.nodes().length") >= 5
    assert "nodes" in page.locator(".console-mini-graph__status").inner_text()
    screenshot(page, "namespace-mini-graph")
    page.locator("#mini-graph-link").click()
    page.wait_for_url("**/graph/?*namespaces=ecommerce*")
    page.wait_for_selector('#graph-canvas[data-state="drawn"]')


def test_the_mini_graph_says_why_it_is_missing_when_prometheus_is_down(
    page, live_server, demo_mesh, east_cluster, console_on
):
    console_on(east_cluster, config={"external_services": {"prometheus": {"url": DEAD_PROMETHEUS}}})
    page.goto(f"{live_server.url}/namespaces/ecommerce/?clusterName=east")
    page.wait_for_selector('.console-mini-graph[data-state="error"]', state="attached")
    status = page.locator(".console-mini-graph__status").inner_text()
    assert status.startswith("The graph could not be drawn:") and "Prometheus" in status
