"""A request's time budget for one kind of dependency, shared by every call it makes.

Per-call timeouts add up: a graph's two rounds of queries, or a page's namespace read
followed by a snapshot read, each waiting out its own timeout, kept a user waiting twice
as long as any message said. A Deadline is fixed when the request starts; every call
under it gets only what is left, and none starts once it has run out.

The Kubernetes reads of a request find their deadline in a context variable (set by the
request middleware), since they are made far from the view; thread pools that make such
reads for the request carry the context over with `in_context`.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Deadline:
    budget: float  # seconds, as configured: what messages quote
    ends: float = field(default=0.0)  # time.monotonic() at which it runs out

    @classmethod
    def after(cls, budget: float) -> Deadline:
        return cls(budget, time.monotonic() + budget)

    @classmethod
    def starting(cls, started: float | None, budget: float) -> Deadline:
        """`budget` seconds from `started` (time.monotonic()), or from now if unknown."""
        return cls(budget, (time.monotonic() if started is None else started) + budget)

    def remaining(self) -> float:
        return self.ends - time.monotonic()

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0


_kube: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar(
    "kube_deadline", default=None
)


def kube_deadline() -> Deadline | None:
    """The current request's deadline for Kubernetes reads; None outside requests (workers
    refreshing caches keep their per-call timeouts)."""
    return _kube.get()


@contextmanager
def kube_deadline_of(budget: float) -> Iterator[Deadline]:
    token = _kube.set(Deadline.after(budget))
    try:
        yield _kube.get()  # type: ignore[misc]
    finally:
        _kube.reset(token)


def suspend_kube_deadline() -> contextvars.Token[Deadline | None]:
    """Background work run inside a request (Celery's eager mode) is not the request's:
    it gets no deadline until `resume_kube_deadline`."""
    return _kube.set(None)


def resume_kube_deadline(token: contextvars.Token[Deadline | None]) -> None:
    with contextlib.suppress(ValueError):  # a token of another context: nothing to restore
        _kube.reset(token)


def in_context(fn: Callable[P, T]) -> Callable[P, T]:
    """`fn` run in the caller's context wherever it runs (a pool thread), so the request's
    deadline follows it."""
    context = contextvars.copy_context()

    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        return context.copy().run(fn, *args, **kwargs)

    return run
