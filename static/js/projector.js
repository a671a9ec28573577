// The room screen, a presentation on the wall: the join code (large in the lobby, in a corner while
// enrolment is open), slides without any "step 2 of 16", a holding screen for content-noted steps,
// poll charts, a large breakout clock; anonymous counts only. Its theme is chosen on the screen.
import { el } from "./dom.js";
import { connectLive } from "./socket.js";
import { formatDuration, onTick, remainingSeconds, secondsUntil } from "./ticker.js";
import { phaseLine, phaseOf } from "./breakouts.js";
import { renderResults } from "./polls.js";
import { breakIsOn, renderBreak } from "./safety.js";
import { renderShared } from "./journal.js";

const root = document.querySelector("[data-live-projector]");
const lobby = document.getElementById("lobby");
const lobbyJoin = document.getElementById("lobby-join");
const corner = document.getElementById("join-corner");
const slide = document.getElementById("slide");
const online = document.getElementById("online");
const timer = document.getElementById("timer");
const banner = document.getElementById("connection-banner");

// Light, dark or high contrast, as the room needs it; this screen remembers its choice.
const THEME_KEY = "mend.projector.theme";
const THEMES = ["light", "dark", "contrast"];

function useTheme(theme) {
  const chosen = THEMES.includes(theme) ? theme : "light";
  document.documentElement.dataset.theme = chosen;
  for (const choice of document.querySelectorAll("[data-theme-choice]")) {
    choice.setAttribute("aria-pressed", String(choice.dataset.themeChoice === chosen));
  }
  try { localStorage.setItem(THEME_KEY, chosen); } catch { /* private mode: this page keeps it */ }
}

function savedTheme() {
  try { return localStorage.getItem(THEME_KEY); } catch { return null; }
}

useTheme(savedTheme());
for (const choice of document.querySelectorAll("[data-theme-choice]")) {
  choice.addEventListener("click", () => useTheme(choice.dataset.themeChoice));
}

// The theme buttons show while someone moves the mouse or uses the keyboard, then go away.
let controlsTimeout = null;
function showControls() {
  root.classList.add("show-controls");
  window.clearTimeout(controlsTimeout);
  controlsTimeout = window.setTimeout(() => root.classList.remove("show-controls"), 2000);
}
for (const event of ["mousemove", "keydown", "touchstart"]) document.addEventListener(event, showControls, { passive: true });

let onBreak = false;
// Set once the server has ended this screen's connection: nothing is drawn after that.
let over = false;
// What the slide area shows, so that a state that changes nothing on it (a count, an excerpt) does
// not redraw it: a word cloud or a chart stays put.
let shownKey = null;

function show(state) {
  if (over) return;
  // A grounding break covers the room's screen until the facilitator ends it or its deadline passes.
  onBreak = breakIsOn(state, live.serverNow());
  lobby.hidden = state.status !== "lobby" || onBreak;
  lobbyJoin.hidden = !state.joinable;
  if (state.status === "lobby") document.getElementById("lobby-title").textContent = `Week ${state.session.week}: ${state.session.title}`;
  corner.hidden = !state.joinable || state.status === "lobby";
  const key = screenKey(state);
  if (key !== shownKey) {
    shownKey = key;
    slide.replaceChildren(screenFor(state));
  }
  root.dataset.screen = key.split(":")[0];
  const progressLine = document.getElementById("poll-progress");
  if (progressLine && state.poll) progressLine.textContent = `${state.poll.responded} responded`;
  showOnline(state.online);
  // The room screen shows the latest excerpt a facilitator approved at this step; phones keep the list.
  renderShared(document.getElementById("shared"), onBreak ? [] : (state.shared || []).slice(-1));
}

function screenKey(state) {
  if (onBreak) return `break:${state.grounding_break.started_at}`;
  if (state.status !== "live") return `${state.status}:${state.session ? state.session.id : ""}`;
  const { step, poll, breakout } = state;
  const at = `${state.session.id}:${step.position}`;
  if (poll && (poll.quick || !heldBack(state))) return `poll:${at}:${poll.id}:${poll.status}`;
  if (breakout && breakout.status !== "proposed" && roomsOnScreen(breakout)) {
    return `rooms:${at}:${breakout.id}:${breakout.status}:${breakout.shared.length}:${breakout.message || ""}`;
  }
  return `${heldBack(state) ? "holding" : "step"}:${at}`;
}

// A content-noted step stays off the wall: the room screen shows its note until the facilitator
// moves on. Those who chose to continue read it on their phones; those who skipped see nothing of it.
const heldBack = (state) => Boolean(state.step && state.step.content_note);

function screenFor(state) {
  if (onBreak) return renderBreak(state.grounding_break, live.serverNow);
  if (state.status === "lobby") return "";
  if (state.status === "ended") return el("div", { class: "projector-end" }, el("h1", { text: "Thank you for today" }));
  if (state.status !== "live") return el("div", { class: "projector-end" }, el("h1", { text: state.cohort.name }));
  const { step, poll, breakout } = state;
  if (poll && (poll.quick || !heldBack(state))) return pollScreen(poll);
  if (breakout && breakout.status !== "proposed" && roomsOnScreen(breakout)) return roomsScreen(breakout);
  return heldBack(state) ? holdingScreen(step) : stepScreen(step);
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
  corner.hidden = true;
  slide.replaceChildren();
  document.getElementById("shared").hidden = true;
  online.textContent = "";
  timer.hidden = true;
  banner.hidden = false;
  banner.textContent = "This screen no longer shows the group. A facilitator can make a new projector link for it.";
}

