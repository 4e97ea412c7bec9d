"""The cluster registry: which clusters the console knows, how to reach them, and which answer.

Sources, as upstream installs arrange them (spec auth-and-clusters b): the home cluster from
the pod's service account or a kubeconfig; remote clusters from Secrets in the console's
namespace labelled `kiali.io/multiCluster=true`, from the single `kiali-multi-cluster-secret`
(one kubeconfig per key, key = cluster name), from `clustering.clusters` entries and from
admin-added rows. Unlike upstream, secrets are re-read when the registry is rebuilt, so adding
a cluster needs no restart. One cluster that cannot be reached is marked with the reason and
never stops the others from being listed.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from kiali_site.config import KialiConfig
from mesh.clusters.access import ClusterAccess, KubeconfigError, check_kubeconfig
from mesh.kube.access import get_json, list_items, server_version
from mesh.kube.errors import ClusterUnreachable, KubeError
from mesh.outages import Outage, on_recovery

log = logging.getLogger(__name__)

MULTI_CLUSTER_LABEL = "kiali.io/multiCluster=true"
BUNDLE_SECRET = "kiali-multi-cluster-secret"
KIALI_SERVICE_LABEL = "app.kubernetes.io/part-of=kiali"
REGISTRY_TTL_SECONDS = 30.0


@dataclass(frozen=True)
class KialiInstance:
    """A console serving a cluster: discovered from its Service, or named by a link."""

    namespace: str
    service_name: str
    url: str = ""
    version: str = ""


@dataclass(frozen=True)
class ClusterInfo:
    name: str
    source: str  # home, secret, bundle, config, admin
    accessible: bool
    is_home: bool = False
    secret_name: str = ""
    api_endpoint: str = ""
    reachable: bool = False
    reason: str = ""  # why the cluster is unreachable or inaccessible
    version: str = ""
    note: str = ""
    kiali_instances: tuple[KialiInstance, ...] = ()


@dataclass
class Registry:
    home: str
    clusters: list[ClusterInfo]
    access: dict[str, ClusterAccess] = field(repr=False)
    ignore_home_cluster: bool = False
    problems: list[str] = field(default_factory=list)

    def get(self, name: str) -> ClusterInfo | None:
        return next((c for c in self.clusters if c.name == name), None)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.clusters]

    @property
    def reachable(self) -> list[ClusterInfo]:
        return [c for c in self.clusters if c.accessible and c.reachable]

    @property
    def mesh_clusters(self) -> list[ClusterInfo]:
        """Reachable clusters that belong to the mesh (the home one may be a management cluster)."""
        return [c for c in self.reachable if not (c.is_home and self.ignore_home_cluster)]

    @property
    def readable_clusters(self) -> list[ClusterInfo]:
        """Mesh clusters the console holds credentials for, answering or not: an unreachable
        one stays in every list, marked so, with what was last read of it."""
        return [
            c
            for c in self.clusters
            if c.accessible
            and c.name in self.access
            and not (c.is_home and self.ignore_home_cluster)
        ]

    @property
    def is_multi_cluster(self) -> bool:
        """Upstream shows cluster columns only with more than one known and accessible cluster."""
        return len(self.clusters) > 1 and sum(c.accessible for c in self.clusters) > 1


# --- the home cluster ------------------------------------------------------------------------


def select_context(kubeconfig: dict[str, Any], context: str) -> dict[str, Any]:
    """Reduce a multi-context kubeconfig to the chosen (or current) context."""
    wanted = context or kubeconfig.get("current-context") or ""
    contexts = {c.get("name"): c.get("context", {}) for c in kubeconfig.get("contexts") or []}
    if not contexts:
        return kubeconfig
    if wanted not in contexts:
        raise KubeconfigError(f"context {wanted!r} is not in the kubeconfig")
    ctx = contexts[wanted]
    clusters = [c for c in kubeconfig.get("clusters") or [] if c.get("name") == ctx.get("cluster")]
    users = [u for u in kubeconfig.get("users") or [] if u.get("name") == ctx.get("user")]
    return {"clusters": clusters, "users": users}


def read_kubeconfig(path: str, context: str, what: str) -> dict[str, Any]:
    """A kubeconfig file reduced to one context; KubeconfigError names `what` and the file."""
    try:
        document = yaml.safe_load(Path(path).read_text())
    except OSError as exc:
        raise KubeconfigError(f"{what} {path}: {exc.strerror}") from None
    except yaml.YAMLError:
        raise KubeconfigError(f"{what} {path} is not valid YAML") from None
    if not isinstance(document, dict):
        raise KubeconfigError(f"{what} {path} is not a kubeconfig")
    return select_context(document, context)


def home_access(environ: dict[str, str] | None = None) -> ClusterAccess | None:
    """The home cluster from KUBECONFIG (and KUBE_CONTEXT), else the in-cluster service account."""
    env = os.environ if environ is None else environ
    path = env.get("KUBECONFIG", "")
    if path:
        reduced = read_kubeconfig(path, env.get("KUBE_CONTEXT", ""), "KUBECONFIG")
        return ClusterAccess.from_kubeconfig("home", reduced)
    if env.get("KUBERNETES_SERVICE_HOST"):
        return ClusterAccess.in_cluster("home")
    return None


# What was last read from the home cluster, per API server: while it does not answer, the
# registry keeps its name and the remote clusters its secrets named, so that no cluster is
# renamed or dropped for the length of an outage.
_last_home_names: dict[str, str] = {}
_last_remote: dict[str, list[_Candidate]] = {}


def discover_home_name(config: KialiConfig, access: ClusterAccess) -> str:
    """kubernetes_config.cluster_name, else istiod's CLUSTER_ID, else `Kubernetes` (spec b.1)."""
    if config.kubernetes_config.cluster_name:
        return config.kubernetes_config.cluster_name
    try:
        istiods = list_items(
            access.service_client(), "home", "apps/v1", "deployments", label_selector="app=istiod"
        )
    except ClusterUnreachable:
        return _last_home_names.get(access.server, "Kubernetes")
    except (KubeError, KubeconfigError):
        istiods = []
    name = _home_name_of(istiods)
    _last_home_names[access.server] = name
    return name


