"""Raw reads from a Kubernetes API server, as plain dicts.

Lists go straight from the response bytes to dicts: the client's model objects cost more
time than the request itself on big clusters, and the console only needs a few fields.
A group or version the server does not serve reads as an empty list, since real clusters
differ in what they serve (API level 1.20 has no batch/v1 CronJob, for instance).
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Mapping, Sequence
from typing import Any

import urllib3
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from mesh.kube.errors import ClusterUnreachable, KubeError, KubeForbidden, KubeUnauthorized

DEFAULT_TIMEOUT = (5.0, 30.0)  # connect, read


def _status_message(exc: ApiException) -> str:
    try:
        body = json.loads(exc.body or "{}")
    except (TypeError, ValueError):
        body = {}
    message = body.get("message") if isinstance(body, dict) else None
    return str(message or exc.reason or f"HTTP {exc.status}")


def _raise_for(cluster: str, exc: Exception) -> KubeError:
    if isinstance(exc, ApiException):
        message = _status_message(exc)
        if exc.status == 403:
            return KubeForbidden(cluster, message)
        if exc.status == 401:
            return KubeUnauthorized(cluster, "the credentials were rejected (expired or revoked)")
        if exc.status == 0 or exc.status is None:
            return ClusterUnreachable(cluster, f"cannot reach the API server: {exc.reason}")
        return KubeError(cluster, message)
    if isinstance(exc, urllib3.exceptions.MaxRetryError):
        exc = exc.reason or exc
    if isinstance(exc, urllib3.exceptions.SSLError | ssl.SSLError):
        return ClusterUnreachable(cluster, "TLS handshake with the API server failed")
    if isinstance(exc, urllib3.exceptions.TimeoutError | TimeoutError):
        return ClusterUnreachable(cluster, "the API server did not answer in time")
    if isinstance(exc, urllib3.exceptions.NewConnectionError | ConnectionError | OSError):
        return ClusterUnreachable(cluster, "connection to the API server failed")
    if isinstance(exc, urllib3.exceptions.HTTPError):
        return ClusterUnreachable(cluster, f"cannot reach the API server: {type(exc).__name__}")
    raise exc


def get_json(
    client: ApiClient,
    cluster: str,
    path: str,
    *,
    query: Sequence[tuple[str, str]] = (),
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
) -> dict[str, Any] | None:
    """GET a path; None when the server does not serve it (404)."""
    try:
        response = client.call_api(
            path,
            "GET",
            query_params=list(query),
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
            _preload_content=False,
            _request_timeout=timeout,
        )[0]
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise _raise_for(cluster, exc) from None
    except Exception as exc:
        raise _raise_for(cluster, exc) from None
    try:
        return json.loads(response.data)  # type: ignore[no-any-return]
    except ValueError:
        raise KubeError(
            cluster, f"the API server sent something that is not JSON for {path}"
        ) from None


def post_json(
    client: ApiClient,
    cluster: str,
    path: str,
    body: Mapping[str, Any],
    *,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
) -> dict[str, Any]:
    """POST a body (reviews: SelfSubjectAccessReview, TokenReview) and return the answer."""
    try:
        response = client.call_api(
            path,
            "POST",
            body=dict(body),
            header_params={"Accept": "application/json", "Content-Type": "application/json"},
            auth_settings=["BearerToken"],
            _preload_content=False,
            _request_timeout=timeout,
        )[0]
    except Exception as exc:
        raise _raise_for(cluster, exc) from None
    return json.loads(response.data)  # type: ignore[no-any-return]


def list_items(
    client: ApiClient,
    cluster: str,
    group_version: str,
    plural: str,
    *,
    namespace: str | None = None,
    label_selector: str = "",
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
) -> list[dict[str, Any]]:
    """One list call for a kind, all namespaces unless one is named; [] when not served."""
    prefix = "/api/v1" if group_version == "v1" else f"/apis/{group_version}"
    path = f"{prefix}/namespaces/{namespace}/{plural}" if namespace else f"{prefix}/{plural}"
    query = [("labelSelector", label_selector)] if label_selector else []
    body = get_json(client, cluster, path, query=query, timeout=timeout)
    if body is None:
        return []
    return list(body.get("items") or [])


def server_version(client: ApiClient, cluster: str, timeout: float = 5.0) -> str:
    """The API server's gitVersion; the cheapest call that proves the cluster answers."""
    body = get_json(client, cluster, "/version", timeout=(timeout, timeout))
    return str((body or {}).get("gitVersion", ""))
