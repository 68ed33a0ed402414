// Set-up and new-organisation forms: pre-select the browser's time zone when the list has it.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return; }
    document.querySelectorAll("select[data-browser-zone]").forEach(function (select) {
      if (select.dataset.touched || !zone) { return; }
      for (var i = 0; i < select.options.length; i++) {
        if (select.options[i].value === zone) { select.value = zone; break; }
      }
    });
  });
})();
