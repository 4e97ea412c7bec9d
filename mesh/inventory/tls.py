"""A namespace's mTLS status (NS-02), from the PeerAuthentications and DestinationRules the
inventory holds: the namespace's own, else the mesh-wide ones in the root namespace, else
Istio's default (permissive, with automatic mTLS between sidecars)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mesh.inventory.model import IstioObject, NamespaceInventory

STRICT, PERMISSIVE, DISABLED, PARTIAL, NOT_APPLICABLE = (
    "strict",
    "permissive",
    "disabled",
    "partial",
    "n/a",
)
LABELS = {
    STRICT: "Strict",
    PERMISSIVE: "Permissive",
    DISABLED: "Disabled",
    PARTIAL: "Partially enabled",
    NOT_APPLICABLE: "Not applicable",
}
ORDER = (STRICT, PARTIAL, PERMISSIVE, DISABLED, NOT_APPLICABLE)  # sorting: best first
_MODES = {"STRICT": STRICT, "PERMISSIVE": PERMISSIVE, "DISABLE": DISABLED}


@dataclass(frozen=True)
class NamespaceTLS:
    status: str
    reason: str  # what decided it, for the cell's tooltip

    @property
    def label(self) -> str:
        return LABELS[self.status]

    @property
    def rank(self) -> int:
        return ORDER.index(self.status)


def _selector(spec: dict[str, Any]) -> dict[str, Any]:
    return dict((spec.get("selector") or {}).get("matchLabels") or {})


def _mode(spec: dict[str, Any]) -> str:
    return str((spec.get("mtls") or {}).get("mode") or "").upper()


def _wide(objects: list[IstioObject], kind: str) -> list[IstioObject]:
    return [o for o in objects if o.kind == kind and not _selector(o.spec)]


def _disables_tls_for(dr: IstioObject, namespace: str) -> bool:
    host = str(dr.spec.get("host", ""))
    wildcard = host in ("*", "*.local", "*.svc.cluster.local", f"*.{namespace}.svc.cluster.local")
    mode = str(((dr.spec.get("trafficPolicy") or {}).get("tls") or {}).get("mode", "")).upper()
    return wildcard and mode == "DISABLE"


def namespace_tls(inventory: NamespaceInventory, root: NamespaceInventory | None) -> NamespaceTLS:
    """`root`: the mesh's root namespace (external_services.istio.root_namespace), whose
    selector-less PeerAuthentication is mesh-wide."""
    workloads = inventory.workloads
    if not workloads or not any(w.has_sidecar or w.is_ambient for w in workloads):
        return NamespaceTLS(NOT_APPLICABLE, "no workload here is in the mesh")
    objects = inventory.istio_objects
    root_objects = root.istio_objects if root is not None else []
    own = [o for o in _wide(objects, "PeerAuthentication") if _mode(o.spec)]
    if own:
        status = _MODES.get(_mode(own[0].spec), PERMISSIVE)
        reason = f"PeerAuthentication {own[0].name}"
    else:
        mesh_wide = mesh_wide_tls(root)
        status, reason = mesh_wide.status, mesh_wide.reason
        reason = (
            "mesh-wide " + reason
            if reason.startswith("PeerAuthentication")
            else "Istio's default: no PeerAuthentication"
        )
    # Workload-level PeerAuthentications with another mode, or a DestinationRule that
    # turns TLS off for the namespace's hosts, leave only part of the traffic as decided.
    others = [
        o
        for o in objects
        if o.kind == "PeerAuthentication"
        and _selector(o.spec)
        and _mode(o.spec)
        and _MODES.get(_mode(o.spec)) != status
    ]
    disabling = [
        o
        for o in [*objects, *root_objects]
        if o.kind == "DestinationRule" and _disables_tls_for(o, inventory.namespace.name)
    ]
    if status == STRICT and disabling:
        return NamespaceTLS(
            PARTIAL, f"{reason}, but DestinationRule {disabling[0].name} disables TLS"
        )
    if others:
        return NamespaceTLS(
            PARTIAL,
            f"{reason}, but PeerAuthentication {others[0].name} sets {_mode(others[0].spec)}",
        )
    return NamespaceTLS(status, reason)


def mesh_wide_tls(root: NamespaceInventory | None) -> NamespaceTLS:
    """The mesh-wide mTLS mode (ME-05): the root namespace's selector-less
    PeerAuthentication, else Istio's default."""
    objects = root.istio_objects if root is not None else []
    wide = [o for o in _wide(objects, "PeerAuthentication") if _mode(o.spec)]
    if not wide:
        return NamespaceTLS(PERMISSIVE, "Istio's default: no mesh-wide PeerAuthentication")
    mode = _mode(wide[0].spec)
    return NamespaceTLS(_MODES.get(mode, PERMISSIVE), f"PeerAuthentication {wide[0].name}")
