// The console's breakout panel: propose rooms (from the step or ad hoc), move people, open the rooms,
// then watch every room (members, roles, presence, notes, calls for help), message them all, add
// time, switch roles and recall everyone. Someone left alone in a room is flagged on its card (and,
// through `aloneCalls`, in the attention region) with a one-click move to the room the server names.
import { button, el } from "./dom.js";
import { phaseLine, phaseOf } from "./breakouts.js";
import { clockTime } from "./ticker.js";

const $ = (id) => document.getElementById(id);
const PRESENCE = { online: "online", reconnecting: "reconnecting…", left: "gone", absent: "not here" };
let current = null;
let lastHelp = new Set();
let lastAlone = new Set();
let endedShown = null;

function options() {
  return { late_arrivals: $("late-arrivals").value, auto_recall: $("auto-recall").checked };
}

export function renderBreakoutPanel(state, send, live, announce, messages) {
  current = { state, send, live };
  const panel = $("breakout-panel");
  const round = state.breakout;
  $("ad-hoc-form").onsubmit = (event) => {
    event.preventDefault();
    send("breakout:propose", {
      ...options(),
      ad_hoc: { group_size: Number($("ad-hoc-size").value), minutes: Number($("ad-hoc-minutes").value), prompt: $("ad-hoc-prompt").value.trim() },
    });
  };
  if (state.status !== "live") {
    panel.replaceChildren(el("p", { class: "quiet", text: "Rooms can open once the session has started." }));
    return;
  }
  const phase = round ? phaseOf(round, live.serverNow()) : null;
  // The message form is part of the page, not of the panel redrawn on every state, so that what
  // the facilitator is typing survives updates.
  const form = $("breakout-message-form");
  form.hidden = !round || round.status !== "running" || phase === "ended";
  form.onsubmit = (event) => {
    event.preventDefault();
    const text = $("breakout-message").value.trim();
    if (text && round) send("breakout:message", { round: round.id, text });
  };
  if (!round || phase === "ended") {
    const parts = [];
    if (round) parts.push(...sharedNotes(round));
    parts.push(state.step.kind === "breakout"
      ? el("p", {}, button(round ? "Propose new rooms for this exercise" : "Propose rooms for this exercise", "primary", () => send("breakout:propose", options())))
      : el("p", { class: "quiet", text: "This step has no exercise. Use an ad hoc breakout below if you need one." }));
    panel.replaceChildren(...parts);
    return;
  }
  const parts = [el("p", { class: "breakout-title", text: round.title })];
  if (round.status === "proposed") {
    parts.push(el("p", { text: "Proposed rooms. Nobody sees them until you open them; move people if you need to." }),
      el("p", { class: "breakout-controls" },
        button("Open the rooms", "primary", () => send("breakout:start", { round: round.id })),
        button("Shuffle again", "", () => send("breakout:propose", options())),
        button("Discard", "secondary", () => send("breakout:close", { round: round.id }))),
      el("p", { class: "hint", text: `Participants get ${round.notice_seconds} seconds' notice before their room opens.` }));
  } else {
    parts.push(el("p", { id: "console-breakout-phase", class: "breakout-phase", role: "status", text: phaseLine(round, live.serverNow()) }),
      el("p", { class: "breakout-controls" },
        button("+1 minute", "", () => send("breakout:time", { round: round.id, seconds: 60 })),
        button("+5 minutes", "", () => send("breakout:time", { round: round.id, seconds: 300 })),
        button("Switch roles", "", () => send("breakout:roles", { round: round.id })),
        button("Recall everyone", "primary", () => send("breakout:recall", { round: round.id })),
        button("Close rooms now", "secondary", () => send("breakout:close", { round: round.id }))));
  }
  parts.push(el("div", { class: "room-grid" }, ...round.rooms_detail.map((room) => roomCard(room, round, send, live, messages))));
  parts.push(mainRoom(round, send));
  panel.replaceChildren(...parts);
  const asking = new Set(round.rooms_detail.filter((r) => r.help_requested_at && !r.help_answered_at).map((r) => r.number));
  for (const number of asking) if (!lastHelp.has(number)) announce(`Room ${number} is asking for help.`);
  lastHelp = asking;
  const alone = aloneRooms(round, live);
  for (const room of alone) if (!lastAlone.has(aloneKey(round, room))) announce(aloneLine(room));
  lastAlone = new Set(alone.map((room) => aloneKey(round, room)));
}

// Rooms where one person is left with nobody present, while the rooms are open (the server says who).
function aloneRooms(round, live) {
  if (!round || !round.rooms_detail || round.status !== "running") return [];
  if (["returning", "ended"].includes(phaseOf(round, live.serverNow()))) return [];
  return round.rooms_detail.filter((room) => room.alone);
}

const aloneKey = (round, room) => `alone:${round.id}:${room.id}:${room.alone.id}`;
const aloneLine = (room) => `${room.alone.name} is alone in Room ${room.number}.`;

// The fix in one click: to the room that keeps the exercise's shape, or to the main room.
function aloneFix(room, round, send) {
  const person = room.alone;
  const to = person.move_to;
  const move = (target) => send("breakout:move", { round: round.id, participant: person.id, room: target });
  return [
    to ? button(`Move ${person.name} to Room ${to.number}`, "primary", () => move(to.id)) : null,
    button(`Move ${person.name} to the main room`, to ? "secondary" : "primary", () => move(null)),
  ].filter(Boolean);
}

