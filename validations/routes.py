"""Walking a VirtualService's route destinations, shared by several VirtualService checks."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from validations.objects import as_list, as_map, spec

ROUTE_KINDS = ("http", "tcp", "tls")


def routes(vs: Mapping[str, Any]) -> Iterator[tuple[str, int, list[Any]]]:
    """(route kind, route index, its `route` list) for every http/tcp/tls route."""
    for kind in ROUTE_KINDS:
        for i, route in enumerate(as_list(spec(vs).get(kind))):
            yield kind, i, as_list(as_map(route).get("route"))


def destinations(vs: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(path of the destination, destination) for every route destination that has one."""
    for kind, i, dests in routes(vs):
        for j, weighted in enumerate(dests):
            dest = as_map(as_map(weighted).get("destination"))
            if dest:
                yield f"spec/{kind}[{i}]/route[{j}]/destination", dest
