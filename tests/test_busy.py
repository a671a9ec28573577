"""A page that cannot get a database connection in time asks the browser to come back, rather than
failing: on PostgreSQL, with every connection of the pool held, as when a crowd arrives at once."""

import logging

import flask_migrate

from app import create_app
from config import postgres_driver
from extensions import db, socketio
from sessions.realtime.schemas import NAMESPACE
from tests.conftest import app_config
from tests.services import postgres_database


def test_a_page_without_a_free_database_connection_says_one_moment_and_tries_again(tmp_path, caplog):
    with postgres_database() as url:
        config = {
            **app_config(tmp_path / "instance"),
            "SQLALCHEMY_DATABASE_URI": postgres_driver(url),
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1, "max_overflow": 0, "pool_timeout": 0.3},
        }
        app = create_app(config)
        caplog.set_level(logging.WARNING)
        with app.app_context():
            flask_migrate.upgrade()
            db.session.remove()
            held = db.engine.connect()  # the pool's one connection, as a long request holds it
            try:
                page = app.test_client().get("/j/ABCDEFGH")
                answer = app.test_client().get("/j/ABCDEFGH", headers={"Accept": "application/json"})
            finally:
                held.close()
            # Retry-After is set (Flask-Limiter writes its own figure into it when its headers are on).
            assert page.status_code == 503 and int(page.headers["Retry-After"]) >= 1
            text = page.get_data(as_text=True)
            assert "Lots of people are arriving at once" in text and 'href="/j/ABCDEFGH" data-retry-after="3"' in text
            assert answer.status_code == 503 and answer.get_json()["code"] == "busy"
            # A live connection asked for meanwhile is refused as busy (its page connects again by
            # itself), not failed with a traceback.
            held = db.engine.connect()
            try:
                socket = socketio.test_client(
                    app, namespace=NAMESPACE, auth={"cohort": "nobody", "role": "participant"}
                )
            finally:
                held.close()
            assert not socket.is_connected(NAMESPACE)
            said = [
                (record.levelname, record.getMessage())
                for record in caplog.records
                if record.getMessage().startswith("connect:")
            ]
            assert said == [("WARNING", "connect: no database connection free within the pool's timeout")]
            assert not any(record.exc_info for record in caplog.records)
            # With the connection free again, the same page answers as it always does.
            assert app.test_client().get("/j/ABCDEFGH").status_code == 404
            db.engine.dispose()
