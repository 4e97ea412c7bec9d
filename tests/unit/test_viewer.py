"""One user's reach: what every shown name is checked against."""

from __future__ import annotations

from mesh.inventory.model import IstioRef
from mesh.viewer import Viewer


def test_a_cluster_is_reached_through_any_of_its_namespaces():
    viewer = Viewer.of({"east": ["bookinfo"], "west": []})
    assert viewer.reaches("east")
    assert not viewer.reaches("west") and not viewer.reaches("north")
    assert viewer.sees("east", "bookinfo") and viewer.sees("east", "")
    assert not viewer.sees("east", "istio-system") and not viewer.sees("west", "")


def test_references_into_hidden_namespaces_are_left_out_and_counted():
    viewer = Viewer.of({"east": ["bookinfo"]})
    mine = IstioRef("VirtualService", "bookinfo", "reviews")
    theirs = IstioRef("VirtualService", "sample", "probe")
    refs = [mine]
    assert viewer.only_seen("east", refs) is refs  # nothing hidden: no copy
    assert viewer.only_seen("east", [mine, theirs]) == [mine]
    assert viewer.hidden("east", [mine, theirs]) == 1


def test_the_console_identity_sees_everything():
    viewer = Viewer.console()
    assert viewer.reaches("anywhere") and viewer.sees("east", "istio-system")
