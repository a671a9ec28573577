"""Every page and form of Mend tried by every kind of person who might try it, in process.

Each route is listed below with its door: who may pass. Everyone else is refused (sent to sign in,
told it is not theirs, or told it does not exist), and a refused form changes nothing in the
database. A route that is not listed fails the test, so that no page is added without saying who may
open it. The people: someone with no cookie at all; a participant of the group and one of another
group; the group's facilitator, a facilitator of the same organisation who does not run it, and the
organisation's administrator; an administrator and a facilitator of another organisation.

Forms are sent with the person's own CSRF token (from a page anyone may open), so that what refuses
them is the door and not a missing token.
"""

import hashlib
import re
import sqlite3

import pytest
from flask import url_for
from sqlalchemy import select

from app import create_app
from extensions import db
from facilitation.models import AccountLink, Cohort, Participant
from sessions.journal.models import JournalEntry
from tests.conftest import PASSWORD

# Anyone at all: the way in, crisis support, and the links whose secret is their own door (a wrong one
# is refused alike for everyone: tests/test_links_live.py, test_accounts.py, test_projector_link_live.py).
PUBLIC = {
    "sessions.home",
    "safety.away",
    "healthz",
    "auth.login",
    "auth.forgot_password",
    "auth.accept_invitation",
    "auth.reset_password",
    "safety.support_default",
    "safety.support",
    "sessions.join_with_code",
    "sessions.join_by_typed_code",
    "sessions.personal_link",
    "sessions.use_personal_link",
    "sessions.projector_link",
    "sessions.use_projector_link",
    # "Forget me on this device" forgets what this browser holds of the group, which is nothing for anyone else.
    "sessions.forget_device",
    "socketio-polling",
    "socketio-websocket",
}
# Anyone signed in, in their own organisation.
SIGNED_IN = {
    "auth.change_password",
    "auth.logout",
    "facilitation.dashboard",
    "facilitation.programmes",
    "facilitation.programme",
    "facilitation.new_cohort",
}
# The group's facilitators and its organisation's administrators.
TEAM = {
    "facilitation.cohort",
    "facilitation.edit_agreement",
    "facilitation.archive",
    "records.calendar_choice",
    "facilitation.regenerate_code",
    "facilitation.edit_cohort_page",
    "facilitation.set_enrolment",
    "records.archive",
    "facilitation.invitation",
    "console.open_session",
    "measures.group_measures",
    "facilitation.admit_participant",
    "facilitation.remove_participant",
    "console.make_projector_link",
    "console.revoke_projector_link",
    "facilitation.cohort_qr",
    "records.record",
    "records.schedule",
    "records.report_csv",
    "records.notes",
    "records.report",
    "records.report_pdf",
    "video.set_meets_online",
    "console.console",
    "console.end_session",
    "console.projector",
    # Also a screen paired with the group's projector link (tests/test_projector_link_live.py).
    "sessions.projector_screen",
}
# The organisation's administrators.
ADMINISTRATORS = {
    "admin.audit_trail",
    "admin.audit_csv",
    "admin.withdraw_invitation",
    "admin.people_page",
    "admin.deactivate",
    "admin.reactivate",
    "admin.reset_link",
    "admin.change_role",
    "admin.invite",
    "safety.edit_crisis_resources",
    "settings.settings_page",
    "settings.save_settings",
    "settings.save_mail",
    "video.save_video_settings",
    "overview.overview",
}
# The participant themselves, by their own cookie: nobody else, not even the group's facilitators.
PARTICIPANT = {
    "sessions.group",
    "records.calendar",
    "sessions.forget_device_page",
    "journal.journal_page",
    "journal.delete_everything",
    "journal.save",
    "journal.edit",
    "journal.delete_entry",
    "journal.share",
    "journal.export_markdown",
    "journal.printable",
    "journal.reflection",
    "journal.search",
    "journal.own_trend",
    "journal.share_trend",
    "journal.withdraw_trend",
    "journal.write",
    "sessions.make_link",
    "safety.pause_status",
    "safety.pause_from_a_page",
    "safety.ok_from_a_page",
    "records.catch_up",
    "records.catch_up_reflection",
}
DOORS = {"signed in": SIGNED_IN, "team": TEAM, "administrators": ADMINISTRATORS, "participant": PARTICIPANT}

PEOPLE = ("nobody", "ash", "other group's bo", "fran", "gil", "ada", "zed", "yan")
# Who passes each door (for the group's own pages; another organisation's people pass only their own).
PASSES = {
    "signed in": {"fran", "gil", "ada", "zed", "yan"},
    "team": {"fran", "ada"},
    "administrators": {"ada"},
    "participant": {"ash"},
}


def passes(person: str, door: str, rule) -> bool:
    """Whether `person` may pass `rule`'s door. An administrators' page whose address names no one
    (the people page, the settings) is about the administrator's own organisation: another
    organisation's administrator passes too, onto their own."""
    return person in PASSES[door] or (door == "administrators" and person == "zed" and not rule.arguments)


class World:
    """Two organisations, a group with a session on record and one in the lobby, and a client per person."""

    def __init__(self, app, values: dict, overrides: dict):
        self.app, self.values, self.overrides = app, values, overrides
        self.database = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")

    def fingerprint(self) -> str:
        """Every row of every table, as another connection reads the file: what a refused form must not change."""
        with sqlite3.connect(self.database) as connection:
            tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            digest = hashlib.sha256()
            for table in sorted(tables):
                for row in sorted(map(repr, connection.execute(f'SELECT * FROM "{table}"'))):  # noqa: S608 - names from the file
                    digest.update(row.encode())
        return digest.hexdigest()


