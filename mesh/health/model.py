"""Health values and objects, with Kiali's JSON shapes (health.md sections 1, 2 and 6.5)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FAILURE = "Failure"
DEGRADED = "Degraded"
NOT_READY = "Not Ready"
HEALTHY = "Healthy"
NA = "NA"

PRIORITY = {FAILURE: 4, DEGRADED: 3, NOT_READY: 2, HEALTHY: 1, NA: 0}
LABELS = {
    FAILURE: "Failure",
    DEGRADED: "Degraded",
    NOT_READY: "Not Ready",
    HEALTHY: "Healthy",
    NA: "No health information",
}

# protocol -> response code -> req/s
Rates = dict[str, dict[str, float]]


def worst(a: str, b: str) -> str:
    """Ties keep the second argument, which is the same value."""
    return a if PRIORITY[a] > PRIORITY[b] else b


@dataclass(frozen=True)
class StatusInfo:
    status: str = NA
    error_ratio: float = 0.0  # percent; -1 when no tolerance applied
    total_request_rate: float = 0.0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status}
        if self.error_ratio:
            out["errorRatio"] = self.error_ratio
        if self.total_request_rate:
            out["totalRequestRate"] = self.total_request_rate
        return out

    @property
    def label(self) -> str:
        return LABELS[self.status]


@dataclass
class RequestHealth:
    inbound: Rates = field(default_factory=dict)
    outbound: Rates = field(default_factory=dict)
    health_annotations: dict[str, str] = field(default_factory=dict)

    def total_rate(self) -> float:
        return sum(v for m in (self.inbound, self.outbound) for p in m.values() for v in p.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "healthAnnotations": dict(self.health_annotations),
            "inbound": self.inbound,
            "outbound": self.outbound,
        }


@dataclass(frozen=True)
class WorkloadStatus:
    name: str
    desired_replicas: int
    current_replicas: int
    available_replicas: int
    synced_proxies: int = -1

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "desiredReplicas": self.desired_replicas,
            "currentReplicas": self.current_replicas,
            "availableReplicas": self.available_replicas,
            "syncedProxies": self.synced_proxies,
        }


@dataclass
class WorkloadHealth:
    requests: RequestHealth
    workload_status: WorkloadStatus | None
    status: StatusInfo = field(default_factory=StatusInfo)

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests.to_json(),
            "status": self.status.to_json(),
            "workloadStatus": self.workload_status.to_json() if self.workload_status else None,
        }


@dataclass
class AppHealth:
    requests: RequestHealth
    workload_statuses: list[WorkloadStatus]
    status: StatusInfo = field(default_factory=StatusInfo)

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests.to_json(),
            "status": self.status.to_json(),
            "workloadStatuses": [w.to_json() for w in self.workload_statuses],
        }


@dataclass
class ServiceHealth:
    requests: RequestHealth
    status: StatusInfo = field(default_factory=StatusInfo)

    def to_json(self) -> dict[str, Any]:
        return {"requests": self.requests.to_json(), "status": self.status.to_json()}


BUCKETS = {
    FAILURE: "inError",
    DEGRADED: "inWarning",
    HEALTHY: "inSuccess",
    NOT_READY: "inNotReady",
    NA: "notAvailable",
}


@dataclass
class StatusBuckets:
    """Names per status, for one entity type of one namespace (health.md 6.5)."""

    in_error: list[str] = field(default_factory=list)
    in_warning: list[str] = field(default_factory=list)
    in_success: list[str] = field(default_factory=list)
    in_not_ready: list[str] = field(default_factory=list)
    not_available: list[str] = field(default_factory=list)

    @property
    def worst(self) -> str:
        if self.in_error:
            return FAILURE
        if self.in_warning:
            return DEGRADED
        if self.in_not_ready:
            return NOT_READY
        if self.in_success:
            return HEALTHY
        return NA

    def to_json(self) -> dict[str, list[str]]:
        return {
            "inError": self.in_error,
            "inWarning": self.in_warning,
            "inSuccess": self.in_success,
            "inNotReady": self.in_not_ready,
            "notAvailable": self.not_available,
        }


@dataclass
class NamespaceHealthEntry:
    """The cached document of one namespace: `health:<cluster>:<namespace>` (health.md 7.1)."""

    cluster: str
    namespace: str
    computed_at: float  # epoch seconds
    duration: str  # the rate interval used, e.g. "5m"
    app_health: dict[str, AppHealth] = field(default_factory=dict)
    service_health: dict[str, ServiceHealth] = field(default_factory=dict)
    workload_health: dict[str, WorkloadHealth] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "appHealth": {k: v.to_json() for k, v in self.app_health.items()},
            "serviceHealth": {k: v.to_json() for k, v in self.service_health.items()},
            "workloadHealth": {k: v.to_json() for k, v in self.workload_health.items()},
            "cluster": self.cluster,
            "namespace": self.namespace,
            "computedAt": self.computed_at,
            "duration": self.duration,
        }
