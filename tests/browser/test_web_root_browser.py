"""The console under Kiali's server.web_root (/kiali) behind gunicorn, in Chromium: pages,
navigation, HTMX tabs, static files and the graph's data all stay under the prefix."""

from __future__ import annotations

import pytest

from tests.plugins.browser import screenshot
from tests.plugins.prometheus import wait_for_samples

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("clusters")]


def test_the_console_works_under_kiali(page, gunicorn_console, prometheus_server):
    wait_for_samples(prometheus_server.url, "sum(rate(istio_requests_total[60s])) > 0")
    server, _ = gunicorn_console(
        {
            "server": {"web_root": "/kiali"},
            "external_services": {"prometheus": {"url": prometheus_server.url}},
        }
    )
    page.goto(f"{server}/kiali/")
    assert page.url.endswith("/kiali/overview/")
    color = page.locator("header.pf-v5-c-masthead").evaluate(
        "el => getComputedStyle(el).backgroundColor"
    )
    assert color not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")  # the stylesheet loaded
    page.get_by_role("link", name="Workloads").first.click()
    page.wait_for_url("**/kiali/workloads/")
    page.locator('a[href^="/kiali/workloads/east/bookinfo/"]').first.click()
    page.wait_for_url("**/kiali/workloads/east/bookinfo/**")
    page.locator("#tab-traffic").click()  # an HTMX tab: its request carries the prefix too
    page.wait_for_url("**tab=traffic**")
    page.goto(f"{server}/kiali/graph/?namespaces=bookinfo&graphType=workload")
    page.wait_for_selector('#graph-canvas[data-state="drawn"]', state="attached")
    screenshot(page, "web-root-graph")
