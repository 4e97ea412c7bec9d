"""The graphs kept for the side panel: one per session, found by options and query time,
response times joined whichever request brings them, gone after ten idle minutes."""

from __future__ import annotations

from mesh.graph.model import Edge, Node, TrafficMap
from mesh.graph.options import parse_options
from mesh.graph.recent import RecentGraphs, graph_key

SEEN = frozenset({("c1", "shop")})


def key(**params: str):
    opts = parse_options({"namespaces": "shop", **params}, now=1_700_000_000)
    return graph_key(opts, SEEN)


def one_edge_map() -> TrafficMap:
    tmap = TrafficMap()
    tmap.add(Node("a", "workload", "c1", "shop"))
    tmap.add(Node("b", "workload", "c1", "shop"))
    tmap.add_edge(Edge("a", "b", "http", {"http": 1.0}))
    return tmap


def test_the_panel_finds_the_graph_the_page_got():
    recent = RecentGraphs()
    tmap = one_edge_map()
    recent.remember("s1", key(appenders="deadNode,istio"), tmap, has_times=False)
    # the panel asks with the graph's queryTime and the responseTime appender added
    found = recent.find("s1", key(appenders="deadNode,istio,responseTime", queryTime="1700000000"))
    assert found == (tmap, False)
    assert recent.find("s2", key(appenders="deadNode,istio")) is None  # another session
    assert recent.find("s1", key(appenders="deadNode,istio", queryTime="1700000015")) is None
    assert recent.find("s1", key(appenders="deadNode")) is None  # other options
    other_viewer = graph_key(parse_options({"namespaces": "shop"}, now=1_700_000_000), frozenset())
    assert recent.find("s1", other_viewer) is None  # what the caller may see is part of it


def test_response_times_join_the_graph_in_either_order():
    recent = RecentGraphs()
    first, second = one_edge_map(), one_edge_map()
    recent.remember("s1", key(), first, has_times=False)
    recent.remember_times("s1", key(), {("a", "b", "http"): 42.0})
    assert recent.find("s1", key()) == (first, True)
    assert first.edge("a", "b", "http").meta["responseTime"] == 42.0  # type: ignore[union-attr]

    recent.remember_times("s2", key(), {("a", "b", "http"): 7.0})  # times came first
    recent.remember("s2", key(), second, has_times=False)
    assert recent.find("s2", key()) == (second, True)
    assert second.edge("a", "b", "http").meta["responseTime"] == 7.0  # type: ignore[union-attr]


def test_one_graph_per_session_few_sessions_and_an_idle_timeout():
    now = [0.0]
    recent = RecentGraphs(sessions=2, idle_seconds=600, clock=lambda: now[0])
    recent.remember("s1", key(), one_edge_map(), has_times=True)
    newer = one_edge_map()
    recent.remember("s1", key(duration="5m"), newer, has_times=True)
    assert recent.find("s1", key()) is None and recent.find("s1", key(duration="5m"))
    recent.remember("s2", key(), one_edge_map(), has_times=True)
    recent.find("s1", key(duration="5m"))  # s1 used last: s2 is the oldest now
    recent.remember("s3", key(), one_edge_map(), has_times=True)
    assert recent.find("s2", key()) is None
    assert recent.find("s1", key(duration="5m")) is not None
    now[0] = 601.0
    assert recent.find("s3", key()) is None


def test_times_for_another_graph_leave_the_kept_one_alone():
    recent = RecentGraphs()
    tmap = one_edge_map()
    recent.remember("s1", key(), tmap, has_times=False)
    recent.remember_times("s1", key(duration="5m"), {("a", "b", "http"): 9.0})
    assert recent.find("s1", key()) == (tmap, False)
    assert "responseTime" not in tmap.edge("a", "b", "http").meta  # type: ignore[union-attr]
