"""The organisation's settings page: what it saves, the audit trail of it, and bad input (k below 3,
a bad address, a bad zone, a bad mail server) refused with a sentence and nothing changed. The
"send me a test" button against a real SMTP server on loopback (tests/smtp.py)."""

from sqlalchemy import select

from extensions import db
from facilitation.models import AuditEntry, Organisation
from sessions.records.models import CalendarChoice
from tests.conftest import csrf_token, sign_in
from tests.live import free_port
from tests.smtp import body_of, smtp_server

GOOD = {
    "form": "settings",
    "poll_reveal_threshold": "5",
    "default_timezone": "America/Toronto",
    "quick_exit_url": "https://www.example.org/weather",
    "waiting_room_default": "y",
    "names_group": "name",
    "records_kept_days": "365",
    "journals_kept_days": "400",
    "retention_notice_days": "21",
}


def admin_client(client, make_user):
    admin = make_user("ada@example.org", role="admin")
    sign_in(client, admin.email)
    return admin


def organisation_row(app, organisation_id: int) -> dict:
    with app.app_context():
        organisation = db.session.get(Organisation, organisation_id)
        choice = db.session.get(CalendarChoice, organisation_id)
        return {
            "k": organisation.poll_reveal_threshold,
            "zone": organisation.default_timezone,
            "quick_exit": organisation.quick_exit_url,
            "waiting_room": organisation.waiting_room_default,
            "names_group": bool(choice and choice.names_group),
            "records": organisation.records_kept_days,
            "journals": organisation.journals_kept_days,
            "notice": organisation.retention_notice_days,
            "mail": (organisation.mail_host, organisation.mail_port, organisation.mail_from),
        }


def post(client, url: str, data: dict):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/settings")})


def test_an_admin_saves_every_setting_and_new_cohorts_follow_them(app, client, make_user):
    admin = admin_client(client, make_user)
    page = client.get("/settings").get_data(as_text=True)
    assert "Send me a test" in page and 'data-picker="single"' in page and "Factory" not in page
    assert post(client, "/settings", GOOD).status_code == 302
    assert organisation_row(app, admin.organisation_id) == {
        "k": 5,
        "zone": "America/Toronto",
        "quick_exit": "https://www.example.org/weather",
        "waiting_room": True,
        "names_group": True,
        "records": 365,
        "journals": 400,
        "notice": 21,
        "mail": (None, None, None),
    }
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "settings.change")).one()
        assert entry.actor_id == admin.id and entry.details["poll_reveal_threshold"] == [3, 5]
    # The new-cohort form starts in the organisation's zone, its area's zones first.
    form = client.get("/cohorts/new").get_data(as_text=True)
    assert '<option selected value="America/Toronto">' in form
    likely = form.split('<optgroup label="Likely">')[1].split("</optgroup>")[0]
    assert likely.index("America/") < likely.index("Europe/")


def test_bad_settings_say_what_is_wrong_and_change_nothing(app, client, make_user):
    admin = admin_client(client, make_user)
    before = organisation_row(app, admin.organisation_id)
    cases = [
        ({"poll_reveal_threshold": "2"}, "at least 3"),
        ({"poll_reveal_threshold": "0"}, "at least 3"),
        ({"poll_reveal_threshold": "many"}, "Not a valid integer"),
        ({"quick_exit_url": "javascript:alert(1)"}, "whole web address"),
        ({"quick_exit_url": "www.example.org"}, "whole web address"),
        ({"quick_exit_url": "https://exa mple.org"}, "no spaces"),
        ({"quick_exit_url": "https://localhost"}, "whole web address"),
        ({"default_timezone": "Factory"}, "Not a valid choice"),
        ({"default_timezone": "localtime"}, "Not a valid choice"),
        ({"default_timezone": "Mars/Olympus_Mons"}, "Not a valid choice"),
        ({"records_kept_days": "0"}, "1 or more"),
        ({"journals_kept_days": "-5"}, "1 or more"),
        ({"retention_notice_days": "1000"}, "from 0 to 365"),
    ]
    for fields, error in cases:
        response = post(client, "/settings", {**GOOD, **fields})
        assert response.status_code == 400, fields
        text = response.get_data(as_text=True)
        assert error in text and "Nothing was saved" in text, fields
        assert organisation_row(app, admin.organisation_id) == before, fields
    for fields, error in [
        ({"mail_host": "smtp://mail.example.org:25"}, "not a mail server"),
        ({"mail_host": "mail.example.org", "mail_from": "not an address"}, "address mail is sent from"),
        ({"mail_host": "mail.example.org", "mail_from": "mend@example.org", "mail_port": "70000"}, "1 to 65535"),
        ({"mail_host": "", "mail_from": "mend@example.org"}, "Give the mail server"),
    ]:
        response = post(client, "/settings/mail", {"form": "mail", "mail_tls": "starttls", "action": "save", **fields})
        assert response.status_code == 400, fields
        assert error in response.get_data(as_text=True), fields
        assert organisation_row(app, admin.organisation_id) == before, fields
    with app.app_context():
        assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "settings.change")).all() == []


def test_send_me_a_test_reaches_a_real_server_and_a_dead_one_is_named(app, client, make_user):
    admin = admin_client(client, make_user)
    mail = {"form": "mail", "mail_tls": "none", "mail_from": "mend@example.org", "action": "test"}
    dead = post(client, "/settings/mail", {**mail, "mail_host": "127.0.0.1", "mail_port": str(free_port())})
    assert dead.status_code == 400
    assert "could not reach a mail server at 127.0.0.1" in dead.get_data(as_text=True)
    with smtp_server() as (host, port, inbox):
        sent = post(client, "/settings/mail", {**mail, "mail_host": host, "mail_port": str(port)})
        assert sent.status_code == 200 and "A test mail went to ada@example.org" in sent.get_data(as_text=True)
        assert "mail settings work" in body_of(inbox.wait_for("ada@example.org"))
    # Testing saves nothing; saving does, with the password sealed and kept out of the trail.
    assert organisation_row(app, admin.organisation_id)["mail"] == (None, None, None)
    saved = post(
        client,
        "/settings/mail",
        {**mail, "action": "save", "mail_host": "smtp.example.org", "mail_port": "587", "mail_password": "hunter2-x"},
    )
    assert saved.status_code == 302
    assert organisation_row(app, admin.organisation_id)["mail"] == ("smtp.example.org", 587, "mend@example.org")
    with app.app_context():
        organisation = db.session.get(Organisation, admin.organisation_id)
        assert organisation.mail_password_sealed and "hunter2" not in organisation.mail_password_sealed
        actions = [(e.action, e.details) for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert [a for a, _ in actions] == ["settings.mail_test", "settings.mail_test", "settings.change"]
        assert "hunter2" not in repr(actions)


def test_only_administrators_reach_the_settings(app, client, make_user):
    fran = make_user()
    sign_in(client, fran.email)
    assert client.get("/settings").status_code == 403
    token = csrf_token(client, "/dashboard")
    assert client.post("/settings", data={**GOOD, "csrf_token": token}).status_code == 403
    assert organisation_row(app, fran.organisation_id)["k"] == 3
