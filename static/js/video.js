// Audio and video for a group that meets online, loaded only in a cohort that uses it. Mend's
// server hands out a ticket for one video room at a time (the main room, or the person's breakout
// room while it is open); the media goes between this browser and Janus, never through Mend.
// Camera and microphone stay off until the person turns them on; "Leave video" keeps them in the
// session; quick exit stops both at once. With a link-out provider (Jitsi Meet, BigBlueButton) the
// panel offers the room's address instead, in a frame where the provider allows it.
import { el } from "./dom.js";

const VENDOR = "/static/vendor";
// Small video: phones, weak networks, and the room's role card and notes stay beside it.
const CAMERA = { width: { ideal: 320 }, height: { ideal: 240 }, frameRate: { ideal: 15 } };

let library = null;
function loadJanus() {
  library ??= new Promise((resolve, reject) => {
    const script = el("script", { src: `${VENDOR}/webrtc-adapter/adapter.js` });
    script.addEventListener("load", resolve);
    script.addEventListener("error", () => reject(new Error("The video library could not load.")));
    document.head.append(script);
  })
    .then(() => import(`${VENDOR}/janus-gateway/janus.es.js`))
    .then(({ default: Janus }) => new Promise((resolve) => {
      Janus.init({ debug: false, dependencies: Janus.useDefaultDependencies({ adapter: window.adapter }), callback: () => resolve(Janus) });
    }));
  return library;
}

const attach = (session, callbacks) => new Promise((resolve, reject) => {
  session.attach({ plugin: "janus.plugin.videoroom", ...callbacks, success: resolve, error: (error) => reject(new Error(error)) });
});

// One person's tile: their name, what they share, and their video (or a placeholder).
class Tile {
  constructor(name, own) {
    this.video = el("video", { autoplay: "", playsinline: "", muted: own ? "" : null });
    this.video.muted = own;
    this.audio = own ? null : el("audio", { autoplay: "" });
    this.label = el("figcaption", {});
    this.node = el("figure", { class: `video-tile${own ? " own" : ""}` }, this.video, this.label);
    if (this.audio) this.node.append(this.audio);
    this.name = name;
    this.show({ audio: false, video: false });
  }

  show({ audio, video }) {
    this.node.classList.toggle("no-video", !video);
    const what = [video ? "camera on" : "camera off", audio ? "microphone on" : "microphone off"].join(", ");
    this.label.textContent = `${this.name}: ${what}`;
  }

  setTrack(track, on) {
    const target = track.kind === "audio" ? this.audio : this.video;
    if (!target) return;
    if (!on) { if (target.srcObject) target.srcObject.removeTrack?.(track); return; }
    target.srcObject ??= new MediaStream();
    target.srcObject.getTracks().filter((old) => old.kind === track.kind).forEach((old) => target.srcObject.removeTrack(old));
    target.srcObject.addTrack(track);
  }
}

function loadStyles() {
  if (document.querySelector("link[data-video-styles]")) return;
  document.head.append(el("link", { rel: "stylesheet", href: "/static/css/video.css", "data-video-styles": "" }));
}

export class VideoPanel {
  // `live`: the page's connection (its `command`); `announce`: the page's live region.
  constructor({ live, announce }) {
    this.live = live;
    this.announce = announce;
    this.place = null;
    this.joined = false;
    this.wanted = { audio: false, video: false };
    this.session = null;
    this.tiles = new Map();
    this.remote = new Map();
    this.localTracks = [];
    this.generation = 0;
    // On a link-out provider the meeting has its own camera and microphone (in its frame or tab).
    this.linked = false;

    this.status = el("p", { class: "video-status", role: "status" });
    this.visitorLine = el("p", { class: "video-visitor", role: "status" });
    this.grid = el("div", { class: "video-grid" });
    this.joinButton = el("button", { type: "button", class: "primary", text: "Join video" });
    // Toggle buttons keep their names; whether each is on is their pressed state (and the own tile's caption).
    this.micButton = el("button", { type: "button", "aria-pressed": "false", text: "Microphone" });
    this.cameraButton = el("button", { type: "button", "aria-pressed": "false", text: "Camera" });
    this.leaveButton = el("button", { type: "button", text: "Leave video" });
    this.joinButton.addEventListener("click", () => this.join());
    this.leaveButton.addEventListener("click", () => this.leave());
    this.micButton.addEventListener("click", () => this.choose("audio"));
    this.cameraButton.addEventListener("click", () => this.choose("video"));
    this.controls = el("div", { class: "video-controls", role: "group", "aria-label": "Your camera and microphone" },
      this.micButton, this.cameraButton, this.leaveButton);
    this.heading = el("h2", { id: "video-title", text: "Video" });
    this.node = el("section", { class: "card video-panel", "aria-labelledby": "video-title" },
      this.heading,
      el("p", { class: "hint", text: "Your camera and microphone stay off until you turn them on. Audio only is fine. Nothing is recorded." }),
      this.joinButton, this.controls, this.status, this.visitorLine, this.grid);
    loadStyles();
    this.render();
    window.addEventListener("mend:quick-exit", () => this.stop());
  }

