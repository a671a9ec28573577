"""Who may do what: the named rules every HTTP view and Socket.IO handler asks, and nothing else decides.

A rule that fails raises a `Refusal`: `not_found` when the thing must not even be known to exist
(another organisation's cohort, another person's journal), `forbidden` when the person is known
and may simply not do this. The app answers a refusal in one place (app.py): the same 404 page as
for a missing page, or a 403 page with the rule's sentence. Rules never call `abort`.
"""

from flask_login import current_user
from sqlalchemy import select

from extensions import db
from facilitation.models import Cohort, Participant, Programme, User
from refusals import Refusal

# Roles of a Socket.IO connection and who may hold them (sessions/live/events.py).
FACILITATOR_ROLES = ("facilitator", "projector")


def is_administrator(user: User) -> bool:
    return user.is_authenticated and user.is_admin


def may_run(user: User, cohort: Cohort) -> bool:
    """Administrators may run any cohort of their organisation; facilitators their own."""
    if not user.is_authenticated or cohort.organisation_id != user.organisation_id:
        return False
    return user.is_admin or any(f.id == user.id for f in cohort.facilitators)


def may_see_programme(user: User, programme: Programme) -> bool:
    """The built-in programmes, and those of the person's own organisation."""
    return programme.organisation_id in (None, user.organisation_id)


def cohort_run_by(user: User, cohort_id: int) -> Cohort:
    """The cohort, if `user` may run it; otherwise not found, never a hint that it exists."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or not may_run(user, cohort):
        raise Refusal("not_found")
    return cohort


def programme_seen_by(user: User, programme_id: int) -> Programme:
    programme = db.session.get(Programme, programme_id)
    if programme is None or not may_see_programme(user, programme):
        raise Refusal("not_found")
    return programme


def live_session_run_by(user: User, live_session_id: int):
    from sessions.live.models import LiveSession

    live = db.session.get(LiveSession, live_session_id)
    if live is None or not may_run(user, live.cohort):
        raise Refusal("not_found")
    return live


def administrator_only(message: str) -> None:
    """Pages for the organisation's administrators: anyone else is told so, in `message`."""
    if not is_administrator(current_user):
        raise Refusal("forbidden", message, title="For administrators")


def participant_of(public_id: str) -> tuple[Cohort, Participant]:
    """The cohort named by its public id and the participant this browser is in it (their cookie);
    for anyone else, not found, exactly as for a cohort that does not exist."""
    from sessions.live.identity import current_participant

    cohort = db.session.scalar(select(Cohort).where(Cohort.public_id == public_id[:24]))
    participant = current_participant(cohort) if cohort is not None else None
    if cohort is None or participant is None:
        raise Refusal("not_found")
    return cohort, participant


def projector_screen_of(public_id: str) -> Cohort:
    """The cohort whose projector this browser is: a screen paired with a projector link (its cookie),
    or a signed-in facilitator who may run the cohort. Anyone else: not found, as for no cohort."""
    cohort = db.session.scalar(select(Cohort).where(Cohort.public_id == public_id[:24]))
    if cohort is None or not may_project(cohort):
        raise Refusal("not_found")
    return cohort


def may_project(cohort: Cohort) -> bool:
    """A paired screen shows its own cohort's projector view and nothing else (it is nobody: no user,
    no participant); a facilitator's own projector view is theirs as for the console."""
    from sessions.live.identity import is_paired_projector

    return may_run(current_user, cohort) or is_paired_projector(cohort)


def may_connect_as(role: str, cohort: Cohort | None) -> tuple[Participant | None, User | None]:
    """Who a Socket.IO connection to `cohort` in `role` is: the participant its cookie names, the
    signed-in facilitator or administrator who may run the cohort, or (as `projector` only) nobody at
    all for a screen paired with the cohort's projector link. Refused as `not_allowed` otherwise."""
    from sessions.live.identity import current_participant, is_paired_projector

    if cohort is not None and role == "participant":
        participant = current_participant(cohort)
        if participant is not None:
            return participant, None
    elif cohort is not None and role in FACILITATOR_ROLES and may_run(current_user, cohort):
        return None, current_user
    elif cohort is not None and role == "projector" and is_paired_projector(cohort):
        return None, None
    raise Refusal("not_allowed")
