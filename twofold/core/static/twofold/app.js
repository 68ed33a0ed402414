// Twofold's small behaviours. No inline scripts anywhere: the Content-Security-Policy forbids them.
document.addEventListener("focusin", (event) => {
  const el = event.target;
  if (el instanceof HTMLInputElement && el.hasAttribute("data-select-on-focus")) el.select();
});
// Close the account menu on Escape and return focus to its summary (keyboard users).
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  document.querySelectorAll("details[open]").forEach((d) => {
    d.removeAttribute("open");
    d.querySelector("summary")?.focus();
  });
});

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
