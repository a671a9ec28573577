"""State transitions of a live session: plain Python over the models, no I/O to clients.

Every transition checks the version its caller saw, changes the `LiveSession` row
and records a `Transition`; the ORM's version counter makes the update conditional,
so two co-facilitators pressing "next" at once produce exactly one transition.
The caller commits, and only then tells clients.
"""

from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from extensions import db
from facilitation.models import Cohort, SessionPlan, User
from refusals import Refusal
from sessions.live.models import Attendance, Connection, LiveSession, Transition
from sessions.live.outline import outline_of
from sessions.polls.models import Poll

TIMER_MAX_SECONDS = 3 * 3600


def now() -> datetime:
    return datetime.now(UTC)


def millis(moment: datetime | None) -> int | None:
    """A moment as clients read it: milliseconds since the epoch."""
    return int(moment.timestamp() * 1000) if moment else None


# Statements read on every change of every session are built once: building one costs more than
# running it (the same goes for the other modules' hot reads).
_OPEN_SESSION = select(LiveSession).where(LiveSession.open_cohort_id == bindparam("cohort_id"))
_POLL_OF_STEP = (
    select(Poll.id)
    .where(Poll.live_session_id == bindparam("live_id"), Poll.step_id == bindparam("step_id"))
    .order_by(Poll.id.desc())
    .limit(1)
)


# The transition row, written as a plain insert: the unit of work's bookkeeping for a row nothing
# reads back cost more than the insert. (The mapped table is a Table; the declarative base types
# it as any FromClause.)
_RECORD = insert(cast(Table, Transition.__table__))


def open_session_of(cohort_id: int) -> LiveSession | None:
    return db.session.scalar(_OPEN_SESSION, {"cohort_id": cohort_id})


# With each session's week: the group page names it for the open session and each of the person's weeks.
_SESSIONS_OF = (
    select(LiveSession)
    .where(LiveSession.cohort_id == bindparam("cohort_id"))
    .order_by(LiveSession.ended_at)
    .options(joinedload(LiveSession.session_plan))
)


def open_and_ended_of(cohort_id: int) -> tuple[LiveSession | None, list[LiveSession]]:
    """The cohort's open session and its ended ones (as `runs_of`), with their weeks, in one read: a
    group page needs both on every arrival."""
    sessions = list(db.session.scalars(_SESSIONS_OF, {"cohort_id": cohort_id}))
    live = next((each for each in sessions if each.open_cohort_id == cohort_id), None)
    return live, [each for each in sessions if each.status == "ended"]


def runs_of(cohort_id: int) -> list[LiveSession]:
    return list(
        db.session.scalars(
            select(LiveSession)
            .where(LiveSession.cohort_id == cohort_id, LiveSession.status == "ended")
            .order_by(LiveSession.ended_at)
        )
    )


def attendance_counts(cohort_id: int) -> tuple[dict[int, int], dict[int, int]]:
    """How many participants attended each live session of the cohort, and how many sessions
    each participant attended."""
    of_cohort = (
        select(Attendance)
        .join(LiveSession, LiveSession.id == Attendance.live_session_id)
        .where(LiveSession.cohort_id == cohort_id)
        .subquery()
    )
    per_session = db.session.execute(
        select(of_cohort.c.live_session_id, func.count()).group_by(of_cohort.c.live_session_id)
    )
    per_participant = db.session.execute(
        select(of_cohort.c.participant_id, func.count()).group_by(of_cohort.c.participant_id)
    )
    return dict(per_session.all()), dict(per_participant.all())


def open_session(cohort: Cohort, plan: SessionPlan, user: User) -> LiveSession:
    """Open `plan` for `cohort` in the lobby. Refused while another session of the cohort is open."""
    if plan.programme_id != cohort.programme_id:
        raise Refusal("not_found")
    if open_session_of(cohort.id) is not None:
        raise Refusal("already_open")
    live = LiveSession(cohort=cohort, open_cohort_id=cohort.id, session_plan=plan, opened_by=user)
    try:
        with db.session.begin_nested():
            db.session.add(live)
    except IntegrityError:
        raise Refusal("already_open") from None
    db.session.add(
        Transition(live_session_id=live.id, version=live.version, action="open", position=0, user_id=user.id)
    )
    # Participants already waiting on their group page are present from the first moment.
    for participant_id in connected_participants(cohort.id):
        db.session.add(Attendance(live_session_id=live.id, participant_id=participant_id, present_since=now()))
    db.session.flush()
    return live


def connected_participants(cohort_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(Connection.participant_id).where(
                Connection.cohort_id == cohort_id, Connection.participant_id.is_not(None)
            )
        )
    )


