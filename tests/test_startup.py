"""Start-up: an empty instance folder becomes a working Mend; later starts keep everything."""

import json
import os
import re
import shutil
import stat
import subprocess
import urllib.error
import urllib.request

import pytest
from sqlalchemy import func, select

from app import create_app
from extensions import db
from facilitation.instance import DEMO_EMAIL, prepare_instance
from facilitation.models import Cohort, Organisation, Participant, Programme, User
from tests.conftest import app_config
from tests.live import live_server, make_group, wait_until


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - a loopback test server
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def counts(app) -> dict:
    with app.app_context():
        return {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Organisation, User, Programme, Cohort, Participant)
        }


def test_first_start_on_an_empty_instance_folder(tmp_path):
    instance = tmp_path / "empty"
    app = create_app({**app_config(instance), "MEND_DEMO": True})
    demo = prepare_instance(app)
    assert counts(app) == {"Organisation": 1, "User": 1, "Programme": 1, "Cohort": 1, "Participant": 0}
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == DEMO_EMAIL))
        assert user.check_password(demo.password)
        course = db.session.scalars(select(Programme)).one()
        assert len(course.sessions) == 12
        assert db.session.scalars(select(Cohort)).one().facilitators == [user]
    # Secrets live in the instance folder, readable by their owner only.
    for name in ("demo_password",):
        assert stat.S_IMODE((instance / name).stat().st_mode) == 0o600


def test_a_second_start_keeps_existing_data(tmp_path):
    instance = tmp_path / "kept"
    first = create_app({**app_config(instance), "MEND_DEMO": True})
    demo = prepare_instance(first)
    with first.app_context():
        cohort = db.session.scalars(select(Cohort)).one()
        from facilitation.cohorts import join_cohort

        join_cohort(cohort, "Sam")
        db.session.commit()
        db.engine.dispose()
    second = create_app({**app_config(instance), "MEND_DEMO": True})
    again = prepare_instance(second)
    assert again == demo
    assert counts(second) == {"Organisation": 1, "User": 1, "Programme": 1, "Cohort": 1, "Participant": 1}


def test_python_app_py_serves_and_prints_the_url_and_demo_login(tmp_path):
    instance = tmp_path / "served"
    with live_server(instance) as server:
        assert f"is running at http://localhost:{server.port}/" in server.text
        match = re.search(r"Demo sign-in: (\S+) / (\S+)", server.text)
        assert match and match.group(1) == DEMO_EMAIL
        status, body = fetch(server.url + "/healthz")
        assert status == 200
        health = json.loads(body)
        assert health["status"] == "ok" and health["db"] == "ok" and health["version"]
        status, body = fetch(server.url + "/login")
        assert status == 200 and b"Facilitator sign in" in body
    # The generated secret key was kept, owner-only, for the next start.
    assert stat.S_IMODE((instance / "secret_key").stat().st_mode) == 0o600
    with live_server(instance) as again:
        assert f"Demo sign-in: {DEMO_EMAIL} / {match.group(2)}" in again.text


def test_health_reports_an_unreachable_database(tmp_path):
    config = app_config(tmp_path)
    config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'missing-folder' / 'mend.db'}"
    app = create_app(config)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "error",
        "db": "unreachable",
        "reason": "OperationalError",
        "version": app.config["VERSION"],
    }


def test_the_server_log_keeps_mends_own_lines_after_the_start_up_migration(tmp_path):
    # The first start migrates an empty database in process; Alembic's logging configuration once
    # replaced the server's, and every INFO line after it (who joined, who asked for resources) was lost.
    with live_server(tmp_path / "fresh") as server:
        assert "Running upgrade" in server.text  # the migration ran in this process
        make_group(server, re.search(r"Demo sign-in: (\S+) / (\S+)", server.text).groups(), names=("Ash",))
        wait_until(lambda: re.search(r"INFO .*participant \d+ joined cohort \d+", server.text))


def test_the_listen_queue_is_sized_for_a_burst_of_arrivals(tmp_path):
    """eventlet's own queue of 50 overflowed when a thousand people opened a link within ten seconds."""
    ss = shutil.which("ss")
    if ss is None and os.environ.get("CI") != "true":
        pytest.skip("needs iproute2's ss to read the listen queue")
    with live_server(tmp_path / "served", MEND_LISTEN_BACKLOG="777") as server:
        listing = subprocess.run(
            [ss or "ss", "-ltnH", f"sport = :{server.port}"], capture_output=True, text=True, check=True
        ).stdout
    # For a listening socket, ss shows the queue's size as Send-Q.
    assert listing.split()[2] == "777", listing


@pytest.mark.parametrize(
    ("now", "first"),
    [
        ("2026-12-01 18:59", "2026-12-01"),  # a Tuesday before the meeting: tonight
        ("2026-12-01 19:00", "2026-12-08"),  # a Tuesday once it began: next week, not a week missed
        ("2026-12-02 09:00", "2026-12-08"),  # a Wednesday
        ("2026-12-07 23:59", "2026-12-08"),  # a Monday
    ],
)
def test_the_demo_groups_first_meeting_is_still_ahead(now, first):
    from datetime import date, datetime

    from facilitation.instance import DEMO_ZONE, first_demo_meeting

    moment = datetime.strptime(now, "%Y-%m-%d %H:%M").replace(tzinfo=DEMO_ZONE)
    assert first_demo_meeting(moment) == date.fromisoformat(first)
