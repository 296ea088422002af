/* Progressive enhancement only: every page works without this file. */
(function () {
  "use strict";
  // Bring the error summary into view and focus so screen readers announce it.
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.setAttribute("tabindex", "-1"); summary.focus(); }
  // Ask before irreversible actions (not on a page that is itself the question: data-asked).
  document.querySelectorAll("form .button-danger:not([data-asked])").forEach(function (button) {
    button.form.addEventListener("submit", function (event) {
      if (!window.confirm("Wirklich fortfahren? Dieser Schritt kann nicht rückgängig gemacht werden.")) {
        event.preventDefault();
      }
    });
  });
  // Wide diagrams: scroll each one so that its current step is in view.
  document.querySelectorAll(".diagram-scroll").forEach(function (box) {
    var active = box.querySelector("g.is-active.bpmn-userTask") || box.querySelector("g.is-active");
    if (!active || !active.getBoundingClientRect) { return; }
    var a = active.getBoundingClientRect(), b = box.getBoundingClientRect();
    box.scrollLeft += (a.left - b.left) - (box.clientWidth - a.width) / 2;
    box.scrollTop += (a.top - b.top) - (box.clientHeight - a.height) / 2;
  });
})();
