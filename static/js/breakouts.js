// Breakout rounds on the participant's screen: where they are, with whom, as whom and for how long;
// the room's shared notes; "we need help"; sitting out; sharing notes with the group after recall.
// The phase of a round follows from its stored times and the server's clock, as on the server.
import { el } from "./dom.js";
import { formatDuration, secondsUntil } from "./ticker.js";

export function phaseOf(round, serverNow) {
  if (!round || round.status !== "running") return round ? round.status : null;
  if (round.recall_at !== null && serverNow >= round.recall_at) return "ended";
  if (round.recall_at !== null && serverNow >= round.recall_at - round.recall_notice_seconds * 1000) return "returning";
  if (serverNow < round.starts_at) return "starting";
  if (serverNow >= round.ends_at) return "overtime";
  if (serverNow >= round.ends_at - round.warning_seconds * 1000) return "warning";
  return "running";
}

// One line that says where the round is, for participants, the console and the projector.
export function phaseLine(round, now) {
  const phase = phaseOf(round, now);
  if (phase === "proposed") return "Rooms are being arranged. You'll get a few seconds' notice before they open.";
  if (phase === "starting") return `Rooms open in ${secondsUntil(round.starts_at, now)} seconds.`;
  if (phase === "running") return `${formatDuration(secondsUntil(round.ends_at, now))} left in the rooms.`;
  if (phase === "warning") return `One minute to go: ${formatDuration(secondsUntil(round.ends_at, now))} left. Start to wrap up.`;
  if (phase === "overtime") return "Time is up. The facilitator will bring everyone back.";
  if (phase === "returning") return `Returning to the main room in ${secondsUntil(round.recall_at, now)} seconds.`;
  return "Everyone is back in the main room.";
}

// What someone left with nobody else present in their room is told, until the facilitator moves them.
function aloneLine(room, round) {
  const gone = room.members.filter((m) => !m.you && m.present === false).map((m) => m.name);
  const why = gone.length ? `${gone.join(" and ")} ${gone.length > 1 ? "have" : "has"} lost the connection for now.`
    : round.group_size === 2 ? "Your partner stepped out." : "The others in your room stepped out.";
  return `You're in Room ${room.number}. ${why} The facilitator knows and will move you in a moment; you can stay here meanwhile.`;
}

const PHASE_ANNOUNCEMENTS = {
  starting: "Breakout rooms are about to open.",
  running: "Your breakout room is open.",
  warning: "One minute left in the breakout rooms.",
  overtime: "Time is up in the breakout rooms.",
  returning: "Returning to the main room soon.",
  ended: "Everyone is back in the main room.",
};

// The participant's breakout screen. It keeps its notes editor across updates, so typing is never lost.
export class BreakoutView {
  constructor(live, announce, onMine) {
    this.live = live;
    this.announce = announce;
    this.onMine = onMine;
    this.node = el("section", { class: "card breakout", "aria-labelledby": "breakout-title" });
    this.pad = null;
    this.phase = null;
    this.role = null;
    this.alone = false;
  }

  update(state, mine) {
    this.state = state;
    this.mine = mine;
    const round = state.breakout;
    const step = state.step;
    const phase = phaseOf(round, this.live.serverNow());
    const inRoom = mine && mine.place === "room" && round && round.status !== "proposed" && phase !== "ended";
    const parts = [];
    parts.push(el("p", { class: "eyebrow", text: `Exercise · step ${step.number} of ${step.total}` }));
    parts.push(el("h2", { id: "breakout-title", text: round ? round.title : step.title, tabindex: "-1" }));
    if (round && round.status === "running") parts.push(el("p", { class: "breakout-phase", id: "breakout-phase", text: phaseLine(round, this.live.serverNow()) }));
    if (round && round.message && phase !== "ended") {
      parts.push(el("p", { class: "breakout-message", role: "status" }, el("strong", { text: "From the facilitator: " }), round.message));
    }
    if (inRoom) {
      parts.push(...this.roomParts(mine, round));
    } else if (phase === "ended" && mine && mine.place === "room") {
      parts.push(...this.afterParts(mine, round));
    } else {
      parts.push(...this.mainRoomParts(mine, round, step));
    }
    if (round && round.shared && round.shared.length) {
      parts.push(el("h3", { text: "Notes the rooms chose to share" }),
        ...round.shared.map((shared) => el("figure", { class: "shared-notes" },
          el("figcaption", { text: `Room ${shared.room}` }), el("p", { class: "notes-text", text: shared.notes }))));
    }
    this.node.replaceChildren(...parts);
    this.watchAlone(mine, round);
    this.watchRole(mine);
    this.phase = phase;
    return this.node;
  }

