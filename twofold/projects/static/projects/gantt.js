// Gantt editing, the way MS Project does it:
// - drag a bar sideways: a "start no earlier than" constraint (keyboard: focus a bar, Alt+Arrow);
// - drag its right edge: a new duration in whole working days (keyboard: Alt+Shift+Arrow);
// - drag the round handle at its end onto another bar: a link (type picked in a small popover).
// Every write carries the versions the chart was drawn with. Afterwards the chart is swapped in
// place (a GET with HX-Request answers just the chart) and the server's "what moved" sentence is
// read out in the aria-live status line; a refusal (stale 409, cycle 422, guest 403) is shown there.
(function () {
  const app = document.getElementById("gantt-app");
  const status = document.getElementById("gantt-status");
  const pop = document.getElementById("gantt-link-pop");
  if (!app || !status) return;
  const base = app.dataset.baseUrl;
  const linkUrl = app.dataset.linkUrl;
  const csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  const LABEL = 300;
  const DAY = 86400000;

  const say = (text, bad) => {
    status.className = "gantt-status flash " + (bad ? "flash-error" : "flash-success");
    status.textContent = text;
  };
  const chart = () => document.querySelector("#gantt svg");
  const originOf = (svg) => {
    const [y, m, d] = svg.dataset.origin.split("-").map(Number);
    return Date.UTC(y, m - 1, d);
  };
  const iso = (ms) => new Date(ms).toISOString().slice(0, 10);
  // The day (index from the chart's origin) an x coordinate falls in.
  const dayIndex = (svg, x) => Math.floor((x - LABEL) / parseFloat(svg.dataset.pxPerDay) + 1e-6);
  const svgPoint = (svg, e) => {
    const pt = svg.createSVGPoint();
    pt.x = e.clientX;
    pt.y = e.clientY;
    return pt.matrixTransform(svg.getScreenCTM().inverse());
  };

  const refresh = (focusTask) => {
    const old = document.getElementById("gantt");
    return fetch(window.location.pathname + window.location.search, {
      headers: { "HX-Request": "true" }, credentials: "same-origin",
    })
      .then((r) => { if (!r.ok) throw new Error(String(r.status)); return r.text(); })
      .then((html) => {
        const tpl = document.createElement("template");
        tpl.innerHTML = html.trim();
        const fresh = tpl.content.firstElementChild;
        // The page header's finish date and percent follow the edit (the response carries them).
        const summary = tpl.content.getElementById("project-summary");
        const shown = document.getElementById("project-summary");
        if (summary && shown) shown.replaceWith(summary);
        const left = old.scrollLeft;
        const top = old.scrollTop;
        old.replaceWith(fresh);
        fresh.scrollLeft = left;
        fresh.scrollTop = top;
        const g = focusTask && fresh.querySelector('.g-task[data-task="' + focusTask + '"]');
        if (g) g.focus();
      })
      .catch(() => window.location.reload());
  };

  const post = (url, fields, focusTask) => {
    say("Saving…", false);
    return fetch(url, {
      method: "POST", headers: { "X-CSRFToken": csrf }, body: new URLSearchParams(fields),
      credentials: "same-origin",
    })
      .then((r) => r.json()
        .catch(() => ({ detail: "The change was refused (" + r.status + ")." }))
        .then((data) => ({ ok: r.ok, code: r.status, data: data })))
      .then(({ ok, code, data }) => {
        let text = data.detail || (ok ? "Saved." : "The change was refused.");
        if (code === 409) text += " The chart below now shows the latest plan.";
        say(text, !ok);
        return refresh(focusTask);
      })
      .catch(() => say("The change could not be sent: check the connection and try again.", true));
  };

  const move = (g, days) => {
    const svg = chart();
    const start = originOf(svg) + (dayIndex(svg, parseFloat(g.querySelector(".g-bar").getAttribute("x"))) + days) * DAY;
    return post(base + g.dataset.task + "/drag/", { start: iso(start), version: g.dataset.version }, g.dataset.task);
  };
  const resizeTo = (g, fields) => post(base + g.dataset.task + "/resize/", Object.assign({ version: g.dataset.version }, fields), g.dataset.task);

  // Link popover: pick the type after dropping the handle on another bar.
  let pending = null;
  const closePop = () => {
    if (!pop) return;
    pop.hidden = true;
    if (pending && pending.line) pending.line.remove();
    const g = pending && pending.source;
    pending = null;
    if (g && document.contains(g)) g.focus();
  };
  const openPop = (source, target, e, line) => {
    pending = { source: source, target: target, line: line };
    pop.querySelector(".gantt-pop-title").textContent = "Link " + source.dataset.name + " → " + target.dataset.name;
    pop.elements.type.value = "FS";
    pop.hidden = false;
    pop.style.left = Math.max(8, Math.min(e.clientX, window.innerWidth - pop.offsetWidth - 8)) + "px";
    pop.style.top = Math.max(8, Math.min(e.clientY + 12, window.innerHeight - pop.offsetHeight - 8)) + "px";
    pop.elements.type.focus();
  };
  if (pop) {
    pop.addEventListener("submit", (e) => {
      e.preventDefault();
      if (!pending) return;
      const { source, target } = pending;
      const fields = {
        pred: source.dataset.target, succ: target.dataset.target, type: pop.elements.type.value,
        pred_version: source.dataset.version, succ_version: target.dataset.version,
      };
      if (pending.line) pending.line.remove();
      pending = null;
      pop.hidden = true;
      post(linkUrl, fields, source.dataset.task);
    });
    pop.querySelector("[data-cancel]").addEventListener("click", closePop);
    pop.addEventListener("keydown", (e) => { if (e.key === "Escape") closePop(); });
  }

  let drag = null;
  document.addEventListener("pointerdown", (e) => {
    const svg = e.target.closest && e.target.closest("#gantt svg");
    if (!svg || e.button !== 0 || pending) return;
    const g = e.target.closest(".g-item[data-target]");
    if (!g) return;
    const p = svgPoint(svg, e);
    if (e.target.classList.contains("g-handle")) {
      const line = document.createElementNS("http://www.w3.org/2000/svg", "line");
      line.setAttribute("class", "g-link-temp");
      line.setAttribute("x1", e.target.getAttribute("cx"));
      line.setAttribute("y1", e.target.getAttribute("cy"));
      line.setAttribute("x2", p.x);
      line.setAttribute("y2", p.y);
      svg.appendChild(line);
      svg.classList.add("linking");
      drag = { mode: "link", svg: svg, g: g, line: line, over: null };
    } else if (g.dataset.task) {
      const bar = g.querySelector(".g-bar");
      drag = {
        mode: e.target.classList.contains("g-resize") ? "resize" : "move", svg: svg, g: g, x0: p.x, dx: 0,
        barX: parseFloat(bar.getAttribute("x")), barW: parseFloat(bar.getAttribute("width")),
        clip: bar.getAttribute("clip-path"),
      };
      // A split bar shows its whole length while it is resized (its parts are drawn again after).
      if (drag.mode === "resize" && drag.clip) bar.removeAttribute("clip-path");
    } else {
      return;
    }
    e.preventDefault();
    g.classList.add("dragging");
    svg.setPointerCapture(e.pointerId);
  });

  document.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const p = svgPoint(drag.svg, e);
    if (drag.mode === "link") {
      drag.line.setAttribute("x2", p.x);
      drag.line.setAttribute("y2", p.y);
      const hit = document.elementFromPoint(e.clientX, e.clientY);
      const over = hit && hit.closest && hit.closest("#gantt .g-item[data-target]");
      if (drag.over && drag.over !== over) drag.over.classList.remove("drop-target");
      drag.over = over && over !== drag.g ? over : null;
      if (drag.over) drag.over.classList.add("drop-target");
      return;
    }
    drag.dx = p.x - drag.x0;
    if (drag.mode === "move") {
      drag.g.setAttribute("transform", "translate(" + drag.dx + ",0)");
    } else {
      const px = parseFloat(drag.svg.dataset.pxPerDay);
      const w = Math.max(drag.barW + drag.dx, px / 2);
      drag.g.querySelector(".g-bar").setAttribute("width", w);
      drag.g.querySelectorAll(".g-resize, .g-handle").forEach((el) => el.setAttribute("transform", "translate(" + (w - drag.barW) + ",0)"));
    }
  });

  const reset = (d) => {
    d.g.classList.remove("dragging");
    d.g.removeAttribute("transform");
    d.svg.classList.remove("linking");
    if (d.over) d.over.classList.remove("drop-target");
    if (d.mode === "resize") {
      d.g.querySelector(".g-bar").setAttribute("width", d.barW);
      if (d.clip) d.g.querySelector(".g-bar").setAttribute("clip-path", d.clip);
      d.g.querySelectorAll(".g-resize, .g-handle").forEach((el) => el.removeAttribute("transform"));
    }
  };

  document.addEventListener("pointerup", (e) => {
    if (!drag) return;
    const d = drag;
    drag = null;
    if (d.mode === "link") {
      const target = d.over;
      reset(d);
      if (target && pop) openPop(d.g, target, e, d.line);
      else d.line.remove();
      return;
    }
    const px = parseFloat(d.svg.dataset.pxPerDay);
    if (d.mode === "move") {
      const days = Math.round(d.dx / px);
      if (days === 0) { reset(d); return; }
      move(d.g, days);
      return;
    }
    // Resize: the day the right edge now falls in is the new last day of the task.
    const before = dayIndex(d.svg, d.barX + d.barW);
    const after = Math.max(dayIndex(d.svg, d.barX + Math.max(d.barW + d.dx, px / 2)), dayIndex(d.svg, d.barX));
    if (after === before) { reset(d); return; }
    resizeTo(d.g, { finish: iso(originOf(d.svg) + after * DAY) });
  });

  document.addEventListener("pointercancel", () => { if (drag) { if (drag.line) drag.line.remove(); reset(drag); drag = null; } });

  // Keyboard: Alt+Arrow moves the focused bar a day; Alt+Shift+Arrow changes its duration by a
  // working day. Links: the form in the task table.
  document.addEventListener("keydown", (e) => {
    const g = e.target.closest && e.target.closest("#gantt .g-task[data-task]");
    if (!g || !e.altKey || (e.key !== "ArrowLeft" && e.key !== "ArrowRight")) return;
    e.preventDefault();
    const step = e.key === "ArrowRight" ? 1 : -1;
    if (!e.shiftKey) { move(g, step); return; }
    const days = Math.round(parseFloat(g.dataset.days)) + step;
    if (days < 1) { say("A bar is at least one working day long.", true); return; }
    resizeTo(g, { days: days });
  });
})();
