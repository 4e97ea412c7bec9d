"""Ambient placement and enrolment checks (spec §6.4) for AP, RA, WasmPlugin, Telemetry, VS, DR."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from validations.ambient import (
    labels_enrolled,
    namespace_enrolled,
    policy_is_l7,
    target_refs,
    targets_not_enrolled,
)
from validations.codes import finding
from validations.index import ClusterIndex
from validations.model import Finding
from validations.objects import as_list, as_map, labels_of, name_of, ns_of, spec

# kind -> (code for "targets not enrolled", code for "no targetRef")
POLICY_CODES = {
    "AuthorizationPolicy": ("KIA0109", "KIA0110"),
    "RequestAuthentication": ("KIA1110", "KIA1115"),
    "WasmPlugin": ("KIA1111", "KIA1116"),
    "Telemetry": ("KIA1112", "KIA1117"),
}


def _is_l7(kind: str, obj: Mapping[str, Any]) -> bool:
    if kind == "AuthorizationPolicy":
        return policy_is_l7(obj)
    if kind == "Telemetry":
        s = spec(obj)
        return bool(
            s.get("tracing")
            or s.get("accessLogging")
            or any(as_map(m).get("overrides") for m in as_list(s.get("metrics")))
        )
    return True


def check(idx: ClusterIndex) -> list[Finding]:
    out: list[Finding] = []
    for kind, (enrol_code, target_code) in POLICY_CODES.items():
        for obj in idx.ctx.of(kind):
            ns = ns_of(obj)
            if not idx.is_ambient_ns(ns) or not _is_l7(kind, obj):
                continue
            if not target_refs(obj):
                out.append(finding(kind, ns, name_of(obj), target_code, ""))
            if targets_not_enrolled(idx, obj):
                out.append(finding(kind, ns, name_of(obj), enrol_code, ""))
    for vs in idx.ctx.of("VirtualService"):
        if _vs_needs_waypoint(vs):
            hosts = [str(h) for h in as_list(spec(vs).get("hosts"))]
            out += _placement(idx, "VirtualService", vs, hosts, ("KIA1109", "KIA1113", "KIA1114"))
    for dr in idx.ctx.of("DestinationRule"):
        if _dr_is_l7(dr):
            host = str(spec(dr).get("host") or "")
            out += _placement(idx, "DestinationRule", dr, [host], ("KIA0210", "KIA0211", "KIA0212"))
    return out


def _vs_needs_waypoint(vs: Mapping[str, Any]) -> bool:
    s = spec(vs)
    gateways = [str(g) for g in as_list(s.get("gateways"))]
    return bool(s.get("http") or s.get("tls")) and (not gateways or "mesh" in gateways)


def _dr_is_l7(dr: Mapping[str, Any]) -> bool:
    policies = [as_map(spec(dr).get("trafficPolicy"))] + [
        as_map(as_map(s).get("trafficPolicy")) for s in as_list(spec(dr).get("subsets"))
    ]
    for policy in policies:
        hash_ = as_map(as_map(policy.get("loadBalancer")).get("consistentHash"))
        if hash_.get("httpHeaderName") or hash_.get("httpCookie"):
            return True
        if as_map(policy.get("connectionPool")).get("http") or policy.get("outlierDetection"):
            return True
    return False


def _placement(
    idx: ClusterIndex, kind: str, obj: Mapping[str, Any], hosts: list[str], codes: tuple[str, ...]
) -> list[Finding]:
    fallback, not_enrolled, elsewhere = codes
    ns, name = ns_of(obj), name_of(obj)
    out = []
    seen: set[tuple[str, str]] = set()
    for i, raw in enumerate(hosts):
        if not raw or raw == "*":
            continue
        host = idx.host(raw, ns)
        svc = idx.registry.get(host.service, host.namespace) if host.internal else None
        if svc is None or not idx.is_ambient_ns(host.namespace):
            continue
        if (host.service, host.namespace) in seen:
            continue
        seen.add((host.service, host.namespace))
        path = "spec/host" if kind == "DestinationRule" else f"spec/hosts[{i}]"
        if ns != host.namespace:
            out.append(finding(kind, ns, name, elsewhere, path))
        if not labels_enrolled(idx, labels_of(svc), host.namespace):
            out.append(finding(kind, ns, name, not_enrolled, path))
    if not seen and idx.is_ambient_ns(ns) and not namespace_enrolled(idx, ns):
        path = "spec/host" if kind == "DestinationRule" else "spec/hosts[0]"
        out.append(finding(kind, ns, name, fallback, path))
    return out
