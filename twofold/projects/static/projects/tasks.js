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

// An assignee list is rendered with its current choice only; the organisation's people are in
// one <template> per table and are copied into a row's list when it is first focused or opened
// (a 2,000-task plan with 200 people was 400,000 options and 22 MB). A person no longer in the
// organisation stays as the current choice.
(function () {
  "use strict";
  function fill(select) {
    if (!select || select.dataset.filled) return;
    const source = document.getElementById(select.dataset.people);
    if (!source) return;
    const current = select.value;
    const kept = select.selectedOptions[0];
    const options = source.content.cloneNode(true);
    let found = false;
    options.querySelectorAll("option").forEach(function (option) {
      if (option.value === current) {
        option.selected = true;
        found = true;
      }
    });
    select.replaceChildren(options);
    if (!found && kept) select.prepend(kept);
    select.value = current;
    select.dataset.filled = "1";
  }
  function onEvent(e) {
    const select = e.target.closest && e.target.closest("select[data-people]");
    if (select) fill(select);
  }
  ["focusin", "mousedown", "touchstart", "pointerdown", "keydown", "click"].forEach(function (kind) {
    document.addEventListener(kind, onEvent, { capture: true, passive: true });
  });
})();
