"""One key of one Secret in the console's namespace: how `secret:<name>:<key>` credentials
(kiali_site/config.py) are read, through the API so that a rotated Secret is used at once."""

from __future__ import annotations

import base64
import binascii
import threading
import time

from kubernetes.client import ApiClient

from kiali_site.config import ConfigError
from mesh.kube.access import get_json
from mesh.kube.errors import KubeError

# Every Prometheus request reads its credentials; a few seconds of reuse keeps that from
# becoming an API call each time, and a rotation still takes effect within them.
REUSE_SECONDS = 5.0
_recent: dict[tuple[str, str, str], tuple[float, bytes]] = {}
_lock = threading.Lock()


def read_secret_key(client: ApiClient, cluster: str, namespace: str, name: str, key: str) -> bytes:
    """ConfigError, naming the Secret and key but never their content, when it can't be had."""
    wanted = (namespace, name, key)
    with _lock:
        kept = _recent.get(wanted)
    if kept and time.monotonic() - kept[0] < REUSE_SECONDS:
        return kept[1]
    try:
        secret = get_json(client, cluster, f"/api/v1/namespaces/{namespace}/secrets/{name}")
    except KubeError as exc:
        raise ConfigError(f"secret {namespace}/{name}: {exc.message}") from None
    if secret is None:
        raise ConfigError(f"secret {namespace}/{name} was not found")
    encoded = (secret.get("data") or {}).get(key)
    if encoded is None:
        raise ConfigError(f"secret {namespace}/{name} has no key {key!r}")
    try:
        content = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"secret {namespace}/{name}, key {key!r}, is not base64") from None
    with _lock:
        _recent[wanted] = (time.monotonic(), content)
    return content


def forget_secret_keys() -> None:
    with _lock:
        _recent.clear()