def _home_name_of(istiods: list[dict[str, Any]]) -> str:
    for deployment in istiods:
        containers = (
            deployment.get("spec", {}).get("template", {}).get("spec", {}).get("containers") or []
        )
        for env in (containers[0].get("env") or []) if containers else []:
            if env.get("name") == "CLUSTER_ID" and env.get("value"):
                return str(env["value"])
    return "Kubernetes"


# --- remote clusters from secrets -----------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    name: str
    source: str
    secret_name: str
    access: ClusterAccess | None
    reason: str = ""
    note: str = ""


def _decode_secret(secret: dict[str, Any], source: str, allow_exec: bool) -> list[_Candidate]:
    """One candidate per data key; a bad kubeconfig becomes a reason, never its contents."""
    name = secret.get("metadata", {}).get("name", "")
    out = []
    for key, encoded in sorted((secret.get("data") or {}).items()):
        where = f"secret {name}, key {key}"
        try:
            document = yaml.safe_load(base64.b64decode(encoded, validate=True))
            access = ClusterAccess.from_kubeconfig(key, document, allow_exec=allow_exec)
        except (binascii.Error, ValueError):
            out.append(_Candidate(key, source, name, None, f"{where}: the value is not base64"))
        except yaml.YAMLError:
            out.append(
                _Candidate(key, source, name, None, f"{where}: the kubeconfig is not valid YAML")
            )
        except KubeconfigError as exc:
            out.append(_Candidate(key, source, name, None, f"{where}: {exc}"))
        else:
            out.append(_Candidate(key, source, name, access))
    return out


def _remote_candidates(
    config: KialiConfig, home: ClusterAccess, admin_rows: Iterable[Any], problems: list[str]
) -> list[_Candidate]:
    """The remote clusters named by secrets in the home cluster; while the home cluster does
    not answer, the ones last read."""
    try:
        candidates = _read_remote_candidates(config, home, admin_rows, problems)
    except ClusterUnreachable as exc:
        problems.append(f"cannot read remote-cluster secrets: {exc.message}")
        return _last_remote.get(home.server, [])
    _last_remote[home.server] = candidates
    return candidates


