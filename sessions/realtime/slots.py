"""Connections that earn their slot: each process serves a bounded number of connections
(MEND_MAX_CONNECTIONS), so none may be held by a client that does nothing.

- An HTTP request's line and headers must arrive within MEND_HEADER_SECONDS of the server starting
  to wait for them (eventlet, the default server); an idle keep-alive connection is closed as well.
- An Engine.IO session that has not joined the live namespace within MEND_JOIN_SECONDS is closed
  (a Mend page joins at once: the browser sends its namespace connect right after the handshake).
- One address (an IPv6 /64) holds at most MEND_CONNECTIONS_PER_ADDRESS Engine.IO sessions at once.

Behind nginx the client's address comes from X-Forwarded-For (ProxyFix wraps the Socket.IO
middleware too, app.py), and nginx's own limit_conn and limit_req come first (docs/deployment.md).
"""

import logging
import time
from collections import Counter

import socketio

from extensions import block_of
from sessions.realtime.schemas import NAMESPACE

log = logging.getLogger(__name__)

# How often unjoined sessions are looked for, in seconds.
SWEEP_SECONDS = 1.0
# A refused address is logged at most once a minute.
LOG_EVERY_SECONDS = 60.0


class Slots:
    """Counts one process's Engine.IO sessions per address and closes those that never join."""

    def __init__(self, server: socketio.Server, per_address: int, join_seconds: float) -> None:
        self.server, self.per_address, self.join_seconds = server, per_address, join_seconds
        self.held: Counter[str] = Counter()
        self.address_of: dict[str, str] = {}
        self.unjoined: dict[str, float] = {}  # Engine.IO session id: when it must have joined
        self.logged_at: dict[str, float] = {}
        self.sweeping = False

    def install(self) -> None:
        eio = self.server.eio
        accept, forget = eio.handlers["connect"], eio.handlers["disconnect"]

        def connect(eio_sid: str, environ, *args):
            if not self.admit(eio_sid, environ.get("REMOTE_ADDR", "")):
                return False  # Engine.IO answers 401 and keeps no session
            answer = accept(eio_sid, environ, *args)
            if answer is False:
                self.release(eio_sid)
            return answer

        def disconnect(eio_sid: str, *args):
            self.release(eio_sid)
            return forget(eio_sid, *args)

        eio.on("connect", connect)
        eio.on("disconnect", disconnect)

    def admit(self, eio_sid: str, address: str) -> bool:
        block = block_of(address)
        if self.held[block] >= self.per_address:
            now = time.monotonic()
            if now - self.logged_at.get(block, -LOG_EVERY_SECONDS) >= LOG_EVERY_SECONDS:
                self.logged_at[block] = now
                log.warning("refusing connections from %s: it holds %s already", block, self.held[block])
            return False
        self.held[block] += 1
        self.address_of[eio_sid] = block
        self.unjoined[eio_sid] = time.monotonic() + self.join_seconds
        if not self.sweeping:
            self.sweeping = True
            self.server.start_background_task(self._sweep)
        return True

    def release(self, eio_sid: str) -> None:
        self.unjoined.pop(eio_sid, None)
        block = self.address_of.pop(eio_sid, None)
        if block is not None:
            self.held[block] -= 1
            if self.held[block] <= 0:
                del self.held[block]

    def _sweep(self) -> None:
        while True:
            self.server.sleep(SWEEP_SECONDS)
            try:
                self.close_unjoined(time.monotonic())
            except Exception:
                log.exception("looking for connections that never joined failed; trying again")

    def close_unjoined(self, now: float) -> None:
        for eio_sid, deadline in list(self.unjoined.items()):
            if deadline > now:
                continue
            del self.unjoined[eio_sid]
            if self.server.manager.sid_from_eio_sid(eio_sid, NAMESPACE) is None and eio_sid in self.server.eio.sockets:
                self.server.eio.disconnect(eio_sid)


def hold_slots(server: socketio.Server, per_address: int, join_seconds: float) -> Slots:
    slots = Slots(server, per_address, join_seconds)
    slots.install()
    return slots


def header_deadline_protocol(seconds: float):
    """eventlet's HTTP protocol with a deadline for each request's line and headers: a client that
    sends them slowly, or never, gives its connection up when it passes."""
    import eventlet
    import eventlet.wsgi

    class TooSlow(BaseException):
        """Raised in the reading greenlet when the deadline passes (not an Exception: nothing on the
        way may swallow it)."""

    class DeadlineProtocol(eventlet.wsgi.HttpProtocol):
        def handle_one_request(self):
            self._deadline = eventlet.Timeout(seconds, TooSlow)
            try:
                super().handle_one_request()
            except TooSlow:
                self.close_connection = 1
            finally:
                self._deadline.cancel()

        def parse_request(self):
            try:
                return super().parse_request()
            finally:
                # The headers are in: what follows (the body, a long poll, a WebSocket) has its own bounds.
                self._deadline.cancel()

    return DeadlineProtocol
