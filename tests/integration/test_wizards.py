"""The Traffic Shifting wizard against the real east API server, in a namespace of its own:
who may use it (the cluster's RBAC, asked with the user's token), the preview (dry run,
YAML, validation findings), the change itself, its audit record, and a stale preview."""

from __future__ import annotations

import html
import json
import re

import pytest

from mesh.kube.access import write_json
from mesh.models import ChangeRecord
from tests.plugins.routing import NETWORKING, login, routing_object

pytestmark = [pytest.mark.xdist_group("clusters"), pytest.mark.django_db]
pytest_plugins = ["tests.plugins.demo"]


def test_a_user_with_routing_rights_previews_then_shifts_traffic_with_their_own_identity(
    client, east_cluster, shop
):
    login(client, east_cluster, "alice")
    url = f"/services/east/{shop}/shop/wizards/traffic-shifting/"
    page = client.get(url).content.decode()
    assert 'name="weight-v1"' in page and 'name="weight-v2"' in page
    assert "disabled" not in page.split('id="wizard-preview-button"', 1)[1].split(">", 1)[0]
    service_page = client.get(f"/services/east/{shop}/shop/").content.decode()
    assert f'href="{url}" id="action-traffic-shifting"' in service_page

    weights = {"weight-v1": "50", "weight-v2": "50"}
    preview = client.post(url, {**weights, "action": "preview"})
    text = preview.content.decode()
    assert preview.status_code == 200
    assert text.count('data-ok="yes"') == 2  # both objects pass the API server's dry run
    assert "weight: 50" in text and "kiali_wizard: traffic_shifting" in text
    assert 'id="wizard-findings"' in text
    assert routing_object(east_cluster, shop, "virtualservices") is None  # nothing stored yet

    applied = client.post(url, {**weights, "action": "apply"})
    assert applied.status_code == 200, applied.content.decode()[:500]
    assert "Traffic Shifting applied" in applied.content.decode()
    vs = routing_object(east_cluster, shop, "virtualservices")
    dr = routing_object(east_cluster, shop, "destinationrules")
    assert vs is not None and dr is not None
    routes = vs["spec"]["http"][0]["route"]
    assert [(r["destination"]["subset"], r["weight"]) for r in routes] == [("v1", 50), ("v2", 50)]
    assert vs["metadata"]["labels"] == {"kiali_wizard": "traffic_shifting"}
    assert [(s["name"], s["labels"]) for s in dr["spec"]["subsets"]] == [
        ("v1", {"version": "v1"}),
        ("v2", {"version": "v2"}),
    ]
    # the API server's own audit shows the writes were made as alice, not as the console
    writes = [
        event
        for line in east_cluster.audit_log.read_text().splitlines()
        if (event := json.loads(line))["objectRef"].get("namespace") == shop
        and event["objectRef"].get("resource") in ("virtualservices", "destinationrules")
        and event["verb"] == "create"
        and "dryRun" not in event["requestURI"]
        and event["stage"] == "ResponseComplete"
    ]
    assert sorted((e["objectRef"]["resource"], e["user"]["username"]) for e in writes) == [
        ("destinationrules", "alice"),
        ("virtualservices", "alice"),
    ]
    # the object's page shows its history
    history = client.get(f"/istio/east/{shop}/VirtualService/shop/").content.decode()
    entry = history.split('id="history"', 1)[1]
    assert 'data-verb="create" data-user="alice" data-ok="yes"' in entry
    assert "traffic_shifting" in entry and "weight: 50" in entry
    # the console's own audit trail names the user it acted for
    records = list(ChangeRecord.objects.filter(namespace=shop).order_by("kind"))
    assert [(r.user, r.kind, r.verb, r.succeeded) for r in records] == [
        ("alice", "DestinationRule", "create", True),
        ("alice", "VirtualService", "create", True),
    ]
    assert "+  - route:" in records[1].diff or "weight: 50" in records[1].diff


