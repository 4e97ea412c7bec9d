"""HTTPRoute and GRPCRoute references (spec §5.14), with the API server's defaults applied."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from validations.codes import finding
from validations.index import ClusterIndex
from validations.model import Finding
from validations.objects import (
    as_list,
    as_map,
    expression_selector_matches,
    name_of,
    ns_of,
    spec,
)

GATEWAY_GROUP = "gateway.networking.k8s.io"
ROUTE_KINDS = {"K8sHTTPRoute": "HTTPRoute", "K8sGRPCRoute": "GRPCRoute"}


def check(idx: ClusterIndex) -> list[Finding]:
    gateways = {(ns_of(g), name_of(g)): g for g in idx.ctx.of("K8sGateway")}
    out: list[Finding] = []
    for kind, api_kind in ROUTE_KINDS.items():
        for route in idx.ctx.of(kind):
            ns, name = ns_of(route), name_of(route)
            for i, ref in enumerate(as_list(spec(route).get("parentRefs"))):
                ref = as_map(ref)
                ref_kind = str(ref.get("kind") or "Gateway")
                group = str(ref.get("group") if ref.get("group") is not None else GATEWAY_GROUP)
                target_ns = str(ref.get("namespace") or ns)
                gw_name = str(ref.get("name") or "")
                if ref_kind == "Gateway" and group == GATEWAY_GROUP:
                    gw = gateways.get((target_ns, gw_name))
                    if gw is None or (target_ns != ns and not _admits(idx, gw, ns)):
                        out.append(
                            finding(
                                kind, ns, name, "KIA1401", f"spec/parentRefs[{i}]/name/{gw_name}"
                            )
                        )
                elif ref_kind == "Service" and not _service_usable(idx, ref, ns, api_kind):
                    out.append(finding(kind, ns, name, "KIA1402", f"spec/parentRefs[{i}]/name"))
            for k, rule in enumerate(as_list(spec(route).get("rules"))):
                for i, ref in enumerate(as_list(as_map(rule).get("backendRefs"))):
                    ref = as_map(ref)
                    if str(ref.get("kind") or "Service") != "Service":
                        continue
                    if str(ref.get("group") or "") not in ("", "core"):
                        continue
                    if not _service_usable(idx, ref, ns, api_kind):
                        out.append(
                            finding(
                                kind, ns, name, "KIA1402", f"spec/rules[{k}]/backendRefs[{i}]/name"
                            )
                        )
    return out


def _admits(idx: ClusterIndex, gw: Mapping[str, Any], route_ns: str) -> bool:
    """Does some listener accept routes from another namespace (`Same` is the default)?"""
    ns_labels = idx.ns_labels(route_ns)
    for listener in as_list(spec(gw).get("listeners")):
        allowed = as_map(as_map(as_map(listener).get("allowedRoutes")).get("namespaces"))
        origin = allowed.get("from") or "Same"
        if origin == "All":
            return True
        if origin == "Selector" and expression_selector_matches(
            as_map(allowed.get("selector")), ns_labels
        ):
            return True
    return False


def _service_usable(
    idx: ClusterIndex, ref: Mapping[str, Any], route_ns: str, api_kind: str
) -> bool:
    name = str(ref.get("name") or "")
    target_ns = str(ref.get("namespace") or route_ns)
    if "." in name:
        return False
    if target_ns != route_ns and not _granted(idx, route_ns, target_ns, api_kind):
        return False
    return idx.registry.get(name, target_ns) is not None


def _granted(idx: ClusterIndex, route_ns: str, target_ns: str, api_kind: str) -> bool:
    for grant in idx.ctx.of("K8sReferenceGrant"):
        if ns_of(grant) != target_ns:
            continue
        sources = [as_map(f) for f in as_list(spec(grant).get("from"))]
        targets = [as_map(t) for t in as_list(spec(grant).get("to"))]
        if any(
            f.get("namespace") == route_ns and f.get("kind") == api_kind for f in sources
        ) and any(t.get("kind") == "Service" for t in targets):
            return True
    return False
