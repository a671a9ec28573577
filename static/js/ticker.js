// Countdowns against the server's clock: every timer on a page is a deadline, and what is left of
// it is read again on each tick.

export function remainingSeconds(timer, serverNow) {
  if (!timer) return null;
  return Math.max(0, Math.ceil((timer.ends_at - serverNow) / 1000));
}

export function formatDuration(seconds) {
  const minutes = Math.floor(seconds / 60);
  const rest = String(seconds % 60).padStart(2, "0");
  return `${minutes}:${rest}`;
}
