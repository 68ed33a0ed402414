// List editor (settings checklists, template gates): add, remove, move up/down, rename in place.
// Without this script the form still works: clear a line to remove it, fill a blank one to add.
(function () {
  "use strict";
  function rowOf(el) { return el.closest("li"); }
  function relabel(list) {
    list.querySelectorAll("li").forEach(function (li, i) {
      var input = li.querySelector("input");
      if (input) { input.setAttribute("aria-label", "Item " + (i + 1)); }
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-list-action]");
    if (!button) { return; }
    var editor = button.closest("[data-list-editor]");
    if (!editor) { return; }
    var list = editor.querySelector("ol");
    var action = button.getAttribute("data-list-action");
    var row = rowOf(button);
    if (action === "add") {
      var blank = editor.querySelector("template").content.firstElementChild.cloneNode(true);
      list.appendChild(blank);
      blank.querySelector("input").focus();
    } else if (action === "remove" && row) {
      var next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      if (next) { next.querySelector("input").focus(); }
    } else if (action === "up" && row && row.previousElementSibling) {
      list.insertBefore(row, row.previousElementSibling);
      button.focus();
    } else if (action === "down" && row && row.nextElementSibling) {
      list.insertBefore(row.nextElementSibling, row);
      button.focus();
    }
    relabel(list);
  });
})();

// A form with data-confirm asks before it submits (template delete).
document.addEventListener("submit", function (event) {
  var form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
});
