// The participant's live view: follows the facilitator's steps without reloading,
// says where the group is, shows a banner while reconnecting, and announces changes.
import { announceIn, el } from "./dom.js";
import { connectLive } from "./socket.js";
import { renderStep } from "./step.js";
import { formatDuration, meetingTime, onTick, remainingSeconds } from "./ticker.js";
import { BreakoutView, phaseOf } from "./breakouts.js";
import { riskAnswered, riskPanel } from "./measures.js";
import { answerCounted, renderPollForm, renderResults, resendIfLost } from "./polls.js";
import { participantSafety } from "./safety.js";
import { reflectionSpace, renderShared } from "./journal.js";

const root = document.querySelector("[data-live-participant]");
const stage = document.getElementById("stage");
const progress = document.getElementById("progress");
const banner = document.getElementById("connection-banner");
const announcer = document.getElementById("announcer");
const agendaList = document.getElementById("agenda-list");
const agenda = document.getElementById("agenda");
const timerBox = document.getElementById("timer");

let shownKey = null;
// The cohort's facilitators, by name: whom a measure's check-in offer names.
let lastFacilitators = [];
let lastAnnouncedMinute = null;
// This participant's own place in the current breakout round: from their snapshot, then `breakout:you`.
let mine = null;
let breakout = null;
// Audio and video, only in a cohort that uses it (data-video): its code loads then and only then.
let video = null;

const live = connectLive({
  cohort: root.dataset.cohort,
  role: "participant",
  onState: (state) => {
    render(state);
    // A snapshot says whether this person's answer to the open poll is still on the server.
    if (state.you && state.poll && state.poll.status === "open") resendIfLost(state.poll, state.you);
  },
  onPresence: () => {},
  on: {
    "poll:progress": showProgress,
    "poll:counted": answerCounted,
    "pause:status": (status) => safety.status(status.status === "resolved" ? null : status),
    "breakout:you": (view) => setMine(view),
    "breakout:notes": (change) => { if (breakout) breakout.notes(change); },
    "video:visitor": (visitor) => { if (video) video.visitor(visitor); },
    message: showMessage,
  },
  onConnection: (status, detail) => {
    if (status === "online") {
      banner.hidden = true;
    } else if (status === "refused") {
      banner.hidden = false;
      banner.textContent = detail.message;
    } else if (status === "arriving") {
      banner.hidden = false;
      banner.textContent = "Lots of people are arriving. You'll be in shortly.";
    } else {
      banner.hidden = false;
      banner.textContent = "Reconnecting… You'll be back where the group is as soon as the connection returns.";
    }
  },
});

const safety = participantSafety({
  command: (event, payload) => live.command(event, payload),
  serverNow: () => live.serverNow(),
  rerender: () => { shownKey = null; render(live.state()); },
  announce,
});

// A facilitator's private message: shown above the step, without moving anything, until dismissed.
function showMessage(message) {
  const box = document.getElementById("messages");
  const to = message.room ? " to your room" : "";
  const card = el("article", { class: "private-message" },
    el("p", {}, el("strong", { text: `${message.from}${to}:` }), ` ${message.text}`));
  const ok = el("button", { type: "button", text: "OK" });
  ok.addEventListener("click", () => { card.remove(); box.hidden = !box.children.length; });
  card.append(ok);
  box.append(card);
  box.hidden = false;
  announce(`A message from ${message.from}${to}: ${message.text}`);
}

function announce(text) {
  announceIn(announcer, text);
}

// The video room this person is in: their breakout room while its round runs, else the main room.
function videoPlace(state) {
  const round = state && state.breakout;
  if (!round || !mine || mine.place !== "room" || !mine.room || round.status !== "running") return null;
  return phaseOf(round, live.serverNow()) === "ended" ? null : mine.room.id;
}

function followWithVideo(state) {
  if (!video || !state) return;
  const room = state.status === "live" ? videoPlace(state) : null;
  video.setPlace(room, room === null ? "Video: the main room" : `Video: Room ${mine.room.number}`);
}

