"""Editing an Istio object's YAML (IC-07): what the editor shows, and what it sends back.

The text is read and written with ruamel.yaml's round-trip mode, so what the user typed
(comments, key order, quoting) is what the preview shows; the API server stores only the
data. Fields the server owns (status, managedFields, uid, resourceVersion, timestamps) are
left out of the editor: the resourceVersion travels beside it, to detect a concurrent change.
"""

from __future__ import annotations

import io
import json
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

SERVER_FIELDS = (
    "managedFields",
    "resourceVersion",
    "uid",
    "generation",
    "creationTimestamp",
    "selfLink",
)
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


class EditError(ValueError):
    """The edited text cannot be sent; the message says where and why."""


def _yaml() -> YAML:
    yaml = YAML()  # round-trip
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def editable_text(obj: dict[str, Any]) -> str:
    """The object as the editor shows it."""
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in SERVER_FIELDS}
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k != LAST_APPLIED}
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    shown = {k: v for k, v in obj.items() if k not in ("status", "metadata")}
    shown = {
        "apiVersion": shown.pop("apiVersion", ""),
        "kind": shown.pop("kind", ""),
        "metadata": meta,
        **shown,
    }
    out = io.StringIO()
    _yaml().dump(shown, out)
    return out.getvalue()


def parsed_edit(
    text: str, api_version: str, kind: str, namespace: str, name: str
) -> dict[str, Any]:
    """The edited object as plain JSON data; it must still be the same object."""
    try:
        data = _yaml().load(text)
    except MarkedYAMLError as exc:
        where = f"line {exc.problem_mark.line + 1}: " if exc.problem_mark else ""
        raise EditError(f"The YAML cannot be read: {where}{exc.problem}.") from None
    except YAMLError as exc:
        raise EditError(f"The YAML cannot be read: {exc}.") from None
    if not isinstance(data, dict):
        raise EditError("The YAML must be one object (a mapping), as the editor showed it.")
    plain: dict[str, Any] = json.loads(json.dumps(data, default=str))
    meta = plain.get("metadata")
    if not isinstance(meta, dict):
        raise EditError("The object has no metadata.")
    same = (
        plain.get("apiVersion") == api_version
        and plain.get("kind") == kind
        and meta.get("name") == name
        and meta.get("namespace", namespace) == namespace
    )
    if not same:
        raise EditError(
            f"This editor changes {kind} {namespace}/{name} ({api_version}) only: its apiVersion, "
            "kind, name and namespace cannot be changed here."
        )
    meta["namespace"] = namespace
    return plain
