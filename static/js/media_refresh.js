/* MEDIA_DELIVERY=s3 (H5): the app answers the player's media request with a redirect to a presigned bucket URL that
   works for some minutes. A lecture kept open longer fails on its next byte-range request (a seek, or buffering):
   ask the app again (a fresh redirect, after the same access check) and carry on from the same second. */
(function () {
  "use strict";
  var player = document.getElementById("player");
  if (!player || !player.hasAttribute("crossorigin")) { return; }
  var source = player.getAttribute("src");
  var attempts = 0;
  player.addEventListener("error", function () {
    var error = player.error;
    if (!error || error.code === error.MEDIA_ERR_ABORTED || error.code === error.MEDIA_ERR_DECODE || attempts >= 3) {
      return;
    }
    attempts += 1;
    var at = player.currentTime;
    var playing = !player.paused;
    player.addEventListener("loadedmetadata", function () {
      player.currentTime = at;
      if (playing) { player.play().catch(function () { /* the learner presses play */ }); }
    }, { once: true });
    player.src = source;
    player.load();
  });
  player.addEventListener("playing", function () { attempts = 0; });
}());
