"""The records in process, where moments can be set: arriving late and leaving early, a poll's figure
only from k answers, the calendar's neutral title and the organisation's choice to name the group."""

from datetime import UTC, datetime, timedelta

from icalendar import Calendar
from sqlalchemy import select

from extensions import db
from facilitation.models import Cohort, Participant, SessionPlan
from sessions.live.models import Attendance, LiveSession
from sessions.polls.models import Poll, PollTally
from sessions.records.exports import calendar_ics
from sessions.records.operations import cohort_record, session_report
from sessions.records.screens import trend_svg
from tests.conftest import csrf_token, sign_in

START = datetime(2026, 11, 5, 18, 30, tzinfo=UTC)


def run_week(cohort: Cohort, number: int, start: datetime, seen: dict[Participant, tuple[int, int]]) -> LiveSession:
    """An ended run of week `number`: each participant seen from `start + a` to `start + b` minutes."""
    plan = db.session.scalar(
        select(SessionPlan).where(SessionPlan.programme_id == cohort.programme_id, SessionPlan.number == number)
    )
    live = LiveSession(
        cohort=cohort,
        session_plan=plan,
        status="ended",
        started_at=start,
        ended_at=start + timedelta(minutes=90),
    )
    db.session.add(live)
    db.session.flush()
    for participant, (came, left) in seen.items():
        db.session.add(
            Attendance(
                live_session_id=live.id,
                participant_id=participant.id,
                first_seen_at=start + timedelta(minutes=came),
                last_seen_at=start + timedelta(minutes=left),
                seconds_present=(left - came) * 60,
            )
        )
    return live


def check_in(live: LiveSession, counts: dict[int, int]) -> None:
    step = next(step for step in live.session_plan.steps if step.kind == "poll")
    poll = Poll(
        live_session_id=live.id,
        step_id=step.id,
        kind="scale",
        question=step.title,
        settings=step.settings,
        status="closed",
        threshold=3,
        responded=sum(counts.values()),
    )
    db.session.add(poll)
    db.session.flush()
    db.session.add(
        PollTally(poll_id=poll.id, counts={str(k): v for k, v in counts.items()}, answers=sum(counts.values()))
    )


def people(cohort: Cohort, *names: str) -> list[Participant]:
    made = [
        Participant(
            cohort_id=cohort.id,
            display_name=name,
            name_key=name.casefold(),
            rejoin_hash=name * 8,
            consented_at=START - timedelta(days=7),
            created_at=START - timedelta(days=7),
            admitted_at=START - timedelta(days=7),
        )
        for name in names
    ]
    db.session.add_all(made)
    db.session.flush()
    return made


def test_late_arrivals_and_early_leavers_are_told_apart(app, make_user, make_cohort):
    made = make_cohort(make_user())
    with app.app_context():
        cohort = db.session.get_one(Cohort, made.id)
        ash, bo, cy = people(cohort, "Ash", "Bo", "Cy")
        live = run_week(cohort, 1, START, {ash: (-2, 90), bo: (12, 90), cy: (0, 60)})
        report = session_report(cohort, live)
        assert [(p.name, p.late, p.left_early, p.minutes) for p in report.attendance] == [
            ("Ash", False, False, 92),
            ("Bo", True, False, 78),
            ("Cy", False, True, 60),
        ]
        assert report.late == 1
        week_2 = run_week(cohort, 2, START + timedelta(weeks=1), {bo: (20, 40)})
        grid = {row.participant.display_name: [cell.label for cell in row.cells] for row in cohort_record(cohort).grid}
        assert grid == {
            "Ash": ["Came", "Missed"],
            "Bo": ["Came late", "Came late, left early"],
            "Cy": ["Came, left early", "Missed"],
        }
        assert week_2.id


def test_a_scale_below_k_has_no_figure_in_the_trend(app, make_user, make_cohort):
    made = make_cohort(make_user())
    with app.app_context():
        cohort = db.session.get_one(Cohort, made.id)
        first = run_week(cohort, 1, START, {})
        second = run_week(cohort, 2, START + timedelta(weeks=1), {})
        check_in(first, {4: 2, 6: 2})
        check_in(second, {9: 2})
        record = cohort_record(cohort)
        assert [point.check_in.mean for point in record.trend] == [5.0, None]
        assert record.trend[1].check_in.responded == 2 and record.trend[1].check_in.counts is None
        chart = trend_svg(record.trend, "trend")
        assert ">5.0<" in chart and ">9" not in chart and "no figure" in chart


def test_the_calendar_names_the_group_only_when_the_organisation_chooses(app, client, make_user, make_cohort):
    facilitator = make_user()
    admin = make_user("ada@example.org", role="admin")
    made = make_cohort(facilitator, name="Grief support, Thursdays")
    with app.app_context():
        cohort = db.session.get_one(Cohort, made.id)
        neutral = Calendar.from_ical(calendar_ics(cohort))
        assert {str(e["SUMMARY"]) for e in neutral.walk("VEVENT")} == {"Group meeting"}
        assert b"Grief" not in calendar_ics(cohort)
    sign_in(client, facilitator.email)
    page = f"/cohorts/{made.id}/record"
    refused = client.post(
        f"/cohorts/{made.id}/calendar", data={"names_group": "y", "csrf_token": csrf_token(client, page)}
    )
    assert refused.status_code == 403
    with app.app_context():
        cohort = db.session.get_one(Cohort, made.id)
        assert b"Grief" not in calendar_ics(cohort)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})
    sign_in(client, admin.email)
    chosen = client.post(
        f"/cohorts/{made.id}/calendar", data={"names_group": "y", "csrf_token": csrf_token(client, page)}
    )
    assert chosen.status_code == 302
    with app.app_context():
        cohort = db.session.get_one(Cohort, made.id)
        named = Calendar.from_ical(calendar_ics(cohort))
        assert {str(e["SUMMARY"]) for e in named.walk("VEVENT")} == {"Grief support, Thursdays"}
