"""The Applications list of the two-cluster demo mesh in headless Chromium, with a screenshot."""

from __future__ import annotations

import pytest

from tests.plugins.browser import screenshot
from tests.plugins.demo import serve_demo_with_health

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("clusters"),
]


def test_the_applications_page_shows_both_clusters_health_and_canary_labels(
    page, live_server, demo_mesh, east_cluster, west_cluster, prometheus_server, console_on
):
    serve_demo_with_health(east_cluster, west_cluster, prometheus_server, console_on)

    page.goto(f"{live_server.url}/applications/?namespaces=ecommerce,sample")
    table = page.locator("#inventory-list")
    headers = table.locator("thead th").all_inner_texts()
    assert "Cluster" in headers

    def row(name: str, cluster: str = "east"):
        return table.locator(f'tbody tr[data-name="{name}"][data-cluster="{cluster}"]')

    catalog = row("product-catalog")
    assert "version=v1,v2" in catalog.inner_text()
    assert "VS product-catalog" in catalog.inner_text()
    assert row("order-management").get_attribute("data-health") in ("Failure", "Degraded")
    for cluster in ("east", "west"):
        hello = row("helloworld", cluster)
        assert hello.count() == 1
        assert hello.get_attribute("data-health") == "Healthy"
        assert cluster in hello.locator('td[data-label="Cluster"]').inner_text()
    # order-management fails; every other application of the demo is Healthy
    for name in (
        "ecommerce-ui",
        "product-catalog",
        "product-inventory",
        "profile-management",
        "shipping-and-handling",
        "contact-support-team",
    ):
        assert row(name).get_attribute("data-health") == "Healthy", name
    for cluster in ("east", "west"):
        assert row("sleep", cluster).get_attribute("data-health") == "Healthy"
    assert "Gateway" in (
        row("ecommerce-ui").locator('[data-ref="Gateway"]').get_attribute("title") or ""
    )
    assert "computed" in page.locator("#health-age").inner_text()

    # hovering a health badge explains it (HE-06): pods, traffic, and the failing part
    failing = row("order-management").locator('td[data-label="Health"]')
    failing.locator(".console-popover__toggle").hover()
    popover = failing.locator('[role="tooltip"]')
    assert popover.is_visible()
    text = popover.inner_text()
    assert "pods available" in text and "req/s" in text
    assert popover.locator('[data-reason="inbound"]').count() >= 1
    assert "errors" in popover.locator('[data-reason="inbound"]').first.inner_text()
    screenshot(page, "applications-health-popover")
    healthy = row("product-catalog").locator('td[data-label="Health"]')
    healthy.locator(".console-popover__toggle").focus()  # keyboard users get it too
    assert "within its tolerances" in healthy.locator('[role="tooltip"]').inner_text()

    # filtering by health goes through HTMX and keeps the state in the URL
    page.select_option("#f-health", "Healthy")
    page.wait_for_url("**health=Healthy**")
    page.wait_for_function(
        "() => !document.querySelector('#inventory-list tr[data-name=\"order-management\"]')"
    )
    statuses = set(table.locator("tbody tr").evaluate_all("rs => rs.map(r => r.dataset.health)"))
    assert statuses == {"Healthy"}
    page.goto(f"{live_server.url}/applications/?namespaces=ecommerce,sample")
    screenshot(page, "applications-page")
