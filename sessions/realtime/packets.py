"""A packet Mend cannot read closes the connection that sent it, with one log line and no traceback.

python-socketio decodes each Engine.IO message into a Socket.IO packet inside Engine.IO's "message"
handler, and Engine.IO logs whatever that handler raises with its traceback and keeps the connection
open for the next one: a client sending garbage wrote 27 lines a frame. Here decoding refuses, as
one exception, anything a Mend client never sends, and the connection that sent it is closed.
"""

import logging

import socketio
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
    """Decode with `CheckedPacket`, and close the connection that sent a packet it refuses."""
    server.packet_class = CheckedPacket
    read_message = server.eio.handlers["message"]

    def read_message_or_close(eio_sid: str, data) -> None:
        try:
            read_message(eio_sid, data)
        except UnreadablePacket as problem:
            _close(server, eio_sid, problem)

    server.eio.on("message", read_message_or_close)


def _close(server: socketio.Server, eio_sid: str, problem: UnreadablePacket) -> None:
    connection = server.eio.sockets.get(eio_sid)
    if connection is None or connection.closing or connection.closed:
        return  # closed by an earlier message of the same burst, which said so
    log.warning("closing connection %s: it sent a packet Mend cannot read (%s)", eio_sid, problem)
    server.eio.disconnect(eio_sid)
