"""A packet Mend cannot read closes the connection that sent it, with one log line and no traceback.

Two layers can fail to read what a client sent. Engine.IO decodes each WebSocket frame and each
long-polling POST into Engine.IO packets: for a frame it does so outside any `try` (under gevent,
pywsgi then printed the traceback), for a POST it logged one. Here a frame that is not an Engine.IO
packet becomes Engine.IO's own "close" packet, and a POST that is not a payload a bad request that
ends the session, each with one line in the log.

Above it, python-socketio decodes each Engine.IO message into a Socket.IO packet inside Engine.IO's "message"
handler, and Engine.IO logs whatever that handler raises with its traceback and keeps the connection
open for the next one: a client sending garbage wrote 27 lines a frame. Here decoding refuses, as
one exception, anything a Mend client never sends, and the connection that sent it is closed.
"""

import logging

import socketio
from engineio import exceptions as engineio_exceptions
from engineio import packet as engineio_packet
from socketio import packet

log = logging.getLogger(__name__)

# The server alone sends CONNECT_ERROR, and Mend's protocol has no binary payloads.
FROM_CLIENTS = frozenset({packet.CONNECT, packet.DISCONNECT, packet.EVENT, packet.ACK})


class UnreadablePacket(ValueError):
    """What a client sent is not a Socket.IO packet a Mend client sends."""


class CheckedPacket(packet.Packet):
    """A Socket.IO packet whose decoding refuses everything else as an `UnreadablePacket`."""

    def decode(self, encoded_packet):
        if not isinstance(encoded_packet, str):
            raise UnreadablePacket("binary message")
        try:
            attachments = super().decode(encoded_packet)
        except (ValueError, RecursionError) as problem:
            # The message says why only by type: its text would quote what the client sent.
            raise UnreadablePacket(type(problem).__name__) from None
        if self.packet_type not in FROM_CLIENTS or attachments:
            raise UnreadablePacket(f"packet type {self.packet_type}")
        if self.packet_type == packet.EVENT and not (isinstance(self.data, list) and self.data):
            raise UnreadablePacket("event without a name")
        if self.packet_type == packet.ACK and not isinstance(self.data, list):
            raise UnreadablePacket("acknowledgement without a list")
        return attachments


def close_on_unreadable_packets(server: socketio.Server) -> None:
    """Decode with `CheckedPacket`, and close the connection that sent a packet it refuses; check
    every Engine.IO connection's frames and POSTs the same way."""
    server.packet_class = CheckedPacket
    read_message = server.eio.handlers["message"]
    accept_connection = server.eio.handlers["connect"]

    def check_connection(eio_sid: str, environ, *args):
        connection = server.eio.sockets.get(eio_sid)
        if connection is not None:
            _check_transports(connection)
        return accept_connection(eio_sid, environ, *args)

    def read_message_or_close(eio_sid: str, data) -> None:
        try:
            read_message(eio_sid, data)
        except UnreadablePacket as problem:
            _close(server, eio_sid, problem)

    server.eio.on("message", read_message_or_close)
    server.eio.on("connect", check_connection)


# While a polling connection upgrades, a frame standing for a "noop" fails the upgrade quietly.
_NOOP = engineio_packet.Packet(engineio_packet.NOOP).encode()
_DIGITS = frozenset("0123456789")


def _readable_frame(frame) -> bool:
    """Whether Engine.IO's decoder can read `frame`. Only a text frame can fail: it must start with a
    packet type (base64 frames, "b...", are binary, which the Socket.IO layer refuses)."""
    return not isinstance(frame, str) or (bool(frame) and frame[0] in _DIGITS)


class _CheckedFrames:
    """A WebSocket whose `wait` ends the connection at an unreadable frame, said once in the log: as
    if the client had gone (None), or, during an upgrade, with a frame that fails the upgrade."""

    def __init__(self, ws, connection) -> None:
        self._ws, self._connection = ws, connection

    def __getattr__(self, name: str):
        return getattr(self._ws, name)

    def wait(self):
        frame = self._ws.wait()
        if frame is None or _readable_frame(frame):
            return frame
        log.warning(
            "closing connection %s: it sent a WebSocket frame that is not an Engine.IO packet", self._connection.sid
        )
        return _NOOP if self._connection.upgrading else None


def _check_transports(connection) -> None:
    """Wrap one Engine.IO connection's WebSocket handler and POST handler (attributes of the instance,
    looked up by Engine.IO for every request of this connection)."""
    handle_websocket, handle_post = connection._websocket_handler, connection.handle_post_request

    def websocket_handler(ws):
        return handle_websocket(_CheckedFrames(ws, connection))

    def handle_post_request(environ):
        try:
            return handle_post(environ)
        except ValueError as problem:  # the body, its length or its encoding: nothing a client of Mend sends
            log.warning(
                "closing connection %s: it sent a POST Engine.IO cannot read (%s)",
                connection.sid,
                type(problem).__name__,
            )
            # Closed here without waiting for a poll to collect a "close" packet (Engine.IO's own close
            # would wait for one), then answered 400 by Engine.IO.
            connection.close(wait=False, abort=True)
            raise engineio_exceptions.EngineIOError from None

    connection._websocket_handler, connection.handle_post_request = websocket_handler, handle_post_request


def _close(server: socketio.Server, eio_sid: str, problem: UnreadablePacket) -> None:
    connection = server.eio.sockets.get(eio_sid)
    if connection is None or connection.closing or connection.closed:
        return  # closed by an earlier message of the same burst, which said so
    log.warning("closing connection %s: it sent a packet Mend cannot read (%s)", eio_sid, problem)
    server.eio.disconnect(eio_sid)
