"""mesh.native: compiled graph modules are taken only when built from the sources as they are."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

import mesh.graph.build
from mesh import native


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    for name in (*native.MODULES, *native.IMPORTED):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(native.ROOT / name, root / name)
    return root


def test_an_edited_source_changes_the_digest(sources: Path) -> None:
    before = native.digest(sources)
    assert native.digest(sources) == before
    for name in (native.MODULES[1], native.IMPORTED[0]):
        path = sources / name
        path.write_text(path.read_text() + "\n# edited\n")
        after = native.digest(sources)
        assert after != before
        before = after


def test_only_a_complete_build_of_the_current_sources_is_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delenv("KIALI_NATIVE", raising=False)
    builds = tmp_path / "builds"
    current = native.build_dir(builds=builds)
    path: list[str] = ["/src/mesh/graph"]

    (builds / "0123456789abcdef0123").mkdir(parents=True)  # a build of other sources
    (builds / "0123456789abcdef0123" / "complete").write_text("")
    current.mkdir()  # interrupted: no marker
    assert native.install(path, builds=builds) is False
    assert path == ["/src/mesh/graph"]

    (current / "complete").write_text("")
    assert native.install(path, builds=builds) is True
    assert path == [str(current / "mesh" / "graph"), "/src/mesh/graph"]
    assert str(current) in sys.path

    monkeypatch.setenv("KIALI_NATIVE", "0")
    assert native.install(["/src/mesh/graph"], builds=builds) is False


def test_prune_keeps_only_the_current_build(tmp_path: Path) -> None:
    for name in ("old", "current"):
        (tmp_path / name).mkdir()
    native.prune(tmp_path / "current", builds=tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["current"]


def test_this_process_imported_what_install_found() -> None:
    built = (native.build_dir() / "complete").is_file()
    wanted = built and os.environ.get("KIALI_NATIVE", "1") != "0"
    compiled = not mesh.graph.build.__file__.endswith(".py")
    assert compiled == wanted
