"""Gateway API Gateway checks (spec §5.13)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from validations.codes import finding
from validations.index import ClusterIndex
from validations.model import Finding
from validations.objects import as_list, as_map, key, name_of, ns_of, others, spec

KIND = "K8sGateway"
GATEWAY_CONDITIONS = ("Accepted", "Programmed", "Ready", "Scheduled")
LISTENER_POSITIVE = ("Accepted", "Programmed", "Ready", "ResolvedRefs")
LISTENER_NEGATIVE = ("Conflicted", "Detached")
TRANSITIONAL = ("Pending", "ListenersNotValid", "ListenerSetsNotValid")


def known_classes(idx: ClusterIndex) -> set[str]:
    ctx = idx.ctx
    if ctx.settings.gateway_api_classes:
        return set(ctx.settings.gateway_api_classes)
    discovered = {
        name_of(gc)
        for gc in ctx.gateway_classes
        if str(spec(gc).get("controllerName") or "").startswith("istio.io")
    }
    if discovered:
        return discovered
    defaults = {"istio", "istio-remote"}
    if ctx.cluster_count > 1:
        defaults.add("istio-east-west")
    if ctx.ambient_anywhere:
        defaults.add("istio-waypoint")
    return defaults


def check(idx: ClusterIndex) -> list[Finding]:
    out: list[Finding] = []
    classes = known_classes(idx)
    listeners: dict[tuple[str, object, str], list[tuple[tuple[str, str, str], int]]] = defaultdict(
        list
    )
    addresses: dict[tuple[str, str], list[tuple[str, str, str]]] = defaultdict(list)
    for gw in idx.ctx.of(KIND):
        me = key(KIND, gw)
        if str(spec(gw).get("gatewayClassName") or "") not in classes:
            out.append(finding(KIND, me[1], me[2], "KIA1504", "spec/gatewayClassName"))
        own: dict[tuple[str, object, str], list[tuple[int, str]]] = defaultdict(list)
        for i, listener in enumerate(as_list(spec(gw).get("listeners"))):
            listener = as_map(listener)
            ident = (
                str(listener.get("hostname") or ""),
                listener.get("port"),
                str(listener.get("protocol") or ""),
            )
            own[ident].append((i, str(listener.get("name") or "")))
            if ident[0]:
                listeners[ident].append((me, i))
        for same in own.values():
            if len(same) > 1 and len({n for _, n in same}) > 1:
                out += [
                    finding(KIND, me[1], me[2], "KIA1503", f"spec/listeners[{i}]/name")
                    for i, _ in same
                ]
        for address in as_list(spec(gw).get("addresses")):
            address = as_map(address)
            if address.get("value"):
                addresses[(str(address.get("type") or "IPAddress"), str(address["value"]))].append(
                    me
                )
        out += _status(gw)
    for shared in listeners.values():
        for me, i in shared:
            refs = [k for k, _ in shared if k[2] != me[2]]
            if refs:
                out.append(
                    finding(
                        KIND,
                        me[1],
                        me[2],
                        "KIA1501",
                        f"spec/listeners[{i}]/hostname",
                        references=others(refs, me),
                    )
                )
    for owners in addresses.values():
        for owner in set(owners):
            refs = [k for k in owners if k[2] != owner[2]]
            if refs:
                out.append(
                    finding(
                        KIND,
                        owner[1],
                        owner[2],
                        "KIA1502",
                        "spec/addresses/value",
                        references=others(refs, owner),
                    )
                )
    return out


def _transitional(cond: Mapping[str, Any]) -> bool:
    reason = str(cond.get("reason") or "")
    if reason in TRANSITIONAL:
        return True
    return reason == "AddressNotAssigned" and "pending" in str(cond.get("message") or "").lower()


def _status(gw: Mapping[str, Any]) -> list[Finding]:
    status = as_map(gw.get("status"))
    ns, name = ns_of(gw), name_of(gw)
    out = []
    for i, cond in enumerate(as_list(status.get("conditions"))):
        cond = as_map(cond)
        if (
            cond.get("type") in GATEWAY_CONDITIONS
            and str(cond.get("status")) == "False"
            and not _transitional(cond)
        ):
            reason = str(cond.get("reason") or "")
            out.append(
                finding(
                    KIND,
                    ns,
                    name,
                    "GWAPI",
                    f"status/conditions[{i}]/reason/{reason}",
                    message=str(cond.get("message") or reason),
                )
            )
    for li, listener in enumerate(as_list(status.get("listeners"))):
        for cond in as_list(as_map(listener).get("conditions")):
            cond = as_map(cond)
            kind, value = cond.get("type"), str(cond.get("status"))
            bad = (kind in LISTENER_POSITIVE and value == "False" and not _transitional(cond)) or (
                kind in LISTENER_NEGATIVE and value == "True"
            )
            if bad:
                reason = str(cond.get("reason") or "")
                out.append(
                    finding(
                        KIND,
                        ns,
                        name,
                        "GWAPI",
                        f"status/conditions[{li}]/type/{reason}",
                        message=str(cond.get("message") or reason),
                    )
                )
    return out
