"""Token login against the real east/west API servers: each persona sees what RBAC grants."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from kiali_site.auth.permissions import can
from mesh.sim.demo import publish_remote_cluster
from tests.plugins.auth import visible_to

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("clusters")]

TOKEN_CONFIG = {
    "auth": {"strategy": "token"},
    # Every request re-asks the cluster, so a revoked token is seen at once.
    "kubernetes_config": {"cache_token_namespace_duration": 0},
}


@pytest.fixture
def token_console(demo_mesh, east_cluster, west_cluster, console_on):
    publish_remote_cluster(east_cluster, west_cluster)
    return console_on(east_cluster, config=TOKEN_CONFIG)


def log_in(client: Client, token: str, next_url: str = "/mesh/"):
    return client.post("/login/", {"token": token, "next": next_url})


def visible(client: Client) -> set[tuple[str, str]]:
    return visible_to(client)


def test_pages_require_login_and_htmx_is_told_to_navigate(token_console, client):
    page = client.get("/mesh/")
    assert page.status_code == 302
    assert page["Location"] == "/login/?next=%2Fmesh%2F"
    fragment = client.get("/mesh/", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment["HX-Redirect"].startswith("/login/?next=")
    assert not fragment.content  # nothing of the page is swapped in
    assert client.get("/api/namespaces/bookinfo/info").status_code == 401


def test_bob_sees_bookinfo_and_ecommerce_on_east_only(token_console, client, east_cluster):
    response = log_in(client, east_cluster.tokens["bob"])
    assert response.status_code == 302
    assert response["Location"] == "/mesh/"
    assert visible(client) == {("east", "bookinfo"), ("east", "ecommerce")}
    page = client.get("/mesh/")
    assert page.status_code == 200
    assert b'id="user-menu"' in page.content
    assert b">bob</summary>" in page.content


def test_login_rotates_the_session_id(token_console, client, east_cluster):
    login_page = client.get("/login/").content.decode()
    assert 'id="login"' in login_page
    assert "pf-v5-c-nav" not in login_page  # no navigation before logging in
    client.session.save()
    before = client.session.session_key
    log_in(client, east_cluster.tokens["bob"])
    assert client.session.session_key != before


def test_eve_who_reads_no_namespace_is_refused_with_upstreams_message(
    token_console, client, east_cluster
):
    response = log_in(client, east_cluster.tokens["eve"])
    assert response.status_code == 401
    assert b"not enough privileges to login" in response.content
    assert client.get("/mesh/").status_code == 302  # no session: back to the login page


def test_a_bad_token_gets_the_reason_and_no_session(token_console, client):
    response = log_in(client, "not-a-token")
    assert response.status_code == 401
    assert b"token is not valid or is expired" in response.content
    assert b"not-a-token" not in response.content
    assert client.get("/mesh/").status_code == 302


def test_a_namespace_the_user_cannot_see_is_403_whether_or_not_it_exists(
    token_console, client, east_cluster
):
    log_in(client, east_cluster.tokens["bob"])
    ok = client.get("/api/namespaces/bookinfo/info?clusterName=east")
    assert ok.status_code == 200
    assert ok.json()["name"] == "bookinfo"
    hidden = client.get("/api/namespaces/sample/info?clusterName=east")
    missing = client.get("/api/namespaces/no-such-namespace/info?clusterName=east")
    assert hidden.status_code == missing.status_code == 403
    assert b"labels" not in hidden.content
    assert hidden.json()["error"].replace("sample", "X") == missing.json()["error"].replace(
        "no-such-namespace", "X"
    )
    # west is not in a token session at all (token logins are home-only upstream too)
    assert client.get("/api/namespaces/sample/info?clusterName=west").status_code == 403


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "http://testserver.evil/"],
)
def test_next_never_leaves_the_site(token_console, client, east_cluster, next_url):
    response = log_in(client, east_cluster.tokens["bob"], next_url)
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_login_and_logout_need_the_csrf_token(token_console, east_cluster):
    strict = Client(enforce_csrf_checks=True)
    assert log_in(strict, east_cluster.tokens["bob"]).status_code == 403
    page = strict.get("/login/")
    csrf = page.cookies["csrftoken"].value
    ok = strict.post(
        "/login/", {"token": east_cluster.tokens["bob"], "next": "/", "csrfmiddlewaretoken": csrf}
    )
    assert ok.status_code == 302
    assert strict.post("/logout/").status_code == 403  # no token: still logged in
    assert strict.get("/api/namespaces/bookinfo/info").status_code == 200


def test_logout_ends_the_session(token_console, client, east_cluster):
    log_in(client, east_cluster.tokens["alice"])
    assert ("west", "sample") not in visible(client)
    assert ("east", "sample") in visible(client)
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert client.get("/api/namespaces/bookinfo/info").status_code == 401


def test_the_token_never_appears_in_logs_or_responses(token_console, client, east_cluster, caplog):
    token = east_cluster.tokens["bob"]
    caplog.set_level(logging.DEBUG)
    responses = [client.get("/login/"), log_in(client, token)]
    responses += [
        client.get(url) for url in ("/mesh/", "/api/namespaces/bookinfo/info", "/api/auth/info")
    ]
    responses += [client.get("/api/namespaces/sample/info"), client.post("/logout/")]
    for response in responses:
        assert token not in response.content.decode(errors="replace")
        assert token not in str(response.headers)
    assert token not in caplog.text
    assert "login: strategy=token user=bob" in caplog.text


def test_write_controls_follow_the_users_rbac(token_console, client, east_cluster, settings):
    from django.test import RequestFactory

    from kiali_site.auth.session import AuthSession, ClusterToken
    from kiali_site.context import MeshContext

    def request_for(persona: str):
        request = RequestFactory().get("/")
        token = east_cluster.tokens[persona]
        session = AuthSession("token", persona, 1e12, {"east": ClusterToken(token, 1e12)})
        request.mesh = MeshContext(settings.KIALI, session)
        return request

    group, resource = "networking.istio.io", "virtualservices"
    assert can(request_for("admin"), "east", "bookinfo", "create", group, resource)
    assert not can(request_for("bob"), "east", "bookinfo", "create", group, resource)
    assert not can(request_for("admin"), "west", "bookinfo", "create", group, resource)
    settings.KIALI = type(settings.KIALI)(
        **{
            **settings.KIALI.__dict__,
            "deployment": type(settings.KIALI.deployment)(view_only_mode=True),
        }
    )
    assert not can(request_for("admin"), "east", "bookinfo", "create", group, resource)
