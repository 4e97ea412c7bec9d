// A small traffic graph on namespace and detail pages (ND-03, DT-08): the graph API's
// answer drawn left to right, nodes bordered by health, edges red where they carry errors,
// the page's own entity drawn bold. Clicking anywhere opens the full graph. An error or an
// empty answer is said in words under the card's title, never left as a blank box.
(function () {
  "use strict";

  if (window.cytoscapeDagre) {
    try { cytoscape.use(cytoscapeDagre); } catch (error) { /* registered already */ }
  }
  const COLOURS = { Healthy: "#3e8635", Degraded: "#f0ab00", Failure: "#c9190b", NA: "#8a8d90" };
  const SHAPES = { app: "round-rectangle", workload: "ellipse", service: "round-triangle", unknown: "diamond" };

  function nameOf(d) {
    const name = d.nodeType === "service" ? d.service : d.nodeType === "workload" ? d.workload : d.app || d.workload || d.service;
    return (name || d.nodeType || "") + (d.nodeType === "app" && d.version && d.version !== "latest" ? " " + d.version : "");
  }

  function healthOf(d) {
    return (d.healthData && d.healthData.status && d.healthData.status.status) || "NA";
  }

  function errorEdge(d) {
    const t = d.traffic || {};
    const rates = t.rates || {};
    return parseFloat(rates[t.protocol + "PercentErr"] || 0) > 0;
  }

  async function draw(container) {
    if (container.dataset.state) return;
    container.dataset.state = "loading";
    const card = container.closest(".pf-v5-c-card");
    const status = card.querySelector(".console-mini-graph__status");
    const params = JSON.parse(card.querySelector("#mini-graph-params").textContent);
    let body = null;
    let response = null;
    try {
      response = await fetch(container.dataset.api + "?" + new URLSearchParams(params), {
        headers: { Accept: "application/json" }, credentials: "same-origin",
      });
      body = await response.json();
    } catch (error) {
      body = null;
    }
    if (!response || !response.ok || !body || !body.elements) {
      container.hidden = true;
      status.textContent = "The graph could not be drawn: " + ((body && body.error) || (response ? "the server answered " + response.status : "the server did not answer"));
      status.classList.add("console-reason");
      container.dataset.state = "error";
      return;
    }
    const nodes = (body.elements.nodes || []).filter((n) => n.data.nodeType !== "box");
    nodes.forEach((n) => { delete n.data.parent; });
    const edges = body.elements.edges || [];
    if (!nodes.length) {
      container.hidden = true;
      status.textContent = "No traffic in the last 10 minutes.";
      container.dataset.state = "empty";
      return;
    }
    status.textContent = `${nodes.length} node${nodes.length === 1 ? "" : "s"}, ${edges.length} edge${edges.length === 1 ? "" : "s"} over the last 10 minutes.`;
    const focus = container.dataset.focus;
    const cy = cytoscape({
      container,
      elements: [...nodes, ...edges],
      userZoomingEnabled: false,
      userPanningEnabled: false,
      boxSelectionEnabled: false,
      autoungrabify: true,
      style: [
        { selector: "node", style: {
          shape: (n) => SHAPES[n.data("nodeType")] || "ellipse", width: 22, height: 22,
          "background-color": "#fff", "border-width": (n) => (focus && [n.data("app"), n.data("workload"), n.data("service")].includes(focus) ? 4 : 2),
          "border-color": (n) => COLOURS[healthOf(n.data())] || COLOURS.NA,
          label: (n) => nameOf(n.data()), "font-size": 10, "text-valign": "bottom", "text-margin-y": 3,
          "font-weight": (n) => (focus && [n.data("app"), n.data("workload"), n.data("service")].includes(focus) ? "bold" : "normal"),
        } },
        { selector: "edge", style: {
          width: 1.5, "curve-style": "bezier", "target-arrow-shape": "triangle",
          "line-color": (e) => (errorEdge(e.data()) ? COLOURS.Failure : "#8a8d90"),
          "target-arrow-color": (e) => (errorEdge(e.data()) ? COLOURS.Failure : "#8a8d90"),
        } },
      ],
      layout: window.cytoscapeDagre
        // a narrow card (a detail page's side column) reads better top to bottom
        ? { name: "dagre", rankDir: container.clientWidth < 500 ? "TB" : "LR", nodeSep: 16, rankSep: 40, fit: true, padding: 16, nodeDimensionsIncludeLabels: true }
        : { name: "breadthfirst", directed: true, fit: true, padding: 16 },
    });
    if (cy.zoom() > 1.2) { cy.zoom(1.2); cy.center(); }
    const link = card.querySelector("#mini-graph-link");
    cy.on("tap", () => { window.location.href = link.href; });
    container.dataset.state = "drawn";
    window.miniGraph = cy;
  }

  function drawAll() { document.querySelectorAll(".console-mini-graph").forEach(draw); }
  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSettle", drawAll);
})();
