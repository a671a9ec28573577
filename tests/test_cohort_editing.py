"""Editing a cohort (name, schedule, facilitators, meeting place) and archiving it, in process; the
co-facilitator added mid-course is tested on a real server in tests/test_cohort_editing_live.py."""

from datetime import date, time

from sqlalchemy import select

from extensions import db
from facilitation.models import AuditEntry, Cohort
from tests.conftest import csrf_token, sign_in


def edit(client, cohort_id: int, **fields):
    defaults = {
        "name": "Thursday group",
        "facilitators": [],
        "start_date": "2026-11-05",
        "weekday": "3",
        "start_time": "18:30",
        "timezone": "Europe/London",
        "meeting_place": "",
    }
    url = f"/cohorts/{cohort_id}/edit"
    return client.post(url, data={**defaults, **fields, "csrf_token": csrf_token(client, url)})


def cohort_row(app, cohort_id: int) -> dict:
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        return {
            "name": cohort.name,
            "start_date": cohort.start_date,
            "weekday": cohort.weekday,
            "start_time": cohort.start_time,
            "timezone": cohort.timezone,
            "meeting_place": cohort.meeting_place,
            "facilitators": sorted(f.id for f in cohort.facilitators),
            "archived": cohort.is_archived,
        }


def test_a_facilitator_edits_name_schedule_place_and_team_and_the_trail_says_so(app, signed_in, make_user, make_cohort):
    client, fran = signed_in
    sam = make_user("sam@example.org")
    made = make_cohort(fran)
    page = client.get(f"/cohorts/{made.id}/edit").get_data(as_text=True)
    assert 'data-picker="multiple"' in page and "Hold Ctrl" not in page
    assert "Factory" not in page and "localtime" not in page and "EST5EDT" not in page

    response = edit(
        client,
        made.id,
        name="Tuesday circle",
        facilitators=[fran.id, sam.id],
        start_date="2026-11-03",
        weekday="1",
        start_time="19:00",
        timezone="America/Toronto",
        meeting_place="https://meet.example.org/tuesday-circle",
    )
    assert response.status_code == 302
    assert cohort_row(app, made.id) == {
        "name": "Tuesday circle",
        "start_date": date(2026, 11, 3),
        "weekday": 1,
        "start_time": time(19, 0),
        "timezone": "America/Toronto",
        "meeting_place": "https://meet.example.org/tuesday-circle",
        "facilitators": sorted([fran.id, sam.id]),
        "archived": False,
    }
    page = client.get(f"/cohorts/{made.id}").get_data(as_text=True)
    assert "Tuesday circle" in page and "https://meet.example.org/tuesday-circle" in page
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "cohort.edit")).one()
        assert entry.actor_id == fran.id and entry.cohort_id == made.id
        assert entry.details["name"] == ["Thursday group", "Tuesday circle"]
        assert entry.details["facilitators"] == [[fran.id], sorted([fran.id, sam.id])]
    # The colleague added now has the cohort on their dashboard and may open it.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})
    sign_in(client, sam.email)
    assert "Tuesday circle" in client.get("/dashboard").get_data(as_text=True)
    assert client.get(f"/cohorts/{made.id}").status_code == 200


def test_bad_edits_say_what_is_wrong_and_change_nothing(app, signed_in, make_user, make_cohort):
    client, fran = signed_in
    outsider = make_user("olu@example.org", organisation="Elsewhere")
    made = make_cohort(fran)
    before = cohort_row(app, made.id)
    cases = [
        ({"name": ""}, "This field is required"),
        ({"facilitators": []}, "Choose at least one facilitator"),
        ({"facilitators": [outsider.id]}, "not a valid choice"),
        ({"timezone": "Factory"}, "not a valid choice"),
        ({"timezone": "localtime"}, "not a valid choice"),
        ({"start_date": "2026-11-04"}, "is not a Thursday"),
        ({"meeting_place": "x" * 501}, "500"),
    ]
    for fields, error in cases:
        response = edit(client, made.id, **{"facilitators": [fran.id], **fields})
        assert response.status_code == 400, fields
        assert error.lower() in response.get_data(as_text=True).lower(), fields
        assert cohort_row(app, made.id) == before, fields


def test_an_archived_cohort_is_read_only_off_the_dashboard_and_only_an_admin_brings_it_back(
    app, client, make_user, make_cohort
):
    fran = make_user()
    admin = make_user("ada@example.org", role="admin")
    made = make_cohort(fran)
    sign_in(client, fran.email)
    url = f"/cohorts/{made.id}/edit"
    assert (
        client.post(
            f"/cohorts/{made.id}/archive", data={"archive": "1", "csrf_token": csrf_token(client, url)}
        ).status_code
        == 302
    )
    assert cohort_row(app, made.id)["archived"]
    assert "is archived" in client.get(f"/cohorts/{made.id}").get_data(as_text=True)  # the flash, shown once
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "My cohorts" in dashboard and 'id="archived-title"' in dashboard
    assert dashboard.count("Thursday group") == 1  # only under "Archived"
    # Read-only: no edit form, and changes are refused with a sentence.
    assert "Save changes" not in client.get(url).get_data(as_text=True)
    refused = client.post(
        f"/cohorts/{made.id}/code",
        data={"current_code": made.join_code, "csrf_token": csrf_token(client, f"/cohorts/{made.id}/edit")},
    )
    assert refused.status_code == 403 and "archived" in refused.get_data(as_text=True)
    # Nobody joins with its code.
    newcomer = app.test_client()
    door = newcomer.get(f"/j/{made.join_code}").get_data(as_text=True)
    assert "not taking new members" in door and 'name="display_name"' not in door
    token = csrf_token(newcomer, "/")
    joined = newcomer.post(f"/j/{made.join_code}", data={"display_name": "Ash", "agree": "y", "csrf_token": token})
    assert joined.status_code == 400 and "not taking new members" in joined.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Cohort, made.id).participants == []
    # A facilitator cannot bring it back; an administrator can.
    back = client.post(f"/cohorts/{made.id}/archive", data={"archive": "0", "csrf_token": csrf_token(client, url)})
    assert back.status_code == 403 and cohort_row(app, made.id)["archived"]
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})
    sign_in(client, admin.email)
    back = client.post(f"/cohorts/{made.id}/archive", data={"archive": "0", "csrf_token": csrf_token(client, url)})
    assert back.status_code == 302 and not cohort_row(app, made.id)["archived"]
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert [a for a in actions if a.startswith("cohort.")] == ["cohort.archive", "cohort.unarchive"]


def test_the_new_cohort_form_offers_the_short_zone_list_and_the_organisations_defaults(app, signed_in):
    client, fran = signed_in
    page = client.get("/cohorts/new").get_data(as_text=True)
    assert 'data-picker="single"' in page and 'data-picker="multiple"' in page
    assert '<optgroup label="Likely">' in page
    likely = page.split('<optgroup label="Likely">')[1].split("</optgroup>")[0]
    assert likely.count("<option") < 40
    assert "Europe/London" in likely
    for odd in ("Factory", "localtime", "Etc/GMT", "EST5EDT", "US/Eastern"):
        assert f'value="{odd}' not in page, odd
