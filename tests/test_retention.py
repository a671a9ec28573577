"""Retention with a clock the test controls: nothing goes before its period, participants are told
before their journal goes, the records and then the journals go after their periods, the audit
trail records each run, a second run or a second process deletes nothing twice, and nothing of what
went is left in any database file (searched as tests/forensics.py reads them)."""

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from extensions import db
from facilitation import retention
from facilitation.models import AuditEntry, Cohort, Organisation, Participant
from sessions.journal import operations as journal
from sessions.journal.models import JournalEntry, JournalKey
from sessions.live.models import Attendance, LiveSession
from sessions.records.models import SessionNote
from tests import forensics
from tests.conftest import csrf_token, sign_in
from tests.test_records import START, people, run_week


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def set_policy(app, organisation_id: int, records: int | None, journals: int | None, notice: int = 14) -> None:
    with app.app_context():
        organisation = db.session.get(Organisation, organisation_id)
        organisation.records_kept_days, organisation.journals_kept_days = records, journals
        organisation.retention_notice_days = notice
        db.session.commit()


def a_finished_cohort(app, make_user, make_cohort, name: str) -> tuple[int, int, datetime, dict]:
    """A cohort that ran week 1 with `name` there, a session note and a journal entry; (organisation id,
    cohort id, its last meeting, the needles a copy of the files must not hold once deleted)."""
    fran = make_user()
    made = make_cohort(fran)
    note = f"note-{uuid.uuid4().hex} about the harbour"
    with app.app_context():
        cohort = db.session.get(Cohort, made.id)
        (person, other) = people(cohort, name, "Bo")
        live = run_week(cohort, 1, START, {person: (0, 90), other: (5, 80)})
        db.session.add(SessionNote(live_session_id=live.id, text=note, revision=1))
        journal.save_entry(person, kind="free", text="private words")
        db.session.commit()
        wrapped = bytes(db.session.scalar(select(JournalKey.wrapped_key).where(JournalKey.participant_id == person.id)))
        last = retention.last_meeting(cohort)
    return made.organisation_id, made.id, last, {"name": name, "note": note, "wrapped key": wrapped}


def test_records_then_journals_go_after_their_periods_and_nothing_is_left_in_the_files(app, make_user, make_cohort):
    name = f"Wren {uuid.uuid4().hex[:10]}"
    organisation_id, cohort_id, last, needles = a_finished_cohort(app, make_user, make_cohort, name)
    set_policy(app, organisation_id, records=30, journals=90, notice=14)
    instance = Path(app.instance_path)
    assert last is not None and last > START  # the weeks still planned count: the last one
    for label, needle in needles.items():
        assert forensics.search_files(instance, needle), f"the search finds the {label} before"

    with app.app_context():
        # Before the period: nothing goes, and participants are not told yet.
        outcome = retention.run_retention(last + timedelta(days=29))
        db.session.commit()
        assert not outcome.records and count(LiveSession) == 1
        person = db.session.scalar(select(Participant).where(Participant.display_name == name))
        assert retention.notice_for(person, last + timedelta(days=10)) is None
        # Within the notice: told when the records, then the journal, go.
        soon = retention.notice_for(person, last + timedelta(days=20))
        assert soon.records_on == last + timedelta(days=30) and soon.journal_on is None
        later = retention.notice_for(person, last + timedelta(days=80))
        assert later.journal_on == last + timedelta(days=90)

    records_day = last + timedelta(days=31)
    outcome = retention.run_and_scrub(app, records_day)
    assert outcome.records == ["Thursday group"] and outcome.sessions == 1 and not outcome.journals
    with app.app_context():
        assert count(LiveSession) == count(Attendance) == count(SessionNote) == 0
        assert count(Participant) == 2 and count(JournalEntry) == 1  # their own period is longer
        cohort = db.session.get(Cohort, cohort_id)
        assert cohort.records_deleted_at is not None and retention.last_meeting(cohort) == last
        # Run again, by this process or another: nothing is deleted twice.
        assert not retention.run_retention(records_day, respect_claims=False).records
        db.session.commit()

    journals_day = last + timedelta(days=91)
    outcome = retention.run_and_scrub(app, journals_day)
    assert outcome.journals == ["Thursday group"] and outcome.participants == 2
    with app.app_context():
        assert count(Participant) == count(JournalEntry) == count(JournalKey) == 0
        runs = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "retention.run")).all()
        assert [(entry.cohort_id, entry.actor_id, entry.details) for entry in runs] == [
            (cohort_id, None, {"sessions_deleted": 1}),
            (cohort_id, None, {"participants_deleted": 2}),
        ]
        assert name not in repr([(entry.target, entry.details) for entry in runs])
        db.engine.dispose()
    found = {label: forensics.search_files(instance, needle)[:3] for label, needle in needles.items()}
    assert not any(found.values()), f"still readable in the files after retention: {found}"


