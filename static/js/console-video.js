// The facilitator's video on the console, in a cohort that uses video: the main room, and a drop-in
// to any open breakout room and out again (the room is told: `video:visitor`). The tiles say who has
// camera and microphone on. Loaded only with the video panel itself (static/js/video.js).
import { el } from "./dom.js";
import { phaseOf } from "./breakouts.js";
import { VideoPanel } from "./video.js";

export function consoleVideo({ live, announce, before }) {
  const panel = new VideoPanel({ live, announce });
  panel.heading.textContent = "Video: the main room";
  const rooms = el("div", { class: "video-rooms", role: "group", "aria-label": "Whose video you are in" });
  panel.node.insertBefore(rooms, panel.status);
  before.parentNode.insertBefore(panel.node, before);
  let visiting = null;
  let shown = "";

  function go(room, number) {
    if (visiting !== null && visiting !== room) live.command("video:leave", { room: visiting });
    visiting = room;
    panel.setPlace(room, room === null ? "Video: the main room" : `Video: Room ${number}`);
    if (!panel.joined) panel.join();
    shown = "";
    update(live.state());
  }

  function openRooms(state) {
    const round = state && state.breakout;
    if (!round || round.status !== "running" || phaseOf(round, live.serverNow()) === "ended") return [];
    return (round.rooms_detail || []).filter((room) => room.members.length);
  }

  function update(state) {
    const open = openRooms(state);
    if (visiting !== null && !open.some((room) => room.id === visiting)) {
      visiting = null;
      panel.setPlace(null, "Video: the main room");
    }
    const key = `${visiting}:${open.map((room) => room.id).join(",")}`;
    if (key === shown) return;
    shown = key;
    const choice = (label, room, number) => {
      const here = room === visiting;
      const node = el("button", { type: "button", class: "small", "aria-pressed": String(here), text: label });
      node.addEventListener("click", () => { if (!here || !panel.joined) go(room, number); });
      return node;
    };
    rooms.replaceChildren(choice("Main room", null, null),
      ...open.map((room) => choice(`Drop in to Room ${room.number}`, room.id, room.number)));
  }

  return { update };
}
