"""Retention: what a cohort leaves behind is deleted a set time after its last meeting, by itself.

Each organisation chooses (on its settings page) how many days after a cohort's last meeting its
records are kept (the sessions' reports: attendance, poll figures, pause requests, breakout rounds,
session notes, excerpts shown), and how many days participants' journals and places in the group are
kept. Participants are told on their own pages, `retention_notice_days` before, when their journal
will go, so that they can export it. Then the records go, and later the journals, with the same
no-trace deletion as "Delete everything" (sessions/scrub.py). The audit trail is trimmed to its own
period in the same run (facilitation/audit.py).

Every process runs the job (`start_retention_job`), and `flask mend retention` runs it from cron: an
organisation's run first moves its `retention_claimed_until` forward in one conditional update, so
that only one process works on it at a time, and every deletion is recorded as done on its cohort,
so that running again deletes nothing twice. Functions take `now`, so that tests control the clock.
"""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask import Flask, request
from sqlalchemy import delete, or_, select, update

from extensions import db, socketio
from facilitation import audit
from facilitation.cohorts import meetings
from facilitation.models import Cohort, Organisation, Participant
from sessions import scrub
from sessions.journal import operations as journal
from sessions.live.models import LiveSession
from sessions.live.operations import open_session_of
from sessions.realtime.plumbing import commit, rollback

log = logging.getLogger(__name__)

# A process that claimed an organisation has this long to finish before another may take it over.
CLAIM = timedelta(minutes=10)
# The pages where a participant is told what will be deleted (their group page and their journal).
PARTICIPANT_PAGES = ("sessions.group", "journal.")


def as_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def last_meeting(cohort: Cohort) -> datetime | None:
    """When the group's last meeting ends: its last session run or, if weeks are still planned, the
    last planned date. None while a session is open. Once the records are deleted (and with them the
    sessions this is counted from), the moment kept on the cohort."""
    if cohort.last_meeting_at is not None:
        return as_utc(cohort.last_meeting_at)
    if open_session_of(cohort.id) is not None:
        return None
    found = meetings(cohort)
    if not found:
        return None
    last = max(found, key=lambda meeting: meeting.starts_at)
    plan = cohort.programme.sessions[last.week - 1]
    return (last.starts_at + timedelta(minutes=plan.duration_minutes)).astimezone(UTC)


@dataclass(frozen=True)
class Deadlines:
    """When a cohort's records and its journals are due to be deleted (None: kept)."""

    records: datetime | None
    journals: datetime | None
    notice_days: int


def deadlines(cohort: Cohort) -> Deadlines:
    organisation = cohort.organisation
    # An organisation that keeps everything has nothing to count from (and every group page asks).
    kept_for = (organisation.records_kept_days, organisation.journals_kept_days)
    last = last_meeting(cohort) if any(days is not None for days in kept_for) else None

    def after(days: int | None) -> datetime | None:
        return last + timedelta(days=days) if last is not None and days is not None else None

    return Deadlines(
        after(organisation.records_kept_days),
        after(organisation.journals_kept_days),
        organisation.retention_notice_days,
    )


@dataclass(frozen=True)
class Notice:
    """What a participant is told is coming: the day their journal and place go, and the day the
    group's records (their attendance among them) go, where these are within the notice period."""

    journal_on: datetime | None
    records_on: datetime | None


def notice_for(participant: Participant, now: datetime | None = None) -> Notice | None:
    now = now or datetime.now(UTC)
    cohort = participant.cohort
    due = deadlines(cohort)
    soon = now + timedelta(days=due.notice_days)
    journal_on = due.journals if due.journals and due.journals <= soon and not cohort.journals_deleted_at else None
    records_on = due.records if due.records and due.records <= soon and not cohort.records_deleted_at else None
    if journal_on is None and records_on is None:
        return None
    return Notice(journal_on, records_on)


def retention_notice(participant: object) -> Notice | None:
    """The notice shown at the top of a participant's own pages (templates/base.html), else None."""
    if not isinstance(participant, Participant) or not (request.endpoint or "").startswith(PARTICIPANT_PAGES):
        return None
    return notice_for(participant)


@dataclass
class Outcome:
    """What one run deleted, for the command's output and the scrub."""

    records: list[str] = field(default_factory=list)
    journals: list[str] = field(default_factory=list)
    sessions: int = 0
    participants: int = 0
    audit_entries: int = 0

    @property
    def tables(self) -> tuple[str, ...]:
        """The tables whose old row versions the scrub must clear."""
        tables: list[str] = []
        if self.records:
            tables += records_tables()
        if self.journals:
            tables += [table for table in scrub.JOURNAL_TABLES if table not in tables]
        if self.audit_entries:
            tables.append("audit_entry")
        return tuple(tables)