@pytest.fixture
def world(app, make_user, make_cohort):
    fran = make_user("fran@harbour.example", "Harbour Counselling", "facilitator")
    gil = make_user("gil@harbour.example", "Harbour Counselling", "facilitator")
    make_user("ada@harbour.example", "Harbour Counselling", "admin")
    make_user("zed@elsewhere.example", "Elsewhere Care", "admin")
    make_user("yan@elsewhere.example", "Elsewhere Care", "facilitator")
    clients = {name: app.test_client() for name in PEOPLE}
    for name in ("fran", "gil", "ada", "zed", "yan"):
        organisation = "harbour" if name in ("fran", "gil", "ada") else "elsewhere"
        answer = post(clients[name], "/login", {"email": f"{name}@{organisation}.example", "password": PASSWORD})
        assert answer.status_code == 302, (name, answer.status_code)
    group = make_cohort(fran, "Thursday group")
    other = make_cohort(fran, "Monday group")
    for name, code, display_name in (("ash", group.join_code, "Ash"), ("other group's bo", other.join_code, "Bo")):
        answer = post(clients[name], f"/j/{code}", {"display_name": display_name, "agree": "y"})
        assert answer.status_code == 302, (name, answer.status_code)
    with app.app_context():
        cohort = db.session.get(Cohort, group.id)
        plans = [plan.id for plan in sorted(cohort.programme.sessions, key=lambda plan: plan.number)]
        programme_id = cohort.programme_id
        ash = db.session.scalar(select(Participant.id).where(Participant.cohort_id == group.id))
    fran_client = clients["fran"]
    ended = int(
        post(fran_client, f"/cohorts/{group.id}/live", {"session_plan_id": plans[0]}).headers["Location"].split("/")[2]
    )
    assert post(fran_client, f"/live/{ended}/end").status_code == 302
    lobby = int(
        post(fran_client, f"/cohorts/{group.id}/live", {"session_plan_id": plans[1]}).headers["Location"].split("/")[2]
    )
    saved = post(clients["ash"], f"/g/{group.public_id}/journal/entries", {"text": "My own words"})
    assert saved.status_code in (200, 302, 303), saved.status_code
    invited = post(clients["ada"], "/admin/people/invite", {"email": "new@harbour.example", "role": "facilitator"})
    assert invited.status_code == 200 and "/invitation/" in invited.get_data(as_text=True), invited.status_code
    with app.app_context():
        entry = db.session.scalar(select(JournalEntry.id).where(JournalEntry.participant_id == ash))
        invitation = db.session.scalar(select(AccountLink.id).where(AccountLink.email == "new@harbour.example"))
    values = {
        "cohort_id": group.id,
        "participant_id": ash,
        "live_session_id": lobby,
        "public_id": group.public_id,
        "entry_id": entry,
        "week": 1,
        "table": "attendance",
        "programme_id": programme_id,
        "user_id": gil.id,
        "link_id": invitation,
    }
    # A session's records are those of one that ran.
    reports = ("records.report_csv", "records.report", "records.report_pdf", "records.notes")
    world = World(app, values, {endpoint: {"live_session_id": ended} for endpoint in reports})
    world.clients = clients
    return world


TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def post(client, url: str, data: dict | None = None):
    """A form as the person's own browser sends it, with the token of their own session."""
    token = TOKEN.search(client.get("/").get_data(as_text=True)) or TOKEN.search(
        client.get("/support").get_data(as_text=True)
    )
    return client.post(url, data={**(data or {}), "csrf_token": token.group(1)})


def refused(answer) -> bool:
    """Sent to sign in, told it is not theirs, or told there is no such page."""
    if answer.status_code == 302:
        return "/login" in answer.headers["Location"]
    return answer.status_code in (401, 403, 404)


def test_every_door_refuses_everyone_it_is_not_for_and_a_refused_form_changes_nothing(world):
    rules = [rule for rule in world.app.url_map.iter_rules() if rule.endpoint != "static"]
    wrong: list[str] = []
    for rule in sorted(rules, key=lambda rule: rule.rule):
        door = next((name for name, endpoints in DOORS.items() if rule.endpoint in endpoints), None)
        if door is None:
            continue
        values = {**world.values, **world.overrides.get(rule.endpoint, {})}
        with world.app.test_request_context():
            url = url_for(rule.endpoint, **{argument: values[argument] for argument in rule.arguments})
        for person in PEOPLE:
            client = world.clients[person]
            allowed = passes(person, door, rule)
            if "GET" in rule.methods:
                answer = client.get(url)
                if allowed and refused(answer):
                    wrong.append(f"{person} was refused GET {url} ({answer.status_code})")
                if not allowed and not refused(answer):
                    wrong.append(f"{person} passed GET {url} ({answer.status_code})")
            if "POST" in rule.methods and not allowed:
                before = world.fingerprint()
                answer = post(client, url)
                if not refused(answer):
                    wrong.append(f"{person} passed POST {url} ({answer.status_code})")
                if world.fingerprint() != before:
                    wrong.append(f"{person}'s refused POST {url} changed the database")
    assert wrong == [], "\n".join(wrong)


def test_every_route_has_a_door():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "MEND_DEMO": False})
    listed = PUBLIC.union(*DOORS.values())
    routes = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    assert routes - listed == set(), "say who may open these pages"
    assert listed - routes == set(), "these are listed but no longer exist"
