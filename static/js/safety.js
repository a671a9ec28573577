// Safety in the room, on the participant's screen (and the break on the projector): the private
// "I need a pause" button, the grounding break, and the content note shown before a heavy step.
import { el } from "./dom.js";
import { formatDuration, onTick, secondsUntil } from "./ticker.js";

const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

// A break is a deadline on the server's clock: it is on until `ends_at`, with no push needed to end it.
export function breakIsOn(state, serverNow) {
  const brk = state && state.grounding_break;
  return Boolean(brk && state.status !== "ended" && brk.ends_at > serverNow);
}

const SENSES = [
  "5 things you can see",
  "4 things you can touch or feel",
  "3 things you can hear",
  "2 things you can smell",
  "1 thing you can taste",
];

// The paced-breathing guide and the 5-4-3-2-1 senses prompt. `serverNow` is a function, so the
// guide keeps pace with the server's clock on every screen.
export function renderBreak(brk, serverNow) {
  const circle = el("div", { class: "breath-circle" });
  circle.style.setProperty("--breathe-in", `${brk.breathe_in}s`);
  circle.style.setProperty("--breathe-out", `${brk.breathe_out}s`);
  const cue = el("p", { class: "breath-cue", "aria-hidden": "true" });
  const left = el("p", { class: "break-left" });
  const card = el("section", { class: "card grounding-break", "aria-labelledby": "break-title" },
    el("p", { class: "eyebrow", text: "Grounding break" }),
    el("h2", { id: "break-title", tabindex: "-1", text: "Let's take a short pause together" }),
    left,
    el("div", { class: "breathing", "aria-hidden": "true" }, circle),
    cue,
    el("p", { class: "visually-hidden", text: `Breathe in for ${brk.breathe_in} seconds and out for ${brk.breathe_out} seconds, at your own pace.` }),
    el("h3", { text: "When you are ready, notice, without hurrying:" }),
    el("ul", { class: "senses" }, ...SENSES.map((line) => el("li", { text: line }))),
    el("p", { class: "quiet", text: "You can also look away from the screen or close your eyes. The session carries on from where it was when the break ends." }));

  const cycle = brk.breathe_in + brk.breathe_out;
  function pace() {
    if (!card.isConnected && card.dataset.shown) { stop(); return; }
    if (card.isConnected) card.dataset.shown = "1";
    const now = serverNow();
    left.textContent = `${formatDuration(secondsUntil(brk.ends_at, now))} left`;
    const into = Math.max(0, (now - brk.started_at) / 1000) % cycle;
    const breathingIn = into < brk.breathe_in;
    const length = breathingIn ? brk.breathe_in : brk.breathe_out;
    const done = Math.floor(breathingIn ? into : into - brk.breathe_in);
    circle.classList.toggle("inhale", breathingIn);
    circle.classList.toggle("exhale", !breathingIn);
    const words = breathingIn ? "Breathe in…" : "Breathe out…";
    // Without motion, a calm count: "Breathe in… 4, 3, 2, 1".
    const count = Array.from({ length: done + 1 }, (_, n) => length - n).join(", ");
    cue.textContent = reducedMotion.matches ? `${words} ${count}` : words;
  }
  const stop = onTick(pace);
  pace();
  return card;
}

// The content note first, with "Continue" and "Skip this part"; after a skip, a calm holding screen.
// Returns null once the participant chose to continue (or the step has no note).
export function renderContentNote(step, choice, choose) {
  if (!step || !step.content_note || choice === "continue") return null;
  const button = (text, className, value) => {
    const node = el("button", { type: "button", class: className, text });
    node.addEventListener("click", () => choose(value));
    return node;
  };
  if (choice === "skip") {
    return el("section", { class: "card holding", "aria-labelledby": "holding-title" },
      el("p", { class: "eyebrow", text: `Step ${step.number} of ${step.total}` }),
      el("h2", { id: "holding-title", tabindex: "-1", text: "You're skipping this part" }),
      el("p", { class: "lead", text: "That's completely fine. Take this time for yourself; this screen changes by itself when the group moves on." }),
      el("p", { class: "quiet", text: "Nobody is told who skipped." }),
      el("p", {}, button("Show me this part after all", "secondary", "continue")));
  }
  return el("section", { class: "card content-note-gate", "aria-labelledby": "note-title" },
    el("p", { class: "eyebrow", text: `Step ${step.number} of ${step.total}` }),
    el("h2", { id: "note-title", tabindex: "-1", text: "Before this part: a content note" }),
    el("p", { class: "lead", text: step.content_note }),
    el("p", { text: "You can continue, or skip this part and rejoin at the next step. Either is fine, and nobody is told who skipped." }),
    el("p", { class: "choice-actions" }, button("Continue", "primary", "continue"), button("Skip this part", "secondary", "skip")));
}

