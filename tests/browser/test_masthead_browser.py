"""The masthead at Kiali's standard: the Istio status indicator per cluster, the help menu
with About and the configuration, and notifications for background requests that fail."""

from __future__ import annotations

import pytest

from mesh.sim.demo import publish_remote_cluster
from tests.plugins.browser import screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("clusters"),
]


def test_istio_status_help_menu_and_a_notification(
    page, live_server, demo_mesh, east_cluster, west_cluster, prometheus_server, console_on
):
    publish_remote_cluster(east_cluster, west_cluster)
    console_on(
        east_cluster, config={"external_services": {"prometheus": {"url": prometheus_server.url}}}
    )
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/applications/?namespaces=")  # reads both clusters
    page.goto(f"{live_server.url}/overview/")
    status = page.locator("#istio-status")
    assert status.get_attribute("data-state") == "ok"
    page.click("#istio-status > summary")
    panel = status.locator(".console-menu__panel")
    assert panel.is_visible()
    for cluster in ("east", "west"):
        assert "istiod" in panel.locator(f'[data-cluster="{cluster}"]').inner_text()
    screenshot(page, "masthead-istio-status")
    page.click("main h1")  # a click elsewhere closes the menu
    assert not panel.is_visible()

    page.click("#help-menu > summary")
    page.click("#help-menu >> text=About")
    page.wait_for_url("**/about/")
    assert page.locator("#about-console").inner_text() == "0.1.0"
    assert page.locator('#about-clusters tr[data-cluster="west"]').count() == 1
    page.click("text=View the configuration")
    page.wait_for_url("**/about/config/")
    assert "strategy: anonymous" in page.locator("#effective-config").inner_text()

    # A filter change whose answer is an error (as a busy server's 503 would be) becomes
    # a toast and an entry in the masthead's notifications, with the server's own words.
    page.goto(f"{live_server.url}/workloads/?namespaces=")
    page.route(
        "**/workloads/?*health=Healthy*",
        lambda route: route.fulfill(
            status=503,
            content_type="application/json",
            body='{"error": "The console is busy: try again in 2 seconds."}',
        ),
    )
    page.select_option("#f-health", "Healthy")
    toast = page.locator("#toasts .pf-v5-c-alert")
    toast.wait_for()
    assert "(503)" in toast.inner_text() and "busy" in toast.inner_text()
    assert page.locator("[data-notification-count]").inner_text() == "1"
    page.click("#notifications > summary")
    assert "busy" in page.locator("[data-notification-list]").inner_text()
    screenshot(page, "masthead-notifications")
