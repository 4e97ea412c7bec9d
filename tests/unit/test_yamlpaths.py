"""The YAML shown on the Istio Config detail page, and where each finding's field is."""

from __future__ import annotations

import yaml

from validations.yamlpaths import pathed_yaml

VS = {
    "apiVersion": "networking.istio.io/v1",
    "kind": "VirtualService",
    "metadata": {"name": "reviews", "namespace": "bookinfo"},
    "spec": {
        "hosts": ["reviews"],
        "http": [
            {
                "route": [
                    {"destination": {"host": "reviews", "subset": "v1"}, "weight": 80},
                    {"destination": {"host": "reviews", "subset": "v9"}, "weight": 20},
                ]
            },
        ],
        "exportTo": [],
        "gateways": ["mesh", "yes"],
    },
}


def test_the_text_is_the_same_yaml_as_the_object():
    shown = pathed_yaml(VS)
    assert yaml.safe_load("\n".join(shown.lines)) == VS


def test_a_path_points_at_the_lines_of_its_field():
    shown = pathed_yaml(VS)
    start, end = shown.span_of("spec/http[0]/route[1]/destination")
    assert shown.lines[start:end] == [
        "        - destination:",
        "            host: reviews",
        "            subset: v9",
    ]
    start, end = shown.span_of("spec/hosts[0]")
    assert shown.lines[start:end] == ["    - reviews"]


def test_a_path_below_what_is_shown_falls_back_to_its_nearest_ancestor():
    shown = pathed_yaml(VS)
    assert shown.span_of("spec/http[0]/route[0]/destination/port") == shown.span_of(
        "spec/http[0]/route[0]/destination"
    )
    assert shown.span_of("nothing/here") is None
