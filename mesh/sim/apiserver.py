"""Local Kubernetes clusters for tests and the demo: Debian's etcd plus a real kube-apiserver.

Why real servers: discovery, list/watch, RBAC decisions, SelfSubjectAccessReview and Status
errors are exactly what the console must get right, and a fake would have to be kept
faithful to all of them. A kube-apiserver built from Debian's source package (see
``build_apiserver.sh`` and REAL-KUBERNETES.md) gives us the genuine behaviour on loopback.

There are no controllers or kubelets: objects are stored, never acted upon. Pod logs,
proxies and port-forwards are routed to a unix socket that does not exist, so they fail at
once instead of dialing addresses that are not on this machine.

Usage from the shell::

    python -m mesh.sim.apiserver build
    python -m mesh.sim.apiserver up east --workdir /tmp/east
"""

from __future__ import annotations

import argparse
import atexit
import base64
import contextlib
import ctypes
import datetime
import fcntl
import ipaddress
import os
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import kubernetes.client
import kubernetes.config
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

K8S_VERSION = "1.20.2"
ETCD_BINARY = Path("/usr/bin/etcd")
BUILD_SCRIPT = Path(__file__).with_name("build_apiserver.sh")
DEFAULT_CACHE_DIR = Path("/var/cache/kiali-console")

# The console's own identity: a service account in istio-system, as Kiali is deployed.
CONSOLE_NAMESPACE = "istio-system"
CONSOLE_SERVICE_ACCOUNT = "kiali-service-account"
CONSOLE_USER = f"system:serviceaccount:{CONSOLE_NAMESPACE}:{CONSOLE_SERVICE_ACCOUNT}"
CONSOLE_CLUSTER_ROLE = "kiali-console"

# persona -> (username, groups). Tests speak of personas (CONVENTIONS 14), never of tokens.
PERSONAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "admin": ("admin", ("system:masters",)),
    "kiali": (
        CONSOLE_USER,
        ("system:serviceaccounts", f"system:serviceaccounts:{CONSOLE_NAMESPACE}"),
    ),
    "alice": ("alice", ("mesh-admins",)),
    "bob": ("bob", ("bookinfo-team",)),
    "carol": ("carol", ("sample-team",)),
    "eve": ("eve", ("outsiders",)),
}

# Writes only, at Metadata level (who, what, when; no bodies, so no Secret data): enough
# to show which identity made a change, which is what the write path's tests ask of it.
AUDIT_POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  verbs: [create, update, patch, delete, deletecollection]
- level: None
"""

READY_TIMEOUT_SECONDS = 120.0
STOP_GRACE_SECONDS = 10.0
LOG_TAIL_LINES = 30
BUILD_LOCK = Path(tempfile.gettempdir()) / "kiali-console-apiserver-build.lock"


def cache_dir() -> Path:
    """The binary lives outside the repo so every checkout and worktree shares one build."""
    return Path(os.environ.get("KIALI_SIM_CACHE", str(DEFAULT_CACHE_DIR)))


def kube_apiserver_path() -> Path:
    return cache_dir() / f"kube-apiserver-v{K8S_VERSION}"


def ensure_kube_apiserver() -> Path:
    """Return the cached kube-apiserver, building it first when it is missing.

    The build takes minutes, so parallel test workers take a file lock: the first one
    builds, the others wait for it and then find the binary in place.
    """
    binary = kube_apiserver_path()
    if _is_executable(binary):
        return binary
    with _exclusive_lock(BUILD_LOCK):
        if _is_executable(binary):
            return binary
        log_path = Path(tempfile.gettempdir()) / "kiali-console-apiserver-build.log"
        with log_path.open("wb") as log:
            result = subprocess.run(
                ["bash", str(BUILD_SCRIPT)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "KIALI_SIM_CACHE": str(cache_dir())},
                check=False,
            )
        if result.returncode != 0 or not _is_executable(binary):
            raise RuntimeError(
                f"building kube-apiserver failed (exit {result.returncode}); "
                f"last lines of {log_path}:\n{_tail(log_path)}"
            )
    return binary


@dataclass(eq=False)
class LocalCluster:
    """One running etcd + kube-apiserver pair, and the credentials to reach it.

    Compared by identity: two handles on the same ports are still different starts.
    """

    name: str
    server: str
    ca_file: Path
    workdir: Path
    tokens: dict[str, str] = field(repr=False)
    _processes: list[subprocess.Popen[bytes]] = field(
        default_factory=list, repr=False, compare=False
    )

    @property
    def audit_log(self) -> Path:
        """The API server's audit log: one JSON event per write (create, update, patch,
        delete) with the identity that made it, as a real cluster's audit would show."""
        return self.workdir / "audit.log"

    def kubeconfig(self, persona: str = "admin", *, token: str | None = None) -> dict[str, Any]:
        """A self-contained kubeconfig (CA embedded), so it works from any directory or host
        file layout and can be handed to the kubernetes client or written for kubectl."""
        if token is None:
            if persona not in self.tokens:
                raise KeyError(f"cluster {self.name} has no persona {persona!r}")
            token = self.tokens[persona]
        ca_data = base64.b64encode(self.ca_file.read_bytes()).decode("ascii")
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": self.name,
                    "cluster": {"server": self.server, "certificate-authority-data": ca_data},
                }
            ],
            "users": [{"name": self.name, "user": {"token": token}}],
            "contexts": [{"name": self.name, "context": {"cluster": self.name, "user": self.name}}],
            "current-context": self.name,
            "preferences": {},
        }

    def write_kubeconfig(self, path: Path, persona: str = "admin") -> Path:
        """Written 0600 because it carries a bearer token."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            yaml.safe_dump(self.kubeconfig(persona), out, sort_keys=False)
        return path

    def api_client(self, persona: str = "admin") -> kubernetes.client.ApiClient:
        """Built from a kubeconfig dict, the way the console builds its per-user clients:
        the loader's refresh hook would overwrite an ``api_key`` set afterwards."""
        return kubernetes.config.new_client_from_config_dict(self.kubeconfig(persona))

    def stop(self) -> None:
        """Stop the API server, then etcd; safe to call twice and from atexit."""
        for process in reversed(self._processes):
            _stop_process_group(process)
        self._processes.clear()
        _RUNNING.discard(self)