if (root.dataset.video) {
  import("./video.js").then(({ VideoPanel }) => {
    video = new VideoPanel({ live, announce });
    root.insertBefore(video.node, stage);
    followWithVideo(live.state());
  });
}

function setMine(view) {
  mine = view;
  followWithVideo(live.state());
  const state = live.state();
  if (state && breakout && breakoutOnScreen(state)) breakout.update(state, mine);
}

const breakoutOnScreen = (state) => state.status === "live" && !state.poll && (state.breakout || state.step.kind === "breakout");

function render(state) {
  safety.update(state);
  if (state.you) mine = state.you.breakout;
  followWithVideo(state);
  renderShared(document.getElementById("shared"), state.shared);
  // Rooms stay on screen through updates (their notes editor keeps what is being typed), unless a
  // grounding break or a content note covers the step.
  if (breakoutOnScreen(state) && !safety.cover(state)) {
    renderAgenda(state);
    const fresh = !breakout || !stage.contains(breakout.node);
    if (!breakout) breakout = new BreakoutView(live, announce, setMine);
    const node = breakout.update(state, mine);
    if (fresh) stage.replaceChildren(node);
    const key = `breakout:${state.session.id}:${state.step.position}`;
    if (key !== shownKey) announce(`Now step ${state.step.number} of ${state.step.total}: ${state.step.title}`);
    shownKey = key;
    progress.textContent = `Step ${state.step.number} of ${state.step.total}`;
    return;
  }
  const poll = state.poll;
  lastFacilitators = state.cohort.facilitators;
  const key = [state.status, state.session && state.session.id, state.step && state.step.position,
    poll && poll.id, poll && poll.status, safety.key(state)].join(":");
  const changed = key !== shownKey;
  shownKey = key;
  renderAgenda(state);
  if (!changed) return;
  const stepPoll = state.status === "live" && poll && !poll.quick;
  // A step's own poll replaces the step's preview; a quick poll comes under the current step.
  // A grounding break, a content note or the holding screen after a skip covers the step.
  const cover = safety.cover(state);
  stage.replaceChildren(cover || (stepPoll ? pollView(poll, state.step) : viewFor(state)));
  if (!cover && state.status === "live" && !stepPoll && state.step.kind === "reflection") {
    stage.append(reflectionSpace({ cohort: root.dataset.cohort, session: state.session.id, position: state.step.position }));
  }
  if (!cover && state.status === "live" && poll) {
    if (!stepPoll) stage.append(pollView(poll));
    showProgress({ poll: poll.id, responded: poll.responded, of: state.online });
    if (poll.status === "open") {
      announce(poll.kind === "measure" ? "A few questions are open. You can pass any of them." : "A poll is open. Answering is anonymous, and you can pass.");
    }
    if (poll.status === "revealed") announce("The poll results are on screen.");
  }
  if (state.status === "live") {
    progress.textContent = `Step ${state.step.number} of ${state.step.total}`;
    announce(`Now step ${state.step.number} of ${state.step.total}: ${state.step.title}`);
  } else {
    progress.textContent = { idle: "Between sessions", lobby: "Waiting to begin", ended: "Session ended" }[state.status];
    if (state.status === "lobby") announce("The session is open. Waiting for the facilitator to begin.");
    if (state.status === "ended") announce("The session has ended.");
  }
}

function viewFor(state) {
  const names = state.cohort.facilitators.join(" and ");
  if (state.status === "idle") {
    return el("section", { class: "card" },
      el("h2", { text: "No session is running right now" }),
      el("p", { text: state.next_meeting ? `Next meeting: ${formatMeeting(state.next_meeting)}.` : "All the weeks of this course are done." }),
      el("p", { class: "quiet", text: "Keep this page open or come back with your personal link; it will update by itself when the session opens." }));
  }
  if (state.status === "lobby") {
    return el("section", { class: "card" },
      el("p", { class: "eyebrow", text: `Week ${state.session.week}` }),
      el("h2", { text: state.session.title }),
      el("p", { class: "lead", text: `Waiting for ${names} to begin.` }),
      el("p", { text: "Have a look at today's plan below. Nothing starts without a word from the facilitator, and “pass” is always fine." }));
  }
  if (state.status === "ended") {
    return el("section", { class: "card" },
      el("h2", { text: "This session has ended" }),
      el("p", { text: "Thank you for being here today. Take a moment before you move on to the rest of your day." }));
  }
  return renderStep(state.step);
}

