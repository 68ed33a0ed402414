// Twofold's small behaviours. No inline scripts anywhere: the Content-Security-Policy forbids them.
document.addEventListener("focusin", (event) => {
  const el = event.target;
  if (el instanceof HTMLInputElement && el.hasAttribute("data-select-on-focus")) el.select();
});
// Close the account menu on Escape and return focus to its summary (keyboard users). Only the
// menus: Escape inside an open form's <details> (a handover part, the holidays) left it alone.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  document.querySelectorAll("details.usermenu[open]").forEach((d) => {
    d.removeAttribute("open");
    d.querySelector("summary")?.focus();
  });
});

// Keep keyboard focus across an htmx swap. htmx puts focus back only on an element with an id;
// the task table's cells, "Mark read" and the comment box have none, so focus fell to <body>
// and a keyboard user was thrown back to the top of the page. The focused control is found
// again in the new content by the id of its nearest ancestor that has one, its name (or text
// for a button) and its place among its like.
(function () {
  let wanted = null;
  function describe(el) {
    if (!el || el === document.body || el.id) return null;  // htmx restores those with an id
    const anchor = el.parentElement?.closest("[id]");
    if (!anchor) return null;
    const tag = el.tagName;
    const key = el.getAttribute("name") || el.getAttribute("aria-label") || el.textContent.trim();
    const like = Array.from(anchor.querySelectorAll(tag)).filter(
      (o) => (o.getAttribute("name") || o.getAttribute("aria-label") || o.textContent.trim()) === key,
    );
    return { anchor: anchor.id, tag: tag, key: key, index: like.indexOf(el) };
  }
  document.addEventListener("htmx:beforeSwap", () => {
    wanted = describe(document.activeElement);
  });
  document.addEventListener("htmx:afterSettle", () => {
    const w = wanted;
    wanted = null;
    if (!w || (document.activeElement && document.activeElement !== document.body)) return;
    const anchor = document.getElementById(w.anchor);
    if (!anchor) return;
    const like = Array.from(anchor.querySelectorAll(w.tag)).filter(
      (o) => (o.getAttribute("name") || o.getAttribute("aria-label") || o.textContent.trim()) === w.key,
    );
    const el = like[w.index] || like[0];
    if (el && typeof el.focus === "function") el.focus({ preventScroll: true });
  });
})();

// Dates in the organisation's format for scripts (chart axes): <html data-date-format> carries
// it (core.dates.date_format_js). ISO dates "YYYY-MM-DD" are calendar dates (no zone shift).
window.Twofold = window.Twofold || {};
(function () {
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  function parts(value) {
    if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
      const [y, m, d] = value.split("-").map(Number);
      return { y: y, m: m, d: d };
    }
    const when = new Date(value);
    if (Number.isNaN(when.getTime())) return null;
    return { y: when.getFullYear(), m: when.getMonth() + 1, d: when.getDate() };
  }
  window.Twofold.formatDay = function (value, short) {
    const p = parts(value);
    if (!p) return String(value);
    const dd = String(p.d).padStart(2, "0"), mm = String(p.m).padStart(2, "0");
    switch (document.documentElement.dataset.dateFormat) {
      case "dd/mm/yyyy": return short ? dd + "/" + mm : dd + "/" + mm + "/" + p.y;
      case "mm/dd/yyyy": return short ? mm + "/" + dd : mm + "/" + dd + "/" + p.y;
      case "yyyy-mm-dd": return short ? mm + "-" + dd : p.y + "-" + mm + "-" + dd;
      default: return short ? p.d + " " + MONTHS[p.m - 1] : p.d + " " + MONTHS[p.m - 1] + " " + p.y;
    }
  };
})();

