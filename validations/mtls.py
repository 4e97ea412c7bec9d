"""The mTLS shapes of DestinationRules and PeerAuthentications (spec §3.2)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from validations.objects import as_map, spec

Obj = Mapping[str, Any]
ENABLING_PA = ("STRICT", "PERMISSIVE")
MUTUAL_DR = ("ISTIO_MUTUAL", "MUTUAL")


def dr_host(dr: Obj) -> str:
    return str(spec(dr).get("host") or "")


def dr_mode(dr: Obj) -> str:
    tls = as_map(as_map(spec(dr).get("trafficPolicy")).get("tls"))
    return str(tls.get("mode") or "")


def is_mesh_wide_dr(dr: Obj) -> bool:
    return dr_host(dr) == "*.local"


def is_ns_wide_dr(dr: Obj, namespace: str, domain: str) -> bool:
    return dr_host(dr) == f"*.{namespace}.{domain}"


def is_ns_wide_pa(pa: Obj) -> bool:
    """Only a PA with no `selector` field at all is namespace-wide (an empty one is not)."""
    return "selector" not in spec(pa)


def pa_mode(pa: Obj) -> str:
    """The PA's mode; "" without an `mtls` block, UNSET for a block without a mode."""
    mtls = spec(pa).get("mtls")
    if not isinstance(mtls, Mapping):
        return ""
    return str(mtls.get("mode") or "UNSET")


def has_mtls_block(pa: Obj) -> bool:
    return isinstance(spec(pa).get("mtls"), Mapping)


def any_enabling(pas: Iterable[Obj]) -> bool:
    return any(pa_mode(pa) in ENABLING_PA for pa in pas)
