// The facilitator console: what participants see now, presenter notes, next step,
// presence, agenda with jump, timer, and keyboard shortcuts. Every command carries the
// version it was based on; a refused command shows why and the fresh state.
import { announceIn, button, el } from "./dom.js";
import { connectLive } from "./socket.js";
import { renderStep } from "./step.js";
import { formatDuration, onTick, remainingSeconds } from "./ticker.js";
import { aloneCalls, renderBreakoutPanel, tickBreakout, updateRoomNotes } from "./console-breakouts.js";
import { renderResults } from "./polls.js";
import { consoleMeasures, measureResults } from "./console-measures.js";
import { consoleSafety } from "./safety-console.js";
import { renderExcerptQueue, renderJournalCount } from "./journal-console.js";
import { consolePeople } from "./console-people.js";
import { consoleMessages } from "./console-messages.js";
import { consoleTools } from "./console-tools.js";
import { consoleAttention } from "./attention.js";
import { breakIsOn } from "./safety.js";

const root = document.querySelector("[data-live-console]");
const $ = (id) => document.getElementById(id);
const errorBox = $("command-error");
const banner = $("connection-banner");
const announcer = $("announcer");
// The command waiting for its answer: a second press of the same button is dropped (a double click never
// skips a step); another command waits for it and then goes out based on the state it produced.
let inflight = null;
let lastPresence = null;

const live = connectLive({
  cohort: root.dataset.cohort,
  role: "facilitator",
  onState: render,
  onPresence: (presence) => { lastPresence = presence; people.render(presence); },
  on: {
    enrolment: (enrolment) => people.renderEnrolment(enrolment),
    "safety:signals": (payload) => safety.signals(payload),
    "content_note:skipped": (payload) => safety.skipped(payload),
    "excerpt:queue": (queue) => { renderExcerptQueue(queue.pending, send, live); tools.waiting(queue.pending.length); },
    "poll:results": (poll) => renderPoll(live.state() && { ...live.state(), poll }),
    "measures:group": (payload) => measures.group(payload),
    "measures:shared": (payload) => measures.shared(payload),
    "breakout:notes": (change) => updateRoomNotes(change),
    "poll:progress": (progress) => {
      const line = $("poll-responded");
      if (line && live.state().poll && live.state().poll.id === progress.poll) line.textContent = responded(progress.responded, progress.of);
    },
  },
  onConnection: (status, detail) => {
    banner.hidden = status === "online";
    banner.textContent = status === "refused" ? detail.message : "Reconnecting to the session… Your controls will work again in a moment.";
  },
});

const tools = consoleTools();
const measures = consoleMeasures({ url: root.dataset.measures, onShared: () => lastPresence && people.render(lastPresence) });
const attention = consoleAttention({ title: document.title });

const messages = consoleMessages({
  live,
  announce,
  showError: (message) => { errorBox.hidden = false; errorBox.textContent = message; },
});

const people = consolePeople({
  live,
  announce,
  message: messages,
  sharedBy: (participantId) => measures.sharedBy(participantId),
  showError: (message) => { errorBox.hidden = false; errorBox.textContent = message; },
});

const safety = consoleSafety({
  live,
  send,
  onNeeds: (needs) => attention.set("pause", needs),
  showError: (message) => { errorBox.hidden = false; errorBox.textContent = message; },
});

async function send(event, payload = {}) {
  if (inflight && inflight.event === event) return;
  while (inflight) await inflight.answer;
  const state = live.state();
  if (!state) return;
  const answer = live.command(event, { version: state.version, ...payload });
  inflight = { event, answer };
  const ack = await answer;
  inflight = null;
  errorBox.hidden = ack.ok;
  if (!ack.ok) {
    errorBox.textContent = ack.error.message;
    if (ack.error.state) render(ack.error.state);
  }
}

function announce(text) {
  announceIn(announcer, text);
}

let lastKey = null;
// The facilitator's video, only in a cohort that uses it (data-video): its code loads then and only then.
let video = null;
if (root.dataset.video) {
  import("./console-video.js").then(({ consoleVideo }) => {
    video = consoleVideo({ live, announce, before: document.querySelector(".people-card") });
    video.update(live.state());
  });
}

