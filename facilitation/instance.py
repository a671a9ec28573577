"""First start and every start: migrate, install the built-in course, keep the demo ready."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select, text

from config import instance_secret
from extensions import db
from facilitation.catalogue import install_builtin_programmes
from facilitation.cohorts import DEFAULT_AGREEMENT, create_cohort
from facilitation.models import Organisation, Programme, User
from sessions.journal.keys import load_application_key
from sessions.realtime.plumbing import commit

DEMO_ORGANISATION = "Demo organisation"
DEMO_EMAIL = "demo@mend.example"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str


# Any fixed number: the PostgreSQL advisory lock that lets one starting process prepare at a time.
PREPARE_LOCK = 7_301_944


DEMO_ZONE = ZoneInfo("Europe/London")
DEMO_TIME = time(19, 0)


def first_demo_meeting(now: datetime) -> date:
    """The demo group's first meeting: the coming Tuesday evening, today on a Tuesday before 19:00
    (the date falls on the meeting day, as the cohort form requires). A demo started on a Tuesday
    evening would otherwise begin with a week already missed."""
    ahead = (1 - now.weekday()) % 7
    if ahead == 0 and now.time() >= DEMO_TIME:
        ahead = 7
    return now.date() + timedelta(days=ahead)


@contextmanager
def one_process_at_a_time() -> Iterator[None]:
    """Several processes starting together on one PostgreSQL database take turns to migrate and
    install, instead of racing to create the same tables. SQLite serves one process only."""
    if db.engine.dialect.name != "postgresql":
        yield
        return
    with db.engine.connect() as lock:
        lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": PREPARE_LOCK})
        try:
            yield
        finally:
            lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PREPARE_LOCK})


def prepare_instance(app: Flask) -> DemoLogin | None:
    """Bring the database up to date; with MEND_DEMO on, return the demo sign-in to print."""
    with app.app_context(), one_process_at_a_time():
        upgrade(directory=app.extensions["migrate"].directory)
        # Refuse to run (JournalKeyError) with a missing or wrong journal key, before anything is written.
        load_application_key(app)
        install_builtin_programmes()
        commit()
        if not app.config["MEND_DEMO"]:
            return None
        return ensure_demo(app)


def ensure_demo(app: Flask) -> DemoLogin:
    """Create the demo organisation, facilitator and cohort once; later starts keep them."""
    # The demo password is random per instance, never a default anyone could guess.
    password = instance_secret(app.instance_path, "demo_password", nbytes=9)
    organisation = db.session.scalar(select(Organisation).where(Organisation.name == DEMO_ORGANISATION))
    if organisation is None:
        organisation = Organisation(name=DEMO_ORGANISATION)
        facilitator = User(organisation=organisation, email=DEMO_EMAIL, name="Demo Facilitator", role="admin")
        facilitator.set_password(password)
        db.session.add_all([organisation, facilitator])
        db.session.flush()
        # The built-in course, installed just before (prepare_instance).
        course = db.session.scalars(
            select(Programme).where(Programme.organisation_id.is_(None)).order_by(Programme.version.desc()).limit(1)
        ).one()
        create_cohort(
            organisation=organisation,
            programme=course,
            name="Tuesday evening group",
            facilitators=[facilitator],
            start_date=first_demo_meeting(datetime.now(DEMO_ZONE)),
            weekday=1,
            start_time=DEMO_TIME,
            timezone=DEMO_ZONE.key,
            agreement_md=DEFAULT_AGREEMENT,
        )
        commit()
    user = db.session.scalar(select(User).where(User.email == DEMO_EMAIL))
    shown = password if user is not None and user.check_password(password) else "(changed since first start)"
    return DemoLogin(email=DEMO_EMAIL, password=shown)
