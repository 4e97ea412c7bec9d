"""Kiali's metrics query parameters (spec metrics.md 2), parsed into one typed request.

Every value that later reaches PromQL is checked here: label names, quantiles and the rate
interval go into queries as text, so they must have exactly the shapes PromQL expects.
Errors name the parameter, because a client fixes its URL by that name.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mesh.metrics.catalogue import BY_NAME
from mesh.prometheus.client import LATEST_QUERY_TIME, LONGEST_DURATION

DIRECTIONS = ("inbound", "outbound")
REPORTERS = ("destination", "source", "waypoint")
RATE_FUNCS = ("rate", "irate")
KINDS = ("app", "workload", "service", "namespace")
DEFAULT_DURATION = 1800

_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_QUANTILE = re.compile(r"^(?:0|1|0?\.[0-9]+|0\.[0-9]*|1\.0*)$")
_DURATION = re.compile(r"^(?:[0-9]+(?:ms|s|m|h|d|w|y))+$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}

KNOWN = frozenset(
    {
        "direction",
        "reporter",
        "requestProtocol",
        "filters[]",
        "byLabels[]",
        "quantiles[]",
        "avg",
        "rateInterval",
        "rateFunc",
        "queryTime",
        "duration",
        "step",
        "clusterName",
    }
)


class ParameterError(ValueError):
    """A query parameter is malformed; `parameter` is its name as the client sent it."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter


@dataclass(frozen=True)
class Target:
    """Whose metrics: kind app/workload/service/namespace, in one namespace of one cluster."""

    kind: str
    namespace: str
    name: str
    cluster: str


@dataclass(frozen=True)
class MetricsParams:
    direction: str = "outbound"
    reporters: tuple[str, ...] = ("source",)  # sorted, unique; empty means "both"
    request_protocol: str = ""
    filters: tuple[str, ...] = ()  # empty means all metrics
    by_labels: tuple[str, ...] = ()
    quantiles: tuple[str, ...] = ()  # kept as written: Kiali echoes them as `stat`
    avg: bool = True
    rate_interval: str = ""  # "" means chosen from the step (timing.choose_rate_interval)
    rate_func: str = "rate"
    query_time: float | None = None  # None means now
    duration: int = DEFAULT_DURATION
    step: int = 0  # 0 means chosen from duration and scrape interval
    cluster: str = ""  # "" means the home cluster


def prometheus_seconds(text: str) -> float:
    """Seconds of a Prometheus duration such as `1m30s`; ValueError when it is not one."""
    if not _DURATION.match(text):
        raise ValueError(text)
    total = 0.0
    for number, unit in re.findall(r"([0-9]+)(ms|s|m|h|d|w|y)", text):
        total += int(number) * _UNIT_SECONDS[unit]
    return total


def _one(values: Mapping[str, Sequence[str]], name: str) -> str | None:
    found = values.get(name)
    if not found:
        return None
    if len(found) > 1:
        raise ParameterError(name, "given more than once")
    return found[0]


def _bounded_seconds(values: Mapping[str, Sequence[str]], name: str) -> int | None:
    number = _positive_int(values, name)
    if number is not None and number > LONGEST_DURATION:
        raise ParameterError(name, f"at most {LONGEST_DURATION} seconds (ten years)")
    return number


def _positive_int(values: Mapping[str, Sequence[str]], name: str) -> int | None:
    raw = _one(values, name)
    if raw is None:
        return None
    try:
        number = int(raw)
    except ValueError:
        raise ParameterError(name, f"expected whole seconds, got {raw!r}") from None
    if number <= 0:
        raise ParameterError(name, "must be greater than zero")
    return number


def _reporters(raw: str | None) -> tuple[str, ...]:
    if raw is None:
        # Kiali's backend default for both directions; its UI sends destination for inbound.
        return ("source",)
    if raw == "both":
        return ()
    names = sorted({r.strip() for r in raw.split(",") if r.strip()})
    unknown = [r for r in names if r not in REPORTERS]
    if not names or unknown:
        raise ParameterError(
            "reporter", "expected source, destination, waypoint, a comma list of them, or both"
        )
    return tuple(names)


def _list(values: Mapping[str, Sequence[str]], name: str) -> list[str]:
    """Repeated parameters; a comma list in one value is accepted too, as clients often send."""
    return [part.strip() for v in values.get(name, ()) for part in v.split(",") if part.strip()]


def parse_params(
    values: Mapping[str, Sequence[str]], *, default_direction: str = ""
) -> MetricsParams:
    """Kiali's parameters from a multi-valued mapping (QueryDict.lists() shape)."""
    unknown = sorted(set(values) - KNOWN)
    if unknown:
        raise ParameterError(unknown[0], "unknown parameter")
    direction = _one(values, "direction") or default_direction or "outbound"
    if direction not in DIRECTIONS:
        raise ParameterError("direction", "expected inbound or outbound")
    filters = _list(values, "filters[]")
    for name in filters:
        if name not in BY_NAME:
            raise ParameterError("filters[]", f"unknown metric {name!r}")
    by_labels = _list(values, "byLabels[]")
    for label in by_labels:
        if not _LABEL.match(label):
            raise ParameterError("byLabels[]", f"not a label name: {label!r}")
    quantiles = _list(values, "quantiles[]")
    for q in quantiles:
        if not _QUANTILE.match(q) or not 0 <= float(q) <= 1:
            raise ParameterError("quantiles[]", f"expected a number between 0 and 1, got {q!r}")
    avg_raw = (_one(values, "avg") or "true").lower()
    if avg_raw not in ("true", "false", "1", "0"):
        raise ParameterError("avg", "expected true or false")
    rate_interval = _one(values, "rateInterval") or ""
    if rate_interval:
        try:
            if prometheus_seconds(rate_interval) <= 0:
                raise ValueError(rate_interval)
        except ValueError:
            raise ParameterError(
                "rateInterval", f"expected a Prometheus duration such as 1m, got {rate_interval!r}"
            ) from None
    rate_func = _one(values, "rateFunc") or "rate"
    if rate_func not in RATE_FUNCS:
        raise ParameterError("rateFunc", "expected rate or irate")
    query_time: float | None = None
    raw_time = _one(values, "queryTime")
    if raw_time is not None:
        try:
            query_time = float(raw_time)
        except ValueError:
            raise ParameterError("queryTime", "expected unix seconds") from None
        if not math.isfinite(query_time) or not 0 < query_time <= LATEST_QUERY_TIME:
            raise ParameterError("queryTime", "expected unix seconds")
    return MetricsParams(
        direction=direction,
        reporters=_reporters(_one(values, "reporter")),
        request_protocol=_one(values, "requestProtocol") or "",
        filters=tuple(dict.fromkeys(filters)),
        by_labels=tuple(dict.fromkeys(by_labels)),
        quantiles=tuple(dict.fromkeys(quantiles)),
        avg=avg_raw in ("true", "1"),
        rate_interval=rate_interval,
        rate_func=rate_func,
        query_time=query_time,
        duration=_bounded_seconds(values, "duration") or DEFAULT_DURATION,
        step=_positive_int(values, "step") or 0,
        cluster=_one(values, "clusterName") or "",
    )
