"""The live run of a session plan with a cohort, and who is connected to it.

The `LiveSession` row is the whole state of record of a live session: a restarted
or second server process reads it and serves the same session without loss.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import Model
from facilitation.models import Cohort, Participant, SessionPlan, User
from facilitation.models.organisations import utcnow

STATUSES = ("lobby", "live", "ended")


class LiveSession(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    # Equal to cohort_id until the session ends: a unique column allows one open session per cohort
    # on SQLite and PostgreSQL alike.
    open_cohort_id: Mapped[int | None] = mapped_column(unique=True)
    session_plan_id: Mapped[int] = mapped_column(ForeignKey("session_plan.id"))
    status: Mapped[str] = mapped_column(String(10), default="lobby")
    # Bumped by every transition; the ORM refuses an update based on a stale version.
    version: Mapped[int] = mapped_column(default=1)
    position: Mapped[int] = mapped_column(default=0)
    # The poll on screen (a poll step's, or a quick poll); not a foreign key, to avoid a cycle.
    active_poll_id: Mapped[int | None]
    # The session's latest breakout round, kept by sessions/breakouts/operations.py so that a session without
    # one never looks (most steps of most sessions); not a foreign key either.
    latest_round_id: Mapped[int | None]
    timer_started_at: Mapped[datetime | None]
    timer_ends_at: Mapped[datetime | None]
    # A grounding break for the whole room, as a deadline: when it passes, every screen returns
    # by itself to the step on record, which the break never changes.
    break_started_at: Mapped[datetime | None]
    break_ends_at: Mapped[datetime | None]
    break_in_seconds: Mapped[int | None]
    break_out_seconds: Mapped[int | None]
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]

    cohort: Mapped[Cohort] = relationship()
    session_plan: Mapped[SessionPlan] = relationship()
    opened_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (CheckConstraint("status in ('lobby', 'live', 'ended')", name="status_known"),)

    @property
    def is_open(self) -> bool:
        return self.status != "ended"


class Transition(Model):
    """One committed change of a live session: its history, one row per version."""

    id: Mapped[int] = mapped_column(primary_key=True)
    live_session_id: Mapped[int] = mapped_column(ForeignKey("live_session.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    action: Mapped[str] = mapped_column(String(20))
    position: Mapped[int]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("live_session_id", "version"),)


class ServerProcess(Model):
    """A running Mend process; its heartbeat tells the others whether its connections are real."""

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)


class Connection(Model):
    """One open Socket.IO connection. Several tabs or devices of one person are several rows."""

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    server_id: Mapped[str] = mapped_column(String(40), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(12))
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    connected_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (CheckConstraint("role in ('participant', 'facilitator', 'projector')", name="role_known"),)


class Attendance(Model):
    """A participant's presence in one live session: first and last seen, and time present."""

    id: Mapped[int] = mapped_column(primary_key=True)
    live_session_id: Mapped[int] = mapped_column(ForeignKey("live_session.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set while at least one of the participant's connections is open.
    present_since: Mapped[datetime | None]
    seconds_present: Mapped[int] = mapped_column(default=0)

    participant: Mapped[Participant] = relationship()

    __table_args__ = (UniqueConstraint("live_session_id", "participant_id"),)
