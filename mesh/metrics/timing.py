"""Step, rate interval and the queried range (spec metrics.md 2 and 6.2).

Kiali's UI asks for 50 points per chart but never a step shorter than two scrapes, and uses
the step as the rate interval, so each point is the rate of its own bucket. When a client
leaves step or rate interval out, they are chosen the same way here (Kiali's backend would
fall back to 15 s and 1m, which gives empty charts on a Prometheus scraping every 5 minutes).

A namespace younger than the rate interval shortens it, and the range never starts before
the namespace could have had traffic: older points would only be artefacts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mesh.metrics.params import MetricsParams, ParameterError, prometheus_seconds

POINTS_WANTED = 50


@dataclass(frozen=True)
class Window:
    start: float
    end: float
    step: int
    rate_interval: str


def choose_step(duration: int, scrape_interval: float) -> int:
    return max(duration // POINTS_WANTED, math.ceil(2 * scrape_interval))


def choose_rate_interval(step: int) -> str:
    return f"{step}s"


def resolve_window(
    params: MetricsParams,
    *,
    now: float,
    scrape_interval: float,
    namespace_created: float | None = None,
) -> Window:
    """The range to query; ParameterError when nothing of it can have data."""
    end = params.query_time if params.query_time is not None else now
    step = params.step or choose_step(params.duration, scrape_interval)
    rate_interval = params.rate_interval or choose_rate_interval(step)
    start = end - params.duration
    if namespace_created:
        interval_start = end - prometheus_seconds(rate_interval)
        if interval_start < namespace_created:
            age = int(end - namespace_created)
            if age <= 0:
                raise ParameterError("queryTime", "the namespace did not exist at that time")
            rate_interval = f"{age}s"
            interval_start = namespace_created
        allowed_start = namespace_created + (end - interval_start)
        if start < allowed_start:
            start = allowed_start
            if start > end:
                raise ParameterError("duration", "the namespace did not exist in that range")
    start = math.floor(start / step) * step
    return Window(start=start, end=end, step=step, rate_interval=rate_interval)
