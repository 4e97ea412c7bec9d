"""The namespace selection: only visible namespaces, Kiali's query-string names."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import RequestFactory

from kiali_site.context import MeshContext
from kiali_site.scope import page_scope
from mesh.sim.demo import publish_remote_cluster

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("clusters")]


def scoped(query: str):
    request = RequestFactory().get(f"/overview/?{query}")
    request.mesh = MeshContext(settings.KIALI)
    return page_scope(request)


def test_only_visible_namespaces_can_be_selected(demo_mesh, east_cluster, west_cluster, console_on):
    publish_remote_cluster(east_cluster, west_cluster)
    console_on(east_cluster)
    scope = scoped("namespaces=bookinfo,kube-system,no-such-ns&namespaces=sample")
    assert scope.clusters == ["east", "west"]
    assert scope.selected == ["bookinfo", "sample"]
    assert "kube-system" not in scope.namespace_names  # hidden without discovery selectors
    assert {(ns.cluster, ns.name) for ns in scope.chosen()} == {
        ("east", "bookinfo"),
        ("east", "sample"),
        ("west", "sample"),
    }


def test_a_cluster_choice_narrows_and_an_unknown_cluster_is_ignored(
    demo_mesh, east_cluster, west_cluster, console_on
):
    publish_remote_cluster(east_cluster, west_cluster)
    console_on(east_cluster)
    west = scoped("clusterName=west")
    assert west.cluster == "west"
    assert {ns.cluster for ns in west.namespaces} == {"west"}
    assert "ecommerce" not in west.namespace_names
    assert scoped("clusterName=%22%7Bbad%7D").cluster == ""
