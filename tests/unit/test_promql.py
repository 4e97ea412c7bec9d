"""Label selectors are escaped, scoped and refuse what PromQL cannot express safely."""

from __future__ import annotations

import pytest

from mesh.prometheus.promql import any_of, escape, regex_literal, selector


def test_escape_quotes_backslashes_and_newlines() -> None:
    assert escape('say "hi"') == r'"say \"hi\""'
    assert escape("a\\b") == r'"a\\b"'
    assert escape("line1\nline2\r\t") == r'"line1\nline2\r\t"'
    assert escape("") == '""'


def test_a_hostile_value_stays_inside_its_string_literal() -> None:
    query = selector("istio_requests_total", {"destination_workload": 'x"} or vector(1) #'})
    assert query == r'istio_requests_total{destination_workload="x\"} or vector(1) #"}'


def test_backslash_before_quote_cannot_close_the_literal() -> None:
    assert selector("m", {"a": '\\"'}) == r'm{a="\\\""}'


def test_scope_is_applied_to_every_selector() -> None:
    scope = {"mesh_id": "mesh1", "cluster": "east"}
    assert selector("up", scope=scope) == 'up{mesh_id="mesh1",cluster="east"}'
    assert (
        selector("istio_requests_total", {"reporter": "source"}, scope=scope)
        == 'istio_requests_total{mesh_id="mesh1",cluster="east",reporter="source"}'
    )
    assert selector("", {"a": "b"}, scope=scope) == '{mesh_id="mesh1",cluster="east",a="b"}'


def test_scope_can_follow_the_reporter_as_on_kialis_metrics_pages() -> None:
    assert (
        selector(
            "istio_requests_total",
            {"reporter": "source", "source_workload": "reviews-v1"},
            scope={"mesh_id": "m"},
            scope_after=1,
        )
        == 'istio_requests_total{reporter="source",mesh_id="m",source_workload="reviews-v1"}'
    )


def test_scope_names_are_sanitised_like_kiali_and_not_repeated() -> None:
    assert selector("up", {"mesh_id": "m"}, scope={"mesh-id": "m"}) == 'up{mesh_id="m"}'


def test_regex_matchers_and_literal_alternatives() -> None:
    query = selector(
        "istio_requests_total",
        {"reporter": "destination"},
        regex_labels={"destination_workload": any_of(["a.b", "c|d"])},
        not_regex_labels={"response_code": "^0$"},
    )
    assert query == (
        'istio_requests_total{reporter="destination",'
        'destination_workload=~"a\\\\.b|c\\\\|d",response_code!~"^0$"}'
    )
    assert regex_literal("x+y") == "x\\+y"


@pytest.mark.parametrize("name", ["", "1abc", "with-dash", "dots.in", 'q"uote', "sp ace", "é"])
def test_bad_label_names_are_rejected(name: str) -> None:
    with pytest.raises(ValueError, match="label name"):
        selector("up", {name: "v"})
    with pytest.raises(ValueError, match="label name"):
        selector("up", regex_labels={name: "v"})


def test_bad_metric_names_and_empty_selectors_are_rejected() -> None:
    with pytest.raises(ValueError, match="metric name"):
        selector("up{}", {})
    with pytest.raises(ValueError):
        selector("")
    with pytest.raises(ValueError, match="label name"):
        selector("up", scope={"1x": "v"})