def begin(live: LiveSession, seen_version: int, *statuses: str) -> None:
    """Refuse a command based on an old version, or one the session's state does not allow."""
    if seen_version != live.version:
        raise Refusal("stale_version")
    if live.status not in statuses:
        messages = {
            "lobby": "The session has not started yet.",
            "live": "The session is already running.",
            "ended": "This session has ended.",
        }
        raise Refusal("wrong_state", messages[live.status])


def record(live: LiveSession, seen_version: int, action: str, user_id: int) -> None:
    """Write the transition. The row is updated even when no column changed, so that every
    transition bumps the version; the ORM adds "WHERE version = <seen>" to the update and
    raises if another transition got there first. On PostgreSQL the loser may instead meet the
    winner's transition row (same session and version) first: that is the same refusal."""
    flag_modified(live, "status")
    try:
        db.session.flush()
        db.session.execute(
            _RECORD,
            {
                "live_session_id": live.id,
                "version": seen_version + 1,
                "action": action,
                "position": live.position,
                "user_id": user_id,
            },
        )
    except StaleDataError:
        raise Refusal("stale_version") from None
    except IntegrityError as clash:
        if "uq_transition_live_session_id_version" not in str(clash.orig):
            raise
        raise Refusal("stale_version") from None


def hold(*rows: object) -> None:
    """Keep rows in the session of this event (or request, or task) until it ends. The session keeps a
    row it wrote or read only while something else refers to it: the state built after a change would
    otherwise read a row the change has just written (a new poll, its counters) from the database again."""
    db.session.info.setdefault("held", []).extend(rows)


def start(live: LiveSession, seen_version: int, user_id: int) -> None:
    begin(live, seen_version, "lobby")
    live.status, live.started_at, live.position = "live", now(), 0
    record(live, seen_version, "start", user_id)


def go_to(live: LiveSession, seen_version: int, position: int, user_id: int) -> None:
    """Show step `position` (0-based) to everyone; next, previous and jump are all this."""
    begin(live, seen_version, "live")
    outline = outline_of(live)
    if not 0 <= position < len(outline.step_ids):
        raise Refusal("invalid_step")
    if position != live.position:
        # A step's timer and poll belong to that step; coming back to a poll step shows its poll again.
        # Only poll and measure steps have polls of their own (quick polls belong to no step).
        live.timer_started_at = live.timer_ends_at = None
        live.active_poll_id = None
        if outline.steps[position]["kind"] in ("poll", "measure"):
            live.active_poll_id = db.session.scalar(
                _POLL_OF_STEP, {"live_id": live.id, "step_id": outline.step_ids[position]}
            )
    live.position = position
    record(live, seen_version, "go", user_id)


def start_timer(live: LiveSession, seen_version: int, seconds: int, user_id: int) -> None:
    begin(live, seen_version, "lobby", "live")
    if not 10 <= seconds <= TIMER_MAX_SECONDS:
        raise Refusal("invalid_timer")
    live.timer_started_at = now()
    live.timer_ends_at = live.timer_started_at + timedelta(seconds=seconds)
    record(live, seen_version, "timer", user_id)


def add_time(live: LiveSession, seen_version: int, seconds: int, user_id: int) -> None:
    begin(live, seen_version, "lobby", "live")
    if live.timer_ends_at is None:
        raise Refusal("no_timer")
    # Adding to a timer that already ran out counts from now.
    base = max(live.timer_ends_at, now())
    if (base + timedelta(seconds=seconds)) - now() > timedelta(seconds=TIMER_MAX_SECONDS):
        raise Refusal("invalid_timer")
    live.timer_ends_at = base + timedelta(seconds=seconds)
    record(live, seen_version, "timer_add", user_id)


def clear_timer(live: LiveSession, seen_version: int, user_id: int) -> None:
    begin(live, seen_version, "lobby", "live")
    live.timer_started_at = live.timer_ends_at = None
    record(live, seen_version, "timer_clear", user_id)


def end(live: LiveSession, seen_version: int, user_id: int) -> None:
    """End the session; it is recorded as run for its week."""
    begin(live, seen_version, "lobby", "live")
    moment = now()
    for attendance in db.session.scalars(select(Attendance).where(Attendance.live_session_id == live.id)):
        close_stretch(attendance, moment)
    live.status, live.ended_at, live.open_cohort_id = "ended", moment, None
    live.timer_started_at = live.timer_ends_at = None
    clear_break(live)
    record(live, seen_version, "end", user_id)


def clear_break(live: LiveSession) -> None:
    live.break_started_at = live.break_ends_at = None
    live.break_in_seconds = live.break_out_seconds = None


def close_stretch(attendance: Attendance, moment: datetime) -> None:
    if attendance.present_since is not None:
        attendance.seconds_present += int((moment - attendance.present_since).total_seconds())
        attendance.present_since = None
    attendance.last_seen_at = moment
