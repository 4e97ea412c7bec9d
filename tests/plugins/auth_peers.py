"""Real login peers: an OpenID provider (npm oidc-provider), one OpenShift OAuth stand-in per
cluster, and an east/west pair of API servers that trust both.

The session clusters of tests/plugins/kube.py start without `--oidc-*` flags, so login tests
get their own pair ("auth clusters") whose API servers validate ID tokens from the provider
(RBAC decides on the token's `groups` claim) and ask the stand-in, through a token webhook,
about the `sha256~` tokens it issued, as OpenShift's kube-apiserver asks its oauth server.
Everything binds 127.0.0.1; one CA (trustme) signs the provider's and the stand-ins' certs.
"""

from __future__ import annotations

import base64
import fcntl
import json
import secrets
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import kubernetes.client
import pytest
import trustme

from mesh.sim.apiserver import PERSONAS, LocalCluster, ensure_kube_apiserver, start_cluster
from mesh.sim.demo import publish_remote_cluster
from mesh.sim.loader import apply_manifests, demo_paths
from mesh.sim.openshift_oauth import OAuthClient, OAuthUser, OpenShiftOAuthServer

OIDC_DIR = Path(__file__).resolve().parents[1] / "oidc"
CLIENT_ID = "kiali"
OPENSHIFT_CLIENT_ID = "kiali-istio-system"
LOGIN_USERS = ("alice", "bob", "carol", "eve")
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class AuthPki:
    ca_file: Path
    cert_file: Path
    key_file: Path


@dataclass
class OidcProvider:
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    passwords: dict[str, str] = field(repr=False)


@dataclass
class AuthClusters:
    clusters: dict[str, LocalCluster]
    oauth: dict[str, OpenShiftOAuthServer]
    oauth_secret: str = field(repr=False)

    @property
    def east(self) -> LocalCluster:
        return self.clusters["east"]

    @property
    def west(self) -> LocalCluster:
        return self.clusters["west"]


@pytest.fixture(scope="session")
def auth_pki(tmp_path_factory: pytest.TempPathFactory) -> AuthPki:
    base = tmp_path_factory.mktemp("auth-pki")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    paths = AuthPki(base / "ca.pem", base / "cert.pem", base / "key.pem")
    ca.cert_pem.write_to_path(str(paths.ca_file))
    cert.cert_chain_pems[0].write_to_path(str(paths.cert_file))
    cert.private_key_pem.write_to_path(str(paths.key_file))
    return paths


def ensure_oidc_provider_installed() -> None:
    """npm install once; node_modules is cached in tests/oidc (git-ignored).

    xdist workers start providers at the same moment, so the install runs under a file lock
    and counts as done only once its marker exists: a half-unpacked node_modules from another
    worker must never be started."""
    marker = OIDC_DIR / "node_modules" / ".installed-by-tests"
    if marker.is_file():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed to install the test OpenID provider (Node 20)")
    with (OIDC_DIR / ".npm-install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.is_file():
            return
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=OIDC_DIR,
            check=True,
            timeout=300,
        )
        marker.write_text("npm ci completed\n")


