// The room screen: the join code in the lobby, then large slides; anonymous counts only.
import { el } from "./dom.js";
import { connectLive } from "./socket.js";
import { renderStep } from "./step.js";
import { formatDuration, onTick, remainingSeconds } from "./ticker.js";
import { phaseLine, phaseOf } from "./breakouts.js";
import { renderResults } from "./polls.js";
import { breakIsOn, renderBreak } from "./safety.js";
import { renderShared } from "./journal.js";

const root = document.querySelector("[data-live-projector]");
const lobby = document.getElementById("lobby");
const slide = document.getElementById("slide");
const online = document.getElementById("online");
const timer = document.getElementById("timer");
const banner = document.getElementById("connection-banner");

let onBreak = false;
// Set once the server has ended this screen's connection: nothing is drawn after that.
let over = false;

function show(state) {
  if (over) return;
  // A grounding break covers the room's screen until the facilitator ends it or its deadline passes.
  onBreak = breakIsOn(state, live.serverNow());
  lobby.hidden = state.status !== "lobby" || onBreak;
  if (state.status === "lobby") document.getElementById("lobby-title").textContent = `Week ${state.session.week}: ${state.session.title}`;
  slide.replaceChildren(
    onBreak ? renderBreak(state.grounding_break, live.serverNow)
      : state.status === "live" ? (state.poll ? pollScreen(state.poll) : state.breakout ? roomsScreen(state.breakout, state.step) : renderStep(state.step))
        : state.status === "lobby" ? ""
          : el("h1", { text: state.status === "ended" ? "Thank you for today" : "" }));
  showOnline(state.online);
  // The room screen shows the latest excerpt a facilitator approved; phones keep the whole list.
  renderShared(document.getElementById("shared"), (state.shared || []).slice(-1));
}

const live = connectLive({
  cohort: root.dataset.cohort,
  role: "projector",
  onState: show,
  onPresence: (presence) => showOnline(presence.online),
  onConnection: (status) => { if (status === "refused") unpaired(); },
  on: {
    "poll:progress": (progress) => {
      const line = document.getElementById("poll-progress");
      if (line) line.textContent = `${progress.responded} responded`;
    },
  },
});

// The server ends this screen's connection for good when its projector link is revoked (or its
// facilitator signs out): nothing of the group stays on the screen.
live.socket.on("disconnect", (reason) => { if (reason === "io server disconnect") unpaired(); });

function unpaired() {
  over = true;
  lobby.hidden = true;
  slide.replaceChildren();
  document.getElementById("shared").hidden = true;
  online.textContent = "";
  timer.hidden = true;
  banner.hidden = false;
  banner.textContent = "This screen no longer shows the group. A facilitator can make a new projector link for it.";
}

function pollScreen(poll) {
  const parts = [el("h2", { text: poll.question })];
  if (poll.status === "revealed") parts.push(renderResults(poll));
  else parts.push(el("p", { id: "poll-progress", class: "lead", text: `${poll.responded} responded` }),
    el("p", { class: "quiet", text: poll.status === "open" ? "Answer on your phone. It is anonymous, and you can pass." : "The poll is closed." }));
  return el("article", { class: "step-view" }, ...parts);
}

// While rooms are open the room screen says so and counts down; no names, no notes but shared ones.
function roomsScreen(round, step) {
  const parts = [el("h2", { text: round.title })];
  if (round.status === "running" && phaseOf(round, live.serverNow()) !== "ended") {
    parts.push(el("p", { class: "lead", text: `In ${round.rooms} small groups` }),
      el("p", { id: "rooms-phase", class: "lead", text: phaseLine(round, live.serverNow()) }));
    if (round.message) parts.push(el("p", { class: "breakout-message", text: round.message }));
  } else if (round.shared.length) {
    parts.push(el("p", { class: "lead", text: "What the rooms chose to share" }),
      ...round.shared.map((shared) => el("figure", { class: "shared-notes" },
        el("figcaption", { text: `Room ${shared.room}` }), el("p", { class: "notes-text", text: shared.notes }))));
  } else {
    return renderStep(step);
  }
  return el("article", { class: "step-view" }, ...parts);
}

function showOnline(count) {
  if (over) return;
  online.textContent = `${count} joined`;
}

onTick(() => {
  if (over) return;
  const state = live.state();
  if (state && breakIsOn(state, live.serverNow()) !== onBreak) show(state);
  const seconds = state ? remainingSeconds(state.timer, live.serverNow()) : null;
  timer.hidden = seconds === null;
  if (seconds !== null) timer.textContent = seconds > 0 ? formatDuration(seconds) : "Time is up";
  const line = document.getElementById("rooms-phase");
  if (line && state && state.breakout) line.textContent = phaseLine(state.breakout, live.serverNow());
});
