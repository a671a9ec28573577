// The console's journal panel: how many participants wrote this week (never who or what), and the
// queue of excerpts shared without names, each shown to the room only when a facilitator approves it.
import { el } from "./dom.js";

export function renderJournalCount(journal) {
  const line = document.getElementById("journal-count");
  if (!line || !journal) return;
  const people = journal.writers === 1 ? "1 participant" : `${journal.writers} participants`;
  line.textContent = `${people} wrote something in their private journal in week ${journal.week}. Journals are private: you cannot read them.`;
}

export function renderExcerptQueue(pending, send, live) {
  const list = document.getElementById("excerpt-queue");
  if (!list || !pending) return;
  if (pending.length === 0) {
    list.replaceChildren(el("li", { class: "quiet", text: "None waiting." }));
    return;
  }
  list.replaceChildren(...pending.map((excerpt) => {
    const show = el("button", { type: "button", class: "primary", text: "Show to the room" });
    show.addEventListener("click", () => send("excerpt:approve", { excerpt: excerpt.id }));
    const decline = el("button", { type: "button", class: "secondary", text: "Don't show" });
    decline.addEventListener("click", () => live.command("excerpt:decline", { excerpt: excerpt.id }));
    return el("li", {}, el("blockquote", { text: excerpt.text }), el("p", {}, show, " ", decline));
  }));
}