function render(state) {
  if (video) video.update(state);
  if (state.status === "ended" || state.status === "idle") {
    $("status").textContent = "Ended";
    window.location.assign(root.dataset.after || "/dashboard");
    return;
  }
  const live_ = state.status === "live";
  $("status").textContent = live_ ? "Live" : "Lobby: participants are waiting";
  $("status").dataset.status = state.status;
  $("start").hidden = live_;
  $("prev").disabled = !live_ || state.step.position === 0;
  $("next").disabled = !live_ || state.step.position === state.step.total - 1;
  $("position").textContent = live_ ? `${state.step.number} of ${state.step.total}` : "not started";
  $("now").replaceChildren(live_ ? renderStep(state.step) : el("p", { text: "The lobby: participants see the agenda and the group agreement, and wait for you to start." }));
  $("notes").innerHTML = live_ ? state.notes_html || "<p>No notes for this step.</p>" : state.preview_notes_html || "";
  $("preview").replaceChildren(state.preview ? renderStep(state.preview) : el("p", { text: "This is the last step." }));
  const current = live_ ? state.step.position : -1;
  $("agenda-list").replaceChildren(...state.agenda.map((item) => {
    const button = el("button", { type: "button", class: "link", text: item.title, disabled: !live_ || item.position === current });
    button.addEventListener("click", () => send("step:go", { position: item.position }));
    const li = el("li", { class: item.position === current ? "current" : "" }, el("span", { class: "kind", text: item.kind }), button);
    if (item.position === current) li.setAttribute("aria-current", "step");
    return li;
  }));
  people.render(state.presence);
  people.renderEnrolment(state.enrolment);
  renderJournalCount(state.journal);
  renderExcerptQueue(state.excerpts, send, live);
  if (state.excerpts) tools.waiting(state.excerpts.length);
  renderPoll(state);
  renderBreakoutPanel(state, send, live, announce, messages);
  renderHelpCalls(state);
  renderAloneCalls(state);
  safety.render(state);
  tools.follow(state, breakIsOn(state, live.serverNow()));
  const key = `${state.status}:${current}`;
  if (key !== lastKey && live_) announce(`Showing step ${state.step.number}: ${state.step.title}`);
  lastKey = key;
}

// Rooms asking for help, in the attention region until a facilitator answers.
function renderHelpCalls(state) {
  const round = state.breakout;
  const asking = round && round.rooms_detail ? round.rooms_detail.filter((r) => r.help_requested_at && !r.help_answered_at) : [];
  attention.set("help", new Map(asking.map((room) => [`help:${round.id}:${room.id}`, `Room ${room.number} asked for help`])));
  $("help-calls").replaceChildren(...asking.map((room) => el("div", { class: "help-call" },
    el("p", {}, el("strong", { text: `Room ${room.number} asked for help.` }), ` ${room.members.map((m) => m.name).join(", ")}`),
    button("I'm on my way", "primary", async () => {
      const ack = await live.command("breakout:help_answer", { round: round.id, room: room.id });
      if (!ack.ok) { errorBox.hidden = false; errorBox.textContent = ack.error.message; }
    }),
    button("Show the room", "link", () => tools.select("rooms")))));
}

// Someone left alone in a breakout room, after the help calls; what it says and the fix are
// console-breakouts.js's.
function renderAloneCalls(state) {
  const calls = aloneCalls(state.breakout, send);
  attention.set("alone", calls.needs);
  $("help-calls").append(...calls.nodes);
}

const responded = (count, of) => `${count} of ${Math.max(count, of)} have responded`;