  roomParts(mine, round) {
    const room = mine.room;
    const others = room.members.filter((m) => !m.you).map((m) => `${m.name} (${m.role})`);
    const parts = [
      el("p", { class: "lead room-line", text: room.alone ? aloneLine(room, round) : `You're in Room ${room.number} with ${others.join(" and ") || "nobody yet"}.` }),
      el("div", { class: "role-card" },
        el("p", { class: "eyebrow", text: "Your role" }),
        el("p", { class: "role-name", text: `You are the ${mine.role.name}` }),
        el("p", { text: mine.role.prompt })),
    ];
    if (mine.scenario_html) {
      parts.push(el("details", { class: "scenario" }, el("summary", { text: "The scenario" }), el("div", { class: "prose", html: mine.scenario_html })));
    }
    if (!this.pad || this.pad.room !== room.id) {
      this.pad = new NotesPad(this.live, round.id, room);
    }
    this.pad.setWritable(round.status === "running");
    parts.push(this.pad.node);
    const help = el("button", { type: "button", class: "secondary", text: room.help_requested ? "Your request was sent" : "We need help" });
    help.disabled = room.help_requested;
    help.addEventListener("click", async () => {
      help.disabled = true;
      const ack = await this.live.command("breakout:help", { round: round.id });
      if (!ack.ok) { help.disabled = false; this.announce(ack.error.message); }
    });
    const note = room.help_answered ? "A facilitator has seen your request and will join you."
      : room.help_requested ? "The facilitators have your request. You'll see here when one answers." : "Asks a facilitator to come to your room.";
    parts.push(el("div", { class: "breakout-actions" },
      help, el("span", { class: "hint", role: "status", text: note }),
      this.sitOutButton(true, "Sit this one out")));
    return parts;
  }

  afterParts(mine, round) {
    const room = mine.room;
    const parts = [el("p", { class: "lead", text: "Welcome back. Take a breath before the group goes on." })];
    if (room.notes) {
      parts.push(el("h3", { text: `Room ${room.number}'s notes` }), el("p", { class: "notes-text", text: room.notes }));
      if (room.shared) {
        parts.push(el("p", { class: "hint", text: "Your room's notes are shared with the group, without names." }));
      } else {
        const agreed = room.you_agreed_to_share;
        const button = el("button", { type: "button", class: agreed ? "secondary" : "", text: agreed ? "Keep our notes private after all" : "Share our notes with the group" });
        button.addEventListener("click", async () => {
          const ack = await this.live.command("breakout:share", { round: round.id, agree: !agreed });
          if (!ack.ok) this.announce(ack.error.message);
        });
        parts.push(el("p", { class: "hint", text: agreed
          ? `You agreed to share. They are shown once everyone in your room agrees (${room.share_consents} of ${room.members.length} so far).`
          : "Only your room and the facilitators have seen them. They are shown to the group, without names, only if everyone in your room agrees." }),
        el("p", {}, button));
      }
    }
    return parts;
  }

