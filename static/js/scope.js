// The namespace menu of the scope bar (templates/components/namespace_select.html): a filter
// box, "Select all", and the choice applied once when the menu closes rather than on every
// tick, so a form that reloads on change reloads once.
(function () {
  "use strict";

  function checkboxes(menu) {
    return Array.from(menu.querySelectorAll("input[name=namespaces]"));
  }

  function chosen(menu) {
    return checkboxes(menu).filter((box) => box.checked).map((box) => box.value).join(",");
  }

  function syncAll(menu) {
    const all = menu.querySelector("[data-ns-all]");
    const shown = checkboxes(menu).filter((box) => !box.closest("li").hidden);
    all.checked = shown.length > 0 && shown.every((box) => box.checked);
    all.indeterminate = !all.checked && shown.some((box) => box.checked);
  }

  function label(menu) {
    const names = chosen(menu).split(",").filter(Boolean);
    const text = menu.querySelector(".pf-v5-c-menu-toggle__text");
    if (names.length === 0) text.textContent = "Select namespaces";
    else if (names.length === 1) text.textContent = "Namespace: " + names[0];
    else text.textContent = "Namespaces: " + names.length + " selected";
  }

  function setUp(menu) {
    if (menu.dataset.ready) return;
    menu.dataset.ready = "1";
    const marker = menu.parentElement.querySelector("[data-ns-marker]");
    const filter = menu.querySelector("[data-ns-filter]");
    const none = menu.querySelector("[data-ns-none]");
    let openedWith = chosen(menu);

    // Ticks stay inside the menu until it closes.
    menu.addEventListener("change", (event) => {
      event.stopPropagation();
      const all = event.target.closest("[data-ns-all]");
      if (all) {
        checkboxes(menu).forEach((box) => {
          if (!box.closest("li").hidden) box.checked = all.checked;
        });
      }
      syncAll(menu);
    });
    menu.addEventListener("keyup", (event) => { if (event.target === filter) event.stopPropagation(); });
    menu.addEventListener("input", (event) => {
      if (event.target !== filter) return;
      event.stopPropagation();
      const text = filter.value.trim().toLowerCase();
      let visible = 0;
      menu.querySelectorAll("li[data-ns]").forEach((item) => {
        item.hidden = text !== "" && !item.dataset.ns.toLowerCase().includes(text);
        if (!item.hidden) visible += 1;
      });
      none.hidden = visible > 0;
      syncAll(menu);
    });
    // Enter in the filter box must not submit the form with a half-made choice.
    filter.addEventListener("keydown", (event) => { if (event.key === "Enter") event.preventDefault(); });
    menu.addEventListener("toggle", () => {
      if (menu.open) {
        openedWith = chosen(menu);
        filter.focus();
        return;
      }
      if (chosen(menu) !== openedWith) {
        openedWith = chosen(menu);
        label(menu);
        marker.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
    syncAll(menu);
  }

  // Every <details> menu of the console closes on a click elsewhere, as a menu does.
  function closeOthers(event) {
    document.querySelectorAll("details.console-menu[open]").forEach((menu) => {
      if (!menu.contains(event.target)) menu.open = false;
    });
  }

  // The refresh control (templates/components/refresh.html): every interval, and on its
  // button, the form gets a `refresh` event, which its hx-trigger turns into a reload of
  // the page's data. A hidden tab does not reload.
  const timers = new WeakMap();
  function setUpRefresh(select) {
    const form = select.form;
    if (!form || timers.has(select)) return;
    const fire = () => form.dispatchEvent(new Event("refresh"));
    const start = () => {
      clearInterval(timers.get(select));
      const every = parseInt(select.value, 10);
      timers.set(select, every > 0 ? setInterval(() => { if (!document.hidden) fire(); }, every) : 0);
    };
    select.addEventListener("change", start);
    const now = form.querySelector("[data-refresh-now]");
    if (now) now.addEventListener("click", fire);
    start();
  }

  function setUpAll() {
    document.querySelectorAll("details[data-ns-select]").forEach(setUp);
    document.querySelectorAll("select[data-refresh-interval]").forEach(setUpRefresh);
  }

  document.addEventListener("click", closeOthers);
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.console-menu[open]").forEach((menu) => {
      menu.open = false;
      menu.querySelector("summary").focus();
    });
  });
  document.addEventListener("DOMContentLoaded", setUpAll);
  document.addEventListener("htmx:load", setUpAll);
})();