def test_a_stale_preview_is_refused_with_the_conflict_named(client, east_cluster, shop):
    login(client, east_cluster, "alice")
    url = f"/services/east/{shop}/shop/wizards/traffic-shifting/"
    assert (
        client.post(url, {"weight-v1": "100", "weight-v2": "0", "action": "apply"}).status_code
        == 200
    )
    preview = client.post(url, {"weight-v1": "80", "weight-v2": "20", "action": "preview"})
    hidden = r'<input type="hidden" name="(rv\|[^"]+)" value="([^"]*)">'
    seen = dict(re.findall(hidden, preview.content.decode()))
    assert len(seen) == 2 and all(seen.values())
    vs = routing_object(east_cluster, shop, "virtualservices")
    vs["metadata"].setdefault("annotations", {})["changed-by"] = "someone else"
    with east_cluster.api_client("admin") as api:
        write_json(api, "east", "PUT", f"{NETWORKING}/namespaces/{shop}/virtualservices/shop", vs)
    stale = client.post(url, {"weight-v1": "80", "weight-v2": "20", "action": "apply", **seen})
    assert stale.status_code == 409
    assert "Someone changed this object after your preview" in stale.content.decode()
    current = routing_object(east_cluster, shop, "virtualservices")
    assert current["metadata"]["annotations"]["changed-by"] == "someone else"  # not overwritten


def test_bad_weights_are_explained_and_nothing_is_sent(client, east_cluster, shop):
    login(client, east_cluster, "alice")
    url = f"/services/east/{shop}/shop/wizards/traffic-shifting/"
    answer = client.post(url, {"weight-v1": "60", "weight-v2": "60", "action": "apply"})
    assert answer.status_code == 400
    assert "add up to 120%" in answer.content.decode()
    assert routing_object(east_cluster, shop, "virtualservices") is None


def test_a_reader_sees_the_wizard_disabled_with_the_reason_and_cannot_post(
    client, east_cluster, shop
):
    # alice reads the whole mesh but may change routing only in her shop namespace
    login(client, east_cluster, "alice")
    url = "/services/east/ecommerce/product-catalog/wizards/traffic-shifting/"
    page = client.get(url).content.decode()
    assert "You may not create virtualservices in namespace ecommerce of east." in page
    service_page = client.get("/services/east/ecommerce/product-catalog/").content.decode()
    menu_item = service_page.split('id="action-traffic-shifting"', 1)[0][-300:]
    assert 'aria-disabled="true"' in menu_item
    before = routing_object(east_cluster, "ecommerce", "virtualservices", "product-catalog")
    refused = client.post(url, {"weight-v1": "50", "weight-v2": "50", "action": "apply"})
    assert refused.status_code == 403
    after = routing_object(east_cluster, "ecommerce", "virtualservices", "product-catalog")
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert not ChangeRecord.objects.exists()


def test_view_only_mode_disables_the_wizard_for_everyone(client, east_cluster, shop, console_on):
    console_on(
        east_cluster,
        config={"auth": {"strategy": "token"}, "deployment": {"view_only_mode": True}},
    )
    login(client, east_cluster, "alice")
    page = client.get(f"/services/east/{shop}/shop/wizards/traffic-shifting/").content.decode()
    assert "view-only mode" in page
    answer = client.post(
        f"/services/east/{shop}/shop/wizards/traffic-shifting/",
        {"weight-v1": "50", "weight-v2": "50", "action": "apply"},
    )
    assert answer.status_code == 403


def test_fault_injection_and_timeouts_write_their_virtual_service_and_delete_removes_only_it(
    client, east_cluster, shop
):
    login(client, east_cluster, "alice")
    base = f"/services/east/{shop}/shop/wizards"
    fault = {"abort-percent": "50", "abort-status": "503", "delay-percent": "0", "action": "apply"}
    assert client.post(f"{base}/fault-injection/", fault).status_code == 200
    vs = routing_object(east_cluster, shop, "virtualservices")
    assert vs["metadata"]["labels"] == {"kiali_wizard": "fault_injection"}
    assert vs["spec"]["http"][0]["fault"] == {
        "abort": {"percentage": {"value": 50.0}, "httpStatus": 503}
    }

    nothing = {"timeout-seconds": "0", "retry-attempts": "0", "action": "preview"}
    explained = client.post(f"{base}/request-timeouts/", nothing)
    assert explained.status_code == 400 and "nothing to change" in explained.content.decode()
    timeouts = {"timeout-seconds": "2", "retry-attempts": "3", "per-try-seconds": "0.5"}
    assert (
        client.post(f"{base}/request-timeouts/", {**timeouts, "action": "apply"}).status_code == 200
    )
    http = routing_object(east_cluster, shop, "virtualservices")["spec"]["http"][0]
    assert (http["timeout"], http["retries"]) == ("2s", {"attempts": 3, "perTryTimeout": "0.5s"})
    assert "fault" not in http  # a wizard's object is the wizard's: it is replaced whole

    # a DestinationRule nobody's wizard made stays
    foreign = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "DestinationRule",
        "metadata": {"name": "shop", "namespace": shop},
        "spec": {"host": f"shop.{shop}.svc.cluster.local"},
    }
    with east_cluster.api_client("admin") as api:
        write_json(api, "east", "POST", f"{NETWORKING}/namespaces/{shop}/destinationrules", foreign)
    confirm = client.get(f"{base}/delete-traffic-routing/").content.decode()
    listed = confirm.split('id="wizard-doomed"', 1)[1].split("</ul>", 1)[0]
    assert 'data-kind="VirtualService"' in listed and "DestinationRule" not in listed
    deleted = client.post(f"{base}/delete-traffic-routing/", {"action": "apply"})
    assert deleted.status_code == 200, deleted.content.decode()[:400]
    assert routing_object(east_cluster, shop, "virtualservices") is None
    assert routing_object(east_cluster, shop, "destinationrules") is not None
    verbs = list(
        ChangeRecord.objects.filter(namespace=shop).values_list("origin", "verb").order_by("id")
    )
    assert verbs == [
        ("fault_injection", "create"),
        ("request_timeouts", "replace"),
        ("delete_traffic_routing", "delete"),
    ]


