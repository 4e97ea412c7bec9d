"""Compiled copies of the traffic graph's hot modules, used only when built from these sources.

A big graph's build and JSON are pure Python work on tens of thousands of small objects,
and most of what the console adds to its Prometheus queries' time. mypyc compiles those
modules as they are (they are fully typed) into C extensions that do the same work in about
an eighth fewer instructions and a tenth to a quarter less time (graph bench). The
sources stay the truth: each build lives in a directory named after a digest of the sources
and the interpreter, and `install` puts that directory in front of the package's own only
when it holds a complete build for the sources as they are now. A module edited since is
imported from its source, never from a stale copy; KIALI_NATIVE=0 turns the copies off.

`python -m mesh.native` builds (a no-op when the current build exists) and removes builds
of older sources. It needs a C compiler, Python's headers and mypy (a dev dependency);
without them the console runs the same code uncompiled.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import sysconfig
import tempfile
from collections.abc import MutableSequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = (
    "mesh/graph/model.py",
    "mesh/graph/build.py",
    "mesh/graph/render.py",
    "mesh/graph/render_ahead.py",
)
# What they import from the project: mypyc reads their types when it compiles, so a build
# is only taken for the versions it read.
IMPORTED = (
    "mesh/graph/options.py",
    "mesh/graph/queries.py",
    "mesh/prometheus/client.py",
)
BUILDS = ROOT / ".native"
GROUP = "kiali_graph_native"  # the compiled modules' shared runtime library
_COMPLETE = "complete"  # written last: a directory without it is an interrupted build


def digest(root: Path = ROOT) -> str:
    """What a build depends on: the sources' bytes, the interpreter's ABI and platform."""
    h = hashlib.sha256()
    h.update(f"{sys.implementation.cache_tag} {sysconfig.get_config_var('EXT_SUFFIX')}".encode())
    for name in (*MODULES, *IMPORTED):
        h.update(name.encode() + b"\0" + (root / name).read_bytes() + b"\0")
    return h.hexdigest()[:20]


def build_dir(builds: Path = BUILDS) -> Path:
    return builds / digest()


def install(package_path: MutableSequence[str], builds: Path = BUILDS) -> bool:
    """Put the current build in front of mesh.graph's own directory; False when there is
    none (or it is turned off), and the package imports its sources as usual."""
    if os.environ.get("KIALI_NATIVE", "1") == "0":
        return False
    try:
        found = build_dir(builds=builds)
    except OSError:  # a source unreadable: nothing to check a build against
        return False
    if not (found / _COMPLETE).is_file():
        return False
    if str(found) not in sys.path:
        sys.path.append(str(found))  # the shared runtime; its name clashes with nothing
    package_path.insert(0, str(found / "mesh" / "graph"))
    return True


def build(builds: Path = BUILDS) -> Path:
    """Compile MODULES into their digest's directory, unless it is there already."""
    target = build_dir(builds=builds)
    if (target / _COMPLETE).is_file():
        return target
    from mypyc.build import mypycify  # only the build needs mypy
    from setuptools import Distribution

    builds.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="build-", dir=builds))
    cwd = os.getcwd()
    try:
        os.chdir(ROOT)  # mypyc names modules after their paths from here
        extensions = mypycify(
            list(MODULES), opt_level="3", group_name=GROUP, target_dir=str(work / "c")
        )
        command = Distribution({"name": GROUP, "ext_modules": extensions}).get_command_obj(
            "build_ext"
        )
        command.build_lib = str(work / "lib")
        command.build_temp = str(work / "tmp")
        command.ensure_finalized()
        command.run()
        (work / "lib" / _COMPLETE).write_text(target.name + "\n")
        os.replace(work / "lib", target)
    finally:
        os.chdir(cwd)
        shutil.rmtree(work, ignore_errors=True)
    return target


def prune(keep: Path, builds: Path = BUILDS) -> None:
    """Remove every other build: they were made from sources that are no longer these."""
    for other in builds.iterdir():
        if other.is_dir() and other != keep:
            shutil.rmtree(other, ignore_errors=True)


def main() -> int:
    try:
        target = build()
    except (Exception, SystemExit) as exc:  # no compiler, headers or mypy: run uncompiled
        print(f"graph modules not compiled ({type(exc).__name__}: {exc}); running them as Python")
        return 0
    prune(target)
    print(f"compiled graph modules: {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
