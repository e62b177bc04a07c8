/* The budget form: shows only the field of the chosen scope (service, project, API key or
   developer). Without JavaScript every field shows and the server ignores the others. */
(function () {
  "use strict";
  var scope = document.querySelector(".budget-form select[name='scope']");
  if (!scope) return;
  var fields = document.querySelectorAll(".budget-form [data-scope]");
  var note = document.querySelector(".budget-form .scope-note");

  function show() {
    fields.forEach(function (field) { field.hidden = field.dataset.scope !== scope.value; });
  }

  // Only the chosen scope's field is left to fill in: the note for readers without
  // JavaScript goes (removed, as its .help display rule would outrank `hidden`).
  if (note) note.remove();
  scope.addEventListener("change", show);
  show();
})();