# Clusters still running, so an interpreter exit (a crashed test run) leaves no orphans.
_RUNNING: set[LocalCluster] = set()


@atexit.register
def _stop_all_clusters() -> None:
    for cluster in list(_RUNNING):
        cluster.stop()


def start_cluster(
    name: str,
    workdir: Path,
    *,
    extra_users: Sequence[tuple[str, str, Sequence[str]]] = (),
    extra_args: Sequence[str] = (),
) -> LocalCluster:
    """Start etcd and kube-apiserver for cluster ``name`` under ``workdir`` and wait until
    the API server is ready and bootstrapped with the console's RBAC.

    ``extra_users`` are (token, username, groups) rows for the token file, for stand-ins
    such as the OpenShift OAuth server; ``extra_args`` are further kube-apiserver flags
    (``--oidc-*``), placed last so they win over the defaults.

    etcd's data directory is kept across starts so a demo cluster can be restarted with its
    objects; certificates, keys and tokens are new on every start.

    Call it from a thread that lives as long as the cluster should (the main thread): the
    servers get the kernel's parent-death signal, which fires when the *starting thread*
    ends, so a cluster started from a short-lived worker thread dies with that thread.
    """
    apiserver = ensure_kube_apiserver()
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    tokens = {persona: secrets.token_urlsafe(32) for persona in PERSONAS}
    files = _write_cluster_files(name, workdir, tokens, extra_users)

    etcd_port, peer_port, api_port = _free_ports(3)
    server = f"https://127.0.0.1:{api_port}"
    cluster = LocalCluster(
        name=name, server=server, ca_file=files["ca"], workdir=workdir, tokens=tokens
    )
    _RUNNING.add(cluster)
    try:
        etcd_url = f"http://127.0.0.1:{etcd_port}"
        peer_url = f"http://127.0.0.1:{peer_port}"
        etcd_log = workdir / "etcd.log"
        cluster._processes.append(
            _spawn(
                [
                    str(ETCD_BINARY),
                    f"--name={name}",
                    f"--data-dir={workdir / 'etcd-data'}",
                    f"--listen-client-urls={etcd_url}",
                    f"--advertise-client-urls={etcd_url}",
                    f"--listen-peer-urls={peer_url}",
                    f"--initial-advertise-peer-urls={peer_url}",
                    f"--initial-cluster={name}={peer_url}",
                    f"--initial-cluster-token=kiali-sim-{name}",
                    "--log-level=warn",
                ],
                etcd_log,
            )
        )
        _wait_until_ok(
            f"{etcd_url}/health", cluster._processes[0], etcd_log, what=f"etcd for {name}"
        )

        apiserver_log = workdir / "kube-apiserver.log"
        args = [
            str(apiserver),
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={api_port}",
            "--insecure-port=0",
            f"--etcd-servers={etcd_url}",
            f"--cert-dir={workdir / 'pki'}",
            f"--tls-cert-file={files['serving_cert']}",
            f"--tls-private-key-file={files['serving_key']}",
            f"--token-auth-file={files['tokens']}",
            "--authorization-mode=RBAC",
            f"--service-account-key-file={files['sa_public']}",
            f"--service-account-signing-key-file={files['sa_private']}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--service-cluster-ip-range=10.96.0.0/16",
            "--disable-admission-plugins=ServiceAccount",
            "--endpoint-reconciler-type=none",
            f"--egress-selector-config-file={files['egress']}",
            f"--audit-policy-file={files['audit_policy']}",
            f"--audit-log-path={workdir / 'audit.log'}",
            "--audit-log-mode=blocking",
            "--profiling=false",
            *extra_args,
        ]
        cluster._processes.append(_spawn(args, apiserver_log))
        _wait_until_ok(
            f"{server}/readyz",
            cluster._processes[1],
            apiserver_log,
            what=f"kube-apiserver for {name}",
            ca_file=files["ca"],
        )
        _bootstrap(cluster)
    except BaseException:
        cluster.stop()
        raise
    return cluster


