"""The people of an organisation, run against a real server and a real SMTP server on loopback:
invitations (mailed and copied, accepted once, expiring), password links from an administrator and
"Forgot my password", deactivation (sockets and pages end at once), roles and other organisations,
and the audit trail those actions leave."""

import csv
import io
import re
import sqlite3
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import socketio

from tests.live import Browser, LiveClient, create_facilitator, free_port, live_server, make_group, wait_until
from tests.smtp import body_of, smtp_server

NEW_PASSWORD = "a new and long password"
LINK = re.compile(r"https?://[^\s\"<]+/(?:invitation|reset)/[\w-]+")


@pytest.fixture(scope="module")
def smtp():
    with smtp_server() as running:
        yield running


def database(server) -> sqlite3.Connection:
    return closing(sqlite3.connect(Path(server.instance) / "mend.db", timeout=10))


def set_mail(server, port: int | None) -> None:
    """The demo organisation's mail settings, as the settings page stores them (no login: a loopback server)."""
    with database(server) as db, db:
        db.execute(
            "UPDATE organisation SET mail_host = ?, mail_port = ?, mail_from = ?, mail_tls = 'none' "
            "WHERE id = (SELECT organisation_id FROM user ORDER BY id LIMIT 1)",  # the demo administrator's
            ("127.0.0.1" if port else None, port, "groups@harbour.example" if port else None),
        )


def audit_actions(server) -> list[tuple]:
    with database(server) as db:
        return db.execute("SELECT action, target, cohort_id, details FROM audit_entry ORDER BY id").fetchall()


def invite(admin: Browser, email: str, role: str = "facilitator") -> str:
    response = admin.post_form("/admin/people/invite", {"email": email, "role": role}, token_from="/admin/people")
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    return LINK.search(response.text).group(0)


def accept(server, url: str, name: str, password: str = NEW_PASSWORD):
    """Open an invitation link and accept it; a link that no longer works answers its page (no form)."""
    path = "/" + url.split("//", 1)[1].split("/", 1)[1]
    browser = Browser(server)
    page = browser.get(path)
    if page.status_code != 200:
        return browser, page
    response = browser.post_form(path, {"name": name, "password": password, "confirm": password})
    return browser, response


def test_an_invitation_without_mail_is_a_link_to_copy_that_works_once(server, demo_login):
    set_mail(server, None)
    admin = Browser(server).sign_in(*demo_login)
    url = invite(admin, "New.Person@Example.org")
    browser, response = accept(server, url, "Noor")
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")
    assert "My cohorts" in browser.get("/dashboard").text
    Browser(server).sign_in("new.person@example.org", NEW_PASSWORD)

    _, again = accept(server, url, "Someone else")
    assert again.status_code == 410 and "used already" in again.text
    people = admin.get("/admin/people").text
    assert "Noor" in people and "new.person@example.org" in people
    actions = [row[0] for row in audit_actions(server)]
    assert "people.invite" in actions and "people.invitation_accepted" in actions


def test_a_mailed_invitation_carries_its_link_and_expires(server, demo_login, smtp):
    _host, port, inbox = smtp
    set_mail(server, port)
    admin = Browser(server).sign_in(*demo_login)
    shown = invite(admin, "mailed@example.org", role="admin")
    message = inbox.wait_for("mailed@example.org")
    assert message["From"] == "groups@harbour.example"
    assert "invited" in message["Subject"]
    body = body_of(message)
    assert "as an administrator" in body
    [mailed] = LINK.findall(body)
    assert mailed == shown

    # A week later, it no longer works.
    with database(server) as db, db:
        past = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S")
        db.execute("UPDATE account_link SET expires_at = ? WHERE email = 'mailed@example.org'", (past,))
    _, response = accept(server, mailed, "Late")
    assert response.status_code == 410 and "expired" in response.text
    assert Browser(server).get("/invitation/not-a-real-token").status_code == 404


