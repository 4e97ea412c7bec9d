"""The Traffic Graph drawn in headless Chromium from the demo mesh's real telemetry."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from mesh.sim.demo import publish_remote_cluster
from tests.plugins.browser import screenshot
from tests.plugins.prometheus import wait_for_samples

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("clusters"),
]

DRAWN = '#graph-canvas[data-state="drawn"]'

NODES = """() => window.meshGraph.cy.nodes().map(n => ({
  id: n.id(), app: n.data('app') || '', version: n.data('version') || '',
  workload: n.data('workload') || '', cluster: n.data('cluster'), box: n.data('isBox') || '',
  parent: n.data('parent') || '', label: n.data('label'), hasCB: !!n.data('hasCB'),
  hidden: n.hasClass('hidden')}))"""
EDGES = """() => window.meshGraph.cy.edges().map(e => ({
  source: e.source().data('workload') || e.source().data('service') || '',
  target: e.target().data('workload') || e.target().data('service') || '',
  sourceCluster: e.source().data('cluster'), targetCluster: e.target().data('cluster'),
  protocol: e.data('traffic').protocol, color: e.style('line-color'), label: e.data('label')}))"""
RED = "rgb(201,25,11)"


@pytest.fixture
def graph_console(demo_mesh, east_cluster, west_cluster, prometheus_server, console_on):
    publish_remote_cluster(east_cluster, west_cluster)
    wait_for_samples(
        prometheus_server.url,
        'sum(rate(istio_requests_total{destination_workload="order-management-v2"}[60s])) > 0',
    )
    return console_on(
        east_cluster,
        config={"external_services": {"prometheus": {"url": prometheus_server.url}}},
    )


def node_center(page, selector: str) -> dict:
    """Where on the screen the node a cytoscape selector names is drawn."""
    return page.evaluate(
        """s => { const n = window.meshGraph.cy.$(s).first();
                  const r = n.renderedBoundingBox({includeLabels: false});
                  const c = document.getElementById('graph-canvas').getBoundingClientRect();
                  return {x: c.left + (r.x1 + r.x2) / 2, y: c.top + (r.y1 + r.y2) / 2}; }""",
        selector,
    )


def click_node(page, node_id: str) -> None:
    at = node_center(page, f'node[id="{node_id}"]')
    page.mouse.click(at["x"], at["y"])


def open_workload_graph(page, live_server, extra: str = "") -> None:
    page.goto(
        f"{live_server.url}/graph/?namespaces=ecommerce&duration=60&graphType=workload{extra}"
    )
    page.wait_for_selector(DRAWN)


def test_the_ecommerce_graph_draws_with_errors_badges_and_a_side_panel(
    page, live_server, graph_console
):
    page.goto(
        f"{live_server.url}/graph/?namespaces=ecommerce&duration=60"
        "&edges=trafficRate&edges=trafficDistribution"
    )
    page.wait_for_selector(DRAWN)
    nodes = page.evaluate(NODES)
    apps = {(n["app"], n["version"]) for n in nodes if not n["box"]}
    for wanted in (
        ("ecommerce-ui", "v1"),
        ("product-catalog", "v1"),
        ("product-catalog", "v2"),
        ("order-management", "v1"),
        ("order-management", "v2"),
    ):
        assert wanted in apps, wanted
    edges = page.evaluate(EDGES)
    into_v2 = [e for e in edges if e["target"] == "order-management-v2" and e["protocol"] == "http"]
    assert into_v2 and all(e["color"].replace(" ", "") == RED for e in into_v2)
    order = [n for n in nodes if n["app"] == "order-management" and not n["box"]]
    assert order and all(n["hasCB"] and "⚡" in n["label"] for n in order)
    assert any("rps" in e["label"] for e in edges)
    screenshot(page, "graph-ecommerce")

    catalog = next(n for n in nodes if n["workload"] == "product-catalog-v1")
    click_node(page, catalog["id"])
    title = page.wait_for_selector("#graph-panel-title")
    assert "product-catalog" in title.inner_text()
    inbound = page.locator('#graph-side-panel table[data-direction="inbound"]')
    assert "req/s" in inbound.inner_text()
    assert page.locator("#graph-panel-node-graph").count() == 1
    # GP-02: the node's inbound request rate (with errors) and response time, charted
    page.wait_for_selector('#graph-panel-charts[data-state="loaded"]')
    assert page.locator('#graph-panel-charts .metrics-chart[data-state="drawn"]').count() == 2
    screenshot(page, "graph-side-panel")

    # hovering a node explains its colour (HE-06)
    failing = next(n for n in nodes if n["workload"] == "order-management-v2")
    at = node_center(page, 'node[id="{}"]'.format(failing["id"]))
    page.mouse.move(at["x"], at["y"])
    popover = page.wait_for_selector("#graph-health-popover:not([hidden])")
    text = popover.inner_text()
    assert "order-management" in text and "% errors" in text
    assert popover.query_selector("[data-health]").get_attribute("data-health") in (
        "Failure",
        "Degraded",
    )
    screenshot(page, "graph-health-popover")
    page.mouse.move(5, 5)
    page.wait_for_selector("#graph-health-popover", state="hidden")


def test_find_and_hide_expressions_apply_and_explain_their_mistakes(
    page, live_server, graph_console
):
    page.goto(
        f"{live_server.url}/graph/?namespaces=ecommerce&duration=60&hide=name%20%3D%20ecommerce-ui"
    )
    page.wait_for_selector(DRAWN)
    nodes = page.evaluate(NODES)
    assert all(n["hidden"] for n in nodes if n["app"] == "ecommerce-ui")
    page.fill("#graph-find", "rps >> ten")
    page.press("#graph-find", "Enter")
    assert "needs a number" in page.locator("#graph-expression-error").inner_text()
    page.fill("#graph-find", "circuitbreaker")
    page.press("#graph-find", "Enter")
    assert page.locator("#graph-expression-error").inner_text() == ""
    found = page.evaluate(
        "() => window.meshGraph.cy.nodes('.find-match').map(n => n.data('app') || n.data('service'))"
    )
    assert set(found) == {"order-management"}
    assert "find=circuitbreaker" in page.url


def test_the_multicluster_view_boxes_sleep_in_west_calling_helloworld_in_east(
    page, live_server, graph_console
):
    page.goto(
        f"{live_server.url}/graph/?namespaces=sample&graphType=workload"
        "&injectServiceNodes=false&boxByNamespace=false&duration=60&edges=trafficRate"
    )
    page.wait_for_selector(DRAWN)
    nodes = page.evaluate(NODES)
    boxes = {n["cluster"]: n["id"] for n in nodes if n["box"] == "cluster"}
    assert set(boxes) == {"east", "west"}
    sleep_west = next(n for n in nodes if n["workload"] == "sleep" and n["cluster"] == "west")
    hello_east = next(n for n in nodes if n["workload"] == "helloworld-v1")
    by_id = {n["id"]: n for n in nodes}

    def cluster_box(node):
        while node["parent"]:
            node = by_id[node["parent"]]
        return node["id"]

    assert cluster_box(sleep_west) == boxes["west"] and cluster_box(hello_east) == boxes["east"]
    edges = page.evaluate(EDGES)
    assert any(
        e["source"] == "sleep"
        and e["sourceCluster"] == "west"
        and e["target"] == "helloworld-v1"
        and e["targetCluster"] == "east"
        for e in edges
    )
    screenshot(page, "graph-multicluster")


def test_metrics_unavailable_is_said_on_the_page(
    page, live_server, demo_mesh, east_cluster, console_on
):
    console_on(
        east_cluster, config={"external_services": {"prometheus": {"url": "http://127.0.0.1:9"}}}
    )
    page.goto(f"{live_server.url}/graph/?namespaces=ecommerce")
    page.wait_for_selector('#graph-canvas[data-state="error"]')
    message = page.locator("#graph-message")
    assert message.inner_text().startswith("metrics unavailable: ")
    assert page.locator('#graph-canvas[data-state="error"]').count() == 1


def test_a_namespace_without_traffic_says_so(page, live_server, graph_console):
    page.goto(f"{live_server.url}/graph/?namespaces=default&duration=60")
    page.wait_for_selector('#graph-canvas[data-state="empty"]')
    message = page.locator("#graph-message")
    assert "no traffic in the selected namespaces" in message.inner_text()
    assert page.locator('#graph-canvas[data-state="empty"]').count() == 1
    assert page.locator("#graph-message a", has_text="Show idle nodes").count() == 1


def test_the_traffic_selector_drops_protocols_from_the_graph(page, live_server, graph_console):
    open_workload_graph(page, live_server)
    protocols = {e["protocol"] for e in page.evaluate(EDGES)}
    assert {"http", "grpc", "tcp"} <= protocols
    page.click("#graph-traffic > summary")
    page.select_option("#graph-rateTcp", "none")  # a toolbar change reloads the page
    page.wait_for_url("**rateTcp=none**")
    page.wait_for_selector(DRAWN)
    page.click("#graph-traffic > summary")
    page.select_option("#graph-rateGrpc", "none")
    page.wait_for_url("**rateGrpc=none**")
    page.wait_for_selector(DRAWN)
    assert {e["protocol"] for e in page.evaluate(EDGES)} == {"http"}


def test_rank_layouts_presets_and_tab_completion(page, live_server, graph_console):
    open_workload_graph(page, live_server)
    positions = "() => window.meshGraph.cy.nodes().not('.box').map(n => n.position())"
    before = page.evaluate(positions)
    page.click("#graph-display > summary")
    page.select_option("#graph-layout", "grid")
    page.wait_for_function(
        f"p => JSON.stringify(({positions})()) !== JSON.stringify(p)", arg=before
    )
    assert "layout=grid" in page.url

    page.check('input[name="rank"][type="checkbox"]')
    ranks = page.evaluate(
        "() => window.meshGraph.cy.nodes().not('.box').map(n => "
        "[n.incomers('edge').length, n.data('rank'), n.data('label')])"
    )
    assert all(rank >= 1 and f"rank {rank}" in label for _, rank, label in ranks)
    # rank 1 for the most inbound edges; equal counts share a rank; no gaps
    by_count = {count: rank for count, rank, _ in ranks}
    assert len(by_count) == len({rank for _, rank, _ in ranks})
    assert [by_count[c] for c in sorted(by_count, reverse=True)] == list(
        range(1, len(by_count) + 1)
    )
    page.click("#graph-display > summary")

    page.select_option("#graph-find-presets", "rank <= 2")
    assert page.input_value("#graph-find") == "rank <= 2"
    found = page.evaluate("() => window.meshGraph.cy.nodes('.find-match').map(n => n.data('rank'))")
    assert found and all(rank <= 2 for rank in found)
    assert "find=rank" in page.url
    screenshot(page, "graph-grid-rank")

    page.fill("#graph-find", "circuitb")
    page.press("#graph-find", "Tab")
    assert page.input_value("#graph-find") == "circuitbreaker "


def test_a_right_click_opens_the_node_menu_and_its_links_work(page, live_server, graph_console):
    open_workload_graph(page, live_server)
    nodes = page.evaluate(NODES)
    catalog = next(n for n in nodes if n["workload"] == "product-catalog-v1")
    box = node_center(page, f'node[id="{catalog["id"]}"]')
    page.mouse.click(box["x"], box["y"], button="right")
    menu = page.wait_for_selector("#graph-context-menu:not([hidden])")
    items = [a.inner_text() for a in page.query_selector_all("#graph-context-menu a")]
    assert items == ["Details", "Traffic", "Inbound Metrics", "Outbound Metrics", "Node graph"]
    links = page.eval_on_selector_all("#graph-context-menu a", "as => as.map(a => a.href)")
    assert links[0].endswith("/workloads/east/ecommerce/product-catalog-v1/")
    assert "clusterName=east" in links[4] and "/workloads/product-catalog-v1" in links[4]
    assert menu.is_visible()
    screenshot(page, "graph-context-menu")
    page.keyboard.press("Escape")
    assert page.locator("#graph-context-menu").is_hidden()

    page.goto(links[2])  # Inbound Metrics
    assert page.locator("#tab-body").get_attribute("data-tab") == "inbound"
    page.goto(links[4])  # the node graph
    page.wait_for_selector(DRAWN)
    assert "product-catalog-v1" in page.locator("h1").inner_text()


def test_edge_modes_focus_from_the_url_and_hover_neighbourhoods(page, live_server, graph_console):
    selector = 'node[workload="product-catalog-v1"]'
    open_workload_graph(page, live_server, f"&edgeMode=unhealthy&focusSelector={quote(selector)}")
    shown = page.evaluate(
        "() => window.meshGraph.cy.edges().filter(e => e.visible()).map(e => e.data('health'))"
    )
    assert shown and set(shown) <= {"Degraded", "Failure"}
    selected = page.evaluate(
        "() => window.meshGraph.cy.$(':selected').map(n => n.data('workload'))"
    )
    assert selected == ["product-catalog-v1"]
    screenshot(page, "graph-unhealthy-edges-focus")

    page.click("#graph-display > summary")
    page.select_option("#graph-edge-mode", "none")
    assert page.evaluate("() => window.meshGraph.cy.edges().filter(e => e.visible()).length") == 0
    page.select_option("#graph-edge-mode", "all")
    assert "edgeMode=all" in page.url
    page.click("#graph-display > summary")

    catalog = node_center(page, 'node[workload="product-catalog-v1"]')
    page.mouse.move(catalog["x"], catalog["y"])
    dimmed = page.evaluate(
        "() => window.meshGraph.cy.nodes('.dimmed').map(n => n.data('workload') || n.data('service'))"
    )
    assert "shipping-and-handling-v1" in dimmed and "product-catalog-v1" not in dimmed


def test_traffic_animation_moves_points_along_busy_edges(page, live_server, graph_console):
    open_workload_graph(page, live_server, "&animation=true")
    painted = """() => { const c = document.getElementById('graph-animation');
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < data.length; i += 4) if (data[i]) n++; return n; }"""
    page.wait_for_function(f"({painted})() > 0")
    first = page.evaluate("() => document.getElementById('graph-animation').toDataURL()")
    page.wait_for_timeout(400)
    assert page.evaluate("() => document.getElementById('graph-animation').toDataURL()") != first
    screenshot(page, "graph-animation")
    page.click("#graph-display > summary")
    page.uncheck('input[name="animation"][type="checkbox"]')
    assert page.evaluate(painted) == 0
    assert "animation=false" in page.url


def test_replay_steps_through_the_last_minute_ten_seconds_a_frame(page, live_server, graph_console):
    open_workload_graph(page, live_server)
    live = page.evaluate("() => window.meshGraph.timestamp()")
    page.click("#graph-replay-toggle")
    assert page.locator("#graph-replay").is_visible()
    page.select_option("#graph-replay-window", "60")
    page.select_option("#graph-replay-speed", "1000")
    assert page.get_attribute("#graph-replay-slider", "max") == "6"  # 0 s, 10 s, ... 60 s
    page.click("#graph-replay-play")
    page.wait_for_function(
        "() => document.getElementById('graph-replay-slider').value === '6'", timeout=30_000
    )
    page.wait_for_function(
        "() => document.getElementById('graph-replay-play').textContent === 'Play'"
    )
    last = page.evaluate("() => window.meshGraph.timestamp()")
    assert live - 70 <= last - 60 <= live  # the window's first frame was a minute before
    screenshot(page, "graph-replay")
    page.click("#graph-replay-toggle")  # back to now
    page.wait_for_function(f"() => window.meshGraph.timestamp() >= {last}")
    assert page.locator("#graph-replay").is_hidden()


def test_keyboard_zoom_and_shift_drag_zoom_to_an_area(page, live_server, graph_console):
    open_workload_graph(page, live_server)
    zoom = "() => window.meshGraph.cy.zoom()"
    start = page.evaluate(zoom)
    page.focus("#graph-canvas")
    page.keyboard.press("-")
    assert page.evaluate(zoom) < start
    page.keyboard.press("0")  # fit
    fitted = page.evaluate(zoom)
    box = page.locator("#graph-canvas").bounding_box()
    assert box is not None
    # a small area in the middle, drawn with shift held: the graph zooms in on it
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.keyboard.down("Shift")
    page.mouse.move(x - 60, y - 40)
    page.mouse.down()
    page.mouse.move(x + 60, y + 40, steps=8)
    page.mouse.up()
    page.keyboard.up("Shift")
    page.wait_for_function(f"() => window.meshGraph.cy.zoom() > {fitted} * 1.2")
    page.click("#graph-shortcuts > summary")
    assert "Zoom to the area drawn" in page.locator("#graph-shortcuts").inner_text()
    screenshot(page, "graph-shortcuts")


TOUR = "() => document.getElementById('graph-tour').dataset.stop"
OUTLINED = "() => Array.from(document.querySelectorAll('.graph-tour-target')).map(e => e.id)"


def test_the_tour_walks_the_page_part_by_part(page, live_server, graph_console):
    open_workload_graph(page, live_server)
    page.click("#graph-tour-start")
    tour = page.locator("#graph-tour")
    assert tour.is_visible()
    assert page.evaluate(TOUR) == "Namespaces"
    assert page.evaluate(OUTLINED) == ["namespace-select"]
    assert page.locator("#graph-tour-count").inner_text() == "1 of 10"
    assert page.locator("#graph-tour-back").is_disabled()
    page.click("#graph-tour-next")
    assert page.evaluate(TOUR) == "Graph type"
    assert page.evaluate(OUTLINED) == ["graph-type"]
    page.keyboard.press("ArrowRight")
    assert page.evaluate(TOUR) == "Time range and refresh"
    page.click("#graph-tour-back")
    assert page.evaluate(TOUR) == "Graph type"
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    assert page.evaluate(TOUR) == "The graph"
    assert page.evaluate(OUTLINED) == ["graph-canvas"]
    # the text sits beside its part (above, below, or at a side: the canvas fills the
    # window's height), inside the window
    box, canvas = tour.bounding_box(), page.locator("#graph-canvas").bounding_box()
    assert box is not None and canvas is not None
    assert (
        box["y"] >= canvas["y"] + canvas["height"]
        or box["y"] + box["height"] <= canvas["y"]
        or box["x"] >= canvas["x"] + canvas["width"]
        or box["x"] + box["width"] <= canvas["x"]
    )
    screenshot(page, "graph-tour")
    for _ in range(3):
        page.click("#graph-tour-next")
    assert page.evaluate(TOUR) == "Legend"
    assert page.locator("#graph-tour-next").inner_text() == "Done"
    page.click("#graph-tour-next")
    assert tour.is_hidden()
    assert page.evaluate(OUTLINED) == []
    assert page.evaluate("() => document.activeElement.id") == "graph-tour-start"

    # Esc ends it anywhere; the node graph has no namespace picker, so its tour starts later
    page.click("#graph-tour-start")
    page.keyboard.press("Escape")
    assert tour.is_hidden()
    page.goto(
        f"{live_server.url}/graph/node/namespaces/ecommerce/workloads/product-catalog-v1"
        "?clusterName=east&duration=60&graphType=workload"
    )
    page.wait_for_selector(DRAWN)
    page.click("#graph-tour-start")
    assert page.evaluate(TOUR) == "Graph type"
    assert page.locator("#graph-tour-count").inner_text() == "1 of 9"


def test_sample_across_two_clusters_in_the_default_view_with_the_graph_summary(
    page, live_server, graph_console
):
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(f"{live_server.url}/graph/?namespaces=sample&duration=60")
    page.wait_for_selector(DRAWN)
    nodes = page.evaluate(NODES)
    by_id = {n["id"]: n for n in nodes}
    clusters = {n["cluster"]: n["id"] for n in nodes if n["box"] == "cluster"}
    assert set(clusters) == {"east", "west"}  # each around its own sample box
    namespace_boxes = [n for n in nodes if n["box"] == "namespace"]
    assert len(namespace_boxes) == 2
    assert {by_id[n["parent"]]["cluster"] for n in namespace_boxes} == {"east", "west"}
    assert all(n["parent"] == clusters[n["cluster"]] for n in namespace_boxes)
    edges = page.evaluate(EDGES)
    assert any(e["sourceCluster"] == "west" and e["targetCluster"] == "east" for e in edges)
    # the canvas takes the window's height, and labels stay readable when fitted
    height = page.evaluate("() => document.querySelector('.graph-stage').clientHeight")
    assert height > 700
    font = page.evaluate(
        "() => parseFloat(window.meshGraph.cy.nodes().not('.box').first().style('font-size'))"
        " * window.meshGraph.cy.zoom()"
    )
    assert font >= 9  # on screen, in pixels

    # nothing selected: the summary of the graph (GP-01)
    summary = page.wait_for_selector("#graph-summary")
    assert "Current graph" in page.locator("#graph-panel-title").inner_text()
    assert "east, west" in page.locator("#graph-side-panel").inner_text()
    assert int(page.locator('[data-count-of="workloads"] strong').inner_text()) >= 4
    total = page.locator('.graph-classes[data-direction="total"][data-protocol="http"]')
    assert "req/s" in total.inner_text()
    assert total.locator('.graph-bar__part[data-class="2xx"]').count() == 1
    screenshot(page, "graph-multicluster-summary-1600")
    page.click('label[for="graph-tab-inbound"]')
    assert page.locator(".graph-tab--inbound").is_visible()
    assert not page.locator(".graph-tab--total").is_visible()
    assert summary.is_visible()

    page.set_viewport_size({"width": 1280, "height": 800})
    page.wait_for_timeout(300)
    screenshot(page, "graph-multicluster-summary-1280")

    # the west-to-east edge's panel charts its own rate and response times (GP-05)
    page.evaluate(
        """() => window.meshGraph.cy.edges().filter(e =>
             e.source().data('cluster') === 'west' && e.target().data('cluster') === 'east'
             && e.source().data('nodeType') !== 'service').first().emit('tap')"""
    )
    page.wait_for_selector('#graph-panel-edge-charts[data-state="loaded"]')
    drawn = page.locator('#graph-panel-edge-charts .metrics-chart[data-state="drawn"]')
    assert drawn.count() == 2
    screenshot(page, "graph-edge-panel-charts")


BOX_OVERLAPS = """() => {
  const cy = window.meshGraph.cy;
  const overlaps = [];
  cy.nodes(':parent').forEach(a => {
    a.siblings(':parent').forEach(b => {
      if (a.id() >= b.id()) return;
      const p = a.boundingBox(), q = b.boundingBox();
      if (p.x1 < q.x2 && q.x1 < p.x2 && p.y1 < q.y2 && q.y1 < p.y2)
        overlaps.push([a.data('label'), b.data('label')]);
    });
    // a node that is not the box's own is never drawn inside it
    cy.nodes().not(':parent').difference(a.descendants()).forEach(n => {
      const p = a.boundingBox(), c = n.position();
      if (c.x > p.x1 && c.x < p.x2 && c.y > p.y1 && c.y < p.y2)
        overlaps.push([a.data('label'), n.data('label')]);
    });
  });
  return overlaps;
}"""


@pytest.mark.parametrize("layout", ["grid", "concentric", "breadthfirst"])
def test_every_layout_keeps_boxes_apart(page, live_server, graph_console, layout):
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(
        f"{live_server.url}/graph/?namespaces=sample,ecommerce&duration=60"
        f"&graphType=versionedApp&layout={layout}"
    )
    page.wait_for_selector(DRAWN)
    assert page.evaluate("() => window.meshGraph.cy.nodes(':parent').length") >= 4
    assert page.evaluate(BOX_OVERLAPS) == []
    screenshot(page, f"graph-layout-{layout}")
