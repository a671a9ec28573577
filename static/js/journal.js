// The private journal in the browser: the reflection step's writing space in the live view, the
// entry editor on the journal pages, shared excerpts in the room, and the quick exit.
// Text is sent only to the author's own authenticated journal endpoints, saved as they type.
import { el } from "./dom.js";
import { forgetAnswers } from "./polls.js";

const SAVE_DELAY_MS = 900;

function csrfToken() {
  const meta = document.querySelector("meta[name=csrf-token]");
  return meta ? meta.content : "";
}

async function post(url, payload, keepalive = false) {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: JSON.stringify(payload),
      credentials: "same-origin",
      keepalive,
    });
    const body = await response.json().catch(() => null);
    if (body && body.error && typeof body.error === "object") return body;
    if (body && body.ok) return body;
    const message = response.status === 413
      ? "This is longer than a journal entry can be, so it was not saved. Please shorten it."
      : "Not saved: the page may have expired. Copy your text somewhere safe, then reload the page.";
    return { ok: false, error: { code: "http", message } };
  } catch {
    return { ok: false, error: { code: "offline", message: "Not saved yet: no connection. It will be saved when the connection returns." } };
  }
}

// One autosaving entry: collects the text with `read()`, saves after a pause in typing, one save at a
// time, and says what happened in `status`.
function autosaver({ url, read, status, base = {}, entry = null, onSaved = () => {}, saved = read() }) {
  let id = entry ? entry.id : null;
  let revision = entry ? entry.revision : null;
  let timer = null;
  let saving = false;
  let again = false;
  let lastSaved = JSON.stringify(saved);

  // Only the outcome ("Saved", or what went wrong) is spoken; the steps before it are shown, not announced.
  const say = (text, problem = false, spoken = true) => {
    if (status.textContent === text) return;
    status.setAttribute("aria-live", spoken ? "polite" : "off");
    status.textContent = text;
    status.classList.toggle("problem", problem);
  };

  async function save(keepalive = false) {
    window.clearTimeout(timer);
    const content = read();
    const snapshot = JSON.stringify(content);
    if (snapshot === lastSaved) return;
    if (saving) { again = true; return; }
    saving = true;
    say("Saving…", false, false);
    const payload = { ...base, ...content, ...(id ? { id, revision } : {}) };
    const answer = await post(url, payload, keepalive);
    saving = false;
    if (answer.ok) {
      id = answer.entry.id;
      revision = answer.entry.revision;
      lastSaved = snapshot;
      say(answer.message ? `Saved. ${answer.message}` : "Saved");
      onSaved(answer.entry);
    } else {
      say(answer.error.message, true);
      if (answer.error.code === "offline") timer = window.setTimeout(save, 5000);
    }
    if (again) { again = false; save(); }
  }

  return {
    changed() {
      say("Not saved yet", false, false);
      window.clearTimeout(timer);
      timer = window.setTimeout(save, SAVE_DELAY_MS);
    },
    save,
    id: () => id,
  };
}

// The reflection step's private writing space, below its prompt in the live view.
const drafts = new Map();

export function reflectionSpace({ cohort, session, position }) {
  const base = `/g/${encodeURIComponent(cohort)}/journal`;
  const key = `${session}:${position}`;
  const areaId = `reflection-${session}-${position}`;
  const status = el("p", { class: "save-status", role: "status", "aria-live": "polite", text: "" });
  const area = el("textarea", { id: areaId, rows: "8", maxlength: "20000", "aria-describedby": `${areaId}-hint` });
  const card = el("section", { class: "card journal-space" },
    el("label", { id: `${areaId}-label`, for: areaId, class: "journal-label", text: "Your private journal" }),
    el("p", { id: `${areaId}-hint`, class: "hint", text: "Only you can read this. It is saved as you type, encrypted, and never shown to the group or the facilitator." }),
    area, status,
    el("p", { class: "hint" }, el("a", { href: base, text: "Open my whole journal" })));
  let saver = null;
  const start = (entry) => {
    saver = autosaver({
      url: `${base}/entries`,
      read: () => ({ kind: "reflection", text: area.value }),
      status,
      base: { reflection: { session, position } },
      entry,
      onSaved: (saved) => drafts.set(key, { entry: saved, text: area.value }),
    });
    if (entry) status.textContent = "Saved";
  };
  const draft = drafts.get(key);
  if (draft) {
    area.value = draft.text;
    start(draft.entry);
  } else {
    area.disabled = true;
    status.textContent = "Opening your journal…";
    fetch(`${base}/reflection?session=${session}&position=${position}`, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => response.json())
      .then((answer) => {
        const entry = answer.ok ? answer.entry : null;
        if (entry && entry.readable) area.value = entry.text;
        area.disabled = false;
        status.textContent = "";
        start(entry);
        if (entry && !entry.readable) status.textContent = "Your earlier text for this step could not be read.";
      })
      .catch(() => { area.disabled = false; status.textContent = ""; start(null); });
  }
  area.addEventListener("input", () => {
    drafts.set(key, { entry: drafts.get(key) ? drafts.get(key).entry : null, text: area.value });
    if (saver) saver.changed();
  });
  area.addEventListener("blur", () => saver && saver.save());
  window.addEventListener("pagehide", () => saver && saver.save(true));
  return card;
}

