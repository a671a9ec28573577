// Safety in the room, on the facilitator's console: pause requests (with a private reply), the
// grounding break's controls, and how many skipped a content-noted step (never who).
import { announceIn, button, el } from "./dom.js";
import { clockTime, formatDuration, onTick, secondsUntil } from "./ticker.js";
import { breakIsOn } from "./safety.js";

// After a measure's risk item a person may say yes to a check-in: the same signal, in its own words.
const asked = (signal) => (signal.reason === "check_in" ? `${signal.name} would like a check-in` : `${signal.name} asked for a pause`);

const SUGGESTIONS = [
  "I see you. Take your time.",
  "Take your time; I'll check in with you after.",
  "Step away if you need to. We're here when you're back.",
];

const $ = (id) => document.getElementById(id);

export function consoleSafety({ live, send, showError, onNeeds = () => {} }) {
  const list = $("signals");
  const alert = $("safety-alert");
  const drafts = {};
  let shown = "";

  async function acknowledge(signal, reply) {
    const ack = await live.command("pause:acknowledge", reply ? { signal: signal.id, reply } : { signal: signal.id });
    if (ack.ok) delete drafts[signal.id];
    else showError(ack.error.message);
  }

  function signalCard(signal) {
    const where = signal.step ? `during step ${signal.step.number}: ${signal.step.title}` : "in the lobby";
    const card = el("article", { class: `signal${signal.acknowledged_at ? " answered" : ""}`, "aria-labelledby": `signal-${signal.id}` },
      el("p", {}, el("strong", { id: `signal-${signal.id}`, text: asked(signal) }), ` at ${clockTime(signal.raised_at)}, ${where}.`));
    if (signal.acknowledged_at) {
      card.append(el("p", { text: signal.reply
        ? `${signal.acknowledged_by} answered privately: “${signal.reply}”`
        : `${signal.acknowledged_by} acknowledged it at ${clockTime(signal.acknowledged_at)}.` }));
    }
    const inputId = `reply-${signal.id}`;
    const input = el("input", { type: "text", id: inputId, maxlength: 280, autocomplete: "off" });
    input.value = drafts[signal.id] || "";
    input.addEventListener("input", () => { drafts[signal.id] = input.value; });
    const form = el("form", { class: "signal-reply" },
      el("div", { class: "field" }, el("label", { for: inputId, text: `Private reply to ${signal.name} (optional: only they and this group's facilitators see it)` }), input),
      el("button", { type: "submit", class: "primary", text: signal.acknowledged_at ? "Send" : "Acknowledge" }));
    form.addEventListener("submit", (event) => { event.preventDefault(); acknowledge(signal, input.value.trim()); });
    card.append(form, el("p", { class: "hint", text: "Or send one of these:" }),
      el("ul", { class: "suggestions" }, ...SUGGESTIONS.map((text) => el("li", {}, button(text, "link", () => acknowledge(signal, text))))));
    return card;
  }

  function renderSignals(signals) {
    const key = JSON.stringify(signals);
    if (key === shown) return;
    shown = key;
    const ongoing = signals.filter((s) => !s.resolved_at);
    const resolved = signals.filter((s) => s.resolved_at);
    const parts = ongoing.length ? ongoing.map(signalCard) : [el("p", { class: "quiet", text: "No one has asked for a pause." })];
    if (resolved.length) {
      parts.push(el("details", {}, el("summary", { text: `Earlier today (${resolved.length})` }),
        el("ul", {}, ...resolved.map((s) => el("li", { text: `${s.name} said they are OK now, at ${clockTime(s.resolved_at)}.` })))));
    }
    // Keep the focus in a reply box that is redrawn.
    const focused = document.activeElement && document.activeElement.id;
    list.replaceChildren(...parts);
    if (focused && focused.startsWith("reply-") && $(focused)) $(focused).focus();
    // A request stays in need of attention until a facilitator acknowledges it (or the person is OK).
    onNeeds(new Map(ongoing.filter((s) => !s.acknowledged_at).map((s) => [`pause:${s.id}`, asked(s)])));
  }

  function onSignals(payload) {
    renderSignals(payload.signals);
    const raised = payload.new && payload.signals.find((s) => s.id === payload.new);
    if (raised) {
      announceIn(alert, `${asked(raised)}.`);
    }
  }

  function showSkipped(count) {
    const line = $("skipped");
    line.hidden = count === null || count === undefined;
    line.textContent = `${count} skipped this part (content note)`;
  }

  $("break-form").addEventListener("submit", (event) => {
    event.preventDefault();
    send("break:start", {
      seconds: Math.round(Number($("break-minutes").value) * 60),
      breathe_in: Number($("break-in").value),
      breathe_out: Number($("break-out").value),
    });
  });
  $("break-end").addEventListener("click", () => send("break:end"));

  onTick(() => {
    const state = live.state();
    const on = breakIsOn(state, live.serverNow());
    $("break-form").hidden = on;
    $("break-running").hidden = !on;
    if (on) $("break-left").textContent = `${formatDuration(secondsUntil(state.grounding_break.ends_at, live.serverNow()))} left`;
  });

  return {
    render(state) {
      if (!state.safety) return;
      // A state pushed after a change leaves the signals out: they come with "safety:signals".
      if (state.safety.signals) renderSignals(state.safety.signals);
      showSkipped(state.safety.skipped);
    },
    signals: onSignals,
    skipped: (payload) => {
      const state = live.state();
      if (state && state.step && state.step.position === payload.position) showSkipped(payload.skipped);
    },
  };
}
