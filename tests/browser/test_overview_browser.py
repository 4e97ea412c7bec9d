"""The Overview in headless Chromium: its cards, and the service insights card that loads
on its own from Prometheus (OV-06, OV-07)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.plugins.browser import screenshot
from tests.plugins.demo import serve_demo_with_health
from tests.plugins.prometheus import DEAD_PROMETHEUS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("clusters"),
]


def test_service_insights_rank_the_failing_service_and_remember_the_chosen_metrics(
    page, live_server, demo_mesh, east_cluster, west_cluster, prometheus_server, console_on
):
    serve_demo_with_health(east_cluster, west_cluster, prometheus_server, console_on)
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(f"{live_server.url}/overview/")
    errors = page.wait_for_selector('#card-insights-body section[data-metric="errors"]')
    first = errors.query_selector("li")
    assert first.get_attribute("data-service") == "order-management"
    assert first.query_selector("a").get_attribute("href") == (
        "/services/east/ecommerce/order-management/"
    )
    assert "%" in first.inner_text()
    latency = page.locator('#card-insights-body section[data-metric="latency"] li')
    assert latency.count() >= 1 and " ms" in latency.first.inner_text()
    assert page.locator('section[data-metric="throughput"]').count() == 0
    screenshot(page, "overview-1600")

    page.click(".console-insights__menu summary")
    page.check('input[name="metric"][value="throughput"]')
    page.wait_for_selector('#card-insights-body section[data-metric="throughput"] li')
    page.reload()  # the choice is remembered
    page.wait_for_selector('#card-insights-body section[data-metric="throughput"] li')
    page.set_viewport_size({"width": 1280, "height": 800})
    screenshot(page, "overview-1280")


def test_the_insights_card_fails_on_its_own_and_can_be_tried_again(
    page, live_server, demo_mesh, east_cluster, console_on
):
    cache.clear()
    console_on(east_cluster, config={"external_services": {"prometheus": {"url": DEAD_PROMETHEUS}}})
    page.goto(f"{live_server.url}/overview/")
    alert = page.wait_for_selector("#insights-error")
    assert "metrics unavailable" in alert.inner_text()
    # the other cards answered regardless
    assert page.locator("#card-clusters .console-count").first.inner_text() != ""
    page.click("#insights-retry")
    page.wait_for_selector("#insights-error")
    screenshot(page, "overview-insights-error")
