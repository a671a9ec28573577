"""Socket.IO payload schemas and error codes: the one place that says what each event accepts.

docs/protocol.md describes the same events and codes; tests/test_protocol_doc.py
checks that the two agree.
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

NAMESPACE = "/live"
# The largest message the protocol needs, with room to spare; larger ones are refused unread.
MAX_MESSAGE_BYTES = 16 * 1024

from refusals import ERRORS, Refusal  # noqa: E402, F401 - ERRORS re-exported: the protocol's codes are the one table

# A row's id, as the databases store it: larger numbers cannot name anything and are refused as
# `bad_payload` rather than reaching a query (where SQLite raises OverflowError).
Id = Annotated[int, Field(ge=0, le=2**63 - 1)]
# What Mend itself writes in hex (receipt nonces and MACs): anything else is not one of them.
Hex = Annotated[str, Field(pattern=r"^[0-9a-f]*$")]


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ConnectAuth(Payload):
    cohort: str = Field(min_length=1, max_length=24)
    role: Literal["participant", "facilitator", "projector"]


class Empty(Payload):
    pass


class Versioned(Payload):
    version: int = Field(ge=0, le=2**63 - 1)


class GoTo(Versioned):
    position: int = Field(ge=0, le=500)


class TimerStart(Versioned):
    seconds: int = Field(ge=10, le=3 * 3600)


class TimerAdd(Versioned):
    seconds: int = Field(ge=10, le=3600)


class PollOpen(Versioned):
    # A quick poll's settings, as in a programme file (kind, question, options, labels, max_picks, max_length);
    # without it, the current step's poll opens.
    quick: dict[str, Any] | None = None


class Answer(Payload):
    """Exactly one of: pass, picks (single/multiple), value (scale), words, text."""

    model_config = ConfigDict(extra="forbid", strict=True)
    pass_: bool | None = Field(default=None, alias="pass")
    picks: list[int] | None = Field(default=None, max_length=10)
    value: int | None = None
    words: list[str] | None = Field(default=None, max_length=3)
    text: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _exactly_one(self) -> "Answer":
        given = [name for name in ("pass_", "picks", "value", "words", "text") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of pass, picks, value, words or text")
        return self

    def as_dict(self) -> dict:
        return self.model_dump(by_alias=True, exclude_none=True)


class Receipt(Payload):
    poll: Id
    # "received" while the answer waits to be counted, "counted" once it is in the counters.
    stage: Literal["received", "counted"]
    choice: str = Field(max_length=2000)
    nonce: Hex = Field(max_length=64)
    mac: Hex = Field(max_length=64)


class PollAnswer(Payload):
    poll: Id
    answer: Answer
    previous: Receipt | None = None


class PollModerate(Payload):
    target: str = Field(min_length=1, max_length=64)
    hidden: bool


class AdHocBreakout(Payload):
    title: str = Field(default="", max_length=120)
    group_size: Literal[2, 3]
    minutes: int = Field(ge=2, le=60)
    prompt: str = Field(default="", max_length=1000)


class BreakoutPropose(Versioned):
    # Without `ad_hoc`, the current breakout step's settings are used.
    ad_hoc: AdHocBreakout | None = None
    late_arrivals: Literal["smallest", "wait"] = "smallest"
    auto_recall: bool = False


class BreakoutCommand(Versioned):
    round: Id


class BreakoutMove(BreakoutCommand):
    participant: Id
    # A room of this round, or null for the main room.
    room: Id | None


class BreakoutTime(BreakoutCommand):
    seconds: int = Field(ge=30, le=1800)


class BreakoutMessage(BreakoutCommand):
    text: str = Field(min_length=1, max_length=300)


class BreakoutHelpAnswer(Payload):
    round: Id
    room: Id


class BreakoutSitOut(Payload):
    sitting_out: bool


class BreakoutHelp(Payload):
    round: Id


class BreakoutNotes(Payload):
    round: Id
    revision: int = Field(ge=0, le=2**63 - 1)
    # A diff-match-patch patch (its text form) made against `revision` of the notes.
    patch: str = Field(min_length=1, max_length=12000)


class BreakoutShare(Payload):
    round: Id
    agree: bool


# Safety in the room


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


class ExcerptApprove(Versioned):
    excerpt: str = Field(min_length=1, max_length=32)


class ExcerptDecline(Payload):
    excerpt: str = Field(min_length=1, max_length=32)


# Every client-to-server event and its payload schema.
EVENTS: dict[str, type[Payload]] = {
    "snapshot": Empty,
    "session:start": Versioned,
    "step:go": GoTo,
    "timer:start": TimerStart,
    "timer:add": TimerAdd,
    "timer:clear": Versioned,
    "session:end": Versioned,
    "poll:open": PollOpen,
    "poll:close": Versioned,
    "poll:reveal": Versioned,
    "poll:moderate": PollModerate,
    "poll:answer": PollAnswer,
    "breakout:propose": BreakoutPropose,
    "breakout:start": BreakoutCommand,
    "breakout:move": BreakoutMove,
    "breakout:roles": BreakoutCommand,
    "breakout:time": BreakoutTime,
    "breakout:message": BreakoutMessage,
    "breakout:recall": BreakoutCommand,
    "breakout:close": BreakoutCommand,
    "breakout:help_answer": BreakoutHelpAnswer,
    "breakout:sit_out": BreakoutSitOut,
    "breakout:help": BreakoutHelp,
    "breakout:notes": BreakoutNotes,
    "breakout:share": BreakoutShare,
    "pause:raise": Empty,
    "pause:resolve": Empty,
    "pause:acknowledge": PauseAcknowledge,
    "break:start": BreakStart,
    "break:end": Versioned,
    "content_note:choose": ContentNoteChoose,
    "excerpt:approve": ExcerptApprove,
    "excerpt:decline": ExcerptDecline,
}

# Every server-to-client event.
SERVER_EVENTS = (
    "state",
    "presence",
    "poll:progress",
    "poll:results",
    "poll:counted",
    "breakout:you",
    "breakout:notes",
    "safety:signals",
    "pause:status",
    "content_note:skipped",
    "excerpt:queue",
)


def error(code: str, message: str | None = None, **extra) -> dict:
    """An error acknowledgement: a code for programs and a sentence for people (and `extra`)."""
    answer = Refusal(code, message).as_error()
    answer["error"].update(extra)
    return answer


def describe(failure: ValidationError) -> str:
    first = failure.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "payload"
    return f"That request was not in the expected form ({where}: {first['msg'].lower()}), so nothing changed."
