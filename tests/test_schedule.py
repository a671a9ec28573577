"""A schedule that stays right: the next meeting follows what was run (a week run twice or left out),
a facilitator skips, moves or adds a meeting, the cohort form refuses a first date off the meeting day,
and the dashboard shows each cohort's status. Bad dates get a clear sentence and change nothing."""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from extensions import db
from facilitation.cohorts import meetings, next_meeting
from facilitation.models import Cohort, Programme, SessionPlan
from sessions.live.models import LiveSession
from sessions.records.models import ScheduleChange
from tests.conftest import csrf_token
from tests.test_cohorts import post_cohort_form

# Tuesday 15 December 2026, 18:00 in London: the first meeting of the group in these tests.
FIRST = date(2026, 12, 15)
BEFORE = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def tuesday_group(app, make_cohort, facilitator) -> int:
    made = make_cohort(facilitator)
    with app.app_context():
        cohort = db.session.get_one(Cohort, made.id)
        cohort.start_date, cohort.weekday, cohort.start_time = FIRST, 1, time(18, 0)
        db.session.commit()
    return made.id


def run(cohort: Cohort, week: int, at: datetime) -> None:
    plan = db.session.scalar(
        select(SessionPlan).where(SessionPlan.programme_id == cohort.programme_id, SessionPlan.number == week)
    )
    db.session.add(
        LiveSession(cohort=cohort, session_plan=plan, status="ended", opened_at=at, started_at=at, ended_at=at)
    )
    db.session.flush()


def test_the_next_meeting_follows_what_was_run(app, make_user, make_cohort):
    cohort_id = tuesday_group(app, make_cohort, make_user())
    with app.app_context():
        cohort = db.session.get_one(Cohort, cohort_id)
        assert (next_meeting(cohort, BEFORE).week, next_meeting(cohort, BEFORE).starts_at.date()) == (1, FIRST)
        # Weeks 1 and 2 run early, on 1 December (the demo): next is week 3, on the first Tuesday.
        run(cohort, 1, BEFORE)
        run(cohort, 2, BEFORE + timedelta(hours=2))
        upcoming = next_meeting(cohort, BEFORE + timedelta(hours=3))
        assert (upcoming.week, upcoming.starts_at.date()) == (3, FIRST)
        # Week 2 run again on the 15th: still week 3 next, now on the 22nd.
        run(cohort, 2, datetime(2026, 12, 15, 18, 0, tzinfo=UTC))
        upcoming = next_meeting(cohort, datetime(2026, 12, 15, 20, 0, tzinfo=UTC))
        assert (upcoming.week, upcoming.starts_at.date()) == (3, date(2026, 12, 22))
        # Week 3 left out, week 4 run on the 22nd: week 5 on the 29th.
        run(cohort, 4, datetime(2026, 12, 22, 18, 0, tzinfo=UTC))
        upcoming = next_meeting(cohort, datetime(2026, 12, 22, 20, 0, tzinfo=UTC))
        assert (upcoming.week, upcoming.starts_at.date()) == (5, date(2026, 12, 29))
        weeks = [meeting.week for meeting in meetings(cohort)]
        assert weeks == [1, 2, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12]


def change(client, cohort_id: int, **fields):
    page = f"/cohorts/{cohort_id}/record"
    return client.post(f"/cohorts/{cohort_id}/schedule", data={**fields, "csrf_token": csrf_token(client, page)})


def dates(app, cohort_id: int) -> list[tuple[int, date]]:
    with app.app_context():
        cohort = db.session.get_one(Cohort, cohort_id)
        return [(meeting.week, meeting.starts_at.date()) for meeting in meetings(cohort)][:4]


