"""Helpers for login tests: what a logged-in browser's session lets the console show."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client, RequestFactory

from kiali_site.auth.session import read_session
from kiali_site.context import MeshContext
from kiali_site.scope import page_scope


def visible_to(client: Client, path: str = "/") -> set[tuple[str, str]]:
    """(cluster, namespace) pairs the pages would show to the client's logged-in session:
    the session record the login stored, read back the way the middleware reads it."""
    request = RequestFactory().get(path)
    request.session = SessionStore(client.cookies[settings.SESSION_COOKIE_NAME].value)
    record = read_session(request, settings.KIALI.auth.strategy)
    assert record is not None, "the client is not logged in"
    request.mesh = MeshContext(settings.KIALI, record, _request=request)
    scope = page_scope(request)
    return {(ns.cluster, ns.name) for ns in scope.namespaces}


@pytest.fixture
def visible_namespaces_of():
    return visible_to
