// The room screen: the join code in the lobby, then large slides; anonymous counts only.
import { connectLive, el, formatDuration, remainingSeconds, renderStep } from "./live.js";
import { renderResults } from "./polls.js";
import { renderShared } from "./journal.js";

const root = document.querySelector("[data-live-projector]");
const lobby = document.getElementById("lobby");
const slide = document.getElementById("slide");
const online = document.getElementById("online");
const timer = document.getElementById("timer");

const live = connectLive({
  cohort: root.dataset.cohort,
  role: "projector",
  onState: (state) => {
    lobby.hidden = state.status !== "lobby";
    if (state.status === "lobby") document.getElementById("lobby-title").textContent = `Week ${state.session.week}: ${state.session.title}`;
    slide.replaceChildren(
      state.status === "live" ? (state.poll ? pollScreen(state.poll) : renderStep(state.step))
        : state.status === "lobby" ? ""
          : el("h1", { text: state.status === "ended" ? "Thank you for today" : "" }));
    showOnline(state.online);
    // The room screen shows the latest excerpt a facilitator approved; phones keep the whole list.
    renderShared(document.getElementById("shared"), (state.shared || []).slice(-1));
  },
  onPresence: (presence) => showOnline(presence.online),
  on: {
    "poll:progress": (progress) => {
      const line = document.getElementById("poll-progress");
      if (line) line.textContent = `${progress.responded} responded`;
    },
  },
});

function pollScreen(poll) {
  const parts = [el("h2", { text: poll.question })];
  if (poll.status === "revealed") parts.push(renderResults(poll));
  else parts.push(el("p", { id: "poll-progress", class: "lead", text: `${poll.responded} responded` }),
    el("p", { class: "quiet", text: poll.status === "open" ? "Answer on your phone. It is anonymous, and you can pass." : "The poll is closed." }));
  return el("article", { class: "step-view" }, ...parts);
}

function showOnline(count) {
  online.textContent = `${count} joined`;
}

window.setInterval(() => {
  const state = live.state();
  const seconds = state ? remainingSeconds(state.timer, live.serverNow()) : null;
  timer.hidden = seconds === null;
  if (seconds !== null) timer.textContent = seconds > 0 ? formatDuration(seconds) : "Time is up";
}, 250);
