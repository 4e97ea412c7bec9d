"""`manage.py remote_cluster_secret`: give the console read access to a remote cluster."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mesh.clusters.access import ClusterAccess, KubeconfigError
from mesh.clusters.registry import read_kubeconfig
from mesh.kube.errors import KubeError, KubeForbidden
from mesh.kube.remote_access import (
    ACCOUNT,
    expiry_in_words,
    grant_remote_access,
    mint_token,
    remote_secret,
    write_secret,
)

ONE_YEAR = 365 * 86400


def _kubeconfig(path: str, context: str, what: str) -> dict[str, Any]:
    if not path:
        raise CommandError(
            f"no kubeconfig for the {what} cluster: pass --{what}-kubeconfig or set KUBECONFIG"
        )
    try:
        return read_kubeconfig(path, context, f"{what} kubeconfig")
    except KubeconfigError as exc:
        raise CommandError(str(exc)) from None


def _ca_data(cluster: dict[str, Any]) -> str:
    if cluster.get("certificate-authority-data"):
        return str(cluster["certificate-authority-data"])
    if cluster.get("certificate-authority"):
        try:
            return base64.b64encode(Path(cluster["certificate-authority"]).read_bytes()).decode()
        except OSError as exc:
            raise CommandError(f"the remote cluster's CA file: {exc.strerror}") from None
    return ""  # the API server's certificate is signed by a CA the system trusts


class Command(BaseCommand):
    help = (
        "Create a read-only account for the console in a remote cluster, mint its token, and "
        "write the kiali.io/multiCluster=true Secret into the home cluster's console namespace "
        "(--dry-run prints the Secret instead of writing it)."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--remote-kubeconfig", default=os.environ.get("KUBECONFIG", ""))
        parser.add_argument("--remote-context", default="", help="default: the current one")
        parser.add_argument("--cluster-name", default="", help="default: the remote context's name")
        parser.add_argument("--home-kubeconfig", default=os.environ.get("KUBECONFIG", ""))
        parser.add_argument("--home-context", default="")
        parser.add_argument(
            "--namespace",
            default=settings.KIALI.deployment.namespace,
            help="the console's namespace in the home cluster, and the account's in the remote",
        )
        parser.add_argument(
            "--server", default="", help="the remote API server's URL as the console reaches it"
        )
        parser.add_argument("--token-seconds", type=int, default=ONE_YEAR)
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        remote_doc = _kubeconfig(options["remote_kubeconfig"], options["remote_context"], "remote")
        name = (
            options["cluster_name"]
            or options["remote_context"]
            or remote_doc["clusters"][0]["name"]
        )
        namespace = options["namespace"]
        try:
            remote = ClusterAccess.from_kubeconfig(name, remote_doc, allow_exec=True)
            client = remote.service_client()
            grant_remote_access(client, name, namespace)
            token, expires = mint_token(client, name, namespace, options["token_seconds"])
        except KubeForbidden as exc:
            raise CommandError(
                f"cluster {name}: {exc.message}; the remote kubeconfig needs rights to create "
                "ServiceAccounts, ClusterRoles and tokens"
            ) from None
        except (KubeError, KubeconfigError) as exc:
            raise CommandError(f"cluster {name}: {getattr(exc, 'message', exc)}") from None
        if not token:
            raise CommandError(f"cluster {name}: the API server minted no token")
        cluster_entry = remote_doc["clusters"][0]["cluster"]
        secret = remote_secret(
            name,
            options["server"] or cluster_entry["server"],
            _ca_data(cluster_entry),
            token,
            expires,
            namespace,
        )
        if options["dry_run"]:
            self.stdout.write(yaml.safe_dump(secret.manifest, sort_keys=False))
            return
        home_doc = _kubeconfig(options["home_kubeconfig"], options["home_context"], "home")
        try:
            home = ClusterAccess.from_kubeconfig("home", home_doc, allow_exec=True)
            write_secret(home.service_client(), secret)
        except (KubeError, KubeconfigError) as exc:
            raise CommandError(f"home cluster: {getattr(exc, 'message', exc)}") from None
        self.stdout.write(
            f"cluster {name}: account {namespace}/{ACCOUNT} can read it; Secret "
            f"{namespace}/{secret.name} written in the home cluster; the token expires "
            f"{expiry_in_words(secret.expires)}. Run this again before then."
        )
