"""Checks shared by several kinds (spec §5.1): selectors, duplicates, exportTo namespaces."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from validations.codes import finding
from validations.index import ClusterIndex
from validations.model import Finding
from validations.objects import as_list, as_map, key, name_of, ns_of, others, spec

# kind -> (the selector's labels, the path checks point at)
SELECTOR_PATHS = {
    "AuthorizationPolicy": ("spec/selector/matchLabels", "spec/selector"),
    "PeerAuthentication": ("spec/selector/matchLabels", "spec/selector"),
    "RequestAuthentication": ("spec/selector/matchLabels", "spec/selector"),
    "Sidecar": ("spec/workloadSelector/labels", "spec/workloadSelector"),
}


def selector_of(kind: str, obj: Mapping[str, Any]) -> dict[str, str]:
    if kind == "Sidecar":
        labels = as_map(as_map(spec(obj).get("workloadSelector")).get("labels"))
    else:
        labels = as_map(as_map(spec(obj).get("selector")).get("matchLabels"))
    return {str(k): str(v) for k, v in labels.items()}


def check(idx: ClusterIndex) -> list[Finding]:
    out: list[Finding] = []
    for kind, (labels_path, _) in SELECTOR_PATHS.items():
        for obj in idx.ctx.of(kind):
            selector = selector_of(kind, obj)
            if selector and not idx.any_workload_matches(selector, ns_of(obj)):
                out.append(finding(kind, ns_of(obj), name_of(obj), "KIA0004", labels_path))
    for kind in ("PeerAuthentication", "Sidecar"):
        out += _duplicates(idx, kind)
    for kind in ("VirtualService", "DestinationRule", "ServiceEntry"):
        out += _export_namespaces(idx, kind)
    return out


def _duplicates(idx: ClusterIndex, kind: str) -> list[Finding]:
    """KIA0002 (several selector-less) and KIA0003 (several selecting one workload)."""
    path = SELECTOR_PATHS[kind][1]
    selectorless: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    selecting: dict[str, list[tuple[tuple[str, str, str], dict[str, str]]]] = defaultdict(list)
    for obj in idx.ctx.of(kind):
        ns = ns_of(obj)
        if kind == "Sidecar" and not idx.workloads_in(ns):
            continue
        selector = selector_of(kind, obj)
        if selector:
            selecting[ns].append((key(kind, obj), selector))
        else:
            selectorless[ns].append(key(kind, obj))
    out = []
    for keys in selectorless.values():
        if len(keys) > 1:
            out += [
                finding(kind, k[1], k[2], "KIA0002", path, references=others(keys, k)) for k in keys
            ]
    for candidates in selecting.values():
        if len(candidates) < 2:
            continue
        clashes: dict[tuple[str, str, str], set[tuple[str, str, str]]] = defaultdict(set)
        for wl in idx.ctx.workloads:
            hits = [
                k for k, sel in candidates if all(wl.labels.get(a) == b for a, b in sel.items())
            ]
            if len(hits) > 1:
                for k in hits:
                    clashes[k].update(hits)
        out += [
            finding(kind, k[1], k[2], "KIA0003", path, references=others(refs, k))
            for k, refs in clashes.items()
        ]
    return out


def _export_namespaces(idx: ClusterIndex, kind: str) -> list[Finding]:
    out = []
    for obj in idx.ctx.of(kind):
        if idx.is_ambient_ns(ns_of(obj)):
            continue
        for i, entry in enumerate(as_list(spec(obj).get("exportTo"))):
            if str(entry) not in (".", "*") and str(entry) not in idx.namespaces:
                out.append(
                    finding(kind, ns_of(obj), name_of(obj), "KIA0005", f"spec/exportTo[{i}]")
                )
    return out
