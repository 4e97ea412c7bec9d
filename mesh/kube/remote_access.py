"""A remote cluster made readable by the console: its account there, and the Secret that
tells the home cluster's console how to reach it (what Kiali's prepare-remote-cluster
script does, kept to the reads the console makes).

In the remote cluster: a ServiceAccount, a read-only ClusterRole and its binding, and a
token minted for the account through the TokenRequest API. In the home cluster: a Secret
in the console's namespace, labelled `kiali.io/multiCluster=true`, whose key is the
cluster's name and whose value is a kubeconfig for the remote API server with that token.
Objects are written by server-side apply, so running it again refreshes the token and
changes nothing else.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import yaml
from kubernetes.client import ApiClient

from mesh.kube.access import apply_object, post_json

FIELD_MANAGER = "kiali-console-remote-cluster-secret"
ACCOUNT = "kiali-console-remote"
SECRET_LABEL = {"kiali.io/multiCluster": "true"}

# The reads the console makes in a cluster it does not run in: deploy/base's ClusterRole
# less token reviews (logins happen on the home cluster) and Secrets (none are read there).
# deploy/overlays/remote-cluster holds the same rules for those who apply YAML instead.
REMOTE_RULES: list[dict[str, list[str]]] = [
    {
        "apiGroups": [""],
        "resources": ["namespaces", "pods", "services", "replicationcontrollers"],
        "verbs": ["get", "list"],
    },
    {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]},
    {
        "apiGroups": ["apps"],
        "resources": ["deployments", "replicasets", "statefulsets", "daemonsets"],
        "verbs": ["get", "list"],
    },
    {"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": ["get", "list"]},
    {
        "apiGroups": [
            "networking.istio.io",
            "security.istio.io",
            "telemetry.istio.io",
            "extensions.istio.io",
            "gateway.networking.k8s.io",
        ],
        "resources": ["*"],
        "verbs": ["get", "list"],
    },
]


@dataclass(frozen=True)
class RemoteSecret:
    """The Secret for the home cluster; `manifest` carries the token, so it is printed only
    when asked for and never logged."""

    cluster: str
    namespace: str
    name: str
    expires: str
    manifest: dict[str, Any]


def secret_name(cluster: str) -> str:
    return f"kiali-remote-cluster-secret-{cluster}"


def grant_remote_access(
    client: ApiClient, cluster: str, namespace: str, account: str = ACCOUNT
) -> None:
    """The account and its read-only role in the remote cluster (the namespace must exist)."""
    role = f"{account}-reader"
    apply_object(
        client,
        cluster,
        f"/api/v1/namespaces/{namespace}/serviceaccounts/{account}",
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": account, "namespace": namespace},
        },
        field_manager=FIELD_MANAGER,
    )
    apply_object(
        client,
        cluster,
        f"/apis/rbac.authorization.k8s.io/v1/clusterroles/{role}",
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": role},
            "rules": REMOTE_RULES,
        },
        field_manager=FIELD_MANAGER,
    )
    apply_object(
        client,
        cluster,
        f"/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/{role}",
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": role},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": role,
            },
            "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": namespace}],
        },
        field_manager=FIELD_MANAGER,
    )


def mint_token(
    client: ApiClient, cluster: str, namespace: str, seconds: int, account: str = ACCOUNT
) -> tuple[str, str]:
    """A token for the account (TokenRequest) and when it expires; the API server may grant
    less time than asked."""
    answer = post_json(
        client,
        cluster,
        f"/api/v1/namespaces/{namespace}/serviceaccounts/{account}/token",
        {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"expirationSeconds": seconds},
        },
    )
    status = answer.get("status") or {}
    return str(status.get("token", "")), str(status.get("expirationTimestamp", ""))


def remote_secret(
    cluster: str,
    server: str,
    ca_data: str,
    token: str,
    expires: str,
    home_namespace: str,
) -> RemoteSecret:
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": cluster, "cluster": {"server": server, "certificate-authority-data": ca_data}}
        ],
        "users": [{"name": ACCOUNT, "user": {"token": token}}],
        "contexts": [{"name": cluster, "context": {"cluster": cluster, "user": ACCOUNT}}],
        "current-context": cluster,
    }
    encoded = base64.b64encode(yaml.safe_dump(kubeconfig, sort_keys=False).encode()).decode()
    name = secret_name(cluster)
    manifest = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": name,
            "namespace": home_namespace,
            "labels": dict(SECRET_LABEL),
            "annotations": {"kiali.io/cluster": cluster, "kiali.io/token-expires": expires},
        },
        "type": "Opaque",
        "data": {cluster: encoded},
    }
    return RemoteSecret(cluster, home_namespace, name, expires, manifest)


def write_secret(client: ApiClient, secret: RemoteSecret) -> None:
    apply_object(
        client,
        "home",
        f"/api/v1/namespaces/{secret.namespace}/secrets/{secret.name}",
        secret.manifest,
        field_manager=FIELD_MANAGER,
    )


def expiry_in_words(expires: str, now: datetime | None = None) -> str:
    try:
        moment = datetime.fromisoformat(expires.replace("Z", "+00:00"))
    except ValueError:
        return "at an unknown time"
    days = (moment - (now or datetime.now(UTC))).days
    return f"on {moment:%Y-%m-%d} (in {days} days)"
