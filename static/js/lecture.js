// Interactive transcript: highlight the cue being spoken, play from a cue when it is selected,
// and show the current caption under audio players (which have no picture to draw captions on).
(function () {
  "use strict";
  var player = document.getElementById("player");
  var transcript = player && document.getElementById(player.dataset.transcript);
  if (!player || !transcript) { return; }
  var buttons = Array.prototype.slice.call(transcript.querySelectorAll("button.cue"));
  var starts = buttons.map(function (button) { return parseFloat(button.dataset.start); });
  var captionLine = document.getElementById("caption-line");
  var current = -1;

  function cueAt(time) {
    var index = -1;
    for (var i = 0; i < starts.length && starts[i] <= time + 0.05; i++) { index = i; }
    return index;
  }

  function highlight(index) {
    if (index === current) { return; }
    if (current >= 0) { buttons[current].classList.remove("cue-current"); buttons[current].removeAttribute("aria-current"); }
    current = index;
    if (index >= 0) {
      buttons[index].classList.add("cue-current");
      buttons[index].setAttribute("aria-current", "true");
    }
  }

  player.addEventListener("timeupdate", function () { highlight(cueAt(player.currentTime)); });

  buttons.forEach(function (button, index) {
    button.addEventListener("click", function () {
      player.currentTime = starts[index];
      highlight(index);
      var playing = player.play();
      if (playing && playing.catch) { playing.catch(function () {}); }
    });
  });

  var track = player.textTracks && player.textTracks[0];
  if (track && captionLine) {
    track.mode = "hidden";
    track.addEventListener("cuechange", function () {
      var cue = track.activeCues && track.activeCues[0];
      captionLine.textContent = cue ? cue.text.replace(/<[^>]+>/g, "") : "";
    });
  }
}());
