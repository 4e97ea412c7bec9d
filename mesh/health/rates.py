"""Request rates from Prometheus samples into RequestHealth maps (health.md 4.2 and 4.3).

The background job asks Prometheus a fixed number of questions per cluster (two), then
splits the answer per namespace exactly as Kiali's per-namespace queries would have
selected it; on-demand computation for one namespace uses Kiali's own namespace queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from mesh.health.model import Rates
from mesh.prometheus.client import Sample
from mesh.prometheus.promql import any_of, regex_literal, selector

METRIC = "istio_requests_total"


def rate_query(
    labels: dict[str, str],
    interval: str,
    *,
    regex_labels: dict[str, str] | None = None,
    not_regex_labels: dict[str, str] | None = None,
) -> str:
    """`rate(istio_requests_total{...}[interval]) > 0`: no sum, no rounding, no query scope,
    every label kept, as health.md 4.2 and 9 require."""
    sel = selector(METRIC, labels, regex_labels=regex_labels, not_regex_labels=not_regex_labels)
    return f"rate({sel}[{interval}]) > 0"


def cluster_queries(cluster: str, interval: str) -> tuple[str, str]:
    """The background job's two queries of one cluster: traffic whose destination is in it
    (or unknown, for services' 503s) and traffic whose source is in it."""
    return (
        rate_query(
            {}, interval, regex_labels={"destination_cluster": any_of([cluster, "unknown"])}
        ),
        rate_query({"source_cluster": cluster}, interval),
    )


def namespace_queries(cluster: str, namespace: str, interval: str) -> tuple[str, str, str]:
    """Kiali's own per-namespace queries (2 for apps and workloads, 1 for services)."""
    return (
        rate_query(
            {"destination_service_namespace": namespace, "destination_cluster": cluster},
            interval,
            # `!~` of the literal name is Kiali's `!=`, written with the builder we have.
            not_regex_labels={"source_workload_namespace": regex_literal(namespace)},
        ),
        rate_query({"source_workload_namespace": namespace, "source_cluster": cluster}, interval),
        rate_query(
            {"destination_service_namespace": namespace},
            interval,
            regex_labels={"destination_cluster": any_of([cluster, "unknown"])},
        ),
    )


@dataclass
class NamespaceSamples:
    """The samples Kiali's per-namespace queries would return for one namespace."""

    workload_traffic: list[Sample] = field(default_factory=list)  # app and workload health
    service_traffic: list[Sample] = field(default_factory=list)


def split_cluster_samples(
    cluster: str, to_cluster: Iterable[Sample], from_cluster: Iterable[Sample]
) -> dict[str, NamespaceSamples]:
    """Per namespace, the same samples as the three namespace queries, from two cluster ones."""
    result: dict[str, NamespaceSamples] = defaultdict(NamespaceSamples)
    for s in to_cluster:
        ns = s.labels.get("destination_service_namespace", "")
        result[ns].service_traffic.append(s)
        if (
            s.labels.get("destination_cluster") == cluster
            and s.labels.get("source_workload_namespace") != ns
        ):
            result[ns].workload_traffic.append(s)
    for s in from_cluster:
        result[s.labels.get("source_workload_namespace", "")].workload_traffic.append(s)
    return result


def response_code(labels: dict[str, str]) -> str:
    code = labels.get("response_code", "")
    if code == "0":
        return "-"
    if labels.get("request_protocol") == "grpc" and labels.get("grpc_response_status"):
        return labels["grpc_response_status"]
    return code


def _add(rates: Rates, protocol: str, code: str, value: float) -> None:
    codes = rates.setdefault(protocol, {})
    codes[code] = codes.get(code, 0.0) + value


class RateAccumulator:
    """Inbound and outbound rates of many entities, combined by reporter per health.md 4.3."""

    def __init__(self) -> None:
        self.outbound: dict[str, Rates] = defaultdict(dict)
        self._in_source: dict[str, Rates] = defaultdict(dict)
        self._in_destination: dict[str, Rates] = defaultdict(dict)
        self._in_other: dict[str, Rates] = defaultdict(dict)

    def add_inbound(self, entity: str, sample: Sample) -> None:
        reporter = sample.labels.get("reporter", "")
        target = {"source": self._in_source, "destination": self._in_destination}.get(
            reporter, self._in_other
        )
        _add(
            target[entity],
            sample.labels.get("request_protocol", ""),
            response_code(sample.labels),
            sample.value,
        )

    def add_outbound(self, entity: str, sample: Sample) -> None:
        if sample.labels.get("reporter") == "source":
            _add(
                self.outbound[entity],
                sample.labels.get("request_protocol", ""),
                response_code(sample.labels),
                sample.value,
            )

    def inbound(self, entity: str) -> Rates:
        combined: Rates = {p: dict(c) for p, c in self._in_other.get(entity, {}).items()}
        for protocol, codes in self._in_source.get(entity, {}).items():
            for code, value in codes.items():
                combined.setdefault(protocol, {})[code] = value  # assigned, as upstream does
        for protocol, codes in self._in_destination.get(entity, {}).items():
            target = combined.setdefault(protocol, {})
            for code, value in codes.items():
                target[code] = max(target.get(code, value), value)
        return combined

    def outbound_of(self, entity: str) -> Rates:
        return {p: dict(c) for p, c in self.outbound.get(entity, {}).items()}


def accumulate(
    samples: Iterable[Sample], inbound_label: str, outbound_label: str | None, names: set[str]
) -> RateAccumulator:
    """Attribute each sample to the named entities of this namespace that send or receive it."""
    acc = RateAccumulator()
    for sample in samples:
        receiver = sample.labels.get(inbound_label, "")
        if receiver in names:
            acc.add_inbound(receiver, sample)
        if outbound_label is not None:
            sender = sample.labels.get(outbound_label, "")
            if sender in names:
                acc.add_outbound(sender, sample)
    return acc
