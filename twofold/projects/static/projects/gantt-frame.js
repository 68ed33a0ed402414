// The Gantt scrolls inside its own frame. On a narrow screen (a phone) the task names fill the
// frame, so it opens scrolled to today's line (or the first bar), with the names a swipe away.
(function () {
  "use strict";
  const LABEL = 300;
  const place = () => {
    const frame = document.getElementById("gantt");
    if (!frame || frame.clientWidth >= LABEL + 240) return;
    const today = frame.querySelector(".g-today");
    const bar = frame.querySelector(".g-bar, .g-summary, .g-milestone");
    let x = today ? parseFloat(today.getAttribute("x1")) : NaN;
    if (!(x > LABEL) && bar && bar.getBBox) x = bar.getBBox().x;
    if (x > LABEL) frame.scrollLeft = Math.max(0, x - 60);
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", place);
  else place();
})();
