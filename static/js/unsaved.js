// A form marked data-unsaved-guard asks before the page is left with its edits unsaved
// (IC-07); submitting the form itself is not leaving.
(function () {
  "use strict";
  document.querySelectorAll("form[data-unsaved-guard]").forEach((form) => {
    let dirty = false;
    form.addEventListener("input", () => { dirty = true; });
    form.addEventListener("submit", () => { dirty = false; });
    window.addEventListener("beforeunload", (event) => {
      if (!dirty) return;
      event.preventDefault();
      event.returnValue = "";
    });
  });
})();
