// Kanban drag and drop: SortableJS moves the card, then we POST the move with the card's version.
// A move between columns swaps the board's columns in place with htmx (counts, WIP limits, order);
// a refused move (stale card: 409) reloads the page, which shows the reason.
(function () {
  const root = document.getElementById("board");
  if (!root || typeof Sortable === "undefined") return;
  const url = root.dataset.moveUrl;
  const boardUrl = root.dataset.boardUrl || window.location.pathname + window.location.search;
  const csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  const say = (text) => { root.textContent = text; };

  const refresh = () => {
    if (typeof htmx === "undefined") { window.location.reload(); return; }
    htmx.ajax("GET", boardUrl, { target: "#board-columns", swap: "outerHTML" })
      .then(init)
      .catch(() => window.location.reload());
  };

  const onEnd = (event) => {
    const card = event.item;
    const status = event.to.dataset.status;
    const prev = card.previousElementSibling;
    const next = card.nextElementSibling;
    const body = new URLSearchParams({
      task: card.dataset.task, status: status, version: card.dataset.version || "",
    });
    if (prev) body.set("after", prev.dataset.task);
    if (next) body.set("before", next.dataset.task);
    fetch(url, { method: "POST", headers: { "X-CSRFToken": csrf }, body: body, credentials: "same-origin" })
      .then((r) => r.json().then((data) => ({ ok: r.ok, data: data })))
      .then(({ ok, data }) => {
        if (!ok) { say(data.detail || "The move was refused."); window.location.reload(); return; }
        card.dataset.version = data.version;
        say("Moved to " + status + (data.moved ? ": " + data.moved : "") + ".");
        if (event.from !== event.to) refresh();
      })
      .catch(() => window.location.reload());
  };

  function init() {
    document.querySelectorAll(".board-list").forEach((list) => {
      if (list.dataset.sortable) return;
      list.dataset.sortable = "1";
      Sortable.create(list, { group: "board", animation: 120, onEnd: onEnd });
    });
  }

  init();
  // A live update (activity/live.js) brought new columns from someone else's change.
  document.addEventListener("twofold:live", init);
})();