  mainRoomParts(mine, round, step) {
    const parts = [];
    const sittingOut = mine && mine.place === "sitting_out";
    if (round && round.status === "proposed" && !sittingOut) parts.push(el("p", { class: "lead", text: phaseLine(round, this.live.serverNow()) }));
    if (mine && mine.place === "waiting" && phaseOf(round, this.live.serverNow()) !== "ended") {
      parts.push(el("p", { class: "lead", text: "You're in the main room. The facilitator will place you in a room, or you can stay here." }));
    }
    if (sittingOut) {
      parts.push(el("p", { class: "lead", text: "You're sitting this one out, in the main room with the facilitator. That's a full answer." }),
        this.sitOutButton(false, "Join a room after all"));
    } else if (!round || phaseOf(round, this.live.serverNow()) !== "ended") {
      parts.push(el("p", {}, this.sitOutButton(true, "I'd rather sit this one out")),
        el("p", { class: "hint", text: "You'll stay in the main room with the facilitator, and nobody is told why." }));
    }
    if (step.kind === "breakout" && step.settings.group_size) {
      parts.push(el("p", { class: "quiet", text: `In groups of ${step.settings.group_size} · ${step.settings.minutes} minutes` }));
    }
    if (step.html) parts.push(el("div", { class: "prose", html: step.html }));
    return parts;
  }

  sitOutButton(sittingOut, text) {
    const button = el("button", { type: "button", class: "secondary", text });
    button.addEventListener("click", async () => {
      button.disabled = true;
      const ack = await this.live.command("breakout:sit_out", { sitting_out: sittingOut });
      button.disabled = false;
      if (!ack.ok) this.announce(ack.error.message);
      else this.onMine(ack.you);
    });
    return button;
  }

  // Said once when someone is left alone in their room (screen readers hear it as it happens).
  watchAlone(mine, round) {
    const alone = Boolean(mine && mine.place === "room" && mine.room.alone);
    if (alone && !this.alone) this.announce(aloneLine(mine.room, round));
    this.alone = alone;
  }

  watchRole(mine) {
    const role = mine && mine.role ? mine.role.name : null;
    if (role && this.role && role !== this.role) this.announce(`Roles have switched. You are now the ${role}.`);
    this.role = role;
  }

  // Called on every tick of the page's ticker: the phase line and its announcements.
  tick() {
    const round = this.state && this.state.breakout;
    if (!round || round.status !== "running") return;
    const now = this.live.serverNow();
    const line = document.getElementById("breakout-phase");
    if (line) line.textContent = phaseLine(round, now);
    const phase = phaseOf(round, now);
    if (phase !== this.phase) {
      this.announce(PHASE_ANNOUNCEMENTS[phase]);
      this.update(this.state, this.mine);
    }
  }

  notes(change) {
    if (this.pad && this.pad.room === change.room) this.pad.remote(change);
  }
}

// The changes that turn `base` into `text`, as [start, end, replacement] ranges of `base`.
function edits(lib, base, text) {
  const found = [];
  let position = 0;
  for (const [operation, chunk] of lib.diffMain(base, text)) {
    if (operation === lib.DIFF_EQUAL) { position += chunk.length; continue; }
    if (!found.length || found[found.length - 1][1] !== position) found.push([position, position, ""]);
    const last = found[found.length - 1];
    if (operation === lib.DIFF_DELETE) { position += chunk.length; last[1] = position; } else last[2] += chunk;
  }
  return found;
}

// Three-way merge as on the server (sessions/breakouts/textmerge.py): both sides' changes to `base`, and where
// both inserted at one place, `mine` first, so that what someone is typing stays in one piece.
function merge(lib, base, theirs, mine) {
  const tagged = [...edits(lib, base, mine).map((e) => [...e, 0]), ...edits(lib, base, theirs).map((e) => [...e, 1])]
    .sort((a, b) => a[0] - b[0] || a[3] - b[3]);
  const out = [];
  let position = 0;
  let groupEnd = -1;
  for (const [start, end, text] of tagged) {
    if (start < groupEnd) { out.push(text); groupEnd = Math.max(groupEnd, end); continue; }
    if (groupEnd >= 0) position = groupEnd;
    out.push(base.slice(position, start), text);
    position = start;
    groupEnd = end;
  }
  out.push(base.slice(Math.max(position, groupEnd)));
  return out.join("");
}