def records_tables() -> list[str]:
    """`live_session` and every table whose rows go with a live session (each poll's tallies, each
    round's rooms...), found from the foreign keys, so that a capability added later is included."""
    found = ["live_session"]
    for table in db.metadata.sorted_tables:
        if table.name not in found and any(key.column.table.name in found for key in table.foreign_keys):
            found.append(table.name)
    return found


def _claim(organisation_id: int, now: datetime, respect_claims: bool) -> bool:
    """Take the organisation's run for this process. The command from cron takes it even while a
    claim stands (it waits for the holder's transaction, then sees what the holder deleted)."""
    condition = [Organisation.id == organisation_id]
    if respect_claims:
        condition.append(
            or_(Organisation.retention_claimed_until.is_(None), Organisation.retention_claimed_until < now)
        )
    claimed = db.session.execute(update(Organisation).where(*condition).values(retention_claimed_until=now + CLAIM))
    return bool(claimed.rowcount)  # type: ignore[attr-defined]  # a DML result has rowcount


def delete_records(cohort: Cohort, now: datetime) -> int:
    """Delete the cohort's sessions and all they hold (their rows cascade); keep when it last met."""
    cohort.last_meeting_at = last_meeting(cohort)
    sessions = db.session.execute(delete(LiveSession).where(LiveSession.cohort_id == cohort.id))
    cohort.records_deleted_at = now
    db.session.flush()
    db.session.expire_all()
    return int(sessions.rowcount or 0)  # type: ignore[attr-defined]  # a DML result has rowcount


def delete_journals(cohort: Cohort, now: datetime) -> int:
    """Every participant's "Delete everything": journal key, entries and place in the group."""
    cohort.last_meeting_at = last_meeting(cohort)
    people = list(db.session.scalars(select(Participant).where(Participant.cohort_id == cohort.id)))
    for participant in people:
        journal.delete_everything(participant)
    cohort.journals_deleted_at = now
    db.session.flush()
    return len(people)


def run_retention(now: datetime, *, respect_claims: bool = True) -> Outcome:
    """Delete whatever is past its period, in every organisation this process claims; flushes, the
    caller commits and then scrubs `outcome.tables`."""
    outcome = Outcome()
    for organisation_id in db.session.scalars(select(Organisation.id).order_by(Organisation.id)).all():
        if not _claim(organisation_id, now, respect_claims):
            continue
        organisation = db.session.get_one(Organisation, organisation_id)
        cohorts = db.session.scalars(select(Cohort).where(Cohort.organisation_id == organisation_id)).all()
        for cohort in cohorts:
            due = deadlines(cohort)
            sessions = people = None
            if due.records is not None and due.records <= now and cohort.records_deleted_at is None:
                sessions = delete_records(cohort, now)
                outcome.records.append(cohort.name)
                outcome.sessions += sessions
            if due.journals is not None and due.journals <= now and cohort.journals_deleted_at is None:
                people = delete_journals(cohort, now)
                outcome.journals.append(cohort.name)
                outcome.participants += people
            if sessions is not None or people is not None:
                details = {"sessions_deleted": sessions, "participants_deleted": people}
                audit.record(
                    None,
                    "retention.run",
                    cohort_id=cohort.id,
                    target=cohort.name,
                    details={key: value for key, value in details.items() if value is not None},
                    organisation_id=organisation_id,
                )
        outcome.audit_entries += audit.delete_older_than(organisation_id, audit.retention_cutoff(organisation, now))
    return outcome


def run_and_scrub(app: Flask, now: datetime, *, respect_claims: bool = True) -> Outcome:
    """One whole run: delete, commit, then clear the old versions out of the database files."""
    with app.app_context():
        try:
            outcome = run_retention(now, respect_claims=respect_claims)
            commit()
        except Exception:
            rollback()
            raise
        if outcome.tables:
            scrub.scrub(app, outcome.tables)
        return outcome


def start_retention_job(app: Flask) -> None:
    """Run retention in the background every `MEND_RETENTION_SECONDS`, in every process (the claim
    keeps two from working on one organisation at once)."""

    def run() -> None:
        while True:
            socketio.sleep(app.config["MEND_RETENTION_SECONDS"])
            try:
                outcome = run_and_scrub(app, datetime.now(UTC))
                if outcome.records or outcome.journals:
                    log.info(
                        "retention: deleted %d session(s) and %d participant(s)",
                        outcome.sessions,
                        outcome.participants,
                    )
            except Exception:
                log.exception("retention failed; retrying at the next run")

    socketio.start_background_task(run)
