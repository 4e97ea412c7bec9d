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
import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from mesh.graph.options import GraphOptions

T = TypeVar("T")


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
        """Forget the results kept for `fresh` (builds in flight finish as they would)."""
        with self._lock:
            self._recent.clear()

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
