// Drag a Gantt bar sideways to set a "start no earlier than" date; the server reschedules.
(function () {
  const wrap = document.getElementById("gantt");
  const svg = wrap && wrap.querySelector("svg");
  if (!svg) return;
  const px = parseFloat(svg.dataset.pxPerDay);
  const origin = new Date(svg.dataset.origin + "T00:00:00");
  const base = wrap.dataset.dragUrl;
  const csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  const iso = (d) => d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  const send = (g, days) => {
    const bar = g.querySelector(".g-bar");
    const x = parseFloat(bar.getAttribute("x")) - 300;
    const start = new Date(origin.getTime() + Math.round(x / px + days) * 86400000);
    const body = new URLSearchParams({ start: iso(start), version: g.dataset.task ? g.dataset.version : "" });
    fetch(base + g.dataset.task + "/drag/", { method: "POST", headers: { "X-CSRFToken": csrf }, body: body, credentials: "same-origin" })
      .finally(() => window.location.reload());
  };
  let drag = null;
  svg.addEventListener("pointerdown", (e) => {
    const g = e.target.closest(".g-task[data-task]");
    if (!g) return;
    drag = { g: g, x0: e.clientX, dx: 0 };
    g.classList.add("dragging");
    svg.setPointerCapture(e.pointerId);
  });
  svg.addEventListener("pointermove", (e) => {
    if (!drag) return;
    drag.dx = e.clientX - drag.x0;
    drag.g.setAttribute("transform", "translate(" + drag.dx + ",0)");
  });
  svg.addEventListener("pointerup", () => {
    if (!drag) return;
    const days = Math.round(drag.dx / px);
    const g = drag.g;
    drag = null;
    if (days === 0) { g.removeAttribute("transform"); g.classList.remove("dragging"); return; }
    send(g, days);
  });
  // Keyboard: focus a bar, then Alt+Arrow moves it one day.
  svg.addEventListener("keydown", (e) => {
    const g = e.target.closest && e.target.closest(".g-task[data-task]");
    if (!g || !e.altKey || (e.key !== "ArrowLeft" && e.key !== "ArrowRight")) return;
    e.preventDefault();
    send(g, e.key === "ArrowRight" ? 1 : -1);
  });
})();
