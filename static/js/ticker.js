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
