"""Bad input a new user finds answers 400/404 with a reason, and errors never show internals.

The console's own 404, 403 and 500: pages for people, `{"error": ...}` under /api/, and
nothing of the settings, URL patterns or traceback (DEBUG is off, as the demo runs it).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("clusters")]

HUGE_TIME = "99999999999999999"


@pytest.fixture
def console(demo_mesh, east_cluster, console_on, settings):
    settings.DEBUG = False
    return console_on(east_cluster)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/namespaces/graph", {"namespaces": "bookinfo", "queryTime": HUGE_TIME}),
        ("/api/namespaces/graph", {"namespaces": "bookinfo", "duration": "99999999999999s"}),
        ("/api/namespaces/graph", {"namespaces": "bookinfo", "queryTime": "-5"}),
        ("/api/namespaces/bookinfo/metrics", {"queryTime": HUGE_TIME}),
        ("/api/namespaces/bookinfo/metrics", {"duration": "99999999999999"}),
    ],
)
def test_times_out_of_any_clocks_range_are_refused_with_400(client, console, path, params):
    response = client.get(path, params)
    assert response.status_code == 400
    assert response.json()["error"]


def test_the_graph_panel_refuses_a_huge_query_time(client, console):
    response = client.get(
        "/graph/panel",
        {"cluster": "east", "namespace": "bookinfo", "element": "x", "queryTime": HUGE_TIME},
    )
    assert response.status_code == 400
    assert b"Invalid queryTime" in response.content


def test_the_openid_views_do_not_exist_without_the_openid_strategy(client, console):
    response = client.get("/api/auth/openid_redirect")
    assert response.status_code == 404
    assert response.json() == {"error": "This console does not log in with OpenID."}
    assert client.get("/api/auth/openid_callback").status_code == 404


def test_an_unknown_address_gets_the_consoles_page_or_json(client, console):
    page = client.get("/no/such/page/")
    assert page.status_code == 404
    assert b"There is nothing at this address." in page.content
    assert b"urlpatterns" not in page.content and b"URLconf" not in page.content
    api = client.get("/api/no/such/route")
    assert api.status_code == 404
    assert api.json() == {"error": "not found"}


def test_a_failing_view_shows_the_consoles_500_without_a_traceback(console, monkeypatch, settings):
    def broken(*args, **kwargs):
        raise RuntimeError(f"boom with {settings.SECRET_KEY}")

    monkeypatch.setattr("mesh.views.mesh.mesh_status", broken)
    monkeypatch.setattr("mesh.api.inventory.load_inventory", broken)
    client = Client(raise_request_exception=False)
    page = client.get("/mesh/")
    assert page.status_code == 500
    assert b"The console failed to answer this request." in page.content
    assert b"boom" not in page.content and b"Traceback" not in page.content
    api = client.get("/api/namespaces")
    assert api.status_code == 500
    assert api.json() == {
        "error": "the console failed to answer this request; the error was logged"
    }


def test_every_answer_carries_the_security_headers(client, console):
    response = client.get("/overview/")
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["default-src"] == "'self'" and policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in client.get("/api/namespaces")


def test_cookies_are_secure_when_the_request_came_over_https(
    client, demo_mesh, east_cluster, console_on
):
    console_on(east_cluster, config={"auth": {"strategy": "token"}})
    plain = client.get("/login/")
    assert plain.cookies["csrftoken"]["secure"] == ""
    over_https = Client().get("/login/", secure=True)
    assert over_https.cookies["csrftoken"]["secure"] is True


def settings_printed(expression: str, **environment: str) -> bytes:
    """`expression` over the settings of a console started with `environment`: settings are
    read once per process, so each case is a process of its own."""
    env = {**os.environ, **environment, "DJANGO_SETTINGS_MODULE": "kiali_site.settings"}
    read = f"from django.conf import settings; print({expression})"
    done = subprocess.run([sys.executable, "-c", read], env=env, capture_output=True, check=True)
    return done.stdout.strip()


def test_web_schema_https_makes_the_cookies_secure_always(tmp_path):
    config = tmp_path / "kiali.yaml"
    config.write_text("server:\n  web_schema: https\n")
    answer = settings_printed(
        "settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE", KIALI_CONFIG=str(config)
    )
    assert answer.split() == [b"True", b"True"]


def test_a_ca_bundle_that_is_not_mounted_means_the_systems_cas_only(tmp_path):
    bundle = tmp_path / "additional-ca-bundle.pem"

    def ca_bundle() -> bytes:
        return settings_printed("repr(settings.KIALI_CA_BUNDLE)", KIALI_CA_BUNDLE=str(bundle))

    assert ca_bundle() == b"''"  # deploy/ mounts kiali-cabundle as optional
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    assert ca_bundle() == repr(str(bundle)).encode()
