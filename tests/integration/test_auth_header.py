"""Header strategy: a trusted proxy's bearer token on every request, checked by TokenReview."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("clusters")]


@pytest.fixture
def header_console(demo_mesh, east_cluster, console_on):
    return console_on(
        east_cluster,
        config={
            "auth": {"strategy": "header"},
            "kubernetes_config": {"cache_token_namespace_duration": 0},
        },
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_without_the_proxys_header_nothing_is_shown(header_console, client):
    response = client.get("/mesh/")
    assert response.status_code == 401
    assert b"authenticating proxy" in response.content
    assert client.get("/mesh/", headers=bearer("forged")).status_code == 401


def test_the_token_owner_sees_what_rbac_allows_and_has_no_logout(
    header_console, client, east_cluster
):
    headers = bearer(east_cluster.tokens["bob"])
    page = client.get("/mesh/", headers=headers)
    assert page.status_code == 200
    assert b">bob</summary>" in page.content
    assert b'id="logout"' not in page.content
    assert client.get("/api/namespaces/bookinfo/info", headers=headers).status_code == 200
    assert client.get("/api/namespaces/sample/info", headers=headers).status_code == 403
    # A client-supplied impersonation header changes nothing: the token decides.
    spoof = {**headers, "Impersonate-User": "admin"}
    assert client.get("/api/namespaces/sample/info", headers=spoof).status_code == 403


def test_each_request_stands_on_its_own_header(header_console, client, east_cluster):
    assert client.get("/mesh/", headers=bearer(east_cluster.tokens["alice"])).status_code == 200
    assert client.get("/mesh/").status_code == 401


def test_a_token_that_reads_no_namespace_is_refused_and_shown_nothing(
    header_console, client, east_cluster
):
    headers = bearer(east_cluster.tokens["eve"])
    page = client.get("/mesh/", headers=headers)
    assert page.status_code == 401
    assert b"not enough privileges to login" in page.content
    assert b"istiod" not in page.content and b"istio-system" not in page.content
    api = client.get("/api/namespaces", headers=headers)
    assert api.status_code == 401
    assert api.json() == {"error": "not enough privileges to login"}
