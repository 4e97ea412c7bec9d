"""The graph each session was last answered with, kept for the side panel.

A click on a node or edge opens a panel summarising that element in the graph on screen.
Rebuilding the graph for it repeats the traffic queries, and the panel also shows response
times, whose histogram queries cost several times all the traffic queries on a big mesh. So
the graph API keeps the traffic map it answered with (and the response-times API the times
it found), under the session, the graph's options and its query time, which the page sends
back with each click; the panel then needs Prometheus only for what is not kept yet.

Like Kiali's per-session graph cache: one graph per session, dropped after ten minutes
without use; a handful of sessions per process, least recently used first out. A process
that does not hold the graph (another worker, a restart) builds it again: only slower.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass

from mesh.graph.appenders.response_time import EdgeKey, attach
from mesh.graph.model import TrafficMap
from mesh.graph.options import GraphOptions

SESSIONS = 8
IDLE_SECONDS = 600.0


def graph_key(opts: GraphOptions, accessible: frozenset[tuple[str, str]]) -> Hashable:
    """What makes two requests the same graph: every option but the responseTime appender
    (the panel adds it, the page may load times separately) and whether queryTime was
    given, plus what the caller may see."""
    appenders = None if opts.appenders is None else opts.appenders - {"responseTime"}
    return (dataclasses.replace(opts, appenders=appenders, historical=False), accessible)


@dataclass
class _Entry:
    key: Hashable
    tmap: TrafficMap | None = None
    times: Mapping[EdgeKey, float] | None = None  # response times, attached or not yet
    has_times: bool = False  # the map carries response times
    used: float = 0.0


class RecentGraphs:
    """Thread-safe; every method takes the session's key first."""

    def __init__(
        self,
        sessions: int = SESSIONS,
        idle_seconds: float = IDLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._idle = idle_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def _entry(self, owner: str, key: Hashable, create: bool) -> _Entry | None:
        """The owner's entry for `key` (under the lock), starting a new one if asked."""
        now = self._clock()
        for stale in [o for o, e in self._entries.items() if now - e.used > self._idle]:
            del self._entries[stale]
        entry = self._entries.get(owner)
        if entry is None or entry.key != key:
            if not create:
                return None
            entry = self._entries[owner] = _Entry(key)
            while len(self._entries) > self._sessions:
                self._entries.popitem(last=False)
        entry.used = now
        self._entries.move_to_end(owner)
        return entry

    def remember(self, owner: str, key: Hashable, tmap: TrafficMap, has_times: bool) -> None:
        """The map a graph request answered with; a map with response times is final."""
        with self._lock:
            entry = self._entry(owner, key, create=True)
            assert entry is not None
            entry.tmap, entry.has_times = tmap, has_times
            if entry.times is not None and not has_times:
                attach(tmap, entry.times)
                entry.has_times = True

    def remember_times(self, owner: str, key: Hashable, times: Mapping[EdgeKey, float]) -> None:
        """Times for the session's graph; they never replace another graph the session
        holds (a node graph's times request names no node)."""
        with self._lock:
            held = self._entries.get(owner)
            entry = self._entry(owner, key, create=held is None or held.key == key)
            if entry is None:
                return
            entry.times = times
            if entry.tmap is not None and not entry.has_times:
                attach(entry.tmap, times)
                entry.has_times = True

    def find(self, owner: str, key: Hashable) -> tuple[TrafficMap, bool] | None:
        """(map, whether it carries response times), or None."""
        with self._lock:
            entry = self._entry(owner, key, create=False)
            if entry is None or entry.tmap is None:
                return None
            return entry.tmap, entry.has_times

    def forget(self, owner: str) -> None:
        with self._lock:
            self._entries.pop(owner, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


RECENT = RecentGraphs()
