"""Identical graph requests made at once are built once (mesh.graph.coalesce)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from mesh.graph.coalesce import InFlight, across_processes, key_digest, same_graph_key
from mesh.graph.options import parse_options


def test_requests_for_the_same_graph_share_one_build() -> None:
    builds = []
    release = threading.Event()

    def build() -> str:
        builds.append(1)
        release.wait(5)
        return "graph"

    flight: InFlight[str] = InFlight()
    with ThreadPoolExecutor(5) as pool:
        futures = [
            pool.submit(flight.run, "k", build, lambda r: f"shared {r}", 5) for _ in range(5)
        ]
        time.sleep(0.2)
        release.set()
        results = sorted(f.result() for f in futures)
    assert builds == [1]
    assert results == ["graph"] + ["shared graph"] * 4


def test_a_failed_build_fails_its_followers_and_the_next_request_builds_again() -> None:
    flight: InFlight[str] = InFlight()
    started = threading.Event()

    def failing() -> str:
        started.set()
        time.sleep(0.2)
        raise RuntimeError("Prometheus did not answer within 10s")

    with ThreadPoolExecutor(2) as pool:
        leader = pool.submit(flight.run, "k", failing, str, 5)
        started.wait(5)
        follower = pool.submit(flight.run, "k", lambda: "own", str, 5)
        for future in (leader, follower):
            with pytest.raises(RuntimeError, match="within 10s"):
                future.result()
    assert flight.run("k", lambda: "again", str, 5) == "again"


def test_now_graphs_match_whatever_second_they_were_asked_at() -> None:
    seen = frozenset({("east", "bookinfo")})
    a = parse_options({"namespaces": "bookinfo"}, now=1_000)
    b = parse_options({"namespaces": "bookinfo"}, now=1_003)
    assert same_graph_key(a, seen) == same_graph_key(b, seen)
    assert same_graph_key(a, seen) != same_graph_key(a, frozenset())
    past = parse_options({"namespaces": "bookinfo", "queryTime": "900"}, now=1_000)
    other = parse_options({"namespaces": "bookinfo", "queryTime": "901"}, now=1_000)
    assert same_graph_key(past, seen) != same_graph_key(other, seen)


def test_a_graph_finished_a_moment_ago_answers_and_then_expires() -> None:
    flight: InFlight[str] = InFlight()
    assert flight.run("k", lambda: "first", lambda r: f"shared {r}", 5, fresh=0.3) == "first"
    assert flight.run("k", lambda: "second", lambda r: f"shared {r}", 5, fresh=0.3) == (
        "shared shared first"
    )
    time.sleep(0.35)
    assert flight.run("k", lambda: "third", lambda r: f"shared {r}", 5, fresh=0.3) == "third"
    assert flight.run("other", lambda: "x", str, 5) == "x"  # no fresh: nothing kept


def test_a_graph_built_by_another_process_is_read_from_the_shared_cache() -> None:
    from django.core.cache import cache

    cache.clear()
    key = ("opts", frozenset({("east", "bookinfo"), ("west", "sample")}))
    same_elsewhere = ("opts", frozenset({("west", "sample"), ("east", "bookinfo")}))
    built = across_processes(key, lambda: "doc", str.encode, bytes.decode, wait=1, fresh=2)
    assert built == "doc"
    again = across_processes(
        same_elsewhere, lambda: "rebuilt", str.encode, lambda b: f"shared {b.decode()}", 1, 2
    )
    assert again == "shared doc"
    InFlight().clear()  # a new epoch: nothing shared before it is read
    assert across_processes(key, lambda: "new", str.encode, bytes.decode, 1, 2) == "new"
    cache.clear()


def test_a_process_waits_for_another_process_building_the_same_graph() -> None:
    from django.core.cache import cache

    cache.clear()
    key = ("opts", "waited")
    digest = key_digest(key)
    cache.add(f"graph-building:{digest}", 1, timeout=5)

    def other_process_finishes() -> None:
        time.sleep(0.3)
        cache.set(f"graph-built:{digest}", b"theirs", timeout=2)

    threading.Thread(target=other_process_finishes).start()
    assert across_processes(key, lambda: "mine", str.encode, bytes.decode, 3, 2) == "theirs"
    cache.clear()
