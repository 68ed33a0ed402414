// Schedule risk page: histogram + S-curve of the simulated finish date (Chart.js), with
// vertical markers for P50, P80 and the target. Data comes from a json_script element.
(function () {
  "use strict";

  function ms(iso) { return new Date(iso).getTime(); }

  function fmt(value) {
    // The organisation's date format (core app.js), not the browser's locale.
    return window.Twofold ? window.Twofold.formatDay(value, true) : new Date(value).toISOString().slice(0, 10);
  }

  var markerPlugin = {
    id: "riskMarkers",
    afterDatasetsDraw: function (chart, _args, options) {
      var x = chart.scales.x, area = chart.chartArea, ctx = chart.ctx;
      (options.lines || []).forEach(function (line, n) {
        if (line.at === null || line.at === undefined) { return; }
        var px = x.getPixelForValue(line.at);
        if (px < area.left - 1 || px > area.right + 1) { return; }
        ctx.save();
        ctx.strokeStyle = line.color;
        ctx.lineWidth = 2;
        ctx.setLineDash(line.dash || []);
        ctx.beginPath();
        ctx.moveTo(px, area.top);
        ctx.lineTo(px, area.bottom);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = line.color;
        ctx.font = "600 12px system-ui, sans-serif";
        var text = line.label + " " + fmt(line.at);
        var w = ctx.measureText(text).width;
        var tx = px + 4 + w > area.right ? px - 4 - w : px + 4;
        ctx.fillText(text, tx, area.top + 12 + n * 15);
        ctx.restore();
      });
    }
  };

  function draw() {
    var source = document.getElementById("risk-chart-data");
    var canvas = document.getElementById("finish-chart");
    if (!source || !canvas || typeof Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    if (!data) { return; }
    // The histogram as a filled step line: each bin holds its count from its start to its end
    // on the time axis (bins are working days; one that spans a weekend is wider).
    var bars = data.histogram.map(function (b) { return { x: ms(b.from), y: b.count }; });
    if (data.histogram.length) {
      var last = data.histogram[data.histogram.length - 1];
      bars.push({ x: ms(last.to), y: last.count });
    }
    var curve = data.scurve.map(function (p) { return { x: ms(p.at), y: p.pct }; });
    var lines = [
      { label: "P50", at: data.p50 ? ms(data.p50) : null, color: "#2a5bd7" },
      { label: "P80", at: data.p80 ? ms(data.p80) : null, color: "#8a5a00" },
      { label: "Target", at: data.target ? ms(data.target) : null, color: "#b42318", dash: [6, 4] }
    ];
    var xs = curve.map(function (p) { return p.x; }).concat(
      lines.filter(function (l) { return l.at; }).map(function (l) { return l.at; }));
    var span = Math.max.apply(null, xs) - Math.min.apply(null, xs);
    var pad = Math.max(span * 0.03, 3600 * 1000 * 12);
    new Chart(canvas, {
      data: {
        datasets: [
          {
            type: "line", label: "Iterations finishing", data: bars, yAxisID: "y",
            // "before": each point's count holds until the next point (the bin's end). With
            // "after" every bin was drawn over the one before it, a bin early.
            stepped: "before", fill: "origin", pointRadius: 0, borderWidth: 1.5,
            backgroundColor: "rgba(42, 91, 215, 0.30)", borderColor: "#2a5bd7"
          },
          {
            type: "line", label: "Probability of finishing by (S-curve)", data: curve,
            yAxisID: "y2", borderColor: "#1c2430", backgroundColor: "#1c2430",
            // Monotone: a cumulative curve never dips (a plain tension overshot between points).
            pointRadius: 0, borderWidth: 2, cubicInterpolationMode: "monotone"
          }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "nearest", axis: "x", intersect: false },
        scales: {
          x: {
            type: "linear", min: Math.min.apply(null, xs) - pad, max: Math.max.apply(null, xs) + pad,
            ticks: { callback: fmt, maxTicksLimit: 10, color: "#5a6576" }, grid: { display: false }
          },
          y: { beginAtZero: true, grace: "10%", title: { display: true, text: "Iterations" }, ticks: { color: "#5a6576" } },
          y2: {
            position: "right", min: 0, max: 100, grid: { display: false },
            title: { display: true, text: "Cumulative %" },
            ticks: { callback: function (v) { return v + " %"; }, color: "#5a6576" }
          }
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              title: function (items) { return items.length ? fmt(items[0].parsed.x) : ""; },
              label: function (item) {
                return item.dataset.yAxisID === "y2"
                  ? item.parsed.y.toFixed(0) + " % finish by then"
                  : item.parsed.y + " iterations";
              }
            }
          },
          riskMarkers: { lines: lines }
        }
      },
      plugins: [markerPlugin]
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();

// The estimates form posts only the rows a person changed: a 2,000-task plan has ~1,300 rows of
// three inputs (the server merges what is posted with the stored estimates, and leaves the rest
// as they are). Without this script every row is posted, which the server also accepts.
(function () {
  "use strict";
  function rows(form) {
    return Array.prototype.slice.call(form.querySelectorAll("table.estimates tbody tr"));
  }
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (e.defaultPrevented || !form.querySelector || !form.querySelector("table.estimates")) {
      return;
    }
    rows(form).forEach(function (row) {
      // A row the server showed back after refusing the form (data-changed) differs from what
      // is stored even if it was not touched since: it is posted again.
      if (row.hasAttribute("data-changed")) { return; }
      var inputs = Array.prototype.slice.call(row.querySelectorAll("input[name^='est-']"));
      var changed = inputs.some(function (input) { return input.value !== input.defaultValue; });
      if (!changed) { inputs.forEach(function (input) { input.disabled = true; }); }
    });
  });
  // Back to the page from the browser's history: nothing stays switched off.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("table.estimates input[name^='est-']:disabled").forEach(
      function (input) { input.disabled = false; });
  });
})();
