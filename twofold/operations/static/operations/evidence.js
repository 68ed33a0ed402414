// Evidence files: say at once that a file is over the limit, before minutes of uploading it
// end in a refusal. The server checks again (size, type, content); this only saves the wait.
(function () {
  "use strict";
  function check(input) {
    const max = Number(input.dataset.maxBytes || 0);
    const file = input.files && input.files[0];
    let note = input.parentElement.querySelector(".ops-size-error");
    if (!file || !max || file.size <= max) {
      input.setCustomValidity("");
      if (note) note.remove();
      return;
    }
    const mb = (file.size / (1024 * 1024)).toFixed(1);
    const message = "This file is " + mb + " MB; files can be at most " + (input.dataset.maxLabel || max + " bytes") + ".";
    input.setCustomValidity(message);
    input.value = "";
    if (!note) {
      note = document.createElement("p");
      note.className = "error ops-size-error";
      note.setAttribute("role", "alert");
      input.insertAdjacentElement("afterend", note);
    }
    note.textContent = message;
  }
  document.addEventListener("change", function (event) {
    const input = event.target;
    if (input instanceof HTMLInputElement && input.type === "file" && input.dataset.maxBytes) check(input);
  });
})();
