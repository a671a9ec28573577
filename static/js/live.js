// The live connection shared by the participant view, the console and the projector.
// The client asks for a full snapshot on every (re)connect; the server pushes the state after
// every change; a state
// whose version skips one asks for a fresh snapshot. Clocks: the server's time comes
// with each state, so timers count down against the server, not this device.
import { io } from "../vendor/socket.io-client/socket.io.esm.min.js";

const ACK_TIMEOUT_MS = 8000;

export function connectLive({ cohort, role, onState, onPresence = () => {}, onConnection = () => {}, on = {} }) {
  const socket = io("/live", { auth: { cohort, role } });
  let current = null;
  let offset = 0;

  const sameSession = (a, b) => a && b && a.session && b.session && a.session.id === b.session.id;

  async function snapshot() {
    const ack = await command("snapshot", {});
    if (ack.ok) accept(ack.state, true);
  }

  function accept(state, fromSnapshot = false) {
    if (sameSession(current, state) && state.version < current.version) return;
    const gap = sameSession(current, state) && state.version > current.version + 1;
    offset = state.server_time - Date.now();
    current = state;
    onState(state);
    if (gap && !fromSnapshot) snapshot();
  }

  async function command(event, payload) {
    try {
      return await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload);
    } catch {
      return { ok: false, error: { code: "timeout", message: "No answer from the server. Check your connection and try again." } };
    }
  }

  socket.on("state", (state) => accept(state));
  socket.on("presence", (presence) => onPresence(presence));
  for (const [event, handler] of Object.entries(on)) socket.on(event, handler);
  // Every connect and reconnect starts from a full snapshot.
  socket.on("connect", () => { onConnection("online"); snapshot(); });
  socket.on("disconnect", (reason) => onConnection(reason === "io client disconnect" ? "closed" : "reconnecting"));
  socket.on("connect_error", (error) => {
    // A refusal by the server (not a network failure) will not fix itself by retrying.
    if (error.data && error.data.code) onConnection("refused", error.data);
    else onConnection("reconnecting");
  });

  // The browser knows before the socket does when the network is gone: say so at once,
  // and reconnect as soon as it is back.
  window.addEventListener("offline", () => { socket.disconnect(); onConnection("reconnecting"); });
  window.addEventListener("online", () => { if (!socket.connected) socket.connect(); });

  return {
    socket,
    command,
    state: () => current,
    serverNow: () => Date.now() + offset,
  };
}

export function remainingSeconds(timer, serverNow) {
  if (!timer) return null;
  return Math.max(0, Math.ceil((timer.ends_at - serverNow) / 1000));
}

export function formatDuration(seconds) {
  const minutes = Math.floor(seconds / 60);
  const rest = String(seconds % 60).padStart(2, "0");
  return `${minutes}:${rest}`;
}

export function formatMeeting(meeting) {
  if (!meeting) return "";
  const when = new Date(meeting.starts_at);
  const text = when.toLocaleString(undefined, {
    weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit", timeZone: meeting.timezone,
  });
  return `Week ${meeting.week}: ${text}`;
}

// Build elements without innerHTML for anything that is not sanitised server-side HTML.
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else if (name === "html") node.innerHTML = value; // only step HTML, sanitised by the server (nh3)
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

const KIND_LABELS = { slide: "Slide", poll: "Poll", breakout: "Exercise", reflection: "Reflection" };

// A step as participants see it (also the console's "now showing" and the projector's slide).
export function renderStep(step) {
  const card = el("article", { class: `step-view kind-${step.kind}`, "aria-labelledby": "step-title" });
  card.append(el("p", { class: "eyebrow", text: `${KIND_LABELS[step.kind]} · step ${step.number} of ${step.total}` }));
  card.append(el("h2", { id: "step-title", text: step.title, tabindex: "-1" }));
  if (step.content_note) {
    card.append(el("p", { class: "content-note" }, el("strong", { text: "Content note: " }), step.content_note));
  }
  if (step.kind === "poll") {
    const settings = step.settings;
    if (settings.options) {
      card.append(el("ul", { class: "poll-options" }, ...settings.options.map((option) => el("li", { text: option }))));
    } else if (settings.kind === "scale") {
      card.append(el("p", { class: "quiet", text: `0 = ${settings.labels[0]} · 10 = ${settings.labels[1]}` }));
    }
    card.append(el("p", { class: "quiet", text: "The poll opens when the facilitator starts it. Answers are anonymous, and “pass” is always fine." }));
  } else if (step.kind === "breakout") {
    card.append(el("p", { class: "quiet", text: `In groups of ${step.settings.group_size} · ${step.settings.minutes} minutes` }));
    card.append(el("div", { class: "prose", html: step.html }));
  } else {
    card.append(el("div", { class: "prose", html: step.html }));
  }
  return card;
}
