"""The journal's JSON requests, checked like every Socket.IO event (sessions/realtime/schemas.py):
a request of the wrong shape is refused as `bad_entry` and saves nothing. Lengths are checked by
the operation, which says them in a sentence (`too_long`, `bad_entry`)."""

from typing import Literal

from pydantic import Field

from sessions.realtime.payloads import Id, Payload, Versioned


class ReflectionStep(Payload):
    session: Id
    position: int = Field(ge=0, le=500)


class EntrySubmission(Payload):
    kind: Literal["reflection", "free", "trigger"] = "free"
    title: str = ""
    text: str = ""
    fields: dict[str, str] | None = None
    # The entry this changes and the revision the change was made against; none for a new entry.
    id: str | None = Field(default=None, max_length=64)
    revision: int | None = Field(default=None, ge=0, le=2**63 - 1)
    reflection: ReflectionStep | None = None


# The excerpt events (docs/protocol.md, "Client to server")


class ExcerptApprove(Versioned):
    excerpt: str = Field(min_length=1, max_length=32)


class ExcerptDecline(Payload):
    excerpt: str = Field(min_length=1, max_length=32)
