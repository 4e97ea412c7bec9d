"""Which Istio objects refer to which services and workloads.

Routing objects (VirtualService, DestinationRule) name services by host; the Gateways a
VirtualService binds to are counted as references of the services it routes to, which is
what the seed's Applications list shows. Policy objects (Gateway, AuthorizationPolicy,
PeerAuthentication, Sidecar) select workloads by labels.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mesh.inventory.model import IstioObject, IstioRef, Service, Workload
from mesh.kube.selectors import matches_selector

ROUTE_KINDS = ("http", "tcp", "tls")


def service_hosts(service: Service, domain: str = "cluster.local") -> set[str]:
    name, ns = service.name, service.namespace
    return {f"{name}.{ns}", f"{name}.{ns}.svc", f"{name}.{ns}.svc.{domain}"}


def _host_matches(host: str, object_namespace: str, service: Service, hosts: set[str]) -> bool:
    """A short name resolves in the object's own namespace, as Istio resolves it."""
    if host == service.name:
        return object_namespace == service.namespace
    return host in hosts


def _virtual_service_hosts(spec: dict[str, Any]) -> list[str]:
    found = [str(h) for h in spec.get("hosts") or []]
    for kind in ROUTE_KINDS:
        for rule in spec.get(kind) or []:
            for route in rule.get("route") or []:
                host = (route.get("destination") or {}).get("host")
                if host:
                    found.append(str(host))
    return found


def _gateway_refs(vs: IstioObject, gateways: dict[tuple[str, str], IstioObject]) -> list[IstioRef]:
    refs = []
    for name in vs.spec.get("gateways") or []:
        name = str(name)
        if name == "mesh":
            continue
        ns, _, short = name.rpartition("/")
        key = (ns or vs.namespace, short)
        gw = gateways.get(key)
        refs.append(gw.ref if gw else IstioRef("Gateway", key[0], key[1]))
    return refs


def link_services(services: Iterable[Service], objects: Iterable[IstioObject]) -> None:
    """Fill `istio_refs` of each service from VirtualServices, DestinationRules, Gateways."""
    objects = list(objects)
    gateways = {(o.namespace, o.name): o for o in objects if o.kind == "Gateway"}
    routing = [o for o in objects if o.kind in ("VirtualService", "DestinationRule")]
    for service in services:
        hosts = service_hosts(service)
        refs: list[IstioRef] = []
        for obj in routing:
            if obj.kind == "VirtualService":
                candidates = _virtual_service_hosts(obj.spec)
            else:
                candidates = [str(obj.spec.get("host", ""))]
            if any(_host_matches(h, obj.namespace, service, hosts) for h in candidates):
                refs.append(obj.ref)
                if obj.kind == "VirtualService":
                    refs.extend(_gateway_refs(obj, gateways))
        service.istio_refs = _unique(refs)


def _selector_of(obj: IstioObject) -> dict[str, str] | None:
    """The labels an object selects workloads by; None when it selects none by label."""
    spec = obj.spec
    if obj.kind == "Gateway":
        selector: Any = spec.get("selector")
    elif obj.kind == "Sidecar":
        selector = (spec.get("workloadSelector") or {}).get("labels")
    else:
        selector = (spec.get("selector") or {}).get("matchLabels")
    if not isinstance(selector, dict) or not selector:
        return None
    return {str(k): str(v) for k, v in selector.items()}


def link_workloads(
    workloads: Iterable[Workload],
    objects: Iterable[IstioObject],
    services_by_name: dict[str, Service],
) -> None:
    """Selector-based policies in the workload's namespace (Gateways in any namespace), plus
    the routing references of the services that select the workload."""
    selecting = [
        (o, sel)
        for o in objects
        if o.kind in ("Gateway", "AuthorizationPolicy", "PeerAuthentication", "Sidecar")
        and (sel := _selector_of(o)) is not None
    ]
    for workload in workloads:
        refs: list[IstioRef] = []
        for obj, selector in selecting:
            if obj.kind != "Gateway" and obj.namespace != workload.namespace:
                continue
            if matches_selector(workload.labels, selector):
                refs.append(obj.ref)
        for name in workload.services:
            service = services_by_name.get(name)
            if service is not None:
                refs.extend(service.istio_refs)
        workload.istio_refs = _unique(refs)


def _unique(refs: Iterable[IstioRef]) -> list[IstioRef]:
    return sorted(set(refs), key=lambda r: (r.kind, r.namespace, r.name))
