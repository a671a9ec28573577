// Quick exit, on every participant page: the button, or Escape pressed three times within a
// moment, blanks the page and replaces it with a neutral one. location.replace() takes the
// current page's place in the tab's history, so "back" does not return to it.
const button = document.querySelector("[data-quick-exit]");
const PRESSES = 3;
const WITHIN_MS = 1500;
let presses = [];

function leave() {
  const target = button ? button.dataset.exitUrl : "/away";
  // Whatever else runs on the page lets go first: the camera and microphone stop at once.
  window.dispatchEvent(new Event("mend:quick-exit"));
  // Blank at once, before the next page arrives, so nothing stays on screen for a glance.
  document.title = "New tab";
  document.body.replaceChildren();
  window.location.replace(target);
}

if (button) button.addEventListener("click", leave);

document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const now = Date.now();
  presses = [...presses.filter((at) => now - at < WITHIN_MS), now];
  if (presses.length >= PRESSES) leave();
});