  render() {
    this.joinButton.hidden = this.joined;
    this.controls.hidden = !this.joined;
    this.micButton.hidden = this.linked;
    this.cameraButton.hidden = this.linked;
    this.controls.setAttribute("aria-label", this.linked ? "Your video" : "Your camera and microphone");
    this.micButton.setAttribute("aria-pressed", String(this.wanted.audio));
    this.cameraButton.setAttribute("aria-pressed", String(this.wanted.video));
  }

  where() {
    return this.place === null ? "the main room" : "your room";
  }

  // Where the person is now (null: the main room). Joined video follows them without a reload.
  setPlace(room, label) {
    if (label) this.heading.textContent = label;
    if (room === this.place) return;
    this.place = room;
    this.visitorLine.textContent = "";
    if (this.joined) this.connect();
  }

  async join() {
    this.joined = true;
    this.render();
    await this.connect();
  }

  leave() {
    this.joined = false;
    this.wanted = { audio: false, video: false };
    this.disconnect();
    this.status.textContent = "You left the video. You are still in the session.";
    this.render();
  }

  // Quick exit: every track ends at once, before anything else.
  stop() {
    for (const track of this.localTracks) track.stop();
    this.joined = false;
    this.disconnect();
  }

  async choose(kind) {
    this.wanted = { ...this.wanted, [kind]: !this.wanted[kind] };
    this.render();
    this.announce(`${kind === "audio" ? "Microphone" : "Camera"} ${this.wanted[kind] ? "on" : "off"}.`);
    await this.publish();
  }

  // Out of the room: tracks stop, handles go; the Janus session stays for the next room.
  leaveRoom() {
    this.generation += 1;
    for (const track of this.localTracks) track.stop();
    this.localTracks = [];
    if (this.publisher) this.publisher.detach();
    for (const entry of this.remote.values()) if (entry.handle) entry.handle.detach();
    this.publisher = null;
    this.published = null;
    this.privateId = undefined;
    this.remote.clear();
    this.tiles.clear();
    this.grid.replaceChildren();
  }

  disconnect() {
    this.leaveRoom();
    if (this.session) this.session.destroy({ unload: false, notifyDestroyed: false });
    this.session = null;
    this.sessionKey = null;
  }

  async connect() {
    this.leaveRoom();
    const generation = this.generation;
    this.status.textContent = `Joining the video of ${this.where()}…`;
    const ack = await this.live.command("video:ticket", { room: this.place });
    if (generation !== this.generation) return;
    if (!ack.ok) { this.status.textContent = ack.error.message; return; }
    const ticket = ack.video;
    if (ticket.provider !== "janus") { this.linkOut(ticket); return; }
    let Janus;
    try {
      Janus = await loadJanus();
    } catch (error) {
      this.status.textContent = error.message;
      return;
    }
    if (generation !== this.generation) return;
    this.ticket = ticket;
    const key = `${ticket.server} ${ticket.token}`;
    if (!this.session || this.sessionKey !== key) {
      if (this.session) this.session.destroy({ unload: false, notifyDestroyed: false });
      this.session = null;
      const session = await new Promise((resolve) => {
        const made = new Janus({
          server: ticket.server,
          token: ticket.token,
          iceServers: ticket.ice_servers,
          success: () => resolve(made),
          error: () => {
            resolve(null);
            if (this.session === made || generation === this.generation) this.lost();
          },
        });
      });
      if (!session || generation !== this.generation) { if (session) session.destroy({ notifyDestroyed: false }); return; }
      this.session = session;
      this.sessionKey = key;
    }
    const session = this.session;
    this.own = new Tile(`You (${ticket.display})`, true);
    this.grid.append(this.own.node);
    const publisher = await attach(session, {
      onmessage: (message, jsep) => this.onPublisherMessage(message, jsep),
      onlocaltrack: (track, on) => { if (on) this.own.setTrack(track, true); },
      webrtcState: (on) => { if (on) this.settle("up"); },
      oncleanup: () => this.settle("clean"),
    });
    if (generation !== this.generation) { publisher.detach(); return; }
    this.publisher = publisher;
    this.publisher.send({ message: { request: "join", ptype: "publisher", room: ticket.janus_room, id: ticket.feed, display: ticket.display, token: ticket.room_token } });
  }

