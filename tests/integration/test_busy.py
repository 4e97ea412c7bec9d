"""Graph and metrics requests beyond the process's slots get a quick 503, never a queue."""

from __future__ import annotations

import time

import pytest

from kiali_site.budgets import BUSY, _slow_slots

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_slot_taken(console_on):
    console_on(
        None,
        config={"kiali_internal": {"slow_requests": {"concurrent": 1, "queue_wait": "200ms"}}},
    )
    slots = _slow_slots(1)
    assert slots.semaphore.acquire(timeout=1)
    yield
    slots.semaphore.release()


def test_a_graph_request_beyond_the_slots_is_told_to_retry(client, one_slot_taken):
    started = time.monotonic()
    response = client.get("/api/namespaces/graph", {"namespaces": "bookinfo"})
    assert time.monotonic() - started < 2
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert response.json() == {"error": BUSY}


def test_a_busy_side_panel_answers_its_fragment(client, one_slot_taken):
    response = client.get("/graph/panel", {"element": "x"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"]
    assert 'id="unavailable"' in html and "<html" not in html and "busy" in html


def test_pages_do_not_need_a_slot(client, one_slot_taken):
    assert client.get("/healthz").status_code == 200
    response = client.get("/namespaces/")
    assert response.status_code == 200
