"""The labels Kiali's injection actions leave on a namespace (mesh/writes/namespaces.py)."""

from __future__ import annotations

import pytest

from mesh.writes.namespaces import available_actions, injection_labels

INJECTION, REVISION = "istio-injection", "istio.io/rev"


def test_each_action_sets_or_removes_the_label_and_drops_the_revision():
    labels = {"team": "shop", REVISION: "canary"}
    assert injection_labels(labels, "enable", INJECTION, REVISION) == {
        "team": "shop",
        INJECTION: "enabled",
    }
    assert injection_labels(labels, "disable", INJECTION, REVISION)[INJECTION] == "disabled"
    assert injection_labels({INJECTION: "enabled"}, "remove", INJECTION, REVISION) == {}
    with pytest.raises(ValueError):
        injection_labels(labels, "explode", INJECTION, REVISION)


def test_only_actions_that_change_something_are_offered():
    assert available_actions({}, INJECTION, REVISION) == ["enable"]
    assert available_actions({INJECTION: "enabled"}, INJECTION, REVISION) == ["disable", "remove"]
    assert available_actions({INJECTION: "disabled"}, INJECTION, REVISION) == ["enable", "remove"]
    assert available_actions({REVISION: "canary"}, INJECTION, REVISION) == [
        "enable",
        "disable",
        "remove",
    ]
