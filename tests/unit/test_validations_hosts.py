"""Host matching as spec §3.1 states it, including the rules that look odd on purpose."""

from __future__ import annotations

import pytest

from validations.hosts import (
    ServiceEntryHosts,
    ServiceRegistry,
    exported_to,
    filter_by_host,
    parse_host,
    parse_host_simple,
    wildcard_covers,
)

D = "svc.cluster.local"
NAMESPACES = {"bookinfo", "istio-system"}


@pytest.mark.parametrize(
    ("raw", "written_in", "printed", "internal"),
    [
        ("reviews", "bookinfo", "reviews.bookinfo.svc.cluster.local", True),
        ("reviews.istio-system", "bookinfo", "reviews.istio-system.svc.cluster.local", True),
        ("reviews.bookinfo", "other", "reviews.bookinfo.svc.cluster.local", True),
        ("reviews.other", "other", "reviews.other.svc.cluster.local", True),  # own namespace
        ("reviews.nowhere", "bookinfo", "reviews.nowhere", False),  # not a namespace: external
        ("reviews.nowhere.svc", "bookinfo", "reviews.nowhere.svc.cluster.local", True),
        ("reviews.bookinfo.svc.cluster.local", "x", "reviews.bookinfo.svc.cluster.local", True),
        ("reviews.bookinfo.svc.other.domain", "x", "reviews.bookinfo.svc.other.domain", False),
        ("api.example.com", "bookinfo", "api.example.com", False),
        ("*", "bookinfo", "*.bookinfo.svc.cluster.local", True),
    ],
)
def test_hosts_resolve_like_kialis_get_host(raw, written_in, printed, internal):
    host = parse_host(raw, written_in, NAMESPACES, D)
    assert (host.printed, host.internal) == (printed, internal)


def test_wildcard_is_decided_by_the_service_part():
    assert parse_host("*", "bookinfo", NAMESPACES, D).wildcard
    assert parse_host("*.bookinfo.svc.cluster.local", "x", NAMESPACES, D).wildcard
    assert parse_host("*.example.com", "x", NAMESPACES, D).wildcard
    assert not parse_host("reviews", "x", NAMESPACES, D).wildcard


def test_the_simple_parser_never_resolves_two_part_hosts():
    assert not parse_host_simple("reviews.bookinfo", "x", D).internal
    assert parse_host_simple("reviews", "x", D).printed == "reviews.x.svc.cluster.local"


@pytest.mark.parametrize(
    ("raw", "written_in", "matches"),
    [
        ("reviews", "bookinfo", True),
        ("reviews", "other", False),
        ("reviews.bookinfo", "other", True),
        ("reviews.bookinfo.svc", "other", True),
        ("reviews.bookinfo.svc.cluster.local", "other", True),
        ("*.bookinfo.svc.cluster.local", "bookinfo", False),  # no wildcard logic
    ],
)
def test_filter_by_host_names_a_service(raw, written_in, matches):
    assert filter_by_host(raw, written_in, "reviews", "bookinfo", D) is matches


@pytest.mark.parametrize(
    ("pattern", "host", "covers"),
    [
        ("*", "anything.at.all", True),
        ("*.example.com", "api.example.com", True),
        ("*.example.com", "a.b.example.com", True),
        ("*.example.com", "myexample.com", False),
        ("api.example.com", "api.example.com", False),
    ],
)
def test_wildcard_containment_respects_label_boundaries(pattern, host, covers):
    assert wildcard_covers(pattern, host) is covers


def test_service_entry_suffix_match_has_no_label_boundary_like_kiali():
    hosts = ServiceEntryHosts([{"spec": {"hosts": ["example.com", "*.wild.org"]}}])
    assert hosts.matches("example.com")
    assert hosts.matches("myexample.com")  # Kiali quirk, spec §9.5
    assert hosts.matches("a.wild.org")
    assert not hosts.matches("example.org")
    assert not ServiceEntryHosts([]).matches("example.com")


@pytest.mark.parametrize(
    ("export", "viewer", "visible"),
    [
        ([], "other", True),
        (["*"], "other", True),
        (["."], "bookinfo", True),
        (["."], "other", False),
        (["~"], "bookinfo", False),
        (["other"], "other", True),
    ],
)
def test_service_export_rules(export, viewer, visible):
    assert exported_to(export, "bookinfo", viewer) is visible


def test_registry_lookups_honour_the_export_annotation():
    svc = {
        "metadata": {
            "name": "reviews",
            "namespace": "bookinfo",
            "annotations": {"networking.istio.io/exportTo": "."},
        }
    }
    registry = ServiceRegistry([svc], D, [])
    assert registry.find("reviews.bookinfo.svc.cluster.local", "bookinfo") is svc
    assert registry.find("reviews.bookinfo.svc.cluster.local", "other") is None
    assert ServiceRegistry([svc], D, []).get("reviews", "bookinfo") is svc
