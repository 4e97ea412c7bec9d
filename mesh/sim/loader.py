"""Load manifests into a local API server and play the controllers it lacks.

The local clusters are real kube-apiservers with no controller manager, scheduler or kubelet
(see REAL-KUBERNETES.md), so a Deployment on its own is just a stored object. After applying
manifests, :func:`simulate_controllers` writes what a real cluster would grow from them:
ReplicaSets, Pods (Running, Ready, with Istio's sidecar where the injector would add one),
ServiceAccounts, Endpoints, Nodes and the status of every workload. The console then reads
these exactly as it reads a real mesh.

Manifests go in with server-side apply, so re-applying the same files changes nothing and
fields the API server defaults (a Service's clusterIP, say) are never fought over.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import itertools
import json
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client as kube_client
from kubernetes import config as kube_config
from kubernetes.client.exceptions import ApiException

FIELD_MANAGER = "mesh-sim"
CRD_DIR = Path(__file__).resolve().parent / "crds"
DEMO_DIR = Path(__file__).resolve().parent / "demo"
ISTIO_VERSION = "1.24.2"
PROXY_IMAGE = f"docker.io/istio/proxyv2:{ISTIO_VERSION}"

# Kubernetes' own alphabet for generated names: no vowels, no look-alike digits.
_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"

# Apply order, in the spirit of Helm's install order: whatever others refer to goes first.
_KIND_ORDER = [
    "CustomResourceDefinition",
    "Namespace",
    "PriorityClass",
    "ClusterRole",
    "ClusterRoleBinding",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "Role",
    "RoleBinding",
    "Service",
    "DaemonSet",
    "Deployment",
    "StatefulSet",
    "Job",
]

# Pod CIDRs per cluster, so pod IPs in east and west never collide (as a flat multi-network
# mesh needs); unknown clusters get one derived from their name.
_POD_CIDR_SECOND_OCTET = {"east": 244, "west": 245}
_NODES_PER_CLUSTER = 2
_PARALLEL_WRITES = 8

JSONObj = dict[str, Any]


class ManifestError(ValueError):
    """A manifest that can't be applied, named by file and document so it can be fixed."""

    def __init__(self, source: str, position: int, message: str) -> None:
        self.source = source
        self.position = position
        super().__init__(f"{source}, document {position}: {message}")


@dataclass(frozen=True)
class Manifest:
    """One object to apply, remembering where it came from for error messages."""

    body: JSONObj
    source: str
    position: int

    @property
    def kind(self) -> str:
        return str(self.body["kind"])

    @property
    def api_version(self) -> str:
        return str(self.body["apiVersion"])

    @property
    def name(self) -> str:
        return str(self.body["metadata"]["name"])

    @property
    def namespace(self) -> str | None:
        ns = self.body.get("metadata", {}).get("namespace")
        return str(ns) if ns else None


@dataclass(frozen=True)
class MeshIdentity:
    """What the injector stamps into every sidecar: which cluster, network and mesh it is in."""

    cluster_id: str
    network: str = ""
    mesh_id: str = "cluster.local"
    trust_domain: str = "cluster.local"
    revision: str = "default"


@dataclass
class ApplyReport:
    """What an apply did, for the CLI summary and for tests to check counts."""

    cluster_name: str
    applied: list[str] = field(default_factory=list)
    generated: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def count(self, kind: str) -> int:
        return self.generated.get(kind, 0)


# --------------------------------------------------------------------------------------------
# Reading manifests


def read_manifests(paths: Sequence[Path]) -> list[Manifest]:
    """Parse files (or every .yaml/.yml/.json under directories), flattening `kind: List`."""
    manifests: list[Manifest] = []
    for path in _expand(paths):
        try:
            documents = list(yaml.safe_load_all(path.read_text()))
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f"line {mark.line + 1}" if mark is not None else "unknown line"
            position = _document_at(path, mark)
            raise ManifestError(str(path), position, f"invalid YAML at {where}: {err}") from None
        for position, document in enumerate(documents, start=1):
            if document is None:
                continue
            for body in _flatten(document, str(path), position):
                manifests.append(Manifest(body, str(path), position))
    return manifests


def _expand(paths: Sequence[Path]) -> Iterator[Path]:
    for path in paths:
        path = Path(path)
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.suffix in {".yaml", ".yml", ".json"} and p.is_file()
            )
        elif path.is_file():
            yield path
        else:
            raise ManifestError(str(path), 0, "no such file or directory")


def _document_at(path: Path, mark: Any) -> int:
    """Which document a YAML error falls in, counting `---` separators before its line."""
    if mark is None:
        return 0
    lines = path.read_text().splitlines()[: mark.line]
    starts = sum(1 for line in lines if line.startswith("---"))
    first_is_separator = bool(lines) and lines[0].startswith("---")
    return max(1, starts + (0 if first_is_separator else 1))


def _flatten(document: Any, source: str, position: int) -> Iterator[JSONObj]:
    if not isinstance(document, dict):
        raise ManifestError(source, position, f"expected a mapping, got {type(document).__name__}")
    kind = document.get("kind")
    if kind == "List" or (isinstance(kind, str) and kind.endswith("List") and "items" in document):
        for item in document.get("items") or []:
            yield from _flatten(item, source, position)
        return
    for key in ("apiVersion", "kind"):
        if not isinstance(document.get(key), str) or not document[key]:
            raise ManifestError(source, position, f"missing {key}")
    metadata = document.get("metadata")
    if not isinstance(metadata, dict) or not metadata.get("name"):
        raise ManifestError(source, position, f"{kind} has no metadata.name")
    yield document


def _apply_order(manifest: Manifest) -> int:
    try:
        return _KIND_ORDER.index(manifest.kind)
    except ValueError:
        return len(_KIND_ORDER)


# --------------------------------------------------------------------------------------------
# Talking to the API server: raw REST with JSON, no generated model objects