def start_oidc_provider(
    pki: AuthPki, workdir: Path, passwords: dict[str, str], client_secret: str
) -> tuple[subprocess.Popen[bytes], str]:
    ensure_oidc_provider_installed()
    groups = {name: list(PERSONAS[name][1]) for name in LOGIN_USERS}
    settings = {
        "cert": str(pki.cert_file),
        "key": str(pki.key_file),
        "port": 0,
        "users": {
            name: {
                "password": passwords[name],
                "email": f"{name}@example.com",
                "groups": groups[name],
            }
            for name in LOGIN_USERS
        },
        "clients": [
            {
                "client_id": CLIENT_ID,
                "client_secret": client_secret,
                "redirect_uris": ["http://127.0.0.1/api/auth/openid_callback"],
                "post_logout_redirect_uris": ["http://127.0.0.1/login/"],
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "client_secret_basic",
            }
        ],
    }
    path = workdir / "oidc-settings.json"
    path.write_text(json.dumps(settings))
    path.chmod(0o600)
    log = (workdir / "oidc-provider.log").open("wb")
    process = subprocess.Popen(
        ["node", str(OIDC_DIR / "provider.mjs"), str(path)],
        cwd=OIDC_DIR,
        stdout=subprocess.PIPE,
        stderr=log,
        stdin=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT)
    line = process.stdout.readline() if ready else b""
    if not line:
        process.kill()
        tail = (workdir / "oidc-provider.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"the OpenID provider did not start:\n{tail}")
    return process, json.loads(line)["issuer"]


@pytest.fixture(scope="session")
def oidc_provider(
    auth_pki: AuthPki, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OidcProvider]:
    workdir = tmp_path_factory.mktemp("oidc")
    passwords = {name: secrets.token_urlsafe(12) for name in LOGIN_USERS}
    secret = secrets.token_urlsafe(24)
    process, issuer = start_oidc_provider(auth_pki, workdir, passwords, secret)
    try:
        yield OidcProvider(issuer, CLIENT_ID, secret, passwords)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def openid_auth(provider: OidcProvider, **extra: object) -> dict[str, object]:
    """The `auth` section of a console that logs in with the test provider."""
    openid = {
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
        "issuer_uri": provider.issuer,
        "scopes": ["openid", "profile", "email", "groups"],
        **extra,
    }
    return {"strategy": "openid", "openid": openid}


def openshift_users(passwords: dict[str, str]) -> dict[str, OAuthUser]:
    return {name: OAuthUser(passwords[name], PERSONAS[name][1]) for name in LOGIN_USERS}


@pytest.fixture(scope="session")
def auth_clusters(
    auth_pki: AuthPki, oidc_provider: OidcProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AuthClusters]:
    ensure_kube_apiserver()
    base = tmp_path_factory.mktemp("auth-clusters")
    oauth_secret = secrets.token_urlsafe(24)
    oauth: dict[str, OpenShiftOAuthServer] = {}
    clusters: dict[str, LocalCluster] = {}
    try:
        for name in ("east", "west"):
            client = OAuthClient(
                oauth_secret,
                (
                    f"http://testserver/api/auth/callback/{name}",
                    f"http://localhost/api/auth/callback/{name}",
                ),
            )
            server = OpenShiftOAuthServer(
                name,
                openshift_users(oidc_provider.passwords),
                {OPENSHIFT_CLIENT_ID: client},
                cert_file=auth_pki.cert_file,
                key_file=auth_pki.key_file,
            )
            server.start()
            oauth[name] = server
            webhook = server.webhook_kubeconfig(base / f"{name}-webhook.yaml", auth_pki.ca_file)
            clusters[name] = start_cluster(
                name,
                base / name,
                extra_args=[
                    f"--oidc-issuer-url={oidc_provider.issuer}",
                    f"--oidc-client-id={oidc_provider.client_id}",
                    f"--oidc-ca-file={auth_pki.ca_file}",
                    "--oidc-username-claim=sub",
                    "--oidc-username-prefix=-",
                    "--oidc-groups-claim=groups",
                    f"--authentication-token-webhook-config-file={webhook}",
                    "--authentication-token-webhook-version=v1",
                    "--authentication-token-webhook-cache-ttl=1s",
                ],
            )
        for name, cluster in clusters.items():
            wait_for_oidc_authenticator(cluster, oidc_provider)
            with cluster.api_client("admin") as client:
                apply_manifests(client, demo_paths(name), cluster_name=name)
        publish_remote_cluster(clusters["east"], clusters["west"])
        yield AuthClusters(clusters, oauth, oauth_secret)
    finally:
        for cluster in clusters.values():
            cluster.stop()
        for server in oauth.values():
            server.stop()


def _unsigned_id_token(issuer: str, audience: str) -> str:
    """A token that names the provider but carries no valid signature: enough to ask which
    state the API server's OIDC authenticator is in."""

    def part(document: dict[str, object]) -> str:
        raw = json.dumps(document).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    claims = {"iss": issuer, "aud": audience, "sub": "probe", "exp": int(time.time()) + 300}
    return f"{part({'alg': 'RS256', 'kid': 'probe'})}.{part(claims)}.c2ln"


def wait_for_oidc_authenticator(cluster: LocalCluster, provider: OidcProvider) -> None:
    """kube-apiserver reads the provider's discovery document in the background after it
    starts, and until then rejects every ID token ("authenticator not initialized"); a
    TokenReview of a token naming the provider says which state it is in."""
    token = _unsigned_id_token(provider.issuer, provider.client_id)
    review = {
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "TokenReview",
        "spec": {"token": token},
    }
    deadline = time.monotonic() + START_TIMEOUT
    with cluster.api_client("admin") as client:
        api = kubernetes.client.AuthenticationV1Api(client)
        while True:
            answer = client.sanitize_for_serialization(api.create_token_review(review))
            error = (answer.get("status") or {}).get("error") or ""
            if "not initialized" not in error:
                return
            if time.monotonic() > deadline:
                pytest.fail(f"{cluster.name}: the OIDC authenticator never initialized: {error}")
            time.sleep(0.2)


def wait_for_webhook_cache() -> None:
    """The API servers remember a webhook answer for 1 s (--authentication-token-webhook-cache-ttl)."""
    time.sleep(1.5)
