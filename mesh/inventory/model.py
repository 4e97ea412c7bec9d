"""The inventory's dataclasses: what pages, health and the graph read about a cluster.

Everything here is plain data parsed from Kubernetes lists, so it pickles into the cache
and can be built synthetically in tests and benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mesh.kube.controlplanes import ControlPlane

HEALTH_ANNOTATION = "health.kiali.io/rate"


@dataclass(frozen=True)
class IstioRef:
    """An Istio object that refers to an entity (the Details column and detail pages)."""

    kind: str  # VirtualService, DestinationRule, Gateway, AuthorizationPolicy, ...
    namespace: str
    name: str
    group_version: str = "networking.istio.io/v1"


@dataclass(frozen=True)
class IstioObject:
    kind: str
    group_version: str
    namespace: str
    name: str
    spec: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    labels: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def ref(self) -> IstioRef:
        return IstioRef(self.kind, self.namespace, self.name, self.group_version)


@dataclass(frozen=True)
class NamespaceInfo:
    cluster: str
    name: str
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    created: str = ""
    injection: str = ""  # the istio-injection label's value ("enabled", "disabled" or "")
    revision: str = ""  # the istio.io/rev label's value
    is_ambient: bool = False
    is_control_plane: bool = False

    @property
    def mode(self) -> str:
        if self.is_ambient:
            return "Ambient"
        if self.injection == "enabled" or self.revision:
            return "Sidecar"
        return ""


@dataclass(frozen=True)
class Pod:
    name: str
    labels: dict[str, str] = field(default_factory=dict)
    phase: str = ""
    ready: bool = False
    has_sidecar: bool = False
    created: str = ""
    service_account: str = ""
    owner_kind: str = ""
    owner_name: str = ""


@dataclass
class Workload:
    cluster: str
    namespace: str
    name: str
    kind: str  # Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob, Pod, ...
    group_version: str
    labels: dict[str, str]  # the pod template's labels: what services select and Kiali shows
    annotations: dict[str, str]  # the controller's own metadata annotations
    template_annotations: dict[str, str]
    created: str
    desired_replicas: int
    current_replicas: int
    available_replicas: int
    pods: list[Pod] = field(default_factory=list)
    app: str = ""
    version: str = ""
    is_gateway: bool = False
    is_ambient: bool = False
    services: list[str] = field(default_factory=list)
    istio_refs: list[IstioRef] = field(default_factory=list)

    @property
    def has_sidecar(self) -> bool:
        """Every pod has the proxy; a workload without pods counts as having it (Kiali's rule)."""
        return all(p.has_sidecar for p in self.pods)

    @property
    def missing_sidecar(self) -> bool:
        """Gateways and ambient workloads run without a sidecar by design."""
        return not self.has_sidecar and not self.is_gateway and not self.is_ambient

    @property
    def can_have_telemetry(self) -> bool:
        """Only these get request health (health.md 4.1)."""
        return self.has_sidecar or self.is_gateway or self.is_ambient

    @property
    def health_annotations(self) -> dict[str, str]:
        """The pod template's annotations if it has any, else the controller's (health.md 5.3)."""
        source = self.template_annotations or self.annotations
        return {k: v for k, v in source.items() if k == HEALTH_ANNOTATION}


@dataclass(frozen=True)
class ServicePort:
    name: str
    port: int
    protocol: str = "TCP"
    app_protocol: str = ""
    target_port: str = ""


@dataclass
class Service:
    cluster: str
    namespace: str
    name: str
    labels: dict[str, str]
    annotations: dict[str, str]
    selector: dict[str, str]
    ports: list[ServicePort]
    type: str = "ClusterIP"
    cluster_ip: str = ""
    created: str = ""
    workloads: list[str] = field(default_factory=list)
    istio_refs: list[IstioRef] = field(default_factory=list)
    has_sidecar: bool = True  # every selected workload has the proxy

    @property
    def health_annotations(self) -> dict[str, str]:
        return {k: v for k, v in self.annotations.items() if k == HEALTH_ANNOTATION}


@dataclass
class App:
    cluster: str
    namespace: str
    name: str
    workloads: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)
    istio_refs: list[IstioRef] = field(default_factory=list)
    has_sidecar: bool = True  # every workload has the proxy (Kiali marks the app otherwise)
    can_have_telemetry: bool = False
    is_ambient: bool = False

    @property
    def labels(self) -> dict[str, str]:
        """Kiali's list label cell: `app=<name>` and `version=v1,v2` during a canary."""
        labels = {"app": self.name}
        if self.versions:
            labels["version"] = ",".join(self.versions)
        return labels


@dataclass
class NamespaceInventory:
    """One namespace's share of a cluster snapshot."""

    namespace: NamespaceInfo
    workloads: list[Workload] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    apps: list[App] = field(default_factory=list)
    istio_objects: list[IstioObject] = field(default_factory=list)

    def workload(self, name: str) -> Workload | None:
        return next((w for w in self.workloads if w.name == name), None)

    def service(self, name: str) -> Service | None:
        return next((s for s in self.services if s.name == name), None)

    def app(self, name: str) -> App | None:
        return next((a for a in self.apps if a.name == name), None)

    def entity(self, kind: str, name: str) -> App | Workload | Service | None:
        """`kind`: "app", "workload" or "service", as list rows and detail URLs name them."""
        if kind == "app":
            return self.app(name)
        if kind == "workload":
            return self.workload(name)
        return self.service(name)


@dataclass
class ClusterSnapshot:
    """Everything the inventory knows of one cluster, as of `taken_at` (epoch seconds)."""

    cluster: str
    taken_at: float
    namespaces: dict[str, NamespaceInventory] = field(default_factory=dict)
    control_planes: list[ControlPlane] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def workload_count(self) -> int:
        return sum(len(n.workloads) for n in self.namespaces.values())