// A break or a content note that arrives while the phone is scrolled elsewhere (someone reading their
// weeks further down) is brought into view, once it is on the page; focus lost with the step it replaced
// moves to its heading.
function bringIntoView(card) {
  window.requestAnimationFrame(() => {
    if (!card.isConnected) return;
    const { top, bottom } = card.getBoundingClientRect();
    const bar = document.querySelector(".safety-bar");
    const covered = bar ? bar.getBoundingClientRect().bottom : 0;
    if (top < covered || bottom > window.innerHeight) {
      card.scrollIntoView({ block: "start", behavior: reducedMotion.matches ? "auto" : "smooth" });
    }
    if (!document.activeElement || document.activeElement === document.body) {
      const heading = card.querySelector("h2[tabindex]");
      if (heading) heading.focus({ preventScroll: true });
    }
  });
  return card;
}

// Everything the participant's live view needs: what covers the step (a break, a content note or the
// holding screen), a key that changes when that cover does, and the pause button with its status.
export function participantSafety({ command, serverNow, rerender, announce }) {
  let choices = {};
  let shownKey = "";
  // Between sessions no facilitator is there to answer, so the button waits for the lobby.
  let sessionOpen = false;
  let ongoing = null;
  const button = document.getElementById("pause-button");
  const panel = document.getElementById("pause-panel");

  function showPause(pause) {
    ongoing = pause;
    const status = pause ? pause.status : null;
    button.hidden = Boolean(pause) || !sessionOpen;
    panel.hidden = !pause;
    if (!pause) { panel.replaceChildren(); return; }
    const ok = el("button", { type: "button", class: "secondary", text: "I'm OK now" });
    ok.addEventListener("click", async () => {
      const ack = await command("pause:resolve", {});
      if (!ack.ok && ack.error.code !== "no_signal") { note.textContent = ack.error.message; return; }
      showPause(null);
      announce("Thank you for letting us know. Welcome back.");
      button.focus();
    });
    const note = el("p", { class: "hint" });
    const parts = [el("p", { class: "pause-heard", text: "Your facilitators know you need a pause. Take whatever you need: look away, breathe, or step out for a moment. Nobody else in the group is told." })];
    if (status === "acknowledged") {
      parts.push(el("p", { class: "pause-reply" },
        el("strong", { text: `${pause.from || "Your facilitator"} has seen it` }),
        pause.reply ? el("span", { text: `: “${pause.reply}”` }) : el("span", { text: "." })));
    }
    parts.push(el("p", {}, ok), note);
    panel.replaceChildren(...parts);
  }

  button.addEventListener("click", async () => {
    button.disabled = true;
    const ack = await command("pause:raise", {});
    button.disabled = false;
    if (ack.ok) {
      showPause(ack.pause);
      announce("Your facilitators know you need a pause.");
      panel.querySelector("button").focus();
    } else {
      panel.hidden = false;
      panel.replaceChildren(el("p", { text: ack.error.message }));
    }
  });

  async function choose(choice) {
    const position = current && current.step ? current.step.position : null;
    if (position === null) return;
    const ack = await command("content_note:choose", { position, choice });
    if (ack.ok) {
      choices = { ...choices, [position]: choice };
      rerender();
      const title = document.getElementById(choice === "skip" ? "holding-title" : "step-title");
      if (title) title.focus();
    } else {
      announce(ack.error.message);
    }
  }

  let current = null;
  const key = (state) => {
    if (breakIsOn(state, serverNow())) return "break";
    return state.step && state.step.content_note ? `note:${choices[state.step.position] || ""}` : "";
  };

  return {
    status: (pause) => showPause(pause),
    // Called with every state; the participant's own part comes with snapshots only.
    update(state) {
      current = state;
      sessionOpen = state.status === "lobby" || state.status === "live";
      button.hidden = Boolean(ongoing) || !sessionOpen;
      if (state.you) {
        choices = state.you.content_choices || {};
        showPause(state.you.pause);
      }
    },
    key,
    // True when the clock alone (a break's deadline) changed what should be on screen.
    due: (state) => Boolean(state) && key(state) !== shownKey,
    cover(state) {
      const was = shownKey;
      shownKey = key(state);
      if (shownKey === "break") {
        if (was === "break") return renderBreak(state.grounding_break, serverNow);
        announce("A grounding break has started. Breathe along if you like.");
        return bringIntoView(renderBreak(state.grounding_break, serverNow));
      }
      if (was === "break") announce("The break is over. Back to where the group was.");
      if (state.status !== "live") return null;
      const note = renderContentNote(state.step, choices[state.step.position], choose);
      return note && shownKey !== was ? bringIntoView(note) : note;
    },
  };
}
