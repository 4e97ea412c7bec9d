// The Mesh page's topology (ME-01): clusters as boxes holding their control planes, data
// planes and the console, external services in a box of their own; nodes coloured by
// health; a click shows the node's details beside the graph. The elements come from the
// server (mesh/topology.py), already cut to what the user may see.
(function () {
  "use strict";

  if (window.cytoscapeDagre) {
    try { cytoscape.use(cytoscapeDagre); } catch (error) { /* registered already */ }
  }

  const COLOURS = { Healthy: "#3e8635", Failure: "#c9190b", NA: "#8a8d90" };
  const SHAPES = { istiod: "hexagon", dataplane: "round-rectangle", console: "star", service: "diamond" };

  function panelFor(panel, data) {
    panel.replaceChildren();
    const title = document.createElement("h3");
    title.className = "pf-v5-c-title pf-m-md";
    title.id = "mesh-topology-title";
    title.textContent = data.label;
    panel.append(title);
    const list = document.createElement("dl");
    list.className = "pf-v5-c-description-list pf-m-compact";
    (data.details || []).forEach(([term, value]) => {
      const group = document.createElement("div");
      group.className = "pf-v5-c-description-list__group";
      const dt = document.createElement("dt");
      dt.className = "pf-v5-c-description-list__term";
      dt.textContent = term;
      const dd = document.createElement("dd");
      dd.className = "pf-v5-c-description-list__description";
      dd.textContent = value;
      group.append(dt, dd);
      list.append(group);
    });
    panel.append(list);
    if ((data.links || []).length) {
      const heading = document.createElement("p");
      heading.textContent = "Consoles serving this cluster:";
      const links = document.createElement("ul");
      links.id = "mesh-topology-links";
      data.links.forEach(([text, url]) => {
        const item = document.createElement("li");
        if (url) {
          const a = document.createElement("a");
          a.href = url;
          a.target = "_blank";
          a.rel = "noopener noreferrer";
          a.textContent = text || url;
          item.append(a);
        } else {
          item.textContent = text;
        }
        links.append(item);
      });
      panel.append(heading, links);
    }
  }

  function draw() {
    const container = document.getElementById("mesh-topology");
    const source = document.getElementById("mesh-topology-data");
    if (!container || !source || container.dataset.state === "drawn") return;
    const elements = JSON.parse(source.textContent);
    const panel = document.getElementById("mesh-topology-panel");
    const cy = cytoscape({
      container,
      elements: [...elements.nodes, ...elements.edges],
      wheelSensitivity: 0.3,
      style: [
        { selector: "node", style: {
          shape: (n) => SHAPES[n.data("kind")] || "ellipse", width: 34, height: 34,
          "background-color": "#fff", "border-width": 3, "border-color": (n) => COLOURS[n.data("health")] || COLOURS.NA,
          label: "data(label)", "font-size": 11, "text-valign": "bottom", "text-margin-y": 4, "text-wrap": "wrap",
          "text-background-color": "#fff", "text-background-opacity": 0.9, "text-background-padding": 2,
        } },
        { selector: "node:parent", style: {
          shape: "round-rectangle", "background-color": "#f5f5f5", "background-opacity": 0.5, "border-width": 2,
          "border-color": (n) => (n.data("kind") === "external" ? "#8a8d90" : COLOURS[n.data("health")] || COLOURS.NA),
          "border-style": (n) => (n.data("kind") === "external" ? "dashed" : "solid"),
          "text-valign": "top", "text-margin-y": -4, "font-weight": "bold", padding: 18,
        } },
        { selector: "edge", style: {
          width: 2, "curve-style": "bezier", "line-color": "#8a8d90", "target-arrow-color": "#8a8d90", "target-arrow-shape": "triangle",
        } },
        { selector: ":selected", style: { "overlay-color": "#06c", "overlay-opacity": 0.15, "overlay-padding": 6 } },
      ],
      layout: window.cytoscapeDagre
        ? { name: "dagre", rankDir: "LR", nodeSep: 30, rankSep: 80, fit: true, padding: 30 }
        : { name: "breadthfirst", fit: true, padding: 30 },
    });
    cy.one("layoutstop", () => { if (cy.zoom() > 1.3) { cy.zoom(1.3); cy.center(); } });
    cy.on("tap", "node", (event) => panelFor(panel, event.target.data()));
    container.dataset.state = "drawn";
    window.meshTopology = cy;
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
})();
