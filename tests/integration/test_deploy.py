"""deploy/ applied to a real API server, and the console run with the account it creates.

The manifests go in with server-side apply, so the API server validates every object. The
console's ServiceAccount token comes from the TokenRequest API, as a pod would get it; the
console then serves every navigation page, a detail page of each kind, the graph and the
health API with that token as its home-cluster credential, and the API server refuses none
of its reads.
"""

from __future__ import annotations

import logging
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from kiali_site.config import parse_config
from mesh.clusters.registry import invalidate_registry
from mesh.sim.apiserver import LocalCluster
from tests.plugins.prometheus import wait_for_samples

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("clusters")]

ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = "istio-system"
ACCOUNT = "kiali-console"
WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")


def kubectl(cluster: LocalCluster, kubeconfig: Path, *args: str) -> str:
    done = subprocess.run(
        ["kubectl", "--kubeconfig", str(kubeconfig), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def deployed(demo_mesh, east_cluster: LocalCluster, tmp_path: Path) -> tuple[Path, str]:
    admin = east_cluster.write_kubeconfig(tmp_path / "admin.kubeconfig")
    kubectl(east_cluster, admin, "apply", "--server-side", "-k", str(ROOT / "deploy" / "base"))
    token = kubectl(east_cluster, admin, "create", "token", ACCOUNT, "-n", NAMESPACE).strip()
    return admin, token


def test_the_base_is_accepted_and_its_account_may_write_nothing(deployed, east_cluster):
    admin, _ = deployed
    names = kubectl(
        east_cluster,
        admin,
        "get",
        "deploy,svc,cm,sa,role,rolebinding",
        "-n",
        NAMESPACE,
        "-o",
        "name",
    )
    for expected in (
        "deployment.apps/kiali-console",
        "deployment.apps/kiali-console-worker",
        "deployment.apps/kiali-console-beat",
        "deployment.apps/kiali-console-redis",
        "service/kiali-console",
        "serviceaccount/kiali-console",
    ):
        assert expected in names
    subject = f"system:serviceaccount:{NAMESPACE}:{ACCOUNT}"
    for resource in (
        "pods",
        "deployments.apps",
        "virtualservices.networking.istio.io",
        "secrets",
        "namespaces",
        "configmaps",
    ):
        for verb in WRITE_VERBS:
            answer = subprocess.run(
                [
                    "kubectl",
                    "--kubeconfig",
                    str(admin),
                    "auth",
                    "can-i",
                    verb,
                    resource,
                    "-A",
                    "--as",
                    subject,
                ],
                capture_output=True,
                text=True,
            )
            assert answer.stdout.strip() == "no", (verb, resource)
    role = yaml.safe_load_all((ROOT / "deploy" / "base" / "rbac.yaml").read_text())
    for document in role:
        for rule in document.get("rules") or []:
            writes = set(rule["verbs"]) - {"get", "list", "watch"}
            assert not writes or rule["resources"] == ["tokenreviews"], rule


def test_the_console_works_with_exactly_the_accounts_rights(
    deployed, east_cluster, prometheus_server, client, settings, monkeypatch, tmp_path, caplog
):
    _, token = deployed
    kubeconfig = tmp_path / "console.kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(east_cluster.kubeconfig(token=token)))
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    settings.KIALI = parse_config(
        yaml.safe_dump(
            {
                "auth": {"strategy": "anonymous"},
                "deployment": {"namespace": NAMESPACE},
                "external_services": {"prometheus": {"url": prometheus_server.url}},
            }
        ),
        "test config",
    )
    invalidate_registry()
    wait_for_samples(prometheus_server.url, "sum(rate(istio_requests_total[60s])) > 0")
    caplog.set_level(logging.INFO, logger="mesh.kube.access")

    pages = ["/overview/", "/mesh/", "/namespaces/", "/namespaces/bookinfo/?clusterName=east"]
    pages += [
        "/applications/",
        "/workloads/",
        "/services/",
        "/istio/",
        "/graph/?namespaces=bookinfo",
    ]
    pages += [
        "/applications/east/bookinfo/productpage/",
        "/workloads/east/bookinfo/productpage-v1/",
        "/services/east/bookinfo/productpage/",
        "/services/east/bookinfo/reviews/?tab=traffic",
        "/api/namespaces/graph?namespaces=bookinfo,ecommerce&graphType=versionedApp&duration=60s",
        "/api/clusters/health?namespaces=bookinfo&clusterName=east&type=app",
        "/api/namespaces",
    ]
    istio_list = client.get("/istio/?namespaces=bookinfo").content.decode()
    detail = re.search(r'href="(/istio/east/bookinfo/VirtualService/[^"]+/)"', istio_list)
    assert detail, "no VirtualService listed in bookinfo"
    pages.append(detail.group(1))
    answers = {}
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, (page, response.status_code, response.content[:300])
        answers[page] = response
    # Not empty pages that happen to answer 200: what the account reads is on them.
    assert "istiod" in answers["/mesh/"].content.decode()
    assert "/applications/east/bookinfo/productpage/" in answers["/applications/"].content.decode()
    graph = next(a for p, a in answers.items() if p.startswith("/api/namespaces/graph")).json()
    assert len(graph["elements"]["nodes"]) > 5
    refused = [r.getMessage() for r in caplog.records if "answered 403" in r.getMessage()]
    assert not refused, refused
    invalidate_registry()
