"""`manage.py validate` end to end: in-process, and as a subprocess for exit codes and stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]

BROKEN_VS = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: bookinfo
spec:
  hosts: [reviews]
  gateways: [missing-gateway]
  http:
  - route:
    - destination: {host: reviews, subset: v9}
"""
SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: bookinfo}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
"""
CLEAN_DR = """\
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews.bookinfo.svc.cluster.local
"""


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": "sqlite:////nonexistent/dir/db.sqlite3"}
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "validate", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


def test_call_command_prints_one_json_element_per_validated_object(tmp_path, capsys):
    files = [write(tmp_path, "a.yaml", BROKEN_VS + "---\n" + SERVICE)]
    with pytest.raises(SystemExit) as exit_info:
        call_command("validate", "--output", "json", *files)
    assert exit_info.value.code == 1
    rows = json.loads(capsys.readouterr().out)
    vs = next(r for r in rows if r["kind"] == "VirtualService")
    assert vs == {
        "kind": "VirtualService",
        "namespace": "bookinfo",
        "name": "reviews",
        "valid": False,
        "checks": [
            {
                "code": "KIA1102",
                "severity": "error",
                "path": "spec/gateways[0]",
                "message": vs["checks"][0]["message"],
            },
            {
                "code": "KIA1107",
                "severity": "warning",
                "path": "spec/http[0]/route[0]/destination",
                "message": vs["checks"][1]["message"],
            },
        ],
    }
    assert {r["kind"] for r in rows} == {"VirtualService", "Service"}


def test_objects_without_namespace_take_the_namespace_option(tmp_path, capsys):
    call_command(
        "validate",
        "--output",
        "json",
        "--namespace",
        "bookinfo",
        write(tmp_path, "dr.yaml", CLEAN_DR),
        write(tmp_path, "svc.yaml", SERVICE),
    )
    rows = json.loads(capsys.readouterr().out)
    assert {
        "kind": "DestinationRule",
        "namespace": "bookinfo",
        "name": "reviews",
        "valid": True,
        "checks": [],
    } in rows


def test_kind_list_documents_are_unpacked(tmp_path, capsys):
    items = "apiVersion: v1\nkind: List\nitems:\n" + "".join(
        "- " + doc.replace("\n", "\n  ").rstrip() + "\n" for doc in (SERVICE, CLEAN_DR)
    )
    call_command(
        "validate", "--output", "json", "--namespace", "bookinfo", write(tmp_path, "l.yaml", items)
    )
    assert {r["kind"] for r in json.loads(capsys.readouterr().out)} == {
        "Service",
        "DestinationRule",
    }


def test_text_report_names_objects_and_counts(tmp_path, capsys):
    with pytest.raises(SystemExit):
        call_command("validate", write(tmp_path, "a.yaml", BROKEN_VS))
    out = capsys.readouterr().out
    assert "VirtualService bookinfo/reviews: NOT VALID" in out
    assert "KIA1102" in out and "objects validated: 1 errors" in out


def test_exit_status_is_0_without_errors_and_runs_without_a_database(tmp_path):
    result = run_cli(
        "--namespace",
        "bookinfo",
        write(tmp_path, "dr.yaml", CLEAN_DR),
        write(tmp_path, "s.yaml", SERVICE),
    )
    assert result.returncode == 0, result.stderr
    assert "objects validated: 0 errors" in result.stdout


def test_exit_status_is_1_when_an_error_is_found(tmp_path):
    result = run_cli("--output", "json", write(tmp_path, "a.yaml", BROKEN_VS))
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)[0]["checks"]


def test_exit_status_is_2_when_nothing_could_be_validated(tmp_path):
    result = run_cli(write(tmp_path, "bad.yaml", "kind: Service\n- stray item\n"))
    assert result.returncode == 2
    assert "bad.yaml:2: " in result.stderr and "not valid YAML" in result.stderr


def test_bad_documents_are_reported_with_file_and_line_and_the_rest_still_validated(tmp_path):
    text = (
        BROKEN_VS  # lines 1-11
        + "---\n"  # line 12
        + "apiVersion: v1\nmetadata: {name: nokind}\n"  # line 13: no kind
        + "---\n"
        + "apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: x}\n"  # line 16: no name
        + "---\n"
        + "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"  # line 20: unknown
        + "---\n"
        + "apiVersion: v1\nkind: Role\nmetadata: {name: quietly-ignored}\n"
    )
    path = write(tmp_path, "mixed.yaml", text)
    result = run_cli("--output", "json", path)
    assert result.returncode == 1
    assert f"{path}:13: document without kind" in result.stderr
    assert f"{path}:16: document without metadata.name" in result.stderr
    assert f"{path}:20: unknown kind Widget" in result.stderr
    assert "quietly-ignored" not in result.stderr
    assert [r["name"] for r in json.loads(result.stdout)] == ["reviews"]


def test_a_file_that_is_not_yaml_is_named_and_other_files_still_count(tmp_path):
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    broken = write(tmp_path, "broken.yaml", SERVICE + "---\nfoo: [1, 2\n")
    result = run_cli(str(binary), broken, "--namespace", "bookinfo")
    assert result.returncode == 0, result.stderr
    assert f"{binary}: not a YAML file" in result.stderr
    assert f"{broken}:" in result.stderr and "not valid YAML" in result.stderr
    assert "1 objects validated" in result.stdout


def test_missing_file_is_reported(tmp_path):
    result = run_cli(str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    assert "nope.yaml: cannot read the file" in result.stderr