def _read_remote_candidates(
    config: KialiConfig, home: ClusterAccess, admin_rows: Iterable[Any], problems: list[str]
) -> list[_Candidate]:
    namespace = config.deployment.namespace
    allow_exec = config.clustering.enable_exec_provider
    client = home.service_client()
    candidates: list[_Candidate] = []
    try:
        if config.clustering.autodetect_secrets:
            for secret in list_items(
                client,
                "home",
                "v1",
                "secrets",
                namespace=namespace,
                label_selector=MULTI_CLUSTER_LABEL,
            ):
                if secret.get("metadata", {}).get("name") != BUNDLE_SECRET:
                    candidates += _decode_secret(secret, "secret", allow_exec)
        named = [(BUNDLE_SECRET, "bundle", "")]
        named += [
            (e.secret_name, "config", "") for e in config.clustering.clusters if e.secret_name
        ]
        named += [
            (r.secret_name, "admin", r.note) for r in admin_rows if r.accessible and r.secret_name
        ]
        for secret_name, source, note in named:
            found = get_json(
                client, "home", f"/api/v1/namespaces/{namespace}/secrets/{secret_name}"
            )
            if found is None:
                if source != "bundle":
                    problems.append(f"secret {namespace}/{secret_name} was not found")
                continue
            candidates += [replace(c, note=note) for c in _decode_secret(found, source, allow_exec)]
    except ClusterUnreachable:
        raise
    except KubeError as exc:
        problems.append(f"cannot read remote-cluster secrets in {namespace}: {exc.message}")
    return candidates


# --- assembling ------------------------------------------------------------------------------


def _probe(access: ClusterAccess) -> tuple[bool, str, str]:
    try:
        return True, "", server_version(access.service_client(), access.name)
    except (KubeError, KubeconfigError) as exc:
        return False, getattr(exc, "message", str(exc)), ""


def _kiali_instances(
    config: KialiConfig, cluster: str, discovered: list[dict[str, Any]], links: list[Any]
) -> tuple[KialiInstance, ...]:
    """Discovered console Services get their URL from a matching link; other links are added."""
    entries = [
        (u.cluster_name, u.instance_name, u.namespace, u.url) for u in config.clustering.kiali_urls
    ]
    entries += [(link.cluster_name, link.instance_name, link.namespace, link.url) for link in links]
    entries = [e for e in entries if e[0] == cluster]
    instances, used = [], set()
    for svc in discovered:
        meta = svc.get("metadata", {})
        name, ns = meta.get("name", ""), meta.get("namespace", "")
        url = (meta.get("annotations") or {}).get("kiali.io/external-url", "")
        for i, entry in enumerate(entries):
            if entry[1] == name and entry[2] == ns:
                url = entry[3]
                used.add(i)
        version = (meta.get("labels") or {}).get("app.kubernetes.io/version", "")
        instances.append(KialiInstance(ns, name, url, version))
    for i, entry in enumerate(entries):
        if i not in used:
            instances.append(KialiInstance(entry[2], entry[1], entry[3]))
    return tuple(instances)