# --- files ---------------------------------------------------------------------------------


def _write_cluster_files(
    name: str,
    workdir: Path,
    tokens: dict[str, str],
    extra_users: Sequence[tuple[str, str, Sequence[str]]],
) -> dict[str, Path]:
    pki = workdir / "pki"
    pki.mkdir(parents=True, exist_ok=True)
    os.chmod(pki, 0o700)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _ca_certificate(name, ca_key)
    serving_key = ec.generate_private_key(ec.SECP256R1())
    serving_cert = _serving_certificate(name, serving_key, ca_cert, ca_key)
    sa_key = ec.generate_private_key(ec.SECP256R1())

    paths = {
        "ca": pki / "ca.crt",
        "serving_cert": pki / "apiserver.crt",
        "serving_key": pki / "apiserver.key",
        "sa_public": pki / "sa.pub",
        "sa_private": pki / "sa.key",
        "tokens": pki / "tokens.csv",
        "egress": workdir / "egress-selector.yaml",
        "audit_policy": workdir / "audit-policy.yaml",
    }
    _write(paths["audit_policy"], AUDIT_POLICY.encode())
    _write(paths["ca"], ca_cert.public_bytes(serialization.Encoding.PEM))
    _write(paths["serving_cert"], serving_cert.public_bytes(serialization.Encoding.PEM))
    _write(paths["serving_key"], _private_pem(serving_key), private=True)
    _write(
        paths["sa_public"],
        sa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    )
    _write(paths["sa_private"], _private_pem(sa_key), private=True)

    rows = [(tokens[p], user, groups) for p, (user, groups) in PERSONAS.items()]
    rows += [(token, user, tuple(groups)) for token, user, groups in extra_users]
    lines = [f'{token},{user},{user},"{",".join(groups)}"' for token, user, groups in rows]
    _write(paths["tokens"], ("\n".join(lines) + "\n").encode(), private=True)

    # A socket that never exists: anything the API server would dial "in the cluster" (pod
    # logs, exec, proxy, port-forward) fails at once rather than reaching a real address.
    egress = {
        "apiVersion": "apiserver.k8s.io/v1beta1",
        "kind": "EgressSelectorConfiguration",
        "egressSelections": [
            {
                "name": "cluster",
                "connection": {
                    "proxyProtocol": "HTTPConnect",
                    "transport": {"uds": {"udsName": str(workdir / "no-cluster-network.sock")}},
                },
            }
        ],
    }
    _write(paths["egress"], yaml.safe_dump(egress).encode())
    return paths


def _ca_certificate(name: str, key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"kiali-sim-{name}-ca")])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )


def _serving_certificate(
    name: str,
    key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"kube-apiserver-{name}")])
        )
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.DNSName("localhost"),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )


def _private_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


# --- processes ----------------------------------------------------------------------------


