"""What the Mesh page shows: clusters, their control planes, external services, console links."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from kiali_site.config import KialiConfig
from mesh.clusters.access import KubeconfigError
from mesh.clusters.registry import ClusterInfo, KialiInstance, Registry
from mesh.kube.controlplanes import ControlPlane, control_planes
from mesh.kube.errors import KubeError


@dataclass(frozen=True)
class ExternalService:
    name: str
    url: str
    reachable: bool | None  # None: not checked by the console, only linked
    reason: str = ""


@dataclass(frozen=True)
class ClusterStatus:
    cluster: ClusterInfo
    control_planes: list[ControlPlane] = field(default_factory=list)
    error: str = ""


@dataclass(frozen=True)
class ConsoleLink:
    cluster: str
    instance: KialiInstance


@dataclass(frozen=True)
class MeshStatus:
    clusters: list[ClusterStatus]
    external_services: list[ExternalService]
    links: list[ConsoleLink]
    problems: list[str]
    multi_cluster: bool

    @property
    def control_plane_count(self) -> int:
        return sum(len(c.control_planes) for c in self.clusters)


def _cluster_status(registry: Registry, info: ClusterInfo) -> ClusterStatus:
    if not info.accessible or not info.reachable:
        return ClusterStatus(info)
    if info.is_home and registry.ignore_home_cluster:
        return ClusterStatus(info, error="external deployment: the home cluster is not in the mesh")
    try:
        planes = control_planes(registry.access[info.name].service_client(), info.name)
    except (KubeError, KubeconfigError) as exc:
        return ClusterStatus(info, error=getattr(exc, "message", str(exc)))
    return ClusterStatus(info, planes)


def external_services(
    config: KialiConfig, prometheus_check: Callable[[], str | None]
) -> list[ExternalService]:
    services = []
    prom = config.external_services.prometheus
    if prom.enabled:
        reason = prometheus_check()
        services.append(ExternalService("Prometheus", prom.url, reason is None, reason or ""))
    grafana = config.external_services.grafana
    if grafana.enabled and grafana.external_url:
        services.append(ExternalService("Grafana", grafana.external_url, None))
    tracing = config.external_services.tracing
    if tracing.enabled:
        label = "Tempo" if tracing.provider == "tempo" else "Jaeger"
        services.append(ExternalService(label, tracing.external_url or tracing.internal_url, None))
    return services


def mesh_status(
    registry: Registry, config: KialiConfig, prometheus_check: Callable[[], str | None]
) -> MeshStatus:
    """Control planes of every reachable cluster are read concurrently with the Prometheus probe."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        prom_future = pool.submit(external_services, config, prometheus_check)
        statuses = list(pool.map(lambda c: _cluster_status(registry, c), registry.clusters))
        services = prom_future.result()
    links = [ConsoleLink(c.name, k) for c in registry.clusters for k in c.kiali_instances]
    return MeshStatus(
        clusters=statuses,
        external_services=services,
        links=links,
        problems=list(registry.problems),
        multi_cluster=registry.is_multi_cluster,
    )
