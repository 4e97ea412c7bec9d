"""One namespace choice, kept from page to page (SH-02): bookinfo chosen on Applications stays
chosen on Workloads, Services, Istio Config and the graph, in the URL every time."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from mesh.sim.demo import publish_remote_cluster
from tests.plugins.browser import screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("clusters"),
]

ROW_NAMESPACES = (
    "() => Array.from(document.querySelectorAll('tbody tr[data-namespace]'))"
    ".map(r => r.dataset.namespace)"
)


def choose(page, *names: str) -> None:
    """Tick `names` in the namespace menu (after filtering it by each), then close it."""
    page.click("#namespace-select > summary")
    for name in names:
        page.fill("[data-ns-filter]", name[:4])
        page.check(f'li[data-ns="{name}"] input')
    page.keyboard.press("Escape")


def chosen_in(url: str) -> str | None:
    """The `namespaces` parameter of `url`, or None when it has none or several."""
    values = parse_qs(urlsplit(url).query, keep_blank_values=True).get("namespaces", [])
    return values[0] if len(values) == 1 else None


def shown_namespaces(page) -> set[str]:
    return set(page.evaluate(ROW_NAMESPACES))


def test_bookinfo_chosen_on_applications_stays_chosen_everywhere(
    page, live_server, demo_mesh, east_cluster, west_cluster, prometheus_server, console_on
):
    publish_remote_cluster(east_cluster, west_cluster)
    console_on(
        east_cluster, config={"external_services": {"prometheus": {"url": prometheus_server.url}}}
    )
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(f"{live_server.url}/applications/")
    assert len(shown_namespaces(page)) > 1  # no choice yet: every namespace

    page.click("#namespace-select > summary")
    page.fill("[data-ns-filter]", "book")
    assert page.locator('li[data-ns="sample"]').is_hidden()
    assert page.locator('li[data-ns="bookinfo"]').is_visible()
    screenshot(page, "scope-namespace-menu")
    page.check('li[data-ns="bookinfo"] input')
    page.keyboard.press("Escape")  # the choice applies when the menu closes
    page.wait_for_url(lambda url: "/applications/" in url and chosen_in(url) == "bookinfo")
    page.wait_for_function(f"() => ({ROW_NAMESPACES})().every(n => n === 'bookinfo')")
    assert page.locator("#namespace-select summary").inner_text().strip() == "Namespace: bookinfo"

    for label, path in (
        ("Workloads", "workloads"),
        ("Services", "services"),
        ("Istio Config", "istio"),
    ):
        page.click(f"nav >> text={label}")
        page.wait_for_url(
            lambda url, path=path: f"/{path}/" in url and chosen_in(url) == "bookinfo"
        )
        assert shown_namespaces(page) == {"bookinfo"}, label
        assert "Namespace: bookinfo" in page.locator("#namespace-select summary").inner_text()
    page.set_viewport_size({"width": 1280, "height": 800})
    screenshot(page, "scope-istio-config-bookinfo-1280")

    page.click("nav >> text=Traffic Graph")
    page.wait_for_url(lambda url: "/graph/" in url and chosen_in(url) == "bookinfo")
    assert page.locator('li[data-ns="bookinfo"] input').is_checked()
    assert "No namespace is selected" not in page.locator("main").inner_text()
    page.wait_for_function(
        "() => window.meshGraph && window.meshGraph.cy && window.meshGraph.cy.nodes().length > 0"
    )
    screenshot(page, "scope-graph-bookinfo-1280")

    # Select all, then back on a list: every namespace, still in one parameter
    page.click("nav >> text=Workloads")
    page.wait_for_url(lambda url: "/workloads/" in url and chosen_in(url) == "bookinfo")
    page.click("#namespace-select > summary")
    page.check("[data-ns-all]")
    page.keyboard.press("Escape")
    page.wait_for_url(lambda url: "," in (chosen_in(url) or ""))
    page.wait_for_function(f"() => new Set(({ROW_NAMESPACES})()).size > 1")
    assert "selected" in page.locator("#namespace-select summary").inner_text()


def test_lists_reload_on_their_refresh_interval_and_on_the_button(
    page, live_server, demo_mesh, east_cluster, prometheus_server, console_on
):
    console_on(
        east_cluster, config={"external_services": {"prometheus": {"url": prometheus_server.url}}}
    )
    page.goto(f"{live_server.url}/workloads/?namespaces=")
    assert page.locator("#scope-refresh").input_value() == "60000"  # ui_defaults: 1m
    reloads: list[str] = []
    page.on(
        "request",
        lambda r: reloads.append(r.url) if r.headers.get("hx-request") == "true" else None,
    )
    page.select_option("#scope-refresh", "10000")
    page.wait_for_url(lambda url: "refresh=10000" in url)
    after_change = len(reloads)
    page.wait_for_timeout(10_800)  # one interval, and a little
    assert len(reloads) > after_change, "no reload after one refresh interval"
    page.select_option("#scope-refresh", "0")
    page.wait_for_url(lambda url: "refresh=0" in url)
    paused = len(reloads)
    page.click("[data-refresh-now]")
    page.wait_for_timeout(500)
    assert len(reloads) == paused + 1
    # the interval follows the user, as their namespaces do
    page.click("nav >> text=Services")
    page.wait_for_url(lambda url: "/services/" in url and "refresh=0" in url)
    assert page.locator("#scope-refresh").input_value() == "0"