class _Rest:
    """The few REST verbs the loader needs, with discovery of plural names per kind."""

    def __init__(self, api_client: kube_client.ApiClient) -> None:
        self.api_client = api_client
        self._resources: dict[str, dict[str, tuple[str, bool]]] = {}

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
        query: Sequence[tuple[str, str]] = (),
    ) -> JSONObj:
        method, url, headers, body, _ = self.api_client.param_serialize(
            method,
            path,
            query_params=list(query),
            header_params={"Content-Type": content_type, "Accept": "application/json"},
            body=body,
            auth_settings=["BearerToken"],
        )
        response = self.api_client.call_api(method, url, header_params=headers, body=body)
        response.read()
        if not 200 <= response.status <= 299:
            raise ApiException(http_resp=response)
        data = response.data
        return json.loads(data) if data else {}

    def get(self, path: str) -> JSONObj | None:
        try:
            return self.call("GET", path)
        except ApiException as err:
            if err.status == 404:
                return None
            raise

    def resource(self, api_version: str, kind: str) -> tuple[str, bool]:
        """(plural, namespaced) for a kind, asking the API server, once per group version."""
        known = self._resources.get(api_version)
        if known is None or kind not in known:
            base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
            listing = self.get(base) or {}
            known = {
                r["kind"]: (r["name"], bool(r["namespaced"]))
                for r in listing.get("resources", [])
                if "/" not in r["name"]
            }
            self._resources[api_version] = known
        if kind not in known:
            raise LookupError(f"{kind} is not served at {api_version} by this API server")
        return known[kind]

    def forget(self, api_version: str) -> None:
        self._resources.pop(api_version, None)

    def path(self, api_version: str, kind: str, namespace: str | None, name: str = "") -> str:
        plural, namespaced = self.resource(api_version, kind)
        base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
        if namespaced:
            base += f"/namespaces/{namespace or 'default'}"
        base += f"/{plural}"
        return f"{base}/{name}" if name else base

    def apply(self, body: JSONObj) -> JSONObj:
        body = with_port_protocols(body)
        metadata = body["metadata"]
        path = self.path(
            body["apiVersion"], body["kind"], metadata.get("namespace"), metadata["name"]
        )
        return self.call(
            "PATCH",
            path,
            body,
            content_type="application/apply-patch+yaml",
            query=[("fieldManager", FIELD_MANAGER), ("force", "true")],
        )

    def list(self, api_version: str, kind: str, namespace: str | None = None) -> list[JSONObj]:
        items = self.call(
            "GET",
            self.path(api_version, kind, namespace)
            if namespace
            else self._cluster_wide_path(api_version, kind),
        )
        return list(items.get("items") or [])

    def _cluster_wide_path(self, api_version: str, kind: str) -> str:
        plural, _ = self.resource(api_version, kind)
        base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
        return f"{base}/{plural}"

    def patch_status(self, obj: JSONObj, status: JSONObj) -> None:
        metadata = obj["metadata"]
        path = self.path(
            obj["apiVersion"], obj["kind"], metadata.get("namespace"), metadata["name"]
        )
        self.call(
            "PATCH",
            path + "/status",
            {"status": status},
            content_type="application/merge-patch+json",
        )

    def delete(self, obj: JSONObj) -> None:
        metadata = obj["metadata"]
        path = self.path(
            obj["apiVersion"], obj["kind"], metadata.get("namespace"), metadata["name"]
        )
        try:
            # No kubelet will ever confirm a graceful pod deletion, so don't wait for one.
            self.call("DELETE", path, {"gracePeriodSeconds": 0, "propagationPolicy": "Background"})
        except ApiException as err:
            if err.status != 404:
                raise


def with_port_protocols(body: JSONObj) -> JSONObj:
    """Spell out `protocol: TCP` on Service and container ports where it was left to default.

    Server-side apply in 1.20 keys these lists on (port, protocol) and rejects an element
    without the protocol instead of defaulting it (fixed upstream in 1.21); the value written
    is the one the API server would have defaulted anyway.
    """
    body = json.loads(json.dumps(body))
    spec = body.get("spec")
    if not isinstance(spec, dict):
        return body
    pod_specs = [spec] if body.get("kind") == "Pod" else []
    template_spec = (spec.get("template") or {}).get("spec")
    if isinstance(template_spec, dict):
        pod_specs.append(template_spec)
    port_lists = [spec.get("ports")] if body.get("kind") == "Service" else []
    for pod_spec in pod_specs:
        for key in ("containers", "initContainers"):
            port_lists += [c.get("ports") for c in pod_spec.get(key) or []]
    for ports in port_lists:
        for port in ports or []:
            port.setdefault("protocol", "TCP")
    return body


# --------------------------------------------------------------------------------------------
# Applying


def apply_manifests(
    api_client: kube_client.ApiClient,
    paths: Sequence[Path],
    *,
    cluster_name: str,
    with_istio_crds: bool = True,
    simulate: bool = True,
) -> ApplyReport:
    """Apply manifests in dependency order, then (by default) simulate the controllers.

    The project's Istio and Gateway API CRDs come along unless told otherwise, since every
    local cluster stands for one with Istio installed. CRDs go first and are waited on until
    Established: custom resources in the same batch can't be stored before their API is served.
    """
    started = time.monotonic()
    sources = [CRD_DIR, *paths] if with_istio_crds else list(paths)
    manifests = sorted(read_manifests(sources), key=_apply_order)
    report = ApplyReport(cluster_name=cluster_name)
    rest = _Rest(api_client)

    # Objects of one tier don't depend on each other, so they go in parallel: each write
    # waits on etcd's disk sync, and concurrent writes share it.
    with ThreadPoolExecutor(max_workers=_PARALLEL_WRITES) as pool:
        for _, tier in itertools.groupby(manifests, key=_apply_order):
            batch = list(tier)
            report.applied += pool.map(lambda m: _apply_one(rest, m), batch)
            if batch[0].kind == "CustomResourceDefinition":
                wait_for_crds(api_client, [m.name for m in batch])

    if simulate:
        namespaces = sorted(
            {m.namespace for m in manifests if m.namespace}
            | {m.name for m in manifests if m.kind == "Namespace"}
        )
        report.generated = simulate_controllers(
            api_client, namespaces=namespaces, cluster_name=cluster_name
        )
    report.seconds = time.monotonic() - started
    return report


def _apply_one(rest: _Rest, manifest: Manifest) -> str:
    try:
        _apply_with_discovery_retry(rest, manifest)
    except LookupError as err:
        raise ManifestError(manifest.source, manifest.position, str(err)) from None
    except ApiException as err:
        raise ManifestError(
            manifest.source,
            manifest.position,
            f"{manifest.kind} {manifest.namespace + '/' if manifest.namespace else ''}"
            f"{manifest.name} rejected: {_status_message(err)}",
        ) from None
    return (
        f"{manifest.kind}/{manifest.namespace + '/' if manifest.namespace else ''}{manifest.name}"
    )


