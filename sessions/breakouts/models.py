"""Breakout rounds: small rooms with roles, a deadline, and shared notes.

A round belongs to one live session and one step position; its rooms and who sits in
them are rows, so a restarted or second process serves the same round. Deadlines are
stored, never ticked: clients and the server work out the phase from the clock.
"""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import Model
from facilitation.models import Participant
from facilitation.models.organisations import utcnow

ROUND_STATUSES = ("proposed", "running", "ended")


class BreakoutRound(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    live_session_id: Mapped[int] = mapped_column(ForeignKey("live_session.id", ondelete="CASCADE"), index=True)
    # The step position the round was run from (a breakout step, or any step for an ad hoc round).
    position: Mapped[int]
    step_id: Mapped[int | None] = mapped_column(ForeignKey("step.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    group_size: Mapped[int]
    minutes: Mapped[int]
    # [{"name": ..., "prompt": ...}], one per seat of a full room.
    roles: Mapped[list] = mapped_column(JSON, default=list)
    scenario_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="proposed")
    # "smallest": a late arrival joins a room below the group size, or waits for one; "wait": they wait
    # for the facilitator.
    late_arrivals: Mapped[str] = mapped_column(String(10), default="smallest")
    auto_recall: Mapped[bool] = mapped_column(default=False)
    # How many times roles have been switched: seat n plays role (n + role_shift) of the room.
    role_shift: Mapped[int] = mapped_column(default=0)
    message: Mapped[str | None] = mapped_column(String(300))
    message_at: Mapped[datetime | None]
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    recall_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]

    rooms: Mapped[list["BreakoutRoom"]] = relationship(
        back_populates="round", order_by="BreakoutRoom.number", cascade="all, delete-orphan"
    )
    seats: Mapped[list["BreakoutSeat"]] = relationship(back_populates="round", cascade="all, delete-orphan")


class BreakoutRoom(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("breakout_round.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    notes: Mapped[str] = mapped_column(Text, default="")
    # Bumped by every notes change; a change is applied only on top of the revision it read.
    notes_revision: Mapped[int] = mapped_column(default=0)
    notes_changed_at: Mapped[datetime | None]
    help_requested_at: Mapped[datetime | None]
    help_answered_at: Mapped[datetime | None]
    # Participant ids of members who agreed to show the notes to the whole group after recall.
    share_consents: Mapped[list] = mapped_column(JSON, default=list)
    shared_at: Mapped[datetime | None]

    round: Mapped[BreakoutRound] = relationship(back_populates="rooms")

    __table_args__ = (UniqueConstraint("round_id", "number"),)


class BreakoutNotesRevision(Model):
    """Each revision of a room's notes: the base that a member's edit was made against, so that
    edits made at the same time are merged rather than overwritten."""

    room_id: Mapped[int] = mapped_column(ForeignKey("breakout_room.id", ondelete="CASCADE"), primary_key=True)
    revision: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)


class BreakoutSeat(Model):
    """Where one participant is in a round: a room and seat (which decides the role), or the main room."""

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("breakout_round.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    # None: in the main room with the facilitator (sitting this one out, or waiting to be placed).
    room_id: Mapped[int | None] = mapped_column(ForeignKey("breakout_room.id", ondelete="SET NULL"), index=True)
    seat: Mapped[int] = mapped_column(default=0)

    round: Mapped[BreakoutRound] = relationship(back_populates="seats")
    room: Mapped[BreakoutRoom | None] = relationship()
    participant: Mapped[Participant] = relationship()

    __table_args__ = (UniqueConstraint("round_id", "participant_id"),)


class BreakoutPass(Model):
    """A participant's choice to sit out the exercise at one step of a live session."""

    id: Mapped[int] = mapped_column(primary_key=True)
    live_session_id: Mapped[int] = mapped_column(ForeignKey("live_session.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)

    __table_args__ = (UniqueConstraint("live_session_id", "position", "participant_id"),)
