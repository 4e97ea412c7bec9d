"""The metrics page of a failing workload in headless Chromium: charts drawn, with legends."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.plugins.browser import screenshot
from tests.plugins.prometheus import wait_for_samples

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("clusters"),
    pytest.mark.urls("tests.integration.metrics_urls"),
]


def test_order_management_v2_inbound_metrics_are_charted(
    page, live_server, demo_mesh, east_cluster, prometheus_server, console_on
):
    cache.clear()
    wait_for_samples(prometheus_server.url, "count_over_time(up[20s]) >= 15")
    console_on(
        east_cluster, config={"external_services": {"prometheus": {"url": prometheus_server.url}}}
    )
    page.goto(
        f"{live_server.url}/metrics/east/ecommerce/workloads/order-management-v2/?duration=300"
    )
    page.wait_for_selector('.metrics-panel[data-state="loaded"]')
    volume = page.locator('.metrics-chart[data-metric="request_count"]')
    assert volume.get_attribute("data-state") == "drawn"
    assert volume.locator("canvas").count() == 1
    legend = [
        text.strip() for text in volume.locator(".u-legend .u-series .u-label").all_inner_texts()
    ]
    # time, then ecommerce-ui's requests and its errors
    assert legend[1:] == ["ecommerce-ui ecommerce", "ecommerce-ui ecommerce (errors)"]
    duration = page.locator('.metrics-chart[data-metric="request_duration_millis"]')
    assert duration.get_attribute("data-state") == "drawn"
    grpc = page.locator('.metrics-chart[data-metric="grpc_sent"]')
    assert grpc.get_attribute("data-state") == "empty" and "No data" in grpc.inner_text()
    assert page.locator("#tab-inbound").get_attribute("aria-selected") == "true"
    screenshot(page, "metrics-order-management")

    page.select_option('select[name="reporter"]', "source")  # applies on change
    page.wait_for_url("**reporter=source**")
    page.wait_for_selector('.metrics-panel[data-state="loaded"]')
    assert page.locator('select[name="reporter"]').input_value() == "source"

    # the refresh control reloads the charts' data in place, not the page
    page.evaluate("() => { window.stayed = true; }")
    with page.expect_response(lambda r: "/api/" in r.url and "/metrics?" in r.url):
        page.click("[data-refresh-now]")
    page.wait_for_selector('.metrics-panel[data-state="loaded"]')
    assert page.evaluate("() => window.stayed") is True
    page.select_option('select[name="refresh"]', "10000")
    assert "refresh=10000" in page.url and page.evaluate("() => window.stayed") is True


def test_prometheus_down_is_said_in_the_panel(
    page, live_server, demo_mesh, east_cluster, console_on
):
    cache.clear()
    console_on(
        east_cluster, config={"external_services": {"prometheus": {"url": "http://127.0.0.1:9"}}}
    )
    page.goto(f"{live_server.url}/metrics/east/ecommerce/workloads/order-management-v2/")
    page.wait_for_selector('.metrics-panel[data-state="error"]')
    status = page.locator(".metrics-panel__status").inner_text()
    # The page's own check found Prometheus refusing; the panel names that outage.
    assert status.startswith("metrics unavailable: ") and "connection refused" in status
