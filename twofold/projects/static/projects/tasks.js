// Task grid: a refused inline edit (400/409/422) answers the grid again with the reason next to
// the cell; htmx leaves 4xx answers out by default, so they are swapped in here.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (e) {
    const target = e.detail.target;
    if (!target || target.id !== "wbs") return;
    const code = e.detail.xhr.status;
    if (code === 400 || code === 403 || code === 409 || code === 422) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    if (!e.detail.target || e.detail.target.id !== "wbs") return;
    const bad = document.querySelector('#wbs [aria-invalid="true"]');
    if (bad) bad.focus();
  });
})();
