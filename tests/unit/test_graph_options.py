"""Graph options are parsed as Kiali parses them; bad values are clear 400-worthy errors."""

from __future__ import annotations

import pytest

from mesh.graph.options import NodeSpec, OptionsError, parse_options


def test_defaults_follow_kiali():
    opts = parse_options({"namespaces": "a,b"}, now=100)
    assert opts.graph_type == "workload" and opts.duration == 600 and opts.query_time == 100
    assert opts.appenders is None and opts.wants("deadNode")
    assert (opts.rate_http, opts.rate_grpc, opts.rate_tcp) == ("requests", "requests", "sent")
    assert opts.namespaces == ("a", "b") and not opts.historical


def test_service_graphs_always_inject_service_nodes():
    assert parse_options({"namespaces": "a", "graphType": "service"}).inject_service_nodes


def test_present_but_empty_appenders_means_none_and_sidecars_check_is_mesh_check():
    assert not parse_options({"namespaces": "a", "appenders": ""}).wants("deadNode")
    opts = parse_options({"namespaces": "a", "appenders": " sidecarsCheck , istio"})
    assert opts.wants("meshCheck") and opts.wants("istio") and not opts.wants("health")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"namespaces": 'bad"ns'}, 'Invalid namespace [bad"ns]'),
        ({"namespaces": "x{y}"}, "Invalid namespace"),
        ({"namespaces": "a", "graphType": "pods"}, "Invalid graphType [pods]"),
        ({"namespaces": "a", "appenders": "extensions"}, "Invalid appender [extensions]"),
        ({"namespaces": "a", "boxBy": "none"}, "Invalid boxBy [none]"),
        ({"namespaces": "a", "duration": "ten"}, "Invalid duration [ten]"),
        ({"namespaces": "a", "rateTcp": "requests"}, "Invalid rateTcp [requests]"),
        ({"namespaces": "a", "includeIdleEdges": "yes"}, "Invalid includeIdleEdges [yes]"),
        ({}, "At least one namespace"),
    ],
)
def test_invalid_values_are_refused(params, message):
    with pytest.raises(OptionsError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_options(params)


def test_app_node_graphs_need_an_app_graph_type():
    with pytest.raises(OptionsError):
        parse_options({"graphType": "workload"}, node=NodeSpec("app", "ns", app="a"))
    opts = parse_options(
        {"graphType": "app", "clusterName": "east"}, node=NodeSpec("app", "ns", app="a")
    )
    assert opts.namespaces == ("ns",) and opts.node and opts.node.cluster == "east"


def test_node_names_with_quotes_are_refused():
    with pytest.raises(OptionsError):
        parse_options({}, node=NodeSpec("workload", "ns", workload='w"}'))
