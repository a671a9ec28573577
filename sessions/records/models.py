"""What a cohort keeps between sessions: the facilitators' notes on each session, changes to the
weekly schedule, and whether the organisation's calendar files name the group."""

from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import Model
from facilitation.models import User
from facilitation.models.organisations import utcnow

NOTES_MAX = 20_000
CHANGE_KINDS = ("skip", "move", "add")


class SessionNote(Model):
    """The team's private text about one live session, written during or after it."""

    live_session_id: Mapped[int] = mapped_column(ForeignKey("live_session.id", ondelete="CASCADE"), primary_key=True)
    text: Mapped[str] = mapped_column(Text, default="")
    # Bumped by every save: a save based on an older revision is refused rather than overwriting.
    revision: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    updated_by: Mapped[User | None] = relationship()


class ScheduleChange(Model):
    """One change to a cohort's weekly meetings: a regular date skipped, or moved, or a meeting added."""

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    # The regular date skipped or moved (None for an added meeting).
    regular_date: Mapped[date | None]
    # Where a moved or added meeting is, in the cohort's time zone.
    new_date: Mapped[date | None]
    new_time: Mapped[time | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    __table_args__ = (CheckConstraint("kind in ('skip', 'move', 'add')", name="kind_known"),)


class CalendarChoice(Model):
    """An organisation's choice to name the group in its calendar files (the default says nothing)."""

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True)
    names_group: Mapped[bool] = mapped_column(default=False)
