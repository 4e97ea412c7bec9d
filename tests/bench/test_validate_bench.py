"""How long `manage.py validate` takes over 1,000 objects of a realistic mix.

Prints wall time and objects per second (run with `-s` to see them); no timed assertion.
The target is under 2 s for 1,000 objects.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
NAMESPACES = 10
PER_NAMESPACE = 20  # services, each with a deployment, a VirtualService and a DestinationRule


def mesh_objects() -> list[dict]:
    """10 namespaces x (20 services, deployments, VS, DR + 5 gateways, 5 SE, 5 AP, 3 PA, 1 Sidecar, the Namespace)."""
    objs: list[dict] = []
    for n in range(NAMESPACES):
        ns = f"team-{n}"
        objs.append(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": ns, "labels": {"istio-injection": "enabled"}},
            }
        )
        for s in range(PER_NAMESPACE):
            app = f"svc-{s}"
            labels = {"app": app, "version": "v1"}
            objs.append(
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {"name": app, "namespace": ns},
                    "spec": {"selector": {"app": app}, "ports": [{"name": "http", "port": 8080}]},
                }
            )
            objs.append(
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": {"name": f"{app}-v1", "namespace": ns, "labels": labels},
                    "spec": {
                        "selector": {"matchLabels": labels},
                        "template": {
                            "metadata": {"labels": labels},
                            "spec": {
                                "serviceAccountName": app,
                                "containers": [{"name": app, "ports": [{"containerPort": 8080}]}],
                            },
                        },
                    },
                }
            )
            target = f"svc-{(s + 1) % PER_NAMESPACE}"
            objs.append(
                {
                    "apiVersion": "networking.istio.io/v1",
                    "kind": "VirtualService",
                    "metadata": {"name": app, "namespace": ns},
                    "spec": {
                        "hosts": [app],
                        "http": [
                            {
                                "route": [
                                    {"destination": {"host": app, "subset": "v1"}, "weight": 90},
                                    {
                                        "destination": {
                                            "host": f"{target}.{ns}.svc.cluster.local",
                                            "subset": "v2" if s % 7 == 0 else "v1",
                                        },
                                        "weight": 10,
                                    },
                                ]
                            }
                        ],
                    },
                }
            )
            objs.append(
                {
                    "apiVersion": "networking.istio.io/v1",
                    "kind": "DestinationRule",
                    "metadata": {"name": app, "namespace": ns},
                    "spec": {"host": app, "subsets": [{"name": "v1", "labels": {"version": "v1"}}]},
                }
            )
        for g in range(5):
            objs.append(
                {
                    "apiVersion": "networking.istio.io/v1",
                    "kind": "Gateway",
                    "metadata": {"name": f"gw-{g}", "namespace": ns},
                    "spec": {
                        "selector": {"istio": "ingressgateway"},
                        "servers": [
                            {
                                "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                                "hosts": [
                                    f"{ns}-{g}.example.com",
                                    f"*.{ns}.example.com" if g == 0 else f"x{g}.{ns}.example.com",
                                ],
                            }
                        ],
                    },
                }
            )
            objs.append(
                {
                    "apiVersion": "networking.istio.io/v1",
                    "kind": "ServiceEntry",
                    "metadata": {"name": f"ext-{g}", "namespace": ns},
                    "spec": {
                        "hosts": [f"api{g}.partner.com"],
                        "location": "MESH_EXTERNAL",
                        "ports": [{"number": 443, "name": "https", "protocol": "HTTPS"}],
                    },
                }
            )
            objs.append(
                {
                    "apiVersion": "security.istio.io/v1",
                    "kind": "AuthorizationPolicy",
                    "metadata": {"name": f"ap-{g}", "namespace": ns},
                    "spec": {
                        "selector": {"matchLabels": {"app": f"svc-{g}"}},
                        "rules": [
                            {
                                "from": [
                                    {
                                        "source": {
                                            "principals": [f"cluster.local/ns/{ns}/sa/svc-{g + 1}"],
                                            "namespaces": [ns],
                                        }
                                    }
                                ],
                                "to": [
                                    {
                                        "operation": {
                                            "methods": ["GET", "POST"],
                                            "hosts": [f"svc-{g}"],
                                        }
                                    }
                                ],
                            }
                        ],
                    },
                }
            )
        for p in range(3):
            spec = {"mtls": {"mode": "STRICT"}}
            if p:
                spec["selector"] = {"matchLabels": {"app": f"svc-{p}"}}
            objs.append(
                {
                    "apiVersion": "security.istio.io/v1",
                    "kind": "PeerAuthentication",
                    "metadata": {"name": f"pa-{p}", "namespace": ns},
                    "spec": spec,
                }
            )
        objs.append(
            {
                "apiVersion": "networking.istio.io/v1",
                "kind": "Sidecar",
                "metadata": {"name": "default", "namespace": ns},
                "spec": {"egress": [{"hosts": ["./*", "istio-system/*"]}]},
            }
        )
    return objs


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> Path:
    objs = mesh_objects()
    assert len(objs) == 1000
    path = tmp_path_factory.mktemp("bench") / "mesh.yaml"
    path.write_text(yaml.safe_dump_all(objs))
    return path


def report(label: str, seconds: float) -> None:
    print(f"\nvalidate {label}: 1000 objects in {seconds:.3f} s ({1000 / seconds:,.0f} objects/s)")


def test_validate_in_process(manifest):
    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.suppress(SystemExit):  # status 1 when the generated mix has errors
        call_command("validate", "--output", "json", str(manifest), stdout=out)
    report("in-process", time.perf_counter() - start)
    assert out.getvalue().startswith("[")


def test_validate_as_a_subprocess(manifest):
    env = {**os.environ, "DATABASE_URL": "sqlite:////nonexistent/dir/db.sqlite3"}
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "validate", "--output", "json", str(manifest)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    report("subprocess", time.perf_counter() - start)
    assert result.returncode in (0, 1), result.stderr
