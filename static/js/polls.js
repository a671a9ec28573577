// Polls in the browser: the participant's answer form (with pass), their receipt kept on this
// device only, and results drawn for the room once revealed.
import { choiceChart, scaleChart, wordCloud } from "./charts.js";
import { el } from "./dom.js";
import { describeMeasure, measureFields, readMeasure, showMeasure } from "./measures.js";

const STORE = "mend.poll.";

// The words the poll form says about anonymity and counting (docs/privacy.md, "What the screens say").
export const WORDS = {
  anonymous: "Anonymous: nobody, not even the facilitator, can see what you chose. Answers are counted in groups, never one at a time.",
  received: "Received. It will be counted together with other people's answers, at the latest when the poll closes.",
  counted: "Counted. You can change it until the poll closes.",
};

// What this device keeps of its answer to a poll, and nobody else has: the answer, the latest
// receipt, the latest "counted" receipt (needed to change a counted answer), and whether the answer
// still waits to be counted (then it is sent again if the server lost it in a restart).
export function savedAnswer(pollId) {
  try { return JSON.parse(localStorage.getItem(STORE + pollId)); } catch { return null; }
}

function saveAnswer(pollId, record) {
  try { localStorage.setItem(STORE + pollId, JSON.stringify(record)); } catch { /* private mode */ }
}

export function forgetAnswers() {
  for (const key of Object.keys(localStorage)) if (key.startsWith(STORE)) localStorage.removeItem(key);
}

// The form on screen: its poll, how it sends, and how it says where the answer stands.
let onScreen = null;

async function answerWith(poll, send, answer, show) {
  const saved = savedAnswer(poll.id);
  const previous = saved ? (saved.waiting ? saved.receipt : saved.counted) : null;
  show.busy(true);
  const ack = await send(answer, previous || undefined, show.extra ? show.extra() : {});
  show.busy(false);
  if (ack.ok) {
    saveAnswer(poll.id, { answer, receipt: ack.receipt, counted: saved ? saved.counted : null, waiting: true });
    show.status(`${describeAnswer(poll, answer)} ${WORDS.received}`, true);
    if (show.answered) show.answered(answer);
  } else {
    show.status(ack.error.message, Boolean(saved));
  }
}

// `poll:counted`, to this participant's devices only: their answer is in the counters now (or why not).
export function answerCounted(message) {
  const saved = savedAnswer(message.poll);
  if (!saved || !saved.receipt || saved.receipt.nonce !== message.received) return;
  const form = onScreen && onScreen.poll.id === message.poll ? onScreen : null;
  if (message.receipt) {
    saveAnswer(message.poll, { ...saved, receipt: message.receipt, counted: message.receipt, waiting: false });
    if (form) form.show.status(`${describeAnswer(form.poll, saved.answer)} ${WORDS.counted}`, true);
  } else if (message.error.code === "already_answered" && saved.counted && form) {
    // Counted just before this change arrived: change it again, now with the counted receipt.
    saveAnswer(message.poll, { ...saved, receipt: saved.counted, waiting: false });
    answerWith(form.poll, form.send, saved.answer, form.show);
  } else {
    saveAnswer(message.poll, { ...saved, waiting: false });
    if (form) form.show.status(message.error.message, Boolean(saved.counted));
  }
}

// On every snapshot: an answer this device sent that the server no longer has (a restart emptied its
// ballot box) is sent again. Counting checks who responded, so it is never counted twice.
export function resendIfLost(poll, you) {
  const form = onScreen && onScreen.poll.id === poll.id ? onScreen : null;
  const saved = savedAnswer(poll.id);
  if (!form || !saved || !saved.waiting || !you.poll || you.poll.id !== poll.id) return;
  if (you.poll.answer === "none") answerWith(form.poll, form.send, saved.answer, form.show);
}

function describeAnswer(poll, answer) {
  if (answer.pass) return "You passed.";
  if (answer.items) return describeMeasure(answer);
  if (answer.picks) return `You chose: ${answer.picks.map((i) => poll.settings.options[i]).join(", ")}.`;
  if (answer.value !== undefined) return `You chose ${answer.value}.`;
  if (answer.words) return `You wrote: ${answer.words.join(", ")}.`;
  return `You wrote: “${answer.text}”.`;
}

