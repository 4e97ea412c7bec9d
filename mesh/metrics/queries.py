"""PromQL of the metrics pages (spec metrics.md 3 and 4), written exactly as Kiali writes it.

Matchers come in Kiali's order (reporter, query scope, entity, protocol, cluster) so that a
query can be compared with upstream's text; every value goes through promql.matcher, which
escapes it, and names only ever come from the catalogue or validated parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mesh.metrics.catalogue import BY_NAME, CATALOGUE, Kind, MetricDef
from mesh.metrics.params import MetricsParams, Target
from mesh.prometheus.promql import any_of, label_name, matcher, scope_matchers

# No response, or HTTP 4xx/5xx; a positive match on gRPC statuses, because a negative match
# on a missing label would match every request.
HTTP_ERROR = r"^0$|^[4-5]\d\d$"
GRPC_ERROR = r"^[1-9]$|^1[0-6]$"


@dataclass(frozen=True)
class MetricQuery:
    """One range query; `stat` is "" for counters, "avg" or the quantile for histograms."""

    name: str
    stat: str
    promql: str


def base_matchers(target: Target, params: MetricsParams, scope: Mapping[str, str]) -> list[str]:
    side = "destination" if params.direction == "inbound" else "source"
    found: list[str] = []
    if len(params.reporters) == 1:
        found.append(matcher("reporter", "=", params.reporters[0]))
    elif params.reporters:
        found.append(matcher("reporter", "=~", any_of(params.reporters)))
    found += scope_matchers(scope)
    ns = target.namespace
    if target.kind == "service":
        # Telemetry names a service only on the destination side; callers refuse outbound.
        found += [
            matcher("destination_service_name", "=", target.name),
            matcher("destination_service_namespace", "=", ns),
        ]
    elif target.kind == "workload":
        found += [
            matcher(f"{side}_workload_namespace", "=", ns),
            matcher(f"{side}_workload", "=", target.name),
        ]
    elif target.kind == "app":
        found += [
            matcher(f"{side}_workload_namespace", "=", ns),
            matcher(f"{side}_canonical_service", "=", target.name),
        ]
    else:
        found.append(matcher(f"{side}_workload_namespace", "=", ns))
    if params.request_protocol:
        found.append(matcher("request_protocol", "=", params.request_protocol))
    if target.cluster:
        found.append(matcher(f"{side}_cluster", "=", target.cluster))
    return found


def error_selectors(base: list[str], params: MetricsParams) -> list[str]:
    selectors = [_braces([*base, matcher("response_code", "=~", HTTP_ERROR)])]
    if params.request_protocol != "http":
        selectors.append(
            _braces(
                [
                    *base,
                    matcher("grpc_response_status", "=~", GRPC_ERROR),
                    matcher("response_code", "!~", HTTP_ERROR),
                ]
            )
        )
    return selectors


def _braces(matchers: list[str]) -> str:
    return "{" + ",".join(matchers) + "}"


def _by(labels: tuple[str, ...]) -> str:
    return f" by ({','.join(label_name(label) for label in labels)})" if labels else ""


def counter_query(
    metric: str, selectors: list[str], params: MetricsParams, rate_interval: str
) -> str:
    parts = [
        f"sum({params.rate_func}({metric}{sel}[{rate_interval}])){_by(params.by_labels)}"
        for sel in selectors
    ]
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def histogram_queries(
    metric: str, selector: str, params: MetricsParams, rate_interval: str
) -> list[tuple[str, str]]:
    """(stat, promql) pairs in sorted stat order, as Kiali emits them."""
    by = _by(params.by_labels)
    found: list[tuple[str, str]] = []
    if params.avg:
        found.append(
            (
                "avg",
                f"sum(rate({metric}_sum{selector}[{rate_interval}])){by}"
                f" / sum(rate({metric}_count{selector}[{rate_interval}])){by}",
            )
        )
    grouping = _by(("le", *params.by_labels))
    buckets = f"{metric}_bucket{selector}[{rate_interval}]"
    for q in params.quantiles:
        found.append((q, f"histogram_quantile({q}, sum(rate({buckets})){grouping})"))
    return sorted(found)


def wanted(params: MetricsParams) -> list[MetricDef]:
    return [BY_NAME[n] for n in params.filters] if params.filters else list(CATALOGUE)


def build_queries(
    target: Target, params: MetricsParams, scope: Mapping[str, str], rate_interval: str
) -> list[MetricQuery]:
    """Every range query of one metrics request, in catalogue order."""
    base = base_matchers(target, params, scope)
    selector = _braces(base)
    found: list[MetricQuery] = []
    for metric in wanted(params):
        if metric.kind is Kind.HISTOGRAM:
            for stat, promql in histogram_queries(
                metric.istio_metric, selector, params, rate_interval
            ):
                found.append(MetricQuery(metric.name, stat, promql))
            continue
        selectors = (
            error_selectors(base, params) if metric.name == "request_error_count" else [selector]
        )
        promql = counter_query(metric.istio_metric, selectors, params, rate_interval)
        found.append(MetricQuery(metric.name, "", promql))
    return found