// The entry editor on the journal pages: the same autosave, and "Save" without leaving the page.
function entryEditor(form) {
  const status = form.querySelector(".save-status");
  const fieldNames = [...form.querySelectorAll("[data-field]")].map((input) => input.name);
  const contents = (value) => {
    const content = { kind: value("kind"), title: value("title"), text: value("text") };
    if (fieldNames.length) content.fields = Object.fromEntries(fieldNames.map((name) => [name, value(name)]));
    return content;
  };
  const field = (name) => form.elements[name];
  const read = () => contents((name) => (field(name) ? field(name).value : ""));
  // What the server sent is what is saved; anything typed before this script ran is saved too.
  const saved = contents((name) => (field(name) ? field(name).defaultValue : ""));
  const idInput = form.elements.id;
  const saver = autosaver({
    url: form.action,
    read,
    status,
    entry: idInput.value ? { id: idInput.value, revision: Number(form.elements.revision.value) } : null,
    onSaved: (entry) => {
      idInput.value = entry.id;
      form.elements.revision.value = entry.revision;
    },
    saved,
  });
  form.addEventListener("input", () => saver.changed());
  if (JSON.stringify(read()) !== JSON.stringify(saved)) saver.changed();
  form.addEventListener("submit", (event) => { event.preventDefault(); saver.save(); });
  window.addEventListener("pagehide", () => saver.save(true));
}

for (const form of document.querySelectorAll("form[data-journal-entry]")) entryEditor(form);

// Excerpts shared with the group (anonymous, approved by a facilitator), under the live view.
export function renderShared(container, shared) {
  if (!container) return;
  const items = shared || [];
  container.hidden = items.length === 0;
  const list = container.querySelector("ul");
  const shownIds = [...list.children].map((li) => li.dataset.id).join(",");
  if (shownIds === items.map((item) => item.id).join(",")) return;
  list.replaceChildren(...items.map((item) => {
    const li = el("li", {}, el("blockquote", { text: item.text }));
    li.dataset.id = item.id;
    return li;
  }));
}

// "Forget me on this device" (and locking the journal, which asks the same) forgets what this browser kept.
for (const form of document.querySelectorAll("form[data-lock-journal]")) form.addEventListener("submit", forgetAnswers);

// "I need a pause" on a journal page: a post (the page holds no live connection), answered in place,
// so that what is being written stays on screen. Without scripts the post answers with the page again.
async function pausePost(form) {
  try {
    const response = await fetch(form.action, {
      method: "POST", body: new FormData(form), headers: { Accept: "application/json" }, credentials: "same-origin",
    });
    const body = await response.json().catch(() => null);
    if (response.ok && body && body.ok) return null;
    return (body && body.message) || "That did not go through. Check your connection and try again.";
  } catch {
    return "No answer from the server. Check your connection and try again.";
  }
}

// While a request is open and unanswered, the page asks how it stands every few seconds, so that a
// facilitator's answer reaches the person where they are (the group page hears it over its socket).
const PAUSE_CHECK_SECONDS = 5;
let pauseCheck = null;

function showPauseAnswer(pause) {
  const panel = document.getElementById("pause-panel");
  if (panel.querySelector(".pause-reply")) return;
  const reply = document.createElement("p");
  reply.className = "pause-reply";
  const who = document.createElement("strong");
  who.textContent = `${pause.from || "Your facilitator"} has seen it`;
  reply.append(who, pause.reply ? `: “${pause.reply}”` : ".");
  panel.querySelector(".pause-heard").after(reply);
  document.getElementById("pause-said").textContent = reply.textContent;
}

function waitForPauseAnswer() {
  const raise = document.getElementById("pause-raise");
  const panel = document.getElementById("pause-panel");
  clearInterval(pauseCheck);
  if (!raise || panel.hidden || panel.querySelector(".pause-reply")) return;
  pauseCheck = setInterval(async () => {
    if (panel.hidden) { clearInterval(pauseCheck); return; }
    try {
      const response = await fetch(raise.action, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      const body = await response.json();
      if (!response.ok || !body.ok) { clearInterval(pauseCheck); return; }
      if (body.pause && body.pause.status === "acknowledged") {
        showPauseAnswer(body.pause);
        clearInterval(pauseCheck);
      }
    } catch {
      // No answer this time (a network gone for a moment): asked again at the next check.
    }
  }, PAUSE_CHECK_SECONDS * 1000);
}
waitForPauseAnswer();

for (const form of document.querySelectorAll("form[data-pause-page]")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    const problem = await pausePost(form);
    button.disabled = false;
    const error = document.getElementById("pause-error");
    error.hidden = !problem;
    error.textContent = problem || "";
    if (problem) return;
    const raising = form.hasAttribute("data-raise");
    const panel = document.getElementById("pause-panel");
    document.getElementById("pause-raise").hidden = raising;
    panel.hidden = !raising;
    // A facilitator's earlier answer belongs to the request that just ended.
    if (!raising) for (const reply of panel.querySelectorAll(".pause-reply")) reply.remove();
    (raising ? panel.querySelector("button") : document.getElementById("pause-button")).focus();
    document.getElementById("pause-said").textContent = raising
      ? "Your facilitators know you need a pause." : "Thank you for letting us know. Welcome back.";
    waitForPauseAnswer();
  });
}
