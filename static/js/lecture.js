// The lecture page (templates/learning/lecture.html). Everything here improves a page that already works without
// JavaScript: transcript times and note times are ?t= links, the transcript filter is a GET form, notes are forms.
//   - transcript: links seek in place; the cue being spoken is marked (class, aria-current) and kept in view inside
//     the transcript box without moving focus or the page; seeks (and, if the learner asks, every line) are announced
//     through a polite live region; the filter narrows the list as the learner types;
//   - notes: the time field follows the player until the learner starts writing; forms are sent without a reload;
//   - the caption line under audio players, which have no picture to draw captions on.
// Other scripts reach the player through window.coursesiteLecture ({player, seek}).
(function () {
  "use strict";
  var player = document.getElementById("player");
  if (!player) { return; }
  var transcript = document.getElementById(player.dataset.transcript || "transcript");
  var live = document.getElementById("transcript-live");
  var cueItems = transcript ? Array.prototype.slice.call(transcript.querySelectorAll("li.cue")) : [];
  var starts = cueItems.map(function (item) { return parseFloat(item.dataset.start); });
  var current = -1;
  var announceEvery = document.getElementById("transcript-announce");
  if (announceEvery) {  // the learner's choice, kept in this browser
    try { announceEvery.checked = window.localStorage.getItem("coursesite.announceLines") === "1"; } catch (e) {}
    announceEvery.addEventListener("change", function () {
      try { window.localStorage.setItem("coursesite.announceLines", announceEvery.checked ? "1" : "0"); } catch (e) {}
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll(".js-only"), function (element) { element.hidden = false; });

  function clock(seconds) {
    var total = Math.max(0, Math.floor(seconds || 0));
    var hours = Math.floor(total / 3600), minutes = Math.floor((total % 3600) / 60), secs = total % 60;
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    return hours ? hours + ":" + two(minutes) + ":" + two(secs) : minutes + ":" + two(secs);
  }

  function announce(text) {
    if (!live) { return; }
    live.textContent = "";
    // A fresh text node after a tick, so the same line said twice is still announced.
    window.setTimeout(function () { live.textContent = text; }, 50);
  }

  // An element's words without the glossary definitions shown on hover (.gloss-tip, coursesite/learning/glossary.py).
  function spokenText(element) {
    var copy = element.cloneNode(true);
    copy.querySelectorAll(".gloss-tip").forEach(function (tip) { tip.remove(); });
    return copy.textContent;
  }

  function cueText(index) {
    var item = cueItems[index];
    var speaker = item.querySelector(".cue-speaker");
    var text = item.querySelector(".cue-text");
    return clock(starts[index]) + " " + (speaker ? speaker.textContent + " " : "") + (text ? spokenText(text) : "");
  }

  function cueAt(time) {
    var index = -1;
    for (var i = 0; i < starts.length && starts[i] <= time + 0.05; i++) { index = i; }
    return index;
  }

  var reading = false;  // the pointer is over the transcript or focus is in it: leave its scroll position alone
  if (transcript) {
    transcript.addEventListener("mouseenter", function () { reading = true; });
    transcript.addEventListener("mouseleave", function () { reading = false; });
    transcript.addEventListener("focusin", function () { reading = true; });
    transcript.addEventListener("focusout", function () { reading = false; });
  }

  function keepInView(item) {
    if (reading || item.hidden) { return; }
    var top = item.offsetTop - transcript.offsetTop;
    if (top < transcript.scrollTop || top + item.offsetHeight > transcript.scrollTop + transcript.clientHeight) {
      transcript.scrollTop = Math.max(0, top - transcript.clientHeight / 3);
    }
  }

  function highlight(index, say) {
    if (index !== current) {
      if (current >= 0) {
        cueItems[current].classList.remove("cue-current");
        cueItems[current].querySelector("a.cue-time").removeAttribute("aria-current");
      }
      current = index;
      if (index >= 0) {
        cueItems[index].classList.add("cue-current");
        cueItems[index].querySelector("a.cue-time").setAttribute("aria-current", "true");
        keepInView(cueItems[index]);
        if (!say && announceEvery && announceEvery.checked) { announce(cueText(index)); }
      }
    }
    if (say && index >= 0) { announce("Playing from " + cueText(index)); }
  }

  function seek(seconds, say) {
    player.currentTime = seconds;
    highlight(cueAt(seconds), say);
    var playing = player.play();
    if (playing && playing.catch) { playing.catch(function () {}); }
  }

  player.addEventListener("timeupdate", function () { highlight(cueAt(player.currentTime), false); });

  // ?t= on load (the media fragment in src usually did it already; some browsers ignore it once metadata loaded).
  var startAt = parseFloat(player.dataset.startAt || "");
  if (startAt > 0) {
    var startThere = function () {
      if (Math.abs(player.currentTime - startAt) > 1) { player.currentTime = startAt; }
      highlight(cueAt(startAt), false);
    };
    if (player.readyState >= 1) { startThere(); } else { player.addEventListener("loadedmetadata", startThere, { once: true }); }
  }

  // Transcript: a cue's time link (or a click anywhere on the cue but another link) plays from there.
  if (transcript) {
    transcript.addEventListener("click", function (event) {
      var link = event.target.closest("a");
      var item = event.target.closest("li.cue");
      if (!item || (link && !link.classList.contains("cue-time"))) { return; }
      if (!link && window.getSelection && String(window.getSelection())) { return; }  // selecting text to copy
      event.preventDefault();
      seek(parseFloat(item.dataset.start), true);
    });
  }

  // Transcript filter: every word, in any order, in the cue's speaker or text (as coursesite/learning/transcript.py).
  var findForm = document.querySelector("form.transcript-find");
  var findInput = document.getElementById("transcript-find");
  var findCount = document.getElementById("transcript-count");
  var serverFiltered = findInput && findInput.defaultValue !== "";
  var countTimer = null;
  function filter() {
    var words = findInput.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    cueItems.forEach(function (item) {
      var haystack = spokenText(item).toLowerCase();
      var match = words.every(function (word) { return haystack.indexOf(word) !== -1; });
      item.hidden = !match;
      if (match) { shown += 1; }
    });
    // The count is a status (read politely): wait until typing pauses so it is said once.
    window.clearTimeout(countTimer);
    countTimer = window.setTimeout(function () {
      findCount.textContent = words.length
        ? shown + " of " + cueItems.length + " lines contain \u201c" + findInput.value.trim() + "\u201d."
        : "Select a time to play from there.";
    }, 400);
  }
  if (findForm && findInput && findCount && !serverFiltered) {
    findInput.addEventListener("input", filter);
    findForm.addEventListener("submit", function (event) { event.preventDefault(); filter(); });
  }

  // Notes: the time follows the player until the learner edits it or starts writing (the note is about that moment).
  var noteTime = document.querySelector("[data-note-time]");
  var noteText = document.getElementById("note-text");
  var following = true;
  function followPlayer() { if (noteTime && following) { noteTime.value = clock(player.currentTime); } }
  player.addEventListener("timeupdate", followPlayer);
  player.addEventListener("seeked", followPlayer);
  if (noteTime) {
    noteTime.addEventListener("input", function () { following = false; });
    noteTime.addEventListener("focus", function () { following = false; });
  }
  if (noteText) {
    noteText.addEventListener("input", function () {
      if (following) { followPlayer(); following = false; }
    });
  }

  // A note's time link plays from there, in place.
  var noteList = document.getElementById("note-list");
  if (noteList) {
    noteList.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-seek]");
      if (!link) { return; }
      event.preventDefault();
      seek(parseFloat(link.dataset.seek), true);
    });
  }

  // Note forms (add, edit, delete) without a reload, so the player keeps playing; the server answers JSON.
  var noteStatus = document.getElementById("note-status");
  function showError(form, message) {
    var box = form.hasAttribute("data-note-new") ? document.getElementById("note-error") : form.querySelector(".note-form-error");
    if (!box) {
      box = document.createElement("p");
      box.className = "form-errors note-form-error";
      box.setAttribute("role", "alert");
      form.insertBefore(box, form.querySelector("button[type=submit]"));
    }
    box.hidden = false;
    box.textContent = message;
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-note-form") || !noteList || !window.fetch) { return; }
    event.preventDefault();
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) { return; }
    var editedId = (form.action.match(/\/notes\/(\d+)\/edit$/) || [])[1];
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
    fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (answer) {
      if (button) { button.disabled = false; }
      if (!answer.ok) {
        showError(form, answer.data.error || answer.data.description || "The note could not be saved.");
        return;
      }
      noteList.innerHTML = answer.data.html;
      if (noteStatus) { noteStatus.textContent = answer.data.message; }
      if (form.hasAttribute("data-note-new")) {
        form.reset();
        var error = document.getElementById("note-error");
        if (error) { error.hidden = true; error.textContent = ""; }
        following = true;
        followPlayer();
        if (noteText) { noteText.focus(); }
      } else if (editedId) {
        var edited = document.querySelector("#note-" + editedId + " a.note-time");
        if (edited) { edited.focus(); }
      } else if (noteText) {
        noteText.focus();
      }
    }).catch(function () {
      if (button) { button.disabled = false; }
      showError(form, "The note could not be sent. Check your connection and try again.");
    });
  });

  // Under an audio player: the current caption as a line of text (the transcript is the accessible version).
  var captionLine = document.getElementById("caption-line");
  var track = player.textTracks && player.textTracks[0];
  if (track && captionLine) {
    track.mode = "hidden";
    track.addEventListener("cuechange", function () {
      var cue = track.activeCues && track.activeCues[0];
      captionLine.textContent = cue ? cue.text.replace(/<[^>]+>/g, "") : "";
    });
  }

  window.coursesiteLecture = { player: player, seek: function (seconds) { seek(seconds, true); } };
}());
