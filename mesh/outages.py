"""Which of the console's dependencies are down, so that nobody waits on them again.

One breaker per dependency (Prometheus; each cluster's API server), per server process.
The first request that finds a dependency hanging or refusing pays for it, bounded by its
deadline; it opens the breaker, and until the dependency answers again every request gets
the failure at once, with the reason and since when, instead of a thread waiting on it. One
background thread per open breaker probes the dependency every few seconds and closes the
breaker when it answers, so recovery shows without a user retrying into a hang.

Only failures that say the dependency is down open a breaker (no answer, refused, 5xx);
an answer that refuses a query or a credential is the caller's business, not an outage.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

log = logging.getLogger(__name__)

PROBE_INTERVAL = 3.0  # seconds between recovery probes; recovery shows within this + a probe
RETRY_AFTER = 5  # what a 503 tells clients to wait, in seconds


def clock(when: float) -> str:
    """A wall time as the banners show it (UTC, to the second)."""
    return datetime.fromtimestamp(when, UTC).strftime("%H:%M:%S UTC")


@dataclass(frozen=True)
class Outage:
    """A dependency known to be down: what, why, since when, and when it last answered."""

    dependency: str  # "Prometheus", "cluster west"
    reason: str  # the first failure's plain reason
    since: float  # wall time of the first failure
    last_ok: float | None = None  # wall time of the last good answer this process saw
    cluster: str = ""  # the cluster whose API server this is; "" for other dependencies

    @property
    def last_answer(self) -> str:
        return clock(self.last_ok) if self.last_ok else ""

    @property
    def state(self) -> str:
        return f"not answering since {clock(self.since)} ({self.reason})"

    @property
    def message(self) -> str:
        return f"{self.dependency}: {self.state}"


class DependencyDown(Exception):
    """A dependency's breaker is open: raised at once, without touching the dependency.
    str() is the outage's message, fit for a page."""

    def __init__(self, outage: Outage) -> None:
        super().__init__(outage.message)
        self.outage = outage


class Breaker:
    """The state of one dependency in this process. Thread-safe; cheap when closed."""

    def __init__(
        self, dependency: str, cluster: str = "", probe_interval: float = PROBE_INTERVAL
    ) -> None:
        self.dependency = dependency
        self.cluster = cluster
        self.probe_interval = probe_interval
        self._lock = threading.Lock()
        self._outage: Outage | None = None
        self._last_ok: float | None = None
        self._probe: Callable[[], None] | None = None
        self._prober: threading.Thread | None = None

    @property
    def outage(self) -> Outage | None:
        return self._outage

    @property
    def last_ok(self) -> float | None:
        return self._last_ok

    def check(self) -> None:
        """Raise DependencyDown while the dependency is known to be down."""
        outage = self._outage
        if outage is not None:
            raise DependencyDown(outage)

    def succeeded(self) -> None:
        self._last_ok = time.time()
        if self._outage is None:
            return
        with self._lock:
            ended, self._outage = self._outage, None
        if ended is not None:
            log.warning("%s answers again", self.dependency)
            for listener in list(_recovery_listeners):
                try:
                    listener(ended)
                except Exception:
                    log.exception("recovery listener failed for %s", self.dependency)

    def failed(self, reason: str, probe: Callable[[], None]) -> Outage:
        """Record that the dependency is down. `probe` raises while it still is; the
        background prober calls it until it returns."""
        with self._lock:
            if self._outage is None:
                self._outage = Outage(
                    self.dependency, reason, time.time(), self._last_ok, self.cluster
                )
                log.warning("%s is down: %s", self.dependency, reason)
            self._probe = probe
            if self._prober is None or not self._prober.is_alive():
                self._prober = threading.Thread(
                    target=self._probe_until_up, name=f"probe {self.dependency}", daemon=True
                )
                self._prober.start()
            return self._outage

    def _probe_until_up(self) -> None:
        while True:
            time.sleep(self.probe_interval)
            with self._lock:
                probe = self._probe
                if self._outage is None or probe is None:
                    self._prober = None
                    return
            try:
                probe()
            except Exception as exc:  # any failure means still down
                log.debug("%s still down: %s", self.dependency, exc)
                continue
            self.succeeded()
            with self._lock:
                self._prober = None
            return


_recovery_listeners: list[Callable[[Outage], None]] = []


def on_recovery(listener: Callable[[Outage], None]) -> None:
    """Call `listener` with the outage each time a dependency answers again."""
    _recovery_listeners.append(listener)


_breakers: dict[str, Breaker] = {}
_breakers_lock = threading.Lock()


def breaker(key: str, dependency: str, cluster: str = "") -> Breaker:
    """The process's breaker for a dependency (`key` tells apart two of one name), made on
    first use."""
    found = _breakers.get(key)
    if found is None:
        with _breakers_lock:
            found = _breakers.setdefault(key, Breaker(dependency, cluster))
    return found


def prometheus_breaker(url: str) -> Breaker:
    return breaker(f"prometheus {url}", "Prometheus")


def cluster_breaker(cluster: str) -> Breaker:
    return breaker(f"cluster {cluster}", f"cluster {cluster}", cluster)


def current_outages() -> list[Outage]:
    """Every dependency this process knows to be down, oldest first."""
    found = [b.outage for b in list(_breakers.values())]
    return sorted((o for o in found if o is not None), key=lambda o: o.since)


def reset() -> None:
    """Forget every breaker (tests; a process starting over)."""
    with _breakers_lock:
        for b in _breakers.values():
            with b._lock:
                b._outage = None
                b._probe = None
        _breakers.clear()
