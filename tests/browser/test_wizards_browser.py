"""The Traffic Shifting wizard in headless Chromium: weights, preview, apply."""

from __future__ import annotations

import pytest

from tests.plugins.browser import log_in_with_token, screenshot
from tests.plugins.routing import routing_object

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("clusters"),
]
pytest_plugins = ["tests.plugins.demo"]


def test_shift_seventy_thirty_from_the_service_page(page, live_server, east_cluster, shop):
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in_with_token(
        page, live_server.url, east_cluster.tokens["alice"], f"/services/east/{shop}/shop/"
    )
    page.wait_for_url(f"**/services/east/{shop}/shop/**")
    page.click("#detail-actions summary")
    page.click("#action-traffic-shifting")
    page.wait_for_url("**/wizards/traffic-shifting/")
    page.fill('input[name="weight-v1"]', "70")
    page.fill('input[name="weight-v2"]', "30")
    page.click("#wizard-preview-button")
    page.wait_for_selector("#wizard-preview")
    assert page.locator('#wizard-dry-run li[data-ok="yes"]').count() == 2
    assert "weight: 70" in page.locator('pre[data-kind="VirtualService"]').inner_text()
    screenshot(page, "wizard-traffic-shifting-preview")
    page.click("#wizard-apply")
    page.wait_for_selector("#wizard-result")
    assert "Traffic Shifting applied" in page.locator("#wizard-result").inner_text()
    screenshot(page, "wizard-traffic-shifting-applied")
    routes = routing_object(east_cluster, shop, "virtualservices")["spec"]["http"][0]["route"]
    assert [r["weight"] for r in routes] == [70, 30]
    page.goto(f"{live_server.url}/services/east/{shop}/shop/")
    page.click("#detail-actions summary")
    screenshot(page, "wizard-actions-menu")
    page.click("#action-delete-traffic-routing")
    page.wait_for_url("**/wizards/delete-traffic-routing/")
    listed = page.locator("#wizard-doomed li").all_inner_texts()
    assert [text.split()[0] for text in listed] == ["VirtualService", "DestinationRule"]
    screenshot(page, "wizard-delete-traffic-routing")


def test_edit_a_virtual_service_and_meet_someone_elses_change(
    page, live_server, east_cluster, shop
):
    from mesh.kube.access import write_json

    page.set_viewport_size({"width": 1280, "height": 800})
    wizard = f"/services/east/{shop}/shop/wizards/traffic-shifting/"
    log_in_with_token(page, live_server.url, east_cluster.tokens["alice"], wizard)
    page.wait_for_url("**/traffic-shifting/")
    page.fill('input[name="weight-v1"]', "100")
    page.fill('input[name="weight-v2"]', "0")
    page.click("#wizard-preview-button")
    page.click("#wizard-apply")
    page.wait_for_selector("#wizard-result")

    page.goto(f"{live_server.url}/istio/east/{shop}/VirtualService/shop/")
    assert page.locator('#history li[data-user="alice"][data-verb="create"]').count() == 1
    page.click("#history summary")
    screenshot(page, "istio-config-history")
    page.click("#edit-yaml")
    page.wait_for_url("**/edit/")
    text = page.input_value("#edit-text")
    page.fill("#edit-text", text.replace("weight: 100", "weight: 90  # canary next"))
    page.click("#edit-preview-button")
    page.wait_for_selector("#edit-preview")
    assert page.locator("#edit-dry-run").get_attribute("data-ok") == "yes"
    assert "# canary next" in page.input_value("#edit-text")
    screenshot(page, "istio-config-edit-preview")

    vs = routing_object(east_cluster, shop, "virtualservices")
    vs["metadata"]["labels"]["owner"] = "someone-else"
    path = f"/apis/networking.istio.io/v1/namespaces/{shop}/virtualservices/shop"
    with east_cluster.api_client("admin") as api:
        write_json(api, "east", "PUT", path, vs)
    page.click("#edit-save")
    page.wait_for_selector("#edit-conflict")
    assert "owner: someone-else" in page.locator("#edit-conflict-diff").inner_text()
    screenshot(page, "istio-config-edit-conflict")


def test_the_namespaces_row_menu_turns_injection_on(
    page, live_server, east_cluster, demo_mesh, fresh_namespace, console_on
):
    from django.core.cache import cache

    from mesh.inventory.store import read_snapshot

    cache.clear()
    namespace = fresh_namespace(east_cluster, "menu")
    config = console_on(east_cluster, config={"auth": {"strategy": "token"}})
    with east_cluster.api_client("kiali") as client:
        read_snapshot(client, "east", config)
    page.set_viewport_size({"width": 1280, "height": 800})
    listed = f"/namespaces/?namespaces={namespace}&clusterName=east"
    log_in_with_token(page, live_server.url, east_cluster.tokens["admin"], listed)
    page.wait_for_selector(f'[data-actions-for="{namespace}"]')
    page.click(f'[data-actions-for="{namespace}"] summary')
    screenshot(page, "namespaces-row-actions")
    page.click(f'[data-actions-for="{namespace}"] [data-action="enable"]')
    page.wait_for_selector('#messages [data-level="success"]')
    assert "Enable Auto Injection" in page.locator("#messages").inner_text()
    screenshot(page, "namespaces-injection-enabled")