def _apply_with_discovery_retry(rest: _Rest, manifest: Manifest, attempts: int = 20) -> None:
    """Discovery can lag a just-established CRD by a moment, so ask again before giving up."""
    for attempt in range(attempts):
        try:
            rest.apply(manifest.body)
            return
        except LookupError:
            if attempt == attempts - 1:
                raise
            rest.forget(manifest.api_version)
            time.sleep(0.25)


def _status_message(err: ApiException) -> str:
    try:
        return str(json.loads(err.body or "")["message"])
    except (TypeError, ValueError, KeyError):
        return f"HTTP {err.status} {err.reason}"


def wait_for_crds(
    api_client: kube_client.ApiClient, names: Iterable[str], timeout: float = 60
) -> None:
    """Block until every named CRD reports Established (its API is served)."""
    rest = _Rest(api_client)
    pending = set(names)
    deadline = time.monotonic() + timeout
    while pending:
        for name in sorted(pending):
            crd = rest.get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}") or {}
            conditions = crd.get("status", {}).get("conditions") or []
            if any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
                pending.discard(name)
        if pending:
            if time.monotonic() > deadline:
                raise TimeoutError(f"CRDs not established after {timeout}s: {sorted(pending)}")
            time.sleep(0.2)


# --------------------------------------------------------------------------------------------
# Pure helpers: names, hashes, injection (unit-tested without a cluster)


def safe_encode(digest: bytes, length: int) -> str:
    """Render bytes in Kubernetes' generated-name alphabet."""
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(length):
        number, index = divmod(number, len(_SAFE_ALPHABET))
        chars.append(_SAFE_ALPHABET[index])
    return "".join(chars)


def pod_template_hash(template: JSONObj) -> str:
    """A stable hash of a pod template, standing in for the controller's fnv32a hash.

    Same template, same hash, so re-applying unchanged manifests keeps the same ReplicaSet;
    a changed template gives a new ReplicaSet, as a rollout would.
    """
    canonical = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    return safe_encode(hashlib.sha256(canonical).digest(), 10)


def replicaset_name(deployment_name: str, template: JSONObj) -> str:
    return f"{deployment_name}-{pod_template_hash(template)}"


def pod_suffix(owner_name: str, index: int) -> str:
    """Five characters like the API server's generateName, but reproducible."""
    return safe_encode(hashlib.sha256(f"{owner_name}/{index}".encode()).digest(), 5)


def injection_wanted(namespace_labels: dict[str, str], pod_metadata: JSONObj) -> bool:
    """Whether Istio's webhook would inject a sidecar, by its default namespace/pod selectors.

    The pod's own `sidecar.istio.io/inject` (label or annotation) wins; otherwise the namespace
    must carry `istio-injection=enabled` or an `istio.io/rev` label, and `istio-injection=disabled`
    turns it off.
    """
    labels = pod_metadata.get("labels") or {}
    annotations = pod_metadata.get("annotations") or {}
    pod_says = labels.get("sidecar.istio.io/inject", annotations.get("sidecar.istio.io/inject"))
    if pod_says is not None and str(pod_says).lower() == "false":
        return False
    namespace_says = namespace_labels.get("istio-injection")
    if namespace_says == "disabled":
        return False
    if namespace_says == "enabled" or namespace_labels.get("istio.io/rev"):
        return True
    return (
        pod_says is not None
        and str(pod_says).lower() == "true"
        and bool(labels.get("istio.io/rev"))
    )


def canonical_service(labels: dict[str, str], workload_name: str) -> tuple[str, str]:
    """Istio's canonical service name and revision, from the labels it looks at, in order."""
    name = (
        labels.get("service.istio.io/canonical-name")
        or labels.get("app.kubernetes.io/name")
        or labels.get("app")
        or workload_name
    )
    revision = (
        labels.get("service.istio.io/canonical-revision")
        or labels.get("app.kubernetes.io/version")
        or labels.get("version")
        or "latest"
    )
    return name, revision


def inject_sidecar(
    pod: JSONObj,
    *,
    mesh: MeshIdentity,
    workload_name: str,
    workload_kind: str = "Deployment",
) -> JSONObj:
    """Return the pod as Istio's injector (non-CNI, classic sidecar, 1.24 defaults) leaves it."""
    pod = json.loads(json.dumps(pod))
    metadata = pod["metadata"]
    spec = pod["spec"]
    labels = metadata.setdefault("labels", {})
    annotations = metadata.setdefault("annotations", {})
    namespace = metadata.get("namespace", "default")
    app_containers = [c["name"] for c in spec.get("containers", [])]
    canonical_name, canonical_revision = canonical_service(labels, workload_name)

    labels["security.istio.io/tlsMode"] = "istio"
    labels["service.istio.io/canonical-name"] = canonical_name
    labels["service.istio.io/canonical-revision"] = canonical_revision
    volumes = [
        "workload-socket",
        "credential-socket",
        "workload-certs",
        "istio-envoy",
        "istio-data",
        "istio-podinfo",
        "istio-token",
        "istiod-ca-cert",
        "istio-ca-crl",
    ]
    annotations["sidecar.istio.io/status"] = json.dumps(
        {
            "initContainers": ["istio-init"],
            "containers": ["istio-proxy"],
            "volumes": volumes,
            "imagePullSecrets": None,
            "revision": mesh.revision,
        },
        separators=(",", ":"),
    )
    annotations["istio.io/rev"] = mesh.revision
    if app_containers:
        annotations.setdefault("kubectl.kubernetes.io/default-container", app_containers[0])
        annotations.setdefault("kubectl.kubernetes.io/default-logs-container", app_containers[0])
    annotations.setdefault("prometheus.io/path", "/stats/prometheus")
    annotations.setdefault("prometheus.io/port", "15020")
    annotations.setdefault("prometheus.io/scrape", "true")

    app_ports = [
        {
            "name": p.get("name", ""),
            "containerPort": p["containerPort"],
            "protocol": p.get("protocol", "TCP"),
        }
        for c in spec.get("containers", [])
        for p in c.get("ports", [])
    ]
    spec.setdefault("initContainers", []).append(_istio_init_container())
    spec["containers"].append(
        _istio_proxy_container(
            namespace=namespace,
            mesh=mesh,
            workload_name=workload_name,
            owner_kind=workload_kind,
            app_containers=app_containers,
            app_ports=app_ports,
        )
    )
    spec.setdefault("volumes", []).extend(_istio_volumes())
    return pod


