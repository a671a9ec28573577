// What needs a facilitator's attention, in one region that stays on screen whatever is scrolled
// or open: pause requests not yet answered and rooms asking for help. While anything does, the
// region is marked, the tab's title and icon say so, and (when switched on, off by default) a
// soft chime plays once for each new request. Every facilitator of the cohort sees the same, as
// the requests come from the server's state.
const ALERT_ICON = "data:image/svg+xml," + encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7.5" fill="#8a3b12"/>'
  + '<rect x="7" y="3" width="2" height="6.5" fill="#fff"/><rect x="7" y="11" width="2" height="2" fill="#fff"/></svg>');
const CHIME_KEY = "mend-console-chime";

export function consoleAttention({ title }) {
  const region = document.getElementById("signals-card");
  const chime = document.getElementById("chime");
  const icon = document.querySelector("link[rel~='icon']");
  const quietIcon = icon ? icon.href : null;
  const items = new Map(); // "pause:<id>" or "help:<round>:<room>": what it is
  let audio = null;

  chime.checked = window.localStorage.getItem(CHIME_KEY) === "on";
  chime.addEventListener("change", () => {
    window.localStorage.setItem(CHIME_KEY, chime.checked ? "on" : "off");
    // Browsers let a page play sound only after a gesture: this change is one.
    if (chime.checked) ensureAudio();
  });

  function ensureAudio() {
    if (!audio && window.AudioContext) audio = new window.AudioContext();
    if (audio && audio.state === "suspended") audio.resume();
    return audio;
  }

  function ring() {
    const context = ensureAudio();
    if (!context) return;
    const start = context.currentTime;
    for (const [offset, pitch] of [[0, 659.25], [0.18, 880]]) {
      const tone = context.createOscillator();
      const level = context.createGain();
      tone.type = "sine";
      tone.frequency.value = pitch;
      level.gain.setValueAtTime(0, start + offset);
      level.gain.linearRampToValueAtTime(0.06, start + offset + 0.04);
      level.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.7);
      tone.connect(level).connect(context.destination);
      tone.start(start + offset);
      tone.stop(start + offset + 0.75);
    }
  }

  function show() {
    const count = items.size;
    document.title = count ? `(${count}) Needs attention · ${title}` : title;
    if (icon) icon.href = count ? ALERT_ICON : quietIcon;
    region.classList.toggle("needs", count > 0);
  }

  return {
    // Replace what one kind ("pause" or "help") needs, as `Map(key -> words)`; a new key chimes.
    set(kind, needs) {
      let fresh = false;
      for (const key of [...items.keys()]) if (key.startsWith(`${kind}:`) && !needs.has(key)) items.delete(key);
      for (const [key, words] of needs) {
        if (!items.has(key)) fresh = true;
        items.set(key, words);
      }
      show();
      if (fresh && chime.checked) ring();
    },
    count: () => items.size,
  };
}
