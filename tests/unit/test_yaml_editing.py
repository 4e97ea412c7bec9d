"""What the YAML editor shows and sends back (mesh/writes/editing.py)."""

from __future__ import annotations

import pytest

from mesh.writes.editing import EditError, editable_text, parsed_edit

STORED = {
    "apiVersion": "networking.istio.io/v1",
    "kind": "DestinationRule",
    "metadata": {
        "name": "reviews",
        "namespace": "shop",
        "resourceVersion": "42",
        "uid": "abc",
        "managedFields": [{"manager": "kubectl"}],
        "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
        "labels": {"team": "shop"},
    },
    "spec": {"host": "reviews", "subsets": [{"name": "v1", "labels": {"version": "v1"}}]},
    "status": {"observedGeneration": 1},
}


def test_the_editor_shows_the_users_fields_only_in_a_readable_order():
    text = editable_text(STORED)
    assert text.splitlines()[:3] == [
        "apiVersion: networking.istio.io/v1",
        "kind: DestinationRule",
        "metadata:",
    ]
    for server_field in ("resourceVersion", "uid", "managedFields", "last-applied", "status"):
        assert server_field not in text


def test_an_edit_comes_back_as_plain_data_and_must_stay_the_same_object():
    text = editable_text(STORED).replace("host: reviews", "host: reviews  # the canary's")
    edited = parsed_edit(text, "networking.istio.io/v1", "DestinationRule", "shop", "reviews")
    assert edited["spec"]["host"] == "reviews" and edited["metadata"]["namespace"] == "shop"
    assert type(edited["spec"]) is dict  # plain JSON data, not ruamel's types
    with pytest.raises(EditError, match="line 2"):
        parsed_edit("kind: X\nspec: [a", "v1", "X", "shop", "reviews")
    with pytest.raises(EditError, match="cannot be changed here"):
        parsed_edit(
            text.replace("name: reviews", "name: ratings"),
            "networking.istio.io/v1",
            "DestinationRule",
            "shop",
            "reviews",
        )
    with pytest.raises(EditError, match="one object"):
        parsed_edit("- a\n- b\n", "v1", "X", "shop", "reviews")
