"""Anonymous polls as stored: who has responded and what was answered, kept apart.

`PollParticipation` holds one sorted set of participant ids per poll while it is
open (deleted at close, leaving only `Poll.responded`); `PollTally` holds counters;
`PollTextAnswer` holds open-text answers under random keys with no author and no
time. No row of one can be joined to a row of another, no table records the order
in which answers arrived, and every write counts a batch of answers, never one
(see docs/privacy.md and sessions/polls/ballots.py).
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from extensions import Model, db
from facilitation.models.organisations import utcnow

# "measure": an instrument's items (facilitation/measures.py), answered together, counted as one poll.
POLL_KINDS = ("single", "multiple", "scale", "words", "text", "measure")


class Poll(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    live_session_id: Mapped[int] = mapped_column(ForeignKey("live_session.id", ondelete="CASCADE"), index=True)
    # None for a quick poll launched from the console.
    step_id: Mapped[int | None] = mapped_column(ForeignKey("step.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(10))
    question: Mapped[str] = mapped_column(String(200))
    settings: Mapped[dict] = mapped_column(db.JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="open")
    # The fewest answers needed before results may be revealed (the organisation's k).
    threshold: Mapped[int]
    # Signs receipts and seals answers waiting to be counted while the poll is open; destroyed when it closes.
    receipt_key: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    # How many responded (answered or passed), set when the poll closes and its participation row goes.
    responded: Mapped[int | None]
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("status in ('open', 'closed', 'revealed')", name="status_known"),
        CheckConstraint("kind in ('single', 'multiple', 'scale', 'words', 'text', 'measure')", name="kind_known"),
    )


class PollParticipation(Model):
    """Who has responded (answered or passed): a sorted list, so it keeps no order of arrival."""

    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"), primary_key=True)
    participant_ids: Mapped[list] = mapped_column(db.JSON, default=list)


class PollTally(Model):
    """What was answered, as counters only: by option index, scale value or word (a measure's by
    "item:<index>:<value>" and "score:<name>:<score>"). Its JSON is written
    with sorted keys (the engine's serializer), so it keeps no order of first choice."""

    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"), primary_key=True)
    counts: Mapped[dict] = mapped_column(db.JSON, default=dict)
    answers: Mapped[int] = mapped_column(default=0)
    passes: Mapped[int] = mapped_column(default=0)
    # Words the facilitator hid before revealing (they identify someone).
    hidden_words: Mapped[list] = mapped_column(db.JSON, default=list)


class PollTextAnswer(Model):
    """One open-text answer: a random key, the text, and whether the facilitator hid it."""

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    hidden: Mapped[bool] = mapped_column(default=False)

    # Without SQLite's hidden rowid the table is ordered by its random key, not by arrival.
    __table_args__ = {"sqlite_with_rowid": False}


class SpentReceipt(Model):
    """Receipts already used to change an answer, so that none is used twice."""

    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"), primary_key=True)
    nonce_hash: Mapped[str] = mapped_column(String(64), primary_key=True)

    __table_args__ = {"sqlite_with_rowid": False}
