"""Metrics-page PromQL is Kiali's text exactly: matcher order, scope, errors, histograms."""

from __future__ import annotations

from mesh.metrics.params import MetricsParams, Target, parse_params
from mesh.metrics.queries import build_queries


def queries(target: Target, params: MetricsParams, scope=None, rate_interval="1m"):
    return {
        (q.name, q.stat): q.promql
        for q in build_queries(target, params, scope or {}, rate_interval)
    }


def test_outbound_workload_request_count_matches_kialis_example() -> None:
    found = queries(Target("workload", "bookinfo", "reviews-v1", "east"), parse_params({}))
    assert found[("request_count", "")] == (
        'sum(rate(istio_requests_total{reporter="source",source_workload_namespace="bookinfo",'
        'source_workload="reviews-v1",source_cluster="east"}[1m]))'
    )


def test_inbound_app_with_waypoint_uses_a_sorted_reporter_regex() -> None:
    params = parse_params({"direction": ["inbound"], "reporter": ["waypoint,destination"]})
    found = queries(Target("app", "bookinfo", "reviews", "east"), params)
    assert found[("request_count", "")] == (
        'sum(rate(istio_requests_total{reporter=~"destination|waypoint",'
        'destination_workload_namespace="bookinfo",destination_canonical_service="reviews",'
        'destination_cluster="east"}[1m]))'
    )


def test_query_scope_follows_the_reporter_and_both_drops_the_reporter() -> None:
    scope = {"mesh-id": "m1"}
    params = parse_params({"direction": ["inbound"], "reporter": ["destination"]})
    found = queries(Target("service", "shop", "cart", "east"), params, scope)
    assert found[("tcp_opened", "")] == (
        'sum(rate(istio_tcp_connections_opened_total{reporter="destination",mesh_id="m1",'
        'destination_service_name="cart",destination_service_namespace="shop",'
        'destination_cluster="east"}[1m]))'
    )
    both = queries(Target("namespace", "shop", "", "east"), parse_params({"reporter": ["both"]}))
    assert both[("request_count", "")] == (
        'sum(rate(istio_requests_total{source_workload_namespace="shop",source_cluster="east"}[1m]))'
    )


def test_error_rate_counts_http_errors_and_grpc_errors_not_already_counted() -> None:
    params = parse_params({"byLabels[]": ["response_code"]})
    found = queries(Target("workload", "ns", "w", "c"), params, rate_interval="30s")
    base = 'reporter="source",source_workload_namespace="ns",source_workload="w",source_cluster="c"'
    assert found[("request_error_count", "")] == (
        f'(sum(rate(istio_requests_total{{{base},response_code=~"^0$|^[4-5]\\\\d\\\\d$"}}[30s]))'
        " by (response_code) OR "
        f'sum(rate(istio_requests_total{{{base},grpc_response_status=~"^[1-9]$|^1[0-6]$",'
        f'response_code!~"^0$|^[4-5]\\\\d\\\\d$"}}[30s])) by (response_code))'
    )
    http_only = queries(
        Target("workload", "ns", "w", "c"), parse_params({"requestProtocol": ["http"]})
    )[("request_error_count", "")]
    assert " OR " not in http_only and 'request_protocol="http"' in http_only
    assert not http_only.startswith("(")


def test_histograms_give_average_and_quantiles_in_sorted_stat_order() -> None:
    params = parse_params(
        {
            "quantiles[]": ["0.99", "0.5"],
            "byLabels[]": ["source_canonical_service"],
            "filters[]": ["request_size"],
        }
    )
    built = build_queries(Target("workload", "ns", "w", ""), params, {}, "1m")
    assert [(q.name, q.stat) for q in built] == [
        ("request_size", "0.5"),
        ("request_size", "0.99"),
        ("request_size", "avg"),
    ]
    sel = '{reporter="source",source_workload_namespace="ns",source_workload="w"}'
    assert built[1].promql == (
        f"histogram_quantile(0.99, sum(rate(istio_request_bytes_bucket{sel}[1m])) "
        "by (le,source_canonical_service))"
    )
    assert built[2].promql == (
        f"sum(rate(istio_request_bytes_sum{sel}[1m])) by (source_canonical_service)"
        f" / sum(rate(istio_request_bytes_count{sel}[1m])) by (source_canonical_service)"
    )


def test_a_name_with_quotes_stays_inside_its_string_literal() -> None:
    found = queries(Target("workload", "ns", 'x"} or vector(1) #', ""), parse_params({}))
    assert 'source_workload="x\\"} or vector(1) #"' in found[("request_count", "")]


def test_tcp_sent_reads_the_received_bytes_metric_as_kiali_does() -> None:
    found = queries(Target("workload", "ns", "w", ""), parse_params({"rateFunc": ["irate"]}))
    assert found[("tcp_sent", "")].startswith("sum(irate(istio_tcp_received_bytes_total{")
    assert found[("tcp_received", "")].startswith("sum(irate(istio_tcp_sent_bytes_total{")
    # histograms always use rate
    assert found[("request_duration_millis", "avg")].startswith("sum(rate(")


def test_all_thirteen_metrics_cost_thirteen_queries_without_quantiles() -> None:
    assert len(queries(Target("app", "ns", "a", "c"), parse_params({}))) == 13
