"""Shared pytest configuration: each real peer (API servers, Prometheus, browser) is a plugin."""

import pytest

pytest_plugins = [
    "tests.plugins.kube",
    "tests.plugins.prometheus",
    "tests.plugins.demo",
    "tests.plugins.console",
    "tests.plugins.browser",
    "tests.plugins.auth",
    "tests.plugins.auth_peers",
    "tests.plugins.image",
    "tests.plugins.routing",
]


@pytest.fixture(autouse=True)
def _no_outages_carried_over() -> None:
    """Breakers are per process: one test's stopped Prometheus or cluster must not make the
    next test's calls fail fast."""
    from mesh.outages import reset

    reset()
