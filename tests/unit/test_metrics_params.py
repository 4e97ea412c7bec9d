"""Kiali's metrics parameters: defaults, validation naming the parameter, step arithmetic."""

from __future__ import annotations

import pytest

from mesh.metrics.fetch import format_time, format_value
from mesh.metrics.params import ParameterError, parse_params, prometheus_seconds
from mesh.metrics.timing import choose_rate_interval, choose_step, resolve_window


def test_defaults_are_kialis_backend_defaults() -> None:
    params = parse_params({})
    assert params.direction == "outbound"
    assert params.reporters == ("source",)
    assert params.duration == 1800 and params.avg and params.rate_func == "rate"
    assert params.filters == () and params.quantiles == () and params.step == 0


@pytest.mark.parametrize(
    ("values", "parameter"),
    [
        ({"duration": ["ten"]}, "duration"),
        ({"duration": ["-5"]}, "duration"),
        ({"step": ["0"]}, "step"),
        ({"direction": ["sideways"]}, "direction"),
        ({"reporter": ["proxy"]}, "reporter"),
        ({"byLabels[]": ["le) or vector(1"]}, "byLabels[]"),
        ({"quantiles[]": ["1.5"]}, "quantiles[]"),
        ({"quantiles[]": ["0.9) or vector(1"]}, "quantiles[]"),
        ({"rateInterval": ["1 minute"]}, "rateInterval"),
        ({"rateFunc": ["increase"]}, "rateFunc"),
        ({"filters[]": ["cpu"]}, "filters[]"),
        ({"queryTime": ["yesterday"]}, "queryTime"),
        ({"avg": ["maybe"]}, "avg"),
        ({"colour": ["red"]}, "colour"),
    ],
)
def test_bad_parameters_are_refused_by_name(values, parameter) -> None:
    with pytest.raises(ParameterError) as raised:
        parse_params(values)
    assert raised.value.parameter == parameter
    assert str(raised.value).startswith(f"{parameter}: ")


def test_reporter_lists_are_sorted_and_both_means_no_filter() -> None:
    assert parse_params({"reporter": ["waypoint,source,source"]}).reporters == (
        "source",
        "waypoint",
    )
    assert parse_params({"reporter": ["both"]}).reporters == ()


def test_lists_keep_order_and_accept_repeats_or_commas() -> None:
    params = parse_params({"quantiles[]": ["0.99", "0.5,0.99"], "filters[]": ["tcp_sent"]})
    assert params.quantiles == ("0.99", "0.5") and params.filters == ("tcp_sent",)


@pytest.mark.parametrize(
    ("duration", "step", "interval"),
    [(600, 30, "30s"), (1800, 36, "36s"), (3600, 72, "72s"), (86400, 1728, "1728s")],
)
def test_step_is_a_fiftieth_of_the_range_but_at_least_two_scrapes(duration, step, interval) -> None:
    assert choose_step(duration, 15) == step
    assert choose_rate_interval(step) == interval


def test_step_never_shorter_than_two_scrapes() -> None:
    assert choose_step(60, 15) == 30
    assert choose_step(600, 300) == 600  # a Thanos store collecting every 5 minutes
    assert choose_step(60, 1) == 2


def test_prometheus_durations() -> None:
    assert prometheus_seconds("1m30s") == 90
    assert prometheus_seconds("7d") == 7 * 86400
    with pytest.raises(ValueError):
        prometheus_seconds("90")


def test_window_is_floored_to_the_step_and_uses_the_chosen_rate_interval() -> None:
    window = resolve_window(parse_params({"duration": ["1800"]}), now=100_010.0, scrape_interval=15)
    assert window.step == 36 and window.rate_interval == "36s"
    assert window.end == 100_010.0
    assert window.start == (100_010 - 1800) // 36 * 36


def test_explicit_step_and_rate_interval_win() -> None:
    params = parse_params({"step": ["15"], "rateInterval": ["1m"], "queryTime": ["2000"]})
    window = resolve_window(params, now=9e9, scrape_interval=300)
    assert (window.step, window.rate_interval, window.end) == (15, "1m", 2000.0)


def test_a_young_namespace_shortens_the_rate_interval_and_the_range() -> None:
    params = parse_params({"rateInterval": ["1m"], "step": ["10"], "duration": ["600"]})
    window = resolve_window(params, now=10_000.0, scrape_interval=15, namespace_created=9_970.0)
    assert window.rate_interval == "30s"
    # the range starts once a whole rate interval has existed, floored to the step
    assert window.start == 10_000.0


def test_a_namespace_created_after_the_query_time_is_a_bad_request() -> None:
    params = parse_params({"queryTime": ["1000"]})
    with pytest.raises(ParameterError):
        resolve_window(params, now=9e9, scrape_interval=15, namespace_created=2000.0)


def test_values_are_written_like_prometheus_writes_them() -> None:
    assert format_value(1.5) == "1.5"
    assert format_value(2.0) == "2"
    assert format_value(1e-05) == "0.00001"
    assert format_value(float("nan")) == "NaN"
    assert format_value(float("inf")) == "+Inf"
    assert format_time(1700000000.0) == 1700000000
    assert format_time(1700000000.5) == 1700000000.5
