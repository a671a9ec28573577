"""Programmes as imported from their Markdown folders: sessions plans and their ordered steps.

An import never changes a programme that cohorts may be running: new content
becomes a new version of the same slug.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import Model, db
from facilitation.models.organisations import utcnow

STEP_KINDS = ("slide", "poll", "breakout", "reflection", "measure")


class Programme(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # None: built in, offered to every organisation.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(String(160))
    summary: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(12), default="en")
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sessions: Mapped[list["SessionPlan"]] = relationship(
        back_populates="programme", order_by="SessionPlan.number", cascade="all, delete-orphan"
    )

    __table_args__ = (UniqueConstraint("organisation_id", "slug", "version"),)


class SessionPlan(Model):
    """One session of a programme ("week 3"), run live once per cohort."""

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(160))
    duration_minutes: Mapped[int]
    summary: Mapped[str] = mapped_column(Text, default="")

    programme: Mapped[Programme] = relationship(back_populates="sessions")
    steps: Mapped[list["Step"]] = relationship(
        back_populates="session_plan", order_by="Step.position", cascade="all, delete-orphan"
    )

    __table_args__ = (UniqueConstraint("programme_id", "number"),)


class Step(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    session_plan_id: Mapped[int] = mapped_column(ForeignKey("session_plan.id"), index=True)
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    body_md: Mapped[str] = mapped_column(Text, default="")
    # Rendered and sanitised once, at import.
    body_html: Mapped[str] = mapped_column(Text, default="")
    notes_md: Mapped[str] = mapped_column(Text, default="")
    notes_html: Mapped[str] = mapped_column(Text, default="")
    content_note: Mapped[str | None] = mapped_column(Text)
    # Kind-specific settings, validated by facilitation.programmes at import.
    settings: Mapped[dict] = mapped_column(db.JSON, default=dict)

    session_plan: Mapped[SessionPlan] = relationship(back_populates="steps")

    __table_args__ = (
        UniqueConstraint("session_plan_id", "position"),
        CheckConstraint("kind in ('slide', 'poll', 'breakout', 'reflection', 'measure')", name="kind_known"),
    )
