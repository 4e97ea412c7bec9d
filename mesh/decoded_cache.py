"""Large cache entries decoded once per process, re-read only when a writer replaced them.

Health documents and cluster snapshots are written by Celery and read by every page; with
hundreds of namespaces, unpickling them on each request costs more than everything else a
list page does. Each entry therefore has a small version stamp beside it: a reader fetches
the stamps (cheap), and unpickles only the entries whose stamp differs from the copy it
already holds. Callers must treat what they get as read-only, since requests share it.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.cache import cache

MAX_DECODED = 20_000
_lock = threading.Lock()
_decoded: OrderedDict[str, tuple[str, Any]] = OrderedDict()


def _stamp_key(key: str) -> str:
    return f"{key}:stamp"


def put_many(values: Mapping[str, Any], timeout: float | None) -> None:
    """Store values with fresh stamps; the stamps are written last so that a reader never
    pairs a new stamp with an old value."""
    cache.set_many(dict(values), timeout=timeout)
    cache.set_many({_stamp_key(k): uuid.uuid4().hex for k in values}, timeout=timeout)


def put(key: str, value: Any, timeout: float | None) -> None:
    put_many({key: value}, timeout)


def delete_many(keys: Iterable[str]) -> None:
    keys = list(keys)
    cache.delete_many([*keys, *(_stamp_key(k) for k in keys)])


def get_many(keys: Iterable[str]) -> dict[str, Any]:
    """The entries present, decoded at most once per process and stamp."""
    keys = list(keys)
    stamps = cache.get_many([_stamp_key(k) for k in keys])
    found: dict[str, Any] = {}
    missing: dict[str, str] = {}
    with _lock:
        for key in keys:
            stamp = stamps.get(_stamp_key(key))
            if stamp is None:
                continue
            held = _decoded.get(key)
            if held is not None and held[0] == stamp:
                _decoded.move_to_end(key)
                found[key] = held[1]
            else:
                missing[key] = stamp
    if missing:
        fetched = cache.get_many(list(missing))
        with _lock:
            for key, value in fetched.items():
                _decoded[key] = (missing[key], value)
                _decoded.move_to_end(key)
                found[key] = value
            while len(_decoded) > MAX_DECODED:
                _decoded.popitem(last=False)
    return found


def get(key: str) -> Any:
    return get_many([key]).get(key)
