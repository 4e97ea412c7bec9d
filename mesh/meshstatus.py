"""What the Mesh page shows: clusters, their control planes, external services, console links.

Everything here is read with the console's own account, so it is cut to the viewer's reach
before anyone sees it: a cluster's endpoint, version and reason only to users who reach that
cluster, a remote cluster's Secret and the registry's problems only to users who may read
the console's own namespace (where those Secrets live), a control plane only to users who
may read its namespace, and Prometheus' address only to users who may read the Istio
control-plane namespace of the home cluster.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from kiali_site.config import KialiConfig
from mesh.clusters.access import KubeconfigError
from mesh.clusters.registry import ClusterInfo, KialiInstance, Registry
from mesh.kube.controlplanes import ControlPlane, control_planes
from mesh.kube.errors import KubeError
from mesh.kube.meshconfig import MeshConfigDoc, read_mesh_config
from mesh.viewer import Viewer


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
    hidden: bool = False  # the viewer reaches no namespace of this cluster
    # per control plane ("namespace/name"), its mesh configuration (ME-05)
    mesh_configs: dict[str, MeshConfigDoc] = field(default_factory=dict)


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


def _cluster_status(registry: Registry, info: ClusterInfo, config_map: str) -> ClusterStatus:
    if not info.accessible or not info.reachable:
        return ClusterStatus(info)
    if info.is_home and registry.ignore_home_cluster:
        return ClusterStatus(info, error="external deployment: the home cluster is not in the mesh")
    try:
        client = registry.access[info.name].service_client()
        planes = control_planes(client, info.name)
    except (KubeError, KubeconfigError) as exc:
        return ClusterStatus(info, error=getattr(exc, "message", str(exc)))
    configs = {
        plane.key: read_mesh_config(client, info.name, plane.namespace, plane.revision, config_map)
        for plane in planes
    }
    return ClusterStatus(info, planes, mesh_configs=configs)


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
    registry: Registry,
    config: KialiConfig,
    prometheus_check: Callable[[], str | None],
    viewer: Viewer,
    reach_errors: Mapping[str, str] | None = None,
) -> MeshStatus:
    """Control planes of the clusters the viewer reaches are read concurrently with the
    Prometheus probe."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        prom_future = pool.submit(external_services, config, prometheus_check)
        statuses = list(
            pool.map(
                lambda c: _seen_status(registry, config, c, viewer, reach_errors or {}),
                registry.clusters,
            )
        )
        services = prom_future.result()
    home_console_ns = viewer.sees(registry.home, config.deployment.namespace)
    if not viewer.sees(registry.home, config.external_services.istio.root_namespace):
        services = [_without_address(s) for s in services]
    links = [
        link
        for c in registry.clusters
        for k in c.kiali_instances
        if (link := seen_link(c, k, viewer)) is not None
    ]
    return MeshStatus(
        clusters=statuses,
        external_services=services,
        links=links,
        problems=list(registry.problems) if home_console_ns else [],
        multi_cluster=registry.is_multi_cluster,
    )


def _seen_status(
    registry: Registry,
    config: KialiConfig,
    info: ClusterInfo,
    viewer: Viewer,
    reach_errors: Mapping[str, str],
) -> ClusterStatus:
    """A cluster the viewer cannot read shows its name and nothing else (an administrator's
    note and console links are meant for everyone, and stay)."""
    if info.source == "admin" and not info.accessible:
        return ClusterStatus(info)  # an administrator's row: their words, no endpoint
    if not viewer.reaches(info.name):
        return ClusterStatus(
            ClusterInfo(
                name=info.name,
                source=info.source,
                accessible=info.accessible,
                is_home=info.is_home,
                reachable=info.reachable,
                note=info.note if info.source == "admin" else "",
            ),
            error=reach_errors.get(info.name, ""),
            hidden=True,
        )
    status = _cluster_status(registry, info, config.external_services.istio.config_map_name)
    planes = [cp for cp in status.control_planes if viewer.sees(info.name, cp.namespace)]
    seen = {cp.key for cp in planes}
    configs = {key: doc for key, doc in status.mesh_configs.items() if key in seen}
    # Remote clusters' Secrets live in the console's namespace on the home cluster.
    secret_seen = viewer.sees(registry.home, config.deployment.namespace)
    cluster = info if secret_seen else replace(info, secret_name="")
    return ClusterStatus(cluster, planes, status.error, mesh_configs=configs)


def cluster_consoles(info: ClusterInfo, viewer: Viewer) -> list[ConsoleLink]:
    """GP-07: the consoles serving one cluster, as this viewer may see them."""
    return [link for k in info.kiali_instances if (link := seen_link(info, k, viewer))]


def seen_link(info: ClusterInfo, instance: KialiInstance, viewer: Viewer) -> ConsoleLink | None:
    """A console's address is for everyone who may follow it (administrators add links for
    that); the namespace and Service it runs as only for readers of that namespace, and a
    console found only by its Service, with no address, not at all otherwise."""
    if info.source == "admin" or viewer.sees(info.name, instance.namespace):
        return ConsoleLink(info.name, instance)
    if instance.url and viewer.reaches(info.name):
        return ConsoleLink(info.name, KialiInstance("", "", instance.url))
    return None


def _without_address(service: ExternalService) -> ExternalService:
    """Prometheus is the mesh's infrastructure: its address and failure text stay with those
    who may read the control plane; the others learn only whether metrics work."""
    if service.reachable is None:
        return service
    return ExternalService(service.name, "", service.reachable, "")
