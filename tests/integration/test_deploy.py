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
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from kiali_site.config import parse_config
from mesh.clusters.registry import invalidate_registry
from mesh.kube.access import get_json
from mesh.kube.remote_access import REMOTE_RULES, secret_name
from mesh.sim.apiserver import LocalCluster
from mesh.sim.demo import publish_remote_cluster
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
def deployed(demo_mesh, east_cluster: LocalCluster, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """Removed afterwards: other tests read the demo's namespaces as the demo left them."""
    admin = east_cluster.write_kubeconfig(tmp_path / "admin.kubeconfig")
    base = str(ROOT / "deploy" / "base")
    kubectl(east_cluster, admin, "apply", "--server-side", "-k", base)
    try:
        token = kubectl(east_cluster, admin, "create", "token", ACCOUNT, "-n", NAMESPACE).strip()
        yield admin, token
    finally:
        kubectl(east_cluster, admin, "delete", "--ignore-not-found", "-k", base)


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


def test_the_overlays_are_accepted_and_the_remote_rules_agree(east_cluster, west_cluster, tmp_path):
    east = east_cluster.write_kubeconfig(tmp_path / "east.kubeconfig")
    west = west_cluster.write_kubeconfig(tmp_path / "west.kubeconfig")
    for overlay in ("postgres", "external"):
        path = str(ROOT / "deploy" / "overlays" / overlay)
        kubectl(east_cluster, east, "apply", "--server-side", "--dry-run=server", "-k", path)
    external = kubectl(
        east_cluster, east, "kustomize", str(ROOT / "deploy" / "overlays" / "external")
    )
    (config,) = [
        d
        for d in yaml.safe_load_all(external)
        if d["metadata"]["name"] == "kiali-console" and d["kind"] == "ConfigMap"
    ]
    parsed = parse_config(config["data"]["config.yaml"], "external overlay")
    assert parsed.clustering.ignore_home_cluster
    remote = ROOT / "deploy" / "overlays" / "remote-cluster"
    kubectl(west_cluster, west, "apply", "--server-side", "--dry-run=server", "-k", str(remote))
    rendered = list(yaml.safe_load_all(kubectl(west_cluster, west, "kustomize", str(remote))))
    (role,) = [d for d in rendered if d["kind"] == "ClusterRole"]
    assert role["rules"] == REMOTE_RULES


@pytest.fixture
def west_through_the_command(demo_mesh, east_cluster, west_cluster, tmp_path) -> Iterator[None]:
    """West added as an operator would: remote_cluster_secret with admin kubeconfigs. The
    demo's own bundle Secret (the test clusters' shortcut) is set aside meanwhile."""
    east = east_cluster.write_kubeconfig(tmp_path / "east-admin.kubeconfig")
    west = west_cluster.write_kubeconfig(tmp_path / "west-admin.kubeconfig")
    kubectl(
        east_cluster,
        east,
        "delete",
        "secret",
        "kiali-multi-cluster-secret",
        "-n",
        NAMESPACE,
        "--ignore-not-found",
    )
    call_command(
        "remote_cluster_secret",
        "--remote-kubeconfig",
        str(west),
        "--cluster-name",
        "west",
        "--home-kubeconfig",
        str(east),
        "--namespace",
        NAMESPACE,
        "--token-seconds",
        "3600",
    )
    try:
        yield
    finally:
        kubectl(east_cluster, east, "delete", "secret", secret_name("west"), "-n", NAMESPACE)
        publish_remote_cluster(east_cluster, west_cluster)


def test_remote_cluster_secret_dry_run_prints_the_secret_and_writes_nothing_home(
    demo_mesh, east_cluster, west_cluster, tmp_path, capsys
):
    west = west_cluster.write_kubeconfig(tmp_path / "west-admin.kubeconfig")
    call_command(
        "remote_cluster_secret",
        "--remote-kubeconfig",
        str(west),
        "--cluster-name",
        "far",
        "--namespace",
        NAMESPACE,
        "--dry-run",
    )
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["metadata"]["labels"] == {"kiali.io/multiCluster": "true"}
    assert list(printed["data"]) == ["far"]
    with east_cluster.api_client("admin") as admin:
        path = f"/api/v1/namespaces/{NAMESPACE}/secrets/{secret_name('far')}"
        assert get_json(admin, "east", path) is None


def test_remote_cluster_secret_says_what_is_wrong_with_a_bad_kubeconfig(tmp_path):
    from django.core.management.base import CommandError

    missing = tmp_path / "nope.kubeconfig"
    with pytest.raises(CommandError, match=r"remote kubeconfig .*nope\.kubeconfig: No such file"):
        call_command("remote_cluster_secret", "--remote-kubeconfig", str(missing), "--dry-run")
    garbage = tmp_path / "garbage.kubeconfig"
    garbage.write_text("contexts: [")
    with pytest.raises(CommandError, match="is not valid YAML"):
        call_command("remote_cluster_secret", "--remote-kubeconfig", str(garbage), "--dry-run")


def test_the_console_works_with_exactly_the_accounts_rights(
    deployed,
    west_through_the_command,
    east_cluster,
    prometheus_server,
    client,
    settings,
    monkeypatch,
    tmp_path,
    caplog,
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

    # Lists name their namespaces (none: all of them), or the choice last made would apply.
    pages = [
        "/overview/",
        "/mesh/",
        "/namespaces/?namespaces=",
        "/namespaces/bookinfo/?clusterName=east",
    ]
    pages += [
        "/applications/?namespaces=",
        "/workloads/?namespaces=",
        "/services/?namespaces=",
        "/istio/?namespaces=",
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
        "/workloads/?namespaces=&clusterName=west",
        "/workloads/west/sample/sleep/",
        "/api/namespaces/graph?namespaces=sample&graphType=workload&duration=60s",
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
    mesh_page = answers["/mesh/"].content.decode()
    assert "istiod" in mesh_page and 'data-cluster="west"' in mesh_page
    assert (
        "/workloads/west/sample/sleep/"
        in answers["/workloads/?namespaces=&clusterName=west"].content.decode()
    )
    assert (
        "/applications/east/bookinfo/productpage/"
        in answers["/applications/?namespaces="].content.decode()
    )
    graph = next(a for p, a in answers.items() if p.startswith("/api/namespaces/graph")).json()
    assert len(graph["elements"]["nodes"]) > 5
    refused = [r.getMessage() for r in caplog.records if "answered 403" in r.getMessage()]
    assert not refused, refused
    invalidate_registry()
