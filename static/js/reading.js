// Reading pages (study guides, glossary): a print button, the glossary's live filter, and Escape to dismiss a
// glossary definition shown on hover or focus. Every page works without this script.
(function () {
  "use strict";

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  // Glossary definitions (.gloss): shown by CSS on hover and focus; Escape hides one until the pointer or focus leaves.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var gloss = document.activeElement && document.activeElement.closest && document.activeElement.closest(".gloss");
    document.querySelectorAll(".gloss:hover").forEach(function (hovered) { hovered.classList.add("gloss-dismissed"); });
    if (gloss) { gloss.classList.add("gloss-dismissed"); }
  });
  function undismiss(event) {
    var gloss = event.target.closest && event.target.closest(".gloss");
    if (gloss) { gloss.classList.remove("gloss-dismissed"); }
  }
  document.addEventListener("focusout", undismiss);
  document.addEventListener("mouseout", undismiss);

  var form = document.querySelector("[data-glossary-filter]");
  if (!form) { return; }
  var input = form.querySelector("input[type=search]");
  var count = document.getElementById("glossary-count");
  var entries = Array.prototype.slice.call(document.querySelectorAll(".glossary-entry"));
  var groups = Array.prototype.slice.call(document.querySelectorAll(".letter-group"));
  var total = entries.length;
  var timer = null;

  function apply() {
    var needle = input.value.trim().toLowerCase();
    var shown = 0;
    entries.forEach(function (entry) {
      var hay = (entry.dataset.term + " " + entry.dataset.text).toLowerCase();
      var match = !needle || hay.indexOf(needle) !== -1;
      entry.hidden = !match;
      if (match) { shown += 1; }
    });
    groups.forEach(function (group) {
      var visible = group.querySelector(".glossary-entry:not([hidden])") !== null;
      group.hidden = !visible;
      var link = document.querySelector('.letter-nav a[data-letter="' + group.dataset.letter + '"]');
      if (link) { link.parentElement.classList.toggle("letter-filtered", !visible); }
    });
    count.textContent = needle ? shown + " of " + total + " terms match \u201c" + input.value.trim() + "\u201d."
                               : total + " terms.";
  }
  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(apply, 150);
  });
  form.addEventListener("submit", function (event) {
    // The page holds every term only when it was not filtered on the server; then filter here and stay.
    if (!new URLSearchParams(window.location.search).get("q")) {
      event.preventDefault();
      apply();
    }
  });
})();
