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

  function swap(doc) {
    let left = false;
    document.querySelectorAll("[data-live-region][id]").forEach((region) => {
      const fresh = doc.getElementById(region.id);
      if (!fresh) return;
      if (typingIn(region)) { left = true; return; }
      if (fresh.innerHTML === region.innerHTML) return;
      region.innerHTML = fresh.innerHTML;
      Array.from(fresh.attributes).forEach((a) => region.setAttribute(a.name, a.value));
      if (window.htmx) window.htmx.process(region);
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
