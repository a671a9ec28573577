// Who is in the room, on the console: everyone with their state, who is waiting to be let in (with
// "Let in" and "Turn away"), a notice when someone new arrives, removing someone after a
// confirmation, and the cohort's enrolment (open or closed, the waiting room on or off).
import { button, el } from "./dom.js";

const STATE_LABELS = { online: "online", reconnecting: "reconnecting…", left: "left", absent: "not here", waiting: "waiting to be let in" };

export function consolePeople({ live, announce, showError, message, sharedBy = () => false }) {
  const $ = (id) => document.getElementById(id);
  const dialog = $("remove-dialog");
  let known = null; // ids seen in the first presence of this page: anyone after that is an arrival
  const busy = new Set(); // a person whose command is on its way: a second click is dropped
  let removing = null;

  async function command(event, payload, key) {
    if (busy.has(key)) return null;
    busy.add(key);
    const ack = await live.command(event, payload);
    busy.delete(key);
    if (!ack.ok) showError(ack.error.message);
    return ack;
  }

  function arrivals(presence) {
    const ids = new Set(presence.participants.map((p) => p.id));
    if (known === null) { known = ids; return; }
    for (const person of presence.participants) {
      if (known.has(person.id)) continue;
      const words = person.state === "waiting" ? `${person.name} is waiting to be let in.` : `${person.name} joined the group.`;
      const notice = el("li", {}, el("span", { text: words }), button("Dismiss", "link", () => notice.remove()));
      $("arrivals").append(notice);
      $("arrivals").hidden = false;
      announce(words);
    }
    known = ids;
  }

  function render(presence) {
    if (!presence || !presence.participants) return;
    arrivals(presence);
    const c = presence.counts;
    const waiting = presence.participants.filter((p) => p.state === "waiting");
    $("presence-counts").textContent = `${c.online} online · ${c.reconnecting} reconnecting · ${c.left} left`
      + (waiting.length ? ` · ${waiting.length} waiting` : "");
    $("waiting-room").hidden = waiting.length === 0;
    $("waiting-list").replaceChildren(...waiting.map((p) => el("li", {},
      el("span", { text: p.name }),
      button("Let in", "primary small", () => command("participant:admit", { participant: p.id }, p.id)),
      button("Turn away…", "secondary small", () => confirmRemoval(p, true)))));
    $("presence-list").replaceChildren(...presence.participants.filter((p) => p.state !== "waiting").map((p) =>
      el("li", { class: `presence-${p.state}` },
        el("span", { class: "dot", "aria-hidden": "true" }),
        el("span", { class: "person", text: p.name }),
        p.new ? el("span", { class: "tag", text: "new" }) : null,
        sharedBy(p.id) ? el("span", { class: "tag shared", text: "shared their answers" }) : null,
        el("span", { class: "quiet", text: `${STATE_LABELS[p.state]}${p.minutes ? ` · ${p.minutes} min` : ""}` }),
        labelled(button("Message…", "link small", () => message.open({ participant: p.id, name: p.name })), `Message ${p.name}`),
        labelled(button("Remove…", "link small", () => confirmRemoval(p, false)), `Remove ${p.name}`))));
  }

  // A row's buttons say whom they act on to a screen reader ("Message Ash"), and show a short word.
  function labelled(node, name) {
    node.setAttribute("aria-label", name);
    return node;
  }

  function confirmRemoval(person, waiting) {
    removing = person;
    $("remove-dialog-title").textContent = waiting ? `Turn ${person.name} away?` : `Remove ${person.name} from this group?`;
    dialog.showModal();
  }

  $("remove-confirm").addEventListener("click", async () => {
    dialog.close();
    if (!removing) return;
    const person = removing;
    removing = null;
    const ack = await command("participant:remove", { participant: person.id }, person.id);
    if (ack && ack.ok) announce(`${ack.removed} was removed from the group.`);
  });
  $("remove-cancel").addEventListener("click", () => { removing = null; dialog.close(); });

  function renderEnrolment(enrolment) {
    if (!enrolment) return;
    $("enrolment-open").checked = enrolment.open;
    $("enrolment-waiting").checked = enrolment.waiting_room;
    $("enrolment-waiting").disabled = !enrolment.open;
  }

  async function changeEnrolment() {
    const wanted = { open: $("enrolment-open").checked, waiting_room: $("enrolment-waiting").checked };
    const ack = await command("enrolment:set", wanted, "enrolment");
    if (ack && ack.ok) {
      renderEnrolment(ack.enrolment);
      announce(!ack.enrolment.open ? "Enrolment is closed: nobody new can join."
        : ack.enrolment.waiting_room ? "The waiting room is on: you let each newcomer in." : "Anyone with the join code can join.");
    } else {
      const state = live.state();
      if (state) renderEnrolment(state.enrolment);
    }
  }
  $("enrolment-open").addEventListener("change", changeEnrolment);
  $("enrolment-waiting").addEventListener("change", changeEnrolment);

  return { render, renderEnrolment };
}