def _istio_init_container() -> JSONObj:
    return {
        "name": "istio-init",
        "image": PROXY_IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "args": [
            "istio-iptables",
            "-p",
            "15001",
            "-z",
            "15006",
            "-u",
            "1337",
            "-m",
            "REDIRECT",
            "-i",
            "*",
            "-x",
            "",
            "-b",
            "*",
            "-d",
            "15090,15021,15020",
            "--log_output_level=default:info",
        ],
        "resources": {
            "limits": {"cpu": "2", "memory": "1Gi"},
            "requests": {"cpu": "100m", "memory": "128Mi"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]},
            "privileged": False,
            "readOnlyRootFilesystem": False,
            "runAsGroup": 0,
            "runAsNonRoot": False,
            "runAsUser": 0,
        },
    }


def _istio_proxy_container(
    *,
    namespace: str,
    mesh: MeshIdentity,
    workload_name: str,
    owner_kind: str,
    app_containers: list[str],
    app_ports: list[JSONObj],
) -> JSONObj:
    owner_plural = {
        "Deployment": "deployments",
        "StatefulSet": "statefulsets",
        "DaemonSet": "daemonsets",
    }.get(owner_kind, "deployments")
    env: list[JSONObj] = [
        {"name": "PILOT_CERT_PROVIDER", "value": "istiod"},
        {"name": "CA_ADDR", "value": "istiod.istio-system.svc:15012"},
        {
            "name": "POD_NAME",
            "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}},
        },
        {
            "name": "POD_NAMESPACE",
            "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}},
        },
        {
            "name": "INSTANCE_IP",
            "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}},
        },
        {
            "name": "SERVICE_ACCOUNT",
            "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.serviceAccountName"}},
        },
        {
            "name": "HOST_IP",
            "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.hostIP"}},
        },
        {
            "name": "ISTIO_CPU_LIMIT",
            "valueFrom": {"resourceFieldRef": {"divisor": "0", "resource": "limits.cpu"}},
        },
        {"name": "PROXY_CONFIG", "value": "{}\n"},
        {"name": "ISTIO_META_POD_PORTS", "value": json.dumps(app_ports, indent=1)},
        {"name": "ISTIO_META_APP_CONTAINERS", "value": ",".join(app_containers)},
        {
            "name": "GOMEMLIMIT",
            "valueFrom": {"resourceFieldRef": {"divisor": "0", "resource": "limits.memory"}},
        },
        {
            "name": "GOMAXPROCS",
            "valueFrom": {"resourceFieldRef": {"divisor": "0", "resource": "limits.cpu"}},
        },
        {"name": "ISTIO_META_CLUSTER_ID", "value": mesh.cluster_id or "Kubernetes"},
        {
            "name": "ISTIO_META_NODE_NAME",
            "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}},
        },
        {"name": "ISTIO_META_INTERCEPTION_MODE", "value": "REDIRECT"},
        {"name": "ISTIO_META_WORKLOAD_NAME", "value": workload_name},
        {
            "name": "ISTIO_META_OWNER",
            "value": f"kubernetes://apis/apps/v1/namespaces/{namespace}/{owner_plural}/{workload_name}",
        },
        {"name": "ISTIO_META_MESH_ID", "value": mesh.mesh_id},
        {"name": "TRUST_DOMAIN", "value": mesh.trust_domain},
    ]
    if mesh.network:
        env.append({"name": "ISTIO_META_NETWORK", "value": mesh.network})
    return {
        "name": "istio-proxy",
        "image": PROXY_IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "args": [
            "proxy",
            "sidecar",
            "--domain",
            "$(POD_NAMESPACE).svc.cluster.local",
            "--proxyLogLevel=warning",
            "--proxyComponentLogLevel=misc:error",
            "--log_output_level=default:info",
        ],
        "env": env,
        "ports": [{"containerPort": 15090, "name": "http-envoy-prom", "protocol": "TCP"}],
        "readinessProbe": {
            "failureThreshold": 4,
            "httpGet": {"path": "/healthz/ready", "port": 15021, "scheme": "HTTP"},
            "periodSeconds": 15,
            "successThreshold": 1,
            "timeoutSeconds": 3,
        },
        "resources": {
            "limits": {"cpu": "2", "memory": "1Gi"},
            "requests": {"cpu": "100m", "memory": "128Mi"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "privileged": False,
            "readOnlyRootFilesystem": True,
            "runAsGroup": 1337,
            "runAsNonRoot": True,
            "runAsUser": 1337,
        },
        "volumeMounts": [
            {"mountPath": "/var/run/secrets/workload-spiffe-uds", "name": "workload-socket"},
            {"mountPath": "/var/run/secrets/credential-uds", "name": "credential-socket"},
            {"mountPath": "/var/run/secrets/workload-spiffe-credentials", "name": "workload-certs"},
            {"mountPath": "/var/run/secrets/istio", "name": "istiod-ca-cert"},
            {"mountPath": "/var/lib/istio/data", "name": "istio-data"},
            {"mountPath": "/etc/istio/proxy", "name": "istio-envoy"},
            {"mountPath": "/var/run/secrets/tokens", "name": "istio-token"},
            {"mountPath": "/etc/istio/pod", "name": "istio-podinfo"},
        ],
    }


def _istio_volumes() -> list[JSONObj]:
    return [
        {"name": "workload-socket", "emptyDir": {}},
        {"name": "credential-socket", "emptyDir": {}},
        {"name": "workload-certs", "emptyDir": {}},
        {"name": "istio-envoy", "emptyDir": {"medium": "Memory"}},
        {"name": "istio-data", "emptyDir": {}},
        {
            "name": "istio-podinfo",
            "downwardAPI": {
                "items": [
                    {"fieldRef": {"fieldPath": "metadata.labels"}, "path": "labels"},
                    {"fieldRef": {"fieldPath": "metadata.annotations"}, "path": "annotations"},
                ]
            },
        },
        {
            "name": "istio-token",
            "projected": {
                "sources": [
                    {
                        "serviceAccountToken": {
                            "audience": "istio-ca",
                            "expirationSeconds": 43200,
                            "path": "istio-token",
                        }
                    }
                ]
            },
        },
        {"name": "istiod-ca-cert", "configMap": {"name": "istio-ca-root-cert"}},
        {"name": "istio-ca-crl", "configMap": {"name": "istio-ca-crl", "optional": True}},
    ]


def pod_ip(cluster_name: str, namespace: str, pod_name: str, taken: set[str]) -> str:
    """A pod IP from the cluster's own /16, stable for a given pod name."""
    second = _POD_CIDR_SECOND_OCTET.get(
        cluster_name, 100 + int(hashlib.sha256(cluster_name.encode()).hexdigest(), 16) % 100
    )
    seed = int(hashlib.sha256(f"{namespace}/{pod_name}".encode()).hexdigest(), 16)
    for probe in range(65536):
        slot = (seed + probe) % (256 * 252)
        ip = f"10.{second}.{slot // 252}.{slot % 252 + 2}"
        if ip not in taken:
            taken.add(ip)
            return ip
    raise RuntimeError(f"pod CIDR of {cluster_name} is full")


def node_names(cluster_name: str) -> list[str]:
    prefix = cluster_name or "local"
    return [f"{prefix}-worker-{i}" for i in range(1, _NODES_PER_CLUSTER + 1)]


def node_ip(cluster_name: str, index: int) -> str:
    second = _POD_CIDR_SECOND_OCTET.get(cluster_name, 100) - 200
    return f"172.18.{second}.{index + 2}"


# --------------------------------------------------------------------------------------------
# Controller simulation


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _hex(seed: str, length: int = 64) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _label_selector(spec: JSONObj) -> dict[str, str]:
    """matchLabels only: the demo and most real workloads need nothing more."""
    return dict((spec.get("selector") or {}).get("matchLabels") or {})


@dataclass
class _Sim:
    rest: _Rest
    cluster_name: str
    mesh: MeshIdentity
    counts: dict[str, int] = field(default_factory=dict)
    taken_ips: set[str] = field(default_factory=set)

    lock: threading.Lock = field(default_factory=threading.Lock)

    def bump(self, kind: str, n: int = 1) -> None:
        with self.lock:
            self.counts[kind] = self.counts.get(kind, 0) + n

    def allocate_ip(self, namespace: str, pod_name: str) -> str:
        with self.lock:
            return pod_ip(self.cluster_name, namespace, pod_name, self.taken_ips)


def simulate_controllers(
    api_client: kube_client.ApiClient,
    namespaces: Sequence[str] | None = None,
    *,
    cluster_name: str = "",
) -> dict[str, int]:
    """Create what controllers, the scheduler, kubelets and Istio's injector would have made.

    Idempotent: objects that already match are left alone, so a second run is cheap and
    changes no resourceVersion. Returns the number of objects of each kind it wrote.
    """
    rest = _Rest(api_client)
    all_namespaces = {ns["metadata"]["name"]: ns for ns in rest.list("v1", "Namespace")}
    sim = _Sim(rest, cluster_name, _mesh_identity(rest, cluster_name, all_namespaces))
    nodes = _ensure_nodes(sim)
    wanted = list(namespaces) if namespaces is not None else sorted(all_namespaces)
    sim.taken_ips = {p.get("status", {}).get("podIP", "") for p in rest.list("v1", "Pod")} - {""}
    present = [all_namespaces[name] for name in wanted if name in all_namespaces]
    with ThreadPoolExecutor(max_workers=2) as pool:
        # list() so an exception in any namespace surfaces here.
        list(
            pool.map(
                lambda ns: _simulate_namespace(
                    sim, ns["metadata"]["name"], ns["metadata"].get("labels") or {}, nodes
                ),
                present,
            )
        )
    return sim.counts


def _mesh_identity(rest: _Rest, cluster_name: str, namespaces: dict[str, JSONObj]) -> MeshIdentity:
    """Read the mesh's identity where istiod reads it: the istio-system network label and the
    `istio` ConfigMap's mesh config, so sidecars agree with the control plane's manifests."""
    system = namespaces.get("istio-system", {})
    network = (system.get("metadata", {}).get("labels") or {}).get("topology.istio.io/network", "")
    mesh_config: JSONObj = {}
    if system:
        config_map = rest.get("/api/v1/namespaces/istio-system/configmaps/istio") or {}
        try:
            mesh_config = yaml.safe_load((config_map.get("data") or {}).get("mesh") or "") or {}
        except yaml.YAMLError:
            mesh_config = {}
    trust_domain = str(mesh_config.get("trustDomain") or "cluster.local")
    mesh_id = str((mesh_config.get("defaultConfig") or {}).get("meshId") or trust_domain)
    return MeshIdentity(
        cluster_id=cluster_name, network=str(network), mesh_id=mesh_id, trust_domain=trust_domain
    )


def _ensure_nodes(sim: _Sim) -> list[str]:
    names = node_names(sim.cluster_name)
    existing = {n["metadata"]["name"] for n in sim.rest.list("v1", "Node")}
    for index, name in enumerate(names):
        if name in existing:
            continue
        node = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": name,
                "labels": {
                    "kubernetes.io/hostname": name,
                    "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64",
                    "topology.kubernetes.io/region": sim.cluster_name or "local",
                    "topology.kubernetes.io/zone": f"{sim.cluster_name or 'local'}-{index + 1}",
                },
            },
            "spec": {
                "podCIDR": f"10.{_POD_CIDR_SECOND_OCTET.get(sim.cluster_name, 100)}.{index}.0/24"
            },
        }
        created = sim.rest.apply(node)
        now = _now()
        sim.rest.patch_status(
            created,
            {
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "True",
                        "reason": "KubeletReady",
                        "message": "kubelet is posting ready status",
                        "lastHeartbeatTime": now,
                        "lastTransitionTime": now,
                    },
                ],
                "addresses": [
                    {"type": "InternalIP", "address": node_ip(sim.cluster_name, index)},
                    {"type": "Hostname", "address": name},
                ],
                "capacity": {"cpu": "8", "memory": "32Gi", "pods": "110"},
                "allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"},
                "nodeInfo": {
                    "kubeletVersion": "v1.20.2",
                    "kubeProxyVersion": "v1.20.2",
                    "containerRuntimeVersion": "containerd://1.7.13",
                    "operatingSystem": "linux",
                    "architecture": "amd64",
                    "osImage": "Debian GNU/Linux 12 (bookworm)",
                    "kernelVersion": "6.1.0-18-amd64",
                    "machineID": _hex(name, 32),
                    "systemUUID": _hex("uuid" + name, 32),
                    "bootID": _hex("boot" + name, 32),
                },
            },
        )
        sim.bump("Node")
    return names


