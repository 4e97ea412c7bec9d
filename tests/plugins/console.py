"""Point the console under test at a cluster and a configuration, as a deployment would."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kiali_site.config import KialiConfig, parse_config
from mesh.clusters.registry import invalidate_registry
from mesh.sim.apiserver import LocalCluster


@pytest.fixture
def console_on(
    settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Callable[..., KialiConfig]]:
    """Factory: console_on(cluster, persona="kiali", config={...}) sets KUBECONFIG to the
    cluster with that persona's token and settings.KIALI to the given Kiali-layout mapping."""

    def configure(
        cluster: LocalCluster | None,
        persona: str = "kiali",
        config: dict[str, Any] | None = None,
    ) -> KialiConfig:
        document = {"auth": {"strategy": "anonymous"}, **(config or {})}
        settings.KIALI = parse_config(yaml.safe_dump(document), "test config")
        if cluster is None:
            monkeypatch.delenv("KUBECONFIG", raising=False)
        else:
            path = cluster.write_kubeconfig(
                tmp_path / f"{cluster.name}-{persona}.kubeconfig", persona=persona
            )
            monkeypatch.setenv("KUBECONFIG", str(path))
        monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
        invalidate_registry()
        return settings.KIALI  # type: ignore[no-any-return]

    yield configure
    invalidate_registry()
