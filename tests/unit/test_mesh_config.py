"""A control plane's mesh configuration as the Mesh page's panel reads it (ME-05)."""

from __future__ import annotations

from mesh.kube.meshconfig import config_map_name, parse_mesh_config


def test_the_settings_operators_look_for_are_read_and_defaults_fill_the_rest():
    doc = parse_mesh_config(
        "istio-system/istio",
        "outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\nenableAutoMtls: false\n"
        "defaultConfig:\n  meshId: mesh1\n",
    )
    assert doc.outbound_traffic_policy == "REGISTRY_ONLY"
    assert not doc.auto_mtls
    assert (doc.trust_domain, doc.mesh_id, doc.error) == ("cluster.local", "mesh1", "")
    empty = parse_mesh_config("istio-system/istio", "")
    assert (empty.outbound_traffic_policy, empty.auto_mtls, empty.mesh_id) == (
        "ALLOW_ANY",
        True,
        "cluster.local",
    )


def test_a_broken_document_is_named_not_raised_and_revisions_have_their_own_map():
    broken = parse_mesh_config("istio-system/istio", "defaultConfig: [unclosed")
    assert broken.error.startswith("its mesh document is not valid YAML")
    assert parse_mesh_config("istio-system/istio", "- a list").error
    assert config_map_name("istio", "default") == "istio"
    assert config_map_name("istio", "canary") == "istio-canary"
