"""The console's image, built for real with podman from a local Debian base (see
../shared/REAL-CONTAINERS.md): no registry is reachable, and `podman run` cannot set its
limits on these machines, so the image's filesystem is run with chroot instead.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASE_IMAGE = "localhost/debian-python:bookworm"
IMAGE = "localhost/kiali-console-test"
PODMAN = ["podman", "--cgroup-manager=cgroupfs"]
# Where this machine keeps the CA bundle that its package proxy's certificates chain to.
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def _run(args: list[str], timeout: float = 900) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(args[:4])}… failed: {(done.stderr or done.stdout)[-3000:]}")
    return done.stdout


def ensure_base_image(workdir: Path) -> None:
    """A minimal Debian bookworm with Python 3.11, made once per machine (about a minute)."""
    if subprocess.run([*PODMAN, "image", "exists", BASE_IMAGE]).returncode == 0:
        return
    rootfs = workdir / "rootfs.tar"
    _run(
        [
            "mmdebstrap",
            "--variant=minbase",
            "--include=python3,python3-venv",
            "bookworm",
            str(rootfs),
        ]
    )
    _run([*PODMAN, "import", str(rootfs), BASE_IMAGE])
    rootfs.unlink()


@dataclass(frozen=True)
class BuiltImage:
    name: str
    env: dict[str, str]
    entrypoint: list[str]
    workdir: str
    user: str


@pytest.fixture(scope="session")
def console_image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltImage]:
    ensure_base_image(tmp_path_factory.mktemp("image-base"))
    build = [*PODMAN, "build", "--isolation=chroot", "--build-arg", f"BASE={BASE_IMAGE}"]
    if HOST_CA_BUNDLE.exists():
        build += [
            "--volume",
            f"{HOST_CA_BUNDLE}:/run/build-ca.crt:ro",
            "--build-arg",
            "PIP_CERT=/run/build-ca.crt",
        ]
    _run([*build, "-t", IMAGE, "-f", str(ROOT / "Containerfile"), str(ROOT)])
    config = json.loads(_run([*PODMAN, "image", "inspect", IMAGE]))[0]["Config"]
    env = dict(item.split("=", 1) for item in config.get("Env") or [])
    yield BuiltImage(IMAGE, env, config["Entrypoint"], config["WorkingDir"], config["User"])


@dataclass
class MountedImage:
    """A container's filesystem mounted on the host: run its programs with chroot."""

    container: str
    root: Path
    image: BuiltImage

    def command(self, args: list[str], env: dict[str, str]) -> list[str]:
        user = f"{self.image.user}:{self.image.user}"
        environment = [f"{k}={v}" for k, v in {**self.image.env, **env}.items()]
        inner = ["env", "-i", *environment, *args]
        return [
            "chroot",
            f"--userspec={user}",
            str(self.root),
            "sh",
            "-c",
            f'cd {self.image.workdir} && exec "$@"',
            "sh",
            *inner,
        ]


@pytest.fixture
def mounted_image(console_image: BuiltImage) -> Iterator[MountedImage]:
    container = _run([*PODMAN, "create", console_image.name]).strip()
    root = Path(_run([*PODMAN, "mount", container]).strip())
    try:
        yield MountedImage(container, root, console_image)
    finally:
        subprocess.run([*PODMAN, "umount", container], capture_output=True)
        subprocess.run([*PODMAN, "rm", "-f", container], capture_output=True)
