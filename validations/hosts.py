"""Host matching exactly as Kiali does it (spec §3.1), with indexes so lookups stay cheap.

Several rules look odd (the ServiceEntry suffix match has no label boundary, two-part hosts only
resolve when the second label is a namespace); they are kept because results must agree with
Kiali's. Each helper names the spec rule it follows.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from validations.objects import annotations_of, as_list, name_of, ns_of, spec


@dataclass(frozen=True)
class Host:
    service: str
    namespace: str
    domain: str  # empty for external hosts
    raw: str

    @property
    def internal(self) -> bool:
        return bool(self.domain)

    @property
    def printed(self) -> str:
        """Internal hosts print as the FQDN, external ones as written."""
        if self.internal:
            return f"{self.service}.{self.namespace}.{self.domain}"
        return self.raw

    @property
    def wildcard(self) -> bool:
        return self.service.startswith("*")


def parse_host(raw: str, namespace: str, namespaces: Container[str], domain: str) -> Host:
    """Kiali's GetHost: resolve a host written in an object of `namespace`."""
    labels = raw.split(".")
    if len(labels) == 2 and (labels[1] == namespace or labels[1] in namespaces):
        return Host(labels[0], labels[1], domain, raw)
    if len(labels) == 3 and labels[2] == "svc":
        return Host(labels[0], labels[1], domain, raw)
    return parse_host_simple(raw, namespace, domain)


def parse_host_simple(raw: str, namespace: str, domain: str) -> Host:
    """The simpler parser (rules 3-5 only) that KIA0204 and the Sidecar egress check use."""
    labels = raw.split(".")
    if len(labels) == 1:
        return Host(raw, namespace, domain, raw)
    if len(labels) >= 3 and ".".join(labels[2:]) == domain:
        return Host(labels[0], labels[1], domain, raw)
    return Host(raw, "", "", raw)


def filter_by_host(raw: str, namespace: str, service: str, service_ns: str, domain: str) -> bool:
    """Does host `raw`, written in `namespace`, name Service `service`.`service_ns`?"""
    if raw == service:
        return namespace == service_ns
    return raw in (
        f"{service}.{service_ns}",
        f"{service}.{service_ns}.svc",
        f"{service}.{service_ns}.{domain}",
    )


def wildcard_covers(pattern: str, host: str) -> bool:
    """`*` covers everything; `*.suffix` covers hosts ending with `.suffix`."""
    if pattern == "*":
        return True
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    return False


def exported_to(export_to: Iterable[str], owner_ns: str, viewer_ns: str) -> bool:
    """Service export rules: `*` all, `.` own namespace, `~` nobody, else namespace names."""
    entries = [e.strip() for e in export_to if e.strip()]
    if not entries:
        return True
    for entry in entries:
        if entry == "*" or entry == viewer_ns or (entry == "." and viewer_ns == owner_ns):
            return True
    return False


class ServiceRegistry:
    """Kubernetes Services by FQDN, with the export rule applied per lookup."""

    def __init__(
        self, services: Iterable[Mapping[str, Any]], domain: str, default_export: Iterable[str]
    ) -> None:
        self.domain = domain
        self._default_export = list(default_export)
        self.by_fqdn: dict[str, Mapping[str, Any]] = {}
        self.by_name: dict[tuple[str, str], Mapping[str, Any]] = {}
        for svc in services:
            self.by_fqdn[f"{name_of(svc)}.{ns_of(svc)}.{domain}"] = svc
            self.by_name[(name_of(svc), ns_of(svc))] = svc

    def _export(self, svc: Mapping[str, Any]) -> list[str]:
        annotation = annotations_of(svc).get("networking.istio.io/exportTo")
        if annotation is not None:
            return [e for e in annotation.split(",") if e.strip()] or ["~"]
        return self._default_export

    def find(self, fqdn: str, from_ns: str) -> Mapping[str, Any] | None:
        svc = self.by_fqdn.get(fqdn)
        if svc is None or not exported_to(self._export(svc), ns_of(svc), from_ns):
            return None
        return svc

    def get(self, name: str, namespace: str) -> Mapping[str, Any] | None:
        return self.by_name.get((name, namespace))


class ServiceEntryHosts:
    """SE hosts for Kiali's suffix match: a host matches when it ends with an SE host.

    The test has no label boundary (`myexample.com` matches `example.com`, spec §9.5); for a
    wildcard SE host only the part after `*` counts. Indexed by suffix so a lookup costs the
    length of the host, not the number of ServiceEntries.
    """

    def __init__(self, service_entries: Iterable[Mapping[str, Any]]) -> None:
        self._suffixes: set[str] = set()
        for se in service_entries:
            for host in as_list(spec(se).get("hosts")):
                host = str(host)
                self._suffixes.add(host[1:] if host.startswith("*") else host)
        self._lengths = sorted({len(s) for s in self._suffixes})

    def matches(self, host: str) -> bool:
        size = len(host)
        return any(
            length <= size and host[size - length :] in self._suffixes for length in self._lengths
        )