// Where a caret at `location` in `before` belongs in `after`: text inserted exactly at the caret
// goes after it, so the person typing carries on where they were.
function moveCaret(lib, before, after, location) {
  let from = 0;
  let to = 0;
  for (const [operation, chunk] of lib.diffMain(before, after)) {
    if (operation === lib.DIFF_INSERT) { if (from === location) return to; to += chunk.length; continue; }
    if (location <= from + chunk.length) return operation === lib.DIFF_EQUAL ? to + (location - from) : to;
    from += chunk.length;
    if (operation === lib.DIFF_EQUAL) to += chunk.length;
  }
  return to;
}

// A room's shared notes: edits are sent as patches against the last text seen from the server,
// and edits from others are merged into what is being typed, so simultaneous typing loses nothing.
class NotesPad {
  constructor(live, round, room) {
    this.live = live;
    this.round = round;
    this.room = room.id;
    this.shadow = room.notes;
    this.revision = room.notes_revision;
    this.inflight = false;
    this.pending = null;
    const id = `notes-${room.id}`;
    this.area = el("textarea", { id, rows: "6", maxlength: "5000", "aria-describedby": `${id}-hint ${id}-status` });
    this.area.value = room.notes;
    this.status = el("span", { id: `${id}-status`, class: "hint", role: "status", text: "" });
    this.node = el("div", { class: "field notes-pad" },
      el("label", { for: id, text: `Shared notes for Room ${room.number}` }),
      el("p", { id: `${id}-hint`, class: "hint", text: "Only your room and the facilitators can see these. Everyone in the room can type at once." }),
      this.area, this.status);
    this.area.addEventListener("input", () => this.schedule());
    this.library = import("../vendor/diff-match-patch-es/index.mjs");
  }

  setWritable(writable) {
    this.area.readOnly = !writable;
  }

  schedule(delay = 400) {
    window.clearTimeout(this.timer);
    this.status.textContent = "Not saved yet…";
    this.timer = window.setTimeout(() => this.flush(), delay);
  }

  async flush() {
    if (this.inflight) return;
    const local = this.area.value;
    if (local === this.shadow) { this.status.textContent = "Saved"; return; }
    const { patchMake, patchToText } = await this.library;
    this.inflight = true;
    this.status.textContent = "Saving…";
    const ack = await this.live.command("breakout:notes", { round: this.round, revision: this.revision, patch: patchToText(patchMake(this.shadow, local)) });
    this.inflight = false;
    if (ack.ok) {
      await this.accept(ack.text, ack.revision, local);
    } else {
      this.status.textContent = ack.error.message;
      if (ack.error.code === "notes_conflict") this.schedule(1000);
    }
    if (this.pending) { const change = this.pending; this.pending = null; await this.remote(change); }
  }

  async remote(change) {
    if (this.inflight) { this.pending = change; return; }
    if (change.revision > this.revision) await this.accept(change.text, change.revision, this.shadow);
  }

  // `base` is what the server's `text` already contains of this editor; anything typed since is kept.
  async accept(text, revision, base) {
    if (revision < this.revision) return;
    const lib = await this.library;
    const current = this.area.value;
    const merged = current === base ? text : merge(lib, base, text, current);
    this.shadow = text;
    this.revision = revision;
    if (merged !== current) {
      const focused = document.activeElement === this.area;
      const start = moveCaret(lib, current, merged, this.area.selectionStart);
      const end = moveCaret(lib, current, merged, this.area.selectionEnd);
      this.area.value = merged;
      if (focused) this.area.setSelectionRange(start, end);
    }
    if (merged !== text) this.schedule(100);
    else this.status.textContent = "Saved";
  }
}