def _simulate_namespace(
    sim: _Sim, namespace: str, ns_labels: dict[str, str], nodes: list[str]
) -> None:
    rest = sim.rest
    pods_by_name = {p["metadata"]["name"]: p for p in rest.list("v1", "Pod", namespace)}
    replicasets = {r["metadata"]["name"]: r for r in rest.list("apps/v1", "ReplicaSet", namespace)}
    service_accounts = {"default"}
    live_pods: list[JSONObj] = []

    deployments = rest.list("apps/v1", "Deployment", namespace)
    for deployment in deployments:
        deployment.setdefault("apiVersion", "apps/v1")
        deployment.setdefault("kind", "Deployment")
        service_accounts.add(_service_account_of(deployment))
    with ThreadPoolExecutor(max_workers=_PARALLEL_WRITES // 2) as pool:
        for pods in pool.map(
            lambda d: _simulate_deployment(sim, d, replicasets, pods_by_name, ns_labels, nodes),
            deployments,
        ):
            live_pods += pods

    for statefulset in rest.list("apps/v1", "StatefulSet", namespace):
        statefulset.setdefault("apiVersion", "apps/v1")
        statefulset.setdefault("kind", "StatefulSet")
        service_accounts.add(_service_account_of(statefulset))
        replicas = int(statefulset["spec"].get("replicas", 1))
        set_name = statefulset["metadata"]["name"]
        revision = f"{set_name}-{pod_template_hash(statefulset['spec']['template'])}"
        names = [f"{set_name}-{i}" for i in range(replicas)]
        extra = {"controller-revision-hash": revision, "statefulset.kubernetes.io/pod-name": ""}
        live_pods += _reconcile_pods(sim, statefulset, names, extra, pods_by_name, ns_labels, nodes)
        _set_status(sim, statefulset, _set_like_status(statefulset, len(names), revision))

    for daemonset in rest.list("apps/v1", "DaemonSet", namespace):
        daemonset.setdefault("apiVersion", "apps/v1")
        daemonset.setdefault("kind", "DaemonSet")
        service_accounts.add(_service_account_of(daemonset))
        revision = pod_template_hash(daemonset["spec"]["template"])
        set_name = daemonset["metadata"]["name"]
        names = [f"{set_name}-{pod_suffix(set_name + revision, i)}" for i in range(len(nodes))]
        extra = {
            "controller-revision-hash": revision,
            "pod-template-generation": str(daemonset["metadata"].get("generation", 1)),
        }
        live_pods += _reconcile_pods(
            sim, daemonset, names, extra, pods_by_name, ns_labels, nodes, pin_nodes=True
        )
        _set_status(sim, daemonset, _daemonset_status(daemonset, len(names)))

    # Pods no controller accounts for any more (scaled down, rolled over) go, as they would.
    owned_names = {p["metadata"]["name"] for p in live_pods}
    for name, pod in pods_by_name.items():
        owners = pod["metadata"].get("ownerReferences") or []
        if (
            owners
            and owners[0].get("kind") in {"ReplicaSet", "StatefulSet", "DaemonSet"}
            and name not in owned_names
        ):
            pod.setdefault("apiVersion", "v1")
            pod.setdefault("kind", "Pod")
            rest.delete(pod)
            sim.bump("Pod deleted")

    _ensure_service_accounts(sim, namespace, service_accounts)
    _reconcile_endpoints(sim, namespace, live_pods)


def _service_account_of(workload: JSONObj) -> str:
    spec = workload["spec"]["template"].get("spec") or {}
    return str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default")


def _owner_ref(obj: JSONObj) -> JSONObj:
    return {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _simulate_deployment(
    sim: _Sim,
    deployment: JSONObj,
    replicasets: dict[str, JSONObj],
    pods_by_name: dict[str, JSONObj],
    ns_labels: dict[str, str],
    nodes: list[str],
) -> list[JSONObj]:
    metadata = deployment["metadata"]
    spec = deployment["spec"]
    template = spec["template"]
    replicas = int(spec.get("replicas", 1))
    template_hash = pod_template_hash(template)
    rs_name = f"{metadata['name']}-{template_hash}"

    # Older ReplicaSets of this Deployment are scaled to zero, as after a finished rollout.
    for old in replicasets.values():
        owners = old["metadata"].get("ownerReferences") or []
        if (
            any(o.get("uid") == metadata["uid"] for o in owners)
            and old["metadata"]["name"] != rs_name
            and old["spec"].get("replicas", 0) != 0
        ):
            old_body = _replicaset_body(
                deployment,
                old["metadata"]["name"],
                old["metadata"]["labels"].get("pod-template-hash", ""),
                0,
                old["spec"]["template"],
            )
            applied = sim.rest.apply(old_body)
            _set_status(
                sim,
                applied,
                {"replicas": 0, "observedGeneration": applied["metadata"]["generation"]},
            )

    existing = replicasets.get(rs_name)
    if existing is None or existing["spec"].get("replicas") != replicas:
        rs_body = _replicaset_body(deployment, rs_name, template_hash, replicas, template)
        existing = sim.rest.apply(rs_body)
        sim.bump("ReplicaSet")
    existing.setdefault("apiVersion", "apps/v1")
    existing.setdefault("kind", "ReplicaSet")

    names = [f"{rs_name}-{pod_suffix(rs_name, i)}" for i in range(replicas)]
    pods = _reconcile_pods(
        sim,
        existing,
        names,
        {"pod-template-hash": template_hash},
        pods_by_name,
        ns_labels,
        nodes,
        workload=deployment,
    )
    rs_status: JSONObj = {
        "replicas": replicas,
        "fullyLabeledReplicas": replicas,
        "readyReplicas": replicas,
        "availableReplicas": replicas,
        "observedGeneration": existing["metadata"].get("generation", 1),
    }
    if replicas == 0:
        rs_status = {"replicas": 0, "observedGeneration": existing["metadata"].get("generation", 1)}
    _set_status(sim, existing, rs_status)
    _set_status(sim, deployment, _deployment_status(deployment, replicas, rs_name))
    return pods


def _replicaset_body(
    deployment: JSONObj, name: str, template_hash: str, replicas: int, template: JSONObj
) -> JSONObj:
    metadata = deployment["metadata"]
    template = json.loads(json.dumps(template))
    template.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = (
        template_hash
    )
    selector = json.loads(json.dumps(deployment["spec"].get("selector") or {}))
    selector.setdefault("matchLabels", {})["pod-template-hash"] = template_hash
    labels = dict(template["metadata"]["labels"])
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": metadata["namespace"],
            "labels": labels,
            "annotations": {
                "deployment.kubernetes.io/desired-replicas": str(
                    deployment["spec"].get("replicas", 1)
                ),
                "deployment.kubernetes.io/max-replicas": str(
                    int(deployment["spec"].get("replicas", 1)) + 1
                ),
                "deployment.kubernetes.io/revision": "1",
            },
            "ownerReferences": [_owner_ref(deployment)],
        },
        "spec": {"replicas": replicas, "selector": selector, "template": template},
    }


