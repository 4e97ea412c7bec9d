"""The Traffic Shifting wizard in headless Chromium: weights, preview, apply."""

from __future__ import annotations

import pytest

from tests.integration.test_wizards import routing_object, shop  # noqa: F401 - the fixture
from tests.plugins.browser import screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("clusters"),
]
pytest_plugins = ["tests.plugins.demo"]


def test_shift_seventy_thirty_from_the_service_page(page, live_server, east_cluster, shop):  # noqa: F811
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/login/?next=/services/east/{shop}/shop/")
    page.fill("input[name=token]", east_cluster.tokens["alice"])
    page.click("button[type=submit]")
    page.wait_for_url(f"**/services/east/{shop}/shop/**")
    page.click("#detail-actions summary")
    page.click("#action-traffic-shifting")
    page.wait_for_url("**/wizards/traffic-shifting/")
    page.fill('input[name="weight-v1"]', "70")
    page.fill('input[name="weight-v2"]', "30")
    page.click("#wizard-preview-button")
    page.wait_for_selector("#wizard-preview")
    assert page.locator('#wizard-dry-run li[data-ok="yes"]').count() == 2
    assert "weight: 70" in page.locator('pre[data-kind="VirtualService"]').inner_text()
    screenshot(page, "wizard-traffic-shifting-preview")
    page.click("#wizard-apply")
    page.wait_for_selector("#wizard-result")
    assert "Traffic Shifting applied" in page.locator("#wizard-result").inner_text()
    screenshot(page, "wizard-traffic-shifting-applied")
    routes = routing_object(east_cluster, shop, "virtualservices")["spec"]["http"][0]["route"]
    assert [r["weight"] for r in routes] == [70, 30]
    page.goto(f"{live_server.url}/services/east/{shop}/shop/")
    page.click("#detail-actions summary")
    screenshot(page, "wizard-actions-menu")
    page.click("#action-delete-traffic-routing")
    page.wait_for_url("**/wizards/delete-traffic-routing/")
    listed = page.locator("#wizard-doomed li").all_inner_texts()
    assert [text.split()[0] for text in listed] == ["VirtualService", "DestinationRule"]
    screenshot(page, "wizard-delete-traffic-routing")
