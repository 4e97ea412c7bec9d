"""Kubernetes Service checks (spec §5.6): port naming and the Deployment's container ports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from validations.checkers.workload import has_proxy, redirected
from validations.codes import finding
from validations.index import ClusterIndex
from validations.model import Finding
from validations.objects import as_list, as_map, labels_of, name_of, ns_of, spec

KIND = "Service"
PROTOCOLS = (
    "grpc",
    "grpc-web",
    "http",
    "http2",
    "https",
    "mongo",
    "redis",
    "tcp",
    "tls",
    "udp",
    "mysql",
)
APP_PROTOCOLS = {*PROTOCOLS, "kubernetes.io/h2c", "kubernetes.io/ws", "kubernetes.io/wss"}


def check(idx: ClusterIndex) -> list[Finding]:
    managed = set(idx.ctx.viewpoints())
    out: list[Finding] = []
    for svc in idx.ctx.services:
        ns, name = ns_of(svc), name_of(svc)
        if ns not in managed:
            continue
        if "kiali_wizard" not in labels_of(svc) and _in_mesh(idx, svc):
            for i, port in enumerate(as_list(spec(svc).get("ports"))):
                port = as_map(port)
                if str(port.get("protocol") or "TCP").upper() == "UDP":
                    continue
                app_protocol = port.get("appProtocol")
                if app_protocol is not None:
                    if str(app_protocol).lower() not in APP_PROTOCOLS:
                        out.append(finding(KIND, ns, name, "KIA0602", f"spec/ports[{i}]"))
                elif not _well_named(str(port.get("name") or "")):
                    out.append(finding(KIND, ns, name, "KIA0601", f"spec/ports[{i}]"))
        out += _deployment_ports(idx, svc)
    return out


def _well_named(name: str) -> bool:
    return any(name == p or name.startswith(p + "-") for p in PROTOCOLS)


def _in_mesh(idx: ClusterIndex, svc: Mapping[str, Any]) -> bool:
    """Every selected pod has a sidecar, or any is Ambient-redirected; no pods counts as in."""
    selector = idx.service_selector(svc)
    pods = []
    if selector:
        for wl in idx.workloads_in(ns_of(svc)):
            for pod in wl.pods:
                labels = labels_of(pod) or wl.labels
                if all(labels.get(k) == v for k, v in selector.items()):
                    pods.append(pod)
    if any(redirected(p) for p in pods):
        return True
    return all(has_proxy(p) for p in pods)


def _is_gateway_or_waypoint(svc: Mapping[str, Any]) -> bool:
    labels = labels_of(svc)
    return (
        labels.get("istio") in ("ingressgateway", "egressgateway")
        or "gateway.networking.k8s.io/gateway-name" in labels
        or "gateway.istio.io/managed" in labels
        or "istio.io/waypoint-for" in labels
    )


def _deployment_ports(idx: ClusterIndex, svc: Mapping[str, Any]) -> list[Finding]:
    selector = idx.service_selector(svc)
    if not selector or ns_of(svc) == idx.root or _is_gateway_or_waypoint(svc):
        return []
    # Kiali matches the selector against Deployment *metadata* labels in any namespace and
    # inspects only the first match (spec §9.11).
    deployment = next(
        (
            d
            for d in idx.ctx.deployments
            if all(labels_of(d).get(k) == v for k, v in selector.items())
        ),
        None,
    )
    if deployment is None:
        return []
    names, numbers = set(), set()
    template = as_map(as_map(spec(deployment).get("template")).get("spec"))
    for container in as_list(template.get("containers")):
        for cport in as_list(as_map(container).get("ports")):
            cport = as_map(cport)
            if cport.get("name"):
                names.add(str(cport["name"]))
            if cport.get("containerPort") is not None:
                numbers.add(str(cport["containerPort"]))
    out = []
    for i, port in enumerate(as_list(spec(svc).get("ports"))):
        port = as_map(port)
        target = port.get("targetPort")
        if isinstance(target, str) and not target.isdigit():
            exposed = target in names
        else:
            exposed = str(target if target is not None else port.get("port")) in numbers
        if not exposed:
            out.append(finding(KIND, ns_of(svc), name_of(svc), "KIA0701", f"spec/ports[{i}]"))
    return out
