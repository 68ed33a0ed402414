// Operations charts (Chart.js). Data comes from json_script blocks; no inline scripts (CSP).
(function () {
  "use strict";
  // Dates on axes in the organisation's format (core app.js: Twofold.formatDay).
  const fmtDay = (v) => (window.Twofold && window.Twofold.formatDay ? window.Twofold.formatDay(v) : v);
  const RED = "#b42318", BLUE = "#2a5bd7", GREY = "#5a6576", GREEN = "#1f7a3d", AMBER = "#8a5a00", PURPLE = "#7a3fb0";
  function data(id) {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function line(value, label, color, dash) {
    return { type: "line", label: label, data: [], borderColor: color, borderWidth: 1.5, borderDash: dash || [], pointRadius: 0, fill: false, _value: value };
  }
  // A dashed vertical line where each phase starts (the KPI's change points), with its label.
  const phaseMarks = {
    id: "phaseMarks",
    afterDatasetsDraw(chart, _args, opts) {
      const marks = opts && opts.marks;
      if (!marks || !marks.length) return;
      const x = chart.scales.x, area = chart.chartArea, ctx = chart.ctx;
      ctx.save();
      marks.forEach((m, k) => {
        const px = (x.getPixelForValue(m.index - 1) + x.getPixelForValue(m.index)) / 2;
        ctx.strokeStyle = GREY; ctx.lineWidth = 1; ctx.setLineDash([4, 3]);
        ctx.beginPath(); ctx.moveTo(px, area.top); ctx.lineTo(px, area.bottom); ctx.stroke();
        ctx.setLineDash([]); ctx.fillStyle = "#1d2939"; ctx.font = "12px system-ui, sans-serif";
        const text = m.label.length > 40 ? m.label.slice(0, 39) + "…" : m.label;
        const width = ctx.measureText(text).width;
        const left = px + 4 + width > area.right ? px - 4 - width : px + 4;
        const top = area.top + 12 + 14 * (k % 2);
        ctx.fillStyle = "rgba(255,255,255,.85)"; ctx.fillRect(left - 2, top - 11, width + 4, 14);
        ctx.fillStyle = "#1d2939"; ctx.fillText(text, left, top);
      });
      ctx.restore();
    },
  };
  function kpiChart(canvas, d) {
    const n = d.labels.length;
    const series = (v) => (Array.isArray(v) ? v : Array(n).fill(v));
    const datasets = [{
      label: d.name, data: d.values, borderColor: BLUE, backgroundColor: BLUE, borderWidth: 1.5,
      pointRadius: d.signal.map((s) => (s ? 4 : 2)),
      pointBackgroundColor: d.signal.map((s) => (s ? RED : BLUE)),
      pointBorderColor: d.signal.map((s) => (s ? RED : BLUE)),
      tension: 0, spanGaps: true,
    }];
    const phased = Array.isArray(d.centre);
    // Corrected values: a diamond over the point; voided ones: a grey cross, off the line.
    const fix = d.corrected || [];
    const num = (v) => (v === null || v === undefined ? "" : String(Math.round(v * 10000) / 10000));
    const unit = d.unit ? " " + d.unit : "";
    if (fix.some((c) => c && !c.voided)) {
      datasets.push({
        type: "line", label: "Corrected value", showLine: false, order: -1,
        data: d.values.map((v, i) => (fix[i] && !fix[i].voided ? v : null)),
        pointStyle: "rectRot", pointRadius: 7, pointHoverRadius: 9, borderWidth: 2,
        borderColor: PURPLE, backgroundColor: "rgba(122,63,176,.25)",
        _notes: fix.map((c) => (c && !c.voided ? ["First recorded as " + num(c.original) + unit, "Reason: " + c.reason] : null)),
      });
    }
    if ((d.voided || []).some((v) => v !== null)) {
      datasets.push({
        type: "line", label: "Voided (not counted)", showLine: false,
        data: d.voided, pointStyle: "crossRot", pointRadius: 7, pointHoverRadius: 9, borderWidth: 2,
        borderColor: GREY, backgroundColor: GREY,
        _notes: fix.map((c) => (c && c.voided ? ["Voided: " + c.reason] : null)),
      });
    }
    if (d.centre !== null) {
      // Per-phase limits are step lines: a gap (null) where a phase has too few points.
      datasets.push({ label: phased ? "Centre line (per phase)" : "Centre line", data: series(d.centre), borderColor: GREEN, borderWidth: 1.5, pointRadius: 0, stepped: phased ? "middle" : false, spanGaps: false });
      datasets.push({ label: "Upper limit", data: series(d.upper), borderColor: RED, borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0, stepped: phased ? "middle" : false, spanGaps: false });
      datasets.push({ label: "Lower limit", data: series(d.lower), borderColor: RED, borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0, stepped: phased ? "middle" : false, spanGaps: false });
    }
    datasets.push({ label: "Target", data: series(d.target), borderColor: AMBER, borderDash: [2, 3], borderWidth: 1.5, pointRadius: 0 });
    new window.Chart(canvas, {
      type: "line",
      data: { labels: d.labels.map(fmtDay), datasets: datasets },
      plugins: [phaseMarks],
      options: {
        animation: false, maintainAspectRatio: false,
        layout: { padding: { top: (d.changes || []).length ? 8 : 0 } },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 24, boxHeight: 2 } },
          phaseMarks: { marks: d.changes || [] },
          tooltip: { callbacks: { afterLabel: (ctx) => { const n = ctx.dataset._notes; return n && n[ctx.dataIndex] ? n[ctx.dataIndex] : ""; } } },
        },
        scales: { x: { ticks: { maxTicksLimit: 10, maxRotation: 0, autoSkipPadding: 8 } }, y: { title: { display: !!d.unit, text: d.unit } } },
        // A click on a value opens it (to correct or void it, or to read its history).
        onClick: (_event, items) => {
          const hit = items.find((it) => d.ids && d.ids[it.index]);
          if (hit && d.measurement_url) window.location.href = d.measurement_url.replace("/0/", "/" + d.ids[hit.index] + "/");
        },
      },
    });
  }
  function kpiCharts() {
    if (!window.Chart) return;
    document.querySelectorAll("canvas[data-chart-data], canvas#kpi-chart").forEach((canvas) => {
      const d = data(canvas.dataset.chartData || "kpi-chart-data");
      if (d) kpiChart(canvas, d);
    });
  }
  function flowCharts() {
    const d = data("flow-data");
    if (!d || !window.Chart) return;
    const base = { animation: false, maintainAspectRatio: false, plugins: { legend: { position: "bottom" } } };
    const el = (id) => document.getElementById(id);
    if (el("flow-throughput")) {
      new window.Chart(el("flow-throughput"), {
        type: "bar",
        data: { labels: d.throughput.labels, datasets: [{ label: "Finished", data: d.throughput.counts, backgroundColor: BLUE }] },
        options: Object.assign({}, base, { scales: { x: { ticks: { maxTicksLimit: 13 } } } }),
      });
    }
    const pctColors = { 50: GREEN, 85: AMBER, 95: RED };
    if (el("flow-cycle")) {
      const xs = d.cycle.points.map((p) => p.x);
      const datasets = [{ type: "scatter", label: "Items (days)", data: d.cycle.points, backgroundColor: "rgba(42,91,215,.55)", pointRadius: 3 }];
      d.cycle.lines.forEach((ln) => {
        datasets.push({ type: "line", label: ln.level + "th percentile", data: xs.length ? [{ x: xs[0], y: ln.days }, { x: xs[xs.length - 1], y: ln.days }] : [], borderColor: pctColors[ln.level], borderDash: [6, 4], pointRadius: 0, borderWidth: 1.5 });
      });
      new window.Chart(el("flow-cycle"), {
        type: "scatter", data: { labels: xs.slice().sort(), datasets: datasets },
        options: Object.assign({}, base, { scales: { x: { type: "category", labels: Array.from(new Set(xs)).sort(), ticks: { maxTicksLimit: 10, callback: function (v) { return fmtDay(this.getLabelForValue(v)); } } }, y: { title: { display: true, text: "days" } } } }),
      });
    }
    if (el("flow-wip")) {
      const labels = d.wip.ages.map((_, i) => "#" + (i + 1));
      const colors = d.wip.exceeded.map((lv) => pctColors[lv] || BLUE);
      const datasets = [{ type: "bar", label: "Age (days)", data: d.wip.ages, backgroundColor: colors }];
      d.wip.lines.forEach((ln) => datasets.push({ type: "line", label: ln.level + "th percentile", data: labels.map(() => ln.days), borderColor: pctColors[ln.level], borderDash: [6, 4], pointRadius: 0, borderWidth: 1.5 }));
      new window.Chart(el("flow-wip"), { data: { labels: labels, datasets: datasets }, options: base });
    }
    if (el("flow-cfd")) {
      const fills = ["rgba(90,101,118,.35)", "rgba(42,91,215,.45)", "rgba(31,122,61,.55)"];
      const datasets = d.cfd.states.map((name, k) => ({ label: name, data: d.cfd.cumulative[k], fill: k === d.cfd.states.length - 1 ? "origin" : "+1", backgroundColor: fills[k], borderColor: fills[k].replace(/[\d.]+\)$/, "1)"), pointRadius: 0, borderWidth: 1 }));
      new window.Chart(el("flow-cfd"), { type: "line", data: { labels: d.cfd.labels.map(fmtDay), datasets: datasets }, options: Object.assign({}, base, { scales: { x: { ticks: { maxTicksLimit: 12 } } } }) });
    }
  }
  document.addEventListener("DOMContentLoaded", function () { kpiCharts(); flowCharts(); });
})();
