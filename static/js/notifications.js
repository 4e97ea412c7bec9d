// Notifications (SH-09): a toast for each failed request the page made in the background,
// and the masthead's list of this tab's recent ones (kept in sessionStorage, newest first).
// Other scripts add theirs with: document.dispatchEvent(new CustomEvent("console:notify",
// {detail: {title, text, variant}})) where variant is danger, warning, success or info.
(function () {
  "use strict";

  const KEY = "console-notifications";
  const KEEP = 20;

  function stored() {
    try {
      return JSON.parse(sessionStorage.getItem(KEY) || "[]");
    } catch (error) {
      return [];
    }
  }

  function save(list) {
    try {
      sessionStorage.setItem(KEY, JSON.stringify(list.slice(0, KEEP)));
    } catch (error) {
      // storage full or refused: the toast is still shown
    }
  }

  function utc(ms) {
    return new Date(ms).toISOString().slice(11, 19) + " UTC";
  }

  function render() {
    const list = stored();
    document.querySelectorAll("[data-notifications]").forEach((menu) => {
      const count = menu.querySelector("[data-notification-count]");
      const items = menu.querySelector("[data-notification-list]");
      count.textContent = String(list.length);
      count.hidden = list.length === 0;
      menu.querySelector("[data-notifications-empty]").hidden = list.length > 0;
      menu.querySelector("[data-notifications-clear]").hidden = list.length === 0;
      items.replaceChildren(...list.map((n) => {
        const li = document.createElement("li");
        li.className = "pf-v5-c-menu__list-item console-menu__text";
        li.dataset.variant = n.variant;
        const title = document.createElement("strong");
        title.textContent = n.title;
        const when = document.createElement("span");
        when.className = "console-muted";
        when.textContent = " " + utc(n.at);
        li.append(title, when);
        if (n.text) {
          const text = document.createElement("div");
          text.textContent = n.text;
          li.append(text);
        }
        return li;
      }));
    });
  }

  function toast(n) {
    const group = document.getElementById("toasts");
    if (!group) return;
    const item = document.createElement("li");
    item.className = "pf-v5-c-alert-group__item";
    const alert = document.createElement("div");
    alert.className = "pf-v5-c-alert pf-m-" + n.variant;
    alert.setAttribute("role", n.variant === "danger" ? "alert" : "status");
    const title = document.createElement("p");
    title.className = "pf-v5-c-alert__title";
    title.textContent = n.title;
    alert.append(title);
    if (n.text) {
      const text = document.createElement("div");
      text.className = "pf-v5-c-alert__description";
      text.textContent = n.text;
      alert.append(text);
    }
    const close = document.createElement("button");
    close.type = "button";
    close.className = "pf-v5-c-button pf-m-plain console-toast-close";
    close.setAttribute("aria-label", "Close");
    close.textContent = "×";
    close.addEventListener("click", () => item.remove());
    alert.append(close);
    item.append(alert);
    group.prepend(item);
    setTimeout(() => item.remove(), 8000);
  }

  function notify(detail) {
    const n = {
      title: String(detail.title || "Notice"),
      text: String(detail.text || ""),
      variant: ["danger", "warning", "success", "info"].includes(detail.variant) ? detail.variant : "info",
      at: Date.now(),
    };
    save([n, ...stored()]);
    render();
    toast(n);
  }

  // The server's own words: JSON {"error"} under /api/, or the error page's message.
  function reason(xhr) {
    const body = xhr.responseText || "";
    try {
      const parsed = JSON.parse(body);
      if (parsed && parsed.error) return String(parsed.error);
    } catch (error) {
      // not JSON: an HTML error page
    }
    const page = new DOMParser().parseFromString(body, "text/html");
    const message = page.querySelector("[data-error-message], .pf-v5-c-empty-state__body, main p");
    return message ? message.textContent.trim().slice(0, 300) : "";
  }

  document.addEventListener("htmx:responseError", (event) => {
    const xhr = event.detail.xhr;
    notify({ title: "The page could not be updated (" + xhr.status + ")", text: reason(xhr), variant: "danger" });
  });
  document.addEventListener("htmx:sendError", () => {
    notify({ title: "The console did not answer", text: "Check your connection; the page shows what it last loaded.", variant: "danger" });
  });
  document.addEventListener("console:notify", (event) => notify(event.detail || {}));
  document.addEventListener("click", (event) => {
    if (!event.target.closest("[data-notifications-clear]")) return;
    save([]);
    render();
  });
  document.addEventListener("DOMContentLoaded", render);
})();
