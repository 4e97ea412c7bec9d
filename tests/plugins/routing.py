"""A namespace of its own for tests that change routing: a two-version service whose
routing alice (a mesh-wide reader) may change there and nowhere else."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.cache import cache

from mesh.inventory.store import read_snapshot
from mesh.kube.access import get_json
from mesh.sim.loader import apply_manifests

NETWORKING = "/apis/networking.istio.io/v1"

SHOP = """
apiVersion: v1
kind: Service
metadata: {{name: shop, namespace: {ns}}}
spec: {{ports: [{{port: 8080, name: http}}], selector: {{app: shop}}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: shop-v1, namespace: {ns}, labels: {{app: shop, version: v1}}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: shop, version: v1}}}}
  template:
    metadata: {{labels: {{app: shop, version: v1}}}}
    spec: {{containers: [{{name: shop, image: shop:1}}]}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: shop-v2, namespace: {ns}, labels: {{app: shop, version: v2}}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: shop, version: v2}}}}
  template:
    metadata: {{labels: {{app: shop, version: v2}}}}
    spec: {{containers: [{{name: shop, image: shop:2}}]}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: routing-editor, namespace: {ns}}}
rules:
- apiGroups: [networking.istio.io]
  resources: [virtualservices, destinationrules]
  verbs: [get, list, watch, create, update, patch, delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: alice-routes, namespace: {ns}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: routing-editor}}
subjects: [{{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}}]
"""


@pytest.fixture
def shop(east_cluster, demo_mesh, fresh_namespace, tmp_path: Path, console_on) -> str:
    """A namespace with a two-version service whose routing alice (a mesh-wide reader) may
    change here and nowhere else. Namespaces outlive tests on these API servers, so no
    other persona is granted anything: their visibility stays what other tests expect."""
    cache.clear()
    namespace = fresh_namespace(east_cluster, "shop")
    path = tmp_path / "shop.yaml"
    path.write_text(SHOP.format(ns=namespace))
    with east_cluster.api_client("admin") as client:
        apply_manifests(client, [path], cluster_name="east", with_istio_crds=False)
    config = console_on(east_cluster, config={"auth": {"strategy": "token"}})
    with east_cluster.api_client("kiali") as client:
        read_snapshot(client, "east", config)  # the new namespace is in the inventory
    return namespace


def login(client, cluster, persona: str) -> None:
    answer = client.post("/login/", {"token": cluster.tokens[persona], "next": "/overview/"})
    assert answer.status_code == 302, answer.content[:300]


def routing_object(cluster, namespace: str, plural: str, name: str = "shop") -> dict | None:
    with cluster.api_client("admin") as api:
        return get_json(api, "east", f"{NETWORKING}/namespaces/{namespace}/{plural}/{name}")
