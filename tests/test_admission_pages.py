"""Who is in the room, from the cohort's page between sessions (issue 17): enrolment, the waiting
room, letting someone in and removing someone, in process."""

from sqlalchemy import select

from extensions import db
from facilitation.cohorts import join_cohort
from facilitation.models import Cohort, Participant
from sessions.journal import operations as journal
from sessions.journal.models import JournalEntry, JournalKey
from tests.conftest import csrf_token


def join(app, cohort_id: int, name: str) -> int:
    with app.app_context():
        participant, _secret = join_cohort(db.session.get_one(Cohort, cohort_id), name)
        db.session.commit()
        return participant.id


def test_closing_enrolment_and_the_waiting_room_from_the_cohort_page(app, signed_in, make_cohort):
    client, user = signed_in
    cohort = make_cohort(user)
    token = csrf_token(client, f"/cohorts/{cohort.id}")
    answer = client.post(
        f"/cohorts/{cohort.id}/enrolment", data={"csrf_token": token, "enrolment_open": "y", "waiting_room": "y"}
    )
    assert answer.status_code == 302
    bo = join(app, cohort.id, "Bo")
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert "waiting to be let in" in page and "Let in" in page
    answer = client.post(f"/cohorts/{cohort.id}/participants/{bo}/admit", data={"csrf_token": token})
    assert answer.status_code == 302
    with app.app_context():
        assert db.session.get_one(Participant, bo).admitted_at is not None

    client.post(f"/cohorts/{cohort.id}/enrolment", data={"csrf_token": token})
    join_page = client.get(f"/j/{cohort.join_code}").get_data(as_text=True)
    assert "This group is not taking new members" in join_page
    with app.app_context():
        assert not db.session.get_one(Cohort, cohort.id).enrolment_open


def test_removing_someone_from_the_cohort_page_deletes_their_place_and_journal(app, signed_in, make_cohort):
    client, user = signed_in
    cohort = make_cohort(user)
    ash = join(app, cohort.id, "Ash")
    with app.app_context():
        journal.save_entry(db.session.get_one(Participant, ash), kind="free", title="", text="only mine", fields=None)
        db.session.commit()
    confirm = client.get(f"/cohorts/{cohort.id}/participants/{ash}/remove").get_data(as_text=True)
    assert "Remove Ash from" in confirm and "journal for this group is deleted" in confirm
    token = csrf_token(client, f"/cohorts/{cohort.id}/participants/{ash}/remove")
    # Without its token the form changes nothing.
    assert client.post(f"/cohorts/{cohort.id}/participants/{ash}/remove").status_code == 400
    answer = client.post(f"/cohorts/{cohort.id}/participants/{ash}/remove", data={"csrf_token": token})
    assert answer.status_code == 302
    with app.app_context():
        assert db.session.get(Participant, ash) is None
        assert db.session.scalars(select(JournalEntry).where(JournalEntry.participant_id == ash)).first() is None
        assert db.session.get(JournalKey, ash) is None
    assert "Ash was removed" in client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)


def test_nobody_removes_or_admits_someone_in_a_cohort_they_do_not_run(app, client, make_user, make_cohort):
    owner, stranger = make_user(), make_user("sam@elsewhere.example", organisation="Elsewhere")
    cohort = make_cohort(owner)
    ash = join(app, cohort.id, "Ash")
    from tests.conftest import sign_in

    sign_in(client, stranger.email)
    token = csrf_token(client, "/dashboard")
    assert client.post(f"/cohorts/{cohort.id}/participants/{ash}/remove", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/cohorts/{cohort.id}/participants/{ash}/admit", data={"csrf_token": token}).status_code == 404
    with app.app_context():
        assert db.session.get(Participant, ash) is not None


def test_an_archived_cohort_opens_no_session_even_by_a_direct_post(app, signed_in, make_cohort):
    from facilitation.cohorts import archive_cohort
    from sessions.live.models import LiveSession

    client, user = signed_in
    cohort = make_cohort(user)
    token = csrf_token(client, f"/cohorts/{cohort.id}")
    with app.app_context():
        stored = db.session.get_one(Cohort, cohort.id)
        plan_id = stored.programme.sessions[0].id
        archive_cohort(stored, True)
        db.session.commit()
    answer = client.post(f"/cohorts/{cohort.id}/live", data={"csrf_token": token, "session_plan_id": plan_id})
    assert answer.status_code == 403
    assert "This cohort is archived" in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(LiveSession).where(LiveSession.cohort_id == cohort.id)).first() is None


def test_the_join_page_of_an_archived_cohort_turns_people_away_at_once(app, client, make_user, make_cohort):
    from facilitation.cohorts import archive_cohort

    cohort = make_cohort(make_user())
    with app.app_context():
        archive_cohort(db.session.get_one(Cohort, cohort.id), True)
        db.session.commit()
    page = client.get(f"/j/{cohort.join_code}").get_data(as_text=True)
    assert "This group is not taking new members" in page and 'name="display_name"' not in page
