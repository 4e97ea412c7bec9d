"""Logging in through the real OpenID provider in headless Chromium, and out again."""

from __future__ import annotations

import re
import time

import pytest

from kiali_site.auth.openid import forget_provider_metadata
from tests.plugins.auth import visible_to
from tests.plugins.auth_peers import openid_auth
from tests.plugins.browser import screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("auth-clusters"),
]


@pytest.fixture
def openid_console(auth_clusters, oidc_provider, auth_pki, console_on, settings):
    forget_provider_metadata()
    settings.KIALI_CA_BUNDLE = str(auth_pki.ca_file)
    console_on(
        auth_clusters.east,
        config={"auth": openid_auth(oidc_provider)},
    )
    yield
    forget_provider_metadata()


def test_bob_logs_in_with_openid_sees_his_namespaces_and_logs_out(
    browser, live_server, openid_console, oidc_provider
):
    context = browser.new_context(
        ignore_https_errors=True, viewport={"width": 1400, "height": 1000}
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        started = time.monotonic()
        page.goto(f"{live_server.url}/mesh/")
        # Logged out with nothing to say: straight to the provider's sign-in form.
        assert page.url.startswith(oidc_provider.issuer)
        page.fill("#username", "bob")
        page.fill("#password", oidc_provider.passwords["bob"])
        page.click("#sign-in")
        page.wait_for_url(f"{live_server.url}/mesh/")
        elapsed = time.monotonic() - started
        assert page.locator("#user-menu summary").inner_text() == "bob"

        session_id = next(c["value"] for c in context.cookies() if c["name"] == "sessionid")
        assert visible_to(session_id) == {("east", "bookinfo"), ("east", "ecommerce")}
        info = page.request.get(f"{live_server.url}/api/namespaces/bookinfo/info?clusterName=east")
        assert info.status == 200
        hidden = page.request.get(f"{live_server.url}/api/namespaces/sample/info?clusterName=west")
        assert hidden.status == 403
        screenshot(page, "openid-logged-in")

        page.click("#user-menu summary")
        page.click("#logout")
        page.click("#confirm-logout")  # the provider asks before ending its own session
        page.wait_for_url(re.compile(r".*/login/\?bye=1$"))
        assert page.locator("#login-notice").inner_text() == "You are logged out."
        screenshot(page, "openid-logged-out")
        # Both sessions are gone: the console sends us to the provider, which asks again.
        page.goto(f"{live_server.url}/mesh/")
        assert page.url.startswith(oidc_provider.issuer)
        assert page.locator("#username").is_visible()
        print(f"browser OpenID login took {elapsed:.2f}s")
    finally:
        context.close()
