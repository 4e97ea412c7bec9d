"""YAML text of an object that knows which lines each field path covers.

Findings name fields as `spec/http[0]/route[0]/destination`; to highlight them the page
needs the lines of that field in the YAML it shows, which a general YAML dumper does not
report, so this small block-style emitter writes the text and the index together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml


@dataclass
class PathedYaml:
    lines: list[str] = field(default_factory=list)
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)  # path -> [start, end)

    def span_of(self, path: str) -> tuple[int, int] | None:
        """The lines of `path`, or of its nearest ancestor that is shown."""
        while path:
            if path in self.spans:
                return self.spans[path]
            path = path[: path.rindex("[")] if path.endswith("]") else path.rpartition("/")[0]
        return None


def _scalar(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    return text[:-4].rstrip() if text.endswith("\n...") or text.endswith(" ...") else text


def _emit(value: Any, path: str, indent: int, out: PathedYaml) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}/{key}" if path else str(key)
            start = len(out.lines)
            label = _scalar(str(key))
            if isinstance(item, dict | list) and item:
                out.lines.append(f"{pad}{label}:")
                _emit(item, child, indent + 2, out)
            else:
                out.lines.append(f"{pad}{label}: {_scalar(item)}")
            out.spans[child] = (start, len(out.lines))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            child = f"{path}[{i}]"
            start = len(out.lines)
            if isinstance(item, dict) and item:
                inner = PathedYaml()
                _emit(item, child, 0, inner)
                for n, line in enumerate(inner.lines):
                    out.lines.append(f"{pad}- {line}" if n == 0 else f"{pad}  {line}")
                out.spans.update({p: (a + start, b + start) for p, (a, b) in inner.spans.items()})
            elif isinstance(item, list) and item:
                out.lines.append(f"{pad}-")
                _emit(item, child, indent + 2, out)
            else:
                out.lines.append(f"{pad}- {_scalar(item)}")
            out.spans[child] = (start, len(out.lines))


def pathed_yaml(obj: dict[str, Any]) -> PathedYaml:
    out = PathedYaml()
    _emit(obj, "", 0, out)
    return out