def _free_ports(count: int) -> list[int]:
    """Ask the kernel for distinct free ports; sockets stay open until all are chosen so
    the same port is never handed out twice."""
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
        return ports


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """atexit does not run when the test process is SIGKILLed; the kernel's parent-death
    signal still takes the servers down with it (Linux only, best effort)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _spawn(args: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    """Each server gets its own process group so stop() can signal everything it started."""
    with log_path.open("ab") as log:
        return subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )


def _stop_process_group(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, STOP_GRACE_SECONDS), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _wait_until_ok(
    url: str,
    process: subprocess.Popen[bytes],
    log_path: Path,
    *,
    what: str,
    ca_file: Path | None = None,
    timeout: float = READY_TIMEOUT_SECONDS,
) -> None:
    """Poll a health URL until it answers 200, failing fast if the process exits and with
    the log's tail on timeout, so a broken start is an error message and never a hang."""
    context = ssl.create_default_context(cafile=str(ca_file)) if ca_file else None
    deadline = time.monotonic() + timeout
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{what} exited with status {process.returncode}; "
                f"last lines of {log_path}:\n{_tail(log_path)}"
            )
        try:
            with urllib.request.urlopen(url, timeout=5, context=context) as response:  # noqa: S310
                if response.status == 200:
                    return
                last_error = f"HTTP {response.status}"
        except urllib.error.HTTPError as error:
            last_error = f"HTTP {error.code}"
        except (OSError, ssl.SSLError) as error:
            last_error = str(error)
        time.sleep(0.25)
    raise RuntimeError(
        f"{what} not ready after {timeout:.0f}s ({last_error}); "
        f"last lines of {log_path}:\n{_tail(log_path)}"
    )


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


@contextlib.contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- RBAC bootstrap -----------------------------------------------------------------------

_READ = ("get", "list", "watch")


class Grant(NamedTuple):
    """One RBAC rule: these verbs on these resources of these API groups (only the named
    objects when ``names`` is given)."""

    groups: tuple[str, ...]
    resources: tuple[str, ...]
    verbs: tuple[str, ...]
    names: tuple[str, ...] = ()


# The console's cluster-wide grant is Kiali's viewer ClusterRole (kiali-server Helm chart,
# templates/role-viewer.yaml), rule for rule, so a cluster set up for Kiali needs no RBAC
# change to run this console, and the tests prove the console works with no more than that.
# SelfSubjectAccessReview is absent on purpose: Kubernetes' system:basic-user role grants it
# to every authenticated identity.
VIEWER_GRANTS: tuple[Grant, ...] = (
    Grant(("",), ("configmaps", "endpoints", "pods/log"), _READ),
    Grant(("",), ("namespaces", "pods", "replicationcontrollers", "services"), _READ),
    Grant(("",), ("pods/portforward",), ("create", "post")),
    Grant(
        ("extensions", "apps"), ("daemonsets", "deployments", "replicasets", "statefulsets"), _READ
    ),
    Grant(("batch",), ("cronjobs", "jobs"), _READ),
    Grant(
        (
            "networking.istio.io",
            "security.istio.io",
            "extensions.istio.io",
            "telemetry.istio.io",
            "gateway.networking.k8s.io",
            "inference.networking.x-k8s.io",
        ),
        ("*",),
        _READ,
    ),
    Grant(("apps.openshift.io",), ("deploymentconfigs",), _READ),
    Grant(("route.openshift.io",), ("routes",), ("get",)),
    Grant(("authentication.k8s.io",), ("tokenreviews",), ("create",)),
    # Kiali's OpenShift OAuth client is named after the namespace Kiali is installed in.
    Grant(("oauth.openshift.io",), ("oauthclients",), ("get",), (f"kiali-{CONSOLE_NAMESPACE}",)),
    Grant(("admissionregistration.k8s.io",), ("mutatingwebhookconfigurations",), _READ),
)


def _rule(grant: Grant) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "apiGroups": list(grant.groups),
        "resources": list(grant.resources),
        "verbs": list(grant.verbs),
    }
    if grant.names:
        rule["resourceNames"] = list(grant.names)
    return rule


