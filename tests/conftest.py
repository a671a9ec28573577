"""Shared fixtures: a fresh app and database per test, factories, and a CSRF-aware form helper.

Migrating and importing the built-in course takes a second, so it runs once per
test session into a template database that each test copies.
"""

import os

# Tests import the app in-process; eventlet's monkey-patching belongs to a real server only.
os.environ["MEND_ASYNC_MODE"] = "threading"
os.environ.pop("DATABASE_URL", None)
os.environ.pop("SOCKETIO_MESSAGE_QUEUE", None)
os.environ.pop("SECRET_KEY", None)
os.environ.pop("MEND_JOURNAL_KEY", None)

import importlib.util  # noqa: E402
import pkgutil  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import date, time  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from sqlalchemy import select  # noqa: E402

import sessions  # noqa: E402
from app import create_app  # noqa: E402
from extensions import db  # noqa: E402
from facilitation.cohorts import create_cohort  # noqa: E402
from facilitation.instance import prepare_instance  # noqa: E402
from facilitation.models import Organisation, Programme, User  # noqa: E402

# Each capability's Socket.IO handlers register themselves with the module-level `socketio` when their
# module is imported. Imported inside the first `create_app`, after it bound `socketio` to that app,
# they reach that app's server alone, and every later app of the process answers no event; imported
# before any app exists, they are kept and bound to the server of every app, one per test.
for _capability in pkgutil.iter_modules(sessions.__path__):
    if _capability.ispkg and importlib.util.find_spec(f"sessions.{_capability.name}.events"):
        importlib.import_module(f"sessions.{_capability.name}.events")

PASSWORD = "correct horse battery"
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def app_config(instance: Path) -> dict:
    return {
        "INSTANCE_PATH": str(instance),
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'mend.db'}",
        "RATELIMIT_STORAGE_URI": "memory://",
        "MEND_DEMO": False,
    }


@pytest.fixture(scope="session")
def template_database(tmp_path_factory) -> Path:
    instance = tmp_path_factory.mktemp("template")
    app = create_app(app_config(instance))
    prepare_instance(app)
    with app.app_context():
        db.engine.dispose()
    # Fold the write-ahead log into the file so that copying the file copies everything.
    with sqlite3.connect(instance / "mend.db") as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return instance / "mend.db"


@pytest.fixture
def app(template_database, tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    shutil.copy(template_database, instance / "mend.db")
    app = create_app(app_config(instance))
    # No app context is held across the test: requests must not share `g` (as real ones never do).
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@dataclass(frozen=True)
class Made:
    """What a factory made, by value: safe to use outside the app context that made it."""

    id: int
    email: str = ""
    organisation_id: int = 0
    join_code: str = ""
    public_id: str = ""


@pytest.fixture
def make_user(app):
    def make(email: str = "fran@example.org", organisation: str = "Harbour Counselling", role: str = "facilitator"):
        with app.app_context():
            org = db.session.scalar(select(Organisation).where(Organisation.name == organisation))
            if org is None:
                org = Organisation(name=organisation)
                db.session.add(org)
            user = User(organisation=org, email=email, name=email.split("@")[0].capitalize(), role=role)
            user.set_password(PASSWORD)
            db.session.add(user)
            db.session.commit()
            return Made(id=user.id, email=user.email, organisation_id=org.id)

    return make


@pytest.fixture
def make_cohort(app):
    def make(facilitator: Made, name: str = "Thursday group"):
        with app.app_context():
            user = db.session.get(User, facilitator.id)
            course = db.session.scalars(select(Programme).where(Programme.organisation_id.is_(None))).one()
            cohort = create_cohort(
                organisation=user.organisation,
                programme=course,
                name=name,
                facilitators=[user],
                start_date=date(2026, 11, 1),
                weekday=3,
                start_time=time(18, 30),
                timezone="Europe/London",
            )
            db.session.commit()
            return Made(
                id=cohort.id,
                organisation_id=cohort.organisation_id,
                join_code=cohort.join_code,
                public_id=cohort.public_id,
            )

    return make


def csrf_token(client, url: str) -> str:
    """The CSRF token from the form on `url`, as a browser would have it."""
    page = client.get(url)
    match = CSRF_INPUT.search(page.get_data(as_text=True))
    assert match, f"no CSRF token in the form at {url}"
    return match.group(1)


def sign_in(client, email: str, password: str = PASSWORD):
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_token(client, "/login")}
    )


@pytest.fixture
def signed_in(client, make_user):
    """A client signed in as a facilitator; returns (client, user)."""
    user = make_user()
    response = sign_in(client, user.email)
    assert response.status_code == 302
    return client, user


def pytest_generate_tests(metafunc):
    """A module that sets `BACKENDS = ("sqlite", "postgres-redis")` runs its live-server tests on each."""
    backends = getattr(metafunc.module, "BACKENDS", None)
    if backends and "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", backends, indirect=True, scope="module")


@pytest.fixture(scope="module")
def backend(request):
    """The data and message services of the module's live server (the embedded default unless parametrized)."""
    from tests.services import backend

    with backend(getattr(request, "param", "sqlite")) as chosen:
        yield chosen


@pytest.fixture(scope="module")
def server(tmp_path_factory, backend):
    """One real `python app.py` per test module (browser tests start one per test instead)."""
    from tests.live import live_server

    with live_server(tmp_path_factory.mktemp("live"), **backend.env) as running:
        yield running


@pytest.fixture(scope="module")
def demo_login(server) -> tuple[str, str]:
    return re.search(r"Demo sign-in: (\S+) / (\S+)", server.text).groups()


@pytest.fixture
def clients():
    """Socket.IO clients a test opens; all closed afterwards."""
    opened = []
    yield opened
    for client in opened:
        client.close()


@pytest.fixture
def background_tasks(template_database, monkeypatch):
    """This process as freshly started, with Mend's background tasks held until the test runs them
    (tests/fast.py)."""
    from tests.fast import fresh_process_state, settle_memory

    settle_memory()
    return fresh_process_state(monkeypatch)


@pytest.fixture
def make_room(app, make_cohort, background_tasks):
    """A factory of rooms (tests/fast.py): a new cohort with its facilitator and `participants` people,
    week `week` open in the lobby, and everyone connected in process with their own cookies."""
    from tests.fast import make_facilitator, open_room

    rooms = []

    def make(participants: int = 3, week: int = 1, organisation: str = "Harbour Counselling"):
        facilitator = make_facilitator(app, f"facilitator{len(rooms) + 1}@example.org", organisation)
        room = open_room(app, facilitator, make_cohort(facilitator), background_tasks, participants, week)
        rooms.append(room)
        return room

    yield make
    for room in rooms:
        room.close()


@pytest.fixture
def room(make_room):
    """Three participants and their facilitator, connected to week 1 in the lobby."""
    return make_room()