def _deployment_status(deployment: JSONObj, replicas: int, rs_name: str) -> JSONObj:
    status: JSONObj = {
        "observedGeneration": deployment["metadata"].get("generation", 1),
        "conditions": [
            {
                "type": "Available",
                "status": "True",
                "reason": "MinimumReplicasAvailable",
                "message": "Deployment has minimum availability.",
            },
            {
                "type": "Progressing",
                "status": "True",
                "reason": "NewReplicaSetAvailable",
                "message": f'ReplicaSet "{rs_name}" has successfully progressed.',
            },
        ],
    }
    if replicas:
        status.update(
            replicas=replicas,
            updatedReplicas=replicas,
            readyReplicas=replicas,
            availableReplicas=replicas,
        )
    return status


def _set_like_status(statefulset: JSONObj, replicas: int, revision: str) -> JSONObj:
    status: JSONObj = {
        "observedGeneration": statefulset["metadata"].get("generation", 1),
        "replicas": replicas,
        "currentRevision": revision,
        "updateRevision": revision,
        "collisionCount": 0,
    }
    if replicas:
        status.update(readyReplicas=replicas, currentReplicas=replicas, updatedReplicas=replicas)
    return status


def _daemonset_status(daemonset: JSONObj, scheduled: int) -> JSONObj:
    return {
        "observedGeneration": daemonset["metadata"].get("generation", 1),
        "currentNumberScheduled": scheduled,
        "desiredNumberScheduled": scheduled,
        "numberAvailable": scheduled,
        "numberMisscheduled": 0,
        "numberReady": scheduled,
        "updatedNumberScheduled": scheduled,
    }


