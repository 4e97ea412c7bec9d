"""Breakers (mesh.outages): open on a failure, fail at once while open, close on recovery."""

from __future__ import annotations

import threading
import time

import pytest

from mesh.outages import Breaker, DependencyDown, breaker, current_outages


def test_an_open_breaker_fails_at_once_with_the_reason_and_since_when() -> None:
    b = Breaker("Prometheus", probe_interval=60)
    b.check()  # closed: nothing happens
    b.succeeded()
    outage = b.failed("Prometheus did not answer within 10s", probe=lambda: None)
    with pytest.raises(DependencyDown) as caught:
        b.check()
    assert caught.value.outage is outage
    assert str(caught.value).startswith("Prometheus: not answering since ")
    assert str(caught.value).endswith(" UTC (Prometheus did not answer within 10s)")
    assert outage.last_ok is not None and outage.last_ok <= outage.since


def test_the_first_failure_is_kept_while_the_outage_lasts() -> None:
    b = Breaker("cluster west", cluster="west", probe_interval=60)
    first = b.failed("the API server did not answer within 8s", probe=lambda: None)
    again = b.failed("connection to the API server failed", probe=lambda: None)
    assert again is first and first.cluster == "west"


def test_the_background_probe_closes_the_breaker_when_the_dependency_answers() -> None:
    b = Breaker("Prometheus", probe_interval=0.05)
    up = threading.Event()
    calls = []

    def probe() -> None:
        calls.append(time.monotonic())
        if not up.is_set():
            raise ConnectionError("still down")

    b.failed("connection refused by Prometheus", probe)
    time.sleep(0.3)
    assert b.outage is not None and len(calls) >= 2  # probed, still down
    up.set()
    deadline = time.monotonic() + 5
    while b.outage is not None:
        assert time.monotonic() < deadline, "the probe never closed the breaker"
        time.sleep(0.02)
    b.check()
    probes = len(calls)
    time.sleep(0.2)
    assert len(calls) == probes  # the prober stopped with the outage


def test_current_outages_lists_only_open_breakers_oldest_first() -> None:
    breaker("cluster a", "cluster a", "a").failed("down", probe=lambda: None)
    time.sleep(0.01)
    breaker("prometheus x", "Prometheus").failed("down", probe=lambda: None)
    breaker("cluster b", "cluster b", "b")
    assert [o.dependency for o in current_outages()] == ["cluster a", "Prometheus"]
