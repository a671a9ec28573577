// The console's tools (poll, breakout rooms, grounding break, journals, measures, the room's screen) as tabs
// beside the presenter notes. The tab a step needs opens by itself when the step changes (a poll
// step or an open poll shows the poll, a breakout step or a round the rooms, a running break the
// break), and when one of those starts during a step. Nothing else moves the facilitator's choice:
// when a break ends, its tab stays open.
const TABS = ["poll", "rooms", "break", "journal", "measures", "screen"];

export function consoleTools() {
  const $ = (id) => document.getElementById(id);
  let chosen = "poll";
  let lastNeed = null;

  function select(name, focus = false) {
    chosen = name;
    for (const tab of TABS) {
      const selected = tab === name;
      $(`tab-${tab}`).setAttribute("aria-selected", String(selected));
      $(`tab-${tab}`).tabIndex = selected ? 0 : -1;
      $(`panel-${tab}`).hidden = !selected;
    }
    if (focus) $(`tab-${name}`).focus();
  }

  TABS.forEach((name, index) => {
    const tab = $(`tab-${name}`);
    tab.addEventListener("click", () => select(name));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      event.preventDefault();
      select(TABS[(index + step + TABS.length) % TABS.length], true);
    });
  });
  select(chosen);

  // What the state needs on screen, or null when nothing in particular.
  function need(state, breakOn) {
    if (breakOn) return "break";
    if (state.poll || state.step.kind === "poll" || state.step.kind === "measure") return "poll";
    if (state.breakout || state.step.kind === "breakout") return "rooms";
    return null;
  }

  let was = {};
  return {
    select,
    follow(state, breakOn) {
      if (!state || state.status !== "live") return;
      const now = { position: state.step.position, breakOn, poll: Boolean(state.poll), breakout: Boolean(state.breakout) };
      let wanted = null;
      if (now.position !== was.position) wanted = need(state, breakOn);
      else if (now.breakOn && !was.breakOn) wanted = "break";
      else if (now.poll && !was.poll) wanted = "poll";
      else if (now.breakout && !was.breakout) wanted = "rooms";
      if (wanted) select(wanted);
      was = now;
      $("tab-poll").classList.toggle("busy", Boolean(state.poll && state.poll.status === "open"));
      $("tab-rooms").classList.toggle("busy", now.breakout);
      $("tab-break").classList.toggle("busy", Boolean(breakOn));
    },
    // How many excerpts wait for moderation, on the Journals tab.
    waiting(count) {
      $("tab-journal").textContent = count ? `Journals (${count} waiting)` : "Journals";
    },
  };
}
