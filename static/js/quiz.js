// The CE test: save each answer as it is chosen (JSON, with the form's CSRF token). Without JavaScript the
// "Save my answers" button posts the whole form instead; grading only ever happens on the server.
(function () {
  "use strict";
  var form = document.getElementById("quiz-form");
  if (!form || !window.fetch) { return; }
  var url = form.getAttribute("data-autosave");
  var token = form.querySelector("input[name=csrf_token]").value;

  function say(questionId, text) {
    var line = form.querySelector('[data-saved-for="' + questionId + '"]');
    if (line) { line.textContent = text; }
  }

  form.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.name || input.name.indexOf("answer-") !== 0) { return; }
    var questionId = parseInt(input.name.slice(7), 10);
    say(questionId, "Saving…");
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ question_id: questionId, choice_id: parseInt(input.value, 10) })
    }).then(function (response) {
      return response.json().then(function (body) {
        say(questionId, response.ok ? "Saved." : (body.error || "Not saved: use “Save my answers”."));
      });
    }).catch(function () {
      say(questionId, "Not saved (no connection): use “Save my answers” before you submit.");
    });
  });
}());
