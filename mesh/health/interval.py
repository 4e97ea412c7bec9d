"""The rate interval of a health computation (health.md 4.4)."""

from __future__ import annotations

from datetime import datetime


def format_interval(seconds: float) -> str:
    """Whole minutes as `<n>m`, anything else as whole seconds `<n>s`."""
    whole = int(seconds)
    if whole % 60 == 0 and whole > 0:
        return f"{whole // 60}m"
    return f"{max(whole, 1)}s"


def refresh_interval(duration: float, last_run: float | None, now: float) -> str:
    """The configured window, widened to 1.1 x the elapsed time when a run was missed."""
    if last_run is not None and now - last_run > duration:
        return format_interval((now - last_run) * 1.1)
    return format_interval(duration)


def parse_created(created: str) -> float | None:
    if not created:
        return None
    try:
        return datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def interval_since_creation(interval_seconds: float, created: str, now: float) -> float:
    """A young namespace's window starts at its creation, not before."""
    born = parse_created(created)
    if born is not None and now - interval_seconds < born:
        return max(now - born, 1.0)
    return interval_seconds
