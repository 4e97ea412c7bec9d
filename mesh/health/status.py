"""The health rules themselves (health.md 3.3, 6.1, 6.2, 6.5): pure functions of plain data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from mesh.health.model import (
    DEGRADED,
    FAILURE,
    HEALTHY,
    NA,
    NOT_READY,
    PRIORITY,
    AppHealth,
    Rates,
    RequestHealth,
    ServiceHealth,
    StatusBuckets,
    StatusInfo,
    WorkloadHealth,
    WorkloadStatus,
    worst,
)
from mesh.health.tolerance import Tolerance


def replica_status(ws: WorkloadStatus | None) -> str:
    """First matching rule of health.md 3.3."""
    if ws is None:
        return NA
    desired, current, available = ws.desired_replicas, ws.current_replicas, ws.available_replicas
    if desired == 0:
        return NOT_READY
    if current > 0 and available > 0 and (current < desired or available < desired):
        return DEGRADED
    if available == 0:
        return FAILURE
    if desired == available and available != current:
        return FAILURE  # pods pending beside the available ones
    if 0 <= ws.synced_proxies < desired:
        return DEGRADED
    if desired == current == available:
        return HEALTHY
    return DEGRADED


def ratio_status(ratio: float, tolerance: Tolerance) -> str:
    if ratio <= 0:
        return HEALTHY
    if ratio >= tolerance.failure:
        return FAILURE
    if ratio >= tolerance.degraded:
        return DEGRADED
    return HEALTHY


def _direction_status(
    direction: str, rates: Rates, tolerances: Sequence[Tolerance]
) -> tuple[str, float, bool]:
    """(worst status, its ratio, whether any tolerance applied) for one direction."""
    status, ratio, applied = NA, 0.0, False
    for protocol, codes in rates.items():
        total = sum(codes.values())
        for tolerance in tolerances:
            if not tolerance.direction.search(direction) or not tolerance.protocol.search(protocol):
                continue
            if total == 0:
                continue
            applied = True
            errors = sum(v for code, v in codes.items() if tolerance.code.search(code))
            found_ratio = errors / total * 100
            found = ratio_status(found_ratio, tolerance)
            if PRIORITY[found] > PRIORITY[status]:
                status, ratio = found, found_ratio
    return status, ratio, applied


def _fallback_status(requests: RequestHealth) -> tuple[str, float]:
    """Used only when an entity has an empty tolerance list (health.md 6.1)."""
    total = errors = 0.0
    for rates in (requests.inbound, requests.outbound):
        for codes in rates.values():
            for code, value in codes.items():
                total += value
                if code.startswith(("4", "5")):
                    errors += value
    if total == 0:
        return NA, -1.0
    ratio = errors / total * 100
    if ratio >= 10:
        return FAILURE, ratio
    if ratio >= 0.1:
        return DEGRADED, ratio
    return HEALTHY, ratio


def request_status(requests: RequestHealth, tolerances: Sequence[Tolerance]) -> StatusInfo:
    total_rate = requests.total_rate()
    if not tolerances:
        status, ratio = _fallback_status(requests)
        return StatusInfo(status, ratio, total_rate)
    status, ratio, applied = NA, 0.0, False
    for direction, rates in (("inbound", requests.inbound), ("outbound", requests.outbound)):
        found, found_ratio, found_applied = _direction_status(direction, rates, tolerances)
        applied = applied or found_applied
        if PRIORITY[found] > PRIORITY[status]:
            status, ratio = found, found_ratio
    if not applied:
        return StatusInfo(NA, -1.0, total_rate)
    if status == NA:
        return StatusInfo(HEALTHY, 0.0, total_rate)
    return StatusInfo(status, ratio, total_rate)


def _combine(request: StatusInfo, replica_statuses: Iterable[str]) -> StatusInfo:
    """The worst of request and replica statuses; the ratio stays the request's."""
    status = request.status
    for replica in replica_statuses:
        status = worst(replica, status)
    return StatusInfo(status, request.error_ratio, request.total_request_rate)


def workload_health_status(health: WorkloadHealth, tolerances: Sequence[Tolerance]) -> StatusInfo:
    return _combine(
        request_status(health.requests, tolerances), [replica_status(health.workload_status)]
    )


def app_health_status(health: AppHealth, tolerances: Sequence[Tolerance]) -> StatusInfo:
    return _combine(
        request_status(health.requests, tolerances),
        [replica_status(ws) for ws in health.workload_statuses],
    )


def service_health_status(health: ServiceHealth, tolerances: Sequence[Tolerance]) -> StatusInfo:
    return request_status(health.requests, tolerances)


def buckets(statuses: Mapping[str, StatusInfo | None]) -> StatusBuckets:
    """Names grouped by status; a missing status counts as not available."""
    result = StatusBuckets()
    for name, info in sorted(statuses.items()):
        status = info.status if info else NA
        {
            FAILURE: result.in_error,
            DEGRADED: result.in_warning,
            HEALTHY: result.in_success,
            NOT_READY: result.in_not_ready,
        }.get(status, result.not_available).append(name)
    return result


def roll_up(parts: Iterable[StatusBuckets]) -> str:
    """A namespace's worst status over the types that were requested."""
    status = NA
    for part in parts:
        status = worst(part.worst, status)
    return status
