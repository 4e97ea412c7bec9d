"""The image built from the Containerfile serves the console from its own filesystem.

Its entrypoint (gunicorn) runs as the image's non-root user against the local clusters:
/healthz, /readyz and the Overview answer, and the static files collected at build time are
served. The Celery worker starts from the same image with another command.
"""

from __future__ import annotations

import os
import secrets
import subprocess

import pytest
import requests
import yaml

from mesh.sim.prometheus_server import free_port
from tests.plugins.console import NO_PROMETHEUS, wait_until_healthy

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("clusters")]

START_SECONDS = 90.0


def _give(mounted, name: str, text: str) -> str:
    """A file in the image's /tmp, readable by the image's user only; its path inside."""
    path = mounted.root / "tmp" / name
    path.write_text(text)
    uid = int(mounted.image.user)
    os.chown(path, uid, uid)
    path.chmod(0o600)
    return f"/tmp/{name}"


def test_the_image_serves_the_console_as_its_own_user(mounted_image, demo_mesh, east_cluster):
    image = mounted_image.image
    assert image.user == "1001" and image.entrypoint[0] == "gunicorn"
    kubeconfig = _give(
        mounted_image, "kubeconfig", yaml.safe_dump(east_cluster.kubeconfig("kiali"))
    )
    config = _give(
        mounted_image,
        "kiali.yaml",
        yaml.safe_dump(
            {
                "auth": {"strategy": "anonymous"},
                "external_services": {"prometheus": {"url": NO_PROMETHEUS}},
            }
        ),
    )
    port = free_port()
    env = {
        "KUBECONFIG": kubeconfig,
        "KIALI_CONFIG": config,
        "DATABASE_URL": "sqlite:////tmp/console.sqlite3",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "METRICS_PORT": str(free_port()),
        "GUNICORN_WORKERS": "1",
    }
    migrate = subprocess.run(
        mounted_image.command(["python3", "manage.py", "migrate", "-v0"], env),
        capture_output=True,
        timeout=120,
    )
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    server = subprocess.Popen(
        mounted_image.command(image.entrypoint, env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, server, START_SECONDS, lambda: repr(server.stderr.read()[-3000:]))
        assert requests.get(f"{url}/readyz", timeout=10).status_code == 200
        overview = requests.get(f"{url}/overview/", timeout=60)
        assert overview.status_code == 200 and "Overview" in overview.text
        css = overview.text.split('href="/static/css/console.', 1)[1].split('"', 1)[0]
        static = requests.get(f"{url}/static/css/console.{css}", timeout=10)
        assert static.status_code == 200
        owner = subprocess.run(
            ["pgrep", "-u", image.user, "-f", "gunicorn"], capture_output=True, text=True
        )
        assert owner.stdout.split(), "gunicorn is not running as the image's user"
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def test_the_celery_worker_starts_from_the_same_image(mounted_image):
    env = {"SECRET_KEY": "x" * 50, "DATABASE_URL": "sqlite:////tmp/console.sqlite3"}
    report = subprocess.run(
        mounted_image.command(["celery", "-A", "kiali_site", "report"], env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert report.returncode == 0, report.stderr[-2000:]
    assert "software -> celery" in report.stdout
