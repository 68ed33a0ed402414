// Timesheet grid: arrow keys (and Enter) move between cells, totals follow what is typed.
(function () {
  "use strict";
  function number(value) {
    var n = parseFloat(String(value || "").replace(",", "."));
    return isFinite(n) ? n : 0;
  }
  function fmt(n) {
    return String(Math.round(n * 100) / 100);
  }
  function init(form) {
    var rows = Array.prototype.slice.call(form.querySelectorAll("tr[data-row]"));
    var grid = rows.map(function (row) {
      return Array.prototype.slice.call(row.querySelectorAll("input[data-cell]"));
    });
    function totals() {
      var week = 0;
      var cols = [0, 0, 0, 0, 0, 0, 0];
      grid.forEach(function (cells, r) {
        var sum = 0;
        cells.forEach(function (input, c) {
          var v = number(input.value);
          sum += v;
          cols[c] += v;
        });
        week += sum;
        var cell = rows[r].querySelector("[data-row-total]");
        if (cell) cell.textContent = fmt(sum);
      });
      cols.forEach(function (v, c) {
        var cell = form.querySelector('[data-col-total="' + c + '"]');
        var avail = form.querySelector('[data-available="' + c + '"]');
        if (cell) {
          var over = avail !== null && v > number(avail.textContent);
          cell.textContent = fmt(v);
          cell.classList.toggle("ts-over", over);
          cell.classList.toggle("ts-bad", v > 24);
          // Said in words too, not by colour alone (screen readers, colour blindness).
          if (v > 24 || over) {
            var note = document.createElement("span");
            note.className = "visually-hidden";
            note.textContent = v > 24 ? " (more than 24 hours)" : " (over the available hours)";
            cell.appendChild(note);
          }
        }
      });
      var total = form.querySelector("[data-week-total]");
      if (total) total.textContent = fmt(week);
    }
    grid.forEach(function (cells, r) {
      cells.forEach(function (input, c) {
        input.addEventListener("input", totals);
        input.addEventListener("keydown", function (event) {
          var target = null;
          if (event.key === "ArrowRight" && input.selectionStart === input.value.length) target = cells[c + 1];
          else if (event.key === "ArrowLeft" && input.selectionStart === 0) target = cells[c - 1];
          else if (event.key === "ArrowDown" || (event.key === "Enter" && !event.ctrlKey)) target = grid[r + 1] && grid[r + 1][c];
          else if (event.key === "ArrowUp") target = grid[r - 1] && grid[r - 1][c];
          if (event.key === "Enter" && !event.ctrlKey && !target) return; // last row: Enter saves
          if (target) {
            event.preventDefault();
            target.focus();
            target.select();
          }
        });
      });
    });
    totals();
  }
  document.querySelectorAll("form[data-timesheet]").forEach(init);
})();
