"""Run one metrics request's queries together and shape the answer like Kiali's.

All queries are sent at once (a page's count is fixed: one per counter, one per histogram
statistic), so the request takes as long as the slowest query, not their sum. One failed
query fails the whole answer, as upstream does: a chart silently missing is worse than a
clear "metrics unavailable".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from mesh.metrics.params import MetricsParams, Target
from mesh.metrics.queries import MetricQuery, build_queries
from mesh.metrics.timing import Window
from mesh.prometheus.client import Series

MAX_CONCURRENT = 8


class RangeQuerier(Protocol):
    def query_range(self, promql: str, start: float, end: float, step: float) -> list[Series]: ...


@dataclass(frozen=True)
class MetricSeries:
    name: str
    stat: str  # "" for counters
    labels: dict[str, str]
    points: list[tuple[float, float]]


@dataclass(frozen=True)
class MetricsResult:
    """Per kiali metric name, its series (histograms: one per statistic and label set)."""

    window: Window
    metrics: dict[str, list[MetricSeries]] = field(default_factory=dict)
    query_count: int = 0


def fetch_metrics(
    client: RangeQuerier,
    target: Target,
    params: MetricsParams,
    window: Window,
    scope: Mapping[str, str],
) -> MetricsResult:
    """Raises PrometheusError when any query fails."""
    queries = build_queries(target, params, scope, window.rate_interval)

    def run(query: MetricQuery) -> list[Series]:
        return client.query_range(query.promql, window.start, window.end, window.step)

    with ThreadPoolExecutor(max_workers=max(1, min(MAX_CONCURRENT, len(queries)))) as pool:
        answers = list(pool.map(run, queries))
    metrics: dict[str, list[MetricSeries]] = {}
    for query, series in zip(queries, answers, strict=True):
        found = metrics.setdefault(query.name, [])
        found += [MetricSeries(query.name, query.stat, s.labels, s.points) for s in series]
    return MetricsResult(window=window, metrics=metrics, query_count=len(queries))


def format_value(value: float) -> str:
    """Prometheus' sample text: shortest round-trip digits, no exponent, NaN and ±Inf named."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    text = format(Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_time(timestamp: float) -> float | int:
    return int(timestamp) if timestamp == int(timestamp) else timestamp


def to_kiali_json(result: MetricsResult) -> dict[str, list[dict[str, Any]]]:
    """Kiali's metrics map (spec metrics.md 4.1)."""
    document: dict[str, list[dict[str, Any]]] = {}
    for name, series in result.metrics.items():
        entries = []
        for s in series:
            entry: dict[str, Any] = {"name": name, "labels": s.labels}
            if s.stat:
                entry["stat"] = s.stat
            entry["datapoints"] = [[format_time(t), format_value(v)] for t, v in s.points]
            entries.append(entry)
        document[name] = entries
    return document


__all__ = [
    "MetricSeries",
    "MetricsParams",
    "MetricsResult",
    "Target",
    "fetch_metrics",
    "to_kiali_json",
]
