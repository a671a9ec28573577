"""Payloads of the private messages (docs/protocol.md, "Client to server")."""

from pydantic import Field

from sessions.realtime.payloads import Id, Payload


class MessageToParticipant(Payload):
    participant: Id
    text: str = Field(min_length=1, max_length=500)


class MessageToRoom(Payload):
    round: Id
    room: Id
    text: str = Field(min_length=1, max_length=500)
