"""Asking Prometheus for health's request rates: two queries per cluster, three per namespace.

Everything else in mesh/health works on the samples these return, so it is tested with
canned samples.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from mesh.health.rates import (
    NamespaceSamples,
    cluster_queries,
    namespace_queries,
    split_cluster_samples,
)
from mesh.prometheus.client import PrometheusClient


def cluster_samples(
    prometheus: PrometheusClient, cluster: str, interval: str, at: datetime | None = None
) -> dict[str, NamespaceSamples]:
    """Raises PrometheusError if either query fails."""
    to_cluster, from_cluster = cluster_queries(cluster, interval)
    with ThreadPoolExecutor(max_workers=2) as pool:
        inbound = pool.submit(prometheus.query, to_cluster, at)
        outbound = pool.submit(prometheus.query, from_cluster, at)
        return split_cluster_samples(cluster, inbound.result(), outbound.result())


def namespace_samples(
    prometheus: PrometheusClient,
    cluster: str,
    namespace: str,
    interval: str,
    at: datetime | None = None,
) -> NamespaceSamples:
    """Kiali's own per-namespace queries, for computing one namespace on demand."""
    into, out_of, services = namespace_queries(cluster, namespace, interval)
    with ThreadPoolExecutor(max_workers=3) as pool:
        answers = [pool.submit(prometheus.query, q, at) for q in (into, out_of, services)]
        first, second, third = (a.result() for a in answers)
    return NamespaceSamples(workload_traffic=first + second, service_traffic=third)
