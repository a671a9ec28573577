"""Upgrading a database that already holds sessions keeps what they were showing."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from extensions import db
from facilitation.models import Cohort, SessionPlan, User
from sessions.breakouts import operations as breakouts
from sessions.breakouts.models import BreakoutRound
from sessions.live import operations as engine


def test_sessions_run_before_the_latest_round_pointer_still_show_their_rounds(app, make_user, make_cohort):
    facilitator = make_user()
    made = make_cohort(facilitator)
    with app.app_context():
        cohort = db.session.get(Cohort, made.id)
        plan = db.session.scalar(
            select(SessionPlan).where(SessionPlan.programme_id == cohort.programme_id, SessionPlan.number == 1)
        )
        live = engine.open_session(cohort, plan, db.session.get(User, facilitator.id))
        live.status = "live"
        rounds = [
            BreakoutRound(live_session_id=live.id, position=live.position, title=f"Round {n}", group_size=2, minutes=5)
            for n in (1, 2)
        ]
        db.session.add_all(rounds)
        db.session.commit()
        live_id, latest_id = live.id, rounds[-1].id
        directory = app.extensions["migrate"].directory

        # A database from before the pointer: the column is not there, and the rounds are. (On SQLite,
        # dropping a column copies the table; with foreign keys on, that once deleted every round.)
        downgrade(directory=directory, revision="0006")
        columns = db.session.execute(text("SELECT * FROM live_session")).keys()
        assert "latest_round_id" not in columns
        assert db.session.execute(text("SELECT count(*) FROM breakout_round")).scalar() == 2
        db.session.remove()

        upgrade(directory=directory)
        live = db.session.get(engine.LiveSession, live_id)
        assert live.latest_round_id == latest_id
        assert breakouts.current_round(live).title == "Round 2"


def test_the_migrations_build_exactly_the_tables_the_models_describe(app):
    # A column added to a model without its migration (or the reverse) would first show on a
    # deployment's upgrade; the app fixture's database was built by the migrations alone.
    with app.app_context(), db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), db.metadata) == []


def test_people_who_joined_before_the_waiting_room_are_in_the_room(app, make_user, make_cohort):
    facilitator = make_user()
    cohort = make_cohort(facilitator)
    with app.app_context():
        downgrade(revision="0008")
        db.session.execute(
            text(
                "INSERT INTO participant (cohort_id, display_name, name_key, rejoin_hash, consented_at, created_at) "
                "VALUES (:cohort, 'Ash', 'ash', 'x', '2026-11-30 18:00:00', '2026-11-30 18:00:00')"
            ),
            {"cohort": cohort.id},
        )
        db.session.commit()
        upgrade()
        admitted = db.session.execute(text("SELECT admitted_at FROM participant WHERE name_key = 'ash'")).scalar()
        assert str(admitted).startswith("2026-11-30 18:00:00")
