// The graph page's guided tour: walks the stops listed in #graph-tour-stops, outlining each
// stop's part of the page and showing its text beside it. Esc or Close ends it; focus goes
// back to the Tour button.
(function () {
  "use strict";
  const start = document.getElementById("graph-tour-start");
  const box = document.getElementById("graph-tour");
  const list = document.getElementById("graph-tour-stops");
  if (!start || !box || !list) return;
  const count = document.getElementById("graph-tour-count");
  const title = document.getElementById("graph-tour-title");
  const text = document.getElementById("graph-tour-text");
  const back = document.getElementById("graph-tour-back");
  const next = document.getElementById("graph-tour-next");
  let stops = [];
  let at = -1;
  document.body.appendChild(box); // above everything, whatever contains the page

  function present() {
    // parts not on this page (the node graph has no namespace picker) are left out
    return Array.from(list.children)
      .map((item) => ({ item, target: document.querySelector(item.dataset.target) }))
      .filter((stop) => stop.target && stop.target.getClientRects().length > 0);
  }

  function unmark() {
    document.querySelectorAll(".graph-tour-target").forEach((el) => el.classList.remove("graph-tour-target"));
  }

  function place(target) {
    // in the window's coordinates: the page scrolls inside its own container
    const r = target.getBoundingClientRect();
    const width = box.offsetWidth;
    const height = box.offsetHeight;
    const viewWidth = document.documentElement.clientWidth;
    let left = Math.max(8, Math.min(r.left, viewWidth - width - 8));
    // below the part when there is room, else above it, else beside it (right, then left:
    // the canvas fills the window's height), else over its top edge
    let top = r.bottom + 8;
    if (top + height > window.innerHeight - 8) top = r.top - height - 8;
    if (top < 8) {
      top = Math.min(Math.max(8, r.top + 8), window.innerHeight - height - 8);
      if (r.right + 8 + width <= viewWidth - 8) left = r.right + 8;
      else if (r.left - width - 8 >= 8) left = r.left - width - 8;
    }
    box.style.left = `${left}px`;
    box.style.top = `${top}px`;
  }

  function show(index) {
    at = index;
    const { item, target } = stops[at];
    unmark();
    target.classList.add("graph-tour-target");
    target.scrollIntoView({ block: "nearest" });
    count.textContent = `${at + 1} of ${stops.length}`;
    title.textContent = item.dataset.title;
    text.innerHTML = item.innerHTML; // the template's own markup, no user data
    back.disabled = at === 0;
    next.textContent = at === stops.length - 1 ? "Done" : "Next";
    box.dataset.stop = item.dataset.title;
    place(target);
    next.focus();
  }

  function end() {
    unmark();
    box.hidden = true;
    at = -1;
    start.setAttribute("aria-expanded", "false");
    start.focus();
  }

  start.addEventListener("click", () => {
    stops = present();
    if (!stops.length) return;
    box.hidden = false;
    start.setAttribute("aria-expanded", "true");
    show(0);
  });
  next.addEventListener("click", () => (at < stops.length - 1 ? show(at + 1) : end()));
  back.addEventListener("click", () => { if (at > 0) show(at - 1); });
  document.getElementById("graph-tour-close").addEventListener("click", end);
  document.addEventListener("keydown", (event) => {
    if (box.hidden) return;
    if (event.key === "Escape") { end(); return; }
    if (event.target.closest("input, select, textarea")) return; // arrows move the caret there
    if (event.key === "ArrowRight" && at < stops.length - 1) show(at + 1);
    else if (event.key === "ArrowLeft" && at > 0) show(at - 1);
  });
  const follow = () => { if (!box.hidden) place(stops[at].target); };
  window.addEventListener("resize", follow);
  document.addEventListener("scroll", follow, true); // any scrolling container
})();
