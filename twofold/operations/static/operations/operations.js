// Operations charts (Chart.js). Data comes from json_script blocks; no inline scripts (CSP).
(function () {
  "use strict";
  // Dates on axes in the organisation's format (core app.js: Twofold.formatDay).
  const fmtDay = (v) => (window.Twofold && window.Twofold.formatDay ? window.Twofold.formatDay(v) : v);
  const RED = "#b42318", BLUE = "#2a5bd7", GREY = "#5a6576", GREEN = "#1f7a3d", AMBER = "#8a5a00";
  function data(id) {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function line(value, label, color, dash) {
    return { type: "line", label: label, data: [], borderColor: color, borderWidth: 1.5, borderDash: dash || [], pointRadius: 0, fill: false, _value: value };
  }
  function kpiChart() {
    const d = data("kpi-chart-data");
    const canvas = document.getElementById("kpi-chart");
    if (!d || !canvas || !window.Chart) return;
    const n = d.labels.length;
    const flat = (v) => Array(n).fill(v);
    const datasets = [{
      label: d.name, data: d.values, borderColor: BLUE, backgroundColor: BLUE, borderWidth: 1.5,
      pointRadius: d.signal.map((s) => (s ? 4 : 2)),
      pointBackgroundColor: d.signal.map((s) => (s ? RED : BLUE)),
      pointBorderColor: d.signal.map((s) => (s ? RED : BLUE)),
      tension: 0,
    }];
    if (d.centre !== null) {
      datasets.push({ label: "Centre line", data: flat(d.centre), borderColor: GREEN, borderWidth: 1.5, pointRadius: 0 });
      datasets.push({ label: "Upper limit", data: flat(d.upper), borderColor: RED, borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0 });
      datasets.push({ label: "Lower limit", data: flat(d.lower), borderColor: RED, borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0 });
    }
    datasets.push({ label: "Target", data: flat(d.target), borderColor: AMBER, borderDash: [2, 3], borderWidth: 1.5, pointRadius: 0 });
    new window.Chart(canvas, {
      type: "line",
      data: { labels: d.labels.map(fmtDay), datasets: datasets },
      options: {
        animation: false, maintainAspectRatio: false,
        plugins: { legend: { position: "bottom" } },
        scales: { x: { ticks: { maxTicksLimit: 12 } }, y: { title: { display: !!d.unit, text: d.unit } } },
      },
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
  document.addEventListener("DOMContentLoaded", function () { kpiChart(); flowCharts(); });
})();
