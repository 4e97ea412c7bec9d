"""Helpers for login tests: what a logged-in browser's session lets the console show."""

from __future__ import annotations

from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
import requests
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client, RequestFactory

from kiali_site.auth.session import read_session
from kiali_site.context import MeshContext
from kiali_site.scope import page_scope


def visible_to(client: Client | str, path: str = "/") -> set[tuple[str, str]]:
    """(cluster, namespace) pairs the pages would show to a logged-in session (a test client
    or a browser's session id): the session record the login stored, read back the way the
    middleware reads it."""
    request = RequestFactory().get(path)
    key = client if isinstance(client, str) else client.cookies[settings.SESSION_COOKIE_NAME].value
    request.session = SessionStore(key)
    record = read_session(request, settings.KIALI.auth.strategy)
    assert record is not None, "the client is not logged in"
    request.mesh = MeshContext(settings.KIALI, record, _request=request)
    scope = page_scope(request)
    return {(ns.cluster, ns.name) for ns in scope.namespaces}


@pytest.fixture
def visible_namespaces_of():
    return visible_to


def _follow_until_console(session: requests.Session, response: requests.Response) -> str:
    """Follow the provider's redirects by hand until one points back at the console."""
    for _ in range(10):
        location = response.headers.get("Location", "")
        if not location:
            raise AssertionError(f"the provider stopped at {response.url}: {response.text[:300]}")
        location = urljoin(response.url, location)
        if urlsplit(location).hostname in ("testserver", "localhost"):
            parts = urlsplit(location)
            return f"{parts.path}?{parts.query}"
        response = session.get(location, allow_redirects=False)
    raise AssertionError("too many redirects at the provider")


def provider_session(ca_file: str) -> requests.Session:
    session = requests.Session()
    # The environment's CA bundle would otherwise win over session.verify.
    session.trust_env = False
    session.verify = ca_file
    return session


def sign_in_at_provider(
    session: requests.Session, authorize_url: str, user: str, password: str
) -> str:
    """The OpenID provider's side of a login: its form, then back to the console's callback
    (returned as a path with query, for the Django test client)."""
    form = session.get(authorize_url, allow_redirects=True)
    assert form.status_code == 200, form.text[:300]
    answer = session.post(
        form.url, data={"login": user, "password": password}, allow_redirects=False
    )
    return _follow_until_console(session, answer)


def sign_in_at_oauth_server(
    session: requests.Session, authorize_url: str, user: str, password: str
) -> str:
    """The OpenShift OAuth server's side: its login form posts the authorize query back."""
    form = session.get(authorize_url)
    assert form.status_code == 200, form.text[:300]
    query = dict(parse_qsl(urlsplit(authorize_url).query))
    base = f"{urlsplit(authorize_url).scheme}://{urlsplit(authorize_url).netloc}"
    answer = session.post(
        f"{base}/login",
        data={**query, "username": user, "password": password},
        allow_redirects=False,
    )
    return _follow_until_console(session, answer)
