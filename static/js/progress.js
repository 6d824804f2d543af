// Attendance: record the spans of media actually played and report them, so the site can tell what was watched.
// A seek never counts (a jump ends the span); the server merges spans, so replays count once. Reports go out every
// ten seconds while playing, and on pause, end, hiding the page and leaving it (navigator.sendBeacon, with the CSRF
// token in the form, as a beacon cannot set headers). Without ?t= in the URL the player resumes where the learner
// left off, on any device.
(function () {
  "use strict";
  var player = document.getElementById("player");
  var box = document.getElementById("lecture-progress");
  if (!player || !box || !box.dataset.reportUrl) { return; }
  var url = box.dataset.reportUrl;
  var token = box.dataset.csrfToken;
  var status = document.getElementById("progress-status");
  var EVERY_MS = 10000;
  var MAX_STEP = 2; // seconds of wall clock between two timeupdates beyond which a change of time is a jump
  var pending = []; // closed spans [start, end] not yet reported
  var spanStart = null; // where the span being played began (null: not playing)
  var lastTime = 0; // the media time of the latest timeupdate inside the span
  var visibleSinceReport = document.visibilityState === "visible";
  var complete = status && status.textContent.trim() !== "";

  function closeSpan(end) {
    if (spanStart !== null && end > spanStart) { pending.push([spanStart, end]); }
    spanStart = null;
  }

  function openSpan(at) { spanStart = at; lastTime = at; }

  player.addEventListener("playing", function () { openSpan(player.currentTime); });
  player.addEventListener("timeupdate", function () {
    var now = player.currentTime;
    if (player.paused || player.seeking) { return; }
    if (spanStart === null) { openSpan(now); return; }
    var step = now - lastTime;
    if (step < 0 || step > MAX_STEP * Math.max(1, player.playbackRate)) {
      closeSpan(lastTime); // a jump the seeking event did not announce
      openSpan(now);
      return;
    }
    lastTime = now;
  });
  player.addEventListener("seeking", function () { closeSpan(lastTime); });
  player.addEventListener("seeked", function () { if (!player.paused) { openSpan(player.currentTime); } });
  player.addEventListener("pause", function () { endSpan(); send(false); });
  player.addEventListener("ended", function () { endSpan(); send(false); });

  function endSpan() {
    var now = player.currentTime;
    var step = now - lastTime;
    closeSpan(step >= 0 && step <= MAX_STEP * Math.max(1, player.playbackRate) ? now : lastTime);
  }

  function take() {
    // The spans played so far; a span still playing is cut here and goes on from here.
    var playing = spanStart !== null;
    if (playing) { closeSpan(lastTime); }
    var spans = pending;
    pending = [];
    if (playing) { openSpan(lastTime); }
    return spans;
  }

  function showComplete(answer) {
    if (answer && answer.complete && !complete && status) {
      complete = true;
      status.textContent = "You have completed this lecture.";
    }
  }

  // One report at a time: the server measures real time between a learner's reports, so a report overtaking the
  // one before it would be cut short. A report asked for meanwhile waits for the answer (leaving cannot wait).
  var inFlight = false;
  var again = false;

  function send(leaving) {
    if (inFlight && !leaving) { again = true; return; }
    var spans = take();
    var visible = visibleSinceReport; // the page was visible all the time since the previous report
    visibleSinceReport = document.visibilityState === "visible";
    var report = JSON.stringify({ intervals: spans, position: player.currentTime,
                                  rate: player.playbackRate || 1, visible: visible });
    if (leaving && navigator.sendBeacon) {
      var form = new FormData();
      form.append("csrf_token", token);
      form.append("report", report);
      if (navigator.sendBeacon(url, form)) { return; }
    }
    inFlight = true;
    var done = function () {
      inFlight = false;
      if (again) { again = false; send(false); }
    };
    fetch(url, {
      method: "POST", credentials: "same-origin", keepalive: leaving,
      headers: { "Content-Type": "application/json", "X-CSRFToken": token, "Accept": "application/json" },
      body: report
    }).then(function (response) {
      if (response.ok) { return response.json().then(showComplete); }
      if (response.status !== 400) { pending = spans.concat(pending); } // try again with the next report
      return null;
    }).catch(function () { pending = spans.concat(pending); }).then(done, done);
  }

  window.setInterval(function () {
    if (!player.paused || pending.length) { send(false); }
  }, EVERY_MS);

  // Hiding the page closes a visible stretch (reported as visible); showing it again closes a hidden one.
  document.addEventListener("visibilitychange", function () { send(document.visibilityState !== "visible"); });
  window.addEventListener("pagehide", function () { send(true); });

  // Resume where the learner left off, unless the URL chose a time (?t=, which sets data-start-at).
  var resumeAt = parseFloat(box.dataset.resumeAt);
  if (!player.dataset.startAt && isFinite(resumeAt) && resumeAt > 0) {
    var resume = function () {
      if (player.currentTime < 1) { player.currentTime = resumeAt; lastTime = resumeAt; }
    };
    if (player.readyState >= 1) { resume(); } else { player.addEventListener("loadedmetadata", resume, { once: true }); }
  }
}());
