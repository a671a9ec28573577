"""Cohorts (a programme run for one group) and the participants who join them."""

import hashlib
import secrets
from datetime import date, datetime, time

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    false,
    true,
    update,
)
from sqlalchemy.orm import Mapped, Session, UOWTransaction, mapped_column, relationship

from extensions import Model, db
from facilitation.models.organisations import Organisation, User, utcnow
from facilitation.models.programmes import Programme, SessionPlan

# No 0/O, 1/I/L: codes are read aloud and typed on phones.
JOIN_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
JOIN_CODE_LENGTH = 8

cohort_facilitators = Table(
    "cohort_facilitator",
    db.metadata,
    Column("cohort_id", ForeignKey("cohort.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalise_join_code(typed: str) -> str:
    """Accept what people type: any case, with or without spaces and dashes."""
    return "".join(ch for ch in typed.upper() if ch.isascii() and ch.isalnum())


def hash_rejoin_secret(secret: str) -> str:
    # The secret is 256 random bits, so a fast hash is enough; a KDF adds nothing here.
    return hashlib.sha256(secret.encode()).hexdigest()


class Cohort(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # Used in participant URLs and cookies, so that numbering reveals nothing.
    public_id: Mapped[str] = mapped_column(String(24), unique=True, default=lambda: secrets.token_urlsafe(12))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    start_date: Mapped[date]
    weekday: Mapped[int]
    start_time: Mapped[time]
    timezone: Mapped[str] = mapped_column(String(64))
    join_code: Mapped[str] = mapped_column(String(16), unique=True, default=new_join_code)
    agreement_md: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Whether the join code still lets new people in, and whether they wait to be admitted.
    enrolment_open: Mapped[bool] = mapped_column(default=True, server_default=true())
    waiting_room: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The hash of the projector link's secret: it shows this cohort's shared screen and nothing else.
    projector_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Where the group meets: an address, a room, or the link of an online meeting. Shown to the group.
    meeting_place: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # Archived: read-only, off the dashboard; an administrator can bring it back.
    archived_at: Mapped[datetime | None]
    # Retention (facilitation/retention.py): when the last meeting was, as counted once its records went
    # (the sessions that gave it are deleted then), and when the records and then the journals went.
    last_meeting_at: Mapped[datetime | None]
    records_deleted_at: Mapped[datetime | None]
    journals_deleted_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship()
    programme: Mapped[Programme] = relationship()
    facilitators: Mapped[list[User]] = relationship(secondary=cohort_facilitators, order_by=User.name)
    participants: Mapped[list["Participant"]] = relationship(
        back_populates="cohort", order_by="Participant.display_name", cascade="all, delete-orphan"
    )

    __table_args__ = (CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def display_code(self) -> str:
        return f"{self.join_code[:4]}-{self.join_code[4:]}"


class Participant(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    display_name: Mapped[str] = mapped_column(String(40))
    # What the name looks like (NFKC, case-folded, confusables mapped: facilitation/cohorts.py name_key):
    # "Sam", "sam" and a Cyrillic "Ѕаm" are the same person to the room.
    name_key: Mapped[str] = mapped_column(String(160))
    rejoin_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The hash of their current personal link (one use, then gone); None when there is none.
    link_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    consented_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # None while they wait to be admitted (the cohort's waiting room); set when they are in the room.
    admitted_at: Mapped[datetime | None]

    cohort: Mapped[Cohort] = relationship(back_populates="participants")

    __table_args__ = (UniqueConstraint("cohort_id", "name_key"),)


class CohortRevision(Model):
    """One row: bumped in the same transaction as every edit of what a participant's pages show of a
    cohort (the cohort, its programme and weeks, its organisation, its facilitators), so that a process
    may keep those pages' cohorts while the revision it read them at is still the database's."""

    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(default=0)


# What a kept cohort shows (facilitation/kept_cohorts.py): a user as a facilitator's name, an organisation
# as its quick exit and settings. Any edit of one bumps the revision: edits are rare beside arrivals.
SHOWN = (Cohort, Programme, SessionPlan, Organisation, User)

_BUMP = update(CohortRevision).where(CohortRevision.id == 1).values(revision=CohortRevision.revision + 1)


@event.listens_for(Session, "before_flush")
def bump_on_edit(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    """Every process's kept cohorts go out of date in the transaction that edits what they show.
    Registered with the models, so that no process can edit them without it."""
    edited = [*session.new, *session.deleted, *(each for each in session.dirty if session.is_modified(each))]
    if any(isinstance(each, SHOWN) for each in edited):
        session.execute(_BUMP, execution_options={"synchronize_session": False})
