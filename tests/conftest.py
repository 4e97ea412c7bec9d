"""Shared pytest configuration: each real peer (API servers, Prometheus, browser) is a plugin."""

pytest_plugins = [
    "tests.plugins.kube",
    "tests.plugins.prometheus",
    "tests.plugins.demo",
    "tests.plugins.console",
    "tests.plugins.browser",
    "tests.plugins.auth",
    "tests.plugins.auth_peers",
    "tests.plugins.image",
]
