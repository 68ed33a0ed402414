// The Gantt scrolls inside its own frame, and its task names stay in view: the names column
// (#gantt-names, drawn last) follows the frame's sideways scroll. On a narrow screen (a phone)
// the names would fill the frame, so it opens scrolled to today's line (or the first bar), and
// once scrolled the names keep a narrower column (the full name is in each label's tooltip).
(function () {
  "use strict";
  const LABEL = 300;
  const narrow = (frame) => frame.clientWidth < LABEL + 240;
  const fit = (frame) => {
    const names = frame.querySelector("#gantt-names");
    if (!names) return;
    const left = frame.scrollLeft;
    names.setAttribute("transform", "translate(" + left + ",0)");
    const width = left > 0 && narrow(frame)
      ? Math.max(120, Math.round(frame.clientWidth * 0.4)) : LABEL;
    names.querySelectorAll(".g-names-width").forEach((r) => r.setAttribute("width", width));
    const edge = names.querySelector(".g-names-edge");
    if (edge) {
      edge.setAttribute("x1", width - 0.5);
      edge.setAttribute("x2", width - 0.5);
    }
    const shade = names.querySelector(".g-names-shade");
    if (shade) shade.setAttribute("x", width);
    const cut = names.querySelector(".g-names-cut");
    if (cut) cut.setAttribute("x", width - 18);
    names.classList.toggle("g-names-narrow", width < LABEL);
    names.classList.toggle("g-names-floating", left > 0);
  };
  const place = () => {
    const frame = document.getElementById("gantt");
    if (!frame) return;
    if (narrow(frame)) {
      const today = frame.querySelector(".g-today");
      const bar = frame.querySelector(".g-bar, .g-summary, .g-milestone");
      let x = today ? parseFloat(today.getAttribute("x1")) : NaN;
      if (!(x > LABEL) && bar && bar.getBBox) x = bar.getBBox().x;
      // Today (or the first bar) just right of the narrower names column.
      if (x > LABEL) frame.scrollLeft = Math.max(0, x - Math.round(frame.clientWidth * 0.4) - 40);
    }
    fit(frame);
  };
  // Scroll events do not bubble: caught on the way down, which also covers a frame that
  // gantt.js swapped in after an edit (it restores the scroll position).
  document.addEventListener("scroll", (e) => {
    if (e.target && e.target.id === "gantt") fit(e.target);
  }, true);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", place);
  else place();
})();
