// Routine form: show only the schedule fields the chosen "Repeats" option uses.
// Without JavaScript every field stays visible and the server ignores the unused ones.
(function () {
  "use strict";
  function update() {
    const checked = document.querySelector("input[name=repeat]:checked");
    const value = checked ? checked.value : "";
    document.querySelectorAll(".ops-when").forEach(function (el) {
      const wanted = (el.dataset.repeat || "").split(" ");
      el.hidden = wanted.indexOf(value) === -1;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[name=repeat]").forEach(function (radio) {
      radio.addEventListener("change", update);
    });
    update();
  });
})();