def build_registry(
    config: KialiConfig,
    home: ClusterAccess | None,
    admin_clusters: Iterable[Any] = (),
    admin_links: Iterable[Any] = (),
) -> Registry:
    """Every known cluster with its reachability; each cluster is probed concurrently."""
    admin_clusters, admin_links = list(admin_clusters), list(admin_links)
    problems: list[str] = []
    candidates: list[_Candidate] = []
    home_name = config.kubernetes_config.cluster_name or "Kubernetes"
    if home is None:
        problems.append("no home cluster: set KUBECONFIG or run the console inside a cluster")
    else:
        home_name = discover_home_name(config, home)
        home = replace(home, name=home_name)
        candidates.append(_Candidate(home_name, "home", "", home))
        candidates += _remote_candidates(config, home, admin_clusters, problems)

    seen: dict[str, _Candidate] = {}
    for cand in candidates:
        if cand.name in seen:
            problems.append(
                f"cluster {cand.name} is defined twice; {cand.source} secret "
                f"{cand.secret_name} was ignored"
            )
            log.error("duplicate cluster %s in secret %s ignored", cand.name, cand.secret_name)
            continue
        seen[cand.name] = cand
    access = {n: c.access for n, c in seen.items() if c.access is not None}
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(access)))) as pool:
        probes = dict(zip(access, pool.map(_probe, access.values()), strict=True))

    kiali_services: dict[str, list[dict[str, Any]]] = {}
    for name, (ok, _, _) in probes.items():
        if ok:
            try:
                kiali_services[name] = list_items(
                    access[name].service_client(),
                    name,
                    "v1",
                    "services",
                    label_selector=KIALI_SERVICE_LABEL,
                )
            except KubeError:
                kiali_services[name] = []

    clusters = []
    for name, cand in seen.items():
        ok, reason, version = probes.get(name, (False, cand.reason, ""))
        clusters.append(
            ClusterInfo(
                name=name,
                source=cand.source,
                accessible=True,
                is_home=cand.source == "home",
                secret_name=cand.secret_name,
                api_endpoint=cand.access.server if cand.access else "",
                reachable=ok,
                reason=reason or cand.reason,
                version=version,
                note=cand.note,
                kiali_instances=_kiali_instances(
                    config, name, kiali_services.get(name, []), admin_links
                ),
            )
        )
    inaccessible = [(e.name, "config", "") for e in config.clustering.clusters if not e.secret_name]
    inaccessible += [(r.name, "admin", r.note) for r in admin_clusters if not r.accessible]
    for name, source, note in inaccessible:
        if name not in seen:
            seen[name] = _Candidate(name, source, "", None)
            clusters.append(
                ClusterInfo(
                    name=name,
                    source=source,
                    accessible=False,
                    note=note,
                    reason="no credentials: the console cannot read this cluster",
                    kiali_instances=_kiali_instances(config, name, [], admin_links),
                )
            )
    clusters.sort(key=lambda c: (not c.is_home, c.name))
    return Registry(
        home=home_name,
        clusters=clusters,
        access=access,
        ignore_home_cluster=config.clustering.ignore_home_cluster,
        problems=problems,
    )


# --- the process-wide cached registry --------------------------------------------------------

_lock = threading.Lock()
_cached: tuple[float, Registry] | None = None
_refreshing = False
_generation = 0  # bumped by invalidation: a build started before it is not kept


def invalidate_registry() -> None:
    global _cached, _generation
    with _lock:
        _cached = None
        _generation += 1


def _after_recovery(outage: Outage) -> None:
    """A cluster answers again: the next request reads the registry afresh rather than
    wait out the TTL with the cluster marked unreachable."""
    if outage.cluster:
        invalidate_registry()


on_recovery(_after_recovery)


def _inputs() -> tuple[KialiConfig, ClusterAccess | None, list[Any], list[Any], list[str]]:
    """What a build needs from settings and the database, read in the caller's thread."""
    from django.conf import settings

    from mesh.models import Cluster, ClusterLink

    problems: list[str] = []
    try:
        home = home_access()
    except KubeconfigError as exc:
        home, problems = None, [str(exc)]
    return (
        settings.KIALI,
        home,
        list(Cluster.objects.all()),
        list(ClusterLink.objects.all()),
        problems,
    )


def _build_and_keep(
    inputs: tuple[KialiConfig, ClusterAccess | None, list[Any], list[Any], list[str]],
    generation: int,
) -> Registry:
    global _cached, _refreshing
    config, home, admin_clusters, admin_links, problems = inputs
    try:
        registry = build_registry(config, home, admin_clusters, admin_links)
        registry.problems[:0] = problems
        with _lock:
            if generation == _generation:
                _cached = (time.monotonic(), registry)
        return registry
    finally:
        with _lock:
            _refreshing = False


def current_registry() -> Registry:
    """The registry for this process, rebuilt every REGISTRY_TTL_SECONDS. Only the first
    build is made in a request: later ones run in the background while requests keep the
    one they have, so that a cluster that hangs never holds up a page through its probe."""
    global _refreshing
    with _lock:
        cached = _cached
        if cached and time.monotonic() - cached[0] < REGISTRY_TTL_SECONDS:
            return cached[1]
        start_refresh = cached is not None and not _refreshing
        if start_refresh:
            _refreshing = True
        generation = _generation
    if cached is None:
        return _build_and_keep(_inputs(), generation)
    if start_refresh:
        try:
            inputs = _inputs()
        except Exception:
            with _lock:
                _refreshing = False
            raise
        threading.Thread(
            target=_build_and_keep, args=(inputs, generation), name="cluster registry", daemon=True
        ).start()
    return cached[1]


__all__ = [
    "ClusterInfo",
    "KialiInstance",
    "Registry",
    "build_registry",
    "check_kubeconfig",
    "current_registry",
    "home_access",
    "invalidate_registry",
]