// A step as the room sees it on the wall: its title and words, large; no kind, no step number.
function stepScreen(step) {
  const card = el("article", { class: `projector-step kind-${step.kind}`, "aria-labelledby": "step-title" },
    el("h2", { id: "step-title", text: step.title }));
  if (step.kind === "poll") {
    const settings = step.settings;
    if (settings.options) card.append(el("ul", { class: "poll-options" }, ...settings.options.map((option) => el("li", { text: option }))));
    else if (settings.kind === "scale") card.append(el("p", { class: "quiet", text: `0 = ${settings.labels[0]} · 10 = ${settings.labels[1]}` }));
    card.append(el("p", { class: "quiet", text: "The poll opens when the facilitator starts it. Answers are anonymous, and “pass” is always fine." }));
  } else if (step.kind === "measure") {
    if (step.html) card.append(el("div", { class: "prose", html: step.html }));
    card.append(el("p", { class: "quiet", text: "A few questions on your phone. Only you see your answers, and you can pass any of them." }));
  } else {
    if (step.kind === "breakout") card.append(el("p", { class: "quiet", text: `In groups of ${step.settings.group_size} · ${step.settings.minutes} minutes` }));
    card.append(el("div", { class: "prose", html: step.html }));
  }
  return card;
}

// The neutral screen in place of a content-noted step: the note, and that the group goes on soon.
function holdingScreen(step) {
  return el("article", { class: "projector-holding", "aria-labelledby": "holding-title" },
    el("h2", { id: "holding-title", text: "Content note" }),
    el("p", { class: "holding-note", text: step.content_note }),
    el("p", { class: "holding-words", text: "On your phone you can read this part or skip it. We'll continue together in a moment." }));
}

function pollScreen(poll) {
  const parts = [el("h2", { text: poll.question })];
  if (poll.status === "revealed") parts.push(renderResults(poll));
  else parts.push(el("p", { id: "poll-progress", class: "poll-count", text: `${poll.responded} responded` }),
    el("p", { class: "quiet", text: poll.status === "open" ? "Answer on your phone. It is anonymous, and you can pass." : poll.kind === "measure" ? "Thank you. The questions are closed." : "The poll is closed." }));
  return el("article", { class: `projector-poll kind-${poll.kind}` }, ...parts);
}

// Whether the rooms screen is on: while a round runs, and after it while rooms' shared notes show.
function roomsOnScreen(round) {
  return (round.status === "running" && phaseOf(round, live.serverNow()) !== "ended") || round.shared.length > 0;
}

// While rooms are open: the round's title, a large clock and where the round is; no names, no notes
// but shared ones.
function roomsScreen(round) {
  const parts = [el("h2", { text: round.title })];
  if (round.status === "running" && phaseOf(round, live.serverNow()) !== "ended") {
    parts.push(el("p", { id: "rooms-clock", class: "rooms-clock", role: "timer", "aria-live": "off" }),
      el("p", { id: "rooms-phase", class: "rooms-phase" }),
      el("p", { class: "quiet", text: `In ${round.rooms} small groups` }));
    if (round.message) parts.push(el("p", { class: "breakout-message", text: round.message }));
  } else {
    parts.push(el("p", { class: "lead", text: "What the rooms chose to share" }),
      ...round.shared.map((shared) => el("figure", { class: "shared-notes" },
        el("figcaption", { text: `Room ${shared.room}` }), el("p", { class: "notes-text", text: shared.notes }))));
  }
  const card = el("article", { class: "projector-rooms" }, ...parts);
  window.setTimeout(showRoomsClock, 0);
  return card;
}

// The large clock counts what matters in each phase: the rooms' time, then the way back.
function roomsClock(round, now) {
  const phase = phaseOf(round, now);
  if (phase === "starting") return formatDuration(Math.round((round.ends_at - round.starts_at) / 1000));
  if (phase === "running" || phase === "warning") return formatDuration(secondsUntil(round.ends_at, now));
  if (phase === "returning") return formatDuration(secondsUntil(round.recall_at, now));
  return "0:00";
}

function showRoomsClock() {
  const state = live.state();
  const clock = document.getElementById("rooms-clock");
  if (!clock || !state || !state.breakout) return;
  const now = live.serverNow();
  clock.textContent = roomsClock(state.breakout, now);
  clock.dataset.phase = phaseOf(state.breakout, now);
  document.getElementById("rooms-phase").textContent = phaseLine(state.breakout, now);
}

function showOnline(count) {
  if (over) return;
  online.textContent = `${count} joined`;
}

onTick(() => {
  if (over) return;
  const state = live.state();
  if (!state) return;
  // A break's end, or a round's, changes the screen without a new state.
  if (breakIsOn(state, live.serverNow()) !== onBreak || screenKey(state) !== shownKey) show(state);
  const seconds = remainingSeconds(state.timer, live.serverNow());
  timer.hidden = seconds === null || onBreak;
  if (seconds !== null) timer.textContent = seconds > 0 ? formatDuration(seconds) : "Time is up";
  showRoomsClock();
});
