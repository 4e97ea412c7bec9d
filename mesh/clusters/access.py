"""How the console reaches one cluster: a kubeconfig held in memory, never shown or logged.

A cluster is reached with the console's service account (the kubeconfig's own user) or, for
a user's request, with that user's bearer token put into the kubeconfig's user entry. The
token goes into the kubeconfig before the client is built because the loader installs a
refresh hook that overwrites an api_key set afterwards.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubernetes.client import ApiClient, Configuration
from kubernetes.config import load_kube_config_from_dict
from kubernetes.config.config_exception import ConfigException

IN_CLUSTER_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


class KubeconfigError(Exception):
    """A kubeconfig the console cannot use; the message never quotes its contents."""


def _mapping(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise KubeconfigError(f"{what} is not a mapping")
    return value


def check_kubeconfig(kubeconfig: object, *, allow_exec: bool = False) -> dict[str, Any]:
    """The kubeconfig reduced to its current context's cluster and first user.

    Upstream's rules for remote-cluster kubeconfigs: one cluster, at least one user (the
    first is used), and exec credential plugins only when explicitly allowed.
    """
    doc = _mapping(kubeconfig, "the kubeconfig")
    clusters = doc.get("clusters")
    users = doc.get("users")
    if not isinstance(clusters, list) or not clusters:
        raise KubeconfigError("the kubeconfig has no clusters")
    if not isinstance(users, list) or not users:
        raise KubeconfigError("the kubeconfig has no users")
    cluster_entry = _mapping(clusters[0], "the kubeconfig's cluster entry")
    user_entry = _mapping(users[0], "the kubeconfig's user entry")
    cluster = _mapping(cluster_entry.get("cluster"), "the kubeconfig's cluster")
    user = dict(_mapping(user_entry.get("user") or {}, "the kubeconfig's user"))
    server = cluster.get("server")
    if not isinstance(server, str) or not server.startswith(("https://", "http://")):
        raise KubeconfigError("the kubeconfig's cluster has no server URL")
    if "exec" in user and not allow_exec:
        user.pop("exec")
    if not (
        {"token", "tokenFile", "client-certificate", "client-certificate-data", "exec"} & set(user)
    ):
        raise KubeconfigError("the kubeconfig's user has no credentials")
    name = str(cluster_entry.get("name") or "cluster")
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": dict(cluster)}],
        "users": [{"name": "console", "user": user}],
        "contexts": [{"name": "console", "context": {"cluster": name, "user": "console"}}],
        "current-context": "console",
    }


@dataclass(frozen=True)
class ClusterAccess:
    """The credentials for one cluster; repr() shows only the cluster's name and server."""

    name: str
    server: str
    _kubeconfig: dict[str, Any] = field(repr=False, compare=False)
    _token_file: str = field(default="", repr=False, compare=False)

    @classmethod
    def from_kubeconfig(
        cls, name: str, kubeconfig: object, *, allow_exec: bool = False
    ) -> ClusterAccess:
        reduced = check_kubeconfig(kubeconfig, allow_exec=allow_exec)
        server = reduced["clusters"][0]["cluster"]["server"]
        return cls(name=name, server=server, _kubeconfig=reduced)

    @classmethod
    def in_cluster(cls, name: str) -> ClusterAccess:
        """The pod's own service account; the token file is re-read, as it rotates."""
        host = os.environ["KUBERNETES_SERVICE_HOST"]
        port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
        server = f"https://{host}:{port}" if ":" not in host else f"https://[{host}]:{port}"
        kubeconfig = {
            "clusters": [
                {
                    "name": name,
                    "cluster": {
                        "server": server,
                        "certificate-authority": str(IN_CLUSTER_DIR / "ca.crt"),
                    },
                }
            ],
            "users": [{"name": "console", "user": {"tokenFile": str(IN_CLUSTER_DIR / "token")}}],
        }
        reduced = check_kubeconfig(kubeconfig)
        return cls(
            name=name, server=server, _kubeconfig=reduced, _token_file=str(IN_CLUSTER_DIR / "token")
        )

    def service_token(self) -> str:
        """The service account's bearer token, for Prometheus' use_kiali_token."""
        user = self._kubeconfig["users"][0]["user"]
        if "token" in user:
            return str(user["token"])
        token_file = user.get("tokenFile") or self._token_file
        if token_file:
            try:
                return Path(token_file).read_text().strip()
            except OSError:
                return ""
        return ""

    def _client(self, kubeconfig: dict[str, Any]) -> ApiClient:
        configuration = Configuration()
        try:
            load_kube_config_from_dict(
                kubeconfig, client_configuration=configuration, persist_config=False
            )
        except (ConfigException, ValueError, TypeError, OSError) as exc:
            raise KubeconfigError(
                f"cluster {self.name}: the kubeconfig cannot be used ({type(exc).__name__})"
            ) from None
        # A page must not wait on retries of a cluster that is down: fail once, say why.
        configuration.retries = 0
        return ApiClient(configuration)

    def service_client(self) -> ApiClient:
        return self._client(self._kubeconfig)

    def user_client(self, token: str) -> ApiClient:
        """A client acting as the user: same server and CA, the user's token instead."""
        kubeconfig = copy.deepcopy(self._kubeconfig)
        kubeconfig["users"][0]["user"] = {"token": token}
        return self._client(kubeconfig)

    def configuration(self) -> Configuration:
        return self.service_client().configuration
