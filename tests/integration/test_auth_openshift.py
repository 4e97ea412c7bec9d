"""OpenShift OAuth login per cluster, against the OAuth stand-ins and real RBAC."""

from __future__ import annotations

import dataclasses
import time

import pytest
from django.contrib.sessions.backends.db import SessionStore

from kiali_site.auth.openshift import forget_oauth_metadata
from mesh.graph.render import hash_id
from tests.plugins.auth import provider_session, sign_in_at_oauth_server, visible_to
from tests.plugins.auth_peers import OPENSHIFT_CLIENT_ID, wait_for_webhook_cache
from tests.plugins.prometheus import wait_for_samples

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("auth-clusters")]


@pytest.fixture
def openshift_console(auth_clusters, auth_pki, console_on, settings):
    forget_oauth_metadata()
    settings.KIALI_CA_BUNDLE = str(auth_pki.ca_file)
    clusters = {
        name: {
            "client_id": OPENSHIFT_CLIENT_ID,
            "client_secret": auth_clusters.oauth_secret,
            "oauth_server_url": server.url,
        }
        for name, server in auth_clusters.oauth.items()
    }
    console_on(
        auth_clusters.east,
        config={
            "auth": {"strategy": "openshift", "openshift": {"clusters": clusters}},
            "kubernetes_config": {"cache_token_namespace_duration": 0},
        },
    )
    return auth_clusters


def log_in(client, auth_pki, start: str, user: str, password: str):
    to_server = client.get(start)
    assert to_server.status_code == 302, to_server
    callback = sign_in_at_oauth_server(
        provider_session(str(auth_pki.ca_file)), to_server["Location"], user, password
    )
    return callback, client.get(callback)


def log_in_home(client, auth_pki, oidc_provider, user="carol"):
    first = client.get("/login/?next=/mesh/")
    assert first.status_code == 302
    assert first["Location"].startswith("/api/auth/redirect?")
    return log_in(client, auth_pki, first["Location"], user, oidc_provider.passwords[user])


def tokens(client) -> dict[str, str]:
    record = SessionStore(client.cookies["sessionid"].value)["kiali.auth"]
    return {name: value["token"] for name, value in record["tokens"].items()}


def test_carol_logs_in_to_west_from_the_user_menu(
    openshift_console, client, auth_pki, oidc_provider
):
    started = time.monotonic()
    _, landing = log_in_home(client, auth_pki, oidc_provider)
    home_seconds = time.monotonic() - started
    assert landing["Location"] == "/mesh/"
    assert visible_to(client) == {("east", "sample")}
    page = client.get("/mesh/").content.decode()
    assert 'href="/api/auth/redirect/west"' in page
    assert "Log in to west" in page

    started = time.monotonic()
    _, back = log_in(
        client, auth_pki, "/api/auth/redirect/west", "carol", oidc_provider.passwords["carol"]
    )
    west_seconds = time.monotonic() - started
    assert back.status_code == 302
    assert visible_to(client) == {("east", "sample"), ("west", "sample")}
    page = client.get("/mesh/").content.decode()
    assert "Log in to west" not in page
    assert '<li data-cluster="west">west</li>' in page
    print(f"OpenShift login: home {home_seconds:.2f}s, west {west_seconds:.2f}s")


def test_a_revoked_remote_token_removes_only_that_cluster(
    openshift_console, client, auth_pki, oidc_provider
):
    log_in_home(client, auth_pki, oidc_provider)
    log_in(client, auth_pki, "/api/auth/redirect/west", "carol", oidc_provider.passwords["carol"])
    openshift_console.oauth["west"].revoke(tokens(client)["west"])
    wait_for_webhook_cache()
    page = client.get("/mesh/")
    assert page.status_code == 200
    assert "Log in to west" in page.content.decode()
    assert set(tokens(client)) == {"east"}
    assert visible_to(client) == {("east", "sample")}


