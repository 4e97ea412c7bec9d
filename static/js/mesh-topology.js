// The Mesh page's topology (ME-01 to ME-05, ME-07): clusters as boxes holding their control
// planes, data planes and the console, external services in a box of their own; nodes
// coloured by health; a click shows the node's panel beside the graph (a data plane's
// namespaces, a control plane's mesh configuration), and the mesh summary otherwise. The elements come from the
// server (mesh/topology.py), already cut to what the user may see.
(function () {
  "use strict";

  if (window.cytoscapeDagre) {
    try { cytoscape.use(cytoscapeDagre); } catch (error) { /* registered already */ }
  }

  const COLOURS = { Healthy: "#3e8635", Degraded: "#f0ab00", Failure: "#c9190b", "Not Ready": "#8a8d90", NA: "#8a8d90" };
  const SHAPES = { istiod: "hexagon", dataplane: "round-rectangle", console: "star", service: "diamond" };

  const STATUS_CLASS = { Healthy: "console-ok", Degraded: "console-warn", Failure: "console-bad" };
  const CONFIG_CLASS = { valid: "console-ok", warning: "console-warn", error: "console-bad" };

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function cell(spec) {
    const td = element("td", "pf-v5-c-table__td");
    const dotClass = STATUS_CLASS[spec.status] || CONFIG_CLASS[spec.config];
    if (dotClass) td.append(element("span", "console-status " + dotClass, "● "));
    if (spec.href) {
      const a = element("a", "", spec.text);
      a.href = spec.href;
      td.append(a);
    } else {
      td.append(spec.text);
    }
    return td;
  }

  function tableFor(spec) {
    const table = element("table", "pf-v5-c-table pf-m-compact");
    table.id = "mesh-topology-table";
    table.setAttribute("role", "grid");
    const head = element("thead", "pf-v5-c-table__thead");
    const headRow = element("tr", "pf-v5-c-table__tr");
    spec.columns.forEach((name) => headRow.append(element("th", "pf-v5-c-table__th", name)));
    head.append(headRow);
    const body = element("tbody", "pf-v5-c-table__tbody");
    spec.rows.forEach((cells) => {
      const row = element("tr", "pf-v5-c-table__tr");
      row.dataset.namespace = cells[0].text;
      cells.forEach((c) => row.append(cell(c)));
      body.append(row);
    });
    table.append(head, body);
    return table;
  }

  function panelFor(panel, data) {
    panel.replaceChildren();
    const title = element("h3", "pf-v5-c-title pf-m-md", data.label);
    title.id = "mesh-topology-title";
    panel.dataset.kind = data.kind;
    panel.append(title);
    const list = element("dl", "pf-v5-c-description-list pf-m-compact pf-m-horizontal");
    (data.details || []).forEach(([term, value]) => {
      const group = element("div", "pf-v5-c-description-list__group");
      group.append(element("dt", "pf-v5-c-description-list__term", term), element("dd", "pf-v5-c-description-list__description", value));
      list.append(group);
    });
    panel.append(list);
    if (data.table) panel.append(tableFor(data.table));
    if (data.yaml) {
      const details = element("details", "mesh-topology__yaml");
      details.append(element("summary", "", data.yaml.title));
      const pre = element("pre", "", data.yaml.text || "(empty: Istio's defaults apply)");
      pre.id = "mesh-topology-yaml";
      details.append(pre);
      panel.append(details);
    }
    if ((data.links || []).length) {
      const links = element("ul");
      links.id = "mesh-topology-links";
      data.links.forEach(([text, url]) => {
        const item = element("li");
        if (url) {
          const a = element("a", "", text || url);
          a.href = url;
          a.target = "_blank";
          a.rel = "noopener noreferrer";
          item.append(a);
        } else {
          item.textContent = text;
        }
        links.append(item);
      });
      panel.append(element("p", "", "Consoles serving this cluster:"), links);
    }
    if (data.kind !== "mesh") {
      const back = element("button", "pf-v5-c-button pf-m-link pf-m-inline", "Back to the mesh summary");
      back.type = "button";
      back.addEventListener("click", () => panelFor(panel, summary));
      panel.append(back);
    }
  }

  let summary = null;

  function draw() {
    const container = document.getElementById("mesh-topology");
    const source = document.getElementById("mesh-topology-data");
    if (!container || !source || container.dataset.state === "drawn") return;
    const elements = JSON.parse(source.textContent);
    const panel = document.getElementById("mesh-topology-panel");
    summary = elements.summary;
    panelFor(panel, summary);
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
    cy.on("tap", (event) => { if (event.target === cy) panelFor(panel, summary); });
    container.dataset.state = "drawn";
    window.meshTopology = cy;
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
})();