function formatMeeting(meeting) {
  if (!meeting) return "";
  return `week ${meeting.week}, ${meetingTime(meeting.starts_at, meeting.timezone)}`;
}

function pollView(poll, step) {
  const kind = poll.kind === "measure" ? "Questions" : "Poll";
  const label = step ? `${kind} · step ${step.number} of ${step.total}` : "Quick poll";
  const card = el("section", { class: "card poll", "aria-labelledby": "poll-title" },
    el("p", { class: "eyebrow", text: label }),
    el("h2", { id: "poll-title", text: poll.question }),
    el("p", { class: "poll-progress", id: "poll-progress", role: "status", "aria-live": "polite" }));
  if (poll.status === "open") {
    const form = renderPollForm(poll, (answer, previous, extra) =>
      live.command("poll:answer", { poll: poll.id, answer, ...(previous ? { previous } : {}), ...extra }), {
      answered: (answer) => {
        if (poll.kind !== "measure" || !riskAnswered(poll, answer) || card.querySelector(".risk-panel")) return;
        const panel = riskPanel({ cohort: root.dataset.cohort, facilitators: lastFacilitators, checkIn: () => live.command("measure:check_in", {}) });
        form.after(panel);
        panel.querySelector("h3").setAttribute("tabindex", "-1");
        panel.querySelector("h3").focus();
      },
    });
    card.append(form);
  } else if (poll.status === "closed" && poll.kind === "measure") {
    card.append(el("p", { text: "Thank you. The questions are closed. Your own answers, if you kept them, are in your private journal." }),
      el("p", {}, el("a", { href: `/g/${root.dataset.cohort}/journal#my-answers`, text: "See my answers over the weeks" })));
  } else if (poll.status === "closed") {
    card.append(el("p", { text: "The poll is closed. The facilitator may show the results if enough people answered." }));
  } else {
    card.append(renderResults(poll));
  }
  return card;
}

let lastProgressAnnounced = 0;
function showProgress(progress) {
  const line = document.getElementById("poll-progress");
  if (!line) return;
  const text = `${progress.responded} of ${Math.max(progress.of, progress.responded)} have responded`;
  // Visible at once; spoken at most every few seconds, so a screen reader is not flooded.
  line.setAttribute("aria-live", Date.now() - lastProgressAnnounced > 5000 ? "polite" : "off");
  if (line.getAttribute("aria-live") === "polite") lastProgressAnnounced = Date.now();
  line.textContent = text;
}

function renderAgenda(state) {
  agenda.hidden = !state.agenda;
  if (!state.agenda) return;
  const current = state.step ? state.step.position : -1;
  agendaList.replaceChildren(...state.agenda.map((item) => {
    const li = el("li", { class: item.position === current ? "current" : item.position < current ? "done" : "" , text: item.title });
    if (item.position === current) li.setAttribute("aria-current", "step");
    return li;
  }));
}

function tick() {
  if (breakout && stage.contains(breakout.node)) breakout.tick();
  const state = live.state();
  followWithVideo(state);
  // A break ends by its deadline, with no push from the server.
  if (safety.due(state)) { shownKey = null; render(state); }
  const seconds = state ? remainingSeconds(state.timer, live.serverNow()) : null;
  timerBox.hidden = seconds === null;
  if (seconds === null) { lastAnnouncedMinute = null; return; }
  timerBox.textContent = seconds > 0 ? `${formatDuration(seconds)} left` : "Time is up";
  const minute = Math.ceil(seconds / 60);
  if (minute !== lastAnnouncedMinute && (seconds === 0 || seconds % 60 === 0)) {
    lastAnnouncedMinute = minute;
    announce(seconds === 0 ? "Time is up." : `${minute} minute${minute === 1 ? "" : "s"} left.`);
  }
}
onTick(tick);