// The form for an open poll. `send(answer, previousReceipt, extra)` returns the server's acknowledgement;
// `answered(answer)` hears of each answer received (a measure's risk items).
export function renderPollForm(poll, send, { answered } = {}) {
  const saved = savedAnswer(poll.id);
  const form = el("form", { class: "poll-form", novalidate: true });
  const fields = el("fieldset");
  // The card above shows the question; the legend names the group for screen readers.
  fields.append(el("legend", { class: "visually-hidden", text: poll.question }));
  const s = poll.settings;
  if (poll.kind === "measure") {
    fields.append(...measureFields(poll));
  } else if (poll.kind === "single" || poll.kind === "multiple") {
    if (poll.kind === "multiple" && s.max_picks < s.options.length) fields.append(el("p", { class: "hint", text: `Choose up to ${s.max_picks}.` }));
    s.options.forEach((option, index) => {
      const id = `poll-${poll.id}-${index}`;
      fields.append(el("div", { class: "choice" },
        el("input", { type: poll.kind === "single" ? "radio" : "checkbox", name: "pick", value: index, id }),
        el("label", { for: id, text: option })));
    });
  } else if (poll.kind === "scale") {
    const scale = el("div", { class: "scale", role: "radiogroup", "aria-label": poll.question });
    for (let value = 0; value <= 10; value += 1) {
      const id = `poll-${poll.id}-v${value}`;
      scale.append(el("span", { class: "scale-point" },
        el("input", { type: "radio", name: "value", value, id }), el("label", { for: id, text: String(value) })));
    }
    fields.append(scale, el("p", { class: "scale-labels" }, el("span", { text: `0: ${s.labels[0]}` }), el("span", { text: `10: ${s.labels[1]}` })));
  } else if (poll.kind === "words") {
    fields.append(el("p", { class: "hint", text: "One to three short words, each up to 24 letters." }));
    for (let n = 1; n <= 3; n += 1) {
      const id = `poll-${poll.id}-w${n}`;
      fields.append(el("div", { class: "field" }, el("label", { for: id, text: `Word ${n}${n > 1 ? " (optional)" : ""}` }),
        el("input", { type: "text", id, name: "word", maxlength: 24, autocomplete: "off" })));
    }
  } else {
    const id = `poll-${poll.id}-text`;
    fields.append(el("div", { class: "field" }, el("label", { for: id, text: "Your answer" }),
      el("textarea", { id, name: "text", maxlength: s.max_length || 280, rows: 3 })));
  }
  const status = el("p", { class: "poll-status", role: "status", "aria-live": "polite" });
  const submit = el("button", { type: "submit", class: "primary", text: saved ? "Change my answer" : "Send my answer" });
  const pass = el("button", { type: "button", class: "secondary", text: "Pass" });
  form.append(fields, el("p", { class: "poll-actions" }, submit, pass), status);
  if (poll.kind !== "measure") form.append(el("p", { class: "hint", text: WORDS.anonymous }));
  const show = {
    answered,
    extra: poll.kind === "measure" ? () => ({ keep: readMeasure(form, poll).keep }) : null,
    busy: (busy) => { submit.disabled = pass.disabled = busy; },
    status: (text, answered) => {
      status.textContent = text;
      if (answered) submit.textContent = "Change my answer";
    },
  };
  if (saved) show.status(`${describeAnswer(poll, saved.answer)} ${saved.waiting ? WORDS.received : WORDS.counted}`, true);
  if (saved && poll.kind === "measure") showMeasure(form, saved.answer);
  onScreen = { poll, send, show };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    let answer;
    if (poll.kind === "measure") answer = readMeasure(form, poll).answer;
    else if (poll.kind === "single" || poll.kind === "multiple") answer = { picks: data.getAll("pick").map(Number) };
    else if (poll.kind === "scale") answer = data.get("value") === null ? { value: null } : { value: Number(data.get("value")) };
    else if (poll.kind === "words") answer = { words: data.getAll("word").map((w) => w.trim()).filter(Boolean) };
    else answer = { text: data.get("text") };
    if ((answer.picks && !answer.picks.length) || answer.value === null || (answer.words && !answer.words.length) || answer.text === "") {
      status.textContent = "Choose or write something first, or pass.";
      return;
    }
    answerWith(poll, send, answer, show);
  });
  pass.addEventListener("click", () => answerWith(poll, send, { pass: true }, show));
  if (poll.kind === "measure") pass.textContent = "Pass all";
  return form;
}

// Results as the room sees them, drawn by charts.js: choice bars with counts and percentages, the
// 0–10 distribution, a word cloud, texts in random order. With `moderate` (the console, before
// reveal) every word and text also gets its "Hide" or "Show again"; the cloud shows what the room
// would see.
export function renderResults(poll, { moderate } = {}) {
  const r = poll.results;
  const box = el("div", { class: "poll-results" });
  if (r.below_threshold) {
    box.append(el("p", { text: `Results are shown once at least ${r.threshold} have answered, so that nobody's answer can be picked out.` }));
  }
  if (r.options) box.append(choiceChart(r.options, r.answers));
  if (r.scale) box.append(scaleChart(r.scale, r.labels, r.answers));
  if (r.words) {
    const visible = r.words.filter((w) => !w.hidden);
    if (visible.length) box.append(wordCloud(visible));
    if (moderate) {
      box.append(el("ul", { class: "word-list" }, ...r.words.map((w) => el("li", { class: w.hidden ? "hidden-answer" : "" },
        el("span", { text: `${w.word} (${w.count})` }), moderateButton(w.word, w.hidden, moderate)))));
    }
  }
  if (r.texts) {
    box.append(el("ul", { class: "texts" }, ...r.texts.map((t) => {
      const item = el("li", { class: t.hidden ? "hidden-answer" : "" }, el("blockquote", { text: t.text }));
      if (moderate) item.append(moderateButton(t.id, t.hidden, moderate));
      return item;
    })));
  }
  box.append(el("p", { class: "quiet results-total", text: `${r.answers} answered · ${r.passes} passed` }));
  return box;
}

function moderateButton(target, hidden, moderate) {
  const button = el("button", { type: "button", class: "link", text: hidden ? "Show again" : "Hide" });
  button.addEventListener("click", () => moderate(target, !hidden));
  return button;
}
