"""Facilitator pages: dashboard, programme browser, creating cohorts, join codes, and isolation."""

from datetime import UTC, date, datetime, time

from sqlalchemy import select

from extensions import db
from facilitation.cohorts import meetings, next_meeting
from facilitation.models import Cohort, Programme
from tests.conftest import csrf_token, sign_in


def course_id(app) -> int:
    with app.app_context():
        return db.session.scalars(select(Programme.id).where(Programme.organisation_id.is_(None))).one()


def test_dashboard_lists_my_cohorts_with_week_and_next_date(signed_in, make_cohort):
    client, user = signed_in
    make_cohort(user)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Thursday group" in page
    assert "of 12</strong>" in page
    assert "Thursday" in page and "18:30" in page


def test_programme_browser_shows_every_session_step_and_presenter_notes(app, signed_in):
    client, _ = signed_in
    assert "Repairing attachment injuries" in client.get("/programmes").get_data(as_text=True)
    page = client.get(f"/programmes/{course_id(app)}").get_data(as_text=True)
    assert page.count('class="session-plan"') == 12
    assert "Presenter notes" in page
    for kind in ("Slide", "Poll", "Breakout", "Reflection"):
        assert f'<span class="kind">{kind}</span>' in page


def post_cohort_form(client, **fields):
    """Submit the new-cohort form as a facilitator would, with `fields` as typed."""
    return client.post("/cohorts/new", data={"csrf_token": csrf_token(client, "/cohorts/new"), **fields})


def test_create_a_cohort_from_the_built_in_course(app, signed_in):
    client, user = signed_in
    response = post_cohort_form(
        client,
        name="Wednesday circle",
        programme=course_id(app),
        facilitators=[user.id],
        start_date="2026-12-02",
        weekday=2,
        start_time="19:00",
        timezone="America/Toronto",
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Wednesday circle" in page
    assert "<svg" in page  # the QR code, inline
    with app.app_context():
        cohort = db.session.scalar(select(Cohort).where(Cohort.name == "Wednesday circle"))
        assert cohort.display_code in page
        assert f"/j/{cohort.join_code}" in page
        assert [f.email for f in cohort.facilitators] == [user.email]
        assert meetings(cohort)[0].starts_at == datetime(2026, 12, 2, 19, 0, tzinfo=cohort_zone(cohort))


def cohort_zone(cohort):
    from zoneinfo import ZoneInfo

    return ZoneInfo(cohort.timezone)


def test_a_cohort_form_with_bad_values_creates_nothing(app, signed_in):
    client, user = signed_in
    response = post_cohort_form(
        client,
        name="",
        programme=99999,
        facilitators=[user.id],
        start_date="not a date",
        weekday=9,
        start_time="25:99",
        timezone="Mars/Olympus",
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Cohort)) == 0


def test_qr_code_and_printable_invitation(signed_in, make_cohort):
    client, user = signed_in
    cohort = make_cohort(user)
    svg = client.get(f"/cohorts/{cohort.id}/qr.svg")
    assert svg.status_code == 200
    assert svg.mimetype == "image/svg+xml"
    assert svg.get_data(as_text=True).startswith("<svg")
    invitation = client.get(f"/cohorts/{cohort.id}/invitation").get_data(as_text=True)
    assert "You are invited to Thursday group" in invitation
    assert f"/j/{cohort.join_code}" in invitation


def test_regenerating_the_code_retires_the_old_one_once(app, signed_in, make_cohort):
    client, user = signed_in
    cohort = make_cohort(user)
    page_token = csrf_token(client, f"/cohorts/{cohort.id}")
    form = {"csrf_token": page_token, "current_code": cohort.join_code}
    client.post(f"/cohorts/{cohort.id}/code", data=form)
    with app.app_context():
        first_new = db.session.get(Cohort, cohort.id).join_code
    assert first_new != cohort.join_code
    assert client.get(f"/j/{cohort.join_code}").status_code == 404
    # A second click from the same (now stale) page changes nothing.
    response = client.post(f"/cohorts/{cohort.id}/code", data=form, follow_redirects=True)
    assert "already changed" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Cohort, cohort.id).join_code == first_new


def test_editing_the_group_agreement(app, signed_in, make_cohort):
    client, user = signed_in
    cohort = make_cohort(user)
    token = csrf_token(client, f"/cohorts/{cohort.id}")
    client.post(
        f"/cohorts/{cohort.id}/agreement", data={"csrf_token": token, "agreement_md": "- Be kind <script>x</script>"}
    )
    page = client.get(f"/j/{cohort.join_code}").get_data(as_text=True)
    assert "Be kind" in page
    assert "<script>x" not in page
    too_long = client.post(
        f"/cohorts/{cohort.id}/agreement", data={"csrf_token": token, "agreement_md": "x" * 5001}, follow_redirects=True
    )
    assert "was not saved" in too_long.get_data(as_text=True)


