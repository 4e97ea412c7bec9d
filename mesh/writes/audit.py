"""Recording what the console changed (issue 19's audit trail), once for every writer:
the wizards, the YAML editor and the namespace actions."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from mesh.models import ChangeRecord
from mesh.writes.send import WriteOutcome

ANONYMOUS = "the console (anonymous access)"


def text_diff(before: str, after: str, *, names: tuple[str, str] = ("before", "after")) -> str:
    """A unified diff of two texts, line by line."""
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), *names, lineterm="")
    return "\n".join(lines)


def record(
    username: str, cluster: str, origin: str, changes: Iterable[tuple[WriteOutcome, str]]
) -> None:
    """One record per (outcome, diff); `username` "" is the console acting for itself."""
    ChangeRecord.objects.bulk_create(
        ChangeRecord(
            user=username or ANONYMOUS,
            cluster=cluster,
            namespace=outcome.write.namespace,
            kind=outcome.write.kind,
            name=outcome.write.name,
            verb=outcome.write.verb,
            origin=origin,
            diff=diff,
            succeeded=outcome.ok,
            answer=outcome.message,
        )
        for outcome, diff in changes
    )
