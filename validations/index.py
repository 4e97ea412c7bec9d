"""Cluster-wide facts derived once per run (registries, workloads per namespace, identities).

Checkers read these instead of scanning the raw context, which is what keeps a run over a
thousand objects well under a second.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from validations.hosts import Host, ServiceRegistry, parse_host
from validations.model import ValidationContext, Workload
from validations.objects import as_map, labels_of, name_of, ns_of, spec

AMBIENT_LABEL = "istio.io/dataplane-mode"
WAYPOINT_LABEL = "istio.io/use-waypoint"


class ClusterIndex:
    def __init__(self, ctx: ValidationContext) -> None:
        self.ctx = ctx
        self.domain = ctx.mesh.identity_domain
        self.root = ctx.mesh.root_namespace
        self.namespaces = set(ctx.namespaces)
        self.registry = ServiceRegistry(
            ctx.services, self.domain, ctx.mesh.default_service_export_to
        )
        self.workloads_by_ns: dict[str, list[Workload]] = defaultdict(list)
        for wl in ctx.workloads:
            self.workloads_by_ns[wl.namespace].append(wl)
        self.identities = self._identities()
        self.trust_domains = {ctx.mesh.trust_domain, *ctx.mesh.trust_domain_aliases}
        self.app_names = {(wl.namespace, self.app_name(wl)) for wl in ctx.workloads}
        self._hosts: dict[tuple[str, str], Host] = {}

    def host(self, raw: str, namespace: str) -> Host:
        """parse_host relative to `namespace`, memoised: every viewpoint pass asks again."""
        found = self._hosts.get((raw, namespace))
        if found is None:
            found = self._hosts[(raw, namespace)] = parse_host(
                raw, namespace, self.namespaces, self.domain
            )
        return found

    def _identities(self) -> set[str]:
        """SA identities of workloads that actually run (spec §3.1: unused SAs don't count)."""
        domains = [self.ctx.mesh.trust_domain, *self.ctx.mesh.trust_domain_aliases]
        return {
            f"{td}/ns/{wl.namespace}/sa/{wl.service_account}"
            for wl in self.ctx.workloads
            for td in domains
        }

    def ns_labels(self, namespace: str) -> dict[str, str]:
        return labels_of(self.ctx.namespaces.get(namespace) or {})

    def is_ambient_ns(self, namespace: str) -> bool:
        return self.ns_labels(namespace).get(AMBIENT_LABEL) == "ambient"

    def workloads_in(self, namespace: str) -> list[Workload]:
        return self.workloads_by_ns.get(namespace, [])

    def any_workload_matches(self, selector: Mapping[str, Any], namespace: str | None) -> bool:
        pool = self.ctx.workloads if namespace is None else self.workloads_in(namespace)
        return any(all(wl.labels.get(str(k)) == str(v) for k, v in selector.items()) for wl in pool)

    def app_name(self, wl: Workload) -> str:
        for label in self.ctx.settings.app_label_names:
            if label in wl.labels:
                return wl.labels[label]
        return ""

    def service_selector(self, svc: Mapping[str, Any]) -> dict[str, str]:
        return {str(k): str(v) for k, v in as_map(spec(svc).get("selector")).items()}

    def service_key(self, svc: Mapping[str, Any]) -> tuple[str, str]:
        return (name_of(svc), ns_of(svc))
