/* Progressive enhancement only: every page works without this file. */
(function () {
  "use strict";
  // Bring the error summary into view and focus so screen readers announce it.
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.setAttribute("tabindex", "-1"); summary.focus(); }
  // Ask before irreversible actions.
  document.querySelectorAll("form .button-danger").forEach(function (button) {
    button.form.addEventListener("submit", function (event) {
      if (!window.confirm("Wirklich fortfahren? Dieser Schritt kann nicht rückgängig gemacht werden.")) {
        event.preventDefault();
      }
    });
  });
})();
