"""Payloads of the video events (docs/protocol.md, "Client to server")."""

from sessions.realtime.payloads import Id, Payload


class VideoTicket(Payload):
    # The breakout room to enter, or null (the default) for the main room. A participant names the room
    # they are in now; a facilitator any room of the open round ("drop in").
    room: Id | None = None


class VideoLeave(Payload):
    # The breakout room a facilitator leaves after dropping in: its members are told.
    room: Id
