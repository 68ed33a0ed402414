// Kanban drag and drop: SortableJS moves the card, then we POST the move; on failure, reload.
(function () {
  const root = document.getElementById("board");
  if (!root || typeof Sortable === "undefined") return;
  const url = root.dataset.moveUrl;
  const csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  const say = (text) => { root.textContent = text; };
  document.querySelectorAll(".board-list").forEach((list) => {
    Sortable.create(list, {
      group: "board",
      animation: 120,
      onEnd: (event) => {
        const card = event.item;
        const status = event.to.dataset.status;
        const prev = card.previousElementSibling;
        const next = card.nextElementSibling;
        const body = new URLSearchParams({ task: card.dataset.task, status: status });
        if (prev) body.set("after", prev.dataset.task);
        if (next) body.set("before", next.dataset.task);
        fetch(url, { method: "POST", headers: { "X-CSRFToken": csrf }, body: body, credentials: "same-origin" })
          .then((r) => r.json().then((data) => ({ ok: r.ok, data: data })))
          .then(({ ok, data }) => {
            if (!ok) { say(data.detail || "The move was refused."); window.location.reload(); return; }
            say("Moved to " + status + (data.moved ? ": " + data.moved : "") + ".");
            if (event.from !== event.to) window.location.reload();
          })
          .catch(() => window.location.reload());
      },
    });
  });
})();
