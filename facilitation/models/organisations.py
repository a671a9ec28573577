"""Organisations and the facilitators and administrators who work in them."""

from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from extensions import Model, db

MIN_REVEAL_THRESHOLD = 3


def utcnow() -> datetime:
    return datetime.now(UTC)


class Organisation(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # The fewest answers a poll needs before its results may be shown (k-anonymity).
    poll_reveal_threshold: Mapped[int] = mapped_column(default=MIN_REVEAL_THRESHOLD)
    # Helplines by country: {"country", "name", "phone", "text", "url", "notes"}, set by the organisation's
    # administrators. Participants always see a neutral line to local emergency services above them.
    crisis_resources: Mapped[list] = mapped_column(db.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    users: Mapped[list["User"]] = relationship(back_populates="organisation")

    __table_args__ = (CheckConstraint(f"poll_reveal_threshold >= {MIN_REVEAL_THRESHOLD}", name="reveal_threshold_min"),)


class User(UserMixin, Model):
    """A facilitator or an organisation's administrator; participants are not users."""

    ROLES = ("facilitator", "admin")

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="facilitator")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Part of every sign-in's session cookie: raising it ends every session signed in before.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")

    organisation: Mapped[Organisation] = relationship(back_populates="users")

    __table_args__ = (CheckConstraint("role in ('facilitator', 'admin')", name="role_known"),)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def get_id(self) -> str:
        # Flask-Login keeps this in the session cookie (and a remember cookie): the user loader accepts it
        # only while the version is current (facilitation/auth.py).
        return f"{self.id}:{self.session_version}"

    def set_password(self, password: str) -> None:
        # Werkzeug's default is scrypt, a memory-hard KDF.
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)
