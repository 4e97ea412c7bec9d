"""Which objects an Istio object refers to, and which refer to it, for the detail page.

The references are the ones an operator follows when a finding points elsewhere: a
VirtualService's gateways, destination services and their DestinationRules; a
DestinationRule's service; a route's parent Gateway and backends; the workloads a selector
picks. Each is (kind, namespace, name); kinds are the engine's names, plus Service and
Workload.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mesh.kube.selectors import matches_selector
from validations.model import ValidationContext

Ref = tuple[str, str, str]


def _meta(obj: Mapping[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace", "")), str(meta.get("name", ""))


class _Services:
    def __init__(self, services: Iterable[Mapping[str, Any]], domain: str) -> None:
        self.known = {_meta(s) for s in services}
        self.domain = domain

    def resolve(self, host: str, namespace: str) -> Ref | None:
        """Short names, name.namespace and the in-cluster FQDN all name the same Service."""
        parts = host.split(".")
        if host.endswith("." + self.domain):
            parts = host[: -len(self.domain) - 1].split(".")
        if len(parts) == 1:
            key = (namespace, parts[0])
        elif len(parts) == 2:
            key = (parts[1], parts[0])
        else:
            return None
        return ("Service", key[0], key[1]) if key in self.known else None


def _destination_hosts(spec: Mapping[str, Any]) -> list[str]:
    hosts = []
    for section in ("http", "tcp", "tls"):
        for route in spec.get(section) or []:
            for dest in route.get("route") or []:
                host = (dest.get("destination") or {}).get("host")
                if host:
                    hosts.append(str(host))
            mirror = (route.get("mirror") or {}).get("host")
            if mirror:
                hosts.append(str(mirror))
    return hosts


# Where each kind keeps the labels it picks workloads by. A Gateway's `selector` is a flat
# label map; the policies nest theirs under `matchLabels` (a WorkloadSelector) and the
# networking kinds under `workloadSelector.labels`. Read in the wrong shape a selector yields
# no labels, and no labels must never stand for every workload.
_SELECTOR_PATHS: dict[str, tuple[str, ...]] = {
    "Gateway": ("selector",),
    "AuthorizationPolicy": ("selector", "matchLabels"),
    "PeerAuthentication": ("selector", "matchLabels"),
    "RequestAuthentication": ("selector", "matchLabels"),
    "Telemetry": ("selector", "matchLabels"),
    "WasmPlugin": ("selector", "matchLabels"),
    "EnvoyFilter": ("workloadSelector", "labels"),
    "ServiceEntry": ("workloadSelector", "labels"),
    "Sidecar": ("workloadSelector", "labels"),
}


def _selector_labels(kind: str, obj: Mapping[str, Any]) -> dict[str, str]:
    """The labels `obj` selects workloads by; empty when it names none.

    An empty selector makes a policy namespace-wide and a Gateway apply to every gateway
    proxy, but neither names a workload, so neither is listed as a reference.
    """
    path = _SELECTOR_PATHS.get(kind)
    if path is None:
        return {}
    found: Any = obj.get("spec")
    for step in path:
        found = found.get(step) if isinstance(found, Mapping) else None
    if not isinstance(found, Mapping):
        return {}
    return {str(k): str(v) for k, v in found.items()}


def _selected_workloads(
    ctx: ValidationContext, kind: str, namespace: str, obj: Mapping[str, Any]
) -> list[Ref]:
    labels = _selector_labels(kind, obj)
    if not labels:
        return []
    if kind == "Gateway":
        # Istio matches a Gateway's selector against workloads of every namespace, unless
        # PILOT_SCOPE_GATEWAY_TO_NAMESPACE keeps it to its own.
        everywhere = not ctx.mesh.scope_gateway_to_namespace
    else:
        everywhere = namespace == ctx.mesh.root_namespace
    return [
        ("Workload", w.namespace, w.name)
        for w in ctx.workloads
        if (everywhere or w.namespace == namespace) and matches_selector(w.labels, labels)
    ]


def references_of(ctx: ValidationContext, kind: str, obj: Mapping[str, Any]) -> list[Ref]:
    namespace, _ = _meta(obj)
    spec = obj.get("spec") or {}
    services = _Services(ctx.services, ctx.mesh.identity_domain)
    refs: list[Ref] = []
    if kind == "VirtualService":
        for gw in spec.get("gateways") or []:
            if gw != "mesh":
                gw_ns, _, gw_name = gw.rpartition("/")
                refs.append(("Gateway", gw_ns or namespace, gw_name))
        for host in _destination_hosts(spec):
            svc = services.resolve(host, namespace)
            if svc:
                refs.append(svc)
                for dr in ctx.objects.get("DestinationRule", []):
                    dr_ns, dr_name = _meta(dr)
                    if services.resolve(str((dr.get("spec") or {}).get("host", "")), dr_ns) == svc:
                        refs.append(("DestinationRule", dr_ns, dr_name))
    elif kind == "DestinationRule":
        svc = services.resolve(str(spec.get("host", "")), namespace)
        if svc:
            refs.append(svc)
    elif kind in ("K8sHTTPRoute", "K8sGRPCRoute", "K8sTCPRoute", "K8sTLSRoute"):
        for parent in spec.get("parentRefs") or []:
            if parent.get("kind", "Gateway") == "Gateway":
                refs.append(("K8sGateway", parent.get("namespace") or namespace, parent["name"]))
        for rule in spec.get("rules") or []:
            for backend in rule.get("backendRefs") or []:
                if backend.get("kind", "Service") == "Service" and backend.get("name"):
                    refs.append(("Service", backend.get("namespace") or namespace, backend["name"]))
    refs += _selected_workloads(ctx, kind, namespace, obj)
    return sorted(set(refs))


def referenced_by(ctx: ValidationContext, target: Ref) -> list[Ref]:
    """Every Istio object whose references include `target`."""
    found = []
    for kind, objs in ctx.objects.items():
        for obj in objs:
            if target in references_of(ctx, kind, obj):
                ns, name = _meta(obj)
                found.append((kind, ns, name))
    return sorted(set(found))
