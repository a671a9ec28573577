"""Each process keeps the cohorts its join and group pages show (facilitation/kept_cohorts.py): an edit
made through one process shows on the next page another process serves, with two app instances on
one database, as two processes behind a proxy would have them."""

from pathlib import Path

import pytest
from sqlalchemy import select

from app import create_app
from extensions import db
from facilitation.models import Cohort, CohortRevision, Organisation, Participant, User
from tests.conftest import app_config, csrf_token


@pytest.fixture
def other(app):
    """A second process on the same database, with its own kept cohorts."""
    second = create_app(app_config(Path(app.instance_path)))
    yield second
    with second.app_context():
        db.engine.dispose()


def revision(app) -> int:
    with app.app_context():
        return db.session.scalar(select(CohortRevision.revision))


def join(client, code: str, name: str):
    url = f"/j/{code}"
    return client.post(url, data={"display_name": name, "agree": "y", "csrf_token": csrf_token(client, url)})


def test_the_cohort_edited_in_one_process_shows_on_the_join_page_of_another(
    app, other, signed_in, make_user, make_cohort
):
    facilitator, fran = signed_in
    sam = make_user("sam@example.org")
    cohort = make_cohort(fran)
    arriving = other.test_client()
    assert "Thursday group" in arriving.get(f"/j/{cohort.join_code}").get_data(as_text=True)

    url = f"/cohorts/{cohort.id}/edit"
    form = {"name": "Tuesday circle", "facilitators": [fran.id], "start_date": "2026-11-03", "weekday": "1"}
    form |= {"start_time": "19:00", "timezone": "Europe/London", "meeting_place": ""}
    assert facilitator.post(url, data={**form, "csrf_token": csrf_token(facilitator, url)}).status_code == 302
    page = arriving.get(f"/j/{cohort.join_code}").get_data(as_text=True)
    assert "Tuesday circle" in page and "Thursday group" not in page and "with Fran." in page
    # A co-facilitator: a change of the cohort's facilitators only, not of its own row.
    form["facilitators"] = [fran.id, sam.id]
    assert facilitator.post(url, data={**form, "csrf_token": csrf_token(facilitator, url)}).status_code == 302
    assert "with Fran and Sam." in arriving.get(f"/j/{cohort.join_code}").get_data(as_text=True)

    # Bo opened the join page while the group was open; it closes before Bo posts a name.
    bo, url = other.test_client(), f"/j/{cohort.join_code}"
    form = {"display_name": "Bo", "agree": "y", "csrf_token": csrf_token(bo, url)}
    token = csrf_token(facilitator, f"/cohorts/{cohort.id}")
    facilitator.post(f"/cohorts/{cohort.id}/enrolment", data={"csrf_token": token})
    assert "This group is not taking new members" in arriving.get(url).get_data(as_text=True)
    assert bo.post(url, data=form).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Participant).where(Participant.cohort_id == cohort.id)) is None


def test_a_facilitators_new_name_and_the_organisations_quick_exit_reach_the_other_process(
    app, other, make_user, make_cohort
):
    fran = make_user()
    cohort = make_cohort(fran)
    arriving = other.test_client()
    assert join(arriving, cohort.join_code, "Bo").status_code == 302
    group_page = f"/g/{cohort.public_id}"
    assert "Our group agreement" in arriving.get(group_page).get_data(as_text=True)
    before = revision(app)

    with app.app_context():
        db.session.get_one(User, fran.id).name = "Frances"
        db.session.get_one(Organisation, fran.organisation_id).quick_exit_url = "https://www.example.org/weather"
        db.session.commit()
    assert revision(app) > before
    page = other.test_client().get(f"/j/{cohort.join_code}").get_data(as_text=True)
    assert "with Frances." in page and 'data-exit-url="https://www.example.org/weather"' in page
    assert 'data-exit-url="https://www.example.org/weather"' in arriving.get(group_page).get_data(as_text=True)


def test_arrivals_change_nothing_the_pages_keep(app, client, make_user, make_cohort):
    """Joining and coming back read the kept cohort; only edits move the revision (an arrival that
    moved it would empty every process's cache at each arrival)."""
    cohort = make_cohort(make_user())
    before = revision(app)
    assert join(client, cohort.join_code, "Bo").status_code == 302
    assert client.get(f"/g/{cohort.public_id}?welcome=1").status_code == 200
    assert client.get(f"/j/{cohort.join_code}").status_code == 302
    assert revision(app) == before
    with app.app_context():
        assert db.session.get_one(Cohort, cohort.id).name == "Thursday group"
