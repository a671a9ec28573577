"""The protocol in one table: every Socket.IO event, the schema of its payload (each capability's
schemas.py), every server push, and the error codes (refusals.py).

docs/protocol.md describes the same events and codes; tests/test_protocol_doc.py
checks that the two agree.
"""

from pydantic import ValidationError

NAMESPACE = "/live"
# The largest message the protocol needs, with room to spare; larger ones are refused unread.
MAX_MESSAGE_BYTES = 16 * 1024

from refusals import ERRORS, Refusal  # noqa: E402, F401 - ERRORS re-exported: the protocol's codes are the one table
from sessions.breakouts.schemas import (  # noqa: E402
    BreakoutCommand,
    BreakoutHelp,
    BreakoutHelpAnswer,
    BreakoutMessage,
    BreakoutMove,
    BreakoutNotes,
    BreakoutPropose,
    BreakoutShare,
    BreakoutSitOut,
    BreakoutTime,
)
from sessions.journal.schemas import ExcerptApprove, ExcerptDecline  # noqa: E402
from sessions.live.schemas import EnrolmentSet, GoTo, ParticipantCommand, TimerAdd, TimerStart  # noqa: E402
from sessions.messages.schemas import MessageToParticipant, MessageToRoom  # noqa: E402
from sessions.polls.schemas import PollAnswer, PollModerate, PollOpen  # noqa: E402
from sessions.realtime.payloads import Empty, Payload, Versioned  # noqa: E402
from sessions.safety.schemas import BreakStart, ContentNoteChoose, PauseAcknowledge  # noqa: E402
from sessions.video.schemas import VideoLeave, VideoTicket  # noqa: E402

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
    "measure:check_in": Empty,
    "break:start": BreakStart,
    "break:end": Versioned,
    "content_note:choose": ContentNoteChoose,
    "excerpt:approve": ExcerptApprove,
    "excerpt:decline": ExcerptDecline,
    "participant:admit": ParticipantCommand,
    "participant:remove": ParticipantCommand,
    "enrolment:set": EnrolmentSet,
    "message:participant": MessageToParticipant,
    "message:room": MessageToRoom,
    "video:ticket": VideoTicket,
    "video:leave": VideoLeave,
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
    "measures:group",
    "measures:shared",
    "removed",
    "enrolment",
    "message",
    "video:visitor",
)


def error(code: str, message: str | None = None, **extra) -> dict:
    """An error acknowledgement: a code for programs and a sentence for people (and `extra`)."""
    answer = Refusal(code, message).as_error()
    answer["error"].update(extra)
    return answer


# What a person types into a field, by the end of its place in a payload (the longest match wins), as a
# sentence's subject. Other fields are set by Mend's own pages, so only a program can get them wrong.
TYPED = {
    ("question",): "The question",
    ("reply",): "The reply",
    ("text",): "The message",
    ("answer", "text"): "Your answer",
    ("answer", "words"): "words",
    ("title",): "The title",
    ("prompt",): "The prompt",
}
# Times people set, by payload schema and field: how to say each bound.
DURATIONS = {
    ("TimerStart", "seconds"): ("The timer must run for at least {}.", "The timer can run for at most {}."),
    ("TimerAdd", "seconds"): ("You can add at least {} at once.", "You can add at most {} at once."),
    ("BreakoutTime", "seconds"): ("Add at least {} at once.", "Add at most {} at once."),
    ("BreakoutPropose", "minutes"): ("Rooms run for at least {}.", "Rooms run for at most {}."),
}


def _duration(seconds: int) -> str:
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


def describe(failure: ValidationError) -> str:
    """The sentence of a bad payload's refusal: what to change, in plain words, for what a person
    typed or set; for anything else, the field, for whoever wrote the program."""
    first = failure.errors()[0]
    if first["type"] == "plain_words":
        return first["msg"]
    loc = tuple(str(part) for part in first["loc"])
    context = first.get("ctx", {})
    what = next((TYPED[loc[-n:]] for n in (2, 1) if loc[-n:] in TYPED), None)
    if what == "words" and first["type"] == "too_long":
        return f"Give at most {context['max_length']} words."
    if what is not None and first["type"] == "string_too_short":
        return f"{what} is empty: write something first."
    if what is not None and first["type"] == "string_too_long":
        return f"{what} is too long: keep it to {context['max_length']} characters or fewer."
    said = DURATIONS.get((failure.title, loc[-1] if loc else ""))
    if said is not None and first["type"] in ("greater_than_equal", "less_than_equal"):
        lower, upper = said
        if first["type"] == "greater_than_equal":
            return lower.format(_duration(context["ge"] * (60 if loc[-1] == "minutes" else 1)))
        return upper.format(_duration(context["le"] * (60 if loc[-1] == "minutes" else 1)))
    where = ".".join(loc) or "payload"
    return f"That request was not in the expected form ({where}: {first['msg'].lower()}), so nothing changed."
