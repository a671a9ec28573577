"""Socket.IO payload schemas and error codes: the one place that says what each event accepts.

docs/protocol.md describes the same events and codes; tests/test_protocol_doc.py
checks that the two agree.
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

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
    "poll_open": "A poll is already open. Close it before opening another.",
    "bad_poll": "That poll cannot be opened: its settings are not valid.",
    "not_a_poll": "The current step is not a poll. Use a quick poll instead.",
    "poll_done": "This step's poll has already run in this session.",
    "no_poll": "There is no such poll open on screen.",
    "poll_state": "The poll is not in a state where that can happen.",
    "poll_revealed": "The results are already shown, so answers can no longer be hidden.",
    "below_threshold": "Too few people answered to show the results without risking someone being picked out.",
    "no_answer": "There is no such answer in this poll.",
    "bad_answer": "That answer does not fit this poll.",
    "already_answered": "You have answered already. To change your answer, use the device you answered on.",
    "bad_receipt": "That answer could not be changed: the receipt is not valid or was already used.",
    "not_a_breakout": "The current step is not an exercise in small groups. Use an ad hoc round instead.",
    "round_open": "Rooms are already open. Bring everyone back before starting another round.",
    "no_round": "There are no breakout rooms open right now.",
    "round_ended": "That breakout round is over or was replaced, so nothing changed.",
    "round_state": "The rooms are not in a state where that can happen.",
    "too_few_people": "At least two people who are taking part are needed to make a room.",
    "alone": "Someone would be alone in a room. Move someone so that nobody is alone.",
    "no_participant": "That person is not part of this group.",
    "no_room": "That room is not part of this round.",
    "not_in_room": "You are not in a breakout room right now.",
    "notes_too_long": "The notes are full: a room's notes hold up to 5,000 characters.",
    "notes_conflict": "Someone else changed the same words at the same moment. Your text is kept; try again.",
    # Safety in the room
    "no_signal": "There is no such pause request open in this session.",
    "signal_resolved": "That person has already said they are OK now.",
    "break_running": "A grounding break is already running. End it before starting another.",
    "no_break": "There is no grounding break running.",
    "bad_break": (
        "A grounding break lasts between 30 seconds and 30 minutes, breathing in for 2 to 10 seconds "
        "and out for 2 to 12 seconds."
    ),
    "no_content_note": "This step has no content note to choose about.",
    # The private journal's shared excerpts (sessions/journal/operations.py).
    "no_excerpt": "There is no such excerpt waiting to be shown.",
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
    poll: int
    # "received" while the answer waits to be counted, "counted" once it is in the counters.
    stage: Literal["received", "counted"]
    choice: str = Field(max_length=2000)
    nonce: str = Field(max_length=64)
    mac: str = Field(max_length=64)


class PollAnswer(Payload):
    poll: int
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
    round: int


class BreakoutMove(BreakoutCommand):
    participant: int
    # A room of this round, or null for the main room.
    room: int | None


class BreakoutTime(BreakoutCommand):
    seconds: int = Field(ge=30, le=1800)


class BreakoutMessage(BreakoutCommand):
    text: str = Field(min_length=1, max_length=300)


class BreakoutHelpAnswer(Payload):
    round: int
    room: int


class BreakoutSitOut(Payload):
    sitting_out: bool


class BreakoutHelp(Payload):
    round: int


class BreakoutNotes(Payload):
    round: int
    revision: int = Field(ge=0)
    # A diff-match-patch patch (its text form) made against `revision` of the notes.
    patch: str = Field(min_length=1, max_length=12000)


class BreakoutShare(Payload):
    round: int
    agree: bool


# Safety in the room


class PauseAcknowledge(Payload):
    signal: int
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
    """An error acknowledgement: a code for programs and a sentence for people."""
    return {"ok": False, "error": {"code": code, "message": message or ERRORS[code], **extra}}


def describe(failure: ValidationError) -> str:
    first = failure.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "payload"
    return f"That request was not in the expected form ({where}: {first['msg'].lower()}), so nothing changed."