def test_an_invitation_mailed_while_the_mail_server_is_down_arrives_once_it_is_back(tmp_path):
    # Tries again after 1 s and 2 s, instead of half a minute and two.
    with live_server(tmp_path / "instance", MEND_MAIL_RETRY_SECONDS="1,2") as server:
        port = free_port()
        set_mail(server, port)
        login = re.search(r"Demo sign-in: (\S+) / (\S+)", server.text).groups()
        shown = invite(Browser(server).sign_in(*login), "patient@example.org")
        wait_until(lambda: "mail to 127.0.0.1" in server.text and "trying again in 1 s" in server.text)
        # The organisation's mail server comes back: the same mail reaches the person, with its link.
        with smtp_server(port) as (_host, _port, inbox):
            message = inbox.wait_for("patient@example.org", timeout=15)
            assert LINK.findall(body_of(message)) == [shown]
            time.sleep(2.5)
            assert len(inbox.to("patient@example.org")) == 1
        assert "sent at try 2" in server.text
        assert "patient@example.org" not in server.text and shown not in server.text


def test_a_reset_link_from_an_administrator_signs_the_person_out_and_works_once(server, demo_login, smtp):
    _host, port, inbox = smtp
    set_mail(server, port)
    admin = Browser(server).sign_in(*demo_login)
    fran = create_facilitator(server, "fran.reset@example.org", "first password!", "Demo organisation")
    with database(server) as db:
        [(fran_id, same_org)] = db.execute(
            "SELECT id, organisation_id = (SELECT organisation_id FROM user ORDER BY id LIMIT 1) "
            "FROM user WHERE email = 'fran.reset@example.org'"
        ).fetchall()
    if not same_org:
        # Another organisation's person is not found, and not listed.
        response = admin.post_form(f"/admin/people/{fran_id}/reset-link", {}, token_from="/admin/people")
        assert response.status_code == 404
        assert "fran.reset@example.org" not in admin.get("/admin/people").text
        with database(server) as db, db:
            db.execute(
                "UPDATE user SET organisation_id = (SELECT organisation_id FROM user ORDER BY id LIMIT 1) WHERE id = ?",
                (fran_id,),
            )
    response = admin.post_form(f"/admin/people/{fran_id}/reset-link", {}, token_from="/admin/people")
    assert response.status_code == 200
    message = inbox.wait_for("fran.reset@example.org")
    [url] = LINK.findall(body_of(message))
    path = "/" + url.split("//", 1)[1].split("/", 1)[1]
    done = Browser(server).post_form(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    # The session signed in before the reset has ended; the new password works, the old one not.
    assert fran.get("/dashboard", allow_redirects=False).status_code == 302
    Browser(server).sign_in("fran.reset@example.org", NEW_PASSWORD)
    old = Browser(server).post_form("/login", {"email": "fran.reset@example.org", "password": "first password!"})
    assert old.status_code == 401
    assert Browser(server).get(path).status_code == 410


def test_forgot_password_mails_an_account_and_says_the_same_for_anyone(server, demo_login, smtp):
    _host, port, inbox = smtp
    set_mail(server, port)
    before = len(inbox.messages)
    answers = []
    for email in (demo_login[0], "nobody@example.org"):
        response = Browser(server).post_form("/forgot-password", {"email": email})
        assert response.status_code == 200
        answers.append(response.text)
    assert answers[0] == answers[1]
    message = inbox.wait_for(demo_login[0])
    [url] = LINK.findall(body_of(message))
    time.sleep(0.5)
    assert not inbox.to("nobody@example.org")
    assert len(inbox.messages) == before + 1
    page = Browser(server).get("/" + url.split("//", 1)[1].split("/", 1)[1])
    assert page.status_code == 200 and "Choose a new password" in page.text
    # Asking again and again for one email is limited.
    statuses = [Browser(server).post_form("/forgot-password", {"email": demo_login[0]}).status_code for _ in range(3)]
    assert statuses[-1] == 429


def test_a_deactivated_persons_sockets_and_pages_end_within_a_second(server, demo_login, clients):
    set_mail(server, None)
    admin = Browser(server).sign_in(*demo_login)
    url = invite(admin, "dee@example.org")
    dee, _ = accept(server, url, "Dee")
    group = make_group(server, demo_login, names=("Ash",), open_week=1)
    with database(server) as db, db:
        [(dee_id,)] = db.execute("SELECT id FROM user WHERE email = 'dee@example.org'").fetchall()
        db.execute("INSERT INTO cohort_facilitator (cohort_id, user_id) VALUES (?, ?)", (group.cohort_id, dee_id))
    console = LiveClient(server, dee, group.public_id, "facilitator", reconnection=False)
    clients.append(console)

    started = time.monotonic()
    response = admin.post_form(f"/admin/people/{dee_id}/deactivate", {}, token_from="/admin/people")
    assert response.status_code == 302
    wait_until(lambda: not console.client.connected, timeout=1)
    assert time.monotonic() - started < 1.5
    assert dee.get("/dashboard", allow_redirects=False).status_code == 302
    with pytest.raises(socketio.exceptions.ConnectionError):
        LiveClient(server, dee, group.public_id, "facilitator", reconnection=False)
    refused = Browser(server).post_form("/login", {"email": "dee@example.org", "password": NEW_PASSWORD})
    assert refused.status_code == 403 and "deactivated" in refused.text

    admin.post_form(f"/admin/people/{dee_id}/reactivate", {}, token_from="/admin/people")
    Browser(server).sign_in("dee@example.org", NEW_PASSWORD)


def test_a_facilitator_cannot_reach_the_admin_pages_and_roles_change(server, demo_login):
    set_mail(server, None)
    admin = Browser(server).sign_in(*demo_login)
    url = invite(admin, "rolf@example.org")
    rolf, _ = accept(server, url, "Rolf")
    for path in ("/admin/people", "/admin/audit", "/admin/audit.csv"):
        assert rolf.get(path, allow_redirects=False).status_code == 403
    with database(server) as db:
        [(rolf_id,)] = db.execute("SELECT id FROM user WHERE email = 'rolf@example.org'").fetchall()
    changed = admin.post_form(
        f"/admin/people/{rolf_id}/role", {f"person-{rolf_id}-role": "admin"}, token_from="/admin/people"
    )
    assert changed.status_code == 302
    assert rolf.get("/admin/people").status_code == 200

    # An administrator of another organisation sees none of this one's people or trail.
    other = create_facilitator(server, "olu@elsewhere.example", "other password!", "Elsewhere")
    with database(server) as db, db:
        db.execute("UPDATE user SET role = 'admin' WHERE email = 'olu@elsewhere.example'")
    other = Browser(server).sign_in("olu@elsewhere.example", "other password!")
    assert "rolf@example.org" not in other.get("/admin/people").text
    assert "rolf@example.org" not in other.get("/admin/audit").text
    assert "rolf@example.org" not in other.get("/admin/audit.csv").text
    refused = other.post_form(f"/admin/people/{rolf_id}/deactivate", {}, token_from="/admin/people")
    assert refused.status_code == 404


def test_the_audit_trail_records_each_action_and_no_participant_content(server, demo_login):
    admin = Browser(server).sign_in(*demo_login)
    group = make_group(server, demo_login, names=("Zephyrine",), open_week=None)
    admin.get(f"/cohorts/{group.cohort_id}/record")
    admin.get(f"/cohorts/{group.cohort_id}/export.zip")
    rows = list(csv.DictReader(io.StringIO(admin.get("/admin/audit.csv").text)))
    actions = {row["action"] for row in rows}
    assert {
        "people.invite",
        "people.invitation_accepted",
        "people.reset_link",
        "auth.password_reset",
        "auth.forgot_password",
        "people.deactivate",
        "people.reactivate",
        "people.role_change",
        "auth.sign_in_refused",
        "records.cohort_view",
        "records.export",
    } <= actions
    role = next(row for row in rows if row["action"] == "people.role_change")
    assert role["target"] == "rolf@example.org" and role["details"] == "role: facilitator → admin"
    export = next(row for row in rows if row["action"] == "records.export")
    assert export["cohort_id"] == str(group.cohort_id) and export["email"] == demo_login[0]
    assert "Zephyrine" not in admin.get("/admin/audit.csv").text
    by_cohort = admin.get(f"/admin/audit.csv?cohort={group.cohort_id}").text
    in_cohort = {row["action"] for row in csv.DictReader(io.StringIO(by_cohort))}
    assert {"records.cohort_view", "records.export"} <= in_cohort and not any(
        a.startswith("people.") for a in in_cohort
    )
    # Nothing in the app edits or deletes an entry.
    assert admin.http.post(server.url + "/admin/audit", timeout=10).status_code in (400, 405)
