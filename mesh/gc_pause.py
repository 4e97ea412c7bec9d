"""Pausing Python's cyclic garbage collector around allocation-heavy request work.

A big graph allocates a few hundred thousand short-lived dicts and tuples. None of them is
part of a reference cycle, so reference counting frees them all, yet every few hundred
allocations the collector runs and walks the young objects, and now and then the whole
heap: on the 5,000-edge benchmark that was a third of the graph's time, finding nothing.

The collector's switch is process-wide and requests run in threads, so the pause counts its
holders: the first one in switches the collector off, the last one out restores it as it
was. Objects still alive when the collector comes back are all "young" to it and its first
pass walks every one of them, so a request should let its big objects go inside the pause;
a `Hold` lets it keep the pause (and the objects) until its answer has been sent.
"""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0
_restore = False


def _hold() -> None:
    global _holders, _restore
    with _lock:
        if _holders == 0:
            _restore = gc.isenabled()
            gc.disable()
        _holders += 1


def _let_go() -> None:
    global _holders
    with _lock:
        _holders -= 1
        if _holders == 0 and _restore:
            gc.enable()


@contextmanager
def gc_paused() -> Iterator[None]:
    _hold()
    try:
        yield
    finally:
        _let_go()


class Hold:
    """A pause that outlives a `with` block: taken now, ended by `release()` (once; later
    calls do nothing), or when the Hold itself is freed, so a lost one cannot leave the
    collector off."""

    def __init__(self) -> None:
        _hold()
        self._finalizer = weakref.finalize(self, _let_go)

    def release(self) -> None:
        self._finalizer()
