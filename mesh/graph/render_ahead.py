"""Edges' traffic written ahead, while a graph's last answers are still awaited.

A big graph's JSON takes a good part of what its queries take, and a reader would wait for
it after the last answer. Most edges are final well before that, so the engine writes each
changed edge's traffic (render.edge_traffic, encoded) whenever it waits for an answer, and
the JSON writer takes it from here. An edge is written again, ahead or at the end, when
anything edge_traffic reads differs from when it was written: the edge's rates and
responses and its source's outbound rate, compared in full, so no path that changes an
edge (an appender, the service-graph reduction) can leave a stale copy behind.
"""

from __future__ import annotations

from typing import Any

import msgspec

from mesh.graph.model import Edge, Node, TrafficMap
from mesh.graph.render import OUT_RATE, edge_traffic

_ENCODER = msgspec.json.Encoder()

# (source's outbound rate, copy of the rates, copy of the responses, encoded traffic)
_Entry = tuple[float, dict[str, float], dict[str, Any], msgspec.Raw]


class EdgeTrafficCache:
    """The traffic of one graph's edges, for render.to_json(traffic=...).

    `pending` collects the edges the builder changes; `advance` writes a few of them and
    is called between answers; calling the cache gives an edge's traffic, written now
    unless a copy is still exact.
    """

    def __init__(self, tmap: TrafficMap) -> None:
        self.tmap = tmap
        self.pending: list[Edge] = []
        self._entries: dict[Edge, _Entry] = {}

    def advance(self, budget: int = 100) -> bool:
        """Write up to `budget` pending edges; False once none is left."""
        pending, node = self.pending, self.tmap.get
        for _ in range(min(budget, len(pending))):
            edge = pending.pop()
            source = node(edge.source)
            if source is not None and self._current(edge, source) is None:
                self._write(edge, source)
        return bool(pending)

    def __call__(self, edge: Edge, source: Node) -> msgspec.Raw:
        raw = self._current(edge, source)
        return raw if raw is not None else self._write(edge, source)

    def _current(self, edge: Edge, source: Node) -> msgspec.Raw | None:
        entry = self._entries.get(edge)
        if (
            entry is not None
            and entry[0] == source.rates.get(OUT_RATE[edge.protocol], 0.0)
            and entry[1] == edge.rates
            and entry[2] == edge.responses
        ):
            return entry[3]
        return None

    def _write(self, edge: Edge, source: Node) -> msgspec.Raw:
        raw = msgspec.Raw(_ENCODER.encode(edge_traffic(edge, source)))
        out = source.rates.get(OUT_RATE[edge.protocol], 0.0)
        self._entries[edge] = (out, dict(edge.rates), edge.copy_responses(), raw)
        return raw
