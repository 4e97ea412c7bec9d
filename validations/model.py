"""The validation engine's inputs and outputs, as plain dataclasses.

The engine never talks to a cluster: a caller (the offline command, or a page that reads live
clusters through `mesh/kube/`) gathers one cluster's objects into a `ValidationContext` and
gets `ObjectValidation` records back. Objects stay plain dicts exactly as Kubernetes returns
them, so nothing has to be converted twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Obj = Mapping[str, Any]

# Kinds as the engine names them (Gateway API kinds carry the K8s prefix so they never clash
# with Istio's Gateway).
ISTIO_KINDS = (
    "AuthorizationPolicy",
    "DestinationRule",
    "EnvoyFilter",
    "Gateway",
    "PeerAuthentication",
    "RequestAuthentication",
    "ServiceEntry",
    "Sidecar",
    "Telemetry",
    "VirtualService",
    "WasmPlugin",
    "WorkloadEntry",
    "WorkloadGroup",
)
GATEWAY_API_KINDS = (
    "K8sGateway",
    "K8sHTTPRoute",
    "K8sGRPCRoute",
    "K8sReferenceGrant",
    "K8sTCPRoute",
    "K8sTLSRoute",
    "K8sUDPRoute",
)
SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Check:
    code: str
    severity: str  # error, warning or info (Kiali's "unknown")
    message: str
    path: str


@dataclass
class ObjectValidation:
    kind: str
    namespace: str
    name: str
    cluster: str
    valid: bool = True
    checks: list[Check] = field(default_factory=list)
    # (kind, namespace, name) of the other objects in a conflict
    references: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.namespace, self.name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "cluster": self.cluster,
            "valid": self.valid,
            "checks": [
                {"code": c.code, "severity": c.severity, "path": c.path, "message": c.message}
                for c in self.checks
            ],
            "references": [
                {"kind": k, "namespace": ns, "name": n} for (k, ns, n) in self.references
            ],
        }


@dataclass(frozen=True)
class Finding:
    """One check on one object, as a checker reports it; the engine merges findings."""

    kind: str
    namespace: str
    name: str
    check: Check
    valid: bool
    references: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class MeshConfig:
    """The mesh parameters that change results (spec §4); Istio's defaults when not given."""

    root_namespace: str = "istio-system"
    trust_domain: str = "cluster.local"
    trust_domain_aliases: tuple[str, ...] = ()
    enable_auto_mtls: bool = True
    outbound_traffic_policy: str = "ALLOW_ANY"
    default_virtual_service_export_to: tuple[str, ...] = ()
    default_destination_rule_export_to: tuple[str, ...] = ()
    default_service_export_to: tuple[str, ...] = ()
    scope_gateway_to_namespace: bool = False
    identity_domain_override: str = ""

    @property
    def identity_domain(self) -> str:
        """The suffix of in-cluster FQDNs: svc.<trust domain> unless Kiali overrides it."""
        return self.identity_domain_override or f"svc.{self.trust_domain}"

    @property
    def allow_any(self) -> bool:
        return self.outbound_traffic_policy.upper() != "REGISTRY_ONLY"

    @classmethod
    def from_mesh(cls, mesh: Obj, **overrides: Any) -> MeshConfig:
        """Read the `data.mesh` document of the `istio` ConfigMap."""
        default_config = mesh.get("defaultConfig") or {}
        proxy_env = default_config.get("proxyMetadata") or {}
        policy = (mesh.get("outboundTrafficPolicy") or {}).get("mode") or "ALLOW_ANY"
        values: dict[str, Any] = {
            "root_namespace": mesh.get("rootNamespace") or "istio-system",
            "trust_domain": mesh.get("trustDomain") or "cluster.local",
            "trust_domain_aliases": tuple(mesh.get("trustDomainAliases") or ()),
            "enable_auto_mtls": mesh.get("enableAutoMtls", True) is not False,
            "outbound_traffic_policy": str(policy),
            "default_virtual_service_export_to": tuple(
                mesh.get("defaultVirtualServiceExportTo") or ()
            ),
            "default_destination_rule_export_to": tuple(
                mesh.get("defaultDestinationRuleExportTo") or ()
            ),
            "default_service_export_to": tuple(mesh.get("defaultServiceExportTo") or ()),
            "scope_gateway_to_namespace": str(
                proxy_env.get("PILOT_SCOPE_GATEWAY_TO_NAMESPACE", "")
            ).lower()
            == "true",
        }
        values.update(overrides)
        return cls(**values)


@dataclass(frozen=True)
class ValidationSettings:
    """Kiali's own settings that change results (spec §4)."""

    ignore: tuple[str, ...] = ("KIA1301",)
    skip_wildcard_gateway_hosts: bool = False
    # Explicitly configured Gateway API class names; empty = discover (spec §4).
    gateway_api_classes: tuple[str, ...] = ()
    app_label_names: tuple[str, ...] = (
        "service.istio.io/canonical-name",
        "app.kubernetes.io/name",
        "app",
    )


@dataclass
class Workload:
    """A Deployment, StatefulSet, DaemonSet, bare ReplicaSet or bare Pod, with its pods."""

    kind: str
    name: str
    namespace: str
    labels: dict[str, str] = field(default_factory=dict)  # pod template labels
    annotations: dict[str, str] = field(default_factory=dict)  # the workload's own
    service_account: str = "default"
    pods: list[dict[str, Any]] = field(default_factory=list)
    # Names of the waypoints the workload resolves to; None lets the engine resolve them.
    waypoints: list[str] | None = None


@dataclass
class ValidationContext:
    """Everything one cluster's validation needs.

    `objects` maps the engine's kind names (see ISTIO_KINDS and GATEWAY_API_KINDS) to the raw
    objects. `namespaces` maps each existing namespace to its Namespace object (at least
    `metadata.labels`). `managed_namespaces` are the viewpoints (spec §2.3); None means every
    namespace. Identities and trust domains of the *other* clusters feed KIA0107/KIA0108.
    """

    cluster: str = "default"
    objects: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    namespaces: dict[str, dict[str, Any]] = field(default_factory=dict)
    services: list[dict[str, Any]] = field(default_factory=list)
    workloads: list[Workload] = field(default_factory=list)
    deployments: list[dict[str, Any]] = field(default_factory=list)
    gateway_classes: list[dict[str, Any]] = field(default_factory=list)
    mesh: MeshConfig = field(default_factory=MeshConfig)
    settings: ValidationSettings = field(default_factory=ValidationSettings)
    managed_namespaces: list[str] | None = None
    remote_identities: frozenset[str] = frozenset()
    remote_trust_domains: frozenset[str] = frozenset()
    cluster_count: int = 1
    ambient_anywhere: bool = False

    def of(self, kind: str) -> list[dict[str, Any]]:
        return self.objects.get(kind, [])

    def viewpoints(self) -> list[str]:
        if self.managed_namespaces is not None:
            return list(self.managed_namespaces)
        return sorted(self.namespaces)
