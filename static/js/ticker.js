// The one clock of a page: every countdown on it (the session timer, breakout phases, a grounding
// break) subscribes to this ticker, so a page runs a single interval. Timers are deadlines on the
// server's clock, and what is left of one is read again on each tick.

const TICK_MS = 250;
const subscribers = new Set();
let interval = null;

// Calls `callback` on every tick, four times a second; returns the function that stops it.
export function onTick(callback) {
  subscribers.add(callback);
  if (interval === null) interval = window.setInterval(tick, TICK_MS);
  return () => {
    subscribers.delete(callback);
    if (subscribers.size === 0) { window.clearInterval(interval); interval = null; }
  };
}

function tick() {
  // One view's failure must not stop the other clocks on the page.
  for (const callback of [...subscribers]) {
    try { callback(); } catch (error) { window.reportError(error); }
  }
}

export function secondsUntil(deadline, serverNow) {
  return Math.max(0, Math.ceil((deadline - serverNow) / 1000));
}

export function remainingSeconds(timer, serverNow) {
  return timer ? secondsUntil(timer.ends_at, serverNow) : null;
}

export function formatDuration(seconds) {
  const minutes = Math.floor(seconds / 60);
  const rest = String(seconds % 60).padStart(2, "0");
  return `${minutes}:${rest}`;
}

// One way to write a time on every screen, as the server's pages write it: 24-hour ("19:00"), whatever
// the device's locale would choose. `timeZone` is the cohort's for meetings, this device's otherwise.
export function clockTime(ms, timeZone) {
  return new Date(ms).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone });
}

// A meeting, as the server's `meeting_time` filter writes it: "Tuesday 1 December 2026, 19:00 (Europe/London)".
export function meetingTime(ms, timeZone) {
  const date = new Intl.DateTimeFormat("en-GB", { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone });
  const part = Object.fromEntries(date.formatToParts(new Date(ms)).map(({ type, value }) => [type, value]));
  return `${part.weekday} ${part.day} ${part.month} ${part.year}, ${clockTime(ms, timeZone)} (${timeZone})`;
}
