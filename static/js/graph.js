// The Traffic Graph canvas: fetches Kiali's cytoscape JSON from the API, draws it with the
// dagre layout, colours nodes by health and edges by their own error rate, applies find and
// hide expressions, and loads the server-rendered side panel (HTMX) for a clicked element.
// Options come from the page through json_script; nothing here trusts or computes numbers
// the server would show as facts.
(function () {
  "use strict";

  const configElement = document.getElementById("graph-config");
  if (!configElement || typeof cytoscape === "undefined") return;
  const config = JSON.parse(configElement.textContent);
  cytoscape.use(cytoscapeDagre);

  const statusBox = document.getElementById("graph-status");
  const container = document.getElementById("graph-canvas");
  const panel = document.getElementById("graph-side-panel");
  const errorBox = document.getElementById("graph-expression-error");
  const form = document.getElementById("graph-toolbar");

  const COLOURS = { Healthy: "#3e8635", Degraded: "#f0ab00", Failure: "#c9190b", NA: "#8a8d90" };
  const TCP_COLOUR = "#0066cc";
  const IDLE_COLOUR = "#b8bbbe";
  const SHAPES = { app: "round-rectangle", workload: "ellipse", service: "round-triangle", unknown: "diamond", aggregate: "round-pentagon" };
  const BADGES = [
    ["hasCB", "⚡"], ["hasVS", "⇄"], ["hasFaultInjection", "⚠"], ["hasTrafficShifting", "⇶"],
    ["hasTCPTrafficShifting", "⇶"], ["hasMirroring", "⎇"], ["hasRequestTimeout", "◷"],
    ["isGateway", "⬡"], ["hasWorkloadEntry", "▣"], ["isOutOfMesh", "✗"],
  ];
  // Kiali's default request tolerances: [degraded %, failure %].
  const TOLERANCE = { server: [0, 10], client: [10, 20], grpc: [0, 10] };

  let cy = null;
  let lastDocument = null;
  let lastDrawnAt = 0; // when lastDocument was answered (ms since the epoch)
  let responseTimes = {};

  // ---- numbers and health -------------------------------------------------------------
  const num = (value) => (value === undefined || value === null || value === "" ? 0 : parseFloat(value));

  function grade(percent, [degraded, failure]) {
    if (percent <= 0) return "Healthy";
    if (percent >= failure) return "Failure";
    return percent >= degraded ? "Degraded" : "Healthy";
  }
  const RANK = ["NA", "Healthy", "Degraded", "Failure"];
  const worst = (statuses) => statuses.reduce((a, b) => (RANK.indexOf(b) > RANK.indexOf(a) ? b : a), "NA");

  function ratesStatus(protocol, rates, infix) {
    const p = infix || "";
    if (protocol === "http") {
      const total = num(rates["http" + p]);
      if (total <= 0) return "NA";
      const server = num(rates["http" + p + "5xx"]) + num(rates["http" + p + "NoResponse"]);
      const client = num(rates["http" + p + "4xx"]);
      return worst([grade((server / total) * 100, TOLERANCE.server), grade((client / total) * 100, TOLERANCE.client)]);
    }
    if (protocol === "grpc") {
      const total = num(rates["grpc" + p]);
      if (total <= 0) return "NA";
      const errors = num(rates["grpc" + p + "Err"]) + num(rates["grpc" + p + "NoResponse"]);
      return grade((errors / total) * 100, TOLERANCE.grpc);
    }
    return "NA";
  }

  function nodeHealth(d) {
    const status = d.healthData && d.healthData.status && d.healthData.status.status;
    if (status) return status;
    return worst((d.traffic || []).map((t) => ratesStatus(t.protocol, t.rates || {}, "In")));
  }

  function edgeHealth(d) {
    if (d.healthStatus) return d.healthStatus;
    const t = d.traffic || {};
    if (!t.rates) return "NA";
    const status = ratesStatus(t.protocol, t.rates);
    return status === "NA" ? "Healthy" : status;
  }

  function edgeRate(d) {
    const t = d.traffic || {};
    return num((t.rates || {})[t.protocol]);
  }

  function edgeErrorPercent(d) {
    const t = d.traffic || {};
    return num((t.rates || {})[t.protocol + "PercentErr"]);
  }

  function nodeRate(d, protocols, direction) {
    let total = 0;
    for (const t of d.traffic || []) {
      if (protocols.includes(t.protocol)) total += num((t.rates || {})[t.protocol + direction]);
    }
    return total;
  }

  function nodeErrorPercent(d) {
    let total = 0, errors = 0;
    for (const t of d.traffic || []) {
      const r = t.rates || {};
      if (t.protocol === "http") {
        total += num(r.httpIn);
        errors += num(r.httpIn4xx) + num(r.httpIn5xx) + num(r.httpInNoResponse);
      } else if (t.protocol === "grpc") {
        total += num(r.grpcIn);
        errors += num(r.grpcInErr) + num(r.grpcInNoResponse);
      }
    }
    return total > 0 ? (errors / total) * 100 : 0;
  }

  // ---- labels --------------------------------------------------------------------------
  function bytes(value) {
    const units = ["B/s", "kB/s", "MB/s", "GB/s"];
    let v = value, i = 0;
    while (v >= 1000 && i < units.length - 1) { v /= 1000; i += 1; }
    return v.toFixed(i === 0 ? 0 : 1) + " " + units[i];
  }

  function milliseconds(value) {
    return value >= 1000 ? (value / 1000).toFixed(2) + " s" : Math.round(value) + " ms";
  }

  function nodeName(d) {
    switch (d.nodeType) {
      case "box": return d.isBox === "app" ? d.app : d.isBox === "namespace" ? d.namespace : d.cluster;
      case "service": return d.service;
      case "app": return d.app;
      case "unknown": return "unknown";
      case "aggregate": return d.aggregate;
      default: return d.workload || d.app || d.service || "";
    }
  }

  function nodeLabel(d) {
    let label = nodeName(d);
    if (d.nodeType === "app" && d.version && d.parent) label = d.version;
    else if (d.nodeType === "app" && d.version) label += "\n" + d.version;
    if (d.nodeType === "box" && d.isBox === "cluster") label = "cluster " + label;
    if (config.showBadges) {
      const marks = BADGES.filter(([key]) => d[key]).map(([, mark]) => mark).join(" ");
      if (marks) label = marks + " " + label;
    }
    if (config.rank && d.rank !== undefined) label += "\nrank " + d.rank;
    return label;
  }

  // ---- rank ----------------------------------------------------------------------------
  // Each node's rank by how many edges come in, go out, or both (config.rankBy): 1 for the
  // most, equal counts sharing a rank, the next count the next rank.
  function computeRanks() {
    if (!cy) return;
    const nodes = cy.nodes().not(".box");
    const counts = new Map();
    nodes.forEach((n) => {
      let count = 0;
      if (config.rankBy !== "outbound") count += n.incomers("edge").length;
      if (config.rankBy !== "inbound") count += n.outgoers("edge").length;
      counts.set(n.id(), count);
    });
    const distinct = [...new Set(counts.values())].sort((a, b) => b - a);
    nodes.forEach((n) => {
      n.data("rank", config.rank ? distinct.indexOf(counts.get(n.id())) + 1 : undefined);
      n.data("label", nodeLabel(n.data()));
    });
  }

  function edgeLabel(d) {
    const t = d.traffic || {};
    const rates = t.rates || {};
    const parts = [];
    const labels = config.edgeLabels;
    if (labels.includes("trafficRate") && t.rates) {
      const rate = edgeRate(d);
      let text = t.protocol === "tcp" ? bytes(rate) : rate.toFixed(2) + " rps";
      const err = edgeErrorPercent(d);
      if (err > 0) text += " " + err.toFixed(1) + "%err";
      parts.push(text);
    }
    if (labels.includes("trafficDistribution") && rates[t.protocol + "PercentReq"]) {
      parts.push(num(rates[t.protocol + "PercentReq"]).toFixed(1) + "%");
    }
    const rt = d.responseTime !== undefined ? d.responseTime : responseTimes[d.id];
    if (labels.includes("responseTime") && rt !== undefined) parts.push(milliseconds(num(rt)));
    if (labels.includes("throughput") && d.throughput !== undefined) parts.push(bytes(num(d.throughput)));
    if (config.showSecurity && num(d.isMTLS) > 0) parts.unshift("mTLS");
    return parts.join("\n");
  }

  // ---- drawing -------------------------------------------------------------------------
  function toElements(documentJson) {
    const nodes = documentJson.elements.nodes.map(({ data }) => {
      const health = data.nodeType === "box" ? "NA" : nodeHealth(data);
      const classes = [
        data.nodeType === "box" ? "box box-" + data.isBox : "",
        data.isIdle ? "idle" : "",
        data.isInaccessible ? "inaccessible" : data.isOutside ? "outside" : "",
      ].filter(Boolean).join(" ");
      return { group: "nodes", data: { ...data, label: nodeLabel(data), health, color: COLOURS[health] }, classes };
    });
    const edges = documentJson.elements.edges.map(({ data }) => {
      const health = edgeHealth(data);
      const protocol = (data.traffic || {}).protocol;
      const idle = !(data.traffic || {}).rates;
      const color = idle ? IDLE_COLOUR : protocol === "tcp" && health !== "Failure" ? TCP_COLOUR : COLOURS[health] || COLOURS.Healthy;
      const classes = [idle ? "idle" : "", protocol].filter(Boolean).join(" ");
      return { group: "edges", data: { ...data, label: edgeLabel(data), health, color }, classes };
    });
    return nodes.concat(edges);
  }

  let labelScale = 1;
  const STYLE = [
    { selector: "node", style: {
      shape: (n) => SHAPES[n.data("nodeType")] || "ellipse",
      width: 32, height: 32, "background-color": "#ffffff",
      "border-width": 3, "border-color": "data(color)",
      label: "data(label)", "font-size": () => 11 * labelScale, "text-wrap": "wrap", "text-valign": "bottom", "text-margin-y": 4,
      // a label tag under the node, as Kiali draws them
      "text-background-color": "#ffffff", "text-background-opacity": 0.95, "text-background-padding": 2,
      "text-background-shape": "roundrectangle", "text-border-width": 1, "text-border-color": "#d2d2d2", "text-border-opacity": 1,
    } },
    { selector: "node.outside", style: { "background-color": "#e7f1fa" } },
    { selector: "node.inaccessible", style: { "background-color": "#d2d2d2" } },
    { selector: "node.idle", style: { "border-style": "dashed", "border-color": IDLE_COLOUR, color: "#8a8d90" } },
    { selector: "node.box", style: {
      shape: "round-rectangle", "background-color": "#f5f5f5", "background-opacity": 0.35,
      "border-width": 1, "border-style": "dashed", "border-color": "#8a8d90",
      "text-valign": "top", "text-halign": "center", "text-margin-y": -4, "font-size": () => 12 * labelScale, padding: 14,
    } },
    // A cluster's title runs up its left side: above the box it would sit in the gap that
    // cross-cluster edges go through.
    { selector: "node.box-cluster", style: {
      "border-width": 2, "border-style": "solid", "background-color": "#f0f0f0", "font-weight": "bold",
      "text-valign": "center", "text-halign": "left", "text-rotation": -Math.PI / 2, "text-margin-x": -10, "text-margin-y": 0,
    } },
    { selector: "node.box-namespace", style: { "background-color": "#e7f1fa" } },
    { selector: "edge", style: {
      width: 2, "curve-style": "bezier", "line-color": "data(color)", "target-arrow-color": "data(color)",
      "target-arrow-shape": "triangle", "arrow-scale": 1.1,
      label: "data(label)", "font-size": () => 9 * labelScale, "text-wrap": "wrap",
      "text-background-color": "#ffffff", "text-background-opacity": 0.85, "text-background-padding": 1,
    } },
    // An edge between cluster boxes crosses the gap where the boxes' titles sit and, with its
    // way back, crosses its twin there too: its label goes next to its source instead.
    { selector: "edge.cross-cluster", style: {
      label: "", "source-label": "data(label)", "source-text-offset": 32, "source-text-rotation": "autorotate",
    } },
    { selector: "edge.tcp", style: { "line-style": "solid", width: 3 } },
    { selector: "edge.idle", style: { "line-style": "dashed" } },
    { selector: ".find-match", style: { "underlay-color": "#f4c145", "underlay-opacity": 0.6, "underlay-padding": 6 } },
    { selector: ".hidden", style: { display: "none" } },
    { selector: "edge.edge-off", style: { display: "none" } },
    { selector: ".dimmed", style: { opacity: 0.25 } },
    { selector: ":selected", style: { "overlay-color": "#06c", "overlay-opacity": 0.15, "overlay-padding": 6 } },
  ];

  // Labels keep a readable size on screen when the graph is zoomed out to fit (at most
  // twice their size in the graph, so that they do not cover their neighbours): the
  // stylesheet's font sizes are functions of labelScale.
  let labelFrame = 0;
  function readableLabels() {
    if (!cy || labelFrame) return;
    labelFrame = requestAnimationFrame(() => {
      labelFrame = 0;
      if (!cy) return;
      const scale = Math.min(2, Math.max(1, 0.9 / cy.zoom()));
      if (Math.abs(scale - labelScale) < 0.05) return;
      labelScale = scale;
      cy.style().update();
    });
  }

  function layout() {
    // A small graph fitted to a big canvas would be drawn at giant size: cap the zoom.
    cy.one("layoutstop", () => {
      if (cy.zoom() > 1.4) {
        cy.zoom(1.4);
        cy.center();
      }
    });
    const chosen = LAYOUTS[config.layout] ? config.layout : "dagre";
    if (chosen === "dagre" || !cy.nodes(":parent").length) {
      cy.layout(LAYOUTS[chosen]()).run();
    } else {
      boxedLayout(chosen);
    }
  }

  // Grid, concentric and breadthfirst place every node as if boxes did not exist, so the
  // boxes end up overlapping. Instead, each box's own nodes are laid out with the chosen
  // layout, innermost boxes first, and then the boxes and loose nodes of each level are
  // packed in rows like tiles, so that every box stays a separate rectangle.
  const BOX_GAP = 50;
  function boxedLayout(name) {
    // Measure with labels at the largest size readableLabels() may give them, so that a
    // zoomed-out graph's bigger labels do not make boxes grow into each other.
    const scale = labelScale;
    labelScale = 2;
    cy.style().update();
    arrangeLevel(cy.nodes().orphans(), name);
    labelScale = scale;
    cy.style().update();
    cy.fit(undefined, 40);
    cy.emit("layoutstop");
  }

  function arrangeLevel(children, name) {
    const boxes = children.filter((n) => n.isParent());
    const loose = children.filter((n) => !n.isParent());
    boxes.forEach((box) => arrangeLevel(box.children(), name));
    const tiles = boxes.map((box) => ({ move: box.descendants().not(":parent"), measure: box }));
    if (loose.length) {
      const options = { ...LAYOUTS[name](), fit: false, animate: false,
        boundingBox: { x1: 0, y1: 0, w: Math.max(200, Math.sqrt(loose.length) * 160), h: Math.max(120, Math.sqrt(loose.length) * 120) } };
      if (name === "breadthfirst") {
        const roots = loose.filter((n) => n.data("isRoot"));
        options.roots = roots.length ? roots : undefined;
      }
      loose.layout(options).run();
      tiles.unshift({ move: loose, measure: loose });
    }
    packTiles(tiles);
  }

  function packTiles(tiles) {
    const sized = tiles.map((tile) => ({ nodes: tile.move, box: tile.measure.boundingBox({ includeLabels: true }) }));
    const area = sized.reduce((sum, t) => sum + (t.box.w + BOX_GAP) * (t.box.h + BOX_GAP), 0);
    const rowWidth = Math.max(Math.sqrt(area) * 1.6, ...sized.map((t) => t.box.w));
    let x = 0;
    let y = 0;
    let rowHeight = 0;
    sized.forEach(({ nodes, box }) => {
      if (x > 0 && x + box.w > rowWidth) {
        x = 0;
        y += rowHeight + BOX_GAP;
        rowHeight = 0;
      }
      const dx = x - box.x1;
      const dy = y - box.y1;
      nodes.forEach((n) => { const p = n.position(); n.position({ x: p.x + dx, y: p.y + dy }); });
      x += box.w + BOX_GAP;
      rowHeight = Math.max(rowHeight, box.h);
    });
  }

  const LAYOUTS = {
    dagre: () => ({ name: "dagre", rankDir: "LR", nodeSep: 40, rankSep: 90, fit: true, padding: 40 }),
    grid: () => ({ name: "grid", fit: true, padding: 40, avoidOverlap: true, avoidOverlapPadding: 30, nodeDimensionsIncludeLabels: true }),
    concentric: () => ({ name: "concentric", fit: true, padding: 40, minNodeSpacing: 40, nodeDimensionsIncludeLabels: true,
      concentric: (n) => n.degree(), levelWidth: () => 1 }),
    breadthfirst: () => ({ name: "breadthfirst", directed: true, fit: true, padding: 40, spacingFactor: 1.1, nodeDimensionsIncludeLabels: true,
      roots: cy.nodes().filter((n) => n.data("isRoot")) }),
  };

  function markCrossCluster() {
    const clusterOf = (node) => node.ancestors(".box-cluster").first().id() || "";
    cy.edges().forEach((edge) => {
      edge.toggleClass("cross-cluster", clusterOf(edge.source()) !== clusterOf(edge.target()));
    });
  }

  function showStatus(html, kind, id) {
    statusBox.innerHTML = "";
    if (!html) return;
    const alert = document.createElement("div");
    alert.className = "pf-v5-c-alert pf-m-inline pf-m-" + (kind || "info");
    alert.id = id || "graph-message";
    const title = document.createElement("p");
    title.className = "pf-v5-c-alert__title";
    if (html instanceof Node) title.appendChild(html); else title.textContent = html;
    alert.appendChild(title);
    statusBox.appendChild(alert);
  }

  function emptyMessage(documentJson) {
    const nodes = documentJson.elements.nodes.filter(({ data }) => data.nodeType !== "box");
    const minutes = config.duration >= 60 ? Math.round(config.duration / 60) + "m" : config.duration + "s";
    if (nodes.length === 0) {
      const span = document.createElement("span");
      span.textContent = "There is no traffic in the selected namespaces during the last " + minutes + ".";
      if (!config.idleNodes && config.idleNodesUrl) {
        const link = document.createElement("a");
        link.href = config.idleNodesUrl;
        link.textContent = " Show idle nodes";
        span.appendChild(link);
      }
      return span;
    }
    if (nodes.every(({ data }) => data.isIdle)) return "Every node is idle: no requests during the last " + minutes + ".";
    return null;
  }

  function sameElements(a, b) {
    const ids = (doc) => doc.elements.nodes.map((n) => n.data.id).concat(doc.elements.edges.map((e) => e.data.id)).sort().join(",");
    return a && ids(a) === ids(b);
  }

  function draw(documentJson) {
    const elements = toElements(documentJson);
    if (cy && sameElements(lastDocument, documentJson)) {
      cy.batch(() => elements.forEach((el) => {
        const existing = cy.getElementById(el.data.id);
        existing.data(el.data);
        existing.classes(el.classes);
      }));
    } else {
      if (cy) cy.destroy();
      cy = cytoscape({ container, elements, style: STYLE, wheelSensitivity: 0.3, minZoom: 0.1, maxZoom: 4, boxSelectionEnabled: true });
      labelScale = 1;
      cy.on("zoom", readableLabels);
      // Shift + drag draws a box (cytoscape's box selection): zoom to what it took in.
      cy.on("boxend", (event) => setTimeout(() => {
        const taken = cy.$(":selected");
        if (taken.length) cy.animate({ fit: { eles: taken, padding: 30 } }, { duration: 250 });
        taken.unselect(); // the box was a way to zoom, not a selection
      }, 0));
      cy.on("tap", "node, edge", (event) => openPanel(event.target));
      cy.on("tap", (event) => { if (event.target === cy) openSummary(); });
      cy.on("cxttap", "node", (event) => openMenu(event.target, event.renderedPosition));
      // Hovering a node lights up its neighbourhood and dims the rest.
      cy.on("mouseover", "node", (event) => {
        if (event.target.isParent()) return;
        cy.elements().not(event.target.closedNeighborhood().union(event.target.ancestors())).addClass("dimmed");
        if (menu.hidden) showHealthPopover(event.target);
      });
      cy.on("mouseout", "node", () => { cy.elements().removeClass("dimmed"); hideHealthPopover(); });
      cy.on("tap cxttap zoom pan", hideHealthPopover);
      cy.on("tap cxttap zoom pan", (event) => { if (event.type !== "cxttap" || event.target === cy) closeMenu(); });
      layout();
      window.meshGraph.cy = cy;
    }
    lastDocument = documentJson;
    if (panelShows !== "element") openSummary();
    markCrossCluster();
    computeRanks();
    applyExpressions();
    applyFocus();
    if (config.animation && !animationFrame) setAnimation(true);
    const empty = emptyMessage(documentJson);
    showStatus(empty, "info");
    container.dataset.state = empty ? "empty" : "drawn";
  }

  async function fetchJson(url, params) {
    const response = await fetch(url + "?" + new URLSearchParams(params), { headers: { Accept: "application/json" }, credentials: "same-origin" });
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok) {
      const reason = body && body.error ? body.error : "HTTP " + response.status;
      throw new Error(reason);
    }
    return body;
  }

  // The last graph drawn for these options is kept for the browser tab's session, so that
  // when Prometheus stops answering the page still shows it, with its age, even after a
  // reload. A graph too big for the tab's storage is simply not kept.
  const keptKey = "mesh-graph:" + config.apiUrl + "?" + new URLSearchParams(config.apiParams);

  function keep(documentJson) {
    try {
      sessionStorage.setItem(keptKey, JSON.stringify({ at: lastDrawnAt, document: documentJson }));
    } catch (e) {
      try { sessionStorage.removeItem(keptKey); } catch (ignored) { /* storage unavailable */ }
    }
  }

  function kept() {
    try { return JSON.parse(sessionStorage.getItem(keptKey) || "null"); } catch (e) { return null; }
  }

  function spokenAge(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 120) return s + " s";
    if (s < 7200) return Math.floor(s / 60) + " min";
    return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
  }

  function showStale(reason) {
    const at = new Date(lastDrawnAt); // in UTC, as the server's banners give times
    showStatus(
      "The graph could not be refreshed: " + reason + ". Shown: the graph drawn at " +
        at.toISOString().slice(11, 19) + " UTC (" + spokenAge(Date.now() - lastDrawnAt) + " ago).",
      "warning",
      "graph-stale",
    );
    container.dataset.state = "stale";
  }

  async function load() {
    if (replay.on) return; // the replay shows the past; refreshing would jump to now
    if (!lastDocument) showStatus("Loading the graph…", "info", "graph-loading");
    let documentJson;
    try {
      documentJson = await fetchJson(config.apiUrl, config.apiParams);
    } catch (error) {
      const saved = lastDocument ? null : kept();
      if (saved && saved.document) {
        lastDrawnAt = saved.at;
        draw(saved.document);
      }
      if (lastDocument) {
        showStale(error.message);
      } else {
        container.dataset.state = "error";
        showStatus(error.message, "danger");
      }
      return;
    }
    lastDrawnAt = Date.now();
    draw(documentJson);
    keep(documentJson);
    // Prometheus just answered: a banner rendered with the page while it was down is over.
    document.querySelectorAll('#outages [data-dependency="Prometheus"]').forEach((banner) => banner.remove());
    if (config.responseTimeUrl) loadResponseTimes();
  }

  async function loadResponseTimes() {
    // The histogram queries cost more than the graph itself, so they come after the first draw.
    try {
      // For the graph just drawn: the server keeps the times with it for the side panel.
      const params = { ...config.responseTimeParams };
      if (lastDocument && lastDocument.timestamp) params.queryTime = lastDocument.timestamp;
      const body = await fetchJson(config.responseTimeUrl, params);
      responseTimes = body.edges || {};
    } catch (error) {
      return; // labels are an extra; the graph stays as drawn
    }
    if (!cy) return;
    cy.batch(() => cy.edges().forEach((edge) => {
      if (responseTimes[edge.id()] !== undefined && edge.data("responseTime") === undefined) {
        edge.data("rt", num(responseTimes[edge.id()]));
      }
      edge.data("label", edgeLabel(edge.data()));
    }));
    applyExpressions();
  }

  // ---- side panel ----------------------------------------------------------------------
  function ownerOf(element) {
    // The cluster and namespace the panel's access check runs on: a node's own, an edge's
    // end inside the selected namespaces, a box's first member with a namespace.
    if (element.isEdge()) {
      const ends = [element.source().data(), element.target().data()];
      return ends.find((d) => !d.isOutside && !d.isInaccessible) || ends.find((d) => !d.isInaccessible) || ends[0];
    }
    const d = element.data();
    if (d.nodeType !== "box" || d.namespace) return d;
    const member = element.descendants().filter((n) => n.data("namespace")).first();
    return member.length ? { cluster: d.cluster, namespace: member.data("namespace") } : d;
  }

  // What the side panel shows: the graph's summary (GP-01) until an element is clicked,
  // and again after a click on the background.
  let panelShows = "graph";
  function openSummary() {
    if (!lastDocument) return;
    panelShows = "graph";
    const params = new URLSearchParams(new FormData(form));
    if (config.focus) params.set("focus", config.focus);
    params.set("kind", "graph");
    if (lastDocument.timestamp) params.set("queryTime", lastDocument.timestamp);
    htmx.ajax("GET", config.panelUrl + "?" + params, { target: "#graph-side-panel", swap: "innerHTML" });
  }

  function openPanel(element) {
    panelShows = "element";
    const owner = ownerOf(element);
    // The panel summarises the graph the toolbar describes; the form holds the whole view.
    const params = new URLSearchParams(new FormData(form));
    if (config.focus) params.set("focus", config.focus);
    params.set("element", element.id());
    params.set("kind", element.isEdge() ? "edge" : "node");
    params.set("cluster", owner.cluster || "");
    params.set("namespace", owner.namespace || "");
    // The graph on screen, which the server still holds: no queries for the panel.
    if (lastDocument && lastDocument.timestamp) params.set("queryTime", lastDocument.timestamp);
    panel.innerHTML = '<div class="pf-v5-c-card__body console-muted">Loading…</div>';
    htmx.ajax("GET", config.panelUrl + "?" + params, { target: "#graph-side-panel", swap: "innerHTML" });
  }

  document.body.addEventListener("htmx:responseError", (event) => {
    if (event.detail.target !== panel) return;
    const xhr = event.detail.xhr;
    const found = /id="graph-panel-error">([^<]*)</.exec(xhr.responseText || "");
    const message = document.createElement("p");
    message.className = "console-reason";
    message.id = "graph-panel-error";
    message.textContent = found ? found[1] : xhr.status === 403 ? "You may not see this element's namespace." : "The panel could not be loaded (HTTP " + xhr.status + ").";
    panel.innerHTML = '<div class="pf-v5-c-card__body"></div>';
    panel.firstChild.appendChild(message);
  });

  // ---- traffic animation (features.md GR-10) ---------------------------------------------
  // Points travel along every visible edge that carries traffic, more of them for higher
  // rates, on a canvas over the graph; or (ui_defaults.graph.settings.animation: dash)
  // the edges' dashes run from source to target. Both follow zoom and pan as they happen.
  const overlay = document.createElement("canvas");
  overlay.className = "graph-animation";
  overlay.id = "graph-animation";
  overlay.setAttribute("aria-hidden", "true");
  container.parentElement.insertBefore(overlay, container.nextSibling);
  let animationFrame = 0;
  const PERIOD_MS = 2600; // one crossing of an edge

  function pointOn(edge, t) {
    const a = edge.sourceEndpoint(), b = edge.targetEndpoint();
    const controls = edge.controlPoints();
    if (!controls || !controls.length) return { x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t };
    const c = controls[0]; // bezier through one control point (cytoscape's curved edges)
    const u = 1 - t;
    return { x: u * u * a.x + 2 * u * t * c.x + t * t * b.x, y: u * u * a.y + 2 * u * t * c.y + t * t * b.y };
  }

  function animate(now) {
    if (!config.animation || !cy) return;
    const ratio = window.devicePixelRatio || 1;
    const width = container.clientWidth, height = container.clientHeight;
    if (overlay.width !== width * ratio || overlay.height !== height * ratio) {
      overlay.width = width * ratio;
      overlay.height = height * ratio;
    }
    const ctx = overlay.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const zoom = cy.zoom(), pan = cy.pan();
    const dash = config.animationStyle === "dash";
    cy.batch(() => cy.edges().forEach((edge) => {
      const rate = edgeRate(edge.data());
      if (!(rate > 0) || !edge.visible()) return;
      if (dash) {
        edge.style({ "line-style": "dashed", "line-dash-pattern": [6, 4], "line-dash-offset": -((now / 40) % 10) });
        return;
      }
      const points = Math.min(6, 1 + Math.floor(Math.log10(1 + rate * 10)));
      ctx.fillStyle = edge.data("color");
      const radius = Math.max(1.5, Math.min(4, 3 * zoom));
      for (let k = 0; k < points; k += 1) {
        const p = pointOn(edge, ((now / PERIOD_MS) + k / points) % 1);
        ctx.beginPath();
        ctx.arc(p.x * zoom + pan.x, p.y * zoom + pan.y, radius, 0, 2 * Math.PI);
        ctx.fill();
      }
    }));
    animationFrame = requestAnimationFrame(animate);
  }

  function setAnimation(on) {
    config.animation = on;
    cancelAnimationFrame(animationFrame);
    overlay.hidden = !on || config.animationStyle === "dash";
    if (!on) {
      const ctx = overlay.getContext("2d");
      ctx.clearRect(0, 0, overlay.width, overlay.height);
      if (cy) cy.edges().removeStyle("line-style line-dash-pattern line-dash-offset");
      return;
    }
    animationFrame = requestAnimationFrame(animate);
  }

  // ---- health popover (HE-06) ------------------------------------------------------------
  // Hovering a node says why it has its colour: the health engine's status with its pods
  // and each direction's requests, or, for nodes the engine does not cover, the status this
  // graph's own rates give.
  const STATUS_TEXT = { Healthy: "Healthy", Degraded: "Degraded", Failure: "Failure", "Not Ready": "Not Ready", NA: "No health information" };
  const healthPopover = document.createElement("div");
  healthPopover.id = "graph-health-popover";
  healthPopover.className = "pf-v5-c-popover graph-health-popover";
  healthPopover.setAttribute("role", "tooltip");
  healthPopover.hidden = true;
  container.parentElement.appendChild(healthPopover);

  function podsText(health) {
    const statuses = health.workloadStatuses || (health.workloadStatus ? [health.workloadStatus] : []);
    if (!statuses.length) return "";
    const available = statuses.reduce((sum, s) => sum + num(s.availableReplicas), 0);
    const desired = statuses.reduce((sum, s) => sum + num(s.desiredReplicas), 0);
    return `${available} of ${desired} pod${desired === 1 ? "" : "s"} available`;
  }

  function showHealthPopover(node) {
    const d = node.data();
    if (d.nodeType === "box" || node.isParent()) return;
    const rows = [];
    const health = d.healthData || null;
    if (health) {
      const pods = podsText(health);
      if (pods) rows.push(["Pods", pods]);
    }
    const inbound = nodeRate(d, ["http", "grpc"], "In");
    const outbound = nodeRate(d, ["http", "grpc"], "Out");
    rows.push(["Inbound", inbound > 0 ? `${inbound.toFixed(2)} req/s, ${nodeErrorPercent(d).toFixed(1)}% errors` : "no requests in this graph"]);
    if (outbound > 0) rows.push(["Outbound", `${outbound.toFixed(2)} req/s`]);
    const tcp = nodeRate(d, ["tcp"], "In");
    if (tcp > 0) rows.push(["TCP in", `${tcp.toFixed(0)} B/s`]);
    const status = d.health || "NA";
    healthPopover.replaceChildren();
    const content = document.createElement("div");
    content.className = "pf-v5-c-popover__content";
    const title = document.createElement("h3");
    title.className = "pf-v5-c-title pf-m-md";
    title.textContent = nodeName(d) + (d.nodeType === "app" && d.version ? " " + d.version : "");
    const state = document.createElement("p");
    state.dataset.health = status;
    const dot = document.createElement("span");
    dot.style.color = COLOURS[status] || COLOURS.NA;
    dot.textContent = "● ";
    state.append(dot, STATUS_TEXT[status] || status);
    const source = document.createElement("p");
    source.className = "console-muted";
    source.textContent = health && health.status ? "from the health engine's last window" : "from this graph's rates";
    const list = document.createElement("dl");
    list.className = "graph-health-popover__list";
    rows.forEach(([term, value]) => {
      const dt = document.createElement("dt");
      dt.textContent = term;
      const dd = document.createElement("dd");
      dd.textContent = value;
      list.append(dt, dd);
    });
    content.append(title, state, list, source);
    healthPopover.append(content);
    const box = node.renderedBoundingBox({ includeLabels: false });
    healthPopover.hidden = false;
    const right = container.clientWidth - box.x2 > healthPopover.offsetWidth + 16;
    healthPopover.style.left = (right ? box.x2 + 12 : Math.max(4, box.x1 - healthPopover.offsetWidth - 12)) + container.offsetLeft + "px";
    healthPopover.style.top = Math.max(4, box.y1) + container.offsetTop + "px";
  }

  function hideHealthPopover() { healthPopover.hidden = true; }
  // A pointer that leaves the canvas quickly gives cytoscape no mouseout.
  container.addEventListener("mouseleave", () => {
    hideHealthPopover();
    if (cy) cy.elements().removeClass("dimmed");
  });

  // ---- context menu --------------------------------------------------------------------
  const menu = document.createElement("ul");
  menu.id = "graph-context-menu";
  menu.className = "graph-menu";
  menu.setAttribute("role", "menu");
  menu.hidden = true;
  container.parentElement.appendChild(menu);
  container.addEventListener("contextmenu", (event) => event.preventDefault());
  const NO_PAGES = ["unknown", "PassthroughCluster", "BlackHoleCluster"];

  function fill(template, values) {
    // Placeholders sit in the path only; the query string is the page's own options.
    const [path, query] = template.split("?");
    let filled = path;
    for (const [key, value] of Object.entries(values)) filled = filled.replace(key, encodeURIComponent(value));
    return query ? filled + "?" + query.replace("clusterName=__CLUSTER__", "clusterName=" + encodeURIComponent(values.__CLUSTER__ || "")) : filled;
  }

  function menuLinks(d) {
    if (d.nodeType === "box" || d.isInaccessible || d.isServiceEntry) return [];
    const kind = d.nodeType;
    if (kind === "aggregate") {
      const at = (d.aggregate || "").indexOf("=");
      if (at < 1) return [];
      const values = { __CLUSTER__: d.cluster || "", __NAMESPACE__: d.namespace, __AGGREGATE__: d.aggregate.slice(0, at), __VALUE__: d.aggregate.slice(at + 1), __SERVICE__: d.service || "" };
      return [["Node graph", fill(d.service ? config.nodeGraphUrls.aggregateService : config.nodeGraphUrls.aggregate, values)]];
    }
    const name = kind === "app" ? d.app : kind === "workload" ? d.workload : kind === "service" ? d.service : "";
    if (!name || NO_PAGES.includes(name) || !config.detailUrls[kind]) return [];
    const values = { __CLUSTER__: d.cluster || "", __NAMESPACE__: d.namespace, __NAME__: name };
    const detail = fill(config.detailUrls[kind], values);
    const links = [["Details", detail], ["Traffic", detail + "?tab=traffic"], ["Inbound Metrics", detail + "?tab=inbound"]];
    if (kind !== "service") links.push(["Outbound Metrics", detail + "?tab=outbound"]);
    const versioned = kind === "app" && d.version && d.version !== "unknown" && d.version !== "latest";
    const graph = versioned ? config.nodeGraphUrls.appVersion : config.nodeGraphUrls[kind];
    if (graph && !(config.focus && config.focus === [kind, d.namespace, name].join("/"))) {
      links.push(["Node graph", fill(graph, { ...values, __VERSION__: d.version || "" })]);
    }
    if (config.tracingUrl && kind !== "workload") {
      // Names are Kubernetes names; the template may hold them inside its query string.
      const traced = config.tracingUrl.replace("__NAME__", encodeURIComponent(name)).replace("__NAMESPACE__", encodeURIComponent(d.namespace));
      links.push(["View in Tracing", traced, true]);
    }
    return links;
  }

  function openMenu(node, at) {
    const links = menuLinks(node.data());
    menu.innerHTML = "";
    const title = document.createElement("li");
    title.className = "graph-menu__title";
    const d = node.data();
    title.textContent = nodeName(d) + (d.nodeType === "app" && d.version ? " " + d.version : "");
    menu.appendChild(title);
    if (!links.length) {
      const none = document.createElement("li");
      none.className = "console-muted";
      none.textContent = "No pages for this node.";
      menu.appendChild(none);
    }
    for (const [text, href, external] of links) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = href;
      if (external) {
        link.target = "_blank";
        link.rel = "noopener noreferrer";
      }
      link.textContent = text;
      link.setAttribute("role", "menuitem");
      item.appendChild(link);
      menu.appendChild(item);
    }
    menu.style.left = at.x + container.offsetLeft + "px";
    menu.style.top = at.y + container.offsetTop + "px";
    menu.hidden = false;
    const first = menu.querySelector("a");
    if (first) first.focus();
  }

  function closeMenu() { menu.hidden = true; }
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") closeMenu(); });
  document.addEventListener("click", (event) => { if (!menu.contains(event.target)) closeMenu(); });

  // ---- find and hide -------------------------------------------------------------------
  const STRING = "string", NUMBER = "number";
  // operand -> [applies to: node|edge|both, type, getter]
  const OPERANDS = {
    namespace: ["node", STRING, (d) => [d.namespace]],
    cluster: ["node", STRING, (d) => [d.cluster]],
    name: ["node", STRING, (d) => [d.app, d.workload, d.service, nodeName(d)]],
    app: ["node", STRING, (d) => [d.app]],
    version: ["node", STRING, (d) => [d.version]],
    workload: ["node", STRING, (d) => [d.workload]],
    service: ["node", STRING, (d) => [d.service].concat((d.destServices || []).map((s) => s.name))],
    node: ["node", STRING, (d) => [d.nodeType]],
    httpin: ["node", NUMBER, (d) => nodeRate(d, ["http"], "In")],
    httpout: ["node", NUMBER, (d) => nodeRate(d, ["http"], "Out")],
    grpcin: ["node", NUMBER, (d) => nodeRate(d, ["grpc"], "In")],
    grpcout: ["node", NUMBER, (d) => nodeRate(d, ["grpc"], "Out")],
    tcpin: ["node", NUMBER, (d) => nodeRate(d, ["tcp"], "In")],
    tcpout: ["node", NUMBER, (d) => nodeRate(d, ["tcp"], "Out")],
    "%traffic": ["edge", NUMBER, (d) => num(((d.traffic || {}).rates || {})[(d.traffic || {}).protocol + "PercentReq"])],
    rt: ["edge", NUMBER, (d) => num(d.responseTime !== undefined ? d.responseTime : d.rt)],
    throughput: ["edge", NUMBER, (d) => num(d.throughput)],
    protocol: ["edge", STRING, (d) => [(d.traffic || {}).protocol]],
    sourceprincipal: ["edge", STRING, (d) => [d.sourcePrincipal]],
    destprincipal: ["edge", STRING, (d) => [d.destPrincipal]],
    rps: ["both", NUMBER, (d, isEdge) => (isEdge ? ((d.traffic || {}).protocol === "tcp" ? 0 : edgeRate(d)) : Math.max(nodeRate(d, ["http", "grpc"], "In"), nodeRate(d, ["http", "grpc"], "Out")))],
    http: ["both", NUMBER, (d, isEdge) => (isEdge ? ((d.traffic || {}).protocol === "http" ? edgeRate(d) : 0) : Math.max(nodeRate(d, ["http"], "In"), nodeRate(d, ["http"], "Out")))],
    grpc: ["both", NUMBER, (d, isEdge) => (isEdge ? ((d.traffic || {}).protocol === "grpc" ? edgeRate(d) : 0) : Math.max(nodeRate(d, ["grpc"], "In"), nodeRate(d, ["grpc"], "Out")))],
    tcp: ["both", NUMBER, (d, isEdge) => (isEdge ? ((d.traffic || {}).protocol === "tcp" ? edgeRate(d) : 0) : Math.max(nodeRate(d, ["tcp"], "In"), nodeRate(d, ["tcp"], "Out")))],
    "%error": ["both", NUMBER, (d, isEdge) => (isEdge ? edgeErrorPercent(d) : nodeErrorPercent(d))],
    rank: ["node", NUMBER, (d) => d.rank],
  };
  const ALIASES = { ns: "namespace", wl: "workload", svc: "service", responsetime: "rt", "%httptraffic": "%traffic", "%err": "%error", "%httperror": "%error", "%httperr": "%error", "%grpcerror": "%error" };
  const FLAGS = {
    healthy: ["both", (d) => d.health === "Healthy"],
    degraded: ["both", (d) => d.health === "Degraded"],
    failure: ["both", (d) => d.health === "Failure"],
    idle: ["both", (d, isEdge) => (isEdge ? !(d.traffic || {}).rates : Boolean(d.isIdle))],
    outside: ["node", (d) => Boolean(d.isOutside)],
    outofmesh: ["node", (d) => Boolean(d.isOutOfMesh)],
    trafficsource: ["node", (d) => Boolean(d.isRoot)],
    serviceentry: ["node", (d) => Boolean(d.isServiceEntry)],
    virtualservice: ["node", (d) => Boolean(d.hasVS)],
    circuitbreaker: ["node", (d) => Boolean(d.hasCB)],
    faultinjection: ["node", (d) => Boolean(d.hasFaultInjection)],
    mirroring: ["node", (d) => Boolean(d.hasMirroring)],
    requestrouting: ["node", (d) => Boolean(d.hasRequestRouting)],
    requesttimeout: ["node", (d) => Boolean(d.hasRequestTimeout)],
    trafficshifting: ["node", (d) => Boolean(d.hasTrafficShifting)],
    tcptrafficshifting: ["node", (d) => Boolean(d.hasTCPTrafficShifting)],
    gateway: ["node", (d) => Boolean(d.isGateway)],
    dead: ["node", (d) => Boolean(d.isDead)],
    inaccessible: ["node", (d) => Boolean(d.isInaccessible)],
    mtls: ["edge", (d) => num(d.isMTLS) > 0],
  };
  const FLAG_ALIASES = { root: "trafficsource", se: "serviceentry", vs: "virtualservice", cb: "circuitbreaker", fi: "faultinjection", mi: "mirroring", rr: "requestrouting", rto: "requesttimeout", ts: "trafficshifting", tcpts: "tcptrafficshifting", gw: "gateway", unhealthy: "failure" };
  const SYMBOL_OPS = ["<=", ">=", "!=", "=", "<", ">"];
  const WORD_OPS = ["!contains", "contains", "!startswith", "startswith", "!endswith", "endswith"];

  class ExpressionError extends Error {}

  function compareNumber(op, actual, wanted) {
    switch (op) {
      case "=": return actual === wanted;
      case "!=": return actual !== wanted;
      case "<": return actual < wanted;
      case "<=": return actual <= wanted;
      case ">": return actual > wanted;
      default: return actual >= wanted;
    }
  }

  function compareString(op, actual, wanted) {
    const values = actual.filter((v) => v !== undefined && v !== null && v !== "").map((v) => String(v).toLowerCase());
    const w = wanted.toLowerCase();
    const negated = op.startsWith("!");
    const base = negated ? op.slice(1) : op;
    const test = { "=": (v) => v === w, "!=": (v) => v === w, contains: (v) => v.includes(w), startswith: (v) => v.startsWith(w), endswith: (v) => v.endsWith(w) }[base];
    const any = values.some(test);
    return negated || op === "!=" ? !any : any;
  }

  function parseCondition(text) {
    const source = text.trim();
    if (!source) throw new ExpressionError("An expression is missing around AND/OR.");
    const head = /^(!?)\s*(label:[\w./-]+|%?[a-z][\w]*)\s*(.*)$/i.exec(source);
    if (!head) throw new ExpressionError('"' + source + '" does not start with an operand or a flag.');
    const negated = head[1] === "!";
    let name = head[2].toLowerCase();
    const rest = head[3];
    if (!rest) {
      const flagName = FLAG_ALIASES[name] || name;
      if (!FLAGS[flagName]) {
        if (OPERANDS[ALIASES[name] || name] || name.startsWith("label:")) throw new ExpressionError('"' + head[2] + '" needs an operator and a value, e.g. "' + head[2] + ' = x".');
        throw new ExpressionError('Unknown flag "' + head[2] + '". Flags: ' + Object.keys(FLAGS).join(", ") + ".");
      }
      const [target, test] = FLAGS[flagName];
      return { target, test: (d, isEdge) => test(d, isEdge) !== negated };
    }
    if (negated) throw new ExpressionError('"!" negates flags only; use "!=" or "!contains" with "' + head[2] + '".');
    let op = SYMBOL_OPS.find((o) => rest.startsWith(o));
    let value;
    if (op) {
      value = rest.slice(op.length).trim();
    } else {
      const word = /^(!?[a-z]+)\s+(.*)$/i.exec(rest);
      op = word && WORD_OPS.includes(word[1].toLowerCase()) ? word[1].toLowerCase() : null;
      if (!op) throw new ExpressionError('Unknown operator in "' + source + '". Use = != < <= > >= contains startswith endswith.');
      value = word[2].trim();
    }
    value = value.replace(/^(["'])(.*)\1$/, "$2");
    if (!value) throw new ExpressionError('"' + source + '" is missing a value after "' + op + '".');
    let operand;
    if (name.startsWith("label:")) {
      const key = head[2].slice(6);
      operand = ["node", STRING, (d) => [(d.labels || {})[key]]];
    } else {
      name = ALIASES[name] || name;
      operand = OPERANDS[name];
    }
    if (!operand) throw new ExpressionError('Unknown operand "' + head[2] + '". Operands: ' + Object.keys(OPERANDS).join(", ") + ", label:<key>.");
    const [target, type, get] = operand;
    if (name === "rank" && !config.rank) throw new ExpressionError('"rank" needs Rank turned on in Display.');
    if (type === NUMBER) {
      if (WORD_OPS.includes(op)) throw new ExpressionError('"' + head[2] + '" is a number: use = != < <= > >=, not "' + op + '".');
      const wanted = Number(value.replace(/ms$|%$/, ""));
      if (!Number.isFinite(wanted)) throw new ExpressionError('"' + head[2] + '" needs a number, not "' + value + '".');
      return { target, test: (d, isEdge) => compareNumber(op, get(d, isEdge), wanted) };
    }
    if (["<", "<=", ">", ">="].includes(op)) throw new ExpressionError('"' + head[2] + '" is text: use = != contains startswith endswith, not "' + op + '".');
    return { target, test: (d, isEdge) => compareString(op, get(d, isEdge), value) };
  }

  // An expression is OR-ed groups of AND-ed conditions; each group selects nodes or edges.
  function parseExpression(text) {
    return text.split(/\s+OR\s+|\s*\|\|\s*/i).map((group) => {
      const conditions = group.split(/\s+AND\s+|\s*&&\s*/i).map(parseCondition);
      const targets = new Set(conditions.map((c) => c.target).filter((t) => t !== "both"));
      if (targets.size > 1) throw new ExpressionError('"' + group.trim() + '" mixes node and edge operands; join them with OR, not AND.');
      const target = targets.size ? [...targets][0] : "both";
      return { target, test: (d, isEdge) => conditions.every((c) => c.test(d, isEdge)) };
    });
  }

  function select(groups) {
    let matched = cy.collection();
    for (const group of groups) {
      if (group.target !== "edge") matched = matched.union(cy.nodes().not(".box").filter((n) => group.test(n.data(), false)));
      if (group.target !== "node") matched = matched.union(cy.edges().filter((e) => group.test(e.data(), true)));
    }
    return matched;
  }

  function applyExpressions() {
    if (!cy) return;
    const messages = [];
    cy.batch(() => {
      cy.elements().removeClass("find-match hidden");
      if (config.hide.trim()) {
        try {
          const hidden = select(parseExpression(config.hide));
          const hadEdges = cy.nodes().not(".box").filter((n) => n.connectedEdges().length > 0);
          hidden.addClass("hidden");
          hidden.nodes().connectedEdges().addClass("hidden");
          // A node whose every edge was hidden goes too, as in Kiali.
          hadEdges.filter((n) => n.connectedEdges().not(".hidden").length === 0).addClass("hidden");
          cy.nodes(".box").forEach((box) => {
            if (box.descendants().not(".box").not(".hidden").length === 0) box.addClass("hidden");
          });
        } catch (error) {
          if (!(error instanceof ExpressionError)) throw error;
          messages.push("Hide: " + error.message);
        }
      }
      if (config.find.trim()) {
        try {
          select(parseExpression(config.find)).not(".hidden").addClass("find-match");
        } catch (error) {
          if (!(error instanceof ExpressionError)) throw error;
          messages.push("Find: " + error.message);
        }
      }
    });
    errorBox.textContent = messages.join(" ");
    applyEdgeMode();
  }

  // Edge visibility (features.md GR-16): every edge, only unhealthy ones, or none; a view
  // setting, separate from what Hide says.
  function applyEdgeMode() {
    cy.batch(() => {
      cy.edges().removeClass("edge-off");
      if (config.edgeMode === "none") cy.edges().addClass("edge-off");
      else if (config.edgeMode === "unhealthy") {
        cy.edges().filter((e) => !["Degraded", "Failure"].includes(e.data("health"))).addClass("edge-off");
      }
    });
  }

  // focusSelector (GR-23): a cytoscape selector in the URL, e.g. node[app="reviews"], marks
  // and centres what it matches once the graph is drawn.
  let focused = false;
  function applyFocus() {
    if (focused || !config.focusSelector) return;
    focused = true;
    let matched;
    try {
      matched = cy.$(config.focusSelector);
    } catch (error) {
      errorBox.textContent = "focusSelector: not a selector the graph understands.";
      return;
    }
    if (!matched.length) return;
    matched.select();
    cy.animate({ fit: { eles: matched.closedNeighborhood(), padding: 60 } }, { duration: 300 });
  }

  // ---- toolbar -------------------------------------------------------------------------
  function syncUrl() {
    const params = new URLSearchParams(new FormData(form));
    // one namespaces parameter, comma-separated, as the server writes it
    params.set("namespaces", params.getAll("namespaces").filter(Boolean).join(","));
    history.replaceState(history.state, "", "?" + params.toString());
  }

  form.addEventListener("change", (event) => {
    const field = event.target;
    if (field.dataset.presetFor) {
      const box = document.getElementById(field.dataset.presetFor);
      if (field.value) {
        box.value = field.value;
        config[box.name] = field.value;
        applyExpressions();
        syncUrl();
      }
      field.value = "";
      return;
    }
    if (field.hasAttribute("data-local")) {
      if (field.name === "badges") {
        config.showBadges = field.checked;
        if (cy) cy.nodes().forEach((n) => n.data("label", nodeLabel(n.data())));
      } else if (field.name === "animation") {
        setAnimation(field.checked);
      } else if (field.name === "edgeMode") {
        config.edgeMode = field.value;
        if (cy) applyEdgeMode();
      } else if (field.name === "layout") {
        config.layout = field.value;
        if (cy) layout();
      } else if (field.name === "rank" || field.name === "rankBy") {
        if (field.name === "rank") config.rank = field.checked;
        else config.rankBy = field.value;
        computeRanks();
        applyExpressions();
      } else {
        config[field.name] = field.value;
        applyExpressions();
      }
      syncUrl();
      return;
    }
    form.requestSubmit();
  });
  form.addEventListener("submit", (event) => {
    // Enter in find/hide applies the expression without reloading the graph.
    if (document.activeElement && document.activeElement.hasAttribute("data-local") && document.activeElement.type === "text") {
      event.preventDefault();
      config[document.activeElement.name] = document.activeElement.value;
      applyExpressions();
      syncUrl();
    }
  });

  container.addEventListener("keydown", (event) => {
    const action = { "+": "in", "=": "in", "-": "out", "0": "fit" }[event.key];
    if (!action || !cy) return;
    event.preventDefault();
    zoom(action);
  });

  document.querySelectorAll("[data-zoom]").forEach((button) => button.addEventListener("click", () => zoom(button.dataset.zoom)));

  function zoom(action) {
    if (!cy) return;
    const center = { x: container.clientWidth / 2, y: container.clientHeight / 2 };
    if (action === "in") cy.zoom({ level: cy.zoom() * 1.25, renderedPosition: center });
    else if (action === "out") cy.zoom({ level: cy.zoom() / 1.25, renderedPosition: center });
    else if (action === "fit") cy.fit(undefined, 30);
    else layout();
  }

  // Tab completes the operand or flag being typed (to the longest common prefix when several
  // fit); with nothing to complete, Tab moves on as usual.
  const WORDS = [...new Set([...Object.keys(OPERANDS), ...Object.keys(ALIASES), ...Object.keys(FLAGS), ...Object.keys(FLAG_ALIASES), "label:"])].sort();
  document.querySelectorAll("[data-expression]").forEach((input) => input.addEventListener("keydown", (event) => {
    if (event.key !== "Tab" || event.shiftKey) return;
    const before = input.value.slice(0, input.selectionStart);
    const fragment = (/[%\w:]+$/.exec(before) || [""])[0].toLowerCase();
    if (!fragment) return;
    const fits = WORDS.filter((w) => w.startsWith(fragment));
    if (!fits.length) return;
    let common = fits[0];
    for (const w of fits) while (!w.startsWith(common)) common = common.slice(0, -1);
    const completion = fits.length === 1 ? fits[0] + (fits[0].endsWith(":") ? "" : " ") : common;
    if (completion.length <= fragment.length) {
      errorBox.textContent = "Completions: " + fits.join(", ");
      event.preventDefault();
      return;
    }
    event.preventDefault();
    const start = before.length - fragment.length;
    input.value = input.value.slice(0, start) + completion + input.value.slice(input.selectionStart);
    input.selectionStart = input.selectionEnd = start + completion.length;
  }));

  // ---- replay (features.md GR-21) ---------------------------------------------------------
  // The last minutes again, 10 s of telemetry a frame: frame k is the graph at start + 10k,
  // each with the toolbar's own options; playing steps at the chosen speed, the slider jumps.
  const replay = { on: false, playing: false, start: 0, frames: 0, frame: 0, timer: 0 };
  const replayBar = document.getElementById("graph-replay");
  const replayToggle = document.getElementById("graph-replay-toggle");
  const replaySlider = document.getElementById("graph-replay-slider");
  const replayPlay = document.getElementById("graph-replay-play");
  const replayWindow = document.getElementById("graph-replay-window");
  const replaySpeed = document.getElementById("graph-replay-speed");
  const replayTime = document.getElementById("graph-replay-time");
  const FRAME_SECONDS = 10;

  function resetReplay() {
    const span = parseInt(replayWindow.value, 10);
    replay.frames = Math.floor(span / FRAME_SECONDS) + 1;
    replay.start = Math.floor(Date.now() / 1000) - span;
    replaySlider.max = String(replay.frames - 1);
  }

  async function showFrame(k) {
    replay.frame = Math.max(0, Math.min(k, replay.frames - 1));
    replaySlider.value = String(replay.frame);
    const at = replay.start + replay.frame * FRAME_SECONDS;
    replayTime.textContent = new Date(at * 1000).toLocaleTimeString();
    try {
      draw(await fetchJson(config.apiUrl, { ...config.apiParams, queryTime: String(at) }));
    } catch (error) {
      // e.g. a namespace younger than the frame: say so and go on to the next frame
      showStatus(replayTime.textContent + ": " + error.message, "warning");
    }
  }

  function pauseReplay() {
    replay.playing = false;
    clearTimeout(replay.timer);
    replayPlay.textContent = "Play";
  }

  async function step() {
    if (!replay.playing) return;
    if (replay.frame >= replay.frames - 1) { pauseReplay(); return; }
    await showFrame(replay.frame + 1);
    if (replay.playing) replay.timer = setTimeout(step, parseInt(replaySpeed.value, 10));
  }

  if (replayToggle) {
    replayToggle.addEventListener("click", () => {
      replay.on = !replay.on;
      replayToggle.setAttribute("aria-pressed", String(replay.on));
      replayBar.hidden = !replay.on;
      pauseReplay();
      if (replay.on) {
        resetReplay();
        showFrame(0);
      } else {
        replayTime.textContent = "";
        load(); // back to now
      }
    });
    replayPlay.addEventListener("click", () => {
      if (replay.playing) { pauseReplay(); return; }
      if (replay.frame >= replay.frames - 1) showFrame(0);
      replay.playing = true;
      replayPlay.textContent = "Pause";
      replay.timer = setTimeout(step, parseInt(replaySpeed.value, 10));
    });
    replaySlider.addEventListener("input", () => { pauseReplay(); showFrame(parseInt(replaySlider.value, 10)); });
    replayWindow.addEventListener("change", () => { pauseReplay(); resetReplay(); showFrame(0); });
  }

  window.meshGraph = { cy: null, parseExpression, reload: load, timestamp: () => lastDocument && lastDocument.timestamp };
  load();
  if (config.refreshMs > 0) setInterval(load, config.refreshMs);
})();
