"""Ambient-mode facts shared by the Ambient checks and the workload checks (spec §6.4, §5.11)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from validations.index import AMBIENT_LABEL, WAYPOINT_LABEL, ClusterIndex
from validations.model import Workload
from validations.objects import as_list, as_map, labels_of, ns_of, spec

L7_WHEN_PREFIXES = (
    "request.headers",
    "request.auth.claims",
    "request.auth.principal",
    "request.auth.audiences",
    "request.auth.presenter",
)
L7_OPERATION_FIELDS = ("methods", "notMethods", "paths", "notPaths", "hosts", "notHosts")
L7_SOURCE_FIELDS = ("requestPrincipals", "notRequestPrincipals")
WAYPOINT_NAMESPACE_LABEL = "istio.io/use-waypoint-namespace"


def waypoint_label(value: str | None) -> bool:
    return bool(value) and value != "none"


def namespace_enrolled(idx: ClusterIndex, namespace: str) -> bool:
    return waypoint_label(idx.ns_labels(namespace).get(WAYPOINT_LABEL))


def labels_enrolled(idx: ClusterIndex, labels: Mapping[str, str], namespace: str) -> bool:
    """A resource's own label decides (an explicit `none` opts out), else its namespace's."""
    if WAYPOINT_LABEL in labels:
        return waypoint_label(labels[WAYPOINT_LABEL])
    return namespace_enrolled(idx, namespace)


def target_refs(obj: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    refs = [as_map(r) for r in as_list(spec(obj).get("targetRefs"))]
    single = as_map(spec(obj).get("targetRef"))
    return refs + ([single] if single else [])


def policy_is_l7(ap: Mapping[str, Any]) -> bool:
    for rule in as_list(spec(ap).get("rules")):
        rule = as_map(rule)
        for cond in as_list(rule.get("when")):
            if str(as_map(cond).get("key", "")).startswith(L7_WHEN_PREFIXES):
                return True
        for dst in as_list(rule.get("to")):
            operation = as_map(as_map(dst).get("operation"))
            if any(operation.get(f) for f in L7_OPERATION_FIELDS):
                return True
        for src in as_list(rule.get("from")):
            source = as_map(as_map(src).get("source"))
            if any(source.get(f) for f in L7_SOURCE_FIELDS):
                return True
    return False


def is_waypoint(wl: Workload) -> bool:
    return (
        wl.labels.get("gateway.istio.io/managed") == "istio.io-mesh-controller"
        or "istio.io/waypoint-for" in wl.labels
    )


def is_gateway_or_ztunnel(wl: Workload) -> bool:
    return (
        wl.labels.get("app") == "ztunnel"
        or wl.labels.get("istio") in ("ingressgateway", "egressgateway")
        or "gateway.networking.k8s.io/gateway-name" in wl.labels
    )


def targets_not_enrolled(idx: ClusterIndex, policy: Mapping[str, Any]) -> bool:
    """The KIA0109/KIA1110-1112 enrollment rule."""
    ns = ns_of(policy)
    services = []
    for ref in target_refs(policy):
        if ref.get("kind") == "Service" and str(ref.get("group") or "") in ("", "core"):
            svc = idx.registry.get(str(ref.get("name") or ""), ns)
            if svc is not None:
                services.append(svc)
    if services:
        return any(not labels_enrolled(idx, labels_of(s), ns) for s in services)
    selector = as_map(as_map(spec(policy).get("selector")).get("matchLabels"))
    if not selector:
        return not namespace_enrolled(idx, ns)
    matched = [
        wl
        for wl in idx.workloads_in(ns)
        if not is_waypoint(wl) and all(wl.labels.get(str(k)) == str(v) for k, v in selector.items())
    ]
    candidates = [wl for wl in matched if wl.labels.get(AMBIENT_LABEL) != "none"]
    if candidates:
        return any(not labels_enrolled(idx, wl.labels, ns) for wl in candidates)
    if matched:
        return False  # only opted-out workloads matched
    return not namespace_enrolled(idx, ns)
