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
    "participant:admit": ParticipantCommand,
    "participant:remove": ParticipantCommand,
    "enrolment:set": EnrolmentSet,
    "message:participant": MessageToParticipant,
    "message:room": MessageToRoom,
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
    "removed",
    "enrolment",
    "message",
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
