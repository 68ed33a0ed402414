// Header search: the dropdown of top results is a combobox. Arrow keys move through the options,
// Enter opens the chosen one (or, with none chosen, submits to the search page), Escape closes
// the list (a second Escape clears the box), "/" anywhere else jumps to the box.
(() => {
  const input = document.getElementById("topsearch-q");
  const box = document.getElementById("topsearch-results");
  if (!input || !box) return;
  let active = -1;
  const options = () => Array.from(box.querySelectorAll('[role="option"]'));

  function sync() {
    const opts = options();
    opts.forEach((o, i) => {
      o.setAttribute("aria-selected", String(i === active));
      o.classList.toggle("is-active", i === active);
    });
    if (active >= 0 && opts[active]) {
      input.setAttribute("aria-activedescendant", opts[active].id);
      opts[active].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
    input.setAttribute("aria-expanded", String(!box.hidden && opts.length > 0));
  }

  function close() {
    box.hidden = true;
    active = -1;
    sync();
  }

  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target !== box) return;
    box.hidden = box.childElementCount === 0 || document.activeElement !== input;
    active = -1;
    sync();
  });

  input.addEventListener("keydown", (event) => {
    const opts = options();
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!opts.length) return;
      event.preventDefault();
      box.hidden = false;
      if (event.key === "ArrowDown") active = (active + 1) % opts.length;
      else active = active <= 0 ? opts.length - 1 : active - 1;
      sync();
    } else if (event.key === "Enter" && active >= 0 && opts[active] && !box.hidden) {
      event.preventDefault();
      const link = opts[active].querySelector("a");
      if (link) window.location.assign(link.href);
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      if (!box.hidden && box.childElementCount) close();
      else input.value = "";
    }
  });

  input.addEventListener("focus", () => {
    if (box.childElementCount) {
      box.hidden = false;
      sync();
    }
  });

  document.addEventListener("click", (event) => {
    if (!input.form.contains(event.target)) close();
  });

  document.addEventListener("keydown", (event) => {
    if (event.key !== "/" || event.defaultPrevented || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    if (target instanceof Element && target.closest("input, textarea, select, [contenteditable]")) return;
    event.preventDefault();
    input.focus();
  });
})();