def _set_status(sim: _Sim, obj: JSONObj, status: JSONObj) -> None:
    """Write status only when it differs, keeping condition timestamps of unchanged conditions."""
    current = obj.get("status") or {}
    now = _now()
    old_conditions = {c["type"]: c for c in current.get("conditions") or []}
    if "conditions" in status:
        for condition in status["conditions"]:
            old = old_conditions.get(condition["type"])
            keep = old is not None and old.get("status") == condition["status"]
            stamp = old.get("lastTransitionTime", now) if keep and old else now
            condition.setdefault("lastTransitionTime", stamp)
            if obj["kind"] == "Deployment":
                condition.setdefault(
                    "lastUpdateTime", old.get("lastUpdateTime", now) if keep and old else now
                )
    if all(current.get(k) == v for k, v in status.items()) and set(current) <= set(status):
        return
    # Merge patch can't remove keys we don't mention, so null out the ones that went away.
    patch = {k: None for k in current if k not in status}
    patch.update(status)
    sim.rest.patch_status(obj, patch)
    sim.bump(f"{obj['kind']} status")


def _reconcile_pods(
    sim: _Sim,
    owner: JSONObj,
    names: list[str],
    extra_labels: dict[str, str],
    pods_by_name: dict[str, JSONObj],
    ns_labels: dict[str, str],
    nodes: list[str],
    *,
    workload: JSONObj | None = None,
    pin_nodes: bool = False,
) -> list[JSONObj]:
    workload = workload or owner
    live: list[JSONObj] = []
    for index, name in enumerate(names):
        pod = pods_by_name.get(name)
        if pod is None:
            node = (
                nodes[index % len(nodes)]
                if pin_nodes
                else nodes[int(_hex(name, 8), 16) % len(nodes)]
            )
            body = _pod_body(sim, owner, workload, name, extra_labels, ns_labels, node)
            pod = sim.rest.apply(body)
            sim.bump("Pod")
        pod.setdefault("apiVersion", "v1")
        pod.setdefault("kind", "Pod")
        if (pod.get("status") or {}).get("phase") != "Running":
            status = _running_pod_status(sim, pod, nodes)
            sim.rest.patch_status(pod, status)
            pod["status"] = status
            sim.bump("Pod status")
        live.append(pod)
    return live


def _pod_body(
    sim: _Sim,
    owner: JSONObj,
    workload: JSONObj,
    name: str,
    extra_labels: dict[str, str],
    ns_labels: dict[str, str],
    node: str,
) -> JSONObj:
    template = json.loads(json.dumps(workload["spec"]["template"]))
    metadata = template.get("metadata") or {}
    labels = dict(metadata.get("labels") or {})
    labels.update(extra_labels)
    if "statefulset.kubernetes.io/pod-name" in labels:
        labels["statefulset.kubernetes.io/pod-name"] = name
    spec = template["spec"]
    spec["nodeName"] = node
    spec.setdefault("serviceAccountName", _service_account_of(workload))
    pod: JSONObj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": owner["metadata"]["namespace"],
            "labels": labels,
            "annotations": dict(metadata.get("annotations") or {}),
            "ownerReferences": [_owner_ref(owner)],
        },
        "spec": spec,
    }
    if owner["kind"] == "ReplicaSet" or owner["kind"] == "DaemonSet":
        pod["metadata"]["generateName"] = name[:-5]
    if injection_wanted(ns_labels, metadata):
        pod = inject_sidecar(
            pod,
            mesh=dataclasses.replace(sim.mesh, revision=ns_labels.get("istio.io/rev", "default")),
            workload_name=workload["metadata"]["name"],
            workload_kind=workload["kind"],
        )
    if not pod["metadata"]["annotations"]:
        del pod["metadata"]["annotations"]
    return pod