def test_no_policy_keeps_everything_and_one_process_at_a_time_works_on_an_organisation(app, make_user, make_cohort):
    organisation_id, _, last, _ = a_finished_cohort(app, make_user, make_cohort, "Ash")
    far = last + timedelta(days=10_000)
    with app.app_context():
        assert not retention.run_retention(far).records and count(LiveSession) == 1
        db.session.commit()
    set_policy(app, organisation_id, records=1, journals=None)
    with app.app_context():
        # Another process claimed the organisation a minute ago: this one leaves it alone.
        db.session.get(Organisation, organisation_id).retention_claimed_until = far + retention.CLAIM
        db.session.commit()
        assert not retention.run_retention(far).records and count(LiveSession) == 1
        db.session.rollback()
        # Once the claim has lapsed, the next run does the work.
        assert retention.run_retention(far + retention.CLAIM + timedelta(seconds=1)).records
        db.session.commit()
        assert count(LiveSession) == 0 and count(Participant) == 2


def test_the_command_for_cron_deletes_and_says_what(app, runner, make_user, make_cohort):
    organisation_id, _, _, _ = a_finished_cohort(app, make_user, make_cohort, "Ash")
    set_policy(app, organisation_id, records=None, journals=None)
    assert runner.invoke(args=["mend", "retention"]).output == "Nothing is past its retention period.\n"
    set_policy(app, organisation_id, records=1, journals=2)
    with app.app_context():
        # The same cohort run a year earlier: its last week was in March 2026, this command's clock is now.
        cohort = db.session.scalars(select(Cohort)).one()
        cohort.start_date = date(2026, 1, 8)
        run = db.session.scalars(select(LiveSession)).one()
        run.started_at, run.ended_at = datetime(2026, 1, 8, 18, 30, tzinfo=UTC), datetime(2026, 1, 8, 20, 0, tzinfo=UTC)
        db.session.commit()
        assert retention.last_meeting(cohort) < datetime(2026, 4, 1, tzinfo=UTC)
    result = runner.invoke(args=["mend", "retention"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Deleted the reports and attendance of 1 cohort(s): 1 session(s).\n"
        "Deleted the journals and places of 1 cohort(s): 2 participant(s).\n"
    )
    with app.app_context():
        assert count(LiveSession) == count(Participant) == 0


def test_a_participant_is_told_on_their_page_before_their_journal_goes(app, client, make_user, make_cohort):
    fran = make_user()
    made = make_cohort(fran)
    token = csrf_token(client, f"/j/{made.join_code}")
    joined = client.post(f"/j/{made.join_code}", data={"display_name": "Ash", "agree": "y", "csrf_token": token})
    assert joined.status_code == 302
    page = client.get(f"/g/{made.public_id}").get_data(as_text=True)
    assert "Keeping what you wrote" not in page
    with app.app_context():
        cohort = db.session.get(Cohort, made.id)
        # Its twelve weeks ended about ten weeks ago (the clock here is the real one: it is the page).
        today = datetime.now(UTC).date()
        start = today - timedelta(weeks=22)
        cohort.start_date = start + timedelta(days=(cohort.weekday - start.weekday()) % 7)
        organisation = db.session.get(Organisation, made.organisation_id)
        organisation.journals_kept_days, organisation.retention_notice_days = 80, 14
        db.session.commit()
        due = retention.deadlines(cohort).journals
    assert datetime.now(UTC) < due < datetime.now(UTC) + timedelta(days=14)
    page = client.get(f"/g/{made.public_id}").get_data(as_text=True)
    assert "Keeping what you wrote" in page and f"{due:%B %Y}" in page and "Export my journal" in page
    assert "Keeping what you wrote" in client.get(f"/g/{made.public_id}/journal").get_data(as_text=True)
    # Facilitators' pages never carry it.
    sign_in(client, fran.email)
    remove = client.get(f"/cohorts/{made.id}").get_data(as_text=True)
    assert "Keeping what you wrote" not in remove
