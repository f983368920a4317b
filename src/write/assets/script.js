// tgnorm's script for Telegram Desktop-style HTML archives (written for
// tgnorm; the function names are the ones the markup calls).
"use strict";
function CheckLocation() {
  var m = /#go_to_message(-?\d+)$/.exec(window.location.hash || "");
  if (m) { GoToMessage(+m[1]); }
}
function GoToMessage(id) {
  var el = document.getElementById("message" + id);
  if (!el) { return true; }
  el.scrollIntoView({ block: "center" });
  el.classList.add("selected");
  setTimeout(function () { el.classList.remove("selected"); }, 1500);
  return false;
}
function ShowSpoiler(el) { el.classList.remove("hidden"); return false; }
function GoBack() { history.back(); return false; }
function ShowHashtag() { return false; }
function ShowCashtag() { return false; }
function ShowBotCommand() { return false; }
function ShowMentionName() { return false; }
function ShowNotLoadedEmoji() { return false; }
function ShowNotAvailableEmoji() { return false; }
function ShowTextCopied() { return false; }