def test_a_yaml_edit_is_saved_and_one_on_a_stale_version_shows_the_other_change(
    client, east_cluster, shop
):
    login(client, east_cluster, "alice")
    base = f"/services/east/{shop}/shop/wizards"
    assert (
        client.post(
            f"{base}/traffic-shifting/", {"weight-v1": "100", "weight-v2": "0", "action": "apply"}
        ).status_code
        == 200
    )
    url = f"/istio/east/{shop}/VirtualService/shop/edit/"
    page = client.get(url).content.decode()
    assert "kiali_wizard: traffic_shifting" in page and "managedFields" not in page
    version = re.search(r'name="resource_version" value="(\d+)"', page).group(1)
    text = re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.S).group(1)
    text = html.unescape(text)
    assert "weight: 100" in text
    edited = text.replace("weight: 100", "weight: 90  # canary next")

    broken = client.post(
        url, {"text": "spec: [unclosed", "resource_version": version, "action": "preview"}
    )
    assert (
        broken.status_code == 400 and "The YAML cannot be read: line 1" in broken.content.decode()
    )
    renamed = client.post(
        url,
        {
            "text": text.replace("name: shop", "name: other", 1),
            "resource_version": version,
            "action": "save",
        },
    )
    assert renamed.status_code == 400 and "cannot be changed here" in renamed.content.decode()

    preview = client.post(url, {"text": edited, "resource_version": version, "action": "preview"})
    assert 'data-ok="yes"' in preview.content.decode()  # the dry run took it
    assert "# canary next" in preview.content.decode()  # the user's comment is kept in the editor

    # someone else changes it meanwhile: the save is refused and their change is shown
    vs = routing_object(east_cluster, shop, "virtualservices")
    vs["metadata"].setdefault("labels", {})["owner"] = "someone-else"
    with east_cluster.api_client("admin") as api:
        write_json(api, "east", "PUT", f"{NETWORKING}/namespaces/{shop}/virtualservices/shop", vs)
    stale = client.post(url, {"text": edited, "resource_version": version, "action": "save"})
    assert stale.status_code == 409
    body = stale.content.decode()
    assert "Someone changed this object" in body and "owner: someone-else" in body
    assert (
        routing_object(east_cluster, shop, "virtualservices")["metadata"]["labels"]["owner"]
        == "someone-else"
    )

    fresh = client.get(url).content.decode()
    version = re.search(r'name="resource_version" value="(\d+)"', fresh).group(1)
    saved = client.post(url, {"text": edited, "resource_version": version, "action": "save"})
    assert saved.status_code == 302
    routes = routing_object(east_cluster, shop, "virtualservices")["spec"]["http"][0]["route"]
    assert routes[0]["weight"] == 90

    unconfirmed = client.post(url, {"action": "delete"})
    assert unconfirmed.status_code == 400
    deleted = client.post(url, {"action": "delete", "confirm": "yes"})
    assert (
        deleted.status_code == 302 and routing_object(east_cluster, shop, "virtualservices") is None
    )
    origins = set(
        ChangeRecord.objects.filter(namespace=shop, origin="yaml_editor").values_list(
            "verb", "succeeded"
        )
    )
    assert origins == {("replace", False), ("replace", True), ("delete", True)}
