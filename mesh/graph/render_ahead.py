"""Edges written ahead, while a graph's last answers are still awaited.

A big graph's JSON takes a good part of what its queries take, and a reader would wait for
it after the last answer. Most edges are final well before that, so the engine writes each
changed edge (its id, the key it is sorted on, its traffic, and the whole element,
encoded) whenever it waits for an answer, and the JSON writer takes them from here.

An edge is written again, ahead or at the end, when anything its element shows differs
from when it was written: its ends, its rates and its source's outbound rate (compared in
full) and its responses (Edge.responses_written, since they only change through
Edge.add_response). An edge that appenders gave metadata is assembled at the end around
its traffic copy. So no path that changes an edge (an appender, the service-graph
reduction) can leave a stale copy behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from mesh.graph.model import Edge, Node, TrafficMap
from mesh.graph.render import OUT_RATE, edge_data, edge_key, edge_traffic, hash_id

_ENCODER = msgspec.json.Encoder()


@dataclass(slots=True, init=False)
class _Written:
    source: str
    dest: str
    out: float  # the source's outbound rate
    rates: dict[str, float]  # a copy
    responses_written: int
    key: str  # render.edge_key
    ident: str
    traffic: msgspec.Raw
    element: msgspec.Raw  # {"data": {id, source, target, traffic}}: an edge without metadata

    def __init__(  # written out: compiled, a generated one stays interpreted (model.Node)
        self,
        source: str,
        dest: str,
        out: float,
        rates: dict[str, float],
        responses_written: int,
        key: str,
        ident: str,
        traffic: msgspec.Raw,
        element: msgspec.Raw,
    ) -> None:
        self.source = source
        self.dest = dest
        self.out = out
        self.rates = rates
        self.responses_written = responses_written
        self.key = key
        self.ident = ident
        self.traffic = traffic
        self.element = element


class EdgeCache:
    """One graph's edges, for render.to_json(edges=...).

    `pending` collects the edges the builder changes; `advance` writes a few of them and
    is called between answers; calling the cache gives an edge's key and element, written
    now unless a copy is still exact.
    """

    def __init__(self, tmap: TrafficMap) -> None:
        self.tmap = tmap
        self.pending: list[Edge] = []
        self._written: dict[Edge, _Written] = {}
        self._hashes: dict[str, str] = {}

    def advance(self, budget: int = 100) -> bool:
        """Write up to `budget` pending edges; False once none is left."""
        pending, node = self.pending, self.tmap.get
        for _ in range(min(budget, len(pending))):
            edge = pending.pop()
            source = node(edge.source)
            if source is not None and self._current(edge, source) is None:
                self._write(edge, source)
        return bool(pending)

    def __call__(self, edge: Edge, source: Node, hashes: dict[str, str]) -> tuple[str, Any]:
        written = self._current(edge, source) or self._write(edge, source)
        if not edge.meta:
            return written.key, written.element
        traffic = written.traffic
        data = edge_data(edge, source, hashes, traffic=lambda *_: traffic, ident=written.ident)
        return written.key, {"data": data}

    def _current(self, edge: Edge, source: Node) -> _Written | None:
        written = self._written.get(edge)
        if (
            written is not None
            and written.responses_written == edge.responses_written
            and written.out == source.rates.get(OUT_RATE[edge.protocol], 0.0)
            and written.rates == edge.rates
            and written.source == edge.source
            and written.dest == edge.dest
        ):
            return written
        return None

    def _hash(self, node_id: str) -> str:
        found = self._hashes.get(node_id)
        if found is None:
            found = self._hashes[node_id] = hash_id(node_id)
        return found

    def _write(self, edge: Edge, source: Node) -> _Written:
        src, dst = self._hash(edge.source), self._hash(edge.dest)
        before = self._written.get(edge)
        if before is not None and before.source == edge.source and before.dest == edge.dest:
            key, ident = before.key, before.ident
        else:
            key = edge_key(src, dst, edge.protocol)
            ident = hash_id(key)
        encoded = _ENCODER.encode(edge_traffic(edge, source))
        # The element around it as msgspec writes it (ids and hashes are hex digits: nothing
        # to escape), without building and encoding a dict around it: 0.5 us an edge less.
        element = b"".join(
            (
                b'{"data":{"id":"',
                ident.encode(),
                b'","source":"',
                src.encode(),
                b'","target":"',
                dst.encode(),
                b'","traffic":',
                encoded,
                b"}}",
            )
        )
        written = self._written[edge] = _Written(
            edge.source,
            edge.dest,
            source.rates.get(OUT_RATE[edge.protocol], 0.0),
            dict(edge.rates),
            edge.responses_written,
            key,
            ident,
            msgspec.Raw(encoded),
            msgspec.Raw(element),
        )
        return written
