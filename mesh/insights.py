"""The Overview's service insights (OV-06): the services with the highest error rate,
latency or request rate over the health window, among those the user may see.

Three grouped queries over every visible namespace at once (destination-reported, so each
request is counted once, at the service that answered it); the answers are cut to the
user's (cluster, namespace) pairs before anything is ranked, so a busier service the user
cannot see never pushes one they can see off the list.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from mesh.prometheus.client import Sample
from mesh.prometheus.promql import any_of, selector

METRICS = {
    "errors": "Error rate",
    "latency": "Latency (p95)",
    "throughput": "Request rate",
}
DEFAULT_METRICS = ("errors", "latency")
BY = "destination_cluster, destination_service_namespace, destination_service_name"
# Past this many namespaces the regex would make the query too long to send: ask for every
# namespace and cut the answer instead.
MAX_NAMESPACES_IN_QUERY = 200


@dataclass(frozen=True)
class ServiceStat:
    cluster: str
    namespace: str
    service: str
    value: float  # percent for errors, milliseconds for latency, req/s for throughput


def _selector(metric: str, namespaces: set[str], extra: Mapping[str, str] | None = None) -> str:
    regex = dict(extra or {})
    if namespaces and len(namespaces) <= MAX_NAMESPACES_IN_QUERY:
        regex["destination_service_namespace"] = any_of(sorted(namespaces))
    return selector(metric, {"reporter": "destination"}, regex_labels=regex)


def queries(namespaces: set[str], window: str) -> dict[str, str]:
    requests = _selector("istio_requests_total", namespaces)
    failed = _selector("istio_requests_total", namespaces, {"response_code": "[45].."})
    buckets = _selector("istio_request_duration_milliseconds_bucket", namespaces)
    return {
        "rate": f"sum by ({BY}) (rate({requests}[{window}]))",
        "errors": f"sum by ({BY}) (rate({failed}[{window}]))",
        "latency": f"histogram_quantile(0.95, sum by (le, {BY}) (rate({buckets}[{window}])))",
    }


def _keyed(
    samples: Sequence[Sample], seen: Callable[[str, str], bool]
) -> dict[tuple[str, str, str], float]:
    found = {}
    for s in samples:
        cluster = s.labels.get("destination_cluster", "")
        namespace = s.labels.get("destination_service_namespace", "")
        name = s.labels.get("destination_service_name", "")
        if name and name != "unknown" and seen(cluster, namespace) and math.isfinite(s.value):
            found[(cluster, namespace, name)] = s.value
    return found


def _top(values: Mapping[tuple[str, str, str], float], limit: int) -> list[ServiceStat]:
    ranked = sorted(values.items(), key=lambda item: (-item[1], item[0]))
    return [ServiceStat(c, n, s, v) for (c, n, s), v in ranked[:limit] if v > 0]


def service_insights(
    query: Callable[[str], list[Sample]],
    visible: Mapping[str, Sequence[str]],
    window: str,
    chosen: Sequence[str],
    limit: int = 5,
) -> dict[str, list[ServiceStat]]:
    """Per chosen metric (keys of METRICS), the top services, highest first; a service
    without requests in the window has no error rate and is not listed."""
    pairs = {(c, ns) for c, names in visible.items() for ns in names}
    if not pairs:
        return {metric: [] for metric in chosen}

    def seen(cluster: str, namespace: str) -> bool:
        return (cluster, namespace) in pairs

    text = queries({ns for _, ns in pairs}, window)
    rates = _keyed(query(text["rate"]), seen)
    result: dict[str, list[ServiceStat]] = {}
    for metric in chosen:
        if metric == "throughput":
            result[metric] = _top(rates, limit)
        elif metric == "errors":
            failed = _keyed(query(text["errors"]), seen)
            percent = {k: failed.get(k, 0.0) / total * 100 for k, total in rates.items() if total}
            result[metric] = _top(percent, limit)
        elif metric == "latency":
            result[metric] = _top(_keyed(query(text["latency"]), seen), limit)
    return result