  lost() {
    this.session = null;
    this.sessionKey = null;
    this.leaveRoom();
    this.joined = false;
    this.status.textContent = "The video connection was lost. Choose “Join video” to try again.";
    this.render();
  }

  onPublisherMessage(message, jsep) {
    if (jsep) this.publisher.handleRemoteJsep({ jsep });
    const event = message.videoroom;
    if (message.error) this.settle("error");
    if (message.error) {
      console.warn("Janus:", message.error);
      this.status.textContent = "Video could not start in this room. You are still in the session.";
      return;
    }
    if (event === "joined") {
      this.privateId = message.private_id;
      this.status.textContent = `You are in the video of ${this.where()}.`;
      this.announce(`You joined the video of ${this.where()}. Your camera and microphone are ${this.wanted.audio || this.wanted.video ? "as you chose" : "off"}.`);
      this.publish();
    }
    if (message.leaving === "ok" && message.reason === "kicked") {
      this.stop();
      this.status.textContent = "You are no longer in this video room.";
      this.render();
      return;
    }
    for (const publisher of message.publishers || []) this.subscribe(publisher);
    const gone = message.unpublished ?? message.leaving;
    if (gone !== undefined && gone !== "ok") this.unsubscribe(gone);
  }

  // Send what the person chose: nothing (no offer at all), audio only, or audio and video. One change
  // at a time, each answered by Janus before the next (a publish while the last unpublish is still
  // on its way would be refused).
  publish() {
    this.queue = (this.queue || Promise.resolve()).then(() => this.publishNow()).catch(() => {});
    return this.queue;
  }

  // Until the media is up after a publish ("up"), or gone after an unpublish ("clean"); Janus refuses
  // to unpublish what is not up yet, and to publish again before the last one is gone.
  answered(kind) {
    return new Promise((resolve) => {
      this.waiting = { kind, resolve };
      window.setTimeout(resolve, 10000);
    });
  }

  settle(kind) {
    if (this.waiting && (this.waiting.kind === kind || kind === "error")) {
      const { resolve } = this.waiting;
      this.waiting = null;
      resolve();
    }
  }

