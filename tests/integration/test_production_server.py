"""The console behind gunicorn with DEBUG off, as `make demo` and the image run it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time

import pytest
import requests

from mesh.sim.demo import ROOT, server_command
from mesh.sim.prometheus_server import free_port

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("clusters")]

START_SECONDS = 60.0


@pytest.fixture
def production_server(gunicorn_console) -> tuple[str, str]:
    return gunicorn_console({})


def test_gunicorn_serves_pages_and_hashed_static_files_with_debug_off(production_server):
    production_server, _ = production_server
    overview = requests.get(f"{production_server}/overview/", timeout=30)
    assert overview.status_code == 200
    assert "<h1" in overview.text and "Overview" in overview.text
    stylesheets = re.findall(r'href="(/static/[^"]+\.css)"', overview.text)
    assert stylesheets
    assert all(re.search(r"\.[0-9a-f]{12}\.css$", href) for href in stylesheets)  # hashed
    css = requests.get(f"{production_server}{stylesheets[0]}", timeout=10)
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")
    assert "max-age=315360000" in css.headers.get("Cache-Control", "")


def test_unknown_addresses_get_the_consoles_own_answers(production_server):
    production_server, _ = production_server
    page = requests.get(f"{production_server}/no/such/page/", timeout=10)
    assert page.status_code == 404
    assert "There is nothing at this address." in page.text
    assert "URLconf" not in page.text and "DEBUG = True" not in page.text
    api = requests.get(f"{production_server}/api/no/such/route", timeout=10)
    assert api.status_code == 404 and api.json() == {"error": "not found"}


def test_sigterm_stops_the_server_gracefully(demo_mesh, east_cluster, tmp_path):
    port = free_port()
    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": "x" * 50}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    server = subprocess.Popen(
        server_command(port), env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
            break
        except requests.RequestException:
            time.sleep(0.2)
    started = time.monotonic()
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=30) == 0
    assert time.monotonic() - started < 10
    assert b"Shutting down" in server.stderr.read()


def test_without_a_secret_key_the_server_refuses_to_start_with_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    env |= {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "GUNICORN_WORKERS": "1"}
    server = subprocess.run(
        server_command(free_port()), env=env, cwd=ROOT, capture_output=True, timeout=60
    )
    assert server.returncode != 0
    lines = [line for line in server.stderr.decode().splitlines() if "SECRET_KEY" in line]
    assert lines == [
        "configuration error: SECRET_KEY is not set; give the console a long random key "
        "(for example from a Kubernetes Secret) or set DEBUG=1 for development"
    ]
    assert "Traceback" not in server.stderr.decode()


def test_the_consoles_own_metrics_are_served_on_their_port_only(production_server):
    console, metrics = production_server
    for _ in range(4):  # over both workers
        assert requests.get(f"{console}/overview/", timeout=30).status_code == 200
    assert requests.get(f"{console}/metrics", timeout=10).status_code == 404
    answer = requests.get(f"{metrics}/metrics", timeout=10)
    assert answer.status_code == 200
    text = answer.text
    overview = re.search(
        r'kiali_console_http_request_duration_seconds_count\{code="200",method="GET",'
        r'view="overview"\} (\d+)',
        text,
    )
    assert overview, text[:3000]
    assert float(overview.group(1)) >= 4  # summed across the workers
    assert re.search(
        r'kiali_console_kube_api_requests_total\{cluster="[^"]+",code="200",verb="get"\}', text
    )
    assert 'kiali_console_cache_lookups_total{cache="cluster-snapshot",result="hit"}' in text
    assert "kiali_console_prometheus_query_errors_total" in text  # Prometheus is down here


def test_under_a_web_root_every_page_link_static_file_and_api_carries_it(gunicorn_console):
    server, _ = gunicorn_console({"server": {"web_root": "/kiali"}})
    overview = requests.get(f"{server}/kiali/overview/", timeout=30)
    assert overview.status_code == 200
    links = re.findall(r'(?:href|src|hx-get|action)="(/[^"]*)"', overview.text)
    assert links and all(link.startswith("/kiali/") for link in links), [
        link for link in links if not link.startswith("/kiali/")
    ]
    css = next(link for link in links if link.endswith(".css"))
    assert requests.get(f"{server}{css}", timeout=10).status_code == 200
    assert requests.get(f"{server}/overview/", timeout=10).status_code == 404
    namespaces = requests.get(f"{server}/kiali/api/namespaces", timeout=30)
    assert namespaces.status_code == 200 and namespaces.json()
    assert (
        requests.get(f"{server}/kiali/", timeout=10, allow_redirects=False)
        .headers["Location"]
        .startswith("/kiali/overview/")
    )
