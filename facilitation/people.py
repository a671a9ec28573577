"""The people of an organisation: invitations, roles, deactivation, and one-time password links.

Operations change state and flush; the view commits. Each is recorded in the audit trail. A link's
secret is 256 random bits, shown or mailed once; only its SHA-256 is stored (`AccountLink`).
"""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from extensions import db
from facilitation import audit
from facilitation.auth import end_sessions
from facilitation.models import AccountLink, Organisation, User
from refusals import Refusal
from sessions.live.models import Connection
from sessions.realtime import pushes

LIFETIMES = {"invitation": timedelta(days=7), "reset": timedelta(hours=24)}


def now() -> datetime:
    return datetime.now(UTC)


def token_hash(token: str) -> str:
    # 256 random bits: a fast hash is enough, a KDF adds nothing.
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def account_for(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def colleague_of(admin: User, user_id: int) -> User:
    """A person of the administrator's organisation; anyone else is not found."""
    user = db.session.get(User, user_id)
    if user is None or user.organisation_id != admin.organisation_id:
        raise Refusal("not_found")
    return user


def people_of(organisation_id: int) -> list[User]:
    return list(db.session.scalars(select(User).where(User.organisation_id == organisation_id).order_by(User.name)))


def open_invitations(organisation_id: int) -> list[AccountLink]:
    return list(
        db.session.scalars(
            select(AccountLink)
            .where(
                AccountLink.organisation_id == organisation_id,
                AccountLink.kind == "invitation",
                AccountLink.used_at.is_(None),
                AccountLink.revoked_at.is_(None),
                AccountLink.expires_at > now(),
            )
            .order_by(AccountLink.created_at.desc())
        )
    )


def _withdraw_open(kind: str, organisation_id: int, email: str) -> None:
    """A new link replaces any earlier one for the same person: only the newest works."""
    for link in db.session.scalars(
        select(AccountLink).where(
            AccountLink.kind == kind,
            AccountLink.organisation_id == organisation_id,
            AccountLink.email == email,
            AccountLink.used_at.is_(None),
            AccountLink.revoked_at.is_(None),
        )
    ):
        link.revoked_at = now()


def _issue(kind: str, organisation: Organisation, email: str, **fields) -> tuple[AccountLink, str]:
    _withdraw_open(kind, organisation.id, email)
    token = secrets.token_urlsafe(32)
    link = AccountLink(
        token_hash=token_hash(token),
        kind=kind,
        organisation_id=organisation.id,
        email=email,
        expires_at=now() + LIFETIMES[kind],
        **fields,
    )
    db.session.add(link)
    db.session.flush()
    return link, token


def invite(admin: User, email: str, role: str) -> tuple[AccountLink, str]:
    email = normalise_email(email)
    if role not in User.ROLES:
        raise Refusal("no_such_role")
    if account_for(email) is not None:
        raise Refusal("has_account", f"{email} already has a Mend account.")
    link, token = _issue("invitation", admin.organisation, email, role=role, created_by_id=admin.id)
    audit.record(admin.id, "people.invite", target=email, details={"role": role})
    return link, token


def withdraw_invitation(admin: User, link_id: int) -> AccountLink:
    link = db.session.get(AccountLink, link_id)
    if link is None or link.kind != "invitation" or link.organisation_id != admin.organisation_id:
        raise Refusal("not_found")
    if link.used_at is None and link.revoked_at is None:
        link.revoked_at = now()
        audit.record(admin.id, "people.invitation_withdrawn", target=link.email)
    return link


def issue_reset(user: User, by: User | None) -> tuple[AccountLink, str]:
    """A one-time link to choose a new password: issued by an administrator (`by`), or asked for by
    the person themselves ("Forgot my password", `by` None)."""
    link, token = _issue(
        "reset", user.organisation, user.email, role=user.role, user_id=user.id, created_by_id=by.id if by else None
    )
    if by is not None:
        audit.record(by.id, "people.reset_link", target=user.email)
    else:
        audit.record(None, "auth.forgot_password", target=user.email, organisation_id=user.organisation_id)
    return link, token


def usable_link(token: str, kind: str) -> AccountLink:
    """The link `token` opens, if it can still be used; an unknown token is not found."""
    link = db.session.scalar(select(AccountLink).where(AccountLink.token_hash == token_hash(token[:100])))
    if link is None or link.kind != kind:
        raise Refusal("not_found")
    if link.used_at is not None:
        raise Refusal("link_used")
    if link.revoked_at is not None:
        raise Refusal("link_withdrawn")
    if link.expires_at <= now():
        raise Refusal("link_expired")
    if kind == "reset" and (link.user is None or not link.user.is_active):
        raise Refusal("link_withdrawn")
    return link


def accept_invitation(link: AccountLink, name: str, password: str) -> User:
    if account_for(link.email) is not None:
        raise Refusal("link_used")
    user = User(organisation_id=link.organisation_id, email=link.email, name=name.strip(), role=link.role)
    user.set_password(password)
    db.session.add(user)
    link.used_at = now()
    db.session.flush()
    audit.record(user.id, "people.invitation_accepted", target=user.email, details={"role": user.role})
    return user


def reset_password(link: AccountLink, password: str) -> User:
    user = link.user
    assert user is not None  # a reset link always names its account (usable_link checked it)
    user.set_password(password)
    link.used_at = now()
    end_sessions(user)
    audit.record(user.id, "auth.password_reset", target=user.email)
    return user


def _active_admins(organisation_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.organisation_id == organisation_id, User.role == "admin", User.deactivated_at.is_(None))
        )
        or 0
    )


def _close_sockets(user_id: int) -> None:
    """Close the person's open consoles and projectors: they reconnect, and are let in (or not) as
    their new role allows."""

    def sockets() -> list[str]:
        return list(db.session.scalars(select(Connection.sid).where(Connection.user_id == user_id)))

    pushes.queue_disconnect(sockets)


def change_role(admin: User, user: User, role: str) -> None:
    if role not in User.ROLES:
        raise Refusal("no_such_role")
    if role == user.role:
        return
    if user.role == "admin" and user.is_active and _active_admins(user.organisation_id) <= 1:
        raise Refusal("last_admin", "The organisation needs at least one administrator. Make someone else one first.")
    audit.record(admin.id, "people.role_change", target=user.email, details={"role": [user.role, role]})
    user.role = role
    _close_sockets(user.id)


def deactivate(admin: User, user: User) -> None:
    if user.id == admin.id:
        raise Refusal("own_account")
    if not user.is_active:
        return
    if user.role == "admin" and _active_admins(user.organisation_id) <= 1:
        raise Refusal("last_admin", "The organisation needs at least one active administrator.")
    user.deactivated_at = now()
    for link in db.session.scalars(
        select(AccountLink).where(
            AccountLink.user_id == user.id, AccountLink.used_at.is_(None), AccountLink.revoked_at.is_(None)
        )
    ):
        link.revoked_at = now()
    end_sessions(user)
    audit.record(admin.id, "people.deactivate", target=user.email)


def reactivate(admin: User, user: User) -> None:
    if user.is_active:
        return
    user.deactivated_at = None
    audit.record(admin.id, "people.reactivate", target=user.email)
