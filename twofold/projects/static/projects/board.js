// Kanban drag and drop: SortableJS moves the card, then we POST the move with the card's version.
// A move between columns swaps the board's columns in place with htmx (counts, WIP limits, order);
// a refused move (stale card: 409) reloads the page, which shows the reason.
// Keyboard: on a card's link, Alt+ArrowUp/ArrowDown moves the card within its column and
// Alt+ArrowLeft/ArrowRight to the column beside it (same place, or last); the same POST, the
// outcome read out by the status region, the focus kept on the card.
(function () {
  const root = document.getElementById("board");
  if (!root || typeof Sortable === "undefined") return;
  const url = root.dataset.moveUrl;
  const boardUrl = root.dataset.boardUrl || window.location.pathname + window.location.search;
  const csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  const say = (text) => { root.textContent = text; };

  const refocus = (task) => {
    const link = task && document.querySelector('.board-card[data-task="' + task + '"] a');
    if (link) link.focus();
  };

  const refresh = (task) => {
    if (typeof htmx === "undefined") { window.location.reload(); return; }
    htmx.ajax("GET", boardUrl, { target: "#board-columns", swap: "outerHTML" })
      .then(() => { init(); refocus(task); })
      .catch(() => window.location.reload());
  };

  const label = (list) => (list.getAttribute("aria-label") || list.dataset.status).replace(/ cards$/, "");

  const onEnd = (event) => {
    const card = event.item;
    const status = event.to.dataset.status;
    const column = label(event.to);
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
        const where = event.from === event.to
          ? "Moved to place " + (Array.prototype.indexOf.call(event.to.children, card) + 1) + " of " + column
          : "Moved to " + column;
        say(where + (data.moved ? ": " + data.moved : "") + ".");
        if (event.from !== event.to) refresh(card.dataset.task); else refocus(card.dataset.task);
      })
      .catch(() => window.location.reload());
  };

  // The columns beside a card's column: the lists of the same row (a swimlane, or the board).
  const siblingsOf = (list) => Array.from(list.closest(".board-cols").querySelectorAll(".board-list"));

  const onKey = (event) => {
    if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const link = event.target.closest(".board-card > a");
    if (!link) return;
    const card = link.parentElement;
    const from = card.parentElement;
    const cards = Array.from(from.children);
    const at = cards.indexOf(card);
    let to = from;
    if (event.key === "ArrowUp" || event.key === "ArrowDown") {
      const step = event.key === "ArrowUp" ? -1 : 1;
      const other = cards[at + step];
      if (!other) { say(step < 0 ? "Already first in " + label(from) + "." : "Already last in " + label(from) + "."); event.preventDefault(); return; }
      if (step < 0) from.insertBefore(card, other); else from.insertBefore(card, other.nextElementSibling);
    } else if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      const lists = siblingsOf(from);
      to = lists[lists.indexOf(from) + (event.key === "ArrowLeft" ? -1 : 1)];
      if (!to) { say("No column on that side."); event.preventDefault(); return; }
      to.insertBefore(card, to.children[at] || null);
    } else {
      return;
    }
    event.preventDefault();
    link.focus();
    onEnd({ item: card, from: from, to: to });
  };

  function init() {
    const hint = document.getElementById("board-keys");
    document.querySelectorAll(".board-list").forEach((list) => {
      if (list.dataset.sortable) return;
      list.dataset.sortable = "1";
      Sortable.create(list, { group: "board", animation: 120, onEnd: onEnd });
      if (hint) list.querySelectorAll(".board-card > a").forEach((a) => a.setAttribute("aria-describedby", "board-keys"));
      list.addEventListener("keydown", onKey);
    });
  }

  init();
  // A live update (activity/live.js) brought new columns from someone else's change.
  document.addEventListener("twofold:live", init);
})();