// The main navigation folds into a menu on narrow screens (CSS decides when). Without this script
// the button stays hidden and the navigation stays a sideways-scrolling strip.
(() => {
  const bar = document.querySelector("[data-navmenu]");
  const button = bar?.querySelector(".navtoggle");
  const nav = bar && document.getElementById(button?.getAttribute("aria-controls") || "");
  if (!bar || !button || !nav) return;
  const setOpen = (open) => {
    bar.dataset.menu = open ? "open" : "closed";
    button.setAttribute("aria-expanded", String(open));
  };
  setOpen(false);
  button.hidden = false;
  button.addEventListener("click", () => setOpen(bar.dataset.menu !== "open"));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && bar.dataset.menu === "open") {
      setOpen(false);
      button.focus();
    }
  });
  document.addEventListener("click", (event) => {
    if (bar.dataset.menu === "open" && !bar.contains(event.target)) setOpen(false);
  });
})();

// A row of tabs wider than the screen scrolls sideways: bring the current tab into view.
(function () {
  function reveal() {
    document.querySelectorAll(".tabs").forEach((tabs) => {
      const current = tabs.querySelector('[aria-current="page"]');
      if (!current || tabs.scrollWidth <= tabs.clientWidth) return;
      const right = current.offsetLeft + current.offsetWidth - tabs.offsetLeft;
      if (right > tabs.clientWidth) tabs.scrollLeft = right - tabs.clientWidth + 16;
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", reveal);
  else reveal();
  window.addEventListener("load", reveal); // again once web fonts have set the tabs' widths
})();

// Announce what an htmx swap brought in a status or alert region. A swap that replaces a region
// (the task table's status line, a capacity cell's summary) inserts a *new* live region, and
// screen readers announce changes to the live regions they already know, not new ones: the
// message was silent. Regions that were on the page before the swap are left to the reader (they
// announce themselves); the new ones' text is spoken through two regions kept on the page. A
// region with an id that a poll brings back unchanged (a job's progress line) is not repeated,
// and speaks at most every five seconds while it changes.
(function () {
  const SELECTOR = '[role="status"], [role="alert"], [aria-live]';
  const ALARM = '[role="alert"], [aria-live="assertive"]';
  const said = new Map();  // region id → the text last spoken for it, and when
  let before = new WeakSet();
  let polite = null, assertive = null;
  function region(level) {
    const el = document.createElement("div");
    el.className = "visually-hidden";
    el.setAttribute("aria-live", level);
    el.setAttribute("aria-atomic", "true");
    el.dataset.announcer = level;
    document.body.appendChild(el);
    return el;
  }
  const timers = new WeakMap();
  function say(el, text) {
    el.textContent = "";  // the same message twice is still a change
    window.clearTimeout(timers.get(el));
    window.setTimeout(() => {
      el.textContent = text;
      // Emptied once spoken, so a reader browsing the page later does not meet it twice.
      timers.set(el, window.setTimeout(() => { el.textContent = ""; }, 8000));
    }, 60);
  }
  document.addEventListener("htmx:beforeSwap", () => {
    before = new WeakSet(document.querySelectorAll(SELECTOR));
  });
  document.addEventListener("htmx:afterSettle", (event) => {
    const root = event.target;
    if (!(root instanceof Element) || !root.isConnected) return;
    const found = Array.from(root.querySelectorAll(SELECTOR));
    if (root.matches(SELECTOR)) found.unshift(root);
    const calm = [], urgent = [];
    found.forEach((el) => {
      if (before.has(el) || el.dataset.announcer || el.closest("[data-announcer]")) return;
      if (found.some((other) => other !== el && other.contains(el))) return;  // said by its parent
      const text = el.textContent.replace(/\s+/g, " ").trim();
      if (!text || (el.id && said.get(el.id)?.text === text)) return;
      // A polled region (a job's progress line, every second) speaks at most every 5 s.
      const alarmed = el.matches(ALARM) || el.querySelector(ALARM) !== null;
      if (el.id && !alarmed && Date.now() - (said.get(el.id)?.at || 0) < 5000) return;
      if (el.id) said.set(el.id, { text: text, at: Date.now() });
      (alarmed ? urgent : calm).push(text);
    });
    if (calm.length) say(polite || (polite = region("polite")), calm.join(" "));
    if (urgent.length) say(assertive || (assertive = region("assertive")), urgent.join(" "));
  });
})();
