// The live connection shared by the participant view, the console and the projector: the only
// module that talks to the socket. The client asks for a full snapshot on every (re)connect; the
// server pushes the state after every change; a state whose version skips one asks for a fresh
// snapshot. Clocks: the server's time comes with each state, so timers count down against the
// server, not this device.
import { io } from "../vendor/socket.io-client/socket.io.esm.min.js";

const ACK_TIMEOUT_MS = 8000;
const WAITING_RETRY_MS = 4000;
// A first connection that takes longer than this is one of many arriving at once.
const ARRIVING_AFTER_MS = 3000;

export function connectLive({ cohort, role, onState, onPresence = () => {}, onConnection = () => {}, on = {} }) {
  // A connection that fails, the first one too (a server busy with a crowd arriving), is tried again
  // after 1 s, then longer up to 5 s, each wait randomised by half so that a crowd does not come back
  // at the same moment (Socket.IO's own backoff, spelled out here because arrivals rely on it).
  const socket = io("/live", {
    auth: { cohort, role },
    reconnectionDelay: 1000,
    reconnectionDelayMax: 5000,
    randomizationFactor: 0.5,
  });
  let current = null;
  let offset = 0;
  // Until the first connection, a wait or a failed attempt means "arriving", not "reconnecting":
  // the page says so rather than failing.
  let arrived = false;
  const arriving = window.setTimeout(() => { if (!arrived) onConnection("arriving"); }, ARRIVING_AFTER_MS);

  const sameSession = (a, b) => a && b && a.session && b.session && a.session.id === b.session.id;

  async function snapshot() {
    const ack = await command("snapshot", {});
    if (ack.ok) accept(ack.state, true);
    // A server busy with a crowd arriving answered before it could read the state (or counted the
    // wait against this person's time): ask again soon, at a moment of this page's own so that the
    // crowd does not come back all at once.
    else if (["busy", "rate_limited"].includes(ack.error.code) && socket.connected) {
      window.setTimeout(snapshot, 1000 + Math.random() * 2000);
    }
  }

  function accept(state, fromSnapshot = false) {
    if (sameSession(current, state) && state.version < current.version) return;
    const gap = sameSession(current, state) && state.version > current.version + 1;
    offset = state.server_time - Date.now();
    current = state;
    onState(state);
    if (gap && !fromSnapshot) snapshot();
  }

  async function command(event, payload) {
    try {
      return await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload);
    } catch {
      return { ok: false, error: { code: "timeout", message: "No answer from the server. Check your connection and try again." } };
    }
  }

  socket.on("state", (state) => accept(state));
  socket.on("presence", (presence) => onPresence(presence));
  for (const [event, handler] of Object.entries(on)) socket.on(event, handler);
  // Every connect and reconnect starts from a full snapshot.
  socket.on("connect", () => {
    arrived = true;
    window.clearTimeout(arriving);
    onConnection("online");
    snapshot();
  });
  socket.on("disconnect", (reason) => onConnection(reason === "io client disconnect" ? "closed" : "reconnecting"));
  // The server refuses a connection with `{message, data: {code}}` (docs/protocol.md); a transport
  // error has no code. A refusal will not fix itself by retrying (the person has to open their link
  // again): Socket.IO gives the connection up, and so does "online" below; the page says why.
  // The one refusal that does fix itself is the waiting room's: the page asks again every few seconds
  // until a facilitator lets the person in. A removed person is told once and never reconnects.
  // A refused page closes its transport at once: the server closes a connection that never joins
  // (sessions/realtime/slots.py), and a poll on a closed connection would only fail.
  let refused = false;
  socket.on("connect_error", (error) => {
    // A refusal says why by itself; "arriving" must not cover it.
    if (error.data && error.data.code) window.clearTimeout(arriving);
    if (error.data && error.data.code === "waiting") {
      socket.disconnect();
      onConnection("refused", { code: "waiting", message: error.message });
      window.setTimeout(() => { if (!refused) socket.connect(); }, WAITING_RETRY_MS);
    } else if (error.data && error.data.code === "busy") {
      // A server busy with a crowd arriving: connect again in a moment of this page's own.
      socket.disconnect();
      onConnection(arrived ? "reconnecting" : "arriving");
      window.setTimeout(() => { if (!refused) socket.connect(); }, 1000 + Math.random() * 2000);
    } else if (error.data && error.data.code) {
      refused = true;
      socket.disconnect();
      onConnection("refused", { code: error.data.code, message: error.message });
    } else {
      onConnection(arrived ? "reconnecting" : "arriving");
    }
  });
  socket.on("removed", (notice) => {
    refused = true;
    socket.disconnect();
    onConnection("refused", { code: "removed", message: notice.message });
  });

  // The browser knows before the socket does when the network is gone: say so at once,
  // and reconnect as soon as it is back.
  window.addEventListener("offline", () => { if (refused) return; socket.disconnect(); onConnection("reconnecting"); });
  window.addEventListener("online", () => { if (!socket.connected && !refused) socket.connect(); });

  return {
    socket,
    command,
    state: () => current,
    serverNow: () => Date.now() + offset,
  };
}
