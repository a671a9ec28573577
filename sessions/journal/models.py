"""The private journal as stored: wrapped data keys, sealed entries, and excerpts an author chose to share.

Entry text (title, body, trigger-tracker fields) exists in this database only
sealed under the author's data key (sessions/journal/crypto.py). What stays in
the clear is what the app needs to file an entry: its author, week, kind, the
reflection step it answers, its revision and times. A `SharedExcerpt` is a
separate plaintext copy the author chose to share; it carries no author, entry or
time, so it cannot be traced back (docs/privacy.md).
"""

import secrets
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from extensions import Model
from facilitation.models.organisations import utcnow

ENTRY_KINDS = ("reflection", "free", "trigger")


def random_id() -> str:
    # Random ids: an entry's id says nothing about how many entries exist or who wrote them.
    return secrets.token_hex(16)


class JournalKeyring(Model):
    """One row naming the application key the journal is wrapped with (its key id, never the key)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32))
    rotated_at: Mapped[datetime] = mapped_column(default=utcnow)


class JournalKey(Model):
    """A participant's data key, wrapped by the application key. Deleting this row shreds their journal."""

    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary(80))
    key_id: Mapped[str] = mapped_column(String(32))


class JournalEntry(Model):
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    week: Mapped[int]
    kind: Mapped[str] = mapped_column(String(12))
    # The reflection step this entry answers, in which live session (reflection entries only).
    step_id: Mapped[int | None] = mapped_column(ForeignKey("step.id", ondelete="SET NULL"))
    live_session_id: Mapped[int | None] = mapped_column(ForeignKey("live_session.id", ondelete="SET NULL"))
    # Set on a conflict copy: the entry whose earlier version it keeps.
    conflict_of_id: Mapped[str | None] = mapped_column(String(32))
    # Bumped by every save; the ORM refuses an update based on a stale revision (two devices at once).
    revision: Mapped[int] = mapped_column()
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __mapper_args__ = {"version_id_col": revision}
    __table_args__ = (CheckConstraint("kind in ('reflection', 'free', 'trigger')", name="kind_known"),)


class SharedExcerpt(Model):
    """An excerpt shared anonymously with the group: pending moderation, then shown at one step of one
    live session."""

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    live_session_id: Mapped[int | None] = mapped_column(ForeignKey("live_session.id", ondelete="CASCADE"))
    # The step it was shown at (null: the lobby): it leaves the room's screens when the step changes.
    position: Mapped[int | None]

    # Ordered by the random key, not by arrival (as poll text answers), so the queue keeps no sharing order.
    __table_args__ = (
        CheckConstraint("status in ('pending', 'approved')", name="status_known"),
        {"sqlite_with_rowid": False},
    )


class JournalScore(Model):
    """A participant's own answers to one measure, kept for their trend: sealed under their data key,
    like an entry, with nothing in the clear but its author (which measure, which week and every
    value are inside the seal). Shredded with the key, deleted with the journal."""

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)

    # Ordered by the random key, not by arrival.
    __table_args__ = {"sqlite_with_rowid": False}