@pytest.mark.parametrize("htmx", [False, True], ids=["full-page", "htmx"])
def test_a_revoked_home_token_returns_the_user_to_login(
    openshift_console, client, auth_pki, oidc_provider, htmx
):
    log_in_home(client, auth_pki, oidc_provider)
    openshift_console.oauth["east"].expire(tokens(client)["east"])
    wait_for_webhook_cache()
    headers = {"HX-Request": "true", "HX-Current-URL": "http://testserver/mesh/"} if htmx else {}
    response = client.get("/mesh/", headers=headers)
    if htmx:
        assert response.status_code == 200
        assert response["HX-Redirect"] == "/login/?next=%2Fmesh%2F&expired=1"
    else:
        assert response.status_code == 302
        assert response["Location"] == "/login/?next=%2Fmesh%2F&expired=1"
    login = client.get("/login/?next=%2Fmesh%2F&expired=1")
    assert login.status_code == 401  # a message to show, no automatic redirect
    assert b"session has expired" in login.content
    assert client.get("/mesh/").status_code == 302


def test_logout_deletes_the_tokens_on_every_cluster(
    openshift_console, client, auth_pki, oidc_provider
):
    log_in_home(client, auth_pki, oidc_provider)
    log_in(client, auth_pki, "/api/auth/redirect/west", "carol", oidc_provider.passwords["carol"])
    held = tokens(client)
    assert client.post("/logout/").status_code == 302
    for name, token in held.items():
        assert openshift_console.oauth[name].owner_of(token) is None
    assert client.get("/mesh/").status_code == 302


def test_forged_state_and_replayed_callbacks_are_refused(
    openshift_console, client, auth_pki, oidc_provider
):
    client.get("/api/auth/redirect/east")
    forged = client.get("/api/auth/callback/east?code=abc&state=forged")
    assert forged["Location"].startswith("/login/?error=")
    assert client.get("/mesh/").status_code == 302
    callback, landing = log_in_home(client, auth_pki, oidc_provider)
    assert landing["Location"] == "/mesh/"
    client.post("/logout/")
    replay = client.get(callback)
    assert replay["Location"].startswith("/login/?error=")
    assert client.get("/mesh/").status_code == 302


def test_a_remote_cluster_cannot_be_the_first_login(openshift_console, client):
    response = client.get("/api/auth/redirect/west")
    assert response["Location"].startswith("/login/?error=")


def test_after_logging_in_to_west_the_cross_cluster_edge_shows_the_west_node(
    openshift_console, client, auth_pki, oidc_provider, prometheus_server, settings
):
    wait_for_samples(
        prometheus_server.url,
        'sum(rate(istio_requests_total{source_cluster="west",destination_cluster="east"}[60s]))'
        " > 0",
    )
    services = settings.KIALI.external_services
    settings.KIALI = dataclasses.replace(
        settings.KIALI,
        external_services=dataclasses.replace(
            services, prometheus=dataclasses.replace(services.prometheus, url=prometheus_server.url)
        ),
    )

    def west_sleep() -> dict:
        # The graph's window is capped by the namespace's age, and these clusters may be only
        # seconds old: ask again until the window holds the cross-cluster traffic.
        wanted = hash_id("wl_west_sample_sleep")
        deadline = time.monotonic() + 60
        while True:
            document = client.get(
                "/api/namespaces/graph",
                {"namespaces": "sample", "graphType": "workload", "duration": "60s"},
            ).json()
            nodes = [n["data"] for n in document["elements"]["nodes"] if n["data"]["id"] == wanted]
            if nodes:
                return nodes[0]
            assert time.monotonic() < deadline, f"no west sleep node in {document}"
            time.sleep(2)

    log_in_home(client, auth_pki, oidc_provider)
    before = west_sleep()
    assert before.get("isInaccessible") is True

    log_in(client, auth_pki, "/api/auth/redirect/west", "carol", oidc_provider.passwords["carol"])
    after = west_sleep()
    assert not after.get("isInaccessible")
    assert (after["cluster"], after["namespace"], after["workload"]) == ("west", "sample", "sleep")
    assert after["app"] == "sleep"
