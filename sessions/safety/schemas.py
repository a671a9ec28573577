"""Payloads of the safety events (docs/protocol.md, "Client to server")."""

from typing import Literal

from pydantic import Field

from sessions.realtime.payloads import Id, Payload, Versioned


class PauseAcknowledge(Payload):
    signal: Id
    # A short private reply to the participant who asked for a pause.
    reply: str | None = Field(default=None, max_length=280)


class BreakStart(Versioned):
    # Bounds are checked by sessions/safety/operations.py, which says them in a sentence (bad_break).
    seconds: int = Field(ge=0, le=24 * 3600)
    breathe_in: int = Field(ge=0, le=600)
    breathe_out: int = Field(ge=0, le=600)


class ContentNoteChoose(Payload):
    position: int = Field(ge=0, le=500)
    choice: Literal["continue", "skip"]
