"""Workload checks (spec §5.11): policy coverage and Ambient/sidecar conflicts.

KIA1301 is evaluated once per workload with the policies of its namespace and the root
namespace, as spec §9.3 recommends, rather than once per viewpoint as Kiali does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from validations.ambient import (
    is_gateway_or_ztunnel,
    is_waypoint,
    policy_is_l7,
    target_refs,
    waypoint_label,
)
from validations.codes import finding
from validations.index import AMBIENT_LABEL, WAYPOINT_LABEL, ClusterIndex
from validations.model import Finding, Workload
from validations.objects import as_list, as_map, name_of, ns_of, spec

KIND = "Workload"
INJECT_LABEL = "sidecar.istio.io/inject"
WAYPOINT_NS_LABEL = "istio.io/use-waypoint-namespace"


def has_proxy(pod: Mapping[str, Any]) -> bool:
    pod_spec = as_map(pod.get("spec"))
    containers = as_list(pod_spec.get("containers")) + as_list(pod_spec.get("initContainers"))
    return any(as_map(c).get("name") == "istio-proxy" for c in containers)


def redirected(pod: Mapping[str, Any]) -> bool:
    annotations = as_map(as_map(pod.get("metadata")).get("annotations"))
    return annotations.get("ambient.istio.io/redirection") == "enabled"


def ambient_labelled(idx: ClusterIndex, wl: Workload) -> bool:
    if wl.labels.get(AMBIENT_LABEL) == "ambient":
        return True
    return idx.is_ambient_ns(wl.namespace) and wl.labels.get(AMBIENT_LABEL) != "none"


def sidecar_labelled(idx: ClusterIndex, wl: Workload) -> bool:
    ns_labels = idx.ns_labels(wl.namespace)
    if ns_labels.get("istio-injection") == "disabled" or wl.labels.get(INJECT_LABEL) in (
        "none",
        "false",
    ):
        return False
    return (
        ns_labels.get("istio-injection") == "enabled"
        or "istio.io/rev" in ns_labels
        or wl.labels.get(INJECT_LABEL) in ("enabled", "true")
    )


def _waypoint_name(idx: ClusterIndex, wl: Workload) -> str:
    if wl.labels.get(AMBIENT_LABEL) == "none":
        return ""
    value = wl.labels.get(WAYPOINT_LABEL, idx.ns_labels(wl.namespace).get(WAYPOINT_LABEL))
    return value if value and waypoint_label(value) else ""


def resolved_waypoints(idx: ClusterIndex, wl: Workload) -> list[str]:
    if wl.waypoints is not None:
        return wl.waypoints
    name = _waypoint_name(idx, wl)
    if not name:
        return []
    ns = wl.labels.get(WAYPOINT_NS_LABEL) or idx.ns_labels(wl.namespace).get(WAYPOINT_NS_LABEL)
    ns = ns or wl.namespace
    if any(ns_of(g) == ns and name_of(g) == name for g in idx.ctx.of("K8sGateway")):
        return [name]
    if any(
        w.labels.get("gateway.networking.k8s.io/gateway-name") == name for w in idx.workloads_in(ns)
    ):
        return [name]
    return []


def check(idx: ClusterIndex) -> list[Finding]:
    out: list[Finding] = []
    policies = idx.ctx.of("AuthorizationPolicy")
    by_ns: dict[str, list[Mapping[str, Any]]] = {}
    for ap in policies:
        by_ns.setdefault(ns_of(ap), []).append(ap)
    for wl in idx.ctx.workloads:
        codes = []
        covering = by_ns.get(wl.namespace, []) + (
            by_ns.get(idx.root, []) if wl.namespace != idx.root else []
        )
        if not any(_selects(ap, wl) for ap in covering):
            codes.append("KIA1301")
        ambient, sidecar = ambient_labelled(idx, wl), sidecar_labelled(idx, wl)
        any_redirected = any(redirected(p) for p in wl.pods)
        any_proxy = any(has_proxy(p) for p in wl.pods)
        special = is_waypoint(wl) or is_gateway_or_ztunnel(wl)
        if ambient and sidecar:
            codes.append("KIA1311")
        if wl.pods and _waypoint_name(idx, wl):
            if not any_redirected and not special:
                codes.append("KIA1312")
            if not resolved_waypoints(idx, wl):
                codes.append("KIA1313")
        if sidecar and any_redirected:
            codes.append("KIA1314")
        if ambient and any_proxy:
            codes.append("KIA1315")
        if wl.pods and any_proxy and idx.is_ambient_ns(wl.namespace):
            codes.append("KIA1316")
        if (
            (any_redirected or ambient)
            and not special
            and wl.labels.get(AMBIENT_LABEL) != "none"
            and not resolved_waypoints(idx, wl)
            and _l7_policy_applies(idx, wl, by_ns.get(wl.namespace, []))
        ):
            codes.append("KIA1317")
        out += [finding(KIND, wl.namespace, wl.name, code, "workload") for code in codes]
    return out


def _selects(ap: Mapping[str, Any], wl: Workload) -> bool:
    selector = as_map(as_map(spec(ap).get("selector")).get("matchLabels"))
    return all(wl.labels.get(str(k)) == str(v) for k, v in selector.items())


def _l7_policy_applies(idx: ClusterIndex, wl: Workload, policies: list[Mapping[str, Any]]) -> bool:
    for ap in policies:
        if not policy_is_l7(ap):
            continue
        found = [
            idx.registry.get(str(r.get("name") or ""), wl.namespace)
            for r in target_refs(ap)
            if r.get("kind") == "Service"
        ]
        services = [s for s in found if s is not None]
        if services:
            if any(
                (sel := idx.service_selector(s))
                and all(wl.labels.get(k) == v for k, v in sel.items())
                for s in services
            ):
                return True
            continue
        if _selects(ap, wl):
            return True
    return False
