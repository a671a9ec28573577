"""Payloads of the live session's events (docs/protocol.md, "Client to server")."""

from pydantic import Field

from sessions.realtime.payloads import Id, Payload, Versioned


class GoTo(Versioned):
    position: int = Field(ge=0, le=500)


class TimerStart(Versioned):
    seconds: int = Field(ge=10, le=3 * 3600)


class TimerAdd(Versioned):
    seconds: int = Field(ge=10, le=3600)


class ParticipantCommand(Payload):
    """A facilitator letting someone in, or removing them from the group."""

    participant: Id


class EnrolmentSet(Payload):
    open: bool
    waiting_room: bool
