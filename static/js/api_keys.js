// Copy button for the API key shown once. Without JavaScript the key stays selectable in
// its read-only field, so the button is hidden until this script can make it work.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var field = document.querySelector(button.getAttribute("data-copy"));
    var status = button.parentElement.querySelector("[data-copy-status]");
    if (!field) return;
    var say = function (text) { if (status) status.textContent = text; };
    button.hidden = false;
    button.addEventListener("click", function () {
      field.select();
      // The Clipboard API needs a secure context (https or localhost); a plain-http
      // self-hosted install falls back to the older command.
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(
          function () { say("Copied."); },
          function () { say("Press Ctrl+C to copy."); }
        );
      } else {
        say(document.execCommand("copy") ? "Copied." : "Press Ctrl+C to copy.");
      }
    });
  });
  document.querySelectorAll("[data-secret]").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });
  });
})();
