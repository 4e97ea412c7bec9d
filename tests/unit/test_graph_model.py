"""TrafficMap's adjacency, checked against networkx's MultiDiGraph, which it replaced: the
order of out_edges and in_edges (appenders sum rates in it, so the JSON depends on it) and
what removing a node or an edge leaves behind."""

from __future__ import annotations

import random

import pytest

from mesh.graph.model import Edge, Node, TrafficMap

nx = pytest.importorskip("networkx")


def _ends(edges: list[Edge]) -> list[tuple[str, str, str]]:
    return [(e.source, e.dest, e.protocol) for e in edges]


def _nx_out(graph, node_id: str) -> list[tuple[str, str, str]]:
    return [(u, v, k) for u, v, k in graph.out_edges(node_id, keys=True)]


def _nx_in(graph, node_id: str) -> list[tuple[str, str, str]]:
    return [(u, v, k) for u, v, k in graph.in_edges(node_id, keys=True)]


def test_traffic_map_lists_edges_in_networkx_order_through_adds_and_removals():
    rng = random.Random(3)
    ids = [f"n{i}" for i in range(12)]
    tmap, graph = TrafficMap(), nx.MultiDiGraph()
    for node_id in ids:
        tmap.add(Node(node_id, "workload", "east", "ns"))
        graph.add_node(node_id)
    for _ in range(400):
        roll = rng.random()
        if roll < 0.6:
            source, dest = rng.choice(ids), rng.choice(ids)  # self-loops included
            protocol = rng.choice(("http", "grpc", "tcp"))
            if source in tmap and dest in tmap and tmap.edge(source, dest, protocol) is None:
                tmap.add_edge(Edge(source, dest, protocol))
                graph.add_edge(source, dest, key=protocol)
        elif roll < 0.9:
            edges = tmap.edges()
            if edges:
                edge = rng.choice(edges)
                tmap.remove_edge(edge)
                graph.remove_edge(edge.source, edge.dest, key=edge.protocol)
        else:
            node_id = rng.choice(ids)
            if node_id in tmap:
                tmap.remove(node_id)
                graph.remove_node(node_id)
            else:
                tmap.add(Node(node_id, "workload", "east", "ns"))
                graph.add_node(node_id)
        assert len(tmap) == graph.number_of_nodes()
        assert sorted(_ends(tmap.edges())) == sorted(graph.edges(keys=True))
        for node_id in ids:
            assert (node_id in tmap) == (node_id in graph)
            if node_id in tmap:
                assert _ends(tmap.out_edges(node_id)) == _nx_out(graph, node_id)
                assert _ends(tmap.in_edges(node_id)) == _nx_in(graph, node_id)
                assert tmap.has_out_edges(node_id) == (graph.out_degree(node_id) > 0)


def test_removing_a_node_removes_its_edges_both_ways():
    tmap = TrafficMap()
    for node_id in ("a", "b", "c"):
        tmap.add(Node(node_id, "workload", "east", "ns"))
    for source, dest in (("a", "b"), ("b", "c"), ("b", "b"), ("c", "a")):
        tmap.add_edge(Edge(source, dest, "http"))
    tmap.remove("b")
    assert "b" not in tmap and tmap.get("b") is None
    assert _ends(tmap.edges()) == [("c", "a", "http")]
    assert _ends(tmap.out_edges("a")) == [] and _ends(tmap.in_edges("c")) == []
    assert _ends(tmap.in_edges("a")) == [("c", "a", "http")]
