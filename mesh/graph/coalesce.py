"""Identical graph requests made at once are built once.

Ten operators opening the same graph (an incident, a shared dashboard link) would otherwise
run the same queries ten times on the same Prometheus at the same moment, each slower for
the others. A request that finds the same graph being built (same options and the same
visible namespaces; "now" graphs match whatever second they were asked at) waits for that
build and answers with its bytes; one that comes a moment after such a build (`fresh`
seconds, far less than a scrape interval, so the data would be the same) is answered from it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from django.core.cache import cache

from mesh.graph.options import GraphOptions

T = TypeVar("T")
POLL = 0.05  # seconds between looks for a graph another server process is building


def same_graph_key(opts: GraphOptions, accessible: frozenset[tuple[str, str]]) -> Hashable:
    """Every option, and what the caller may see; the query time only when it was asked
    for (a "now" graph built a moment ago answers a request made now)."""
    return (opts if opts.historical else dataclasses.replace(opts, query_time=0), accessible)


class _Build(Generic[T]):
    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: T | None = None
        self.error: BaseException | None = None


class InFlight(Generic[T]):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._builds: dict[Hashable, _Build[T]] = {}
        self._recent: dict[Hashable, tuple[float, T]] = {}  # key -> (expires, a shared copy)

    def clear(self) -> None:
        """Forget the results kept for `fresh`, here and, for this process, in the shared
        cache (builds in flight finish as they would)."""
        global _epoch
        with self._lock:
            self._recent.clear()
            _epoch += 1

    def run(
        self,
        key: Hashable,
        build: Callable[[], T],
        share: Callable[[T], T],
        wait: float,
        fresh: float = 0.0,
    ) -> T:
        """`build()` unless the same key is being built: then `share(its result)` once it is
        done, or its error. A follower waits at most `wait` seconds, then builds its own.
        With `fresh`, a result finished less than that many seconds ago is shared too."""
        now = time.monotonic()
        with self._lock:
            for old in [k for k, (expires, _) in self._recent.items() if expires <= now]:
                del self._recent[old]
            recent = self._recent.get(key)
            if recent is not None:
                return share(recent[1])
            current = self._builds.get(key)
            if current is None:
                current = self._builds[key] = _Build()
                leader = True
            else:
                leader = False
        if not leader:
            if current.done.wait(wait):
                if current.error is not None:
                    raise current.error
                assert current.result is not None
                return share(current.result)
            return build()
        try:
            current.result = build()
            if fresh > 0:
                with self._lock:
                    self._recent[key] = (time.monotonic() + fresh, share(current.result))
            return current.result
        except BaseException as exc:
            current.error = exc
            raise
        finally:
            with self._lock:
                self._builds.pop(key, None)
            current.done.set()


def _canonical(value: object) -> object:
    """A form of a graph key that is the same in every server process: sets sorted,
    dataclasses as their fields (a frozenset's order depends on the process's hash seed)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, set | frozenset):
        return sorted((_canonical(v) for v in value), key=repr)
    if isinstance(value, tuple | list):
        return [_canonical(v) for v in value]
    if isinstance(value, dict):
        return sorted(([_canonical(k), _canonical(v)] for k, v in value.items()), key=repr)
    return value


_epoch = 0  # bumped by InFlight.clear(): results shared before it are not read again


def key_digest(key: Hashable) -> str:
    return hashlib.sha256(repr((_epoch, _canonical(key))).encode()).hexdigest()


def across_processes(
    key: Hashable,
    build: Callable[[], T],
    body_of: Callable[[T], bytes],
    from_body: Callable[[bytes], T],
    wait: float,
    fresh: float,
) -> T:
    """`build()`, unless another server process is building the same graph or built it
    less than `fresh` seconds ago: then its bytes, through the shared cache (Redis in a
    deployment; with a per-process cache this only ever builds). A process waits at most
    `wait` seconds for another's build, then builds its own."""
    digest = key_digest(key)
    built_key, building_key = f"graph-built:{digest}", f"graph-building:{digest}"
    found = cache.get(built_key)
    if found is not None:
        return from_body(found)
    if cache.add(building_key, 1, timeout=max(1, int(wait) + 1)):
        try:
            result = build()
            if fresh > 0:
                cache.set(built_key, body_of(result), timeout=max(1, round(fresh)))
            return result
        finally:
            cache.delete(building_key)
    ends = time.monotonic() + wait
    while time.monotonic() < ends:
        time.sleep(POLL)
        found = cache.get(built_key)
        if found is not None:
            return from_body(found)
        if cache.get(building_key) is None:  # the builder failed or finished without sharing
            break
    return build()