// For the console's attention region: who is alone, with the same fix as on the room card.
export function aloneCalls(round, send) {
  if (!current || !round) return { needs: new Map(), nodes: [] };
  const rooms = aloneRooms(round, current.live);
  return {
    needs: new Map(rooms.map((room) => [aloneKey(round, room), aloneLine(room)])),
    nodes: rooms.map((room) => el("div", { class: "help-call alone-call" },
      el("p", {}, el("strong", { text: aloneLine(room) }), " Nobody else in the room is here."),
      ...aloneFix(room, round, send))),
  };
}

function moveSelect(person, round, send, here) {
  const id = `move-${person.id}`;
  const select = el("select", { id },
    el("option", { value: "", text: "Move to…" }),
    ...round.rooms_detail.filter((r) => r.id !== here).map((r) => el("option", { value: String(r.id), text: `Room ${r.number}` })),
    here === null ? null : el("option", { value: "main", text: "Main room" }));
  select.addEventListener("change", () => {
    if (!select.value) return;
    send("breakout:move", { round: round.id, participant: person.id, room: select.value === "main" ? null : Number(select.value) });
  });
  return el("span", { class: "move" }, el("label", { for: id, class: "visually-hidden", text: `Move ${person.name}` }), select);
}

function roomCard(room, round, send, live, messages) {
  const asking = room.help_requested_at && !room.help_answered_at;
  const alone = aloneRooms(round, live).includes(room);
  const card = el("article", { class: `room-card${asking || alone ? " asking" : ""}`, "aria-labelledby": `room-${room.id}-title` },
    el("h3", { id: `room-${room.id}-title`, text: `Room ${room.number}` }));
  if (alone) {
    card.append(el("p", { class: "help-flag alone-flag" }, `${aloneLine(room)} `, ...aloneFix(room, round, send)));
  }
  if (asking) {
    card.append(el("p", { class: "help-flag", role: "alert" }, "This room asked for help. ",
      button("I'm on my way", "primary", async () => {
        const ack = await live.command("breakout:help_answer", { round: round.id, room: room.id });
        if (!ack.ok) $("command-error").textContent = ack.error.message;
      })));
  }
  card.append(el("ul", { class: "members" }, ...room.members.map((m) =>
    el("li", { class: `presence-${m.state}` },
      el("span", { class: "dot", "aria-hidden": "true" }), `${m.name} `,
      el("span", { class: "quiet", text: `${m.role} · ${PRESENCE[m.state] || ""}` }), " ",
      moveSelect(m, round, send, room.id)))));
  if (!room.members.length) card.append(el("p", { class: "quiet", text: "Empty: it closes when the rooms open." }));
  if (round.status === "running" && room.members.length && messages) {
    card.append(el("p", {}, button(`Message Room ${room.number}…`, "link small",
      () => messages.open({ round: round.id, room: room.id, number: room.number }))));
  }
  if (round.status !== "proposed") {
    const details = el("details", { class: "room-notes" },
      el("summary", { id: `room-notes-summary-${room.id}`, text: notesSummary(room) }),
      el("p", { id: `room-notes-${room.id}`, class: "notes-text", text: room.notes || "Nothing written yet." }));
    card.append(details);
  }
  return card;
}

function notesSummary(room) {
  if (!room.notes) return "Notes: nothing yet";
  const when = room.notes_changed_at ? ` · edited ${clockTime(room.notes_changed_at)}` : "";
  return `Notes: ${room.notes.length} characters${when}`;
}

function mainRoom(round, send) {
  if (!round.main_room.length) return el("p", { class: "quiet", text: "Nobody is in the main room." });
  return el("section", { class: "main-room" },
    el("h3", { text: "In the main room with you" }),
    el("ul", { class: "members" }, ...round.main_room.map((p) =>
      el("li", {}, `${p.name} `, el("span", { class: "quiet", text: p.sitting_out ? "sitting this one out" : waitingLine(round) }), " ",
        p.move_to ? button(`Put ${p.name} in Room ${p.move_to.number}`, "small",
          () => send("breakout:move", { round: round.id, participant: p.id, room: p.move_to.id })) : null, " ",
        moveSelect(p, round, send, null)))));
}

// Someone waiting while the rooms are open found no room that keeps the exercise's shape.
function waitingLine(round) {
  if (round.status !== "running") return "waiting for a room";
  const size = round.group_size === 2 ? "pairs" : `groups of ${round.group_size}`;
  return `waiting for a room: every room is full for ${size}`;
}

function sharedNotes(round) {
  if (!round.shared || !round.shared.length) return [el("p", { class: "quiet", text: "Everyone is back in the main room." })];
  return [el("p", { text: "Notes the rooms chose to share:" }),
    ...round.shared.map((s) => el("figure", { class: "shared-notes" }, el("figcaption", { text: `Room ${s.room}` }), el("p", { class: "notes-text", text: s.notes })))];
}

export function updateRoomNotes(change) {
  const text = $(`room-notes-${change.room}`);
  if (text) text.textContent = change.text || "Nothing written yet.";
  const summary = $(`room-notes-summary-${change.room}`);
  if (summary) summary.textContent = notesSummary({ notes: change.text, notes_changed_at: Date.now() });
}

export function tickBreakout(live) {
  if (!current || !current.state.breakout) return;
  const round = current.state.breakout;
  const line = $("console-breakout-phase");
  const phase = phaseOf(round, live.serverNow());
  if (line) line.textContent = phaseLine(round, live.serverNow());
  // When the recall notice runs out, the panel turns back to "propose" without waiting for a state.
  if (phase === "ended" && round.status === "running" && endedShown !== round.id) {
    endedShown = round.id;
    renderBreakoutPanel(current.state, current.send, live, () => {});
  }
}