def test_another_organisations_cohort_is_not_found(app, client, make_user, make_cohort):
    theirs = make_cohort(make_user("other@elsewhere.org", organisation="Elsewhere"), name="Their group")
    me = make_user("fran@example.org", organisation="Harbour Counselling", role="admin")
    sign_in(client, me.email)
    token = csrf_token(client, "/dashboard")
    for url in (f"/cohorts/{theirs.id}", f"/cohorts/{theirs.id}/qr.svg", f"/cohorts/{theirs.id}/invitation"):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            f"/cohorts/{theirs.id}/code", data={"csrf_token": token, "current_code": theirs.join_code}
        ).status_code
        == 404
    )
    assert (
        client.post(f"/cohorts/{theirs.id}/agreement", data={"csrf_token": token, "agreement_md": "x"}).status_code
        == 404
    )
    assert "Their group" not in client.get("/dashboard").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Cohort, theirs.id).join_code == theirs.join_code


def test_another_organisations_programme_is_not_found(app, signed_in, make_user):
    client, _ = signed_in
    other = make_user("other@elsewhere.org", organisation="Elsewhere")
    with app.app_context():
        private = Programme(
            organisation_id=other.organisation_id, slug="theirs", title="Their course", content_hash="x"
        )
        db.session.add(private)
        db.session.commit()
        private_id = private.id
    assert client.get(f"/programmes/{private_id}").status_code == 404
    assert "Their course" not in client.get("/programmes").get_data(as_text=True)


def test_a_facilitator_sees_only_cohorts_they_run_but_an_admin_sees_all(app, client, make_user, make_cohort):
    colleague = make_user("colleague@example.org")
    cohort = make_cohort(colleague, name="Colleague group")
    facilitator = make_user("fran@example.org")
    admin = make_user("boss@example.org", role="admin")
    sign_in(client, facilitator.email)
    assert client.get(f"/cohorts/{cohort.id}").status_code == 404
    admin_client = app.test_client()
    sign_in(admin_client, admin.email)
    assert admin_client.get(f"/cohorts/{cohort.id}").status_code == 200
    assert "Colleague group" in admin_client.get("/dashboard").get_data(as_text=True)


def test_next_meeting_moves_on_after_each_session(app, make_user, make_cohort):
    cohort_ref = make_cohort(make_user())
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_ref.id)
        cohort.start_date, cohort.weekday, cohort.start_time = date(2026, 11, 2), 3, time(18, 30)
        # Nov 2 2026 is a Monday; the first Thursday is Nov 5.
        assert next_meeting(cohort, datetime(2026, 11, 1, tzinfo=UTC)).week == 1
        assert next_meeting(cohort, datetime(2026, 11, 5, 18, 0, tzinfo=UTC)).starts_at.day == 5
        # During week 1 (18:30-20:00 London time) it is still the next meeting; afterwards, week 2.
        assert next_meeting(cohort, datetime(2026, 11, 5, 19, 0, tzinfo=UTC)).week == 1
        assert next_meeting(cohort, datetime(2026, 11, 5, 20, 30, tzinfo=UTC)).week == 2
        assert next_meeting(cohort, datetime(2027, 6, 1, tzinfo=UTC)) is None


def test_opening_a_session_without_choosing_one_explains_and_changes_nothing(signed_in, make_cohort):
    client, user = signed_in
    cohort = make_cohort(user)
    token = csrf_token(client, f"/cohorts/{cohort.id}")
    response = client.post(f"/cohorts/{cohort.id}/live", data={"csrf_token": token, "session_plan_id": "nine"})
    assert response.status_code == 400
    assert "Choose one of the session plans to open. Nothing was changed." in response.get_data(as_text=True)
    assert "Open in the lobby" in client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)


def test_a_page_refusal_asked_for_as_json_names_its_code(signed_in, make_cohort):
    client, user = signed_in
    cohort = make_cohort(user)
    token = csrf_token(client, f"/cohorts/{cohort.id}")
    as_json = {"Accept": "application/json"}
    missing = client.post(f"/cohorts/{cohort.id}/live", data={"csrf_token": token}, headers=as_json)
    assert (missing.status_code, missing.get_json()["code"]) == (400, "bad_request")
    expired = client.post(f"/cohorts/{cohort.id}/live", data={"session_plan_id": "1"}, headers=as_json)
    assert (expired.status_code, expired.get_json()["code"]) == (400, "form_expired")
    elsewhere = client.get(f"/cohorts/{cohort.id + 1000}", headers=as_json)
    assert (elsewhere.status_code, elsewhere.get_json()["code"]) == (404, "not_found")
