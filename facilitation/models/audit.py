"""The audit trail: who among the facilitators and administrators did what, when, and to which cohort."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import Model, db
from facilitation.models.organisations import User, utcnow


class AuditEntry(Model):
    """One action. Written once and never changed by the app; deleted only by retention.

    `cohort_id` is a plain number, not a foreign key: an entry outlives its cohort's deletion (which it
    may record) and never blocks it. `target` names who or what was acted on (an email, a session's
    number), never a participant's answer or journal."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # None only for what the command line does to the whole installation (the journal key).
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # None when the command line (no account) or an unknown person (a failed sign-in) acted.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    cohort_id: Mapped[int | None] = mapped_column(index=True)
    target: Mapped[str | None] = mapped_column(String(254))
    details: Mapped[dict | None] = mapped_column(db.JSON)

    actor: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_audit_entry_organisation_at", "organisation_id", "at"),)
