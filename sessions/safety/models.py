"""Safety in the room as stored: pause signals and content-note choices.

A `SafetySignal` is one "I need a pause" from a participant in a live session,
kept for the cohort's facilitators only. A `ContentNoteChoice` records whether a
participant continued into a content-noted step or skipped it, so that a reload
keeps their choice; facilitators are only ever shown how many skipped, and only as
of a `ContentNoteFigure`, which moves in steps of at least k choices.
Neither bumps the live session's version: a version change reaches the whole
room, and its timing alone would tell the room that someone asked for a pause.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import Model
from facilitation.models import Participant, User
from facilitation.models.organisations import utcnow

REPLY_MAX = 280


class SafetySignal(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    live_session_id: Mapped[int] = mapped_column(ForeignKey("live_session.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    # Equal to participant_id while the signal is ongoing: the unique constraint allows one ongoing
    # signal per participant and session, so a flood of taps cannot make fifty alerts.
    ongoing_participant_id: Mapped[int | None]
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The step on screen when the pause was asked for (None in the lobby).
    step_position: Mapped[int | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    acknowledged_at: Mapped[datetime | None]
    reply: Mapped[str | None] = mapped_column(String(REPLY_MAX))
    # Set when the participant says "I'm OK now".
    resolved_at: Mapped[datetime | None]
    # "pause": "I need a pause"; "check_in": after a measure's risk item, they said yes to a check-in.
    reason: Mapped[str] = mapped_column(String(10), default="pause", server_default="pause")

    participant: Mapped[Participant] = relationship()
    acknowledged_by: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("live_session_id", "ongoing_participant_id"),
        CheckConstraint("reason in ('pause', 'check_in')", name="reason_known"),
    )


class ContentNoteChoice(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    live_session_id: Mapped[int] = mapped_column(ForeignKey("live_session.id", ondelete="CASCADE"), index=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("step.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    choice: Mapped[str] = mapped_column(String(10))

    __table_args__ = (
        UniqueConstraint("live_session_id", "step_id", "participant_id"),
        CheckConstraint("choice in ('continue', 'skip')", name="choice_known"),
    )


class ContentNoteFigure(Model):
    """How many had chosen, and skipped, the last time the team was shown the figure: it is shown
    again only once at least k more have chosen, so that no change of it follows one person's tap."""

    live_session_id: Mapped[int] = mapped_column(ForeignKey("live_session.id", ondelete="CASCADE"), primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("step.id", ondelete="CASCADE"), primary_key=True)
    choices: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