  async publishNow() {
    if (!this.publisher || this.privateId === undefined) return;
    const key = `${this.wanted.audio}:${this.wanted.video}`;
    if (key === this.published) return;
    const generation = this.generation;
    const publisher = this.publisher;
    if (this.published && this.published !== "false:false") {
      const done = this.answered("clean");
      publisher.send({ message: { request: "unpublish" } });
      for (const track of this.localTracks) track.stop();
      this.localTracks = [];
      this.own.video.srcObject = null;
      await done;
      if (generation !== this.generation) return;
    }
    const wanted = { ...this.wanted };
    this.published = `${wanted.audio}:${wanted.video}`;
    this.own.show(wanted);
    if (!wanted.audio && !wanted.video) return;
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: wanted.audio, video: wanted.video ? CAMERA : false });
    } catch {
      this.status.textContent = "Your camera or microphone could not be used. Check the browser's permission for this page.";
      this.wanted = { audio: false, video: false };
      this.published = "false:false";
      this.own.show(this.wanted);
      this.render();
      return;
    }
    if (generation !== this.generation) { stream.getTracks().forEach((track) => track.stop()); return; }
    this.localTracks = stream.getTracks();
    const tracks = this.localTracks.map((track) => ({ type: track.kind, capture: track, recv: false }));
    const done = this.answered("up");
    publisher.createOffer({
      tracks,
      success: (jsep) => publisher.send({ message: { request: "publish", audio: wanted.audio, video: wanted.video }, jsep }),
      error: () => { this.status.textContent = "Your camera or microphone could not be shared."; this.settle("error"); },
    });
    await done;
    // The person changed their mind meanwhile: send the newer choice.
    if (generation === this.generation && `${this.wanted.audio}:${this.wanted.video}` !== this.published) this.publish();
  }

  async subscribe(publisher) {
    if (this.remote.has(publisher.id) || publisher.id === this.ticket.feed) {
      const tile = this.tiles.get(publisher.id);
      if (tile) tile.show(sharing(publisher));
      return;
    }
    const generation = this.generation;
    const tile = new Tile(publisher.display || "Someone", false);
    tile.show(sharing(publisher));
    this.tiles.set(publisher.id, tile);
    this.grid.append(tile.node);
    const entry = { handle: null };
    this.remote.set(publisher.id, entry);
    const handle = await attach(this.session, {
      onmessage: (message, jsep) => {
        if (!jsep) return;
        handle.createAnswer({
          jsep,
          tracks: [{ type: "data" }],
          success: (answer) => handle.send({ message: { request: "start", room: this.ticket.janus_room }, jsep: answer }),
        });
      },
      onremotetrack: (track, mid, on) => tile.setTrack(track, on),
    });
    if (generation !== this.generation) { handle.detach(); return; }
    entry.handle = handle;
    handle.send({ message: { request: "join", ptype: "subscriber", room: this.ticket.janus_room, streams: [{ feed: publisher.id }], private_id: this.privateId, token: this.ticket.room_token } });
  }

  unsubscribe(feed) {
    const entry = this.remote.get(feed);
    if (entry && entry.handle) entry.handle.detach();
    this.remote.delete(feed);
    const tile = this.tiles.get(feed);
    if (tile) tile.node.remove();
    this.tiles.delete(feed);
  }

  // A facilitator dropped into this room's video, or left it: the room is told, as in Zoom.
  visitor({ name, here }) {
    const words = here ? `${name} joined your room's video.` : `${name} left your room's video.`;
    this.visitorLine.textContent = words;
    this.announce(words);
  }

  linkOut(ticket) {
    const where = this.where();
    this.linked = true;
    this.render();
    const link = el("a", { href: ticket.url, target: "_blank", rel: "noopener", class: "button primary", text: `Open the video of ${where} in a new tab` });
    this.grid.replaceChildren(link);
    if (ticket.embed) {
      this.grid.append(el("iframe", { src: ticket.url, title: `Video of ${where}`, class: "video-frame", allow: "camera; microphone; display-capture; autoplay" }));
    }
    this.status.textContent = `The video of ${where} is on the meeting service your organisation uses.`;
  }

  // What this browser receives, from WebRTC's statistics: the connection's health, for the person and for tests.
  async stats() {
    const feeds = [];
    for (const [feed, entry] of this.remote) {
      const pc = entry.handle && entry.handle.webrtcStuff && entry.handle.webrtcStuff.pc;
      let framesDecoded = 0, audioPackets = 0;
      if (pc) {
        (await pc.getStats()).forEach((report) => {
          if (report.type === "inbound-rtp" && report.kind === "video") framesDecoded += report.framesDecoded || 0;
          if (report.type === "inbound-rtp" && report.kind === "audio") audioPackets += report.packetsReceived || 0;
        });
      }
      feeds.push({ feed, name: this.tiles.get(feed)?.name, framesDecoded, audioPackets });
    }
    return { room: this.place, feeds, localTracks: this.localTracks.map((track) => ({ kind: track.kind, readyState: track.readyState })) };
  }
}

const sharing = (publisher) => ({
  audio: (publisher.streams || []).some((stream) => stream.type === "audio" && !stream.disabled),
  video: (publisher.streams || []).some((stream) => stream.type === "video" && !stream.disabled),
});
