"""Socket.IO payload schemas and error codes: the one place that says what each event accepts.

docs/protocol.md describes the same events and codes; tests/test_protocol_doc.py
checks that the two agree.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

NAMESPACE = "/live"
# The largest message the protocol needs, with room to spare; larger ones are refused unread.
MAX_MESSAGE_BYTES = 16 * 1024

ERRORS = {
    "bad_payload": "That request was not in the expected form, so nothing changed.",
    "unknown_event": "Mend does not know that request, so nothing changed.",
    "forbidden": "You are not allowed to do that in this session.",
    "no_session": "There is no open session for this group right now.",
    "stale_version": "The session moved on before your command arrived. Here is where it is now.",
    "wrong_state": "The session is not in a state where that can happen.",
    "invalid_step": "There is no such step in this session.",
    "invalid_timer": "A timer runs for between 10 seconds and 3 hours.",
    "no_timer": "There is no timer running to add time to.",
    "already_open": "Another session of this group is still open.",
    "not_found": "That session is not part of this cohort's programme.",
    "rate_limited": "Too many requests at once. Wait a moment and try again.",
    "server_error": "Something went wrong on the server, so nothing changed. Please try again.",
    "not_allowed": "This connection could not be identified. Open your group link again.",
}


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ConnectAuth(Payload):
    cohort: str = Field(min_length=1, max_length=24)
    role: Literal["participant", "facilitator", "projector"]


class Empty(Payload):
    pass


class Versioned(Payload):
    version: int = Field(ge=0)


class GoTo(Versioned):
    position: int = Field(ge=0, le=500)


class TimerStart(Versioned):
    seconds: int = Field(ge=10, le=3 * 3600)


class TimerAdd(Versioned):
    seconds: int = Field(ge=10, le=3600)


# Every client-to-server event and its payload schema.
EVENTS: dict[str, type[Payload]] = {
    "snapshot": Empty,
    "session:start": Versioned,
    "step:go": GoTo,
    "timer:start": TimerStart,
    "timer:add": TimerAdd,
    "timer:clear": Versioned,
    "session:end": Versioned,
}

# Every server-to-client event.
SERVER_EVENTS = ("state", "presence")


def error(code: str, message: str | None = None, **extra) -> dict:
    """An error acknowledgement: a code for programs and a sentence for people."""
    return {"ok": False, "error": {"code": code, "message": message or ERRORS[code], **extra}}


def describe(failure: ValidationError) -> str:
    first = failure.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "payload"
    return f"That request was not in the expected form ({where}: {first['msg'].lower()}), so nothing changed."
