"""The thirteen Istio metrics a metrics page can show, and how each is charted.

The kiali names are a public API (the `filters[]` parameter and the keys of the JSON
answer), so they are fixed here once. `tcp_sent` reads `istio_tcp_received_bytes_total` on
purpose: Kiali names TCP bytes from the point of view of the proxy's peer, and clients of
its API expect that.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    COUNTER = "counter"
    HISTOGRAM = "histogram"


@dataclass(frozen=True)
class MetricDef:
    name: str  # kiali name
    istio_metric: str
    kind: Kind
    chart: str  # chart title; "" for metrics drawn inside another chart
    unit: str  # unit of the values in the answer
    scale: float = 1.0  # applied by charts only (Kiali's dashboard scaling)
    chart_unit: str = ""


CATALOGUE: tuple[MetricDef, ...] = (
    MetricDef("request_count", "istio_requests_total", Kind.COUNTER, "Request volume", "ops"),
    MetricDef("request_error_count", "istio_requests_total", Kind.COUNTER, "", "ops"),
    MetricDef(
        "request_duration_millis",
        "istio_request_duration_milliseconds",
        Kind.HISTOGRAM,
        "Request duration",
        "ms",
        0.001,
        "seconds",
    ),
    MetricDef("request_size", "istio_request_bytes", Kind.HISTOGRAM, "Request size", "bytes"),
    MetricDef("response_size", "istio_response_bytes", Kind.HISTOGRAM, "Response size", "bytes"),
    MetricDef(
        "request_throughput",
        "istio_request_bytes_sum",
        Kind.COUNTER,
        "Request throughput",
        "bytes/s",
        8.0,
        "bit/s",
    ),
    MetricDef(
        "response_throughput",
        "istio_response_bytes_sum",
        Kind.COUNTER,
        "Response throughput",
        "bytes/s",
        8.0,
        "bit/s",
    ),
    MetricDef("grpc_sent", "istio_request_messages_total", Kind.COUNTER, "gRPC sent", "msg/s"),
    MetricDef(
        "grpc_received", "istio_response_messages_total", Kind.COUNTER, "gRPC received", "msg/s"
    ),
    MetricDef("tcp_sent", "istio_tcp_received_bytes_total", Kind.COUNTER, "TCP sent", "bytes/s"),
    MetricDef(
        "tcp_received", "istio_tcp_sent_bytes_total", Kind.COUNTER, "TCP received", "bytes/s"
    ),
    MetricDef(
        "tcp_opened", "istio_tcp_connections_opened_total", Kind.COUNTER, "TCP opened", "conn/s"
    ),
    MetricDef(
        "tcp_closed", "istio_tcp_connections_closed_total", Kind.COUNTER, "TCP closed", "conn/s"
    ),
)

BY_NAME: dict[str, MetricDef] = {m.name: m for m in CATALOGUE}

# Kiali's dashboard order (spec metrics.md 5); request errors share the volume chart.
CHART_ORDER: tuple[str, ...] = (
    "request_count",
    "request_duration_millis",
    "request_size",
    "response_size",
    "request_throughput",
    "response_throughput",
    "grpc_received",
    "grpc_sent",
    "tcp_opened",
    "tcp_closed",
    "tcp_received",
    "tcp_sent",
)
