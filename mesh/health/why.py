"""Why one app, workload or service has its health, from the cached health (HE-06).

The detail page and the list rows' popovers both explain a status; both read it here so a
popover never says something the detail page contradicts. Tolerances are the ones the
status was computed with: the namespace/kind/name rules and the object's own annotation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from mesh.health.explain import HealthReason, explain
from mesh.health.model import (
    AppHealth,
    Rates,
    ServiceHealth,
    StatusInfo,
    WorkloadHealth,
    WorkloadStatus,
)
from mesh.health.serving import HealthLookup
from mesh.health.tolerance import Rule, Tolerance, tolerances_for
from mesh.inventory.model import App, Service, Workload

Entity = App | Workload | Service


@dataclass(frozen=True)
class Traffic:
    """One direction's requests: total rate and the share that are errors (4xx/5xx/gRPC
    errors/no response), over the health window."""

    rate: float
    error_percent: float


@dataclass
class HealthWhy:
    info: StatusInfo | None = None
    reasons: list[HealthReason] = field(default_factory=list)
    pods: str = ""  # "2 of 2 pods available", "" for services
    inbound: Traffic | None = None
    outbound: Traffic | None = None
    duration: str = ""  # the health window, "5m"


def _traffic(direction: str, rates: Rates, tolerances: Sequence[Tolerance]) -> Traffic | None:
    """Errors are the codes some tolerance for this direction and protocol counts, so the
    percentage is the one the status was judged on."""
    total = sum(v for codes in rates.values() for v in codes.values())
    if total <= 0:
        return None
    errors = 0.0
    for protocol, codes in rates.items():
        applying = [
            t for t in tolerances if t.direction.search(direction) and t.protocol.search(protocol)
        ]
        errors += sum(v for code, v in codes.items() if any(t.code.search(code) for t in applying))
    return Traffic(total, errors / total * 100)


def health_why(lookup: HealthLookup, rules: Sequence[Rule], entity: Entity) -> HealthWhy:
    """The entity's cached health with its reasons; an empty HealthWhy when none is cached."""
    cluster, namespace = entity.cluster, entity.namespace
    health: AppHealth | WorkloadHealth | ServiceHealth | None
    statuses: list[WorkloadStatus] = []
    annotations: dict[str, str] = {}
    if isinstance(entity, App):
        kind = "app"
        health = lookup.app(cluster, namespace, entity.name)
        statuses = list(health.workload_statuses) if health else []
    elif isinstance(entity, Workload):
        kind = "workload"
        health = lookup.workload(cluster, namespace, entity.name)
        statuses = [health.workload_status] if health and health.workload_status else []
        annotations = entity.health_annotations
    else:
        kind = "service"
        health = lookup.service(cluster, namespace, entity.name)
        annotations = entity.health_annotations
    if health is None:
        return HealthWhy()
    entry = lookup.entry(cluster, namespace)
    tolerances = tolerances_for(rules, namespace, kind, entity.name, annotations)
    available = sum(s.available_replicas for s in statuses)
    desired = sum(s.desired_replicas for s in statuses)
    return HealthWhy(
        info=health.status,
        reasons=explain(health.requests, statuses, tolerances),
        pods=f"{available} of {desired} pod{'' if desired == 1 else 's'} available"
        if statuses
        else "",
        inbound=_traffic("inbound", health.requests.inbound, tolerances),
        outbound=_traffic("outbound", health.requests.outbound, tolerances),
        duration=entry.duration if entry else "",
    )
