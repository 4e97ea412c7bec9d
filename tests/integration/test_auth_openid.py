"""OpenID login through a real provider; the API servers decide on the ID token itself."""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.sessions.backends.db import SessionStore

from kiali_site.auth.openid import forget_provider_metadata
from tests.plugins.auth import provider_session, sign_in_at_provider, visible_to
from tests.plugins.auth_peers import openid_auth

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("auth-clusters")]


@pytest.fixture
def openid_console(auth_clusters, oidc_provider, auth_pki, console_on, settings):
    forget_provider_metadata()
    settings.KIALI_CA_BUNDLE = str(auth_pki.ca_file)
    console_on(
        auth_clusters.east,
        config={
            "auth": openid_auth(oidc_provider, username_claim="sub"),
            "kubernetes_config": {"cache_token_namespace_duration": 0},
        },
    )
    yield
    forget_provider_metadata()


def start_login(client, next_url="/mesh/"):
    first = client.get(f"/login/?next={next_url}")
    assert first.status_code == 302
    assert first["Location"].startswith("/api/auth/openid_redirect")
    to_provider = client.get(first["Location"])
    assert to_provider.status_code == 302
    return to_provider["Location"]


def log_in(client, oidc_provider, auth_pki, user):
    authorize = start_login(client)
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"] and query["nonce"] and query["code_challenge"]
    callback = sign_in_at_provider(
        provider_session(str(auth_pki.ca_file)), authorize, user, oidc_provider.passwords[user]
    )
    return callback, client.get(callback)


def stored_id_token(client) -> str:
    session = SessionStore(client.cookies["sessionid"].value)
    return session["kiali.auth"]["shared_token"]


def test_bob_logs_in_and_sees_bookinfo_and_ecommerce_on_east_only(
    openid_console, client, oidc_provider, auth_pki
):
    started = time.monotonic()
    _, landing = log_in(client, oidc_provider, auth_pki, "bob")
    elapsed = time.monotonic() - started
    assert landing.status_code == 302
    assert landing["Location"] == "/mesh/"
    # The same ID token goes to west too, whose RBAC grants bob nothing.
    assert visible_to(client) == {("east", "bookinfo"), ("east", "ecommerce")}
    page = client.get("/mesh/")
    assert page.status_code == 200
    assert b">bob</summary>" in page.content
    print(f"OpenID login (provider form to console session) took {elapsed:.2f}s")


def test_carol_sees_sample_on_both_clusters_with_one_login(
    openid_console, client, oidc_provider, auth_pki
):
    log_in(client, oidc_provider, auth_pki, "carol")
    assert visible_to(client) == {("east", "sample"), ("west", "sample")}


def test_eve_gets_an_empty_console_with_a_message(openid_console, client, oidc_provider, auth_pki):
    log_in(client, oidc_provider, auth_pki, "eve")
    assert visible_to(client) == set()
    assert b'id="no-namespaces"' in client.get("/mesh/").content


def test_a_forged_state_opens_no_session(openid_console, client):
    start_login(client)
    forged = client.get("/api/auth/openid_callback?code=abc&state=forged-state")
    assert forged.status_code == 400
    assert client.get("/mesh/").status_code == 302


def test_a_replayed_code_opens_no_session(openid_console, client, oidc_provider, auth_pki):
    callback, landing = log_in(client, oidc_provider, auth_pki, "bob")
    assert landing.status_code == 302
    # The same callback again in the same session: its state was used up (400)...
    assert client.get(callback).status_code == 400
    client.post("/logout/")
    # ...and after logout there is no login in progress at all.
    again = client.get(callback)
    assert again.status_code == 302
    assert again["Location"].startswith("/login/?error=")
    # ...and with a fresh state the provider refuses the used code.
    authorize = start_login(client)
    fresh_state = parse_qs(urlsplit(authorize).query)["state"][0]
    old_code = parse_qs(urlsplit(callback).query)["code"][0]
    replay = client.get(f"/api/auth/openid_callback?code={old_code}&state={fresh_state}")
    assert replay.status_code == 302
    assert replay["Location"].startswith("/login/?error=")
    assert client.get("/mesh/").status_code == 302


def test_the_id_token_never_appears_in_logs_or_responses(
    openid_console, client, oidc_provider, auth_pki, caplog
):
    caplog.set_level(logging.DEBUG)
    responses = [client.get("/login/?next=/mesh/")]
    responses.append(client.get(responses[0]["Location"]))
    callback = sign_in_at_provider(
        provider_session(str(auth_pki.ca_file)),
        responses[-1]["Location"],
        "alice",
        oidc_provider.passwords["alice"],
    )
    responses.append(client.get(callback))
    token = stored_id_token(client)
    assert token.count(".") == 2  # a JWT
    for url in ("/mesh/", "/api/auth/info", "/api/namespaces/bookinfo/info?clusterName=east"):
        responses.append(client.get(url))
    responses.append(client.post("/logout/"))
    for response in responses:
        assert token not in response.content.decode(errors="replace")
        assert token not in str(response.headers)
    assert oidc_provider.client_secret not in caplog.text
    assert token not in caplog.text
    assert "login: strategy=openid user=alice" in caplog.text


def test_logout_ends_the_session_and_sends_the_browser_to_the_provider(
    openid_console, client, oidc_provider, auth_pki
):
    log_in(client, oidc_provider, auth_pki, "carol")
    response = client.post("/logout/")
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}" == oidc_provider.issuer
    query = parse_qs(target.query)
    assert query["client_id"] == [oidc_provider.client_id]
    assert query["post_logout_redirect_uri"] == ["http://testserver/login/?bye=1"]
    assert client.get("/mesh/").status_code == 302
