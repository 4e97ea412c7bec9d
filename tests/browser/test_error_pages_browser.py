"""The console's own 404 and 500 pages in Chromium, with DEBUG off as the demo runs."""

from __future__ import annotations

import pytest

from tests.plugins.browser import screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("clusters"),
]


def test_an_unknown_address_and_a_failing_page_show_the_consoles_own_pages(
    page, live_server, demo_mesh, east_cluster, console_on, settings, monkeypatch
):
    settings.DEBUG = False
    console_on(east_cluster)
    missing = page.goto(f"{live_server.url}/no/such/page/")
    assert missing.status == 404
    assert page.locator(".pf-v5-c-alert__title").inner_text() == "There is nothing at this address."
    assert page.locator("nav.pf-v5-c-nav").count() == 1  # the console's chrome, not Django's
    assert "URLconf" not in page.content()
    screenshot(page, "error-404")

    def broken(*args, **kwargs):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr("mesh.views.mesh.mesh_status", broken)
    failed = page.goto(f"{live_server.url}/mesh/")
    assert failed.status == 500
    body = page.content()
    assert "The console failed to answer this request." in body
    assert "hunter2" not in body and "Traceback" not in body
    screenshot(page, "error-500")
