// A measure on the participant's phone: why it is asked and who sees what, every question with its
// own "Pass", whether to keep the answers in their private journal; and, when an answer is past a
// risk item's threshold, the crisis resources at once and the offer of a private check-in
// (docs/measures.md). The words say what docs/privacy.md says, no more.
import { button, el } from "./dom.js";

export const MEASURE_WORDS = {
  who: "Who sees what: the facilitators see only the group's totals, once enough people have answered, and never yours. Nobody in the group sees anything.",
  keep: "Keep my answers in my private journal, so that I can see them over the weeks. Only I can see them there.",
  pass: "You can pass any question, or all of them.",
};

function scaleOf(instrument, item) {
  return item.scale || instrument.scale;
}

// One fieldset per question: its values as radio buttons (words under the values that have them),
// and "Pass". Nothing is chosen to begin with; a question left alone is passed.
export function measureFields(poll) {
  const instrument = poll.settings;
  // The purpose is the programme author's words ("prose"), the sentence after it Mend's own.
  const parts = [el("p", { class: "measure-purpose prose", text: instrument.purpose }), el("p", { class: "hint", text: MEASURE_WORDS.who })];
  if (instrument.stem) parts.push(el("p", { class: "measure-stem", text: instrument.stem }));
  parts.push(el("p", { class: "hint", text: MEASURE_WORDS.pass }));
  instrument.items.forEach((item, index) => {
    const scale = scaleOf(instrument, item);
    const name = `item-${index}`;
    const wide = scale.max - scale.min > 4;
    const group = el("fieldset", { class: `measure-item${wide ? " wide" : ""}` },
      el("legend", { text: `${index + 1}. ${item.text}` }));
    const values = el("div", { class: wide ? "scale" : "measure-values" });
    for (let value = scale.min; value <= scale.max; value += 1) {
      const id = `poll-${poll.id}-${index}-${value}`;
      const words = scale.anchors[value];
      const text = wide ? String(value) : `${value}${words ? `: ${words}` : ""}`;
      values.append(el("span", { class: wide ? "scale-point" : "choice" },
        el("input", { type: "radio", name, value, id, "aria-label": wide && words ? `${value}: ${words}` : null }),
        el("label", { for: id, text })));
    }
    group.append(values);
    if (wide) {
      group.append(el("p", { class: "scale-labels" },
        el("span", { text: `${scale.min}: ${scale.anchors[scale.min]}` }), el("span", { text: `${scale.max}: ${scale.anchors[scale.max]}` })));
    }
    const passId = `poll-${poll.id}-${index}-pass`;
    group.append(el("span", { class: "choice measure-pass" },
      el("input", { type: "radio", name, value: "pass", id: passId }), el("label", { for: passId, text: "Pass this question" })));
    parts.push(group);
  });
  const keepId = `poll-${poll.id}-keep`;
  parts.push(el("div", { class: "choice measure-keep" },
    el("input", { type: "checkbox", name: "keep", id: keepId, checked: "checked" }), el("label", { for: keepId, text: MEASURE_WORDS.keep })));
  return parts;
}

export function readMeasure(form, poll) {
  const data = new FormData(form);
  const items = poll.settings.items.map((_item, index) => {
    const chosen = data.get(`item-${index}`);
    return chosen === null || chosen === "pass" ? null : Number(chosen);
  });
  return { answer: { items }, keep: data.get("keep") !== null };
}

// Put a form back as this device last answered it.
export function showMeasure(form, answer) {
  if (!answer || !answer.items) return;
  answer.items.forEach((value, index) => {
    const input = form.querySelector(`input[name="item-${index}"][value="${value === null ? "pass" : value}"]`);
    if (input) input.checked = true;
  });
}

export function describeMeasure(answer) {
  const given = answer.items.filter((value) => value !== null).length;
  const passed = answer.items.length - given;
  return `You answered ${given} question${given === 1 ? "" : "s"}${passed ? ` and passed ${passed}` : ""}.`;
}

// Items answered at or past their risk threshold.
export function riskAnswered(poll, answer) {
  if (!answer || !answer.items) return false;
  return poll.settings.items.some((item, index) => item.risk && answer.items[index] !== null && answer.items[index] >= item.risk.at_least);
}

// The crisis resources at once, on this phone only (the organisation's own page, read into this one),
// and the offer of a check-in: nothing is sent unless they say yes.
export function riskPanel({ cohort, facilitators, checkIn }) {
  const names = facilitators.length ? facilitators.join(" or ") : "a facilitator";
  const status = el("p", { role: "status", "aria-live": "polite" });
  const resources = el("div", { class: "risk-resources" },
    el("p", {}, el("a", { class: "button support-link", href: `/support/${cohort}`, text: "Crisis support: people to talk to now" })));
  const yes = button("Yes, please", "primary", async () => {
    yes.disabled = no.disabled = true;
    const ack = await checkIn();
    if (ack.ok) status.textContent = `${names} will check in with you privately. Nobody else in the group is told.`;
    else { status.textContent = ack.error.message; yes.disabled = no.disabled = false; }
  });
  const no = button("No, thank you", "secondary", () => {
    yes.disabled = no.disabled = true;
    status.textContent = "That's fine. Nobody has been told. Crisis support is always at the top of the page.";
  });
  const panel = el("section", { class: "card risk-panel", role: "alert", "aria-labelledby": "risk-title" },
    el("h3", { id: "risk-title", text: "It sounds like things are hard right now" }),
    el("p", { text: "You don't have to wait until the session ends. If you or someone else is in danger right now, call your local emergency number." }),
    resources,
    el("p", { class: "risk-question", text: `Would you like ${names} to check in with you?` }),
    el("p", { class: "poll-actions" }, yes, no),
    el("p", { class: "hint", text: "Only if you say yes are your facilitators told, with your name, that you would like a check-in. They are not told your answers." }),
    status);
  fetch(`/support/${cohort}`, { credentials: "same-origin" }).then((response) => response.text()).then((html) => {
    const page = new DOMParser().parseFromString(html, "text/html");
    const lines = page.querySelectorAll(".support .emergency, .support .crisis-lines");
    const copies = [...lines].map((node) => document.importNode(node, true));
    // Their headings become plain words: this panel has its own heading.
    for (const heading of copies.flatMap((node) => [...node.querySelectorAll("h2, h3")])) {
      heading.replaceWith(el("p", {}, el("strong", { text: heading.textContent })));
    }
    if (copies.length) resources.prepend(...copies);
  }).catch(() => { /* the link stays */ });
  return panel;
}
