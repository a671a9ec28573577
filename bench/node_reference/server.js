// The reference of the live benchmark: Node's socket.io 4 doing what bench/baseline_server.py does
// (join the room named at connect, relay a facilitator's state to it, acknowledge), so that Mend's
// fan-out can be read against the transport's own speed. `node server.js PORT`.
import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number(process.argv[2]);
const http = createServer();
const io = new Server(http, { maxHttpBufferSize: 4 * 1024 * 1024 });
const live = io.of("/live");

live.on("connection", (socket) => {
  socket.join(`room:${socket.handshake.auth.room}`);
  socket.on("broadcast", (data, ack) => {
    live.to(`room:${data.room}`).emit("state", data.state);
    ack({ ok: true });
  });
  socket.on("answer", (_data, ack) => ack({ ok: true }));
});

http.listen(port, "127.0.0.1", () => console.log(`node reference is running at http://127.0.0.1:${port}/`));
