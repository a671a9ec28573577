"""What each kind of client is shown of the journal: facilitators a count of who wrote this week
and the excerpts awaiting moderation (no names), the room the excerpts approved for the step on
screen. Journal text itself is only ever shown to its author (sessions/journal/routes.py)."""

from sqlalchemy import bindparam, func, select

from extensions import db
from facilitation.models import Cohort, Participant
from sessions.journal.models import JournalEntry, SharedExcerpt
from sessions.journal.operations import current_week
from sessions.live.models import LiveSession
from sessions.live.outline import outline_of

# Read with every change a facilitator makes: built once (see sessions/live/operations.py).
_WRITERS = (
    select(func.count(func.distinct(JournalEntry.participant_id)))
    .join(Participant, Participant.id == JournalEntry.participant_id)
    .where(Participant.cohort_id == bindparam("cohort_id"), JournalEntry.week == bindparam("week"))
)
_SHARED_IN = select(SharedExcerpt).where(
    SharedExcerpt.live_session_id == bindparam("live_id"),
    SharedExcerpt.status == "approved",
    SharedExcerpt.position == bindparam("position"),
)
_SHARED_IN_LOBBY = select(SharedExcerpt).where(
    SharedExcerpt.live_session_id == bindparam("live_id"),
    SharedExcerpt.status == "approved",
    SharedExcerpt.position.is_(None),
)


def writers_this_week(cohort_id: int, live: LiveSession | None) -> tuple[int, int]:
    """(week, how many participants wrote in it): all facilitators are ever told about the journal.
    `live` is the cohort's open session, if any."""
    if live is not None and live.is_open:
        week = outline_of(live).week
    else:
        week = current_week(db.session.get_one(Cohort, cohort_id))
    count = db.session.scalar(_WRITERS, {"cohort_id": cohort_id, "week": week})
    return week, count or 0


def pending_excerpts(cohort_id: int) -> list[dict]:
    rows = db.session.scalars(
        select(SharedExcerpt).where(SharedExcerpt.cohort_id == cohort_id, SharedExcerpt.status == "pending")
    )
    return [{"id": row.id, "text": row.text} for row in rows]


def shared_in(live: LiveSession | None) -> list[dict]:
    """The excerpts approved for the room at the session's current step (or in its lobby): an
    excerpt leaves every screen when the step changes, and nothing is shown once the session ended."""
    if live is None or live.status == "ended":
        return []
    if live.status == "live":
        rows = db.session.scalars(_SHARED_IN, {"live_id": live.id, "position": live.position})
    else:
        rows = db.session.scalars(_SHARED_IN_LOBBY, {"live_id": live.id})
    return [{"id": row.id, "text": row.text} for row in rows]