def _running_pod_status(sim: _Sim, pod: JSONObj, nodes: list[str]) -> JSONObj:
    metadata = pod["metadata"]
    spec = pod["spec"]
    node = spec.get("nodeName") or nodes[0]
    ip = sim.allocate_ip(metadata["namespace"], metadata["name"])
    started = metadata.get("creationTimestamp") or _now()
    has_requests = any((c.get("resources") or {}).get("requests") for c in spec["containers"])

    def container_status(container: JSONObj, init: bool) -> JSONObj:
        image = container["image"]
        repo = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
        seed = f"{metadata['namespace']}/{metadata['name']}/{container['name']}"
        status: JSONObj = {
            "name": container["name"],
            "image": image,
            "imageID": f"{repo}@sha256:{_hex(image)}",
            "containerID": f"containerd://{_hex(seed)}",
            "restartCount": 0,
            "ready": not init,
        }
        if init:
            status["state"] = {
                "terminated": {
                    "exitCode": 0,
                    "reason": "Completed",
                    "startedAt": started,
                    "finishedAt": started,
                    "containerID": status["containerID"],
                }
            }
        else:
            status["started"] = True
            status["state"] = {"running": {"startedAt": started}}
        return status

    conditions = [
        {"type": kind, "status": "True", "lastProbeTime": None, "lastTransitionTime": started}
        for kind in ("Initialized", "Ready", "ContainersReady", "PodScheduled")
    ]
    status: JSONObj = {
        "phase": "Running",
        "conditions": conditions,
        "hostIP": node_ip(sim.cluster_name, nodes.index(node) if node in nodes else 0),
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "startTime": started,
        "qosClass": "Burstable" if has_requests else "BestEffort",
        "containerStatuses": [container_status(c, False) for c in spec["containers"]],
    }
    if spec.get("initContainers"):
        status["initContainerStatuses"] = [
            container_status(c, True) for c in spec["initContainers"]
        ]
    return status


def _ensure_service_accounts(sim: _Sim, namespace: str, names: set[str]) -> None:
    existing = {sa["metadata"]["name"] for sa in sim.rest.list("v1", "ServiceAccount", namespace)}
    for name in sorted(names - existing):
        sim.rest.apply(
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": name, "namespace": namespace},
            }
        )
        sim.bump("ServiceAccount")


def _reconcile_endpoints(sim: _Sim, namespace: str, pods: list[JSONObj]) -> None:
    existing = {e["metadata"]["name"]: e for e in sim.rest.list("v1", "Endpoints", namespace)}
    for service in sim.rest.list("v1", "Service", namespace):
        selector = service["spec"].get("selector") or {}
        if not selector or service["spec"].get("type") == "ExternalName":
            continue  # Endpoints of selector-less Services are the user's to write.
        name = service["metadata"]["name"]
        matching = sorted(
            (
                p
                for p in pods
                if _matches(selector, p["metadata"].get("labels") or {})
                and p.get("status", {}).get("podIP")
            ),
            key=lambda p: p["status"]["podIP"],
        )
        body = _endpoints_body(service, matching)
        current = existing.get(name)
        if (
            current is not None
            and (current.get("subsets") or []) == body.get("subsets", [])
            and (current["metadata"].get("labels") or {}) == body["metadata"]["labels"]
        ):
            continue
        sim.rest.apply(body)
        sim.bump("Endpoints")


def _endpoints_body(service: JSONObj, pods: list[JSONObj]) -> JSONObj:
    metadata = service["metadata"]
    body: JSONObj = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {
            "name": metadata["name"],
            "namespace": metadata["namespace"],
            "labels": dict(metadata.get("labels") or {}),
        },
    }
    if not pods:
        return body
    ports = []
    for port in service["spec"].get("ports") or []:
        entry: JSONObj = {
            "port": _target_port(port, pods[0]),
            "protocol": port.get("protocol", "TCP"),
        }
        if port.get("name"):
            entry["name"] = port["name"]
        if port.get("appProtocol"):
            entry["appProtocol"] = port["appProtocol"]
        ports.append(entry)
    addresses = [
        {
            "ip": p["status"]["podIP"],
            "nodeName": p["spec"].get("nodeName"),
            "targetRef": {
                "kind": "Pod",
                "namespace": p["metadata"]["namespace"],
                "name": p["metadata"]["name"],
                "uid": p["metadata"]["uid"],
            },
        }
        for p in pods
    ]
    body["subsets"] = [{"addresses": addresses, "ports": ports}]
    return body


def _target_port(port: JSONObj, pod: JSONObj) -> int:
    target = port.get("targetPort", port["port"])
    if isinstance(target, int):
        return target
    if str(target).isdigit():
        return int(str(target))
    for container in pod["spec"]["containers"]:
        for container_port in container.get("ports") or []:
            if container_port.get("name") == target:
                return int(container_port["containerPort"])
    return int(port["port"])


def demo_paths(cluster_name: str) -> list[Path]:
    """The demo manifests of one cluster (east or west)."""
    path = DEMO_DIR / cluster_name
    if not path.is_dir():
        raise ValueError(f"no demo manifests for cluster {cluster_name!r} under {DEMO_DIR}")
    return [path]


# --------------------------------------------------------------------------------------------
# Command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mesh.sim.loader",
        description="Apply manifests to a local API server and simulate its missing controllers.",
    )
    parser.add_argument("--kubeconfig", required=True, type=Path)
    parser.add_argument("--context", default=None)
    parser.add_argument(
        "--cluster-name",
        default=None,
        help="cluster ID for sidecars and pod IPs (default: the context's cluster)",
    )
    parser.add_argument("--no-simulate", action="store_true", help="apply only")
    parser.add_argument(
        "--no-istio-crds", action="store_true", help="don't install the project's Istio CRDs"
    )
    parser.add_argument("paths", nargs="+", type=Path)
    args = parser.parse_args(argv)

    contexts, active = kube_config.list_kube_config_contexts(config_file=str(args.kubeconfig))
    chosen = (
        next((c for c in contexts if c["name"] == args.context), active) if args.context else active
    )
    cluster_name = args.cluster_name or chosen["context"]["cluster"]
    api_client = kube_config.new_client_from_config(
        config_file=str(args.kubeconfig), context=args.context
    )
    try:
        report = apply_manifests(
            api_client,
            args.paths,
            cluster_name=cluster_name,
            with_istio_crds=not args.no_istio_crds,
            simulate=not args.no_simulate,
        )
    except ManifestError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    generated = ", ".join(f"{n} {k}" for k, n in sorted(report.generated.items())) or "nothing"
    print(
        f"{cluster_name}: applied {len(report.applied)} objects, wrote {generated} "
        f"in {report.seconds:.1f}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
