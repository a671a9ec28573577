"""Organisations and the facilitators and administrators who work in them."""

from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import Model, db
from facilitation import passwords

MIN_REVEAL_THRESHOLD = 3
DEFAULT_TIMEZONE = "Europe/London"
# Participants are told this many days before their journal is deleted, unless the organisation chose.
DEFAULT_RETENTION_NOTICE_DAYS = 30
# How long the audit trail keeps an entry unless the organisation chose otherwise (two years).
DEFAULT_AUDIT_RETENTION_DAYS = 730
MAIL_TLS_MODES = ("starttls", "ssl", "none")


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
    # The settings page (facilitation/settings.py): new cohorts' time zone, where "Quick exit" goes
    # (None: Mend's own blank page), and whether newcomers wait to be let in by default.
    default_timezone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIMEZONE, server_default=DEFAULT_TIMEZONE)
    quick_exit_url: Mapped[str | None] = mapped_column(String(500))
    waiting_room_default: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Retention (facilitation/retention.py), in days after a cohort's last meeting; None keeps them.
    records_kept_days: Mapped[int | None]
    journals_kept_days: Mapped[int | None]
    retention_notice_days: Mapped[int] = mapped_column(
        default=DEFAULT_RETENTION_NOTICE_DAYS, server_default=str(DEFAULT_RETENTION_NOTICE_DAYS)
    )
    # One process at a time runs the organisation's retention: the one that moved this forward.
    retention_claimed_until: Mapped[datetime | None]
    # The organisation's own SMTP server (facilitation/mail.py). Without a host, Mend sends no mail and
    # every account link is shown to copy instead. The password is sealed (mail.seal_password), never
    # stored as typed.
    mail_host: Mapped[str | None] = mapped_column(String(255))
    mail_port: Mapped[int | None]
    mail_username: Mapped[str | None] = mapped_column(String(255))
    mail_password_sealed: Mapped[str | None] = mapped_column(Text)
    mail_from: Mapped[str | None] = mapped_column(String(254))
    mail_tls: Mapped[str] = mapped_column(String(10), default="starttls", server_default="starttls")
    # Audit entries older than this are deleted by the retention job (facilitation/audit.py).
    audit_retention_days: Mapped[int] = mapped_column(
        default=DEFAULT_AUDIT_RETENTION_DAYS, server_default=str(DEFAULT_AUDIT_RETENTION_DAYS)
    )

    users: Mapped[list["User"]] = relationship(back_populates="organisation")

    __table_args__ = (
        CheckConstraint(f"poll_reveal_threshold >= {MIN_REVEAL_THRESHOLD}", name="reveal_threshold_min"),
        CheckConstraint("mail_tls in ('starttls', 'ssl', 'none')", name="mail_tls_known"),
        CheckConstraint("audit_retention_days >= 1", name="audit_retention_positive"),
        CheckConstraint("records_kept_days >= 1 AND journals_kept_days >= 1", name="retention_positive"),
        CheckConstraint("retention_notice_days >= 0", name="retention_notice_positive"),
    )

    @property
    def mail_configured(self) -> bool:
        return bool(self.mail_host and self.mail_from)


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
    # Set while an administrator has deactivated the account: it cannot sign in, and every session ended.
    deactivated_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(back_populates="users")

    __table_args__ = (CheckConstraint("role in ('facilitator', 'admin')", name="role_known"),)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_active(self) -> bool:
        # Flask-Login refuses to sign in, and to load from a cookie, a user who is not active.
        return self.deactivated_at is None

    def get_id(self) -> str:
        # Flask-Login keeps this in the session cookie (and a remember cookie): the user loader accepts it
        # only while the version is current (facilitation/auth.py).
        return f"{self.id}:{self.session_version}"

    def set_password(self, password: str) -> None:
        # Werkzeug's default is scrypt, a memory-hard KDF.
        self.password_hash = passwords.hashed(password)

    def check_password(self, password: str) -> bool:
        return passwords.matches(self.password_hash, password)


class AccountLink(Model):
    """A one-time link an administrator issues: an invitation to join the organisation, or a new
    password for an existing account (issued by an administrator or asked for by "Forgot my password").
    Only a hash of the link's token is stored; the link itself is shown or mailed once."""

    KINDS = ("invitation", "reset")

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(12))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    # An invitation names the email and role it is for; a reset names its account.
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20), default="facilitator")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    # Withdrawn by an administrator (or replaced by a newer link of the same kind) before it was used.
    revoked_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    __table_args__ = (
        CheckConstraint("kind in ('invitation', 'reset')", name="kind_known"),
        CheckConstraint("role in ('facilitator', 'admin')", name="role_known"),
    )
