"""What the masthead's user menu shows, and the notice for a user who can see nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import HttpRequest
from django.urls import reverse

from kiali_site.context import MeshContext


@dataclass(frozen=True)
class UserMenu:
    username: str
    can_log_out: bool
    logged_in: list[str] = field(default_factory=list)
    # (cluster, URL of its login) for reachable clusters the user is not logged into
    log_in_to: list[tuple[str, str]] = field(default_factory=list)
    sees_nothing: bool = False


def user_menu(request: HttpRequest) -> UserMenu | None:
    mesh: MeshContext = request.mesh  # type: ignore[attr-defined]
    strategy = mesh.strategy
    if strategy == "anonymous" or mesh.session is None:
        return None
    from kiali_site.access import visible_namespaces

    # Read first: a cluster that rejects its token now is dropped from the session here,
    # and the lists below must already show it as one to log in to again.
    visible, errors = visible_namespaces(request)  # type: ignore[arg-type]
    sees_nothing = not errors and not any(visible.values())
    registry = mesh.registry
    logged_in: list[str] = []
    log_in_to: list[tuple[str, str]] = []
    if registry.is_multi_cluster:
        for cluster in registry.reachable:
            if mesh.reaches(cluster.name):
                logged_in.append(cluster.name)
            elif strategy == "openshift":
                log_in_to.append(
                    (cluster.name, reverse("openshift_redirect_cluster", args=[cluster.name]))
                )
    # Header sessions belong to the proxy: there is nothing here to log out of.
    return UserMenu(mesh.username, strategy != "header", logged_in, log_in_to, sees_nothing)
