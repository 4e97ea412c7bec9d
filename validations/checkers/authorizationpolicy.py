"""AuthorizationPolicy checks (spec §5.2, §6.1); Ambient codes live in checkers/ambient.py."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from validations.codes import INFO, WARNING, finding
from validations.hosts import Host, filter_by_host, wildcard_covers
from validations.index import ClusterIndex
from validations.model import Finding
from validations.mtls import (
    ENABLING_PA,
    MUTUAL_DR,
    dr_host,
    dr_mode,
    has_mtls_block,
    is_ns_wide_pa,
    pa_mode,
)
from validations.objects import as_list, as_map, contained, name_of, ns_of, spec
from validations.scope import Scope

KIND = "AuthorizationPolicy"
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE")
IDENTITY_FIELDS = ("principals", "notPrincipals", "namespaces", "notNamespaces")
IDENTITY_WHEN_KEYS = ("source.namespace", "source.principal", "connection.sni")


def check_scope(idx: ClusterIndex, scope: Scope) -> list[Finding]:
    out: list[Finding] = []
    for ap in scope.authorization_policies:
        ns, name = ns_of(ap), name_of(ap)
        needs_mtls = _identity_paths(ap)
        if needs_mtls and not _receives_mtls(idx, scope, ap):
            out += [finding(KIND, ns, name, "KIA0105", path) for path in needs_mtls]
        for i, rule in enumerate(as_list(spec(ap).get("rules"))):
            rule = as_map(rule)
            for j, src in enumerate(as_list(rule.get("from"))):
                source = as_map(as_map(src).get("source"))
                base = f"spec/rules[{i}]/from[{j}]/source"
                for k, entry in enumerate(as_list(source.get("namespaces"))):
                    if not _namespace_exists(str(entry), idx.namespaces):
                        out.append(finding(KIND, ns, name, "KIA0101", f"{base}/namespaces[{k}]"))
                for k, entry in enumerate(as_list(source.get("principals"))):
                    code = _principal_code(idx, str(entry))
                    if code:
                        sev = INFO if code == "KIA0107" else None
                        out.append(
                            finding(KIND, ns, name, code, f"{base}/principals[{k}]", severity=sev)
                        )
            for j, dst in enumerate(as_list(rule.get("to"))):
                operation = as_map(as_map(dst).get("operation"))
                base = f"spec/rules[{i}]/to[{j}]/operation"
                for k, method in enumerate(as_list(operation.get("methods"))):
                    if not _is_http_method(str(method)):
                        out.append(finding(KIND, ns, name, "KIA0102", f"{base}/methods[{k}]"))
                for k, host in enumerate(as_list(operation.get("hosts"))):
                    if not _host_known(idx, scope, str(host), ns):
                        sev = WARNING if idx.ctx.mesh.allow_any else None
                        out.append(
                            finding(KIND, ns, name, "KIA0104", f"{base}/hosts[{k}]", severity=sev)
                        )
    return out


def _namespace_exists(pattern: str, namespaces: set[str]) -> bool:
    if pattern == "*":
        return bool(namespaces)
    if pattern.endswith("*"):
        return any(n.startswith(pattern[:-1]) for n in namespaces)
    if pattern.startswith("*"):
        return any(n.endswith(pattern[1:]) for n in namespaces)
    return pattern in namespaces


def _is_http_method(raw: str) -> bool:
    method = raw.strip().upper()
    if method == "*":
        return True
    if method in HTTP_METHODS:
        return True
    if method.endswith("*") and not method.startswith("*") and len(method) > 1:
        return any(m.startswith(method[:-1]) for m in HTTP_METHODS)
    if method.startswith("*") and not method.endswith("*") and len(method) > 1:
        return any(m.endswith(method[1:]) for m in HTTP_METHODS)
    return False


@lru_cache(maxsize=1024)
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(p) for p in pattern.split("*")) + "$")


def _principal_matches(principal: str, identities: set[str] | frozenset[str]) -> bool:
    if principal == "*":
        return True
    if principal.startswith("*") or principal.endswith("*"):
        rx = _glob(principal)
        return any(rx.match(i) for i in identities)
    return principal in identities


def _principal_code(idx: ClusterIndex, principal: str) -> str:
    if _principal_matches(principal, idx.identities):
        return ""
    if _principal_matches(principal, idx.ctx.remote_identities):
        return "KIA0107"
    prefix, sep, _ = principal.partition("/ns/")
    known = idx.trust_domains | idx.ctx.remote_trust_domains
    if "*" not in principal and sep and prefix and prefix not in known:
        return "KIA0108"
    return "KIA0106"


def _host_known(idx: ClusterIndex, scope: Scope, raw: str, ns: str) -> bool:
    # Entries that read as HTTP Host-header patterns are not registry hosts: skip them.
    if raw == "*" or raw.startswith("*") or raw.endswith("*") or raw.count(".") >= 2:
        return True
    if raw.count(".") == 1 and raw.split(".")[1] != ns and raw.split(".")[1] not in idx.namespaces:
        return True
    host = idx.host(raw, ns)
    if scope.se_hosts.matches(host.printed):
        return True
    if _declared_by_virtual_service(idx, scope, host):
        return True
    return idx.registry.find(host.printed, ns) is not None


def _declared_by_virtual_service(idx: ClusterIndex, scope: Scope, host: Host) -> bool:
    declared = scope.cache.get("vs_hosts")
    if declared is None:
        exact: set[str] = set()
        wildcards: list[str] = []
        for vs in scope.virtual_services:
            for raw in as_list(spec(vs).get("hosts")):
                vs_host = idx.host(str(raw), ns_of(vs))
                if str(raw) == "*":
                    wildcards.append("*")
                elif vs_host.wildcard:
                    wildcards.append(vs_host.printed)
                else:
                    exact.add(vs_host.printed)
        declared = scope.cache["vs_hosts"] = (exact, wildcards)
    exact, wildcards = declared
    return host.printed in exact or any(wildcard_covers(w, host.printed) for w in wildcards)


def _identity_paths(ap: Mapping[str, Any]) -> list[str]:
    paths = []
    for i, rule in enumerate(as_list(spec(ap).get("rules"))):
        rule = as_map(rule)
        for j, src in enumerate(as_list(rule.get("from"))):
            source = as_map(as_map(src).get("source"))
            paths += [
                f"spec/rules[{i}]/from[{j}]/source/{f}" for f in IDENTITY_FIELDS if source.get(f)
            ]
        for k, cond in enumerate(as_list(rule.get("when"))):
            if str(as_map(cond).get("key")) in IDENTITY_WHEN_KEYS:
                paths.append(f"spec/rules[{i}]/when[{k}]")
    return paths


ENABLED, DISABLED, NOT_ENABLED, PARTIAL = "ENABLED", "DISABLED", "NOT_ENABLED", "PARTIAL"


def _receives_mtls(idx: ClusterIndex, scope: Scope, ap: Mapping[str, Any]) -> bool:
    """Spec §6.1: workload-level PAs first, then namespace and mesh level."""
    auto = idx.ctx.mesh.enable_auto_mtls
    ns = ns_of(ap)
    selector = as_map(as_map(spec(ap).get("selector")).get("matchLabels"))
    workload = _workload_status(idx, scope, ns, selector) if selector else NOT_ENABLED
    if workload != NOT_ENABLED:
        return workload == ENABLED
    ns_pa = _first_pa_mode([p for p in scope.peer_authentications if is_ns_wide_pa(p)])
    ns_dr = _first_dr_mode(scope, f"*.{ns}.{idx.domain}")
    mesh_pa = _first_pa_mode(scope.mesh_peer_authentications)
    mesh_dr = _first_dr_mode(scope, "*.local")
    result = _status(ns_dr, ns_pa, auto)
    if result == PARTIAL:
        result = _mesh_status(ns_pa or mesh_pa, ns_dr or mesh_dr, auto)
    elif result == NOT_ENABLED:
        result = _mesh_status(mesh_pa, mesh_dr, auto)
    return result == ENABLED or (result == NOT_ENABLED and auto)


def _first_pa_mode(pas: Sequence[Mapping[str, Any]]) -> str:
    return next((pa_mode(p) for p in pas if has_mtls_block(p)), "")


def _first_dr_mode(scope: Scope, host: str) -> str:
    return next(
        (dr_mode(d) for d in scope.destination_rules if dr_host(d) == host and dr_mode(d)), ""
    )


def _status(dr: str, pa: str, auto: bool) -> str:
    if pa in ENABLING_PA and (dr in MUTUAL_DR or (dr == "" and auto)):
        return ENABLED
    if pa == "DISABLE" and (dr == "DISABLE" or (dr == "" and auto)):
        return DISABLED
    if pa == "" and dr == "":
        return NOT_ENABLED
    return PARTIAL


def _mesh_status(pa: str, dr: str, auto: bool) -> str:
    result = _status(dr, pa, auto)
    if result in (ENABLED, DISABLED):
        return result
    if not pa and not dr:
        return NOT_ENABLED
    if bool(pa) != bool(dr) and (pa or dr) == "DISABLE":
        return DISABLED
    if auto and ((pa in ENABLING_PA and not dr) or (not pa and dr in MUTUAL_DR)):
        return ENABLED
    return PARTIAL


def _workload_status(idx: ClusterIndex, scope: Scope, ns: str, selector: Mapping[str, Any]) -> str:
    for pa in scope.peer_authentications:
        pa_labels = as_map(as_map(spec(pa).get("selector")).get("matchLabels"))
        if not pa_labels or not contained(pa_labels, selector):
            continue
        mode = pa_mode(pa)
        if mode == "STRICT":
            return ENABLED
        if mode == "DISABLE":
            return DISABLED
        if mode != "PERMISSIVE":
            continue
        if not scope.destination_rules:
            return NOT_ENABLED
        for svc in idx.ctx.services:
            svc_selector = idx.service_selector(svc)
            if ns_of(svc) != ns or not svc_selector or not contained(pa_labels, svc_selector):
                continue
            for dr in scope.destination_rules:
                if filter_by_host(dr_host(dr), ns_of(dr), name_of(svc), ns, idx.domain):
                    if dr_mode(dr) in MUTUAL_DR:
                        return ENABLED
                    if dr_mode(dr) == "DISABLE":
                        return DISABLED
        return NOT_ENABLED
    return NOT_ENABLED
