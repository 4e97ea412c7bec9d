/* Metrics panels: fetch the panel's metrics JSON (Kiali's shape) and draw one uPlot chart
 * per metric, with a legend entry per series. A 503 answer carries the reason Prometheus
 * could not be read; it is shown as text instead of charts. */
(function () {
  "use strict";

  var COLORS = ["#0066cc", "#c9190b", "#3e8635", "#f0ab00", "#8476d1", "#009596", "#ec7a08", "#6a6e73"];

  function seriesLabel(entry, suffix) {
    var values = Object.keys(entry.labels || {}).sort().map(function (k) { return entry.labels[k]; })
      .filter(function (v) { return v !== ""; });
    var text = values.length ? values.join(" ") : "total";
    if (entry.stat) text += " " + (entry.stat === "avg" ? "avg" : "p" + (parseFloat(entry.stat) * 100));
    return suffix ? text + " " + suffix : text;
  }

  // data-label-filter="label=value" keeps one group's series (an edge's own source out of
  // its destination's inbound traffic grouped by source), shown without the label.
  function kept(chart) {
    var filter = chart.dataset.labelFilter || "";
    var at = filter.indexOf("=");
    if (at < 0) return function (e) { return e; };
    var label = filter.slice(0, at), value = filter.slice(at + 1);
    return function (e) {
      if (!e.labels || e.labels[label] !== value) return null;
      var labels = Object.assign({}, e.labels);
      delete labels[label];
      return Object.assign({}, e, { labels: labels });
    };
  }

  function collect(document, chart) {
    var scale = parseFloat(chart.dataset.scale || "1");
    var picked = [];
    var keep = kept(chart);
    var add = function (suffix) {
      return function (e) { var k = keep(e); if (k) picked.push({ entry: k, suffix: suffix }); };
    };
    (document[chart.dataset.metric] || []).forEach(add(""));
    if (chart.dataset.overlay) {
      (document[chart.dataset.overlay] || []).forEach(add("(errors)"));
    }
    var times = {};
    picked.forEach(function (p) { p.entry.datapoints.forEach(function (d) { times[d[0]] = true; }); });
    var xs = Object.keys(times).map(Number).sort(function (a, b) { return a - b; });
    var index = {};
    xs.forEach(function (t, i) { index[t] = i; });
    var data = [xs];
    var series = [{}];
    picked.forEach(function (p, n) {
      var ys = xs.map(function () { return null; });
      p.entry.datapoints.forEach(function (d) {
        var v = parseFloat(d[1]);
        ys[index[d[0]]] = isFinite(v) ? v * scale : null;
      });
      data.push(ys);
      series.push({ label: seriesLabel(p.entry, p.suffix), stroke: COLORS[n % COLORS.length], width: 1.5,
                    spanGaps: false, value: function (u, v) { return v == null ? "–" : v.toPrecision(3); } });
    });
    return { data: data, series: series };
  }

  function requestedWindow(chart) {
    var panel = chart.closest(".metrics-panel");
    if (!panel) return null;
    var params = new URL(panel.dataset.metricsUrl, window.location.href).searchParams;
    var duration = parseFloat(params.get("duration"));
    if (!isFinite(duration) || duration <= 0) return null;
    var end = parseFloat(params.get("queryTime"));
    if (!isFinite(end)) end = Date.now() / 1000;
    return [end - duration, end];
  }

  function draw(chart, document) {
    var plot = chart.querySelector(".metrics-chart__plot");
    plot.textContent = "";
    var built = collect(document, chart);
    if (built.series.length < 2 || built.data[0].length === 0) {
      var empty = window.document.createElement("p");
      empty.className = "metrics-chart__empty";
      empty.textContent = "No data";
      plot.appendChild(empty);
      chart.dataset.state = "empty";
      return;
    }
    var width = Math.max(260, plot.clientWidth || chart.clientWidth || 500);
    var window_ = requestedWindow(chart);
    var panel = chart.closest(".metrics-panel");
    new uPlot({
      width: width,
      // the graph's side panel asks for small charts
      height: (panel && parseInt(panel.dataset.chartHeight, 10)) || 220,
      series: built.series,
      // Rates, sizes and durations are never negative; starting at zero keeps flat series readable.
      // The x axis spans the time range asked for, not the data: a young namespace with a
      // single point would otherwise stretch the axis over years.
      scales: {
        x: { time: true, range: function (u, min, max) { return window_ || [min, max]; } },
        y: { range: function (u, min, max) { return [0, max > 0 ? max * 1.1 : 1]; } },
      },
      axes: [{}, { size: 60, label: chart.dataset.unit }],
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false } },
    }, built.data, plot);
    chart.dataset.state = "drawn";
  }

  function load(panel) {
    var status = panel.querySelector(".metrics-panel__status");
    var charts = panel.querySelectorAll(".metrics-chart");
    fetch(panel.dataset.metricsUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          return { ok: response.ok, status: response.status, body: body };
        });
      })
      .then(function (answer) {
        if (!answer.ok) {
          var reason = answer.body && answer.body.error ? answer.body.error
            : "metrics unavailable: HTTP " + answer.status;
          status.textContent = reason;
          status.classList.add("metrics-panel__status--error");
          panel.dataset.state = "error";
          charts.forEach(function (c) { c.hidden = true; });
          return;
        }
        status.textContent = "";
        charts.forEach(function (c) { draw(c, answer.body); });
        panel.dataset.state = "loaded";
      })
      .catch(function (err) {
        status.textContent = "metrics unavailable: " + err.message;
        status.classList.add("metrics-panel__status--error");
        panel.dataset.state = "error";
      });
  }

  // The panel's settings apply as soon as they change (the page reloads with them in its
  // URL); its refresh control reloads only the charts' data (scope.js fires `refresh`).
  function settingsOf(panel) {
    var form = panel.querySelector(".metrics-panel__settings");
    if (!form) return;
    form.addEventListener("change", function (event) {
      if (event.target.name === "refresh") {
        var url = new URL(window.location.href);
        url.searchParams.set("refresh", event.target.value);
        window.history.replaceState(window.history.state, "", url);
        return;
      }
      form.requestSubmit();
    });
    form.addEventListener("refresh", function () { load(panel); });
  }

  function start(root) {
    root.querySelectorAll(".metrics-panel[data-metrics-url]").forEach(function (panel) {
      if (panel.dataset.started) return;
      panel.dataset.started = "true";
      settingsOf(panel);
      load(panel);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { start(document); });
  } else {
    start(document);
  }
  document.addEventListener("htmx:afterSettle", function (event) { start(event.target); });
})();
