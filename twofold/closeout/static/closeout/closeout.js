// Handover page: in the routine section, show only the schedule fields the chosen "Repeats"
// option uses (as the operations routine form does). Delegated, so it keeps working after
// htmx swaps a section. Without JavaScript every field stays visible.
(function () {
  "use strict";
  function update(form) {
    const checked = form.querySelector("input[name$=repeat]:checked");
    const value = checked ? checked.value : "";
    form.querySelectorAll(".ops-when").forEach(function (el) {
      el.hidden = (el.dataset.repeat || "").split(" ").indexOf(value) === -1;
    });
  }
  function updateAll() {
    document.querySelectorAll(".co-form-routine").forEach(update);
  }
  document.addEventListener("change", function (event) {
    const form = event.target.closest && event.target.closest(".co-form-routine");
    if (form && event.target.name && event.target.name.endsWith("repeat")) update(form);
  });
  // A refused draft (422, or 403/409) comes back as the section with its messages: show it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    const target = event.detail.target;
    const status = event.detail.xhr.status;
    if (target && target.classList.contains("co-section") && [403, 409, 422].indexOf(status) !== -1) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  // A part drafted while the handover awaits acceptance moves the handover's version (an
  // acceptance must be of the parts its reader saw): the section swapped in carries the new
  // one, and the page's own forms (deliverables, new process, decision) take it, so that the
  // person who drafted it does not get a 409 from their own page.
  function takeVersion(event) {
    const section = event.target && event.target.closest && event.target.closest(".co-section");
    const version = section && section.dataset.handoverVersion;
    if (!version) return;
    document.querySelectorAll("input[data-handover-version]").forEach(function (input) {
      input.value = version;
    });
  }
  document.addEventListener("DOMContentLoaded", updateAll);
  document.addEventListener("htmx:afterSwap", updateAll);
  document.addEventListener("htmx:afterSwap", takeVersion);
})();