function renderPoll(state) {
  const panel = $("poll-panel");
  if (!state || state.status !== "live") { panel.replaceChildren(el("p", { class: "quiet", text: "Polls open once the session has started." })); return; }
  const poll = state.poll;
  const stepIsPoll = state.step.kind === "poll" || state.step.kind === "measure";
  if (!poll) {
    panel.replaceChildren(stepIsPoll
      ? el("p", {}, button(state.step.kind === "measure" ? "Open these questions" : "Open this poll", "primary", () => send("poll:open")))
      : el("p", { class: "quiet", text: "This step has no poll. Use a quick poll below if you need one." }));
    return;
  }
  const parts = [el("p", { class: "poll-question", text: poll.question }),
    el("p", { id: "poll-responded", text: responded(poll.responded, state.online) })];
  if (poll.results && poll.kind === "measure") parts.push(measureResults(poll));
  else if (poll.results) {
    parts.push(renderResults(poll, poll.status === "revealed" ? {} : { moderate: (target, hidden) => moderate(target, hidden) }));
  }
  if (poll.status === "open") parts.push(el("p", {}, button(poll.kind === "measure" ? "Close the questions" : "Close the poll", "primary", () => send("poll:close"))));
  if (poll.status === "closed" && poll.kind === "measure") {
    parts.push(el("p", { class: "quiet", text: "Closed. These results are for the facilitators only; the week's trend is on the Measures tab." }));
  } else if (poll.status === "closed") {
    const enough = poll.results.answers >= poll.results.threshold;
    parts.push(el("p", {}, button("Show results to the room", enough ? "primary" : "", () => send("poll:reveal"))));
    if (!enough) parts.push(el("p", { class: "hint", text: `Results can be shown once at least ${poll.results.threshold} people have answered; ${poll.results.answers} did.` }));
  }
  if (poll.status === "revealed") parts.push(el("p", { class: "quiet", text: "The results are on everyone's screen." }));
  panel.replaceChildren(...parts);
}

async function moderate(target, hidden) {
  const ack = await live.command("poll:moderate", { target, hidden });
  errorBox.hidden = ack.ok;
  if (!ack.ok) errorBox.textContent = ack.error.message;
}

$("quick-poll-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const kind = $("quick-kind").value;
  const lines = $("quick-options").value.split("\n").map((line) => line.trim()).filter(Boolean);
  const quick = { kind, question: $("quick-question").value.trim() };
  if (kind === "single" || kind === "multiple") quick.options = lines;
  // A scale left without ends gets the usual two; one or three lines are the server's to explain.
  if (kind === "scale") quick.labels = lines.length ? lines : ["Not at all", "Completely"];
  send("poll:open", { quick });
});

function go(delta) {
  const state = live.state();
  if (!state || state.status !== "live") return;
  const target = state.step.position + delta;
  if (target >= 0 && target < state.step.total) send("step:go", { position: target });
}

$("start").addEventListener("click", () => send("session:start"));
$("prev").addEventListener("click", () => go(-1));
$("next").addEventListener("click", () => go(1));
$("timer-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const minutes = Number($("timer-minutes").value);
  if (minutes >= 1 && minutes <= 180) send("timer:start", { seconds: Math.round(minutes * 60) });
});
$("timer-add").addEventListener("click", () => send("timer:add", { seconds: 60 }));
$("timer-clear").addEventListener("click", () => send("timer:clear"));
const dialog = $("end-dialog");
$("end").addEventListener("click", () => dialog.showModal());
$("end-cancel").addEventListener("click", () => dialog.close());
$("end-confirm").addEventListener("click", () => { dialog.close(); send("session:end"); });

document.addEventListener("keydown", (event) => {
  if (event.target.closest("input, textarea, select, dialog") || event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.key === "ArrowRight" || event.key === "PageDown") { event.preventDefault(); go(1); }
  if (event.key === "ArrowLeft" || event.key === "PageUp") { event.preventDefault(); go(-1); }
});

// The presenter view fills the window below the bar and the attention region, whatever their height.
const top = document.querySelector(".console-top");
const header = document.querySelector(".site-header");
new ResizeObserver(() => {
  document.documentElement.style.setProperty("--console-top", `${top.offsetHeight + header.offsetHeight + 8}px`);
}).observe(top);

onTick(() => {
  const state = live.state();
  if (state) tools.follow(state, breakIsOn(state, live.serverNow()));
  const seconds = state ? remainingSeconds(state.timer, live.serverNow()) : null;
  $("timer-display").textContent = seconds === null ? "No timer" : seconds > 0 ? `${formatDuration(seconds)} left` : "Time is up";
  $("timer-add").disabled = seconds === null;
  $("timer-clear").disabled = seconds === null;
  tickBreakout(live);
});
