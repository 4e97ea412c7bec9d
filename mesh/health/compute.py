"""Health of one namespace from its inventory and its request samples (health.md 6 and 7).

`samples=None` means "no metrics wanted" (the graph's appender fills requests from its own
edges): entities then get replica statuses and annotations only.
"""

from __future__ import annotations

from collections.abc import Sequence

from mesh.health.model import (
    AppHealth,
    NamespaceHealthEntry,
    RequestHealth,
    ServiceHealth,
    WorkloadHealth,
    WorkloadStatus,
)
from mesh.health.rates import NamespaceSamples, accumulate
from mesh.health.status import app_health_status, service_health_status, workload_health_status
from mesh.health.tolerance import Rule, tolerances_for
from mesh.inventory.model import NamespaceInventory, Workload


def workload_status(workload: Workload) -> WorkloadStatus:
    """Replica numbers; proxy sync is unknown (-1) until istiod's sync status is read."""
    return WorkloadStatus(
        name=workload.name,
        desired_replicas=workload.desired_replicas,
        current_replicas=workload.current_replicas,
        available_replicas=workload.available_replicas,
        synced_proxies=-1,
    )


def namespace_health(
    inventory: NamespaceInventory,
    samples: NamespaceSamples | None,
    rules: Sequence[Rule],
    *,
    computed_at: float,
    duration: str,
) -> NamespaceHealthEntry:
    ns = inventory.namespace
    entry = NamespaceHealthEntry(ns.cluster, ns.name, computed_at, duration)
    workloads = {w.name: w for w in inventory.workloads}

    traffic = samples.workload_traffic if samples else []
    with_telemetry = {w.name for w in inventory.workloads if w.can_have_telemetry}
    by_workload = accumulate(traffic, "destination_workload", "source_workload", with_telemetry)
    for w in inventory.workloads:
        requests = RequestHealth(health_annotations=w.health_annotations)
        if w.name in with_telemetry:
            requests.inbound = by_workload.inbound(w.name)
            requests.outbound = by_workload.outbound_of(w.name)
        health = WorkloadHealth(requests, workload_status(w))
        tolerances = tolerances_for(rules, ns.name, "workload", w.name, w.health_annotations)
        health.status = workload_health_status(health, tolerances)
        entry.workload_health[w.name] = health

    apps_with_telemetry = {a.name for a in inventory.apps if a.can_have_telemetry}
    by_app = accumulate(
        traffic, "destination_canonical_service", "source_canonical_service", apps_with_telemetry
    )
    for app in inventory.apps:
        requests = RequestHealth()
        if app.name in apps_with_telemetry:
            requests.inbound = by_app.inbound(app.name)
            requests.outbound = by_app.outbound_of(app.name)
        statuses = [workload_status(workloads[w]) for w in app.workloads]
        app_health = AppHealth(requests, statuses)
        app_health.status = app_health_status(
            app_health, tolerances_for(rules, ns.name, "app", app.name)
        )
        entry.app_health[app.name] = app_health

    names = {s.name for s in inventory.services}
    by_service = accumulate(
        samples.service_traffic if samples else [], "destination_service_name", None, names
    )
    for service in inventory.services:
        requests = RequestHealth(
            inbound=by_service.inbound(service.name),
            health_annotations=service.health_annotations,
        )
        service_health = ServiceHealth(requests)
        tolerances = tolerances_for(
            rules, ns.name, "service", service.name, service.health_annotations
        )
        service_health.status = service_health_status(service_health, tolerances)
        entry.service_health[service.name] = service_health
    return entry
