// A step as participants see it (also the console's "now showing" and the projector's slide).
import { el } from "./dom.js";

const KIND_LABELS = { slide: "Slide", poll: "Poll", breakout: "Exercise", reflection: "Reflection", measure: "Questions" };

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
  } else if (step.kind === "measure") {
    if (step.html) card.append(el("div", { class: "prose", html: step.html }));
    else card.append(el("p", { text: step.settings.purpose }));
    card.append(el("p", { class: "quiet", text: `${step.settings.items.length} short questions. They open when the facilitator starts them, and you can pass any of them.` }));
  } else if (step.kind === "breakout") {
    card.append(el("p", { class: "quiet", text: `In groups of ${step.settings.group_size} · ${step.settings.minutes} minutes` }));
    card.append(el("div", { class: "prose", html: step.html }));
  } else {
    card.append(el("div", { class: "prose", html: step.html }));
  }
  return card;
}
