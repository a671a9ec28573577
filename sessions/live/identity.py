"""How a participant and a paired projector screen are recognised: long-lived HttpOnly cookies, and
the one-time links that hand them to a new device.

A participant's cookie (one per cohort, so one phone can belong to several groups) holds their rejoin
secret; the same cookie identifies their Socket.IO connections. Their personal link holds another
secret, good for one exchange: opening it on a device gives that device a fresh rejoin secret, so
the link, and the cookie of every other device, stop working.

A projector cookie holds the secret of a cohort's paired screen, made the same way from a one-time
projector link: it shows that cohort's projector view and connects as its projector, nothing else.
Only hashes of these secrets are stored.
"""

import secrets

from flask import current_app, request
from sqlalchemy import select

from extensions import db
from facilitation.cohorts import participant_by_secret
from facilitation.models import Cohort, Participant
from facilitation.models.cohorts import hash_rejoin_secret
from sessions.live.models import Connection
from sessions.realtime import pushes

# Longer than any secret Mend makes (43 characters): nothing longer is even hashed.
MAX_SECRET_LENGTH = 128


def cookie_name(cohort: Cohort) -> str:
    return f"mend_p_{cohort.public_id}"


def projector_cookie_name(cohort: Cohort) -> str:
    return f"mend_s_{cohort.public_id}"


def current_participant(cohort: Cohort) -> Participant | None:
    participant = participant_by_secret(request.cookies.get(cookie_name(cohort)))
    return participant if participant is not None and participant.cohort_id == cohort.id else None


def remember(response, cohort: Cohort, secret: str, name: str | None = None):
    """Keep `secret` in this browser's cookie for `cohort` (the participant's, or the one named)."""
    response.set_cookie(
        name or cookie_name(cohort),
        secret,
        max_age=current_app.config["PARTICIPANT_COOKIE_DAYS"] * 86400,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["MEND_SECURE_COOKIES"],
        path="/",
    )
    return response


def clear_site_data(response):
    """Ask the browser to drop what it keeps for Mend besides cookies: its cache of Mend's pages and
    its storage (poll answers and receipts; for every group on this device, since they share one
    origin). Not "cookies": those of the person's other groups, and a facilitator's sign-in on a
    shared device, would go too; the one cookie to forget is deleted by name."""
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


def _usable(secret: str | None) -> bool:
    return bool(secret) and len(secret or "") <= MAX_SECRET_LENGTH


def _disconnect(*conditions) -> None:
    """Close, once the caller commits, the open sockets that match `conditions` (in every process)."""
    for sid in db.session.scalars(select(Connection.sid).where(*conditions)):
        pushes.queue_disconnect(sid)


def make_personal_link(participant: Participant) -> str:
    """A new personal link's secret, returned once; the participant's previous link stops working."""
    secret = secrets.token_urlsafe(32)
    participant.link_hash = hash_rejoin_secret(secret)
    db.session.flush()
    return secret


def participant_by_link(secret: str | None) -> Participant | None:
    if not _usable(secret):
        return None
    return db.session.scalar(select(Participant).where(Participant.link_hash == hash_rejoin_secret(secret or "")))


def sign_out_everywhere(participant: Participant) -> str:
    """Give `participant` a fresh rejoin secret (returned, for this device's cookie alone): every
    cookie holding the old one stops working, and the sockets it opened close once the caller commits."""
    secret = secrets.token_urlsafe(32)
    participant.rejoin_hash = hash_rejoin_secret(secret)
    _disconnect(Connection.participant_id == participant.id)
    db.session.flush()
    return secret


def exchange_personal_link(secret: str) -> tuple[Participant, str] | None:
    """Use up a personal link: the participant it names and their fresh rejoin secret, or None for a
    link that is unknown, used or replaced. After this, the link is dead and the participant's other
    devices are signed out of the group."""
    participant = participant_by_link(secret)
    if participant is None:
        return None
    participant.link_hash = None
    return participant, sign_out_everywhere(participant)


def forget_participant(participant: Participant) -> None:
    """This device forgets the participant: their rejoin secret is replaced by one nobody holds, so
    the cookie being deleted could not be used again even by someone who copied it. A personal link
    they made and kept still brings them back."""
    sign_out_everywhere(participant)


def make_projector_link(cohort: Cohort) -> str:
    """A new projector link's secret, returned once; any previous link or paired screen of the cohort stops."""
    revoke_projector(cohort)
    secret = secrets.token_urlsafe(32)
    cohort.projector_hash = hash_rejoin_secret(secret)
    db.session.flush()
    return secret


def revoke_projector(cohort: Cohort) -> None:
    """The cohort's projector link and paired screen stop working; the screen's sockets close once the
    caller commits. A facilitator's own projector view (a signed-in socket) is not touched."""
    cohort.projector_hash = None
    _disconnect(Connection.cohort_id == cohort.id, Connection.role == "projector", Connection.user_id.is_(None))
    db.session.flush()


def cohort_by_projector_secret(secret: str | None) -> Cohort | None:
    if not _usable(secret):
        return None
    return db.session.scalar(select(Cohort).where(Cohort.projector_hash == hash_rejoin_secret(secret or "")))


def exchange_projector_link(secret: str) -> tuple[Cohort, str] | None:
    """Use up a projector link: its cohort and the screen's own secret (for its cookie), or None for a
    link that is unknown, used or revoked. The link itself is then dead."""
    cohort = cohort_by_projector_secret(secret)
    if cohort is None:
        return None
    screen_secret = secrets.token_urlsafe(32)
    cohort.projector_hash = hash_rejoin_secret(screen_secret)
    db.session.flush()
    return cohort, screen_secret


def is_paired_projector(cohort: Cohort) -> bool:
    """Whether this browser holds the cohort's projector cookie, still current."""
    paired = cohort_by_projector_secret(request.cookies.get(projector_cookie_name(cohort)))
    return paired is not None and paired.id == cohort.id
