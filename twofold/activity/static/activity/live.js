// Live pages: ask the server every second whether the subject changed (ETag/304 on a change
// counter); when it did, fetch this page again and swap the regions marked data-live-region,
// except one the viewer is typing in or dragging a card in (that one follows once they leave it).
(function () {
  const marker = document.getElementById("live-subject");
  if (!marker || !window.fetch) return;
  const url = marker.dataset.liveUrl;
  let version = marker.dataset.liveVersion || "";
  let pending = false;
  let busyFetch = false;
  const INTERVAL = 1000;
  const HIDDEN_INTERVAL = 5000;

  function typingIn(region) {
    const el = document.activeElement;
    if (el && region.contains(el) && el.matches("input, textarea, select, [contenteditable]")) return true;
    if (region.querySelector(".sortable-chosen, .sortable-ghost, .dragging")) return true;
    return Array.from(region.querySelectorAll("textarea, input[type=text]")).some(
      (f) => f.value !== f.defaultValue);
  }

  // Keyboard focus on a link or button inside a region went to <body> when the region was
  // swapped (after the viewer's own move on the board, or an edit in the task grid): the same
  // element of the fresh region takes it back (by id, or by its place among the focusable
  // elements of its nearest ancestor with an id).
  const FOCUSABLE = "a[href], button, input, select, textarea, [tabindex]";

  function focusKey(region) {
    const el = document.activeElement;
    if (!el || el === document.body || !region.contains(el)) return null;
    if (el.id) return { id: el.id };
    const anchor = el.parentElement && el.parentElement.closest("[id]");
    const scope = anchor && region.contains(anchor) ? anchor : region;
    return { scope: scope.id, index: Array.from(scope.querySelectorAll(FOCUSABLE)).indexOf(el), tag: el.tagName };
  }

  function restoreFocus(key) {
    if (!key) return;
    let el = null;
    if (key.id) el = document.getElementById(key.id);
    else {
      const scope = document.getElementById(key.scope);
      el = scope && key.index >= 0 ? scope.querySelectorAll(FOCUSABLE)[key.index] : null;
      if (el && el.tagName !== key.tag) el = null;
    }
    if (el && typeof el.focus === "function") el.focus({ preventScroll: true });
  }

  function swap(doc) {
    let left = false;
    document.querySelectorAll("[data-live-region][id]").forEach((region) => {
      const fresh = doc.getElementById(region.id);
      if (!fresh) return;
      if (typingIn(region)) { left = true; return; }
      if (fresh.innerHTML === region.innerHTML) return;
      const focused = focusKey(region);
      // A status message the viewer's own edit put there ("Saved …") stays: the fresh page
      // has an empty one. The same node goes back, so it is not announced again.
      const said = Array.from(region.querySelectorAll("[role=status]")).map((s) => (s.textContent.trim() ? s : null));
      region.innerHTML = fresh.innerHTML;
      Array.from(fresh.attributes).forEach((a) => region.setAttribute(a.name, a.value));
      region.querySelectorAll("[role=status]").forEach((s, i) => {
        if (said[i] && !s.textContent.trim()) s.replaceWith(said[i]);
      });
      if (window.htmx) window.htmx.process(region);
      restoreFocus(focused);
    });
    const next = doc.getElementById("live-subject");
    if (next) version = next.dataset.liveVersion || version;
    document.dispatchEvent(new CustomEvent("twofold:live", { detail: { version: version } }));
    pending = left;
  }

  function refresh() {
    if (busyFetch) return;
    busyFetch = true;
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Twofold-Live": "1" } })
      .then((r) => (r.ok ? r.text() : Promise.reject(r.status)))
      .then((html) => swap(new DOMParser().parseFromString(html, "text/html")))
      .catch(() => { pending = true; })
      .finally(() => { busyFetch = false; });
  }

  function check() {
    fetch(url, { credentials: "same-origin", headers: { "If-None-Match": '"' + version + '"' }, cache: "no-store" })
      .then((r) => {
        if (r.status === 304) { if (pending) refresh(); return schedule(); }
        if (r.status === 200) return r.json().then((data) => {
          if (String(data.version) !== version) refresh();
          schedule();
        });
        if (r.status === 404 || r.status === 403) return null; // left the organisation: stop
        return schedule(HIDDEN_INTERVAL);
      })
      .catch(() => schedule(HIDDEN_INTERVAL));
  }

  function schedule(delay) {
    window.setTimeout(check, delay || (document.hidden ? HIDDEN_INTERVAL : INTERVAL));
  }

  document.addEventListener("focusout", () => { if (pending) window.setTimeout(refresh, 50); });
  schedule();
})();
