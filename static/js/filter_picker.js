/* The explorer's filters: each is a <details> of plain checkboxes that the form sends by GET
   without JavaScript (templates/usage/partials/filter_select.html). This adds a search box
   and the keys of a chip input. Hand-written because a combobox library (Tom Select,
   Choices.js) replaces the no-JS form with its own widget and 20-50 kB for a few keys.

   Keys: opening a filter (Enter or Space on its name) puts the focus in its search box;
   typing narrows the list; Enter adds the first match shown and applies the filters;
   ArrowDown/ArrowUp walk the matches (Space ticks one, Enter applies); Escape clears the
   search, then closes the filter; Backspace in an empty search box removes the filter's
   last value and applies. On a chip's remove link, Enter (as any link), Backspace or
   Delete removes that one value. */
(function () {
  "use strict";

  document.querySelectorAll("details[data-filter-picker]").forEach(function (picker) {
    var summary = picker.querySelector("summary");
    var list = picker.querySelector(".filter-list");
    var form = picker.closest("form");
    if (!summary || !list || !form) return;
    var items = Array.prototype.slice.call(list.querySelectorAll("li"));
    var name = picker.querySelector("legend").textContent.trim();

    var search = document.createElement("input");
    search.type = "search";
    search.className = "filter-search";
    search.autocomplete = "off";
    search.setAttribute("aria-label", "Search " + name.toLowerCase());
    search.setAttribute("aria-controls", list.id);
    search.setAttribute("aria-describedby", list.id + "-status");
    var status = document.createElement("p");
    status.id = list.id + "-status";
    status.className = "visually-hidden";
    status.setAttribute("aria-live", "polite");
    list.parentNode.insertBefore(search, list);
    list.parentNode.appendChild(status);

    function shown() {
      return items.filter(function (item) { return !item.hidden; }).map(function (item) {
        return item.querySelector("input");
      });
    }
    function narrow() {
      var text = search.value.trim().toLowerCase();
      items.forEach(function (item) {
        item.hidden = text !== "" && item.textContent.toLowerCase().indexOf(text) === -1;
      });
      status.textContent = shown().length + " of " + items.length + " " + name.toLowerCase() + " shown";
    }
    function close() {
      picker.open = false;
      summary.focus();
    }
    function apply() {
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    }

    search.addEventListener("input", narrow);
    picker.addEventListener("toggle", function () {
      if (picker.open) search.focus();
    });
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        if (search.value.trim()) {
          var first = shown().filter(function (box) { return !box.checked; })[0];
          if (first) first.checked = true;
        }
        apply();
      } else if (event.key === "ArrowDown") {
        event.preventDefault();
        var boxes = shown();
        if (boxes.length) boxes[0].focus();
      } else if (event.key === "Escape") {
        event.preventDefault();
        if (search.value) {
          search.value = "";
          narrow();
        } else {
          close();
        }
      } else if (event.key === "Backspace" && !search.value) {
        var ticked = items.map(function (item) { return item.querySelector("input"); })
          .filter(function (box) { return box.checked; });
        if (ticked.length) {
          event.preventDefault();
          ticked[ticked.length - 1].checked = false;
          apply();
        }
      }
    });
    list.addEventListener("keydown", function (event) {
      if (event.target.type !== "checkbox") return;
      var boxes = shown();
      var index = boxes.indexOf(event.target);
      if (event.key === "Enter") {
        event.preventDefault();
        apply();
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      } else if (event.key === "ArrowDown" && index < boxes.length - 1) {
        event.preventDefault();
        boxes[index + 1].focus();
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        (index > 0 ? boxes[index - 1] : search).focus();
      }
    });
  });

  // One filter open at a time, and a click elsewhere closes it, as a menu would.
  var pickers = Array.prototype.slice.call(document.querySelectorAll("details[data-filter-picker]"));
  pickers.forEach(function (picker) {
    picker.addEventListener("toggle", function () {
      if (!picker.open) return;
      pickers.forEach(function (other) { if (other !== picker) other.open = false; });
    });
  });
  document.addEventListener("click", function (event) {
    pickers.forEach(function (picker) {
      if (picker.open && !picker.contains(event.target)) picker.open = false;
    });
  });

  document.querySelectorAll("a[data-chip-remove]").forEach(function (link) {
    link.addEventListener("keydown", function (event) {
      if (event.key === "Backspace" || event.key === "Delete") {
        event.preventDefault();
        link.click();
      }
    });
  });
})();