def _console_cluster_role() -> dict[str, Any]:
    """Kiali's viewer role for the console's service account. Secrets are not in it: the
    console reads them only in its own namespace (remote-cluster secrets), through a Role."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": CONSOLE_CLUSTER_ROLE},
        "rules": [_rule(grant) for grant in VIEWER_GRANTS],
    }


def _bootstrap(cluster: LocalCluster) -> None:
    """Give the cluster what a real mesh cluster has before the console arrives: its
    namespace, its service account and RBAC, and the mesh admins' view binding."""
    with cluster.api_client("admin") as client:
        core = kubernetes.client.CoreV1Api(client)
        rbac = kubernetes.client.RbacAuthorizationV1Api(client)
        _create(core.create_namespace, {"metadata": {"name": CONSOLE_NAMESPACE}})
        _create(
            core.create_namespaced_service_account,
            {"metadata": {"name": CONSOLE_SERVICE_ACCOUNT}},
            namespace=CONSOLE_NAMESPACE,
        )
        _create(rbac.create_cluster_role, _console_cluster_role())
        _create(
            rbac.create_cluster_role_binding,
            _binding(
                "ClusterRoleBinding",
                CONSOLE_CLUSTER_ROLE,
                "ClusterRole",
                CONSOLE_CLUSTER_ROLE,
                {"kind": "User", "name": CONSOLE_USER},
            ),
        )
        _create(
            rbac.create_namespaced_role,
            {
                "metadata": {"name": f"{CONSOLE_CLUSTER_ROLE}-secrets"},
                "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}],
            },
            namespace=CONSOLE_NAMESPACE,
        )
        _create(
            rbac.create_namespaced_role_binding,
            _binding(
                "RoleBinding",
                f"{CONSOLE_CLUSTER_ROLE}-secrets",
                "Role",
                f"{CONSOLE_CLUSTER_ROLE}-secrets",
                {"kind": "User", "name": CONSOLE_USER},
            ),
            namespace=CONSOLE_NAMESPACE,
        )
        _create(
            rbac.create_cluster_role_binding,
            _binding(
                "ClusterRoleBinding",
                "mesh-admins-view",
                "ClusterRole",
                "view",
                {"kind": "Group", "name": "mesh-admins"},
            ),
        )
        aggregate_cluster_roles(client)


def aggregate_cluster_roles(client: kubernetes.client.ApiClient) -> int:
    """Fill aggregated ClusterRoles (``view``, ``edit``, ``admin``...) from the roles their
    selectors match, as kube-controller-manager's aggregation controller would.

    Without controllers the built-in ``view`` stays empty and binding it grants nothing.
    Start-up calls this once; call it again after creating roles labelled
    ``rbac.authorization.k8s.io/aggregate-to-*`` (for CRDs) so they join in. Returns how
    many roles changed.
    """
    rbac = kubernetes.client.RbacAuthorizationV1Api(client)
    changed = 0
    # Aggregated roles may select other aggregated roles (admin selects edit's sources and
    # edit selects view's): repeat until nothing moves, as the controller converges.
    for _ in range(5):
        roles = client.sanitize_for_serialization(rbac.list_cluster_role())["items"]
        moved = 0
        for role in roles:
            selectors = (role.get("aggregationRule") or {}).get("clusterRoleSelectors") or []
            if not selectors:
                continue
            rules: list[dict[str, Any]] = []
            for source in roles:
                if source is role or not any(_selects(s, source) for s in selectors):
                    continue
                rules += [r for r in source.get("rules") or [] if r not in rules]
            if rules != (role.get("rules") or []):
                rbac.patch_cluster_role(role["metadata"]["name"], {"rules": rules})
                moved += 1
        changed += moved
        if not moved:
            break
    return changed


def _selects(selector: dict[str, Any], role: dict[str, Any]) -> bool:
    labels = role["metadata"].get("labels") or {}
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values")
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def _binding(
    kind: str, name: str, role_kind: str, role_name: str, subject: dict[str, str]
) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": {"name": name},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": role_kind,
            "name": role_name,
        },
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", **subject}],
    }


def _create(create: Any, body: dict[str, Any], **kwargs: str) -> None:
    """Tolerate AlreadyExists: etcd data survives restarts of a demo cluster."""
    try:
        create(body=body, **kwargs)
    except kubernetes.client.ApiException as error:
        if error.status != 409:
            raise


# --- CLI ----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mesh.sim.apiserver", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("build", help="build kube-apiserver into the cache if it is missing")
    up = commands.add_parser("up", help="start one cluster and keep it running until Ctrl-C")
    up.add_argument("name", help="cluster name, e.g. east or west")
    up.add_argument("--workdir", type=Path, required=True, help="certificates, logs, etcd data")
    args = parser.parse_args(argv)

    if args.command == "build":
        print(ensure_kube_apiserver())
        return 0

    cluster = start_cluster(args.name, args.workdir)
    try:
        kubeconfig = cluster.write_kubeconfig(cluster.workdir / "kubeconfig")
        for persona in PERSONAS:
            cluster.write_kubeconfig(cluster.workdir / f"kubeconfig-{persona}", persona)
        print(f"cluster {cluster.name}: {cluster.server}")
        print(f"kubeconfig (admin): {kubeconfig}")
        print(f"per-persona kubeconfigs: {cluster.workdir}/kubeconfig-<persona>")
        print("Ctrl-C to stop", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        while all(process.poll() is None for process in cluster._processes):
            time.sleep(1)
        print("a server process exited; see the logs in the workdir", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
