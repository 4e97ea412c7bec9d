"""Why an entity has the health it has (features HE-06): the parts that made it non-healthy.

The status rules in `status.py` only keep the worst value; a detail page has to say which
part produced it (pods, inbound or outbound errors) and with which numbers, so an operator
can tell a crash-looping pod from a failing upstream. The reasons follow the same rules, so
they never disagree with the status shown beside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mesh.health.model import (
    FAILURE,
    HEALTHY,
    NA,
    NOT_READY,
    PRIORITY,
    Rates,
    RequestHealth,
    WorkloadStatus,
)
from mesh.health.status import ratio_status, replica_status
from mesh.health.tolerance import Tolerance


@dataclass(frozen=True)
class HealthReason:
    part: str  # "pods", "inbound" or "outbound"
    status: str  # the status this part alone would give
    text: str


def replica_reasons(statuses: Sequence[WorkloadStatus]) -> list[HealthReason]:
    """One reason per workload whose replicas (or proxies) are not all there."""
    reasons = []
    for ws in statuses:
        status = replica_status(ws)
        if status in (HEALTHY, NA):
            continue
        if status == NOT_READY:
            text = f"{ws.name}: scaled to 0 replicas"
        elif 0 <= ws.synced_proxies < ws.desired_replicas and (
            ws.available_replicas == ws.desired_replicas == ws.current_replicas
        ):
            text = f"{ws.name}: {ws.synced_proxies} of {ws.desired_replicas} proxies synced"
        else:
            text = (
                f"{ws.name}: {ws.available_replicas} of {ws.desired_replicas} pods available"
                f" ({ws.current_replicas} current)"
            )
        reasons.append(HealthReason("pods", status, text))
    return reasons


def _direction_reasons(
    direction: str, rates: Rates, tolerances: Sequence[Tolerance]
) -> list[HealthReason]:
    """Per protocol, the worst tolerance breach, with the codes that counted as errors."""
    reasons = []
    for protocol, codes in sorted(rates.items()):
        total = sum(codes.values())
        if total <= 0:
            continue
        worst: tuple[str, float, Tolerance, list[str]] | None = None
        for tolerance in tolerances:
            if not tolerance.direction.search(direction) or not tolerance.protocol.search(protocol):
                continue
            matched = sorted(code for code in codes if tolerance.code.search(code))
            ratio = sum(codes[c] for c in matched) / total * 100
            status = ratio_status(ratio, tolerance)
            if status != HEALTHY and (worst is None or PRIORITY[status] > PRIORITY[worst[0]]):
                worst = (status, ratio, tolerance, matched)
        if worst is None:
            continue
        status, ratio, tolerance, matched = worst
        threshold = tolerance.failure if status == FAILURE else tolerance.degraded
        code_list = ", ".join(f"{c}: {codes[c]:.2f} req/s" for c in matched)
        text = (
            f"{protocol.upper()} errors {ratio:.1f}% of {total:.2f} req/s"
            f" ({code_list}); {status.lower()} at {threshold:g}% or more"
        )
        reasons.append(HealthReason(direction, status, text))
    return reasons


def request_reasons(requests: RequestHealth, tolerances: Sequence[Tolerance]) -> list[HealthReason]:
    return [
        *_direction_reasons("inbound", requests.inbound, tolerances),
        *_direction_reasons("outbound", requests.outbound, tolerances),
    ]


def explain(
    requests: RequestHealth,
    statuses: Sequence[WorkloadStatus],
    tolerances: Sequence[Tolerance],
) -> list[HealthReason]:
    """Every non-healthy part, worst first (pods before requests on a tie, as operators
    look at pods first)."""
    reasons = [*replica_reasons(statuses), *request_reasons(requests, tolerances)]
    return sorted(reasons, key=lambda r: -PRIORITY[r.status])