def test_skip_move_and_add_a_meeting(app, signed_in, make_cohort):
    client, user = signed_in
    cohort_id = tuesday_group(app, make_cohort, user)
    assert change(client, cohort_id, action="skip", regular_date="2026-12-22").status_code == 302
    assert dates(app, cohort_id) == [(1, FIRST), (2, date(2026, 12, 29)), (3, date(2027, 1, 5)), (4, date(2027, 1, 12))]
    moved = change(client, cohort_id, action="move", regular_date="2026-12-29", new_date="2026-12-30", new_time="19:30")
    assert moved.status_code == 302
    with app.app_context():
        cohort = db.session.get_one(Cohort, cohort_id)
        second = meetings(cohort)[1]
        assert (second.week, second.starts_at.day, second.starts_at.hour, second.status) == (2, 30, 19, "moved")
    added = change(client, cohort_id, action="add", new_date="2026-12-18", new_time="10:00")
    assert added.status_code == 302
    assert dates(app, cohort_id)[:3] == [(1, FIRST), (2, date(2026, 12, 18)), (3, date(2026, 12, 30))]
    page = client.get(f"/cohorts/{cohort_id}/record").get_data(as_text=True)
    assert "(moved)" in page and "(added)" in page


def test_bad_schedule_changes_get_a_clear_error_and_change_nothing(app, signed_in, make_cohort, make_user):
    client, user = signed_in
    cohort_id = tuesday_group(app, make_cohort, user)
    before = dates(app, cohort_id)
    refused = [
        (change(client, cohort_id, action="skip", regular_date="2026-12-23"), "does not meet on Wednesday"),
        (change(client, cohort_id, action="skip", regular_date="9999-12-22"), "too far"),
        (change(client, cohort_id, action="skip", regular_date="2026-13-45"), "could not be read"),
        (change(client, cohort_id, action="skip", regular_date="99999999-01-01"), "could not be read"),
        (change(client, cohort_id, action="move", regular_date="2026-12-22"), "new date and time"),
        (change(client, cohort_id, action="add", new_date="2031-01-01", new_time="10:00"), "too far"),
        (change(client, cohort_id, action="cancel", regular_date="2026-12-22"), "could not be read"),
    ]
    for response, words in refused:
        assert response.status_code == 400 and words in response.get_data(as_text=True), words
    assert change(client, cohort_id, action="skip", regular_date="2026-12-22").status_code == 302
    again = change(client, cohort_id, action="skip", regular_date="2026-12-22")
    assert again.status_code == 400 and "already skipped or moved" in again.get_data(as_text=True)
    other = make_cohort(make_user("else@example.org", organisation="Elsewhere"))
    assert change(client, other.id, action="skip", regular_date="2026-11-05").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ScheduleChange)) == 1
    assert dates(app, cohort_id) != before  # the one good skip, and nothing else


def course_id(app) -> int:
    with app.app_context():
        return db.session.scalars(select(Programme.id).where(Programme.organisation_id.is_(None))).one()


def test_the_cohort_form_refuses_a_first_date_off_the_meeting_day(app, signed_in):
    client, user = signed_in
    fields = dict(name="Tuesday group", programme=course_id(app), facilitators=[user.id], start_time="19:00")
    fields.update(timezone="Europe/London", weekday=1)
    response = post_cohort_form(client, start_date="2026-12-09", **fields)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Wednesday 9 December 2026 is not a Tuesday" in page
    assert "Tuesday 8 December or Tuesday 15 December" in page
    for bad in ("19999-12-08", "2026-02-30"):
        assert post_cohort_form(client, start_date=bad, **fields).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Cohort)) == 0
    assert post_cohort_form(client, start_date="2026-12-15", **fields).status_code == 302


def test_the_dashboard_shows_live_now_last_run_and_attention(app, signed_in, make_cohort):
    client, user = signed_in
    cohort_id = tuesday_group(app, make_cohort, user)
    with app.app_context():
        cohort = db.session.get_one(Cohort, cohort_id)
        run(cohort, 1, BEFORE)
        db.session.commit()
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Last run:" in page and "week 1, 01 Dec" in page and "Next: <strong>Week 2 of 12" in page
    assert "Live now" not in page
