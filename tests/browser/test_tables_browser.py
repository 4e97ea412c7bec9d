"""Every table of every page keeps its columns apart, at both window sizes the issue names:
no header runs into the next, and a table wider than its card scrolls in its own box
instead of being cut at the page's edge."""

from __future__ import annotations

import pytest

from tests.plugins.browser import screenshot
from tests.plugins.demo import serve_demo_with_health

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("clusters"),
]

PAGES = [
    "/overview/",
    "/namespaces/?namespaces=&clusterName=",
    "/applications/?namespaces=&clusterName=",
    "/workloads/?namespaces=&clusterName=",
    "/services/?namespaces=&clusterName=",
    "/istio/?namespaces=&clusterName=",
    "/mesh/",
    "/workloads/east/ecommerce/order-management-v2/",
    "/services/east/istio-system/istio-ingressgateway/",
    "/namespaces/ecommerce/?clusterName=east",
]

CROWDED = """() => {
  const problems = [];
  const box = (e) => e.getBoundingClientRect();
  document.querySelectorAll('table').forEach((table, t) => {
    const heads = [...table.querySelectorAll('thead th')];
    heads.forEach((th, i) => {
      const next = heads[i + 1];
      const content = th.querySelector('.pf-v5-c-table__button-content') || th;
      const range = document.createRange();
      range.selectNodeContents(content);
      const right = range.getBoundingClientRect().right;
      if (next && right > box(next).left + 1) problems.push(`table ${t}: "${th.innerText.trim()}" runs into "${next.innerText.trim()}"`);
    });
    const scroller = table.closest('.console-table-scroll');
    const card = table.parentElement;
    if (!scroller && box(table).right > box(card).right + 1)
      problems.push(`table ${t} (${table.getAttribute('aria-label')}) is wider than its box`);
  });
  if (document.documentElement.scrollWidth > document.documentElement.clientWidth + 1)
    problems.push('the page scrolls sideways');
  return problems;
}"""


def test_every_table_keeps_its_columns_apart_at_both_sizes(
    page, live_server, demo_mesh, east_cluster, west_cluster, prometheus_server, console_on
):
    serve_demo_with_health(east_cluster, west_cluster, prometheus_server, console_on)
    for width, height in ((1600, 1000), (1280, 800)):
        page.set_viewport_size({"width": width, "height": height})
        for path in PAGES:
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("networkidle")
            assert page.evaluate(CROWDED) == [], (path, width)
        screenshot(page, f"tables-namespace-page-{width}")
